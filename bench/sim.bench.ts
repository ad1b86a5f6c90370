/**
 * Simulation speed (issue 12), side by side in one process and its children.
 *
 *   pnpm bench:sim [--quick] [--only raida,bao] [--skip-cli] [--skip-main] [--rss-runs N] [--jobs-only]
 *
 * 1. Scenario runs per second on one core, in process (one thread, `runMany`): every built-in
 *    scenario without the sequential twin (baseline 'none'), with it on every run ('all') and
 *    with the default 'sample' policy (every 10th run, what `fanout run` does). Runs per second
 *    of CPU time (user + system of this process) and of wall time; the machine may be shared, so
 *    CPU time is the steadier of the two.
 * 2. CLI start-up to the first run: wall time of `pnpm fanout run raida.no-hol --runs 1` (and of
 *    the same launcher started by node directly, without pnpm, and of the sources through tsx)
 *    minus `node -e 0`, median of 3.
 * 3. Peak RSS of a child process (the CLI, --jobs 1) making 100,000 runs of raida.no-hol.
 * 4. `--jobs 2` over `--jobs 1`: runs/s of the CLI on raida.no-hol from its own summary (`--json`,
 *    start-up excluded), interleaved; the one-core figure also held to one CPU with taskset.
 *    `--jobs-only` runs this section alone.
 * 5. The main job (`fanout run --quiet`: every scenario, its default seeds) with the default
 *    --jobs (the number of CPUs) and with --jobs 1, wall and CPU time of the whole command, back
 *    to back; the goal is under 20 s on two cores. `--skip-main` leaves it out.
 *
 * Every figure is printed beside the issue's target with met / not met.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism as cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runMany, type BaselinePolicy, type Scenario } from '@fanout/scenarios';
import { BUILTIN_SYSTEMS } from '@fanout/scenarios/systems';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const flag = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const only = flag('--only')?.split(',');
const ROOT = resolve(import.meta.dirname, '..');

/** Goals of issue 12 (runs per second on one core, without the baseline). */
const GOALS: readonly { readonly prefix: string; readonly runsPerS: number }[] = [
  { prefix: 'raida.no-hol', runsPerS: 2000 },
  { prefix: 'raida.', runsPerS: 1000 },
  { prefix: 'bao.', runsPerS: 200 },
  { prefix: 'dht.', runsPerS: 50 },
  { prefix: 'frost.', runsPerS: 20 },
];
/** The figures the issue measured before (runs/s, one core), per system. */
const ISSUE_BEFORE: Readonly<Record<string, string>> = {
  raida: '53–183',
  bao: '6–47',
  dht: '0.7–3.7',
  frost: '1.5–2.8',
};
const START_UP_GOAL_MS = 1000;
const RSS_GOAL_MB = 250;
const JOBS_GOAL = 1.8;
const MAIN_JOB_GOAL_S = 20;

const goalOf = (name: string): number | undefined => GOALS.find((g) => name.startsWith(g.prefix))?.runsPerS;
const met = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function table(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  for (const r of rows) console.log(`  | ${r.map((c, k) => c.padEnd(widths[k]!)).join(' | ')} |`);
}

interface Rate {
  readonly cpu: number;
  readonly wall: number;
  readonly runs: number;
}

/** Runs of `s` under `policy` until `budgetMs` of CPU time (at least `minRuns`), as runs/s. */
async function rate(s: Scenario, policy: BaselinePolicy, budgetMs: number, minRuns: number): Promise<Rate> {
  let runs = 0;
  let seed = 1_000;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const cpuMs = (): number => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  while (runs < minRuns || cpuMs() < budgetMs) {
    // Chunks of 10 runs keep the sample policy's share exact (run 0 of each chunk has a twin).
    const summary = await runMany(s, { seed, runs: 10, baseline: policy, replayDir: false });
    if (summary.runsViolated > 0) throw new Error(`${s.name}: a bench run violated a guarantee`);
    runs += 10;
    seed += 10;
  }
  return { cpu: runs / (cpuMs() / 1000), wall: runs / ((performance.now() - w0) / 1000), runs };
}

async function scenarios(): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const e of BUILTIN_SYSTEMS) {
    if (e.name === 'hubert') continue; // its scenarios are FROST's
    if (only !== undefined && !only.includes(e.name)) continue;
    out.push(...(await e.load()).scenarios);
  }
  return out;
}

async function inProcess(): Promise<void> {
  const budget = quick ? 300 : 1500;
  console.log(
    `\n1. Scenario runs/s on one core, in process (runMany, ≥ ${budget} ms CPU per cell; cpu = runs per CPU second, wall = per wall second)`,
  );
  const rows: string[][] = [
    ['scenario', 'none cpu', 'none wall', 'sample cpu', 'all cpu', 'issue before', 'goal (none)', ''],
  ];
  for (const s of await scenarios()) {
    await rate(s, 'sample', budget / 2, 10); // warm-up (JIT), not counted
    const none = await rate(s, 'none', budget, 10);
    const sample = s.baseline ? await rate(s, 'sample', budget / 2, 10) : none;
    const all = s.baseline ? await rate(s, 'all', budget / 2, 10) : none;
    const goal = goalOf(s.name);
    rows.push([
      s.name,
      none.cpu.toFixed(1),
      none.wall.toFixed(1),
      sample.cpu.toFixed(1),
      s.baseline ? all.cpu.toFixed(1) : '(no twin)',
      ISSUE_BEFORE[s.name.split('.')[0]!] ?? '–',
      goal === undefined ? '–' : `≥ ${goal}`,
      goal === undefined ? '' : met(none.cpu >= goal),
    ]);
    console.log(`  … ${s.name}: ${none.cpu.toFixed(1)} runs/s (${none.runs} runs)`);
  }
  table(rows);
}

interface Spawned {
  readonly ms: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function spawn(cmd: string, args: readonly string[]): Spawned {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { ms: performance.now() - t0, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI as `pnpm fanout` starts it, without pnpm: the launcher, which runs a fresh build (tools/fanout.mjs). */
const CLI = ['--conditions=@fanout/source', 'tools/fanout.mjs'];
/** The CLI's TypeScript sources through tsx (what the launcher falls back to), for the start-up table. */
const CLI_TSX = ['--conditions=@fanout/source', '--import', 'tsx', 'apps/cli/src/main.ts'];

function startUp(): void {
  const reps = 3;
  const node: number[] = [];
  const viaPnpm: number[] = [];
  const direct: number[] = [];
  const tsx: number[] = [];
  // As a person reruns one seed: no --quiet, so the run stays in the CLI's own thread (no pool).
  const run = ['run', 'raida.no-hol', '--runs', '1'];
  for (let i = 0; i < reps; i++) {
    node.push(spawn(process.execPath, ['-e', '0']).ms);
    const p = spawn('pnpm', ['--silent', 'fanout', ...run]);
    if (p.status !== 0) throw new Error(`pnpm fanout exited ${p.status}: ${p.stderr}`);
    viaPnpm.push(p.ms);
    direct.push(spawn(process.execPath, [...CLI, ...run]).ms);
    tsx.push(spawn(process.execPath, [...CLI_TSX, ...run]).ms);
  }
  const n = median(node);
  const p = median(viaPnpm) - n;
  const d = median(direct) - n;
  const x = median(tsx) - n;
  console.log(
    `\n2. CLI start-up to the first run (raida.no-hol --runs 1), median of ${reps}, minus node -e 0`,
  );
  table([
    ['what', 'wall ms', 'minus node -e 0', 'goal', ''],
    ['node -e 0', n.toFixed(0), '0', '–', ''],
    [
      'pnpm fanout run …',
      median(viaPnpm).toFixed(0),
      p.toFixed(0),
      `≤ ${START_UP_GOAL_MS}`,
      met(p <= START_UP_GOAL_MS),
    ],
    [
      'node tools/fanout.mjs run … (no pnpm)',
      median(direct).toFixed(0),
      d.toFixed(0),
      `≤ ${START_UP_GOAL_MS}`,
      met(d <= START_UP_GOAL_MS),
    ],
    [
      'sources through tsx (the fallback)',
      median(tsx).toFixed(0),
      x.toFixed(0),
      `≤ ${START_UP_GOAL_MS}`,
      met(x <= START_UP_GOAL_MS),
    ],
  ]);
}

function rss(): void {
  const runs = Number(flag('--rss-runs') ?? (quick ? 10_000 : 100_000));
  const r = spawn('/usr/bin/time', [
    '-f',
    'maxrss_kb=%M',
    process.execPath,
    ...CLI,
    'run',
    'raida.no-hol',
    '--runs',
    String(runs),
    '--jobs',
    '1',
    '--quiet',
  ]);
  const kb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1]);
  if (r.status !== 0 || !Number.isFinite(kb)) throw new Error(`rss child exited ${r.status}: ${r.stderr}`);
  const mb = kb / 1024;
  console.log(`\n3. Peak RSS of the CLI (--jobs 1, --quiet) for ${runs} runs of raida.no-hol`);
  table([
    ['runs', 'peak RSS MB', 'wall s', 'runs/s (wall, incl. start-up)', 'goal', ''],
    [
      String(runs),
      mb.toFixed(0),
      (r.ms / 1000).toFixed(1),
      (runs / (r.ms / 1000)).toFixed(0),
      `< ${RSS_GOAL_MB} MB`,
      met(mb < RSS_GOAL_MB),
    ],
  ]);
}

/**
 * runs/s of the CLI on raida.no-hol with `jobs` lanes, from its own summary (start-up excluded;
 * with a pool, the summary's wall time is the lanes' wall time on the runs ÷ lanes). `prefix`
 * runs the CLI under another command (taskset, to hold it to one CPU).
 */
function cliRate(jobs: number, runs: number, prefix: readonly string[] = []): number {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-bench-'));
  try {
    const json = join(dir, 'summary.json');
    const args = [...CLI, 'run', 'raida.no-hol', '--runs', String(runs), '--jobs', String(jobs)];
    const [cmd, ...pre] = [...prefix, process.execPath];
    const r = spawn(cmd!, [...pre, ...args, '--quiet', '--json', json]);
    if (r.status !== 0) throw new Error(`--jobs ${jobs} exited ${r.status}: ${r.stderr}`);
    const [s] = JSON.parse(readFileSync(json, 'utf8')) as { runs: number; wallMs: number }[];
    return s!.runs / (s!.wallMs / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether `taskset` (util-linux) can hold a command to one CPU here. */
const hasTaskset = (): boolean => spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/**
 * `--jobs 2` against the one-core figure, interleaved (3 rounds, medians; 1 with --quick). The
 * one-core figure is measured twice: `--jobs 1` as it runs (one thread of JavaScript, but V8's
 * garbage-collector helper threads use the second core too) and held to one CPU with taskset
 * (the figure on one core, literally; where taskset exists).
 */
function jobs(): void {
  const runs = quick ? 2_000 : 10_000;
  const rounds = quick ? 1 : 3;
  const pin = hasTaskset() ? ['taskset', '-c', '0'] : undefined;
  const one: number[] = [];
  const pinned: number[] = [];
  const two: number[] = [];
  for (let k = 0; k < rounds; k++) {
    one.push(cliRate(1, runs));
    if (pin !== undefined) pinned.push(cliRate(1, runs, pin));
    two.push(cliRate(2, runs));
  }
  const [o, t] = [median(one), median(two)];
  console.log(
    `\n4. raida.no-hol, ${runs} runs through the CLI: --jobs 2 vs --jobs 1, runs/s from its summary, median of ${rounds} interleaved round(s)`,
  );
  const rows = [
    ['one-core figure', 'runs/s', '--jobs 2 runs/s', 'ratio', 'goal', ''],
    ['--jobs 1', o.toFixed(0), t.toFixed(0), (t / o).toFixed(2), `≥ ${JOBS_GOAL}×`, met(t / o >= JOBS_GOAL)],
  ];
  if (pin !== undefined) {
    const p = median(pinned);
    rows.push([
      '--jobs 1 on CPU 0 only',
      p.toFixed(0),
      t.toFixed(0),
      (t / p).toFixed(2),
      `≥ ${JOBS_GOAL}×`,
      met(t / p >= JOBS_GOAL),
    ]);
  }
  table(rows);
}

/** Wall and CPU seconds (user + system, children included) of one main job, and its checks. */
function mainJob(extra: readonly string[]): { wallS: number; cpuS: number; checks: string } {
  const r = spawn('/usr/bin/time', [
    '-f',
    'cpu_s=%U+%S',
    process.execPath,
    ...CLI,
    'run',
    '--quiet',
    ...extra,
  ]);
  const cpu = /cpu_s=([\d.]+)\+([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || cpu === null) throw new Error(`main job exited ${r.status}: ${r.stderr}`);
  const checks = /\((\d[\d,]*) checks\)/.exec(r.stdout)?.[1] ?? '?';
  return { wallS: r.ms / 1000, cpuS: Number(cpu[1]) + Number(cpu[2]), checks };
}

function mainJobs(): void {
  const all = mainJob([]);
  const one = mainJob(['--jobs', '1']);
  console.log(`\n5. The main job (fanout run --quiet, default seeds), back to back, ${cpus()} CPUs`);
  table([
    ['--jobs', 'checks', 'wall s', 'CPU s', 'goal', ''],
    [
      `${cpus()} (default)`,
      all.checks,
      all.wallS.toFixed(1),
      all.cpuS.toFixed(1),
      `< ${MAIN_JOB_GOAL_S} s`,
      met(all.wallS < MAIN_JOB_GOAL_S),
    ],
    ['1', one.checks, one.wallS.toFixed(1), one.cpuS.toFixed(1), '', ''],
  ]);
}

if (argv.includes('--jobs-only')) jobs();
else await inProcess();
if (!argv.includes('--skip-cli') && !argv.includes('--jobs-only')) {
  startUp();
  rss();
  jobs();
  if (!argv.includes('--skip-main')) mainJobs();
}
