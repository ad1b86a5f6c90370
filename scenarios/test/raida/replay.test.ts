/**
 * Replay and trace files on the kernel, for RAIDA. A deliberately broken client (grading with
 * quorum − 1) is caught by the scenario's guarantees; its replay file reproduces the same trace
 * hash and violation; the trace file next to it is that run's trace; and the correct client
 * replaying the file gets a DIFFERENT hash — only the 'outcome' events differ, so this fails if
 * decisions are not in the trace.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { gradeVotes, QUORUM, RaidaClient, type Coin, type GradeReport } from '@fanout/raida';
import { Trace } from '@fanout/sim';
import { loadReplay, runMany, runScenario, traceFileFor } from '../../src/kernel/index.js';
import { createRaidaScenarios, raidaScenarios } from '../../src/raida/scenarios.js';

/** Grades every token with quorum − 1: 12 passes and no fail become "authentic". */
class QuorumMinusOneClient extends RaidaClient {
  override async detect(coins: readonly Coin[]): Promise<GradeReport> {
    const r = await super.detect(coins);
    return { ...r, tokens: r.tokens.map((t) => ({ ...t, grade: gradeVotes(t.votes, QUORUM - 1) })) };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fanout-raida-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const violations = (r: { guarantees: readonly { name: string; held: boolean; detail?: string }[] }): string =>
  r.guarantees
    .filter((g) => !g.held)
    .map((g) => `${g.name}: ${g.detail ?? ''}`)
    .join('\n');

describe('replay of a broken client (trace hash covers outcomes)', () => {
  const [brokenBoundary] = createRaidaScenarios({ makeClient: (o) => new QuorumMinusOneClient(o) });
  const boundary = raidaScenarios[0]!;

  test('runMany reports the violation and writes replay + trace files; the replay reproduces hash and violation; the correct client does not', async () => {
    const summary = await runMany(brokenBoundary!, { seed: 1, runs: 40, replayDir: dir, baseline: 'none' });
    const failure = summary.failures.find((f) => f.guarantee === 'grades-match-oracle');
    expect(failure, 'quorum − 1 grading must violate grades-match-oracle within 40 seeds').toBeDefined();
    expect(failure!.detail).toContain('the grading is wrong');
    const { file, mode, options } = loadReplay(failure!.replayFile!);
    expect(mode).toBe('sim');
    expect(file.traceHash).toMatch(/^[0-9a-f]{64}$/);
    const again = await runScenario(brokenBoundary!, { seed: file.seed, mode, plan: file.plan, options });
    expect(again.traceHash).toBe(file.traceHash);
    expect(violations(again)).toBe(file.violation);

    // The correct client on the same seed and plan: same traffic, other grades, other hash.
    const fixed = await runScenario(boundary, { seed: file.seed, mode, plan: file.plan, options });
    expect(violations(fixed)).toBe('');
    expect(fixed.traceHash).not.toBe(file.traceHash);

    // The trace written next to the replay file is the run's trace and holds the client's grades.
    expect(failure!.traceFile).toBe(traceFileFor(failure!.replayFile!));
    const trace = Trace.fromJSONL(readFileSync(failure!.traceFile!, 'utf8'));
    expect(trace.hash()).toBe(file.traceHash);
    const outcome = trace.events().find((e) => e.kind === 'outcome');
    expect(outcome).toMatchObject({ step: 'detect' });
    expect((outcome!['grades'] as string[]).length).toBeGreaterThan(0);
  });

  test.each(raidaScenarios.map((s) => [s.name, s] as const))(
    '%s: a replay file written for a run reproduces its trace hash',
    async (_n, s) => {
      // Force a violation through an undeclared guarantee so the runner writes the files.
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
