/**
 * `fanout sim hubert` (and `fanout sim frost`) as a separate process: the real Hubert HTTP client
 * puts and gets; through the run-time fault-control API a crash that loses state wipes the stored
 * values and a forced 503 is switched on and off at the server's edge (the client sees both);
 * SIGTERM stops it cleanly with its request count.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { realClock } from '@fanout/core';
import { createRng, rngBytesFn } from '@fanout/sim';
import { HubertHttpClient, aridToUr, envelopeToUr, newArid } from '@fanout/sim-hubert';
import { FANOUT_NODE_ARGS } from '@fanout/testkit/cli';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface Started {
  endpoints: Record<string, string>;
  control: string;
  stop(): Promise<{ code: number | null; output: string }>;
}

async function startSim(system: string, args: readonly string[]): Promise<Started> {
  const child = spawn(process.execPath, [...FANOUT_NODE_ARGS, 'sim', system, ...args, '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    void exited.then((code) => reject(new Error(`fanout sim ${system} exited ${code}:\n${stdout}${stderr}`)));
  });
  const info = JSON.parse(line) as { endpoints: Record<string, string>; control: string };
  return {
    ...info,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      return { code, output: stdout + stderr };
    },
  };
}

async function addRule(control: string, rule: unknown): Promise<number> {
  const r = await fetch(`${control}/rules`, { method: 'POST', body: JSON.stringify(rule) });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: number }).id;
}

describe('fanout sim hubert as a separate process, the Hubert HTTP client', () => {
  test('put/get; a 503 switched on and off through the control API; a crash with loseState wipes; SIGTERM stops it cleanly', async () => {
    const sim = await startSim('hubert', ['--port', '0']);
    let stopped: { code: number | null; output: string } | undefined;
    try {
      expect(sim.endpoints['hubert']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new HubertHttpClient({
        baseUrl: sim.endpoints['hubert']!,
        fetch: (r) => fetch(r),
        clock: realClock,
        requestTimeoutMs: 10_000,
      });
      const rnd = rngBytesFn(createRng(9).fork('test'));
      const arid = aridToUr(newArid(rnd));
      const envelope = envelopeToUr(Uint8Array.of(0xd8, 0xc8, 0x64, 0x68, 0x69));
      expect(await client.put(arid, envelope)).toBe('Stored successfully');
      expect(await client.get(arid, { timeoutSeconds: 0 })).toBe(envelope);

      // A crash that loses state (already over: down 1 ms from the start): the next request
      // finds the stored values gone.
      const crash = await addRule(sim.control, {
        fault: 'crash',
        targets: ['hubert'],
        atMs: 0,
        restartAfterMs: 1,
        loseState: true,
      });
      expect(await client.get(arid, { timeoutSeconds: 0 })).toBeNull();
      expect((await fetch(`${sim.control}/rules/${crash}`, { method: 'DELETE' })).status).toBe(204);
      expect(await client.put(arid, envelope)).toBe('Stored successfully');

      // A forced 503 at the edge, switched on and off.
      const id = await addRule(sim.control, { fault: 'forceStatus', targets: ['hubert'], status: 503 });
      await expect(client.get(arid, { timeoutSeconds: 0 })).rejects.toMatchObject({
        name: 'HubertServerError',
        status: 503,
      });
      expect((await fetch(`${sim.control}/rules/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await client.get(arid, { timeoutSeconds: 0 })).toBe(envelope);
    } finally {
      stopped = await sim.stop();
    }
    expect(stopped.code).toBe(0);
    // put, get, get (wiped), put, (503 answered at the edge: not served), get: 5 reached the server.
    expect(stopped.output).toMatch(/stopped after 5 request\(s\)\./);
  }, 60_000);

  test('fanout sim frost starts the same server (FROST’s peer)', async () => {
    const sim = await startSim('frost', ['--port', '0', '--backend', 'memory']);
    try {
      const health = await fetch(`${sim.endpoints['hubert']}/health`);
      expect(await health.json()).toEqual({ server: 'hubert', version: '0.5.0', status: 'ok' });
    } finally {
      expect((await sim.stop()).code).toBe(0);
    }
  }, 60_000);
});
