/**
 * `fanout sim raida` as a separate process: the real RaidaClient over UDP detects and powns the
 * coins it minted, the run-time fault-control API switches a fault on and off (the client sees
 * it), and SIGTERM stops it cleanly with its request count.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { realClock } from '@fanout/core';
import { openUdpTransport } from '@fanout/core/live';
import { RAIDA_COUNT, RaidaClient, type Coin } from '@fanout/raida';
import { createRng, rngBytesFn } from '@fanout/sim';
import { FANOUT_NODE_ARGS } from '@fanout/testkit/cli';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fanout-sim-raida-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  endpoints: Record<string, string>;
  control: string;
  coins: Coin[];
  stop(): Promise<{ code: number | null; output: string }>;
}

async function startSim(coins: number): Promise<Started> {
  const out = join(dir, 'coins.json');
  const child = spawn(
    process.execPath,
    [
      ...FANOUT_NODE_ARGS,
      'sim',
      'raida',
      '--port-base',
      '0',
      '--coins',
      String(coins),
      '--out',
      out,
      '--json',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      const first = stdout.split('\n')[0]!;
      if (stdout.includes('\n')) resolve(first);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    void exited.then((code) => reject(new Error(`fanout sim raida exited ${code}:\n${stdout}${stderr}`)));
  });
  const info = JSON.parse(line) as { endpoints: Record<string, string>; control: string };
  const minted = JSON.parse(readFileSync(out, 'utf8')) as { den: number; sn: number; ans: string[] }[];
  return {
    ...info,
    coins: minted.map((c) => ({ den: c.den, sn: c.sn, ans: c.ans.map((h) => Buffer.from(h, 'hex')) })),
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      return { code, output: stdout + stderr };
    },
  };
}

describe('fanout sim raida as a separate process, RaidaClient over UDP', () => {
  test('detect, pown, a fault switched on and off through the control API, SIGTERM stops it cleanly', async () => {
    const sim = await startSim(9);
    const transport = await openUdpTransport();
    const addresses = Array.from({ length: RAIDA_COUNT }, (_, i) => {
      const u = new URL(sim.endpoints[`raida-${i}`]!);
      return { host: u.hostname, port: Number(u.port) };
    });
    const client = new RaidaClient({
      clock: realClock,
      transport,
      rng: rngBytesFn(createRng(5).fork('client')),
      addresses,
      timeoutMs: 1000,
      retry: { attempts: 1 },
    });
    let stopped: { code: number | null; output: string } | undefined;
    try {
      const before = await client.detect(sim.coins);
      expect(before.tokens.map((t) => t.grade)).toEqual(Array(9).fill('authentic'));

      // RAIDA 3 stops seeing requests: its vote becomes noReply, the grade stays authentic (24 pass).
      const added = await fetch(`${sim.control}/rules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fault: 'dropRequest', targets: ['raida-3'] }),
      });
      expect(added.status).toBe(201);
      const { id } = (await added.json()) as { id: number };
      const during = await client.detect(sim.coins);
      expect(during.tokens.every((t) => t.votes[3] === 'noReply' && t.grade === 'authentic')).toBe(true);
      // A bad rule is refused with the path that is wrong.
      const bad = await fetch(`${sim.control}/rules`, {
        method: 'POST',
        body: JSON.stringify({ fault: 'dropRequest', probability: 2 }),
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toContain('probability');

      expect((await fetch(`${sim.control}/rules/${id}`, { method: 'DELETE' })).status).toBe(204);
      const after = await client.detect(sim.coins);
      expect(after.tokens.every((t) => t.votes[3] === 'pass')).toBe(true);

      const pans = sim.coins.map((_c, i) =>
        Array.from({ length: RAIDA_COUNT }, (_x, r) =>
          Uint8Array.from({ length: 16 }, (_y, k) => (i * 31 + r * 7 + k) & 0xff),
        ),
      );
      const pown = await client.pown(sim.coins, pans);
      expect(pown.tokens.map((t) => t.grade)).toEqual(Array(9).fill('authentic'));
      expect((await client.detect(sim.coins)).tokens.map((t) => t.grade)).toEqual(
        Array(9).fill('counterfeit'),
      );
    } finally {
      client.close();
      await transport.close();
      stopped = await sim.stop();
    }
    expect(stopped.code).toBe(0);
    // 5 commands × 25 RAIDA, one datagram each, minus RAIDA 3's dropped request.
    expect(stopped.output).toMatch(/stopped after 124 request\(s\)\./);
  }, 60_000);
});
