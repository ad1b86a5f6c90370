/**
 * Running scenarios many times: seeds, summaries, replay files, determinism checks.
 */
import { existsSync } from 'node:fs';
import type { Trace } from '@fanout/sim';
import { currentCommit, writeReplayFile, writeTraceFile } from '@fanout/sim/replay';
import {
  percentile,
  type Mode,
  type Scenario,
  type ScenarioEvent,
  type ScenarioResult,
  type ScenarioSummary,
} from './framework.js';

/**
 * A {@link ScenarioResult} that also hands over its run's trace (sim mode), so the runner can
 * write it as JSON Lines next to a violating run's replay file. Scenarios that do not attach one
 * simply get no trace file.
 */
export interface TracedScenarioResult extends ScenarioResult {
  /** The whole trace of the run (uncapped, enabled), whose hash is `traceHash`. */
  readonly trace?: Trace;
}

/** The trace attached to a result, if any (see {@link TracedScenarioResult}). */
export function traceOf(result: ScenarioResult): Trace | undefined {
  const t = (result as TracedScenarioResult).trace;
  return t !== undefined && t.enabled ? t : undefined;
}

/**
 * Where the trace of a replay file lives: `<replayFile minus .json>.trace.jsonl`
 * (e.g. `.fanout/replays/raida.ordering-sim-5.trace.jsonl`).
 */
export function traceFileFor(replayFile: string): string {
  return `${replayFile.replace(/\.json$/, '')}.trace.jsonl`;
}

/** {@link traceFileFor}, or undefined when that file does not exist. */
export function existingTraceFile(replayFile: string): string | undefined {
  const f = traceFileFor(replayFile);
  return existsSync(f) ? f : undefined;
}

export interface RunManyOptions {
  mode: Mode;
  /** Seed of the first run; run k uses seed + k (mod 2^32). */
  seed: number;
  runs: number;
  options?: Record<string, unknown>;
  /** Folder for replay files of violating runs. Default '.fanout/replays'. */
  replayDir?: string;
  onRun?: (run: {
    scenario: string;
    seed: number;
    index: number;
    result: ScenarioResult;
    wallMs: number;
  }) => void;
  onEvent?: (event: ScenarioEvent) => void;
  /** Wall-clock reader for the runs-per-second figure (injected: this module also runs in sim code paths). */
  wallNow: () => number;
}

export interface RunManyReport extends ScenarioSummary {
  /** Wall time for all runs, ms. */
  readonly wallMs: number;
  readonly results: readonly ScenarioResult[];
  /** Seed of results[k]. */
  readonly seeds: readonly number[];
}

/**
 * Run `scenario` `runs` times with consecutive seeds. A run that throws counts as a violation of
 * 'ran-to-completion'. Violations are saved as replay files
 * (`<replayDir>/<scenario>-<mode>-<seed>.json`) and, when the result carries its trace (see
 * {@link TracedScenarioResult}), the trace as JSON Lines next to it ({@link traceFileFor}), whose
 * SHA-256 is the replay file's `traceHash`.
 * @throws the fs error when a replay or trace file cannot be written.
 */
export async function runMany(scenario: Scenario, o: RunManyOptions): Promise<RunManyReport> {
  const latencies: number[] = [];
  const speedups: number[] = [];
  const failures: { seed: number; guarantee: string; detail: string; replayFile?: string }[] = [];
  const results: ScenarioResult[] = [];
  const seeds: number[] = [];
  let held = 0;
  let violated = 0;
  const options = { ...scenario.defaults, ...o.options };
  const wall0 = o.wallNow();
  for (let k = 0; k < o.runs; k++) {
    const seed = (o.seed + k) >>> 0;
    const t0 = o.wallNow();
    let result: ScenarioResult;
    try {
      result = await scenario.run({ seed, mode: o.mode, options, onEvent: o.onEvent });
    } catch (error) {
      violated++;
      failures.push({
        seed,
        guarantee: 'ran-to-completion',
        detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      continue;
    }
    results.push(result);
    seeds.push(seed);
    latencies.push(result.latencyMs);
    if (result.sequentialMs !== undefined && result.latencyMs > 0)
      speedups.push(result.sequentialMs / result.latencyMs);
    const bad = result.guarantees.filter((g) => !g.held);
    held += result.guarantees.length - bad.length;
    violated += bad.length;
    if (bad.length > 0) {
      const replayFile = `${o.replayDir ?? '.fanout/replays'}/${scenario.name}-${o.mode}-${seed}.json`;
      writeReplayFile(replayFile, {
        version: 1,
        scenario: scenario.name,
        seed,
        plan: result.plan,
        options: { ...options, mode: o.mode },
        commit: currentCommit(),
        traceHash: result.traceHash,
        violation: bad.map((g) => `${g.name}: ${g.detail ?? ''}`).join('\n'),
      });
      const trace = traceOf(result);
      if (trace !== undefined) writeTraceFile(traceFileFor(replayFile), trace);
      for (const g of bad) failures.push({ seed, guarantee: g.name, detail: g.detail ?? '', replayFile });
    }
    o.onRun?.({ scenario: scenario.name, seed, index: k, result, wallMs: o.wallNow() - t0 });
  }
  return {
    scenario: scenario.name,
    mode: o.mode,
    runs: o.runs,
    held,
    violated,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    speedup: speedups.length > 0 ? percentile(speedups, 50) : undefined,
    failures,
    wallMs: o.wallNow() - wall0,
    results,
    seeds,
  };
}
