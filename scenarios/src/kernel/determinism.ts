/**
 * The determinism check, madsim-style: run each seed twice from scratch in sim mode and compare
 * the trace hashes. Any difference means something outside the seed and the virtual clock leaked
 * in (Math.random, Date.now, global timers, iteration over unordered state, state kept between
 * runs).
 */
import type { FaultPlan, FaultPlanInput } from '@fanout/sim';
import type { Scenario } from './define.js';
import { runScenario } from './run.js';

/** What {@link checkDeterminism} compared and found. */
export interface DeterminismReport {
  readonly scenario: string;
  /** Seeds run twice each. */
  readonly seeds: readonly number[];
  /** Seeds whose two runs gave different trace hashes. */
  readonly mismatches: readonly { readonly seed: number; readonly first: string; readonly second: string }[];
}

/** Options of {@link checkDeterminism}. */
export interface DeterminismOptions {
  /** The seeds to run twice. */
  readonly seeds: readonly number[];
  readonly options?: Readonly<Record<string, unknown>>;
  readonly plan?: FaultPlan | FaultPlanInput;
}

/**
 * Run every seed of `o.seeds` twice (sim, no baseline) and compare trace hashes.
 * @returns the seeds compared and the mismatches (empty when deterministic).
 * @throws OptionsError / FaultPlanError for bad options or plan.
 */
export async function checkDeterminism(
  scenario: Scenario,
  o: DeterminismOptions,
): Promise<DeterminismReport> {
  const mismatches: { seed: number; first: string; second: string }[] = [];
  for (const seed of o.seeds) {
    const run = () =>
      runScenario(scenario, {
        seed,
        mode: 'sim',
        ...(o.options !== undefined && { options: o.options }),
        ...(o.plan !== undefined && { plan: o.plan }),
        traceLines: false, // only the hashes are compared
      });
    const first = (await run()).traceHash ?? '';
    const second = (await run()).traceHash ?? '';
    if (first !== second) mismatches.push({ seed, first, second });
  }
  return { scenario: scenario.name, seeds: [...o.seeds], mismatches };
}
