/**
 * `fanout` — run scenarios against the embedded simulators, replay a saved run, list scenarios,
 * and start simulators for manual use.
 *
 *   fanout                         run every scenario in sim mode (the README's main job)
 *   fanout run [scenario…] [--mode sim|live] [--seed N] [--runs N] [--junit FILE] [--json FILE]
 *              [--events | --no-events] [--quiet] [--check-determinism]
 *   fanout replay FILE [--trace OUT]   re-run a saved run and compare its trace hash
 *
 * Progress: on a TTY a live per-target board. Elsewhere (CI, pipes) one line per run, plus one
 * line per event (each target settling, quorum met) when `--events` is given or, by default, when
 * a scenario runs at most EVENTS_AUTO_MAX_RUNS times (a `--runs 1` rerun, the live tier's 3):
 * 100 seeds × 5 scenarios × 25 RAIDA would be ~12 500 lines nobody reads. `--quiet`: summary only.
 *   fanout list                    scenarios and their guarantees
 *   fanout sim raida [--port-base N]   25 fake RAIDA on 127.0.0.1 until Ctrl-C
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import junitModule from 'junit-report-builder';
import { realClock } from '@fanout/core';
import { RAIDA_COUNT } from '@fanout/raida';
import { parseSeed, checkDeterminism } from '@fanout/sim';
import { readReplayFile, ReplayFileError, writeTraceFile } from '@fanout/sim/replay';
import {
  existingTraceFile,
  runMany,
  scenarios,
  traceOf,
  type Mode,
  type RunManyReport,
  type Scenario,
} from '@fanout/scenarios';
import { TargetBoard } from './display.js';
import { startRaidaSimulator } from './sim-raida.js';
import { registrations } from './commands/index.js';

const interactive = process.stdout.isTTY === true && process.env.CI === undefined;

// `fanout run … | head`: the reader went away. Stop quietly, as Unix tools do, instead of dying on
// an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/** Without --events/--no-events, per-event lines are printed (non-TTY) for scenarios run at most this often. */
export const EVENTS_AUTO_MAX_RUNS = 3;

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

function pickScenarios(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...scenarios.values()];
  const out: Scenario[] = [];
  for (const n of names) {
    const matches = [...scenarios.values()].filter((s) => s.name === n || s.name.startsWith(`${n}.`));
    if (matches.length === 0) {
      throw new InvalidArgumentError(`unknown scenario "${n}" (try: ${[...scenarios.keys()].join(', ')})`);
    }
    out.push(...matches);
  }
  return out;
}

interface RunFlags {
  mode: Mode;
  seed: number;
  runs?: number;
  junit?: string;
  json?: string;
  checkDeterminism?: boolean;
  quiet?: boolean;
  /** true: --events, false: --no-events, undefined: automatic (runs ≤ EVENTS_AUTO_MAX_RUNS). */
  events?: boolean;
}

async function run(names: string[], flags: RunFlags): Promise<number> {
  const list = pickScenarios(names).filter((s) => s.modes.includes(flags.mode));
  const runsOf = (s: Scenario): number =>
    flags.runs ?? s.defaultRuns?.[flags.mode] ?? (flags.mode === 'sim' ? 100 : 3);
  const counts = [...new Set(list.map(runsOf))].sort((a, b) => b - a);
  console.log(
    `${pc.bold('fanout run')}: ${list.length} scenario(s), mode ${flags.mode}, seeds from ${flags.seed}, ${counts.join('/')} run(s) each` +
      (flags.mode === 'sim' ? ' (virtual time, deterministic)' : ' (real sockets on 127.0.0.1, wall time)'),
  );
  const board = new TargetBoard(
    Array.from({ length: RAIDA_COUNT }, (_, i) => String(i)),
    { interactive: interactive && !flags.quiet, write: (l) => console.log(l) },
  );
  const reports: RunManyReport[] = [];
  for (const scenario of list) {
    const runs = runsOf(scenario);
    let done = 0;
    // Events feed the TTY board, or become plain lines (CI/pipe) when asked for or runs are few.
    const perEventLines = !interactive && !flags.quiet && (flags.events ?? runs <= EVENTS_AUTO_MAX_RUNS);
    const wantEvents = (interactive && !flags.quiet) || perEventLines;
    const report = await runMany(scenario, {
      mode: flags.mode,
      seed: flags.seed,
      runs,
      wallNow: () => realClock.now(),
      onEvent: !wantEvents
        ? undefined
        : (e) => {
            if (e.type === 'fanout') {
              if (e.event.type === 'started')
                board.round(`${scenario.name} run ${done + 1}/${runs}: ${e.command}`);
              board.event(e.event, realClock.now());
            }
          },
      onRun: ({ seed, result, wallMs }) => {
        done++;
        const bad = result.guarantees.filter((g) => !g.held);
        const status =
          bad.length === 0 ? pc.green('held') : pc.red(`VIOLATED ${bad.map((g) => g.name).join(', ')}`);
        if (!interactive && !flags.quiet) {
          console.log(
            `${scenario.name} seed=${seed} ${status} decision ${result.latencyMs.toFixed(1)} ms (${flags.mode === 'sim' ? 'virtual' : 'wall'}), run ${wallMs.toFixed(1)} ms wall`,
          );
        } else if (bad.length > 0) {
          console.log(`${scenario.name} seed=${seed} ${status}`);
        }
      },
    });
    board.done();
    if (flags.checkDeterminism && flags.mode === 'sim') {
      for (let k = 0; k < Math.min(runs, 20); k++) {
        const seed = (flags.seed + k) >>> 0;
        try {
          await checkDeterminism(
            async (s) =>
              (await scenario.run({ seed: s, mode: 'sim', options: scenario.defaults })).traceHash!,
            seed,
          );
        } catch (e) {
          (report.failures as { seed: number; guarantee: string; detail: string }[]).push({
            seed,
            guarantee: 'deterministic-trace',
            detail: (e as Error).message,
          });
          (report as { violated: number }).violated++;
        }
      }
    }
    reports.push(report);
  }
  printSummary(reports, flags.mode);
  if (flags.json) writeJson(flags.json, reports);
  if (flags.junit) writeJunit(flags.junit, reports);
  const violated = reports.reduce((a, r) => a + r.violated, 0);
  if (violated > 0) {
    console.log(
      pc.red(
        pc.bold(`\n${violated} guarantee violation(s). Reproduce a run exactly with its replay command:`),
      ),
    );
    for (const r of reports) {
      for (const f of r.failures.slice(0, 5)) {
        console.log(`  ${r.scenario} seed ${f.seed} ${pc.red(f.guarantee)}: ${f.detail.split('\n')[0]}`);
        if (f.replayFile) {
          console.log(`    ${pc.cyan(`pnpm fanout replay ${f.replayFile}`)}`);
          const trace = existingTraceFile(f.replayFile);
          if (trace !== undefined) console.log(`    trace (JSON Lines): ${trace}`);
        } else
          console.log(
            `    ${pc.cyan(`pnpm fanout run ${r.scenario} --mode ${r.mode} --seed ${f.seed} --runs 1`)}`,
          );
      }
      if (r.failures.length > 5) console.log(`  … and ${r.failures.length - 5} more for ${r.scenario}`);
    }
    return 1;
  }
  console.log(pc.green(`\nAll guarantees held (${reports.reduce((a, r) => a + r.held, 0)} checks).`));
  return 0;
}

function printSummary(reports: readonly RunManyReport[], mode: Mode): void {
  const table = new Table({
    head: [
      'scenario',
      'mode',
      'runs',
      'held',
      'violated',
      'p50 ms',
      'p99 ms',
      'speedup vs sequential',
      'runs/s',
    ],
    style: { head: interactive ? ['cyan'] : [], border: interactive ? ['grey'] : [] },
  });
  for (const r of reports) {
    table.push([
      r.scenario,
      r.mode,
      r.runs,
      r.held,
      r.violated > 0 ? pc.red(String(r.violated)) : '0',
      fmt(r.p50Ms),
      fmt(r.p99Ms),
      r.speedup === undefined ? '–' : `${r.speedup.toFixed(1)}×`,
      r.wallMs > 0 ? (r.runs / (r.wallMs / 1000)).toFixed(0) : '–',
    ]);
  }
  console.log(`\n${table.toString()}`);
  console.log(
    pc.dim(
      `latencies: the client's decision time per run, ${mode === 'sim' ? 'virtual ms' : 'wall ms'}; speedup: the same requests one target at a time (sequential), same clock`,
    ),
  );
}

const fmt = (x: number): string => (Number.isNaN(x) ? '–' : x.toFixed(1));

function writeJson(path: string, reports: readonly RunManyReport[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    `${JSON.stringify(
      reports.map(({ results: _r, ...summary }) => summary),
      null,
      2,
    )}\n`,
  );
  console.log(`JSON summary written to ${path}`);
}

function writeJunit(path: string, reports: readonly RunManyReport[]): void {
  // The package is CommonJS whose module.exports is the builder; its typings describe an ES default export.
  const factory =
    (junitModule as unknown as { default?: typeof junitModule.default }).default ??
    (junitModule as unknown as typeof junitModule.default);
  const builder = factory.newBuilder();
  for (const r of reports) {
    const suite = builder.testSuite().name(`${r.scenario} (${r.mode})`);
    const failed = new Map<number, string[]>();
    for (const f of r.failures)
      failed.set(f.seed, [
        ...(failed.get(f.seed) ?? []),
        `${f.guarantee}: ${f.detail}${f.replayFile ? `\nreplay: pnpm fanout replay ${f.replayFile}` : ''}`,
      ]);
    r.results.forEach((res, k) => {
      const seed = r.seeds[k]!;
      const tc = suite
        .testCase()
        .className(r.scenario)
        .name(`seed ${seed}`)
        .time(res.latencyMs / 1000);
      const msgs = failed.get(seed);
      if (msgs !== undefined) tc.failure(msgs.join('\n'));
    });
  }
  mkdirSync(dirname(path), { recursive: true });
  builder.writeTo(path);
  console.log(`JUnit report written to ${path}`);
}

/**
 * `fanout replay FILE [--trace OUT]`: re-run the run a replay file describes (scenario, seed, plan,
 * options) and compare trace hashes. Prints where the recorded run's trace is (the `.trace.jsonl`
 * next to FILE, when present); `--trace OUT` writes the replayed run's trace (sim) as JSON Lines.
 * Exit codes: 0 all guarantees held and the hash (if any) reproduced; 1 a guarantee violated;
 * 2 unreadable file or unknown scenario; 3 trace hash differs.
 */
async function replay(file: string, o: { trace?: string } = {}): Promise<number> {
  let r;
  try {
    r = readReplayFile(file);
  } catch (e) {
    if (e instanceof ReplayFileError) {
      console.error(pc.red(e.message));
      return 2;
    }
    throw e;
  }
  const scenario = scenarios.get(r.scenario);
  if (scenario === undefined) {
    console.error(pc.red(`replay: unknown scenario "${r.scenario}" in ${file}`));
    return 2;
  }
  const mode = (r.options['mode'] as Mode | undefined) ?? 'sim';
  console.log(
    `${pc.bold('fanout replay')} ${file}: ${r.scenario}, seed ${r.seed}, mode ${mode}, recorded at commit ${r.commit.slice(0, 12)}`,
  );
  if (r.violation) console.log(pc.dim(`recorded violation:\n${r.violation}`));
  const recordedTrace = existingTraceFile(file);
  if (recordedTrace !== undefined) console.log(`recorded trace (JSON Lines): ${recordedTrace}`);
  const result = await scenario.run({ seed: r.seed, mode, plan: r.plan, options: r.options });
  if (o.trace !== undefined) {
    const trace = traceOf(result);
    if (trace === undefined)
      console.log(pc.yellow(`no trace to write: ${mode} runs of ${r.scenario} keep none`));
    else {
      mkdirSync(dirname(o.trace), { recursive: true });
      writeTraceFile(o.trace, trace);
      console.log(`replayed trace (JSON Lines, ${trace.total} events) written to ${o.trace}`);
    }
  }
  for (const g of result.guarantees)
    console.log(
      `  ${g.held ? pc.green('held    ') : pc.red('VIOLATED')} ${g.name}${g.detail ? `: ${g.detail}` : ''}`,
    );
  let code = result.guarantees.some((g) => !g.held) ? 1 : 0;
  if (r.traceHash !== undefined && result.traceHash !== undefined) {
    if (r.traceHash === result.traceHash) console.log(pc.green(`trace hash reproduced: ${result.traceHash}`));
    else {
      console.log(
        pc.red(
          `trace hash differs: recorded ${r.traceHash}, now ${result.traceHash} (code changed since ${r.commit.slice(0, 12)}?)`,
        ),
      );
      code = 3;
    }
  }
  return code;
}

function listScenarios(): void {
  for (const s of scenarios.values()) {
    console.log(
      `${pc.bold(s.name)} [${s.modes.join(', ')}]\n  ${s.title}\n  guarantees: ${s.guarantees.join(', ')}`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command()
    .name('fanout')
    .description('Deterministic fan-out scenarios against embedded simulators (RAIDA, …).')
    .showHelpAfterError();
  program
    .command('run', { isDefault: true })
    .description('run scenarios (default: all, in sim mode) and print a summary; exit 1 on any violation')
    .argument('[scenario...]', 'scenario names or prefixes (see `fanout list`)')
    .addOption(
      new Option('--mode <mode>', 'sim: in-process, virtual time; live: real UDP sockets on 127.0.0.1')
        .choices(['sim', 'live'])
        .default('sim'),
    )
    .option('--seed <n>', 'seed of the first run (uint32; run k uses seed + k)', (v) => parseSeed(v), 1)
    .option('--runs <n>', 'runs per scenario (default 100 in sim, 3 in live)', intArg('--runs', 1, 1_000_000))
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write a JSON summary')
    .option(
      '--check-determinism',
      'run the first 20 seeds of each scenario twice and compare trace hashes (sim)',
    )
    .option(
      '--events',
      `without a TTY, also print one line per event (target settled, quorum met); default: only when a scenario runs ≤ ${EVENTS_AUTO_MAX_RUNS} times`,
    )
    .option('--no-events', 'without a TTY, one line per run only, however few runs')
    .option('--quiet', 'only the summary and violations')
    .action(async (names: string[], flags: RunFlags) => {
      code = await run(names, flags);
    });
  program
    .command('replay')
    .description('re-run a saved run (replay file) and check it reproduces its trace hash')
    .argument('<file>')
    .option('--trace <out>', 'write the replayed run’s trace (sim) as JSON Lines to this file')
    .action(async (file: string, o: { trace?: string }) => {
      code = await replay(file, o);
    });
  program
    .command('list')
    .description('list scenarios and their guarantees')
    .action(() => listScenarios());
  const sim = program.command('sim').description('start simulators for manual use');
  sim
    .command('raida')
    .description('25 fake RAIDA UDP servers on 127.0.0.1 (port base + id) until Ctrl-C')
    .option(
      '--port-base <n>',
      'RAIDA i listens on port base + i',
      intArg('--port-base', 1024, 65535 - 25),
      50000,
    )
    .option(
      '--coins <n>',
      'mint this many coins and write them (with their 25 ANs) to --out',
      intArg('--coins', 0, 10000),
      10,
    )
    .option('--out <file>', 'where to write the minted coins (JSON)', '.fanout/raida-coins.json')
    .option('--seed <n>', 'seed for the ANs', (v) => parseSeed(v), 1)
    .action(async (o: { portBase: number; coins: number; out: string; seed: number }) => {
      code = await startRaidaSimulator(o);
    });
  for (const register of registrations) register(program, (c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    console.error(pc.red(e instanceof Error ? e.message : String(e)));
    return 2;
  }
  return code;
}

process.exitCode = await main(process.argv);
