/**
 * `fanout sim bao` as a separate process: a real BaoKeyring over HTTP creates, lists and signs;
 * keys are predictable from --seed; the LIST method reaches the server (its TCP front); the
 * run-time fault-control API switches a Bao behaviour on and off through the one shared injector
 * (the client sees it), a malformed behaviour is answered 500 without taking the server down, and
 * SIGTERM stops it cleanly with its request count.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { VirtualClock, realClock } from '@fanout/core';
import { BaoClient, BaoKeyring, BaoSealedError } from '@fanout/bao-keyring';
import { createBaoApp } from '@fanout/sim-bao';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface Started {
  endpoints: { bao: string };
  control: string;
  info: { token: string; keys: string; namespaces?: string[] };
  stop(): Promise<{ code: number | null; output: string }>;
}

async function startSim(args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@fanout/source',
      '--import',
      'tsx',
      'apps/cli/src/main.ts',
      'sim',
      'bao',
      '--json',
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    void exited.then((code) => reject(new Error(`fanout sim bao exited ${code}:\n${stdout}${stderr}`)));
  });
  return {
    ...(JSON.parse(line) as Omit<Started, 'stop'>),
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      return { code, output: stdout + stderr };
    },
  };
}

const rule = (control: string, body: unknown) =>
  fetch(`${control}/rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('fanout sim bao as a separate process, BaoKeyring over HTTP', () => {
  test('create, LIST, sign; a behaviour switched on and off through the control API; SIGTERM stops it cleanly', async () => {
    const sim = await startSim(['--port', '0', '--seed', '5', '--namespaces', 'team-a']);
    const url = sim.endpoints.bao;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.info.token).toMatch(/^s\.[0-9a-f]{32}$/);
    expect(sim.info.keys).toBe('seeded from --seed 5, PREDICTABLE (tests only)');
    expect(sim.info.namespaces).toEqual(['team-a']);
    const client = new BaoClient({
      address: url,
      token: sim.info.token,
      clock: realClock,
      timeoutMs: 10_000,
    });
    const keyring = new BaoKeyring({ client });
    let stopped: { code: number | null; output: string } | undefined;
    try {
      const a = await keyring.create('a');
      // Same seed, same key material: the in-process simulator's first key.
      const twin = createBaoApp({ clock: new VirtualClock(), seed: 5 });
      const tc = new BaoClient({
        address: 'http://bao.sim',
        token: 'root',
        clock: new VirtualClock(),
        fetch: twin.fetch,
      });
      expect((await tc.createKey('a')).publicKey).toEqual(a.publicKey);
      await keyring.create('a', { namespace: 'team-a' });
      const listed = await fetch(`${url}/v1/secp256k1/keys`, {
        method: 'LIST',
        headers: { 'X-Vault-Token': sim.info.token },
      });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { data: { keys: string[] } }).data.keys).toEqual(['a']);
      const { signature } = await keyring.sign('a', new TextEncoder().encode('tx'));
      expect(signature).toHaveLength(64);

      // keyError on b's create: the next create of b is sealed; removing the rule heals it.
      const added = await rule(sim.control, {
        fault: 'behave',
        targets: ['bao'],
        behaviour: 'keyError',
        params: { key: 'b', kind: 'sealed' },
      });
      expect(added.status).toBe(201);
      const { id } = (await added.json()) as { id: number };
      await expect(keyring.create('b')).rejects.toBeInstanceOf(BaoSealedError);
      await keyring.create('c');
      expect((await fetch(`${sim.control}/rules/${id}`, { method: 'DELETE' })).status).toBe(204);
      await keyring.create('b');

      // A malformed behaviour: the server answers 500 and keeps serving; removing it heals it.
      const bad = await rule(sim.control, { fault: 'behave', targets: ['bao'], behaviour: 'nope' });
      const badId = ((await bad.json()) as { id: number }).id;
      const res = await fetch(`${url}/v1/secp256k1/keys/a`, { headers: { 'X-Vault-Token': sim.info.token } });
      expect(res.status).toBe(500);
      expect(await res.text()).toContain('unknown Bao behaviour');
      expect((await fetch(`${sim.control}/rules/${badId}`, { method: 'DELETE' })).status).toBe(204);
      expect((await keyring.refresh()).map((k) => k.uid)).toEqual(['a', 'b', 'c']);
    } finally {
      await client.close();
      stopped = await sim.stop();
    }
    expect(stopped.code).toBe(0);
    // create a, create a (team-a), LIST, sign, create b (sealed), create c, create b, GET a (500), LIST (refresh).
    expect(stopped.output).toMatch(/stopped after 9 request\(s\)\./);
  }, 90_000);
});
