/**
 * Reliability and recent-performance scores (0..1), updated from each node's outcome in a round
 * as exponential moving averages (the seed's "node reliability scoring"; the update rule is this
 * package's, documented here):
 *
 *   reliability' = decay · reliability + (1 − decay) · signal(outcome)
 *   performance' = decay · performance + (1 − decay) · speed     (speed = 1 − duration / taskTimeout
 *                                                                  for an update in time, else 0)
 *
 * signal: on time → `onTime` (1), late (timed out) → `late` (0.25), failed → `failed` (0),
 * Byzantine → `byzantine` (0) and then × (1 − slashingRate). A node cancelled because the round
 * already had enough updates is not scored (it did nothing wrong).
 */
import type { CoordinatorConfig } from './config.js';

/** How a node did in a round, for scoring. */
export type ScoredOutcome = 'on-time' | 'late' | 'failed' | 'byzantine' | 'not-scored';

/** A node's two scores. */
export interface Scores {
  readonly reliability: number;
  readonly performance: number;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * The scores after one outcome (see the module docstring).
 * @param durationMs how long the node took (ms, virtual in sim); used for 'on-time' only
 * @param taskTimeoutMs the round's per-node timeout, ms
 */
export function nextScores(
  prev: Scores,
  outcome: ScoredOutcome,
  config: Pick<CoordinatorConfig, 'reliability' | 'economics'>,
  durationMs: number,
  taskTimeoutMs: number,
): Scores {
  if (outcome === 'not-scored') return prev;
  const { decay } = config.reliability;
  const signal =
    outcome === 'on-time'
      ? config.reliability.onTime
      : outcome === 'late'
        ? config.reliability.late
        : outcome === 'failed'
          ? config.reliability.failed
          : config.reliability.byzantine;
  let reliability = decay * prev.reliability + (1 - decay) * signal;
  if (outcome === 'byzantine') reliability *= 1 - config.economics.slashingRate;
  const speed = outcome === 'on-time' ? clamp01(1 - durationMs / taskTimeoutMs) : 0;
  const performance = decay * prev.performance + (1 - decay) * speed;
  return { reliability: clamp01(reliability), performance: clamp01(performance) };
}
