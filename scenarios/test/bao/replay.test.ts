/**
 * Replay and trace files on the kernel, for Bao. A deliberately broken keyring (one that swallows
 * createBatch's partial failures: the same traffic, another decision) is caught by the scenario's
 * guarantees; its replay file reproduces the same trace hash and violation; the trace file next to
 * it is that run's trace; and the correct keyring replaying the file gets a DIFFERENT hash while
 * every network event is the same — so this fails if the client's decisions are not in the trace.
 * The CLI's `fanout replay FILE --trace OUT` reproduces a written file from a child process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { Trace } from '@fanout/sim';
import { loadReplay, runMany, runScenario, traceFileFor, type Scenario } from '../../src/kernel/index.js';
import { baoScenarios, createBaoScenarios } from '../../src/bao/scenarios.js';
import { SilentBatchKeyring, violations } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fanout-bao-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const network = (t: Trace) => t.events().filter((e) => e.kind !== 'outcome');

describe('replay of a broken keyring (the trace hash covers the client’s decisions)', () => {
  const broken = createBaoScenarios({ makeKeyring: (o) => new SilentBatchKeyring(o) })[2]!;
  const correct = baoScenarios[2]!;

  test('runMany reports the violation and writes replay + trace files; the replay reproduces hash and violation; the correct keyring does not', async () => {
    expect(broken.name).toBe('bao.create-batch-faults');
    const summary = await runMany(broken, { seed: 1, runs: 20, replayDir: dir, baseline: 'none' });
    const failure = summary.failures.find((f) => f.guarantee === 'exactly-failed-names-reported');
    expect(
      failure,
      'swallowed failures must violate exactly-failed-names-reported within 20 seeds',
    ).toBeDefined();
    expect(failure!.detail).toMatch(/^reported \[\], the wire says \[.+\]$/);
    const { file, mode, options } = loadReplay(failure!.replayFile!);
    expect(mode).toBe('sim');
    expect(file.traceHash).toMatch(/^[0-9a-f]{64}$/);
    const again = await runScenario(broken, { seed: file.seed, mode, plan: file.plan, options });
    expect(again.traceHash).toBe(file.traceHash);
    expect(violations(again)).toBe(file.violation);

    // The trace written next to the replay file is the run's trace and holds the client's decisions.
    expect(failure!.traceFile).toBe(traceFileFor(failure!.replayFile!));
    const trace = Trace.fromJSONL(readFileSync(failure!.traceFile!, 'utf8'));
    expect(trace.hash()).toBe(file.traceHash);
    expect(trace.events().find((e) => e.kind === 'outcome')).toMatchObject({
      step: 'createBatch',
      failed: [],
    });

    // The correct keyring on the same seed and plan: the same traffic, other decisions, another hash.
    const fixed = await runScenario(correct, { seed: file.seed, mode, plan: file.plan, options });
    expect(violations(fixed)).toBe('');
    expect(fixed.traceHash).not.toBe(file.traceHash);
    expect(network(fixed.trace!)).toEqual(network(trace));
  });

  test.each(baoScenarios.map((s) => [s.name, s] as const))(
    '%s: a replay file written for a run reproduces its trace hash',
    async (_n, s) => {
      // Force a violation through an undeclared guarantee so the runner writes the files.
      const flagged: Scenario = {
        ...s,
        run: async (ctx) => (await s.run(ctx), ctx.check('x', false)),
      };
      const summary = await runMany(flagged, { seed: 4242, runs: 1, replayDir: dir, baseline: 'none' });
      const f = summary.failures[0]!;
      expect(f.guarantee).toBe('declared-guarantees');
      const { file, mode, options } = loadReplay(f.replayFile!);
      expect(Trace.fromJSONL(readFileSync(f.traceFile!, 'utf8')).hash()).toBe(file.traceHash);
      const again = await runScenario(s, { seed: file.seed, mode, plan: file.plan, options });
      expect(again.traceHash).toBe(file.traceHash);
    },
  );

  test('`fanout replay FILE --trace OUT` (a child process) reproduces the hash and writes the same trace', () => {
    const file = join(dir, 'bao.signatures-sim-4242.json');
    const recorded = loadReplay(file).file;
    const out = join(dir, 'replayed.trace.jsonl');
    const r = spawnSync(
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
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 120_000 },
    );
    expect(r.stdout).toContain(`trace hash reproduced: ${recorded.traceHash}`);
    // The production scenario holds every guarantee: only the test's forced 'x' check was violated.
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(Trace.fromJSONL(readFileSync(out, 'utf8')).hash()).toBe(recorded.traceHash);
  }, 120_000);
});
