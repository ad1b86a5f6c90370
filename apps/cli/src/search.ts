/**
 * The seed search of `fanout run --until-failure`: (scenario, seed) runs in a fixed order — each
 * seed of the stream, every listed scenario per seed — until the first violation, the wall-clock
 * budget, --runs or an interrupt. In this process ({@link searchHere}), or in batches over the
 * worker processes of `--jobs N` ({@link searchPooled}), which finds the same first violation after
 * the same number of runs: batches are cut from the same order, and their results are taken in
 * that order, so a violation in a later batch waits for every earlier batch to come back clean.
 */
import type { FaultPlan, Rng } from '@fanout/sim';
import pc from 'picocolors';
import {
  runScenario,
  withTraceLines,
  type RunOptions,
  type RunResult,
  type Scenario,
} from '@fanout/scenarios';
import type { Env } from './env.js';
import type { RunPool } from './pool.js';
import type { ProbeRun } from './worker.js';

/** What the search is given (the run command's flags, resolved). */
export interface SearchFlags {
  /** Wall-clock budget, ms. */
  readonly budgetMs: number;
  /** Stop after this many runs too (--runs). */
  readonly runs?: number;
  readonly quiet?: boolean;
}

/** The search's end: the first violating run, or none (budget, --runs or interrupt). */
export type SearchEnd =
  | {
      readonly made: number;
      readonly scenario: Scenario;
      readonly given: RunOptions;
      /** The violating run, run again here for its trace lines. */
      readonly result: RunResult;
      /** The trace hash the violating run had where it first ran (its lane, or here). */
      readonly firstHash: string | undefined;
    }
  | { readonly made: number; readonly scenario?: undefined };

/** One run of the search order. */
interface Pair {
  readonly scenario: Scenario;
  readonly seed: number;
}

/** Lazily the search order: each seed drawn from `seeds`, then every scenario of `list` for it. */
function* order(list: readonly Scenario[], seeds: Rng): Generator<Pair> {
  for (;;) {
    const seed = seeds.nextU32();
    for (const scenario of list) yield { scenario, seed };
  }
}

/**
 * The search in this process, one run at a time (the live tier, and `--jobs 1`).
 * `given(scenario, seed)` builds a run's options (mode, --set, plan, signal).
 */
export async function searchHere(
  env: Env,
  list: readonly Scenario[],
  seeds: Rng,
  flags: SearchFlags,
  given: (scenario: Scenario, seed: number) => RunOptions,
): Promise<SearchEnd> {
  const t0 = env.now();
  let made = 0;
  const spent = (): boolean =>
    env.now() - t0 >= flags.budgetMs ||
    (flags.runs !== undefined && made >= flags.runs) ||
    env.signal.aborted;
  for (const { scenario, seed } of order(list, seeds)) {
    if (spent()) break;
    // Seeds that hold keep only their trace hash; a violating one is run again for its lines.
    const first = await runScenario(scenario, { ...given(scenario, seed), traceLines: false });
    made++;
    if (logRun(env, flags, scenario.name, seed, first.held, violatedOf(first))) continue;
    const opts = given(scenario, seed);
    const result = await withTraceLines(scenario, opts, first);
    return { made, scenario, given: opts, result, firstHash: first.traceHash };
  }
  return { made };
}

/** Wall time a batch is cut to take in its lane, ms (from the runs per second measured so far). */
const BATCH_MS = 250;
/** Runs in the first batch of a search (before any rate is known). */
const FIRST_BATCH = 4;

/**
 * The search over the pool's lanes (sim only): the order is cut into batches of about
 * {@link BATCH_MS} of runs each (sized from the rate the lanes report), at most two batches per
 * lane (the pool's `jobs`) are out at a time, and results are taken in order. No batch is sent
 * once the budget or --runs is reached, and the batches out then are still taken (so --runs is
 * exact); after an interrupt the search ends with the batch it is taking.
 * The violating run is run again here for its trace lines.
 * @throws what a lane threw (an internal error).
 */
export async function searchPooled(
  env: Env,
  list: readonly Scenario[],
  seeds: Rng,
  flags: SearchFlags & {
    readonly config: string | undefined;
    readonly plan?: FaultPlan;
  },
  pool: RunPool,
  given: (scenario: Scenario, seed: number) => RunOptions,
): Promise<SearchEnd> {
  const t0 = env.now();
  const pairs = order(list, seeds);
  const options = Object.fromEntries(list.map((s) => [s.name, { ...given(s, 0).options }]));
  const out: { pairs: Pair[]; result: Promise<{ runs: readonly ProbeRun[]; wallMs: number }> }[] = [];
  let sent = 0;
  let size = FIRST_BATCH;
  const spent = (): boolean =>
    env.now() - t0 >= flags.budgetMs ||
    (flags.runs !== undefined && sent >= flags.runs) ||
    env.signal.aborted;
  const send = (): void => {
    while (out.length < 2 * pool.jobs && !spent()) {
      const count = flags.runs === undefined ? size : Math.min(size, flags.runs - sent);
      const batch = Array.from({ length: count }, () => pairs.next().value as Pair);
      sent += count;
      const result = pool.probe({
        cwd: process.cwd(),
        config: flags.config,
        runs: batch.map((p) => ({ scenario: p.scenario.name, seed: p.seed })),
        options,
        plan: flags.plan,
      });
      result.catch(() => undefined); // awaited in order below; not an unhandled rejection meanwhile
      out.push({ pairs: batch, result });
    }
  };
  let made = 0;
  send();
  while (out.length > 0) {
    const { pairs: batch, result } = out.shift()!;
    const r = await result;
    size = Math.max(1, Math.min(10_000, Math.round((r.runs.length / Math.max(r.wallMs, 1)) * BATCH_MS)));
    for (const [k, run] of r.runs.entries()) {
      made++;
      if (logRun(env, flags, run.scenario, run.seed, run.held, run.violated)) continue;
      const scenario = batch[k]!.scenario;
      const opts = given(scenario, run.seed);
      const result = await runScenario(scenario, opts);
      return { made, scenario, given: opts, result, firstHash: run.traceHash };
    }
    if (env.signal.aborted) break;
    send();
  }
  return { made };
}

/** Names of the guarantees a run violated. */
function violatedOf(r: RunResult): string[] {
  return r.guarantees.filter((g) => !g.held).map((g) => g.name);
}

/** Print a run's line (a held one unless --quiet); true when it held. */
function logRun(
  env: Env,
  flags: SearchFlags,
  scenario: string,
  seed: number,
  held: boolean,
  violated: readonly string[],
): boolean {
  if (held) {
    if (!flags.quiet) env.log(`${scenario} seed=${seed} ${pc.green('held')}`);
    return true;
  }
  env.log(`${scenario} seed=${seed} ${pc.red(`VIOLATED ${violated.join(', ')}`)}`);
  return false;
}
