/**
 * Scenarios: a named workload + fault plan + the guarantees it must keep, runnable in both tiers.
 * `sim`: in-process, virtual time, deterministic (a seed reproduces the trace byte for byte).
 * `live`: real sockets on 127.0.0.1 on wall time; the same plan is applied at the server edge.
 * A scenario declares its guarantees once; both tiers check them.
 */
import type { FanOutEvent } from '@fanout/core';
import type { FaultPlan } from '@fanout/sim';

export type Mode = 'sim' | 'live';

/** One guarantee checked by one run. */
export interface GuaranteeCheck {
  readonly name: string;
  readonly held: boolean;
  /** What went wrong (or a short confirmation), for humans. */
  readonly detail?: string;
}

/** Progress from inside a run, for the CLI's display. */
export type ScenarioEvent =
  { type: 'phase'; name: string } | { type: 'fanout'; command: string; event: FanOutEvent<number, unknown> };

/** What a run is given. */
export interface ScenarioContext {
  readonly seed: number;
  readonly mode: Mode;
  /** Use this plan instead of deriving one from the seed (replay). */
  readonly plan?: FaultPlan;
  /** Scenario-specific options (JSON-serialisable; stored in replay files). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly onEvent?: (event: ScenarioEvent) => void;
}

/** What a run reports. */
export interface ScenarioResult {
  readonly guarantees: readonly GuaranteeCheck[];
  /** Time the client needed for its decision, ms (virtual in sim, wall in live). */
  readonly latencyMs: number;
  /** The same work done one target at a time, ms (sim: measured in virtual time; live: omitted). */
  readonly sequentialMs?: number;
  /** Stable hash of the run's trace (sim only). */
  readonly traceHash?: string;
  /** The plan the run used. */
  readonly plan: FaultPlan;
  /** Free-form facts for the summary (e.g. grades). */
  readonly facts?: Readonly<Record<string, string | number>>;
}

export interface Scenario {
  /** Dotted name, e.g. 'raida.quorum-boundary'. */
  readonly name: string;
  readonly title: string;
  /** Names of the guarantees every run checks. */
  readonly guarantees: readonly string[];
  readonly modes: readonly Mode[];
  /** Default options; the CLI merges user options over them. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /**
   * Runs per mode when the user gives no `--runs` (default 100 in sim, 3 live). Scenarios whose runs
   * are CPU-heavy (real signatures, DKG) set fewer so the main job stays around a minute.
   */
  readonly defaultRuns?: { readonly sim?: number; readonly live?: number };
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** Held/violated counts and latency percentiles over many runs of one scenario. */
export interface ScenarioSummary {
  readonly scenario: string;
  readonly mode: Mode;
  readonly runs: number;
  readonly held: number;
  readonly violated: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Median of sequential/parallel time ratios, when measured. */
  readonly speedup: number | undefined;
  /** Seeds whose run violated a guarantee, with the first violation. */
  readonly failures: readonly { seed: number; guarantee: string; detail: string; replayFile?: string }[];
}

/** Nearest-rank percentile of `xs` (0 < p ≤ 100); NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

/** Build a guarantee check from a condition. */
export function check(name: string, held: boolean, detail?: string): GuaranteeCheck {
  return detail === undefined ? { name, held } : { name, held, detail };
}
