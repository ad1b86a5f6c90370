/**
 * Coordinator rounds over a Hubert KvStore, through @fanout/core's `fanOut`
 * (frost-hubert-rust src/cmd/parallel.rs and the seed "Coordinator Parallelization Implementation
 * Plan"): every round sends its requests in parallel (puts) and collects the responses in parallel
 * (polling gets), with a per-participant timeout, and reports `{successes, rejections, errors,
 * timeouts}` keyed by participant. The sequential path of upstream (one participant after the
 * other, 30 s each) is kept behind `mode: 'sequential'` for comparison.
 *
 * Every response is checked as it arrives (the pure `check*` functions of coordinator.ts): a
 * forged, malformed, or cryptographically bad response is an error of the participant whose ARID
 * it was read from; it never aborts the round.
 */
import { fanOut, TargetRejectedError, type Clock, type FanOutEvent, type Outcome } from '@fanout/core';
import type { CollectionResult, ResponseCheck } from './coordinator.js';
import { ResponseNotFoundError, RoundOptionError } from './errors.js';
import type { Xid } from './identity.js';
import { isAlreadyExists, isPermanentPutError, type FrostKv } from './kv.js';
import type { Outbound } from './participant.js';
import { sealedFromEnvelopeUr, sealedToEnvelopeUr } from './ur.js';

/** How a coordinator round talks to the participants. */
export type RoundMode = 'parallel' | 'sequential';

/** Per-participant timeout in parallel mode, ms (seed: 600 s, "10 minutes default"). */
export const PARALLEL_TIMEOUT_MS = 600_000;
/** Per-participant timeout in sequential mode, ms (Hubert get default: 30 s). */
export const SEQUENTIAL_TIMEOUT_MS = 30_000;
/** Pause before retrying a get or put that failed at the transport level, ms (Hubert poll interval). */
export const DEFAULT_RETRY_INTERVAL_MS = 1000;
/**
 * Put attempts per request: unlimited by default, i.e. retried after transport errors until the
 * participant's timeout (write-once makes a retry safe; a Hubert restart is ridden out).
 */
export const DEFAULT_PUT_ATTEMPTS = Number.POSITIVE_INFINITY;

/** The coordinator commands of frost-hubert (each is a send and/or collect phase). */
export type RoundName =
  'dkg invite' | 'dkg round1' | 'dkg round2' | 'dkg finalize' | 'sign invite' | 'sign round1' | 'sign round2';

/** 'send': parallel puts of requests; 'collect': parallel gets of responses. */
export type RoundPhase = 'send' | 'collect';

/** Terminal state of one participant in one phase. */
export type ParticipantStatus = 'success' | 'rejected' | 'error' | 'timeout' | 'cancelled';

/** What happened to one participant in one phase. */
export interface ParticipantOutcome<T> {
  readonly xid: Xid;
  readonly status: ParticipantStatus;
  /** The checked value (success only). */
  readonly value?: T;
  /**
   * Human text: the rejection reason (as the participant wrote it), the error message, the
   * timeout text, or why it was cancelled ('quorum' / 'aborted').
   */
  readonly reason?: string;
  /** The error (error status only): e.g. ForgedMessageError, InvalidShareError, ResponseNotFoundError. */
  readonly error?: Error;
  /** Participants a rejection (protocolAbort) accuses. */
  readonly accused?: readonly Xid[];
  /** Clock time the outcome became final, ms. */
  readonly settledAt: number;
  /** Time this participant took in this phase, ms (0 when never started). */
  readonly durationMs: number;
}

/** A phase's results: upstream's CollectionResult plus per-participant detail. */
export interface PhaseReport<T> extends CollectionResult<T> {
  readonly round: RoundName;
  readonly phase: RoundPhase;
  readonly mode: RoundMode;
  /** Every participant's outcome, in target order. */
  readonly byParticipant: ReadonlyMap<Xid, ParticipantOutcome<T>>;
  /** Participants cut off because the quorum was met or the round was aborted. */
  readonly cancelled: readonly Xid[];
  /** Successful participants in the order their responses arrived. */
  readonly arrivalOrder: readonly Xid[];
  /** Clock time the phase started, ms. */
  readonly startedAt: number;
  /** Clock time from start to the last outcome, ms. */
  readonly elapsedMs: number;
  /** The round's signal fired (e.g. Ctrl-C): unsettled participants are cancelled. */
  readonly aborted: boolean;
  /** A quorum was asked for and met. */
  readonly quorumMet: boolean;
  /**
   * Participants still in flight when the report was taken: only in the early report of a send
   * phase that proceeds once enough requests were stored ({@link sendRequestsProceeding}). Their
   * puts go on in the background; they appear in no other list and not in `byParticipant`.
   */
  readonly pending?: readonly Xid[];
}

/** One target of a phase: a participant and the ARID written to / read from. */
export interface PhaseTarget {
  readonly xid: Xid;
  readonly arid: string;
}

/** Progress events of the rounds (for displays and traces). `at` is clock time, ms. */
export type RoundEvent =
  | {
      readonly type: 'phase-start';
      readonly round: RoundName;
      readonly phase: RoundPhase;
      readonly mode: RoundMode;
      readonly at: number;
      readonly timeoutMs: number;
      readonly targets: readonly PhaseTarget[];
      /** Successes that end the phase early (sign round 1 with quorum exit). */
      readonly quorum?: number;
    }
  | {
      readonly type: 'participant-start';
      readonly round: RoundName;
      readonly phase: RoundPhase;
      readonly xid: Xid;
      readonly at: number;
    }
  | {
      readonly type: 'participant-retry';
      readonly round: RoundName;
      readonly phase: RoundPhase;
      readonly xid: Xid;
      readonly at: number;
      readonly error: string;
    }
  | {
      readonly type: 'participant-settled';
      readonly round: RoundName;
      readonly phase: RoundPhase;
      readonly at: number;
      readonly outcome: ParticipantOutcome<unknown>;
    }
  | {
      readonly type: 'quorum-met';
      readonly round: RoundName;
      readonly phase: RoundPhase;
      readonly at: number;
      readonly count: number;
    }
  | {
      readonly type: 'phase-end';
      readonly round: RoundName;
      readonly phase: RoundPhase;
      readonly at: number;
      readonly report: PhaseReport<unknown>;
    };

/** How rounds run. */
export interface RoundOptions {
  /** The coordinator's Hubert client. */
  readonly kv: FrostKv;
  /** Time source (VirtualClock in simulation, realClock live). Required: no fallback to the real clock. */
  readonly clock: Clock;
  /** Default 'parallel'. */
  readonly mode?: RoundMode;
  /**
   * Parallel mode only: at most this many participants in flight per phase (integer ≥ 1; the
   * others queue, their timeout starting when they start). Default: all at once.
   */
  readonly concurrency?: number;
  /**
   * Per-participant timeout of each phase, ms (> 0). Default {@link PARALLEL_TIMEOUT_MS} in parallel
   * mode, {@link SEQUENTIAL_TIMEOUT_MS} in sequential mode.
   */
  readonly timeoutMs?: number;
  /** Pause before retrying after a transport error, ms (> 0). Default 1000. */
  readonly retryIntervalMs?: number;
  /** Put attempts per request (integer ≥ 1, or Infinity: until the timeout). Default Infinity. */
  readonly putAttempts?: number;
  /** TTL given to every put, s. Default: none (the server's default, 86400 s). */
  readonly ttlSeconds?: number;
  /** Aborts in-flight work (Ctrl-C): unsettled participants become cancelled. */
  readonly signal?: AbortSignal;
  /** Progress events (synchronous; must not throw). */
  readonly onEvent?: (event: RoundEvent) => void;
}

/** {@link RoundOptions} with defaults applied and checked. */
export interface ResolvedRoundOptions {
  readonly kv: FrostKv;
  readonly clock: Clock;
  readonly mode: RoundMode;
  /** In-flight limit per phase in parallel mode (undefined: all at once). */
  readonly concurrency?: number;
  readonly timeoutMs: number;
  readonly retryIntervalMs: number;
  readonly putAttempts: number;
  readonly ttlSeconds: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onEvent: ((event: RoundEvent) => void) | undefined;
}

/**
 * Apply defaults and validate.
 * @throws RoundOptionError('mode' | 'concurrency' | 'timeoutMs' | 'retryIntervalMs' | 'putAttempts' |
 *   'ttlSeconds').
 */
export function resolveRoundOptions(o: RoundOptions): ResolvedRoundOptions {
  const mode = o.mode ?? 'parallel';
  if (mode !== 'parallel' && mode !== 'sequential')
    throw new RoundOptionError('mode', `must be 'parallel' or 'sequential', got ${String(mode)}`);
  if (o.concurrency !== undefined && !(Number.isSafeInteger(o.concurrency) && o.concurrency >= 1))
    throw new RoundOptionError('concurrency', `must be an integer >= 1, got ${String(o.concurrency)}`);
  const timeoutMs = o.timeoutMs ?? (mode === 'parallel' ? PARALLEL_TIMEOUT_MS : SEQUENTIAL_TIMEOUT_MS);
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs)))
    throw new RoundOptionError('timeoutMs', `must be a finite number > 0, got ${String(timeoutMs)}`);
  const retryIntervalMs = o.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
  if (!(typeof retryIntervalMs === 'number' && retryIntervalMs > 0 && Number.isFinite(retryIntervalMs)))
    throw new RoundOptionError(
      'retryIntervalMs',
      `must be a finite number > 0, got ${String(retryIntervalMs)}`,
    );
  const putAttempts = o.putAttempts ?? DEFAULT_PUT_ATTEMPTS;
  if (!(Number.isSafeInteger(putAttempts) || putAttempts === Number.POSITIVE_INFINITY) || putAttempts < 1)
    throw new RoundOptionError(
      'putAttempts',
      `must be an integer >= 1 or Infinity, got ${String(putAttempts)}`,
    );
  if (o.ttlSeconds !== undefined && (!Number.isSafeInteger(o.ttlSeconds) || o.ttlSeconds < 0))
    throw new RoundOptionError('ttlSeconds', `must be an integer >= 0, got ${String(o.ttlSeconds)}`);
  return {
    kv: o.kv,
    clock: o.clock,
    mode,
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    timeoutMs,
    retryIntervalMs,
    putAttempts,
    ttlSeconds: o.ttlSeconds,
    signal: o.signal,
    onEvent: o.onEvent,
  };
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** A rejection carried through fanOut (classified 'rejected' by the default classify). */
class ParticipantRejected extends TargetRejectedError {
  constructor(
    reason: string,
    readonly accused: readonly Xid[],
  ) {
    super(reason, { accused });
  }
}

/** A phase's call: `note` records a transport error that was retried (shown if the target times out). */
type PhaseCall<T> = (target: PhaseTarget, signal: AbortSignal, note: (message: string) => void) => Promise<T>;

/** A phase run: its final report, and (with `proceedAt`) an early one. */
interface PhaseRun<T> {
  /** Resolves when every participant's outcome is final. Never rejects. */
  readonly final: Promise<PhaseReport<T>>;
  /**
   * Resolves with a snapshot once `proceedAt` successes are in (the others listed as `pending`),
   * or with the final report if that never happens. Never rejects.
   */
  readonly early: Promise<PhaseReport<T>>;
}

/**
 * Run one phase over fanOut and turn its outcomes into a {@link PhaseReport}.
 * @param proceedAt successes after which `early` resolves without cancelling the rest (their
 *   outcomes still reach `final`; round events stop at the early report, so a display moves on).
 */
function runPhase<T>(
  o: ResolvedRoundOptions,
  round: RoundName,
  phase: RoundPhase,
  targets: readonly PhaseTarget[],
  call: PhaseCall<T>,
  quorum: number | undefined,
  signal: AbortSignal | undefined,
  proceedAt?: number,
): PhaseRun<T> {
  const { clock, mode, timeoutMs } = o;
  const startedAt = clock.now();
  let detached = false;
  const emit =
    o.onEvent === undefined
      ? undefined
      : (e: RoundEvent): void => {
          if (!detached) o.onEvent!(e);
        };
  const lastTransportError = new Map<Xid, string>();
  emit?.({
    type: 'phase-start',
    round,
    phase,
    mode,
    at: startedAt,
    timeoutMs,
    targets,
    ...(quorum === undefined ? {} : { quorum }),
  });
  const toOutcome = (x: Outcome<PhaseTarget, T>): ParticipantOutcome<T> => {
    const base = { xid: x.target.xid, settledAt: x.settledAt, durationMs: x.durationMs };
    switch (x.status) {
      case 'fulfilled':
        return { ...base, status: 'success', value: x.value };
      case 'rejected': {
        const accused = x.error instanceof ParticipantRejected ? x.error.accused : [];
        return { ...base, status: 'rejected', reason: asError(x.error).message, accused };
      }
      case 'failed': {
        const error = asError(x.error);
        return { ...base, status: 'error', reason: error.message, error };
      }
      case 'timedOut': {
        const last = lastTransportError.get(x.target.xid);
        const what = phase === 'send' ? 'acknowledgement' : 'response';
        const reason = `no ${what} within ${fmtSeconds(timeoutMs)}${last === undefined ? '' : ` (last error: ${last})`}`;
        return { ...base, status: 'timeout', reason };
      }
      case 'cancelled':
        return { ...base, status: 'cancelled', reason: x.reason };
    }
  };
  const settledSoFar: Outcome<PhaseTarget, T>[] = [];
  let resolveEarly: ((r: PhaseReport<T>) => void) | undefined;
  const early = new Promise<PhaseReport<T>>((resolve) => (resolveEarly = resolve));
  const report = (
    outcomes: readonly Outcome<PhaseTarget, T>[],
    completionOrder: readonly string[],
    elapsedMs: number,
    quorumMet: boolean,
    pending: readonly Xid[] | undefined,
  ): PhaseReport<T> => {
    const byParticipant = new Map<Xid, ParticipantOutcome<T>>();
    for (const x of outcomes) byParticipant.set(x.target.xid, toOutcome(x));
    // Lists in arrival (settlement) order: the signer set of sign round 1 is built from it.
    const seen = new Set<Xid>();
    const ordered: ParticipantOutcome<T>[] = [];
    for (const xid of [...completionOrder, ...targets.map((t) => t.xid)]) {
      if (seen.has(xid) || !byParticipant.has(xid)) continue;
      seen.add(xid);
      ordered.push(byParticipant.get(xid)!);
    }
    const successes = ordered
      .filter((p) => p.status === 'success')
      .map((p) => ({ xid: p.xid, value: p.value as T }));
    return {
      round,
      phase,
      mode,
      successes,
      rejections: ordered
        .filter((p) => p.status === 'rejected')
        .map((p) => ({ xid: p.xid, reason: p.reason ?? '', accused: p.accused ?? [] })),
      errors: ordered.filter((p) => p.status === 'error').map((p) => ({ xid: p.xid, error: p.error! })),
      timeouts: ordered.filter((p) => p.status === 'timeout').map((p) => p.xid),
      cancelled: ordered.filter((p) => p.status === 'cancelled').map((p) => p.xid),
      byParticipant,
      arrivalOrder: successes.map((s) => s.xid),
      startedAt,
      elapsedMs,
      aborted: outcomes.some((x) => x.status === 'cancelled' && x.reason === 'aborted'),
      quorumMet,
      ...(pending === undefined ? {} : { pending }),
    };
  };
  const maybeProceed = (): void => {
    if (proceedAt === undefined || detached) return;
    if (settledSoFar.filter((x) => x.status === 'fulfilled').length < proceedAt) return;
    const done = new Set(settledSoFar.map((x) => x.target.xid));
    const snapshot = report(
      settledSoFar,
      settledSoFar.map((x) => x.target.xid),
      clock.now() - startedAt,
      false,
      targets.filter((t) => !done.has(t.xid)).map((t) => t.xid),
    );
    emit?.({ type: 'phase-end', round, phase, at: clock.now(), report: snapshot });
    detached = true;
    resolveEarly!(snapshot);
  };
  const run = fanOut(
    targets,
    (t, ctx) => call(t, ctx.signal, (message) => lastTransportError.set(t.xid, message)),
    {
      key: (t) => t.xid,
      clock,
      timeoutMs,
      ...(mode === 'sequential'
        ? { concurrency: 1 }
        : o.concurrency === undefined
          ? {}
          : { concurrency: o.concurrency }),
      ...(quorum === undefined ? {} : { quorum: { count: quorum, exit: 'early' as const } }),
      ...(signal === undefined ? {} : { signal }),
      onEvent: (e: FanOutEvent<PhaseTarget, T>) => {
        if (e.type === 'settled') settledSoFar.push(e.outcome);
        if (emit !== undefined) {
          if (e.type === 'attempt' && e.attempt === 1)
            emit({ type: 'participant-start', round, phase, xid: e.id, at: e.at });
          else if (e.type === 'settled')
            emit({ type: 'participant-settled', round, phase, at: e.at, outcome: toOutcome(e.outcome) });
          else if (e.type === 'quorum-met')
            emit({ type: 'quorum-met', round, phase, at: e.at, count: e.fulfilled });
        }
        if (e.type === 'settled') maybeProceed();
      },
    },
  );
  const final = run.result.then((result) => {
    const r = report(result.outcomes, result.completionOrder, result.elapsedMs, result.quorumMet, undefined);
    emit?.({ type: 'phase-end', round, phase, at: clock.now(), report: r });
    if (!detached) {
      detached = true;
      resolveEarly!(r);
    }
    return r;
  });
  return { final, early };
}

function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Send phase: put every request's sealed message (as an envelope leaf) at its ARID, in parallel
 * (or one at a time in sequential mode). A put that fails at the transport level is retried (up to
 * `putAttempts`, `retryIntervalMs` apart); an `AlreadyExistsError` on a retry means an earlier
 * attempt landed (ARIDs are fresh random values) and counts as delivered. A permanent error
 * ({@link isPermanentPutError}, e.g. Mainline's 1000-byte limit) is not retried: that
 * participant's outcome is an error carrying the store's exact message.
 * @returns the phase report; `successes[i].value` is the store's receipt.
 */
export async function sendRequests(
  o: ResolvedRoundOptions,
  round: RoundName,
  requests: readonly Outbound[],
  signal?: AbortSignal,
): Promise<PhaseReport<string>> {
  return startSend(o, round, requests, signal, undefined).final;
}

/**
 * Send phase that lets the caller proceed once `need` requests were stored (sign invite with
 * quorum exit): the other puts are not cancelled but go on in the background, so a participant
 * whose ARIDs are slow still gets its request and may answer, without holding the caller up.
 * @param need successes to wait for (integer ≥ 1; more than the requests means all of them).
 * @returns `sent`: the report when `need` were stored (the rest in `pending`), or the final report
 *   when that can no longer happen; `delivery`: the final report once every put has ended.
 * @throws RoundOptionError('need') when `need` is not an integer ≥ 1.
 */
export async function sendRequestsProceeding(
  o: ResolvedRoundOptions,
  round: RoundName,
  requests: readonly Outbound[],
  need: number,
  signal?: AbortSignal,
): Promise<{ sent: PhaseReport<string>; delivery: Promise<PhaseReport<string>> }> {
  if (!Number.isSafeInteger(need) || need < 1)
    throw new RoundOptionError('need', `must be an integer >= 1, got ${String(need)}`);
  const run = startSend(o, round, requests, signal, need);
  return { sent: await run.early, delivery: run.final };
}

function startSend(
  o: ResolvedRoundOptions,
  round: RoundName,
  requests: readonly Outbound[],
  signal: AbortSignal | undefined,
  proceedAt: number | undefined,
): PhaseRun<string> {
  const byXid = new Map(requests.map((r) => [r.to, r]));
  const targets = requests.map((r) => ({ xid: r.to, arid: r.arid }));
  const call: PhaseCall<string> = async (t, attemptSignal, note) => {
    const r = byXid.get(t.xid)!;
    const envelope = sealedToEnvelopeUr(r.sealed);
    for (let attempt = 1; ; attempt++) {
      try {
        return await o.kv.put(r.arid, envelope, o.ttlSeconds, { signal: attemptSignal });
      } catch (e) {
        if (attemptSignal.aborted) throw attemptSignal.reason;
        if (isAlreadyExists(e)) {
          if (attempt > 1) return 'stored by an earlier attempt';
          throw e;
        }
        if (attempt >= o.putAttempts || isPermanentPutError(e)) throw e;
        const message = asError(e).message;
        note(message);
        o.onEvent?.({
          type: 'participant-retry',
          round,
          phase: 'send',
          xid: t.xid,
          at: o.clock.now(),
          error: message,
        });
        await o.clock.sleep(o.retryIntervalMs, attemptSignal);
      }
    }
  };
  return runPhase(o, round, 'send', targets, call, undefined, signal ?? o.signal, proceedAt);
}

/**
 * Collect phase: poll every target's ARID for its response, in parallel (or one at a time), and
 * check each response as it arrives with `check` (never throws: forged/malformed/bad → error of
 * that participant; a rejection → rejected with its reason). A get that fails at the transport
 * level (Hubert down, 5xx) is retried every `retryIntervalMs` until the participant's timeout; a
 * get that ends with nothing (the store's own deadline, set 1 s past the timeout) is a
 * {@link ResponseNotFoundError}.
 * @param options.quorum stop as soon as this many responses checked out (the rest are cancelled).
 */
export async function collectResponsesOver<T>(
  o: ResolvedRoundOptions,
  round: RoundName,
  targets: readonly PhaseTarget[],
  check: (xid: Xid, sealed: Uint8Array, now: number) => ResponseCheck<T>,
  options: { quorum?: number; signal?: AbortSignal } = {},
): Promise<PhaseReport<T>> {
  const getTimeoutSeconds = Math.ceil(o.timeoutMs / 1000) + 1;
  const call: PhaseCall<T> = async (t, signal, note) => {
    for (;;) {
      let text: string | null;
      try {
        text = await o.kv.get(t.arid, { timeoutSeconds: getTimeoutSeconds, signal });
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        const message = asError(e).message;
        note(message);
        o.onEvent?.({
          type: 'participant-retry',
          round,
          phase: 'collect',
          xid: t.xid,
          at: o.clock.now(),
          error: message,
        });
        await o.clock.sleep(o.retryIntervalMs, signal);
        continue;
      }
      if (text === null) throw new ResponseNotFoundError(t.xid, t.arid, getTimeoutSeconds);
      const sealed = sealedFromEnvelopeUr(text);
      const verdict = check(t.xid, sealed, o.clock.now());
      if (verdict.kind === 'success') return verdict.value;
      if (verdict.kind === 'rejected') throw new ParticipantRejected(verdict.reason, verdict.accused);
      throw verdict.error;
    }
  };
  return runPhase(o, round, 'collect', targets, call, options.quorum, options.signal ?? o.signal).final;
}
