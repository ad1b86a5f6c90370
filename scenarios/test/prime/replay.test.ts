/**
 * Replay and trace files for Prime. A deliberately broken coordinator (minNodesForRound 1, while
 * the scenario asks for 5) violates prime.round-quorum; its replay file reproduces the same trace
 * hash and violation; the trace file next to it is that run's trace and holds the coordinator's
 * decisions; and the correct coordinator replaying the file gets a different hash. Every scenario's
 * replay file reproduces its run's hash.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Trace } from '@fanout/sim';
import { loadReplay, runMany, runScenario, traceFileFor, type RunResult } from '../../src/kernel/index.js';
import { primeScenarios } from '../../src/prime/scenarios.js';
import { broken, scenario } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'fanout-prime-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const violations = (r: RunResult): string =>
  r.guarantees
    .filter((g) => !g.held)
    .map((g) => `${g.name}: ${g.detail ?? ''}`)
    .join('\n');

describe('replay and trace files', () => {
  test('a violating run of a broken coordinator: the replay file reproduces its hash and violation; the fixed one differs', async () => {
    const bad = broken('prime.round-quorum', { configure: (c) => ({ ...c, minNodesForRound: 1 }) });
    const summary = await runMany(bad, { seed: 1, runs: 20, replayDir: dir, baseline: 'none' });
    const failure = summary.failures.find((f) => f.guarantee === 'commits-iff-quorum');
    expect(failure, 'minNodesForRound 1 must violate commits-iff-quorum within 20 seeds').toBeDefined();
    const { file, mode, options } = loadReplay(failure!.replayFile!);
    expect(file.traceHash).toMatch(/^[0-9a-f]{64}$/);
    const again = await runScenario(bad, { seed: file.seed, mode, plan: file.plan, options });
    expect(again.traceHash).toBe(file.traceHash);
    expect(violations(again)).toBe(file.violation);

    const fixed = await runScenario(scenario('prime.round-quorum'), {
      seed: file.seed,
      mode,
      plan: file.plan,
      options,
    });
    expect(violations(fixed)).toBe('');
    expect(fixed.traceHash).not.toBe(file.traceHash);

    expect(failure!.traceFile).toBe(traceFileFor(failure!.replayFile!));
    const trace = Trace.fromJSONL(readFileSync(failure!.traceFile!, 'utf8'));
    expect(trace.hash()).toBe(file.traceHash);
    const outcome = trace.events().find((e) => e.kind === 'outcome');
    expect(outcome).toMatchObject({ step: 'round', status: 'committed' });
  });

  test.each(primeScenarios.map((s) => [s.name, s] as const))(
    '%s: a replay file written for a run reproduces its trace hash',
    async (_n, s) => {
      const flagged = {
        ...s,
        run: async (ctx: Parameters<typeof s.run>[0]) => (await s.run(ctx), ctx.check('x', false)),
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
});
