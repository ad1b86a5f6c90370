/**
 * `fanout shrink REPLAY_FILE [--out FILE] [--max-runs N] [--guarantee NAME]`: minimise a violating
 * run (the kernel's shrinkRun: fewer rules, targets, narrower windows, lower probabilities, smaller
 * options, while the same guarantee stays violated) and write the minimal replay file, with its
 * trace next to it; `fanout replay` of that file reproduces the violation and its trace hash.
 * Prints each simplification and the sizes before and after (rules, targets, options).
 * Exit codes: 0 minimal replay file written; 1 nothing to shrink (the run holds now); 2 unreadable
 * file, unknown scenario or guarantee, a live run, or a bad flag.
 *
 * Also `fanout run … --until-failure [--budget 60s]` ({@link untilFailure}): random seeds until the
 * first violation or the budget, then that run is saved and shrunk the same way.
 */
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import pc from 'picocolors';
import {
  DEFAULT_SHRINK_RUNS,
  NothingToShrinkError,
  ShrinkError,
  commitOnce,
  describeOptions,
  loadReplay,
  ReplayModeError,
  resolveOptions,
  saveRun,
  shrinkRun,
  traceFileFor,
  type Mode,
  type RunOptions,
  type RunResult,
  type Scenario,
  type ShrinkResult,
  type ShrinkSize,
} from '@fanout/scenarios';
import { createRng, type FaultPlan } from '@fanout/sim';
import { ReplayFileError, writeReplayFile, writeTraceFile } from '@fanout/sim/replay';
import { wallNow, type Env } from '../env.js';
import { intArg } from '../flags.js';
import type { SearchEnd } from '../search.js';

/** `n=8, label="y"`: the options that differ from the scenario's defaults, or 'defaults'. */
function optionsText(scenario: Scenario, options: Readonly<Record<string, unknown>>): string {
  const set = describeOptions(scenario.options).filter(
    (o) => options[o.name] !== undefined && JSON.stringify(options[o.name]) !== JSON.stringify(o.default),
  );
  return set.length === 0
    ? 'defaults'
    : set.map((o) => `${o.name}=${JSON.stringify(options[o.name])}`).join(', ');
}

const sizeText = (s: ShrinkSize): string =>
  `${s.rules} rule(s), ${s.targets} target(s) named, ${s.options} option(s) off their default`;

/** The replay file of the minimal run, and its trace next to it (as saveRun writes them). */
function writeMinimal(out: string, r: RunResult): string | undefined {
  writeReplayFile(out, {
    version: 1,
    scenario: r.scenario,
    seed: r.seed,
    mode: r.mode,
    plan: r.plan,
    options: { ...r.options },
    commit: commitOnce(),
    traceHash: r.traceHash,
    violation:
      r.guarantees
        .filter((g) => !g.held)
        .map((g) => `${g.name}: ${g.detail ?? ''}`)
        .join('\n') || undefined,
  });
  if (r.trace === undefined || !r.trace.enabled) return undefined;
  const traceFile = traceFileFor(out);
  writeTraceFile(traceFile, r.trace);
  return traceFile;
}

/** Where the minimal replay of `file` goes by default: `<file minus .json>.min.json`. */
export const minimalFileFor = (file: string): string => `${file.replace(/\.json$/, '')}.min.json`;

interface ShrinkFlags {
  out?: string;
  maxRuns: number;
  guarantee?: string;
}

/** Shrink one saved run of `scenario` and write the minimal replay; returns the exit code. */
async function shrinkSaved(
  env: Env,
  scenario: Scenario,
  file: string,
  run: { seed: number; mode: Mode; plan: FaultPlan; options: Record<string, unknown> },
  flags: ShrinkFlags,
): Promise<number> {
  if (run.mode !== 'sim') {
    env.error(
      pc.red(`shrink: ${file} is a ${run.mode} run; only sim runs are deterministic enough to shrink`),
    );
    return 2;
  }
  env.log(
    `${pc.bold('fanout shrink')} ${file}: ${scenario.name}, seed ${run.seed}` +
      (flags.guarantee === undefined ? '' : `, guarantee ${flags.guarantee}`) +
      `, at most ${flags.maxRuns} run(s)`,
  );
  let r: ShrinkResult;
  try {
    r = await shrinkRun(scenario, {
      seed: run.seed,
      plan: run.plan,
      options: run.options,
      maxRuns: flags.maxRuns,
      ...(flags.guarantee !== undefined && { guarantee: flags.guarantee }),
      signal: env.signal,
      onStep: (s) => env.log(`  run ${s.run} ${pc.cyan(s.pass)}: ${s.change}`),
    });
  } catch (e) {
    if (!(e instanceof ShrinkError)) throw e;
    env.error(pc.red(`shrink: ${e.message}`));
    return e instanceof NothingToShrinkError ? 1 : 2;
  }
  const out = flags.out ?? minimalFileFor(file);
  const traceFile = writeMinimal(out, r.result);
  const bad = r.result.guarantees.find((g) => g.name === r.guarantee)!;
  env.log(`guarantee kept violated: ${pc.red(r.guarantee)}: ${(bad.detail ?? '').split('\n')[0]}`);
  env.log(`before: ${sizeText(r.before)}; options: ${optionsText(scenario, r.initial.options)}`);
  env.log(`after:  ${sizeText(r.after)}; options: ${optionsText(scenario, r.options)}`);
  env.log(
    `${r.steps.length} step(s) in ${r.runs} run(s)` +
      (r.exhausted
        ? pc.yellow(' (stopped by the run budget: --max-runs for more)')
        : ' (no smaller one found)'),
  );
  env.log(`minimal replay file: ${out}`);
  if (traceFile !== undefined) env.log(`trace (JSON Lines): ${traceFile}`);
  env.log(`  ${pc.cyan(`fanout replay ${out}`)}`);
  return 0;
}

async function shrinkFile(env: Env, file: string, flags: ShrinkFlags): Promise<number> {
  let loaded;
  try {
    loaded = loadReplay(file);
  } catch (e) {
    if (e instanceof ReplayFileError || e instanceof ReplayModeError) {
      env.error(pc.red(e.message));
      return 2;
    }
    throw e;
  }
  const { file: r, mode, options } = loaded;
  const scenario = (await (await env.catalog()).pick([r.scenario]).catch(() => [])).find(
    (s) => s.name === r.scenario,
  );
  if (scenario === undefined) {
    env.error(pc.red(`shrink: unknown scenario "${r.scenario}" in ${file}`));
    return 2;
  }
  return shrinkSaved(env, scenario, file, { seed: r.seed, mode, plan: r.plan, options }, flags);
}

/** Register `shrink`. */
export function registerShrink(program: Command, env: Env): void {
  program
    .command('shrink')
    .description(
      'minimise a violating run (replay file): fewer rules, targets, options; write the minimal replay',
    )
    .argument('<file>', 'a replay file (.fanout/replays/<scenario>-sim-<seed>.json)')
    .option('--out <file>', 'where to write the minimal replay file (default: <file>.min.json)')
    .option(
      '--max-runs <n>',
      `most runs the shrink makes (default ${DEFAULT_SHRINK_RUNS})`,
      intArg('--max-runs', 1, 1_000_000),
      DEFAULT_SHRINK_RUNS,
    )
    .option('--guarantee <name>', 'the guarantee to keep violated (default: the first the run violates)')
    .action(async (file: string, flags: ShrinkFlags) => env.exit(await shrinkFile(env, file, flags)));
}

/** What `run --until-failure` needs from the run command's flags. */
export interface UntilFailureFlags {
  readonly mode: Mode;
  /** --seed: the root of the seed stream when `seedGiven`. */
  readonly seed: number;
  readonly seedGiven: boolean;
  /** Wall-clock budget, ms. */
  readonly budgetMs: number;
  /** Stop after this many runs too (--runs). */
  readonly runs?: number;
  readonly plan?: FaultPlan;
  readonly replayDir: string;
  readonly quiet?: boolean;
  /** Worker processes to search on (--jobs; sim only): 1 searches in this process. */
  readonly jobs: number;
  /** The --config file the lanes load (undefined: found from the working directory). */
  readonly config: string | undefined;
}

/**
 * `fanout run … --until-failure`: seeds drawn from `createRng(root).fork('until-failure')` (root:
 * --seed, or a random one, printed so the same search can be run again), every scenario of
 * `list` per seed, until the first violation, the wall-clock budget or --runs; the violating run
 * is saved (replay + trace) and, in sim, shrunk into `<replay>.min.json`. With `jobs` > 1 (sim)
 * the runs are made in batches on that many worker processes; the first violation and the run
 * count before it are the same as in one process (see search.ts).
 * @returns exit code: 1 a violation was found, 0 none within the budget, 130 interrupted.
 * @throws OptionsError for a bad option of a listed scenario (a usage error), before any run.
 */
export async function untilFailure(
  env: Env,
  list: readonly Scenario[],
  flags: UntilFailureFlags,
  optionsOf: (s: Scenario) => Record<string, unknown>,
): Promise<number> {
  // Bad --set values are a usage error here, before any run (a lane would only report them as
  // its own failure).
  for (const s of list) resolveOptions(s, flags.mode, optionsOf(s));
  const root = flags.seedGiven ? flags.seed : randomInt(0, 2 ** 32);
  const seeds = createRng(root).fork('until-failure');
  const lanes = flags.mode === 'sim' && list.length > 0 ? flags.jobs : 1;
  env.log(
    `${pc.bold('fanout run --until-failure')}: ${list.length} scenario(s), mode ${flags.mode}, ` +
      `budget ${flags.budgetMs / 1000} s${flags.runs === undefined ? '' : ` or ${flags.runs} run(s)`}` +
      `${lanes > 1 ? `, ${lanes} worker processes` : ''}; ` +
      `seeds drawn from stream root ${root} (the same search again: --seed ${root})`,
  );
  const t0 = env.now();
  const given = (scenario: Scenario, seed: number): RunOptions => ({
    seed,
    mode: flags.mode,
    options: optionsOf(scenario),
    ...(flags.plan !== undefined && { plan: flags.plan }),
    signal: env.signal,
    wallNow,
  });
  const search = await import('../search.js');
  let end: SearchEnd;
  if (lanes > 1) {
    const pool = new (await import('../pool.js')).RunPool(lanes);
    try {
      end = await search.searchPooled(env, list, seeds, flags, pool, given);
    } finally {
      await pool.close();
    }
  } else end = await search.searchHere(env, list, seeds, flags, given);
  if (end.scenario !== undefined) return violationFound(env, flags, end);
  if (env.signal.aborted) {
    env.log(pc.yellow(`Interrupted after ${end.made} run(s), no violation.`));
    return 130;
  }
  env.log(pc.green(`No violation in ${end.made} run(s) (${((env.now() - t0) / 1000).toFixed(1)} s).`));
  return 0;
}

/** The search's violating run: saved (replay + trace), checked for determinism and, in sim, shrunk. */
async function violationFound(
  env: Env,
  flags: UntilFailureFlags,
  end: Extract<SearchEnd, { scenario: Scenario }>,
): Promise<number> {
  const { result, scenario } = end;
  if (result.traceHash !== end.firstHash)
    env.log(
      pc.red(
        `NOT DETERMINISTIC: seed ${result.seed} gave trace hash ${end.firstHash}, then ${result.traceHash} when run again for its trace file`,
      ),
    );
  const { replayFile, traceFile } = saveRun(flags.replayDir, result);
  env.log(`first violation after ${end.made} run(s): ${pc.cyan(`fanout replay ${replayFile}`)}`);
  if (traceFile !== undefined) env.log(`trace (JSON Lines): ${traceFile}`);
  if (flags.mode === 'sim')
    await shrinkSaved(
      env,
      scenario,
      replayFile,
      { seed: result.seed, mode: 'sim', plan: result.plan, options: { ...result.options } },
      { maxRuns: DEFAULT_SHRINK_RUNS },
    );
  else env.log(pc.dim('(live runs are not shrunk: only sim runs are deterministic)'));
  return 1;
}
