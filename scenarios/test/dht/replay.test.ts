/**
 * Replay and trace files on the kernel, for the DHT. A deliberately broken client (expiry filter
 * off) is caught by the scenario's guarantees; runMany writes its replay file and `.trace.jsonl`;
 * the trace file's hash is the replay file's traceHash; replaying the file reproduces hash and
 * violation; and the correct client on the same seed and plan gets a DIFFERENT hash — the
 * client's decisions are in the trace. Every scenario's replay file reproduces its hash, also
 * through `fanout replay FILE --trace OUT` in a child process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { Trace } from '@fanout/sim';
import { loadReplay, runMany, runScenario, traceFileFor, type Scenario } from '../../src/kernel/index.js';
import { createDhtScenarios, dhtScenarios } from '../../src/dht/index.js';
import { noExpiryFilter } from './broken.js';
import { violations } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fanout-dht-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Small worlds, so that every scenario replays in seconds. */
const SMALL: Record<string, Record<string, unknown>> = {
  'dht.no-loss': { nodes: 30, contacts: 8 },
  'dht.no-hol': { nodes: 40, contacts: 12 },
  'dht.ordering': { nodes: 30, contacts: 6 },
  'dht.churn-partition': { nodes: 40, contacts: 12 },
  'dht.coalescing': { nodes: 30, contacts: 10 },
};

/** `s` with one extra, undeclared check, so that every run violates and the runner saves it. */
const flagged = (s: Scenario): Scenario => ({
  ...s,
  run: async (ctx) => {
    await s.run(ctx);
    ctx.check('forced-violation', false);
  },
});

describe('replay of a broken client (the trace hash covers the client’s decisions)', () => {
  const [, , , , brokenCoalescing] = createDhtScenarios({ retrieve: noExpiryFilter });
  const coalescing = dhtScenarios.find((s) => s.name === 'dht.coalescing')!;

  test('runMany reports the violation and writes replay + trace files; the replay reproduces hash and violation; the correct client does not', async () => {
    const summary = await runMany(brokenCoalescing!, {
      seed: 1,
      runs: 3,
      replayDir: dir,
      baseline: 'none',
      options: SMALL['dht.coalescing'],
    });
    const failure = summary.failures.find((f) => f.guarantee === 'status-matches-oracle');
    expect(failure, 'the expiry filter off must violate status-matches-oracle within 3 seeds').toBeDefined();
    expect(failure!.detail).toMatch(/expired message\(s\) delivered|expected empty/);
    const { file, mode, options } = loadReplay(failure!.replayFile!);
    expect(mode).toBe('sim');
    expect(file.traceHash).toMatch(/^[0-9a-f]{64}$/);

    // The trace written next to the replay file is the run's trace and holds the client's decisions.
    expect(failure!.traceFile).toBe(traceFileFor(failure!.replayFile!));
    const trace = Trace.fromJSONL(readFileSync(failure!.traceFile!, 'utf8'));
    expect(trace.hash()).toBe(file.traceHash);
    const outcome = trace.events().find((e) => e.kind === 'outcome');
    expect(outcome).toMatchObject({ step: 'retrieve-1' });
    expect((outcome!['contacts'] as string[]).length).toBe(10);

    const again = await runScenario(brokenCoalescing!, { seed: file.seed, mode, plan: file.plan, options });
    expect(again.traceHash).toBe(file.traceHash);
    expect(violations(again)).toBe(file.violation);

    // The correct client on the same seed and plan: the same traffic, other decisions, other hash.
    const fixed = await runScenario(coalescing, { seed: file.seed, mode, plan: file.plan, options });
    expect(violations(fixed)).toBe('');
    expect(fixed.traceHash).not.toBe(file.traceHash);
  });

  test.each(dhtScenarios.map((s) => [s.name, s] as const))(
    '%s: a replay file written for a run reproduces its trace hash',
    async (name, s) => {
      const summary = await runMany(flagged(s), {
        seed: 4242,
        runs: 1,
        replayDir: dir,
        baseline: 'none',
        options: SMALL[name],
      });
      const f = summary.failures.find((x) => x.guarantee === 'declared-guarantees')!;
      expect(summary.failures.map((x) => x.guarantee)).toEqual(['declared-guarantees']);
      const { file, mode, options } = loadReplay(f.replayFile!);
      expect(Trace.fromJSONL(readFileSync(f.traceFile!, 'utf8')).hash()).toBe(file.traceHash);
      const again = await runScenario(s, { seed: file.seed, mode, plan: file.plan, options });
      expect(again.traceHash).toBe(file.traceHash);
    },
  );

  test('fanout replay FILE --trace OUT (child process) reproduces a DHT run’s hash and writes its trace', async () => {
    const s = dhtScenarios.find((x) => x.name === 'dht.churn-partition')!;
    const summary = await runMany(flagged(s), {
      seed: 77,
      runs: 1,
      replayDir: dir,
      baseline: 'none',
      options: SMALL[s.name],
    });
    const file = summary.failures[0]!.replayFile!;
    const out = join(dir, 'replayed.trace.jsonl');
    const child = spawnSync(
      process.execPath,
      [
        '--conditions=@fanout/source',
        '--import',
        'tsx',
        'apps/cli/src/main.ts',
        'replay',
        file,
        '--trace',
        out,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 },
    );
    expect(child.stdout + child.stderr).toContain('trace hash reproduced');
    expect(child.status).toBe(0);
    expect(Trace.fromJSONL(readFileSync(out, 'utf8')).hash()).toBe(loadReplay(file).file.traceHash);
  });
});
