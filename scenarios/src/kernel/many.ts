/**
 * Many runs of one scenario: consecutive seeds (optionally one shard of them), statistics kept
 * online (latency percentiles from a compact array of numbers, counts, the baseline speedups),
 * replay and trace files written for violating runs only, and no run's result or trace kept
 * after its callback returned — memory stays flat however many runs there are. Runs keep only
 * their trace hash, not its lines; a violating sim run is run again to keep them (see
 * {@link withTraceLines}), and a re-run whose trace hash differs is a 'deterministic' failure.
 */
import type { FaultPlan, FaultPlanInput } from '@fanout/sim';
import type { Scenario } from './define.js';
import { saveRun } from './io/replay-files.js';
import { KERNEL_CHECKS, runScenario, type RunOptions } from './run.js';
import type { Mode, RunResult, ScenarioEvent } from './types.js';

/** Which runs also run the sequential baseline twin. */
export type BaselinePolicy = 'none' | 'sample' | 'all';

/** With the 'sample' policy, run k has a twin when k % BASELINE_SAMPLE_EVERY === 0. */
export const BASELINE_SAMPLE_EVERY = 10;

/** One shard of the seed space: runs k with k % count === index − 1 (index is 1-based). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** One violated guarantee of one run. */
export interface Failure {
  readonly seed: number;
  readonly guarantee: string;
  readonly detail: string;
  readonly replayFile?: string;
  readonly traceFile?: string;
}

/** Options of {@link runMany}. */
export interface RunManyOptions {
  readonly mode?: Mode;
  /** Seed of run 0; run k uses seed + k (mod 2^32). */
  readonly seed: number;
  /** Number of runs (before sharding). */
  readonly runs: number;
  readonly options?: Readonly<Record<string, unknown>>;
  /** Every run uses this plan instead of its seed's (`--plan`). */
  readonly plan?: FaultPlan | FaultPlanInput;
  /** Default 'sample' (every {@link BASELINE_SAMPLE_EVERY}th run, sim only). */
  readonly baseline?: BaselinePolicy;
  /** Run only this shard of the runs. */
  readonly shard?: Shard;
  /** Run exactly these run indexes (0-based, before sharding; a worker's share of --jobs). */
  readonly indexes?: readonly number[];
  /** Keep every run's decision latency and speedup in `samples`, so summaries can be merged. */
  readonly keepSamples?: boolean;
  /** Folder for replay/trace files of violating runs (default '.fanout/replays'); false: none. */
  readonly replayDir?: string | false;
  /** Failures kept in the summary (default 20); the count covers all. */
  readonly keepFailures?: number;
  /** Called after each run with its result (the runner drops it afterwards). */
  readonly onRun?: (run: {
    readonly index: number;
    readonly result: RunResult;
    readonly failures: readonly Failure[];
  }) => void;
  readonly onEvent?: (event: ScenarioEvent) => void;
  readonly signal?: AbortSignal;
  /** Wall-clock reader for runs per second (injected; default none). */
  readonly wallNow?: () => number;
}

/** What many runs of one scenario add up to. */
export interface Summary {
  readonly scenario: string;
  readonly mode: Mode;
  /** Runs made (this shard's). */
  readonly runs: number;
  readonly firstSeed: number;
  readonly shard?: Shard;
  /** Runs in which every guarantee held / some did not. */
  readonly runsHeld: number;
  readonly runsViolated: number;
  /** Guarantee checks that held / were violated, over all runs. */
  readonly checksHeld: number;
  readonly checksViolated: number;
  /** Decision latency percentiles over the runs, ms on the world's clock (0 runs: 0). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Median of (sequential twin ÷ run) over the runs that had a twin; undefined without any. */
  readonly speedup: number | undefined;
  readonly baselineRuns: number;
  /** The first failures (see keepFailures) and how many there were in all. */
  readonly failures: readonly Failure[];
  readonly failureCount: number;
  /** Wall time of all runs, ms (0 without a wall clock). */
  readonly wallMs: number;
  /** Every run's latency and speedup, sorted (with `keepSamples`), for {@link mergeSummaries}. */
  readonly samples?: { readonly latencyMs: readonly number[]; readonly speedups: readonly number[] };
}

/** Nearest-rank percentile of the first `n` values (0 < p ≤ 100); 0 for none. */
export function percentileOf(values: Float64Array, n: number, p: number): number {
  if (n === 0) return 0;
  const s = values.slice(0, n).sort();
  return s[Math.max(1, Math.ceil((p / 100) * n)) - 1]!;
}

/** Whether run k (0-based, before sharding) gets a baseline twin under `policy`. */
export function hasBaseline(policy: BaselinePolicy, k: number): boolean {
  return policy === 'all' || (policy === 'sample' && k % BASELINE_SAMPLE_EVERY === 0);
}

/** The run indexes (0-based) of `shard` among `runs` runs. */
export function shardRuns(runs: number, shard: Shard | undefined): number[] {
  const out: number[] = [];
  for (let k = 0; k < runs; k++) if (shard === undefined || k % shard.count === shard.index - 1) out.push(k);
  return out;
}

/**
 * Run `scenario` for consecutive seeds (see the module docstring). Options and the plan are
 * validated before the first run.
 * @throws OptionsError / FaultPlanError for bad options or a bad plan; the fs error when a replay
 *   file cannot be written.
 */
export async function runMany(scenario: Scenario, o: RunManyOptions): Promise<Summary> {
  const mode = o.mode ?? 'sim';
  const wallNow = o.wallNow ?? (() => 0);
  const policy = mode === 'sim' ? (o.baseline ?? 'sample') : (o.baseline ?? 'none');
  const keep = o.keepFailures ?? 20;
  const indexes = o.indexes ?? shardRuns(o.runs, o.shard);
  const latencies = new Float64Array(indexes.length);
  const speedups = new Float64Array(indexes.length);
  let nLat = 0;
  let nSpeed = 0;
  let runsHeld = 0;
  let checksHeld = 0;
  let checksViolated = 0;
  let failureCount = 0;
  let made = 0;
  const failures: Failure[] = [];
  const t0 = wallNow();
  for (const k of indexes) {
    const seed = (o.seed + k) >>> 0;
    const given: RunOptions = {
      seed,
      mode,
      ...(o.options !== undefined && { options: o.options }),
      ...(o.plan !== undefined && { plan: o.plan }),
      ...(o.signal !== undefined && { signal: o.signal }),
      wallNow,
    };
    const first = await runScenario(scenario, {
      ...given,
      baseline: hasBaseline(policy, k),
      ...(o.onEvent !== undefined && { onEvent: o.onEvent }),
      traceLines: false,
    });
    made++;
    let result = first;
    if (Number.isFinite(result.latencyMs)) latencies[nLat++] = result.latencyMs;
    if (result.sequentialMs !== undefined && result.latencyMs > 0)
      speedups[nSpeed++] = result.sequentialMs / result.latencyMs;
    const bad = result.guarantees.filter((g) => !g.held);
    checksHeld += result.guarantees.length - bad.length;
    checksViolated += bad.length;
    const runFailures: Failure[] = [];
    if (bad.length === 0) runsHeld++;
    else {
      result = await withTraceLines(scenario, given, first);
      const files = o.replayDir === false ? undefined : saveRun(o.replayDir ?? '.fanout/replays', result);
      const found = bad.map((g) => ({ guarantee: g.name, detail: g.detail ?? '' }));
      if (result.traceHash !== first.traceHash)
        found.push({
          guarantee: KERNEL_CHECKS.deterministic,
          detail: `the run gave trace hash ${first.traceHash}, the same seed run again for its trace file ${result.traceHash}`,
        });
      for (const g of found) {
        const f: Failure = {
          seed,
          ...g,
          ...(files !== undefined && { replayFile: files.replayFile }),
          ...(files?.traceFile !== undefined && { traceFile: files.traceFile }),
        };
        runFailures.push(f);
        failureCount++;
        if (failures.length < keep) failures.push(f);
      }
    }
    o.onRun?.({ index: k, result, failures: runFailures });
    if (o.signal?.aborted === true) break;
  }
  return {
    scenario: scenario.name,
    mode,
    runs: made,
    firstSeed: o.seed >>> 0,
    ...(o.shard !== undefined && { shard: o.shard }),
    runsHeld,
    runsViolated: made - runsHeld,
    checksHeld,
    checksViolated,
    p50Ms: percentileOf(latencies, nLat, 50),
    p99Ms: percentileOf(latencies, nLat, 99),
    speedup: nSpeed > 0 ? percentileOf(speedups, nSpeed, 50) : undefined,
    baselineRuns: nSpeed,
    failures,
    failureCount,
    wallMs: wallNow() - t0,
    ...(o.keepSamples === true && {
      samples: {
        latencyMs: [...latencies.slice(0, nLat).sort()],
        speedups: [...speedups.slice(0, nSpeed).sort()],
      },
    }),
  };
}

/**
 * The result of a violating run with its trace lines: runMany's runs keep only the trace hash
 * (memory: a run's lines are most of what it holds), so a sim run that violated is run again,
 * same seed, plan and options, with its lines kept and without the baseline twin (which never
 * touches the trace). Its trace hash must be the first run's; the caller reports it when not.
 * Runs without a trace (live), or interrupted by the signal, are returned as they are.
 * @returns the re-run's result, with the first run's `sequentialMs` when it had a twin
 * @param given the options `first` was run with (baseline, onEvent and traceLines are ignored)
 * @throws what {@link runScenario} throws
 */
export async function withTraceLines(
  scenario: Scenario,
  given: RunOptions,
  first: RunResult,
): Promise<RunResult> {
  if (first.trace === undefined || given.signal?.aborted === true) return first;
  const { baseline: _b, onEvent: _e, traceLines: _t, ...same } = given;
  const again = await runScenario(scenario, same);
  // The twin's figure stays the first run's (the re-run has none).
  return first.sequentialMs === undefined ? again : { ...again, sequentialMs: first.sequentialMs };
}

/** A summary was not mergeable (no samples, or another scenario/mode/first seed). */
export class SummaryMergeError extends Error {
  override readonly name = 'SummaryMergeError';
}

/**
 * Merge summaries of disjoint parts of one scenario's runs (worker shares of --jobs, or shards
 * run on several machines): counts add up, percentiles and the speedup are recomputed from the
 * merged samples, failures are ordered by run (seed − first seed, mod 2^32) and cut to `keep`.
 * The result is the same whatever the split. `wallMs` is the caller's (the parts ran at once).
 * @throws SummaryMergeError for no parts, parts without samples, or parts of different
 *   scenarios, modes or first seeds.
 */
export function mergeSummaries(parts: readonly Summary[], wallMs: number, keep = 20): Summary {
  const first = parts[0];
  if (first === undefined) throw new SummaryMergeError('nothing to merge');
  for (const p of parts) {
    if (p.samples === undefined)
      throw new SummaryMergeError(`${p.scenario}: a part has no samples (keepSamples)`);
    if (p.scenario !== first.scenario || p.mode !== first.mode || p.firstSeed !== first.firstSeed)
      throw new SummaryMergeError(
        `cannot merge ${p.scenario}/${p.mode}/${p.firstSeed} into ${first.scenario}/${first.mode}/${first.firstSeed}`,
      );
  }
  const latencyMs = Float64Array.from(parts.flatMap((p) => p.samples!.latencyMs));
  const speedups = Float64Array.from(parts.flatMap((p) => p.samples!.speedups));
  const sum = (f: (s: Summary) => number): number => parts.reduce((a, p) => a + f(p), 0);
  const order = (s: number): number => (s - first.firstSeed) >>> 0;
  const failures = parts
    .flatMap((p) => p.failures)
    .sort((a, b) => order(a.seed) - order(b.seed)) // stable: a run's failures stay in declaration order
    .slice(0, keep);
  return {
    scenario: first.scenario,
    mode: first.mode,
    runs: sum((p) => p.runs),
    firstSeed: first.firstSeed,
    runsHeld: sum((p) => p.runsHeld),
    runsViolated: sum((p) => p.runsViolated),
    checksHeld: sum((p) => p.checksHeld),
    checksViolated: sum((p) => p.checksViolated),
    p50Ms: percentileOf(latencyMs, latencyMs.length, 50),
    p99Ms: percentileOf(latencyMs, latencyMs.length, 99),
    speedup: speedups.length > 0 ? percentileOf(speedups, speedups.length, 50) : undefined,
    baselineRuns: speedups.length,
    failures,
    failureCount: sum((p) => p.failureCount),
    wallMs,
    samples: { latencyMs: [...latencyMs.sort()], speedups: [...speedups.sort()] },
  };
}
