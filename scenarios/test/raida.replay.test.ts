/**
 * The trace hash covers the client's decisions: a deliberately broken client (grading with
 * quorum − 1) is caught by the scenario guarantees, its replay file reproduces the same trace hash
 * and violation, and the correct client replaying that file gets a DIFFERENT hash — only the
 * 'outcome' events differ, so this fails if outcomes are not in the trace.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { gradeVotes, QUORUM, RaidaClient, type Coin, type GradeReport } from '@fanout/raida';
import { Trace } from '@fanout/sim';
import { readReplayFile } from '@fanout/sim/replay';
import {
  createRaidaScenarios,
  quorumBoundary,
  runMany,
  traceFileFor,
  type ScenarioResult,
} from '../src/index.js';

/** Grades every token with quorum − 1: 12 passes and no fail become "authentic". */
class QuorumMinusOneClient extends RaidaClient {
  override async detect(coins: readonly Coin[]): Promise<GradeReport> {
    const r = await super.detect(coins);
    return { ...r, tokens: r.tokens.map((t) => ({ ...t, grade: gradeVotes(t.votes, QUORUM - 1) })) };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fanout-raida-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const violations = (r: ScenarioResult): string =>
  r.guarantees
    .filter((g) => !g.held)
    .map((g) => `${g.name}: ${g.detail ?? ''}`)
    .join('\n');

describe('replay of a broken client (trace hash covers outcomes)', () => {
  const [brokenBoundary] = createRaidaScenarios({ makeClient: (o) => new QuorumMinusOneClient(o) });

  test('runMany reports the violation; the replay reproduces hash and violation; the correct client does not', async () => {
    const report = await runMany(brokenBoundary!, {
      mode: 'sim',
      seed: 1,
      runs: 40,
      replayDir: dir,
      options: { sequential: false },
      wallNow: () => 0,
    });
    const failure = report.failures.find((f) => f.guarantee === 'grades-match-oracle');
    expect(failure, 'quorum − 1 grading must violate grades-match-oracle within 40 seeds').toBeDefined();
    const file = readReplayFile(failure!.replayFile!);
    expect(file.traceHash).toMatch(/^[0-9a-f]{64}$/);
    const ctx = { seed: file.seed, mode: 'sim' as const, plan: file.plan, options: file.options };

    // The broken client, replayed from the file: same hash, same violation.
    const again = await brokenBoundary!.run(ctx);
    expect(again.traceHash).toBe(file.traceHash);
    expect(violations(again)).toBe(file.violation);

    // The correct client on the same seed and plan: same traffic, other grades, other hash.
    const fixed = await quorumBoundary.run(ctx);
    expect(violations(fixed)).toBe('');
    expect(fixed.traceHash).not.toBe(file.traceHash);

    // The trace written next to the replay file is the run's trace (its hash is the file's) and
    // holds the client's grades.
    const jsonl = readFileSync(traceFileFor(failure!.replayFile!), 'utf8');
    expect(Trace.fromJSONL(jsonl).hash()).toBe(file.traceHash);
    const outcome = Trace.fromJSONL(jsonl)
      .events()
      .find((e) => e.kind === 'outcome');
    expect(outcome).toMatchObject({ step: 'detect' });
    expect((outcome!['grades'] as string[]).length).toBeGreaterThan(0);
  });
});
