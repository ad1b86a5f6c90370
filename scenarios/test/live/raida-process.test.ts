/**
 * Live tier, separate process: `fanout sim raida` (25 fake RAIDA as real UDP sockets on
 * 127.0.0.1, in its own Node process, as a user starts it for manual testing) and the real
 * RaidaClient in this process talking to it over UDP. Checks what crosses the process boundary:
 * the minted coins file, detect (all authentic), pown (AN := PAN on 13+ RAIDA: the old ANs are
 * then counterfeit, the new ones authentic), and a clean SIGTERM shutdown that reports how many
 * requests it served. No timing assertion.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { openUdpTransport } from '@fanout/core/live';
import { RAIDA_COUNT, RaidaClient, type Coin } from '@fanout/raida';
import { createRng, rngBytesFn } from '@fanout/sim';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fanout-raida-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface SimProcess {
  portBase: number;
  coins: Coin[];
  stop(): Promise<{ code: number | null; output: string }>;
}

/**
 * Start `fanout sim raida` on a free block of 25 ports: a base that is taken makes the command exit 1
 * ("cannot bind"), and the next base is tried.
 */
async function startSim(coins: number): Promise<SimProcess> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const portBase = 20_000 + ((process.pid * 7 + attempt * 131) % 1500) * 25;
    const out = join(dir, `coins-${portBase}.json`);
    const child = spawn(
      process.execPath,
      [
        '--conditions=@fanout/source',
        '--import',
        'tsx',
        'packages/cli/src/main.ts',
        'sim',
        'raida',
        '--port-base',
        String(portBase),
        '--coins',
        String(coins),
        '--out',
        out,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = new Promise<boolean>((resolve) => {
      const feed = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        if (/Ctrl-C to stop/.test(output)) resolve(true);
      };
      child.stdout.on('data', feed);
      child.stderr.on('data', feed);
      void exited.then(() => resolve(false));
    });
    if (!(await ready)) {
      if (/cannot bind/.test(output)) continue;
      throw new Error(`fanout sim raida exited early:\n${output}`);
    }
    const minted = JSON.parse(readFileSync(out, 'utf8')) as { den: number; sn: number; ans: string[] }[];
    return {
      portBase,
      coins: minted.map((c) => ({ den: c.den, sn: c.sn, ans: c.ans.map((h) => Buffer.from(h, 'hex')) })),
      stop: async () => {
        child.kill('SIGTERM');
        const code = await exited;
        return { code, output };
      },
    };
  }
  throw new Error('no free block of 25 UDP ports found for fanout sim raida');
}

describe('fanout sim raida as a separate process, RaidaClient over UDP', () => {
  test('detect grades every minted coin authentic; pown moves them to the PANs; SIGTERM stops it cleanly', async () => {
    const sim = await startSim(9);
    const transport = await openUdpTransport();
    const client = new RaidaClient({
      transport,
      rng: rngBytesFn(createRng(5).fork('client')),
      addresses: Array.from({ length: RAIDA_COUNT }, (_, i) => ({
        host: '127.0.0.1',
        port: sim.portBase + i,
      })),
      timeoutMs: 3000,
    });
    let stopped: { code: number | null; output: string } | undefined;
    try {
      expect(sim.coins).toHaveLength(9);
      const before = await client.detect(sim.coins);
      expect(before.tokens.map((t) => t.grade)).toEqual(Array(9).fill('authentic'));

      const pans = sim.coins.map((_c, i) =>
        Array.from({ length: RAIDA_COUNT }, (_x, r) =>
          Uint8Array.from({ length: 16 }, (_y, k) => (i * 31 + r * 7 + k) & 0xff),
        ),
      );
      const pown = await client.pown(sim.coins, pans);
      expect(pown.tokens.map((t) => t.grade)).toEqual(Array(9).fill('authentic'));

      const moved = sim.coins.map((c, i) => ({ den: c.den, sn: c.sn, ans: pans[i]! }));
      expect((await client.detect(moved)).tokens.map((t) => t.grade)).toEqual(Array(9).fill('authentic'));
      expect((await client.detect(sim.coins)).tokens.map((t) => t.grade)).toEqual(
        Array(9).fill('counterfeit'),
      );
    } finally {
      client.close();
      await transport.close();
      stopped = await sim.stop();
    }
    expect(stopped.code).toBe(0);
    // 4 commands × 25 RAIDA, one datagram each (9 coins fit one datagram).
    expect(stopped.output).toMatch(/stopped after 100 request\(s\)\./);
  });
});
