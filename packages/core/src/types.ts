import type { Clock } from './clock.js';
import type { HedgeHistory } from './hedge-history.js';

/**
 * The one source of random bytes every package takes by injection: returns `n` fresh random bytes
 * (n an integer ≥ 0). In simulation it is a seeded stream (`rngBytesFn(rng.fork(label))` from
 * @fanout/sim); outside it must be a CSPRNG (e.g. `randomBytes` from @noble/hashes/utils).
 */
export type RandomBytes = (n: number) => Uint8Array;

/** Terminal state of one target. */
export type OutcomeStatus = 'fulfilled' | 'rejected' | 'failed' | 'timedOut' | 'cancelled';

/** Why a target was cancelled or timed out. */
export type EndReason =
  | 'quorum' // quorum met with exit 'early': the rest were no longer needed
  | 'aborted' // the caller's signal fired (e.g. Ctrl-C)
  | 'deadline' // the whole fan-out's deadlineMs passed
  | 'timeout'; // the last attempt's timeoutMs passed

/** Fields every {@link Outcome} has, whatever its status. Times are the clock's, in ms. */
interface OutcomeBase<T> {
  /** The target's id (from `key`). */
  readonly id: string;
  /** Position of the target in the input array. */
  readonly index: number;
  /** The target itself, as given to fanOut. */
  readonly target: T;
  /** Clock time the first attempt started, ms; `undefined` when it never started. */
  readonly startedAt: number | undefined;
  /** Clock time the outcome became terminal, ms. */
  readonly settledAt: number;
  /** settledAt - startedAt (0 when it never started), ms. */
  readonly durationMs: number;
  /** Calls made for this target, hedges and retries included (0 when it never started). */
  readonly attempts: number;
}

/** The target answered: an attempt (first, retry or hedge) resolved with `value`. */
export interface Fulfilled<T, R> extends OutcomeBase<T> {
  readonly status: 'fulfilled';
  /** What the winning attempt resolved with (or returned synchronously). */
  readonly value: R;
}
/** The target explicitly refused (classified 'rejected'); ends the target at once, never retried. */
export interface Rejected<T> extends OutcomeBase<T> {
  readonly status: 'rejected';
  /** What the target said no with (classified 'rejected' by `classify`). */
  readonly error: unknown;
}
/** Every attempt failed (classified 'failed': transport or protocol error), retries included. */
export interface Failed<T> extends OutcomeBase<T> {
  readonly status: 'failed';
  /** Transport or protocol error of the last attempt. */
  readonly error: unknown;
}
/**
 * No answer in time: the last attempt passed `timeoutMs` (reason 'timeout', error an
 * AttemptTimeoutError), or the run's `deadlineMs` passed first (reason 'deadline', error a
 * DeadlineExceededError; also for targets that never started).
 */
export interface TimedOut<T> extends OutcomeBase<T> {
  readonly status: 'timedOut';
  readonly reason: 'timeout' | 'deadline';
  /** AttemptTimeoutError or DeadlineExceededError (see `reason`). */
  readonly error: unknown;
}
/**
 * No longer wanted: the quorum was met with exit 'early' (reason 'quorum') or the caller aborted
 * (reason 'aborted': `signal` fired or `run.abort()`). In-flight attempts had their AbortSignal fired;
 * targets that never started have `attempts` 0 and `startedAt` undefined.
 */
export interface Cancelled<T> extends OutcomeBase<T> {
  readonly status: 'cancelled';
  readonly reason: 'quorum' | 'aborted';
  /** A CancelledError; its `cause` is the abort reason when the caller aborted. */
  readonly error: unknown;
}

/** One terminal outcome per target. Narrow on `status`. */
export type Outcome<T, R> = Fulfilled<T, R> | Rejected<T> | Failed<T> | TimedOut<T> | Cancelled<T>;

/** What the call receives besides its target. */
export interface CallContext extends AbortHook {
  /**
   * Aborts when this attempt is no longer wanted: timeout, quorum met, hedge lost, deadline, caller
   * abort. Created when first read (a Node AbortController and its EventTarget cost microseconds
   * per attempt); code of your own can use the {@link AbortHook} members instead, which tell the
   * same without creating it.
   */
  readonly signal: AbortSignal;
  /** Attempt number for this target, 1-based, counting retries and hedges. */
  readonly attempt: number;
  /** True when this attempt is a hedged duplicate of a slow one. */
  readonly hedged: boolean;
  /** The target's id. */
  readonly id: string;
}

/**
 * Cancellation of one attempt without an AbortSignal: the state and the listeners of
 * `ctx.signal`, for code that does not need a real signal (one to hand to fetch or undici does).
 * Listeners are called in the order added, after the signal's own 'abort' listeners if the signal
 * was read; a listener added once the attempt is aborted is never called (check `aborted` first),
 * as with AbortSignal. A listener that throws is reported as an uncaught exception (as an
 * EventTarget listener's error is), after the others have run.
 */
export interface AbortHook {
  /** True once the attempt was aborted. */
  readonly aborted: boolean;
  /** The abort reason once aborted (what `signal.reason` would be), else undefined. */
  readonly reason: unknown;
  /** Call `listener` once, with the reason, when the attempt is aborted. Adding it twice adds it once. */
  onAbort(listener: (reason: unknown) => void): void;
  /** Remove a listener added with {@link AbortHook.onAbort} (nothing if it was not added). */
  offAbort(listener: (reason: unknown) => void): void;
}

/** Counts handed to a quorum predicate after every settlement. */
export interface QuorumView<T, R> {
  readonly total: number;
  readonly fulfilled: number;
  readonly rejected: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly cancelled: number;
  /** Targets not yet terminal. */
  readonly pending: number;
  /** The outcome that just settled. */
  readonly last: Outcome<T, R>;
}

/**
 * When the fan-out has gathered enough: `count` fulfilled outcomes, or a `predicate` over the running
 * counts (give exactly one). Checked after every settlement until met; `result.quorumMet` says if it was.
 */
export interface QuorumOptions<T, R> {
  /** Fulfilled outcomes needed: an integer in 1..N (N = number of targets). */
  count?: number;
  /**
   * Alternative to `count`: return true once the decision is made. Called after every settlement
   * with the counts so far; a throw counts as false.
   */
  predicate?: (view: QuorumView<T, R>) => boolean;
  /**
   * 'early' (default): once met, abort the in-flight calls (their AbortSignal fires) and report
   * every unsettled target as cancelled (reason 'quorum'). 'all': note when it was met, keep going.
   */
  exit?: 'early' | 'all';
}

/**
 * Retries of a target whose attempt failed or timed out (never of a rejection). Off unless given.
 * Each retry starts a new round: a fresh attempt with its own timeout and, with `hedge`, its own
 * hedges. UNSAFE for calls that are not idempotent.
 */
export interface RetryOptions {
  /**
   * Attempts per target in total, the first included (≥ 1). UNSAFE for calls that are not
   * idempotent (e.g. RAIDA pown): a lost reply would make the retry act twice.
   */
  attempts: number;
  /**
   * Delay before retry n (n = 1 for the second attempt), ms: a finite number ≥ 0, or a function of n
   * returning ms (a throw, NaN or negative result counts as 0). Default 0 (retry at once).
   * Giving both `backoff` and `backoffMs` is a FanOutOptionError ('retry.backoff').
   */
  backoff?: number | ((retry: number) => number);
  /** The same as {@link RetryOptions.backoff} (its earlier name); give one of the two. */
  backoffMs?: number | ((retry: number) => number);
  /**
   * Multiply the per-attempt timeout by this on every retry (round r gets timeoutMs · factor^(r-1);
   * RAIDA clients use 1.5). A finite number > 0. Default 1.
   */
  timeoutFactor?: number;
  /**
   * Decide whether an error deserves a retry (`attempt`: the round that just ended, 1-based; a throw
   * counts as false). Default: every 'failed' or timed-out round, never a rejection.
   */
  when?: (error: unknown, info: { attempt: number; kind: 'failed' | 'timedOut' }) => boolean;
}

/**
 * Hedged requests: when an attempt is slow, start a duplicate of it; the first answer wins and the
 * others are aborted (their AbortSignal fires with CancelledError 'hedge-lost'). A hedge shares its
 * target's concurrency slot. A failed attempt does not end the round while a duplicate still runs.
 */
export interface HedgeOptions {
  /**
   * Start a duplicate when an attempt of the current round has not answered after this many ms
   * (finite, > 0), measured from that attempt's start; each hedge may in turn be hedged afterMs later.
   * Or a percentile of observed latencies, 'p<x>' with 0 < x < 100 (e.g. 'p95'): the delay is that
   * nearest-rank percentile of `history`'s window when the attempt starts; no hedge is armed while
   * the window holds fewer than `history.minSamples` samples.
   */
  afterMs: number | HedgePercentile;
  /**
   * Extra duplicates per retry round at most (integer ≥ 1, default 1): the count starts at 0 again
   * with every retry, so a target makes at most retry.attempts · (1 + max) calls in all.
   */
  max?: number;
  /**
   * Hedge budget, a fraction in (0, 1]: a hedge starts only if afterwards hedges ≤ budget · primary
   * calls, counted over `history` (every run sharing it). Extra requests stay ≤ budget. Default: none.
   */
  budget?: number;
  /**
   * Latency window and hedge/primary counters (see {@link HedgeHistory}); share one across runs so
   * the percentile and the budget carry over. Default: a fresh one per run when afterMs is a
   * percentile or a budget is set. The engine records the latency of each primary (non-hedge)
   * attempt that answers, and the elapsed time of one that ends unanswered (hedge lost, timeout,
   * cancel) when it is at least the current percentile.
   */
  history?: HedgeHistory;
}

/** A percentile of observed latencies as a hedge delay: 'p95', 'p99', 'p99.9', … */
export type HedgePercentile = `p${number}`;

/** Options of `fanOut`; every one is validated up front (FanOutOptionError naming it). */
export interface FanOutOptions<T, R> {
  /** Target → id. Ids must be unique. Default: the target itself if it is a string, else its index. */
  key?: (target: T, index: number) => string;
  /** Calls in flight at most (integer ≥ 1). Default: all targets at once. */
  concurrency?: number;
  /** Per-attempt timeout, ms (> 0; Infinity = none): the attempt's signal aborts and the round ends. Default: none. */
  timeoutMs?: number;
  /**
   * Whole fan-out deadline, ms from the start (> 0; Infinity = none): unsettled targets, running or
   * queued, become timedOut (reason 'deadline') and nothing settles after it. Default: none.
   */
  deadlineMs?: number;
  /** Stop condition; see {@link QuorumOptions}. Default: none (wait for every target). */
  quorum?: QuorumOptions<T, R>;
  /** Off unless given. See {@link RetryOptions} for the idempotency warning. */
  retry?: RetryOptions;
  /** Off unless given. See {@link HedgeOptions}. */
  hedge?: HedgeOptions;
  /** Error → 'rejected' (the target explicitly refused) or 'failed'. Default: {@link TargetRejectedError} → 'rejected', else 'failed'. */
  classify?: (error: unknown) => 'rejected' | 'failed';
  /** External cancellation (e.g. Ctrl-C): every unsettled target becomes cancelled (reason 'aborted'). */
  signal?: AbortSignal;
  /**
   * Time source: a VirtualClock in simulation, {@link realClock} in production. Required: code that
   * runs under the simulated clock never falls back to the real one (determinism rule).
   */
  clock: Clock;
  /** Progress events, called synchronously, `at` = the clock's time in ms. A throw is caught and dropped. */
  onEvent?: (event: FanOutEvent<T, R>) => void;
}

/** Progress events. `at` is the clock's time in ms. */
export type FanOutEvent<T, R> =
  | { type: 'started'; at: number; total: number }
  | { type: 'attempt'; at: number; id: string; index: number; attempt: number; hedged: boolean }
  | { type: 'retry'; at: number; id: string; index: number; attempt: number; delayMs: number; error: unknown }
  | { type: 'hedge'; at: number; id: string; index: number; attempt: number }
  | { type: 'settled'; at: number; id: string; index: number; outcome: Outcome<T, R> }
  | { type: 'quorum-met'; at: number; fulfilled: number }
  | { type: 'deadline'; at: number; pending: number }
  | {
      type: 'done';
      at: number;
      elapsedMs: number;
      counts: Record<OutcomeStatus, number>;
      quorumMet: boolean;
    };

/** The settled fan-out. Every list is in target order, never completion order. */
export interface FanOutResult<T, R> {
  /** One outcome per target, in target order. */
  readonly outcomes: readonly Outcome<T, R>[];
  /**
   * Outcomes keyed by id, iterated in target order. A read-only Map view (not a `Map` instance;
   * `new Map(result.byId)` copies it) over the engine's id index: reading it costs O(1).
   */
  readonly byId: ReadonlyMap<string, Outcome<T, R>>;
  readonly fulfilled: readonly Fulfilled<T, R>[];
  readonly rejected: readonly Rejected<T>[];
  readonly failed: readonly Failed<T>[];
  readonly timedOut: readonly TimedOut<T>[];
  readonly cancelled: readonly Cancelled<T>[];
  /** Quorum reached (false when no quorum was asked). */
  readonly quorumMet: boolean;
  /** Clock time from start to the last outcome, ms. */
  readonly elapsedMs: number;
  /** Ids in the order their outcomes settled. */
  readonly completionOrder: readonly string[];
  /** True when at least `min` targets fulfilled. */
  canProceed(min: number): boolean;
}

/**
 * A running fan-out: await it for the {@link FanOutResult}, or `for await` it for outcomes in
 * completion order as they settle (each iterator sees every outcome, from the first).
 */
export interface FanOutRun<T, R> extends PromiseLike<FanOutResult<T, R>>, AsyncIterable<Outcome<T, R>> {
  /** Cancel every unsettled target (reason 'aborted'). */
  abort(reason?: unknown): void;
  /** The result promise itself (never rejects). */
  readonly result: Promise<FanOutResult<T, R>>;
}
