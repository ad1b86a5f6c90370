/**
 * Each guarantee catches a deliberately broken coordinator built through the scenarios' test seams
 * (the oracle keeps the scenario's own options): commits from fewer than minNodesForRound, FedAvg
 * instead of the robust rule, waits for every trainer, never expires nodes. (Counting a replayed
 * update cannot be configured; it was checked by breaking @fanout/prime's checkUpdate by hand.)
 */
import { describe, expect, test } from 'vitest';
import { runMany, type Scenario } from '../../src/kernel/index.js';
import { broken } from './helpers.js';

/** Guarantees violated over `runs` seeds of `s`. */
async function violations(
  s: Scenario,
  runs: number,
  options: Record<string, unknown> = {},
): Promise<Set<string>> {
  const summary = await runMany(s, {
    seed: 1,
    runs,
    options,
    replayDir: false,
    baseline: 'none',
    keepFailures: 1000,
  });
  return new Set(summary.failures.map((f) => f.guarantee));
}

describe('a broken coordinator is caught', () => {
  test('commits from fewer than minNodesForRound (minNodesForRound 1) → commits-iff-quorum, never-from-fewer', async () => {
    const v = await violations(
      broken('prime.round-quorum', { configure: (c) => ({ ...c, minNodesForRound: 1 }) }),
      20,
    );
    expect(v).toContain('commits-iff-quorum');
    expect(v).toContain('never-from-fewer');
  });

  test('FedAvg instead of the robust rule → robust-within-bound', async () => {
    const v = await violations(
      broken('prime.byzantine', { configure: (c) => ({ ...c, aggregation: { kind: 'fedavg' } }) }),
      4,
      { byzantine: 2, rounds: 1 },
    );
    expect(v).toContain('robust-within-bound');
  });

  test('waits for every trainer (no early close) → decided-at-needed-fastest, slow-trainer-not-waited-for', async () => {
    const v = await violations(
      broken('prime.no-hol', { roundOptions: (o) => ({ ...o, closeAfter: undefined }) }),
      3,
    );
    expect(v).toContain('decided-at-needed-fastest');
    expect(v).toContain('slow-trainer-not-waited-for');
  });

  test('never expires nodes (a heartbeat timeout of 10⁹ ms) → silent-nodes-expire, inactive-never-selected', async () => {
    const v = await violations(
      broken('prime.heartbeat', { configure: (c) => ({ ...c, heartbeatTimeoutMs: 1e9 }) }),
      3,
    );
    expect(v).toContain('silent-nodes-expire');
    expect(v).toContain('inactive-never-selected');
  });
});
