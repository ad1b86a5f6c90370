/**
 * The frame every coordinator step runs in: read the session file, check the step's turn, build
 * a {@link FrostCoordinator} over Hubert (engine concurrency `--parallel`, per-participant
 * `--timeout`, the Ctrl-C signal, progress to the display), run the step's one fan-out, then either
 * print the partial picture and exit 130 (interrupted: the session file is left as it was), or log
 * the step in the session file (with the new state when it succeeded, written atomically) and
 * print its result.
 */
import { FrostCoordinator, type PhaseReport, type Xid } from '@fanout/frost';
import { StepDisplay, type DisplaySink } from '../display.js';
import { SessionFileError, StepOrderError } from '../errors.js';
import { decodeSessionFile, encodeSessionFile, type SessionState, type StepRecord } from '../session-file.js';
import { cryptoRng, epochClock, hubertKv, isoTime, readDecoded, writeAtomic } from './io.js';

/** Exit code of an interrupted step (128 + SIGINT). */
export const INTERRUPTED = 130;

/** What the CLI gives a step. */
export interface StepIO {
  readonly sink: DisplaySink;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
}

/** Flags every coordinator step takes. */
export interface StepFlags {
  /** Path of the session file. */
  readonly session: string;
  /** At most this many participants in flight per phase (integer ≥ 1; default all). */
  readonly parallel?: number;
  /** Per-participant timeout of each phase, ms (default 600000, upstream's parallel mode). */
  readonly timeoutMs?: number;
  /** Hubert base URL (default: the one in the session file). */
  readonly hubert?: string;
  /** Hubert get poll interval, ms (default 1000, hubert-rust ServerKv). */
  readonly pollMs?: number;
}

/** How a step's fan-out ended. */
export interface StepEnd {
  readonly ok: boolean;
  readonly reason?: string;
  /** The state to write (ok only). */
  readonly next?: SessionState;
  /** The phase reports, for the step log. */
  readonly reports: readonly PhaseReport<unknown>[];
  /** Result lines to print. */
  readonly lines: readonly string[];
  /** Awaited after the session file is written (background invitation puts of a quorum exit). */
  readonly after?: Promise<string | undefined>;
}

/** What a step body gets. */
export interface StepContext {
  readonly state: SessionState;
  readonly coordinator: FrostCoordinator;
  readonly names: ReadonlyMap<Xid, string>;
  readonly signal: AbortSignal;
}

/** Where a session stands, e.g. `dkg invited`, `dkg complete`, `sign round2`. */
export function whereIs(state: SessionState): string {
  if (state.sign !== undefined) return `sign ${state.sign.session.phase}`;
  if (state.dkg !== undefined) return state.dkg.complete ? 'dkg complete' : `dkg ${state.dkg.session.phase}`;
  return 'new';
}

const NEXT: Readonly<Record<string, string>> = {
  'dkg invited': 'dkg coordinator round1',
  'dkg round2': 'dkg coordinator round2',
  'dkg finalize': 'dkg coordinator finalize',
  'dkg complete': 'sign coordinator invite --group',
  'sign invited': 'sign coordinator round1',
  'sign round2': 'sign coordinator round2',
};

/** The command to run next on a session at `where`, as a sentence. */
export function nextStep(where: string, path: string): string {
  const cmd = NEXT[where];
  if (cmd === undefined) return 'nothing is left to do in this session';
  const args = cmd.endsWith('--group')
    ? ` ${path} --session <new file> --target <text>`
    : ` --session ${path}`;
  return `run \`fanout frost ${cmd}${args}\` next`;
}

/**
 * Read the session file at `path` and check it stands at `expected`.
 * @throws SessionFileError (bad file), StepOrderError (another step's turn).
 */
export function loadFor(step: string, path: string, expected: string): SessionState {
  const state = readDecoded(path, decodeSessionFile, (p, f, d) => new SessionFileError(p, f, d));
  const where = whereIs(state);
  if (where !== expected) throw new StepOrderError(step, where, nextStep(where, path));
  return state;
}

function record(step: string, at: number, end: StepEnd, names: ReadonlyMap<Xid, string>): StepRecord {
  const outcomes: Record<string, string> = {};
  for (const r of end.reports)
    for (const o of r.byParticipant.values())
      outcomes[`${r.phase} ${names.get(o.xid) ?? o.xid}`] =
        o.reason === undefined ? o.status : `${o.status}: ${o.reason}`;
  return {
    step,
    at: isoTime(at),
    ok: end.ok,
    ...(end.reason === undefined ? {} : { reason: end.reason }),
    outcomes,
  };
}

/**
 * Run one step over `state` (already loaded) and write `path`.
 * @returns the exit code: 0 done, 1 the step could not complete (reason printed), 130 interrupted.
 */
export async function runStep(
  step: string,
  path: string,
  state: SessionState,
  flags: StepFlags,
  io: StepIO,
  body: (ctx: StepContext) => Promise<StepEnd>,
): Promise<number> {
  const names = new Map(state.participants.map((p) => [p.xid, p.name ?? p.xid.slice(0, 8)]));
  const display = new StepDisplay(names, io.sink, () => epochClock.now());
  const coordinator = new FrostCoordinator({
    identity: state.coordinator,
    rng: cryptoRng,
    kv: hubertKv(flags.hubert ?? state.hubert, flags.pollMs),
    clock: epochClock,
    ...(flags.parallel === undefined ? {} : { concurrency: flags.parallel }),
    ...(flags.timeoutMs === undefined ? {} : { timeoutMs: flags.timeoutMs }),
    signal: io.signal,
    onEvent: (e) => display.event(e),
  });
  const startedAt = epochClock.now();
  let ticker = io.sink.interactive ? epochClock.setTimer(tick, 250) : undefined;
  function tick(): void {
    display.tick();
    ticker = epochClock.setTimer(tick, 250);
  }
  let end: StepEnd;
  try {
    end = await body({ state, coordinator, names, signal: io.signal });
  } finally {
    if (ticker !== undefined) epochClock.clearTimer(ticker);
    display.close();
  }
  if (io.signal.aborted) {
    display.line(`Interrupted: ${step} aborted; ${path} is unchanged. Who answered:`);
    for (const l of display.partial()) display.line(l);
    return INTERRUPTED;
  }
  const base = end.ok && end.next !== undefined ? end.next : state;
  writeAtomic(
    path,
    encodeSessionFile({ ...base, steps: [...state.steps, record(step, startedAt, end, names)] }),
  );
  for (const l of end.lines) display.line(l);
  if (!end.ok) {
    display.line(`${step}: could not complete: ${end.reason ?? 'unknown reason'}`);
    return 1;
  }
  const note = await end.after;
  if (note !== undefined) display.line(note);
  const where = whereIs(base);
  display.line(`${step}: done; session at '${where}'; ${nextStep(where, path)}`);
  return 0;
}
