/**
 * `fanout run [scenario…]`: run scenarios for consecutive seeds, print one line per run (or a live
 * board on a TTY), a summary table, and for every violation the command that replays it exactly.
 * Exit 0 when every guarantee held, 1 on any violation, 2 on a usage error.
 * With --until-failure: random seeds until the first violation or --budget, then it is shrunk
 * (commands/shrink.ts).
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import {
  checkDeterminism,
  resolveOptions,
  runMany,
  shardRuns,
  type BaselinePolicy,
  type Mode,
  type Scenario,
  type Shard,
  type Summary,
} from '@fanout/scenarios';
import type { FaultPlan } from '@fanout/sim';
import { parseSeed } from '@fanout/sim';
import { Board } from '../board.js';
import { readPlanFile, wallNow, type Env } from '../env.js';
import { DEFAULT_BUDGET_MS, durationArg, intArg, setArg } from '../flags.js';
import { summaryTable, writeJson, writeJunit, type RunRecord } from '../reports.js';
import type { PooledRun, RunPool } from '../pool.js';

/** Without --events/--no-events, per-event lines are printed (no TTY) for scenarios run at most this often. */
export const EVENTS_AUTO_MAX_RUNS = 3;

/** Seeds per scenario compared by --check-determinism. */
export const DETERMINISM_SEEDS = 20;

interface RunFlags {
  jobs?: number;
  config?: string;
  mode: Mode;
  seed: number;
  runs?: number;
  set?: Record<string, unknown>;
  plan?: FaultPlan;
  baseline?: BaselinePolicy;
  shard?: Shard;
  junit?: string;
  json?: string;
  /** Folder for the HTML reports: one per violating run and index.html. */
  report?: string;
  replayDir: string;
  checkDeterminism?: boolean;
  quiet?: boolean;
  events?: boolean;
  untilFailure?: boolean;
  budget?: number;
  /** Whether --seed was given (else --until-failure draws its seed stream's root at random). */
  seedGiven?: boolean;
}

function shardArg(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count)
    throw new InvalidArgumentError(`--shard must be i/n with 1 <= i <= n, got "${v}"`);
  return { index, count };
}

/** The options of `scenario` the user set with --set, keeping only the keys it declares. */
function optionsFor(scenario: Scenario, set: Record<string, unknown> | undefined): Record<string, unknown> {
  if (set === undefined) return {};
  const keys = Object.keys(scenario.options.shape);
  return Object.fromEntries(Object.entries(set).filter(([k]) => keys.includes(k)));
}

async function runOne(
  env: Env,
  scenario: Scenario,
  flags: RunFlags,
  board: Board,
  records: RunRecord[],
): Promise<Summary> {
  const runs = flags.runs ?? scenario.defaultRuns[flags.mode];
  const perEventLines = !env.interactive && !flags.quiet && (flags.events ?? runs <= EVENTS_AUTO_MAX_RUNS);
  const wantEvents = (env.interactive && !flags.quiet) || perEventLines;
  let done = 0;
  const summary = await runMany(scenario, {
    mode: flags.mode,
    seed: flags.seed,
    runs,
    options: optionsFor(scenario, flags.set),
    ...(flags.plan !== undefined && { plan: flags.plan }),
    ...(flags.baseline !== undefined && { baseline: flags.baseline }),
    ...(flags.shard !== undefined && { shard: flags.shard }),
    replayDir: flags.replayDir,
    keepSamples: true,
    signal: env.signal,
    wallNow,
    ...(wantEvents && {
      onEvent: (e) => {
        if (e.type === 'fanout' && e.event.type === 'started')
          board.title(`${scenario.name} run ${done + 1}/${runs}`);
        board.event(e);
      },
    }),
    onRun: ({ result, failures }) => {
      done++;
      const record: RunRecord = {
        scenario: scenario.name,
        mode: flags.mode,
        seed: result.seed,
        held: result.held,
        latencyMs: result.latencyMs,
        wallMs: result.wallMs,
        failures,
      };
      keepRecord(flags, records, record);
      runLine(
        env,
        flags,
        record,
        result.guarantees
          .filter((g) => !g.held)
          .map((g) => g.name)
          .join(', '),
      );
    },
  });
  board.done();
  return summary;
}

/** The per-run line (no TTY), or nothing (quiet / TTY without a violation). */
function runLine(env: Env, flags: RunFlags, r: RunRecord, names: string): void {
  const status = r.held ? pc.green('held') : pc.red(`VIOLATED ${names}`);
  if (!env.interactive && !flags.quiet)
    env.log(
      `${r.scenario} seed=${r.seed} ${status} decision ${r.latencyMs.toFixed(1)} ms ` +
        `(${r.mode === 'sim' ? 'virtual' : 'wall'}), run ${r.wallMs.toFixed(1)} ms wall`,
    );
  else if (!r.held) env.log(`${r.scenario} seed=${r.seed} ${status}`);
}

/**
 * Submit one scenario's runs to the worker pool (--jobs > 1); {@link finishPooled} prints and
 * merges them.
 * @throws OptionsError for bad options (a usage error), before anything is submitted.
 */
function startPooled(pool: RunPool, scenario: Scenario, flags: RunFlags): PooledRun {
  const runs = flags.runs ?? scenario.defaultRuns[flags.mode];
  resolveOptions(scenario, flags.mode, optionsFor(scenario, flags.set));
  return pool.start(
    {
      cwd: process.cwd(),
      config: flags.config,
      scenario: scenario.name,
      mode: flags.mode,
      seed: flags.seed,
      runs,
      options: optionsFor(scenario, flags.set),
      plan: flags.plan,
      baseline: flags.baseline,
      replayDir: flags.replayDir,
    },
    flags.shard,
  );
}

/** A pooled scenario's run lines in run order (no event board) and its summary (see PooledRun.finish). */
function finishPooled(env: Env, run: PooledRun, flags: RunFlags, records: RunRecord[]): Promise<Summary> {
  return run.finish((share) => {
    for (const r of share.records) {
      keepRecord(flags, records, r);
      runLine(env, flags, r, [...new Set(r.failures.map((f) => f.guarantee))].join(', '));
    }
  });
}

/**
 * Keep a run's record for the reports written after the run: every run when JUnit is asked for (a
 * testcase per run), otherwise only violating runs (HTML report pages), so memory stays flat over
 * many runs (the summary statistics are streamed by the kernel).
 */
function keepRecord(flags: RunFlags, records: RunRecord[], r: RunRecord): void {
  if (flags.junit !== undefined || !r.held) records.push(r);
}

async function determinism(env: Env, list: readonly Scenario[], flags: RunFlags): Promise<number> {
  let mismatched = 0;
  let compared = 0;
  for (const s of list) {
    const seeds = Array.from(
      { length: Math.min(flags.runs ?? DETERMINISM_SEEDS, DETERMINISM_SEEDS) },
      (_, k) => (flags.seed + k) >>> 0,
    );
    const r = await checkDeterminism(s, {
      seeds,
      options: optionsFor(s, flags.set),
      ...(flags.plan !== undefined && { plan: flags.plan }),
    });
    compared += r.seeds.length;
    for (const m of r.mismatches) {
      mismatched++;
      env.log(pc.red(`NOT DETERMINISTIC ${s.name} seed ${m.seed}: trace hash ${m.first} then ${m.second}`));
    }
  }
  const line = `determinism: ${compared} seed(s) over ${list.length} scenario(s) each run twice, trace hashes compared: `;
  env.log(mismatched === 0 ? pc.green(`${line}all identical`) : pc.red(`${line}${mismatched} differ`));
  return mismatched;
}

function printViolations(env: Env, summaries: readonly Summary[]): void {
  const total = summaries.reduce((a, s) => a + s.runsViolated, 0);
  env.log(
    pc.red(
      pc.bold(`\n${total} run(s) violated a guarantee. Reproduce a run exactly with its replay command:`),
    ),
  );
  for (const s of summaries) {
    for (const f of s.failures.slice(0, 5)) {
      env.log(`  ${s.scenario} seed ${f.seed} ${pc.red(f.guarantee)}: ${f.detail.split('\n')[0]}`);
      if (f.replayFile !== undefined) {
        env.log(`    ${pc.cyan(`fanout replay ${f.replayFile}`)}`);
        if (f.traceFile !== undefined) env.log(`    trace (JSON Lines): ${f.traceFile}`);
      } else env.log(`    ${pc.cyan(`fanout run ${s.scenario} --mode ${s.mode} --seed ${f.seed} --runs 1`)}`);
    }
    if (s.failureCount > 5) env.log(`  … and ${s.failureCount - 5} more for ${s.scenario}`);
  }
}

/** The --jobs in force: the flag, else the number of CPUs; 1 in the live tier (its runs share the machine's wall clock). */
function jobsOf(flags: RunFlags): number {
  return flags.mode === 'sim' ? (flags.jobs ?? availableParallelism()) : 1;
}

/** Runs of `s` this invocation makes (this shard's, as the kernel's shardRuns splits them). */
function runsOf(s: Scenario, flags: RunFlags): number {
  return shardRuns(flags.runs ?? s.defaultRuns[flags.mode], flags.shard).length;
}

/**
 * Whether `scenario`'s runs go to the worker pool: with --jobs given, always (sim); else when
 * no progress events are shown (they exist only for runs in this thread: the TTY board, per-event
 * lines) and there is more than one run to share.
 */
function pooled(env: Env, scenario: Scenario, flags: RunFlags): boolean {
  if (jobsOf(flags) <= 1 || runsOf(scenario, flags) === 0) return false;
  if (flags.jobs !== undefined) return true;
  const runs = flags.runs ?? scenario.defaultRuns[flags.mode];
  const showsEvents = !flags.quiet && (env.interactive || (flags.events ?? runs <= EVENTS_AUTO_MAX_RUNS));
  return !showsEvents && runsOf(scenario, flags) > 1;
}

/**
 * Worker processes to start (0: no pool): --jobs, but no more than the most runs a pooled scenario
 * makes — a lane that would get no share is not started (each loads the CLI and a system).
 */
function poolLanes(env: Env, list: readonly Scenario[], flags: RunFlags): number {
  const most = Math.max(0, ...list.filter((s) => pooled(env, s, flags)).map((s) => runsOf(s, flags)));
  return Math.min(jobsOf(flags), most);
}

async function run(env: Env, names: string[], flags: RunFlags): Promise<number> {
  const catalog = await env.catalog();
  const list = (await catalog.pick(names)).filter((s) => s.tiers.includes(flags.mode));
  if (flags.untilFailure === true)
    return (await import('./shrink.js')).untilFailure(
      env,
      list,
      {
        ...flags,
        seedGiven: flags.seedGiven === true,
        budgetMs: flags.budget ?? DEFAULT_BUDGET_MS,
        jobs: jobsOf(flags),
        config: flags.config,
      },
      (s) => optionsFor(s, flags.set),
    );
  const counts = [...new Set(list.map((s) => flags.runs ?? s.defaultRuns[flags.mode]))].sort((a, b) => b - a);
  env.log(
    `${pc.bold('fanout run')}: ${list.length} scenario(s), mode ${flags.mode}, seeds from ${flags.seed}, ${counts.join('/')} run(s) each` +
      (flags.shard ? `, shard ${flags.shard.index}/${flags.shard.count}` : '') +
      (flags.plan ? ', plan from file' : '') +
      (flags.mode === 'sim'
        ? ' (virtual time, deterministic)'
        : ' (real UDP and HTTP sockets on 127.0.0.1, wall time)'),
  );
  const board = await Board.open({
    interactive: env.interactive && !flags.quiet,
    now: wallNow,
    write: (l) => env.log(l),
  });
  const summaries: Summary[] = [];
  const records: RunRecord[] = [];
  const lanes = poolLanes(env, list, flags);
  // Created at the first pooled scenario (its module, tinypool and its processes' start-up are
  // nothing a run that stays in this thread should wait for).
  let pool: RunPool | undefined;
  const submitted = new Map<Scenario, PooledRun>();
  try {
    for (const [i, scenario] of list.entries()) {
      if (lanes > 0 && pooled(env, scenario, flags)) {
        pool ??= new (await import('../pool.js')).RunPool(jobsOf(flags), lanes);
        // This scenario and the pooled ones right after it go to the pool now, so the lanes
        // move on to the next scenario's runs while this one's last share finishes.
        for (let j = i; j < list.length && pooled(env, list[j]!, flags); j++)
          if (!submitted.has(list[j]!)) submitted.set(list[j]!, startPooled(pool, list[j]!, flags));
        const summary = await finishPooled(env, submitted.get(scenario)!, flags, records).catch(
          (e: unknown) => {
            // A signal sent to the whole process group (a terminal's Ctrl-C, `kill -TERM -PGID`)
            // reaches the lanes too; one that a lane does not outlive ends the command as interrupted.
            if (env.signal.aborted) return undefined;
            throw e;
          },
        );
        if (summary === undefined) break;
        summaries.push(summary);
      } else summaries.push(await runOne(env, scenario, flags, board, records));
      if (env.signal.aborted) break;
    }
  } finally {
    await pool?.close();
  }
  let mismatched = 0;
  if (flags.checkDeterminism && flags.mode === 'sim' && !env.signal.aborted)
    mismatched = await determinism(env, list, flags);
  for (const line of summaryTable(summaries, env.interactive)) env.log(line);
  if (flags.json !== undefined) {
    writeJson(flags.json, summaries);
    env.log(`JSON summary written to ${flags.json}`);
  }
  if (flags.junit !== undefined) {
    await writeJunit(flags.junit, summaries, records);
    env.log(`JUnit report written to ${flags.junit}`);
  }
  if (flags.report !== undefined) {
    const declared = new Map(list.map((s) => [s.name, s.guarantees]));
    const { writeRunReports } = await import('../report/write.js');
    const r = await writeRunReports(flags.report, summaries, records, (name) => declared.get(name));
    env.log(`HTML report: ${r.pages} violating run page(s) and ${r.index}`);
  }
  if (env.signal.aborted) {
    env.log(pc.yellow('\nInterrupted: the summary covers the runs that finished.'));
    return 130;
  }
  if (summaries.some((s) => s.runsViolated > 0)) {
    printViolations(env, summaries);
    return 1;
  }
  if (mismatched > 0) return 1;
  env.log(pc.green(`\nAll guarantees held (${summaries.reduce((a, s) => a + s.checksHeld, 0)} checks).`));
  return 0;
}

/** Register `run` (the default command). */
export function registerRun(program: Command, env: Env): void {
  program
    .command('run', { isDefault: true })
    .description('run scenarios (default: all, sim mode) and print a summary; exit 1 on any violation')
    .argument('[scenario...]', 'scenario names or system prefixes (see fanout list)')
    .addOption(
      new Option(
        '--mode <mode>',
        'sim: in-process, virtual time; live: real UDP and HTTP sockets on 127.0.0.1',
      )
        .choices(['sim', 'live'])
        .default('sim'),
    )
    .option(
      '--seed <n>',
      'seed of the first run (uint32; run k uses seed + k)',
      (v) => {
        try {
          return parseSeed(v);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
      },
      1,
    )
    .option(
      '--runs <n>',
      'runs per scenario (default: each scenario its own, see fanout list)',
      intArg('--runs', 1, 10_000_000),
    )
    .option(
      '--jobs <n>',
      'worker processes for sim runs (default: the number of CPUs); results are the same for any n',
      intArg('--jobs', 1, 256),
    )
    .option('--set <key=value>', 'a scenario option (repeatable), e.g. --set slowMs=2000', setArg)
    .option(
      '--plan <file>',
      'run every seed with this fault plan (JSON) instead of the one it draws',
      readPlanFile,
    )
    .addOption(
      new Option(
        '--baseline <policy>',
        'sequential baseline twins: none, sample (every 10th run, sim), all',
      ).choices(['none', 'sample', 'all']),
    )
    .option('--shard <i/n>', 'run only shard i of n of the seeds (split across machines)', shardArg)
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write a JSON summary')
    .option('--report <dir>', 'write HTML timeline reports: one per violating run, and index.html')
    .option('--replay-dir <dir>', 'where replay and trace files of violating runs go', '.fanout/replays')
    .option(
      '--check-determinism',
      `also run the first ${DETERMINISM_SEEDS} seeds of each scenario twice and compare trace hashes (sim)`,
    )
    .option(
      '--events',
      `without a TTY, one line per event too; default: when a scenario runs <= ${EVENTS_AUTO_MAX_RUNS} times`,
    )
    .option('--no-events', 'without a TTY, one line per run only')
    .option('--quiet', 'only the summary and violations')
    .option(
      '--until-failure',
      'random seeds (from a stream rooted at --seed, else at random: printed) until the first violation, then shrink it',
    )
    .option(
      '--budget <duration>',
      `wall-clock budget of --until-failure, e.g. 90s, 5m (default ${DEFAULT_BUDGET_MS / 1000}s)`,
      durationArg('--budget'),
    )
    .action(async (names: string[], flags: RunFlags, cmd: Command) =>
      env.exit(
        await run(env, names, {
          ...flags,
          config: (cmd.optsWithGlobals() as { config?: string }).config,
          seedGiven: cmd.getOptionValueSource('seed') === 'cli',
        }),
      ),
    );
}
