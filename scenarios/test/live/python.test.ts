/**
 * A client in another language against the stand-alone simulators: `fanout sim raida` and
 * `fanout sim hubert` run as child processes; a Python client (standard library only,
 * scenarios/test/python/fanout_client.py) sends RAIDA echo datagrams and Hubert puts/gets; faults
 * are switched on and off through the simulators' fault-control API (the curl commands of
 * docs/own-client.md) and the Python client sees them.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { aridToUr, envelopeToUr, newArid } from '@fanout/sim-hubert';
import { createRng, rngBytesFn } from '@fanout/sim';
import { FANOUT_NODE_ARGS } from '@fanout/testkit/cli';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLIENT = 'scenarios/test/python/fanout_client.py';
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

const hasPython = spawnSync('python3', ['--version']).status === 0;
const hasCurl = spawnSync('curl', ['--version']).status === 0;

interface Sim {
  endpoints: Record<string, string>;
  control: string;
  stop(): Promise<{ code: number | null; output: string }>;
}

/** Start `fanout sim <system> … --json` and read its one JSON line. */
async function startSim(system: string, args: readonly string[]): Promise<Sim> {
  const child = spawn(process.execPath, [...FANOUT_NODE_ARGS, 'sim', system, ...args, '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  children.push(child);
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    void exited.then((code) => reject(new Error(`fanout sim ${system} exited ${code}:\n${out}${err}`)));
  });
  const info = JSON.parse(line) as { endpoints: Record<string, string>; control: string };
  return {
    ...info,
    stop: async () => {
      child.kill('SIGTERM');
      return { code: await exited, output: out + err };
    },
  };
}

/** Run the Python client; returns its JSON answer. */
function python(...args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync('python3', [CLIENT, ...args], { cwd: ROOT, encoding: 'utf8' })) as Record<
    string,
    unknown
  >;
}

/** The docs' curl command (falls back to fetch where curl is missing). */
async function control(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  if (hasCurl) {
    const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '-X', method, `${base}${path}`];
    if (body !== undefined) args.push('-d', JSON.stringify(body));
    const out = execFileSync('curl', args, { encoding: 'utf8' }).trimEnd().split('\n');
    return { status: Number(out.pop()), text: out.join('\n') };
  }
  const r = await fetch(`${base}${path}`, {
    method,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: r.status, text: await r.text() };
}

const port = (url: string): string => new URL(url).port;

describe.skipIf(!hasPython)('a Python client against fanout sim raida and fanout sim hubert', () => {
  test('RAIDA echo over UDP; a dropRequest rule switched on and off through the control API', async () => {
    const sim = await startSim('raida', [
      '--port-base',
      '0',
      '--coins',
      '0',
      '--out',
      '.fanout/python-coins.json',
    ]);
    try {
      const p3 = port(sim.endpoints['raida-3']!);
      expect(python('raida-echo', '127.0.0.1', p3, '3')).toEqual({
        raida: 3,
        status: 250,
        echo_matches: true,
        signed: true,
      });
      // The real server's answer to a request for another RAIDA id: status 3, no signature.
      expect(python('raida-echo', '127.0.0.1', p3, '4')).toMatchObject({ status: 3, signed: false });

      const added = await control(sim.control, 'POST', '/rules', {
        fault: 'dropRequest',
        targets: ['raida-3'],
      });
      expect(added.status).toBe(201);
      const { id } = JSON.parse(added.text) as { id: number };
      expect(python('raida-echo', '127.0.0.1', p3, '3', '0.5')).toEqual({ timeout: true });
      expect(python('raida-echo', '127.0.0.1', port(sim.endpoints['raida-4']!), '4')).toMatchObject({
        status: 250,
      });
      expect(JSON.parse((await control(sim.control, 'GET', '/rules')).text)).toEqual({
        rules: [{ id, rule: { fault: 'dropRequest', targets: ['raida-3'], probability: 1 } }],
      });
      expect((await control(sim.control, 'DELETE', `/rules/${id}`)).status).toBe(204);
      expect(python('raida-echo', '127.0.0.1', p3, '3')).toMatchObject({ status: 250 });
    } finally {
      const stopped = await sim.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.output).toMatch(/stopped after 4 request\(s\)\./);
    }
  }, 60_000);

  test('Hubert put/get over HTTP; a forced 503 switched on through the control API, then reset', async () => {
    const sim = await startSim('hubert', []);
    try {
      const url = sim.endpoints['hubert']!;
      const rnd = rngBytesFn(createRng(3).fork('python'));
      const arid = aridToUr(newArid(rnd));
      const envelope = envelopeToUr(Uint8Array.of(0xd8, 0xc8, 0x64, 0x68, 0x69)); // a small CBOR envelope
      expect(python('hubert-put', url, arid, envelope)).toEqual({ status: 200, body: 'OK' });
      expect(python('hubert-get', url, arid)).toEqual({ status: 200, body: envelope });

      expect(
        (
          await control(sim.control, 'POST', '/rules', {
            fault: 'forceStatus',
            targets: ['hubert'],
            status: 503,
          })
        ).status,
      ).toBe(201);
      expect(python('hubert-get', url, arid)).toMatchObject({ status: 503 });
      expect((await control(sim.control, 'POST', '/reset')).status).toBe(204);
      expect(python('hubert-get', url, arid)).toEqual({ status: 200, body: envelope });
      // Write-once: a second put to the same ARID is refused as upstream does.
      expect(python('hubert-put', url, arid, envelope)).toMatchObject({ status: 409 });
    } finally {
      const stopped = await sim.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.output).toMatch(/stopped after \d+ request\(s\)\./);
    }
  }, 60_000);
});
