/**
 * A worker process (a lane) of `fanout run --jobs N`: runs one share of one scenario's runs
 * (explicit run indexes) and sends back a mergeable summary and one record per run. It loads the
 * scenario as the parent did: built-in systems lazily, the user's config from the same file.
 */
import { runMany, type Summary } from '@fanout/scenarios';
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

let catalog: Promise<Catalog> | undefined;

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
  catalog ??= loadConfig(t.cwd, t.config).then((c) => new Catalog(c));
  const scenario = (await (await catalog).pick([t.scenario])).find((s) => s.name === t.scenario)!;
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
