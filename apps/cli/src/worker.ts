/**
 * A worker process (a lane) of `fanout run --jobs N`: runs one share of one scenario's runs
 * (explicit run indexes) and sends back a mergeable summary and one record per run; for
 * `run --until-failure`, one batch of the seed search ({@link probe}). It loads the scenario as
 * the parent did: built-in systems lazily, the user's config from the same file.
 */
import { runMany, runScenario, type Summary } from '@fanout/scenarios';
import type { FaultPlan } from '@fanout/sim';
import { Catalog } from './catalog.js';
import { loadConfig } from './config.js';
import { wallNow } from './wall.js';
import type { RunRecord } from './reports.js';

/** One share of a scenario's runs. */
export interface WorkerTask {
  readonly cwd: string;
  readonly config: string | undefined;
  readonly scenario: string;
  readonly mode: 'sim' | 'live';
  readonly seed: number;
  readonly runs: number;
  readonly indexes: readonly number[];
  readonly options: Record<string, unknown>;
  readonly plan: FaultPlan | undefined;
  readonly baseline: 'none' | 'sample' | 'all' | undefined;
  readonly replayDir: string;
}

/** What a share returns: its summary (with samples) and its runs' records, in run order. */
export interface WorkerResult {
  readonly summary: Summary;
  readonly records: RunRecord[];
}

/** A batch of `run --until-failure`'s seed search: runs in search order. */
export interface ProbeTask {
  readonly cwd: string;
  readonly config: string | undefined;
  /** (scenario, seed) pairs, in the order the search makes them. */
  readonly runs: readonly { readonly scenario: string; readonly seed: number }[];
  /** --set options by scenario name. */
  readonly options: Readonly<Record<string, Record<string, unknown>>>;
  readonly plan: FaultPlan | undefined;
}

/** One run of a {@link ProbeTask} (sim, trace kept as its hash only). */
export interface ProbeRun {
  readonly scenario: string;
  readonly seed: number;
  readonly held: boolean;
  /** Names of the violated guarantees (empty when it held). */
  readonly violated: readonly string[];
  readonly traceHash: string | undefined;
}

/** What a batch returns: its runs in order, up to and including the first violating one. */
export interface ProbeResult {
  readonly runs: readonly ProbeRun[];
  /** Wall time the batch took in its lane, ms. */
  readonly wallMs: number;
}

let catalog: Promise<Catalog> | undefined;

function catalogOf(cwd: string, config: string | undefined): Promise<Catalog> {
  return (catalog ??= loadConfig(cwd, config).then((c) => new Catalog(c)));
}

// A lane is a child process in the CLI's process group, so a terminal's Ctrl-C reaches it too.
// The CLI decides what an interrupt stops (it lets the shares under way finish, then stops its
// pool, which ends the lanes with SIGTERM), so a lane does not die of SIGINT on its own.
// A lane whose CLI is gone (killed: its IPC channel closed) has nobody to report to: it stops at
// once instead of finishing its share.
if (process.send !== undefined) {
  process.on('SIGINT', () => undefined);
  process.once('disconnect', () => process.exit(1));
}

/** Run a share (the tinypool task function). */
export default async function runShare(t: WorkerTask): Promise<WorkerResult> {
  const scenario = (await (await catalogOf(t.cwd, t.config)).pick([t.scenario])).find(
    (s) => s.name === t.scenario,
  )!;
  const records: RunRecord[] = [];
  const summary = await runMany(scenario, {
    mode: t.mode,
    seed: t.seed,
    runs: t.runs,
    indexes: t.indexes,
    options: t.options,
    ...(t.plan !== undefined && { plan: t.plan }),
    ...(t.baseline !== undefined && { baseline: t.baseline }),
    replayDir: t.replayDir,
    keepSamples: true,
    keepFailures: Number.MAX_SAFE_INTEGER,
    wallNow,
    onRun: ({ result, failures }) =>
      records.push({
        scenario: t.scenario,
        mode: t.mode,
        seed: result.seed,
        held: result.held,
        latencyMs: result.latencyMs,
        wallMs: result.wallMs,
        failures: failures.map((f) => ({ ...f })),
      }),
  });
  return { summary, records };
}

/**
 * Run a batch of the seed search (the tinypool task `probe`): each (scenario, seed) in order, in
 * virtual time, keeping each trace's hash only; stop after the first run that violates a
 * guarantee (the parent only needs the search's first violation, and reruns it for its lines).
 */
export async function probe(t: ProbeTask): Promise<ProbeResult> {
  const t0 = wallNow();
  const picked = await (await catalogOf(t.cwd, t.config)).pick([...new Set(t.runs.map((r) => r.scenario))]);
  const byName = new Map(picked.map((s) => [s.name, s]));
  const runs: ProbeRun[] = [];
  for (const { scenario, seed } of t.runs) {
    const r = await runScenario(byName.get(scenario)!, {
      seed,
      mode: 'sim',
      options: t.options[scenario] ?? {},
      ...(t.plan !== undefined && { plan: t.plan }),
      traceLines: false,
      wallNow,
    });
    const violated = r.guarantees.filter((g) => !g.held).map((g) => g.name);
    runs.push({ scenario, seed, held: r.held, violated, traceHash: r.traceHash });
    if (!r.held) break;
  }
  return { runs, wallMs: wallNow() - t0 };
}
