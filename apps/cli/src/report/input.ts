/**
 * What `fanout report FILE` can read, told apart by content (never by file name):
 * - a replay file (`{version, scenario, seed, plan, …}`, @fanout/sim/replay), with the run's
 *   trace read from `<same name>.trace.jsonl` when it exists;
 * - a trace (JSON Lines of `{t, kind, …}` events), with the replay file `<name>.json` next to a
 *   `<name>.trace.jsonl` when it exists (else the plan is unknown: no windows);
 * - a `fanout run --json` summary (an array of per-scenario summaries, apps/cli/src/reports.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { existingTraceFile, loadReplay, type Failure, type Mode } from '@fanout/scenarios';
import { NO_FAULTS, Trace, type FaultPlan, type TraceEvent } from '@fanout/sim';

/** The kinds of input (see the module docstring). */
export type ReportInputKind = 'replay' | 'trace' | 'summary';

/** A file is none of the kinds `fanout report` reads; `file` names it, `reason` says why. */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const isTraceEvent = (v: unknown): boolean =>
  isObject(v) && typeof v.t === 'number' && typeof v.kind === 'string';

/** Why array element `i` is not a per-scenario summary, or undefined when it is one. */
function summaryProblem(v: unknown, i: number): string | undefined {
  if (!isObject(v)) return `summary entry ${i} is not an object`;
  for (const [field, type] of [
    ['scenario', 'string'],
    ['mode', 'string'],
    ['runs', 'number'],
    ['runsHeld', 'number'],
    ['runsViolated', 'number'],
  ] as const)
    if (typeof v[field] !== type) return `summary entry ${i}: field "${field}" must be a ${type}`;
  if (!Array.isArray(v.failures)) return `summary entry ${i}: field "failures" must be an array`;
  return undefined;
}

/**
 * Tell which kind of input `text` is.
 * @param file the file's name, for the error only
 * @throws ReportInputError naming the file and what it looks like instead (empty; a JSON array
 *   that is not a run summary; a JSON object that is neither a replay file nor a trace event;
 *   neither JSON nor JSON Lines of trace events).
 */
export function detectInputKind(text: string, file: string): ReportInputKind {
  if (text.trim() === '') throw new ReportInputError(file, 'is empty');
  let whole: unknown;
  let parsed = true;
  try {
    whole = JSON.parse(text);
  } catch {
    parsed = false;
  }
  if (parsed) {
    if (Array.isArray(whole)) {
      if (whole.length === 0) throw new ReportInputError(file, 'is an empty JSON array, not a run summary');
      const problem = whole.map(summaryProblem).find((p) => p !== undefined);
      if (problem !== undefined)
        throw new ReportInputError(file, `is a JSON array but not a fanout run --json summary (${problem})`);
      return 'summary';
    }
    if (isObject(whole) && 'scenario' in whole && 'seed' in whole && 'plan' in whole) return 'replay';
    if (isTraceEvent(whole)) return 'trace';
    throw new ReportInputError(
      file,
      'is JSON but neither a replay file ({scenario, seed, plan, …}), a trace event ({t, kind, …}) nor a run summary (an array)',
    );
  }
  const first = text.split('\n').find((l) => l.trim() !== '')!;
  let line: unknown;
  try {
    line = JSON.parse(first);
  } catch {
    throw new ReportInputError(file, 'is neither JSON nor JSON Lines (its first line does not parse)');
  }
  if (!isTraceEvent(line))
    throw new ReportInputError(file, 'is JSON Lines, but its first line is no trace event ({t, kind, …})');
  return 'trace';
}

/** One run as a report reads it: what the replay file says (when there is one) and the trace. */
export interface RunSource {
  readonly scenario: string | undefined;
  readonly seed: number | undefined;
  readonly mode: Mode | undefined;
  /** The run's effective plan (NO_FAULTS when only a trace was given). */
  readonly plan: FaultPlan;
  readonly planKnown: boolean;
  readonly commit: string | undefined;
  readonly options: Readonly<Record<string, unknown>>;
  readonly violation: string | undefined;
  readonly traceHash: string | undefined;
  readonly events: readonly TraceEvent[];
  readonly replayFile: string | undefined;
  readonly traceFile: string | undefined;
}

/** The replay file next to a `<name>.trace.jsonl`, when it exists. */
export function replayFileFor(traceFile: string): string | undefined {
  if (!traceFile.endsWith('.trace.jsonl')) return undefined;
  const f = `${traceFile.slice(0, -'.trace.jsonl'.length)}.json`;
  return existsSync(f) ? f : undefined;
}

const readTrace = (file: string): TraceEvent[] => Trace.fromJSONL(readFileSync(file, 'utf8')).events();

/**
 * Read one run from a replay file or a trace file (`kind` from {@link detectInputKind}).
 * @throws ReplayFileError / ReplayModeError for a bad replay file; TraceParseError (naming the
 *   line) for a bad trace; the fs error when a file cannot be read.
 */
export function loadRun(file: string, kind: 'replay' | 'trace'): RunSource {
  const replayFile = kind === 'replay' ? file : replayFileFor(file);
  const traceFile = kind === 'trace' ? file : existingTraceFile(file);
  const events = traceFile === undefined ? [] : readTrace(traceFile);
  if (replayFile === undefined)
    return {
      scenario: undefined,
      seed: undefined,
      mode: undefined,
      plan: NO_FAULTS,
      planKnown: false,
      commit: undefined,
      options: {},
      violation: undefined,
      traceHash: undefined,
      events,
      replayFile,
      traceFile,
    };
  const { file: r, mode, options } = loadReplay(replayFile);
  return {
    scenario: r.scenario,
    seed: r.seed,
    mode,
    plan: r.plan,
    planKnown: true,
    commit: r.commit,
    options,
    violation: r.violation,
    traceHash: r.traceHash,
    events,
    replayFile,
    traceFile,
  };
}

/** One scenario of a `fanout run --json` summary, as the index page reads it. */
export interface SummaryEntry {
  readonly scenario: string;
  readonly mode: string;
  readonly runs: number;
  readonly runsHeld: number;
  readonly runsViolated: number;
  readonly checksHeld?: number;
  readonly checksViolated?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly failureCount?: number;
  readonly failures: readonly Failure[];
  readonly samples?: { readonly latencyMs: readonly number[] };
}

/**
 * Read a `fanout run --json` summary.
 * @throws ReportInputError when it is not one (see {@link detectInputKind}); the fs error.
 */
export function loadSummary(file: string): SummaryEntry[] {
  const text = readFileSync(file, 'utf8');
  if (detectInputKind(text, file) !== 'summary') throw new ReportInputError(file, 'is not a run summary');
  return JSON.parse(text) as SummaryEntry[];
}
