/**
 * BENCHMARK BASELINE, not for use: a copy of packages/core/src/fan-out.ts as it was before the
 * allocation work on the fast path (Attempt object + two `.then` closures + an 11-field outcome
 * record per target), kept so bench/core.bench.ts can run the old and the new engine side by side
 * in one process. Only this comment, the import paths, one cast (afterMs, now also a percentile
 * string in the shared type) and the CallContext type of its time were changed.
 */
import type { Clock, TimerHandle } from '@fanout/core';
import { IdIndex } from './id-index-v1.js';
import {
  AttemptTimeoutError,
  CancelledError,
  DeadlineExceededError,
  FanOutOptionError,
  TargetRejectedError,
} from '@fanout/core';
import type {
  AbortHook,
  CallContext as CurrentCallContext,
  Cancelled,
  FanOutEvent,
  FanOutOptions,
  FanOutResult,
  FanOutRun,
  Failed,
  Fulfilled,
  Outcome,
  OutcomeStatus,
  QuorumView,
  Rejected,
  TimedOut,
} from '@fanout/core';

/** The call context of its time (before the AbortHook members). */
type CallContext = Omit<CurrentCallContext, keyof AbortHook>;

/** The function called once per attempt. It may return a value, a promise, or throw. */
export type FanOutCall<T, R> = (target: T, ctx: CallContext) => R | PromiseLike<R>;

const defaultClassify = (error: unknown): 'rejected' | 'failed' =>
  error instanceof TargetRejectedError ? 'rejected' : 'failed';

const isPositive = (v: unknown): v is number => typeof v === 'number' && v > 0 && !Number.isNaN(v);
const isWholeAtLeast = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * One call to one target; doubles as the call's {@link CallContext}. Per-target state lives in the
 * engine's flat arrays, so the common one-call-per-target path allocates this object and the outcome.
 */
class Attempt implements CallContext {
  done = false;
  timer: TimerHandle | undefined = undefined;
  hedgeTimer: TimerHandle | undefined = undefined;
  #ctl: AbortController | undefined = undefined;
  #abortReason: unknown = undefined;
  #aborted = false;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly attempt: number,
    readonly hedged: boolean,
  ) {}

  /** Created lazily: most calls in a large fan-out never read it, and an AbortController is not free. */
  get signal(): AbortSignal {
    if (this.#ctl === undefined) {
      this.#ctl = new AbortController();
      if (this.#aborted) this.#ctl.abort(this.#abortReason);
    }
    return this.#ctl.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#ctl?.abort(reason);
  }
}

/** Runtime shape of every {@link Outcome}: fields irrelevant to a status are undefined. */
class OutcomeRecord<T, R> {
  constructor(
    readonly status: OutcomeStatus,
    readonly id: string,
    readonly index: number,
    readonly target: T,
    readonly startedAt: number | undefined,
    readonly settledAt: number,
    readonly durationMs: number,
    readonly attempts: number,
    readonly value: R | undefined,
    readonly error: unknown,
    readonly reason: string | undefined,
  ) {}
}

/** Retry/hedge bookkeeping of a target, created only when those features are in play. */
interface Extra {
  round: number;
  hedgesThisRound: number;
  hedges: Attempt[] | undefined;
  retryTimer: TimerHandle | undefined;
  lastError: unknown;
  lastKind: 'failed' | 'timedOut';
}

// State 0 = queued (the zero-filled initial value).
const RUNNING = 1;
const SETTLED = 2;

/**
 * Fan one call out to N targets and gather exactly one terminal outcome per target.
 *
 * ```ts
 * const run = fanOut(raidas, (r, { signal }) => detect(r, signal), {
 *   key: (r) => String(r.id), timeoutMs: 3000, quorum: { count: 13, exit: 'early' },
 * });
 * for await (const outcome of run) console.log(outcome.id, outcome.status); // completion order
 * const result = await run; // result.outcomes in target order
 * ```
 *
 * Semantics, in short:
 * - At most `concurrency` targets are in flight (a hedge shares its target's slot); the rest wait in
 *   target order, so target j waits only for the targets queued ahead of it (no head-of-line
 *   blocking beyond the concurrency limit; with concurrency ≥ N nobody waits).
 * - An attempt that throws (synchronously or by rejecting) is classified by `classify`: 'rejected'
 *   ends the target at once; 'failed' or a per-attempt timeout ends it unless `retry` allows another
 *   round (after `backoff`, alias `backoffMs`) or a hedged duplicate is still running.
 * - With `hedge`, if an attempt has not answered after `afterMs`, a duplicate starts (at most `max`
 *   per round); the first answer wins and the others are aborted.
 * - With `quorum` and exit 'early', the first settlement that satisfies it cancels every other
 *   target: their AbortSignals fire and they are reported `cancelled` (reason 'quorum').
 * - `deadlineMs` ends every unsettled target as `timedOut` (reason 'deadline'); `signal` (or
 *   `run.abort()`) ends them as `cancelled` (reason 'aborted'). Nothing settles after that.
 * - Late answers from cancelled, timed-out or losing attempts are ignored; every timer the engine
 *   set is cleared and the external signal's listener removed by the time the result resolves.
 *
 * Ties (several things due at the same instant) follow the clock's timer order. On `VirtualClock`
 * timers due together fire in the order they were set, and promise work drains between two timers
 * (with realClock, ties are up to the host's timers and not guaranteed). The deadline timer is
 * set when the run starts, before any call, so a deadline wins every tie: an answer or a timeout
 * due exactly at deadlineMs yields timedOut (reason 'deadline'). An attempt's timeout timer is set
 * right after its call returns, so an answer whose timer the call set synchronously (e.g.
 * `clock.sleep(ms)` inside the call) wins a tie with timeoutMs; an answer scheduled later loses it.
 * A caller's abort at the same instant wins over all of these if its timer was set before fanOut.
 * Property-tested in `test/properties.test.ts` ("timer ties").
 *
 * A call that never settles is still reported once: as timedOut when `timeoutMs` or `deadlineMs` is
 * set, as cancelled on quorum or abort. Without any of those the run waits for it (as Promise.all does).
 *
 * @param targets the N targets (any values).
 * @param call called per attempt with the target and a {@link CallContext} (`signal`, `attempt`, `hedged`, `id`).
 * @param options see {@link FanOutOptions}; every option is validated up front.
 * @returns a {@link FanOutRun}: awaitable (never rejects) and async-iterable.
 * @throws FanOutOptionError naming the option: concurrency not an integer ≥ 1, a timeout/deadline/afterMs
 *   that is not > 0, quorum.count not in 1..N or neither/both of count and predicate, retry.attempts < 1,
 *   retry.backoff / retry.backoffMs not a finite number ≥ 0 or a function, both of them given
 *   ('retry.backoff'), hedge.max < 1, a key function that yields a non-string or a duplicate id,
 *   a non-array `targets`.
 */
export function fanOut<T, R>(
  targets: readonly T[],
  call: FanOutCall<T, R>,
  options: FanOutOptions<T, R>,
): FanOutRun<T, R> {
  return new Engine<T, R>(targets, call, options).start();
}

class Engine<T, R> implements FanOutRun<T, R> {
  readonly #call: FanOutCall<T, R>;
  readonly #clock: Clock;
  readonly #targets: readonly T[];
  /** Ids computed up front (a key function or string targets: duplicates must be caught early); else String(index). */
  readonly #ids: string[] | undefined;
  /** With #ids: id → index, in target order (built by the duplicate check; backs result.byId). */
  readonly #indexOf: IdIndex | undefined;
  /** Per-target state, flat: QUEUED / RUNNING / SETTLED. */
  readonly #state: Uint8Array;
  /** Per-target first start time (NaN until started). */
  readonly #startedAt: Float64Array;
  /** Per-target calls made (hedges and retries included). */
  readonly #calls: Uint32Array;
  /** Per-target attempts in flight. */
  readonly #live: Uint16Array;
  /** Per-target current (non-hedge) attempt while running. */
  readonly #current: (Attempt | undefined)[];
  /** Retry/hedge bookkeeping, only for targets that needed it. */
  readonly #extra = new Map<number, Extra>();
  readonly #n: number;
  readonly #concurrency: number;
  readonly #timeoutMs: number | undefined;
  readonly #deadlineMs: number | undefined;
  readonly #quorumCount: number | undefined;
  readonly #quorumPredicate: ((view: QuorumView<T, R>) => boolean) | undefined;
  readonly #quorumEarly: boolean;
  readonly #retryAttempts: number;
  readonly #backoff: ((retry: number) => number) | undefined;
  readonly #timeoutFactor: number;
  readonly #retryWhen:
    ((error: unknown, info: { attempt: number; kind: 'failed' | 'timedOut' }) => boolean) | undefined;
  readonly #hedgeAfterMs: number | undefined;
  readonly #hedgeMax: number;
  readonly #classify: (error: unknown) => 'rejected' | 'failed';
  readonly #signal: AbortSignal | undefined;
  readonly #onEvent: ((event: FanOutEvent<T, R>) => void) | undefined;

  readonly #outcomes: Outcome<T, R>[];
  /** Target indexes in settlement order (the first #settledCount entries are set). */
  readonly #order: Int32Array;
  readonly #counts: Record<OutcomeStatus, number> = {
    fulfilled: 0,
    rejected: 0,
    failed: 0,
    timedOut: 0,
    cancelled: 0,
  };
  readonly #timeoutErrors = new Map<number, AttemptTimeoutError>();
  #settledCount = 0;
  #next = 0;
  #running = 0;
  #pumping = false;
  #closing = false;
  #finished = false;
  #quorumMet = false;
  #t0 = 0;
  #deadlineTimer: TimerHandle | undefined = undefined;
  #onAbort: (() => void) | undefined = undefined;
  #waiters: (() => void)[] = [];
  #resolve!: (result: FanOutResult<T, R>) => void;
  readonly result: Promise<FanOutResult<T, R>>;

  constructor(targets: readonly T[], call: FanOutCall<T, R>, o: FanOutOptions<T, R>) {
    if (!Array.isArray(targets)) throw new FanOutOptionError('targets', 'must be an array');
    if (typeof call !== 'function') throw new FanOutOptionError('call', 'must be a function');
    if (o === null || typeof o !== 'object') throw new FanOutOptionError('options', 'must be an object');
    const n = targets.length;
    this.#n = n;
    this.#call = call;
    if (o.clock === undefined || typeof o.clock.setTimer !== 'function')
      throw new FanOutOptionError(
        'clock',
        'is required (a VirtualClock in simulation, realClock in production)',
      );
    this.#clock = o.clock;

    if (o.concurrency === undefined || o.concurrency === Infinity) this.#concurrency = Infinity;
    else if (isWholeAtLeast(o.concurrency, 1)) this.#concurrency = o.concurrency;
    else
      throw new FanOutOptionError(
        'concurrency',
        `must be an integer >= 1 or Infinity, got ${String(o.concurrency)}`,
      );

    if (o.timeoutMs !== undefined && !isPositive(o.timeoutMs))
      throw new FanOutOptionError('timeoutMs', `must be a number > 0 (ms), got ${String(o.timeoutMs)}`);
    this.#timeoutMs = o.timeoutMs === Infinity ? undefined : o.timeoutMs;
    if (o.deadlineMs !== undefined && !isPositive(o.deadlineMs))
      throw new FanOutOptionError('deadlineMs', `must be a number > 0 (ms), got ${String(o.deadlineMs)}`);
    this.#deadlineMs = o.deadlineMs === Infinity ? undefined : o.deadlineMs;

    const q = o.quorum;
    if (q !== undefined) {
      if (q === null || typeof q !== 'object') throw new FanOutOptionError('quorum', 'must be an object');
      if ((q.count === undefined) === (q.predicate === undefined))
        throw new FanOutOptionError('quorum', 'give exactly one of count or predicate');
      if (q.count !== undefined) {
        if (!isWholeAtLeast(q.count, 1))
          throw new FanOutOptionError('quorum.count', `must be an integer >= 1, got ${String(q.count)}`);
        if (q.count > n)
          throw new FanOutOptionError(
            'quorum.count',
            `${q.count} is larger than the number of targets (${n})`,
          );
      } else if (typeof q.predicate !== 'function')
        throw new FanOutOptionError('quorum.predicate', 'must be a function');
      if (q.exit !== undefined && q.exit !== 'early' && q.exit !== 'all')
        throw new FanOutOptionError('quorum.exit', `must be 'early' or 'all', got ${String(q.exit)}`);
    }
    this.#quorumCount = q?.count;
    this.#quorumPredicate = q?.predicate;
    this.#quorumEarly = q !== undefined && q.exit !== 'all';

    const r = o.retry;
    if (r !== undefined) {
      if (r === null || typeof r !== 'object') throw new FanOutOptionError('retry', 'must be an object');
      if (!isWholeAtLeast(r.attempts, 1))
        throw new FanOutOptionError('retry.attempts', `must be an integer >= 1, got ${String(r.attempts)}`);
      if (r.backoff !== undefined && r.backoffMs !== undefined)
        throw new FanOutOptionError(
          'retry.backoff',
          'give either backoff or backoffMs (an alias of backoff), not both',
        );
      for (const name of ['backoffMs', 'backoff'] as const) {
        const b = r[name];
        if (
          b !== undefined &&
          typeof b !== 'function' &&
          !(typeof b === 'number' && b >= 0 && Number.isFinite(b))
        )
          throw new FanOutOptionError(
            `retry.${name}`,
            `must be a finite number >= 0 (ms) or a function of the retry number, got ${String(b)}`,
          );
      }
      if (r.timeoutFactor !== undefined && !(isPositive(r.timeoutFactor) && Number.isFinite(r.timeoutFactor)))
        throw new FanOutOptionError(
          'retry.timeoutFactor',
          `must be a finite number > 0, got ${String(r.timeoutFactor)}`,
        );
      if (r.when !== undefined && typeof r.when !== 'function')
        throw new FanOutOptionError('retry.when', 'must be a function');
    }
    this.#retryAttempts = r?.attempts ?? 1;
    const backoff = r?.backoff ?? r?.backoffMs;
    this.#backoff =
      typeof backoff === 'function'
        ? backoff
        : backoff !== undefined && backoff > 0
          ? () => backoff
          : undefined;
    this.#timeoutFactor = r?.timeoutFactor ?? 1;
    this.#retryWhen = r?.when;

    const h = o.hedge;
    if (h !== undefined) {
      if (h === null || typeof h !== 'object') throw new FanOutOptionError('hedge', 'must be an object');
      if (!isPositive(h.afterMs) || !Number.isFinite(h.afterMs))
        throw new FanOutOptionError(
          'hedge.afterMs',
          `must be a finite number > 0 (ms), got ${String(h.afterMs)}`,
        );
      if (h.max !== undefined && !isWholeAtLeast(h.max, 1))
        throw new FanOutOptionError('hedge.max', `must be an integer >= 1, got ${String(h.max)}`);
    }
    this.#hedgeAfterMs = h?.afterMs as number | undefined; // v1 accepted numbers only (validated above)
    this.#hedgeMax = h?.max ?? 1;

    if (o.classify !== undefined && typeof o.classify !== 'function')
      throw new FanOutOptionError('classify', 'must be a function');
    this.#classify = o.classify ?? defaultClassify;
    if (o.onEvent !== undefined && typeof o.onEvent !== 'function')
      throw new FanOutOptionError('onEvent', 'must be a function');
    this.#onEvent = o.onEvent;
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
      throw new FanOutOptionError('signal', 'must be an AbortSignal');
    this.#signal = o.signal;
    if (o.key !== undefined && typeof o.key !== 'function')
      throw new FanOutOptionError('key', 'must be a function');

    // Ids: validated and checked for duplicates up front.
    const key = o.key;
    // Index ids are unique by construction; only a key function or string targets need the check.
    const check = key !== undefined || targets.some((t) => typeof t === 'string');
    // The duplicate check's id → index table is kept: result.byId is a view over it and the
    // outcomes array, so keyed outcomes cost one index build (here), nothing per result.
    const ids = check ? new Array<string>(n) : undefined;
    const index = ids !== undefined ? new IdIndex(ids) : undefined;
    for (let i = 0; ids !== undefined && i < n; i++) {
      const t = targets[i] as T;
      let id: string;
      if (key !== undefined) {
        id = key(t, i);
        if (typeof id !== 'string')
          throw new FanOutOptionError('key', `must return a string, got ${typeof id} for target ${i}`);
      } else id = typeof t === 'string' ? t : String(i);
      ids[i] = id;
      const prev = index!.add(i);
      if (prev >= 0) throw new FanOutOptionError('key', `duplicate id "${id}" for targets ${prev} and ${i}`);
    }
    this.#targets = targets;
    this.#ids = ids;
    this.#indexOf = index;
    this.#state = new Uint8Array(n);
    this.#startedAt = new Float64Array(n).fill(NaN);
    this.#calls = new Uint32Array(n);
    this.#live = new Uint16Array(n);
    this.#current = new Array<Attempt | undefined>(n);
    this.#outcomes = new Array<Outcome<T, R>>(n);
    this.#order = new Int32Array(n);
    this.result = new Promise((resolve) => (this.#resolve = resolve));
  }

  start(): this {
    const clock = this.#clock;
    this.#t0 = clock.now();
    this.#emit({ type: 'started', at: this.#t0, total: this.#n });
    if (this.#n === 0) {
      this.#finish();
      return this;
    }
    const signal = this.#signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#cancelRest('aborted', signal.reason);
        return this;
      }
      this.#onAbort = () => this.#cancelRest('aborted', signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    if (this.#deadlineMs !== undefined) {
      this.#deadlineTimer = clock.setTimer(() => this.#onDeadline(), this.#deadlineMs);
    }
    this.#pump();
    return this;
  }

  // ---- PromiseLike / AsyncIterable / abort ---------------------------------------------------

  then<A = FanOutResult<T, R>, B = never>(
    onfulfilled?: ((value: FanOutResult<T, R>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onfulfilled, onrejected);
  }

  abort(reason?: unknown): void {
    if (!this.#finished && !this.#closing) this.#cancelRest('aborted', reason);
  }

  [Symbol.asyncIterator](): AsyncIterator<Outcome<T, R>> {
    let pos = 0;
    let stopped = false;
    const step = (): Promise<IteratorResult<Outcome<T, R>>> => {
      if (!stopped && pos < this.#settledCount) {
        return Promise.resolve({ done: false, value: this.#outcomes[this.#order[pos++]!]! });
      }
      if (stopped || this.#finished) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => this.#waiters.push(() => resolve(step())));
    };
    return {
      next: step,
      return: () => {
        stopped = true;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  // ---- scheduling ----------------------------------------------------------------------------

  #id(index: number): string {
    const ids = this.#ids;
    return ids !== undefined ? ids[index]! : String(index);
  }

  #extraOf(index: number): Extra {
    let x = this.#extra.get(index);
    if (x === undefined) {
      x = {
        round: 1,
        hedgesThisRound: 0,
        hedges: undefined,
        retryTimer: undefined,
        lastError: undefined,
        lastKind: 'failed',
      };
      this.#extra.set(index, x);
    }
    return x;
  }

  /** Admit queued targets while slots are free. `now`: the current clock time if the caller just read it. */
  #pump(now?: number): void {
    if (this.#pumping) return;
    this.#pumping = true;
    while (!this.#closing && this.#running < this.#concurrency && this.#next < this.#n) {
      const index = this.#next++;
      this.#running++;
      this.#state[index] = RUNNING;
      // Targets admitted in one pass start at the same instant: one clock read for the batch.
      this.#startedAt[index] = now ??= this.#clock.now();
      this.#startAttempt(index, this.#id(index), false);
    }
    this.#pumping = false;
  }

  #startAttempt(index: number, id: string, hedged: boolean): void {
    const att = new Attempt(index, id, ++this.#calls[index]!, hedged);
    this.#live[index]!++;
    if (hedged) (this.#extraOf(index).hedges ??= []).push(att);
    else this.#current[index] = att;
    if (this.#onEvent !== undefined) {
      this.#emit({ type: 'attempt', at: this.#clock.now(), id, index, attempt: att.attempt, hedged });
    }
    let ret: R | PromiseLike<R>;
    try {
      ret = this.#call(this.#targets[index] as T, att);
    } catch (error) {
      this.#attemptError(att, error);
      return;
    }
    if (
      ret !== null &&
      (typeof ret === 'object' || typeof ret === 'function') &&
      typeof (ret as PromiseLike<R>).then === 'function'
    ) {
      try {
        (ret as PromiseLike<R>).then(
          (value) => this.#attemptOk(att, value),
          (error: unknown) => this.#attemptError(att, error),
        );
      } catch (error) {
        this.#attemptError(att, error);
        return;
      }
    } else {
      this.#attemptOk(att, ret as R);
      return;
    }
    if (att.done) return;
    const clock = this.#clock;
    if (this.#timeoutMs !== undefined) {
      const round = this.#extra.get(index)?.round ?? 1;
      const ms = this.#timeoutMs * this.#timeoutFactor ** (round - 1);
      att.timer = clock.setTimer(() => this.#attemptTimeout(att, ms), ms);
    }
    if (this.#hedgeAfterMs !== undefined && (this.#extra.get(index)?.hedgesThisRound ?? 0) < this.#hedgeMax) {
      att.hedgeTimer = clock.setTimer(() => this.#launchHedge(att), this.#hedgeAfterMs);
    }
  }

  #launchHedge(from: Attempt): void {
    from.hedgeTimer = undefined;
    const index = from.index;
    if (this.#state[index] === SETTLED || from.done || this.#closing) return;
    this.#extraOf(index).hedgesThisRound++;
    if (this.#onEvent !== undefined) {
      this.#emit({
        type: 'hedge',
        at: this.#clock.now(),
        id: from.id,
        index,
        attempt: this.#calls[index]! + 1,
      });
    }
    this.#startAttempt(index, from.id, true);
  }

  #endAttempt(att: Attempt): void {
    att.done = true;
    const clock = this.#clock;
    if (att.timer !== undefined) {
      clock.clearTimer(att.timer);
      att.timer = undefined;
    }
    if (att.hedgeTimer !== undefined) {
      clock.clearTimer(att.hedgeTimer);
      att.hedgeTimer = undefined;
    }
    this.#live[att.index]!--;
  }

  #attemptOk(att: Attempt, value: R): void {
    if (att.done) return;
    this.#endAttempt(att);
    if (this.#state[att.index] === SETTLED) return;
    this.#settle(att.index, att.id, 'fulfilled', value, undefined, undefined);
  }

  #attemptError(att: Attempt, error: unknown): void {
    if (att.done) return;
    this.#endAttempt(att);
    const index = att.index;
    if (this.#state[index] === SETTLED) return;
    let kind: 'rejected' | 'failed';
    try {
      kind = this.#classify(error) === 'rejected' ? 'rejected' : 'failed';
    } catch {
      kind = 'failed';
    }
    if (kind === 'rejected') {
      this.#settle(index, att.id, 'rejected', undefined, error, undefined);
      return;
    }
    this.#roundMaybeOver(index, att.id, error, 'failed');
  }

  #attemptTimeout(att: Attempt, ms: number): void {
    att.timer = undefined;
    if (att.done) return;
    this.#endAttempt(att);
    // One error object per timeout value and run: building an Error (stack capture) per timed-out
    // attempt is the dominant cost of large simulated fan-outs with many dead targets.
    let error = this.#timeoutErrors.get(ms);
    if (error === undefined) this.#timeoutErrors.set(ms, (error = new AttemptTimeoutError(ms)));
    att.abort(error);
    if (this.#state[att.index] === SETTLED) return;
    this.#roundMaybeOver(att.index, att.id, error, 'timedOut');
  }

  /** An attempt ended without an answer: wait for a live hedge, retry, or settle. */
  #roundMaybeOver(index: number, id: string, error: unknown, kind: 'failed' | 'timedOut'): void {
    if (this.#retryAttempts === 1 && this.#hedgeAfterMs === undefined) {
      // Fast path: no retry, no hedge.
      if (kind === 'timedOut') this.#settle(index, id, 'timedOut', undefined, error, 'timeout');
      else this.#settle(index, id, 'failed', undefined, error, undefined);
      return;
    }
    const x = this.#extraOf(index);
    x.lastError = error;
    x.lastKind = kind;
    if (this.#live[index]! > 0 || this.#closing) return;
    if (x.round < this.#retryAttempts) {
      let again = true;
      if (this.#retryWhen !== undefined) {
        try {
          again = this.#retryWhen(error, { attempt: x.round, kind }) === true;
        } catch {
          again = false;
        }
      }
      if (again) {
        let delay = 0;
        if (this.#backoff !== undefined) {
          try {
            const d = this.#backoff(x.round);
            delay = Number.isFinite(d) && d > 0 ? d : 0;
          } catch {
            delay = 0;
          }
        }
        if (this.#onEvent !== undefined) {
          this.#emit({
            type: 'retry',
            at: this.#clock.now(),
            id,
            index,
            attempt: this.#calls[index]! + 1,
            delayMs: delay,
            error,
          });
        }
        x.round++;
        x.hedgesThisRound = 0;
        if (delay > 0) {
          x.retryTimer = this.#clock.setTimer(() => {
            x.retryTimer = undefined;
            if (this.#state[index] !== SETTLED && !this.#closing) this.#startAttempt(index, id, false);
          }, delay);
        } else {
          this.#startAttempt(index, id, false);
        }
        return;
      }
    }
    if (kind === 'timedOut') this.#settle(index, id, 'timedOut', undefined, error, 'timeout');
    else this.#settle(index, id, 'failed', undefined, error, undefined);
  }

  // ---- settlement ----------------------------------------------------------------------------

  #settle(
    index: number,
    id: string,
    status: OutcomeStatus,
    value: R | undefined,
    error: unknown,
    reason: string | undefined,
  ): void {
    const wasRunning = this.#state[index] === RUNNING;
    this.#state[index] = SETTLED;
    const clock = this.#clock;
    const x = this.#extra.size > 0 ? this.#extra.get(index) : undefined;
    if (x?.retryTimer !== undefined) {
      clock.clearTimer(x.retryTimer);
      x.retryTimer = undefined;
    }
    if (this.#live[index]! > 0) {
      // Abort whatever is still running for this target: losers of a hedge race, or everything on cancel/deadline.
      const why = status === 'fulfilled' || status === 'rejected' ? new CancelledError('hedge-lost') : error;
      const cur = this.#current[index];
      if (cur !== undefined && !cur.done) {
        this.#endAttempt(cur);
        cur.abort(why);
      }
      if (x?.hedges !== undefined) {
        for (const h of x.hedges) {
          if (!h.done) {
            this.#endAttempt(h);
            h.abort(why);
          }
        }
      }
    }
    this.#current[index] = undefined;
    if (wasRunning) this.#running--;
    const settledAt = clock.now();
    const started = this.#startedAt[index]!;
    const startedAt = Number.isNaN(started) ? undefined : started;
    // One hidden class for every outcome (cheaper than per-status literals with spreads).
    const outcome = new OutcomeRecord<T, R>(
      status,
      id,
      index,
      this.#targets[index] as T,
      startedAt,
      settledAt,
      startedAt === undefined ? 0 : settledAt - startedAt,
      this.#calls[index]!,
      value,
      error,
      reason,
    ) as unknown as Outcome<T, R>;
    this.#outcomes[index] = outcome;
    this.#order[this.#settledCount++] = index;
    this.#counts[status]++;
    if (this.#onEvent !== undefined) {
      this.#emit({ type: 'settled', at: settledAt, id, index, outcome });
    }
    if (this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
    if (
      !this.#quorumMet &&
      !this.#closing &&
      (this.#quorumCount !== undefined || this.#quorumPredicate !== undefined)
    ) {
      this.#checkQuorum(outcome);
    }
    if (this.#settledCount === this.#n) this.#finish();
    else if (!this.#closing) this.#pump(settledAt);
  }

  #checkQuorum(last: Outcome<T, R>): void {
    const c = this.#counts;
    let met: boolean;
    if (this.#quorumCount !== undefined) met = c.fulfilled >= this.#quorumCount;
    else {
      const view: QuorumView<T, R> = {
        total: this.#n,
        fulfilled: c.fulfilled,
        rejected: c.rejected,
        failed: c.failed,
        timedOut: c.timedOut,
        cancelled: c.cancelled,
        pending: this.#n - this.#settledCount,
        last,
      };
      try {
        met = this.#quorumPredicate!(view) === true;
      } catch {
        met = false;
      }
    }
    if (!met) return;
    this.#quorumMet = true;
    this.#emit({ type: 'quorum-met', at: this.#clock.now(), fulfilled: c.fulfilled });
    if (this.#quorumEarly && this.#settledCount < this.#n) this.#cancelRest('quorum', undefined);
  }

  #cancelRest(reason: 'quorum' | 'aborted', cause: unknown): void {
    if (this.#closing || this.#finished) return;
    this.#closing = true;
    const error = new CancelledError(reason, cause);
    this.#endAllPending((index) =>
      this.#settle(index, this.#id(index), 'cancelled', undefined, error, reason),
    );
  }

  /** Settle every unsettled target, in target order (running and never started alike). */
  #endAllPending(end: (index: number) => void): void {
    const state = this.#state;
    for (let i = 0; i < this.#n; i++) if (state[i] !== SETTLED) end(i);
    this.#next = this.#n;
  }

  #onDeadline(): void {
    this.#deadlineTimer = undefined;
    if (this.#closing || this.#finished) return;
    this.#closing = true;
    const deadlineMs = this.#deadlineMs!;
    this.#emit({ type: 'deadline', at: this.#clock.now(), pending: this.#n - this.#settledCount });
    const error = new DeadlineExceededError(deadlineMs);
    this.#endAllPending((index) =>
      this.#settle(index, this.#id(index), 'timedOut', undefined, error, 'deadline'),
    );
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#closing = true;
    const clock = this.#clock;
    if (this.#deadlineTimer !== undefined) {
      clock.clearTimer(this.#deadlineTimer);
      this.#deadlineTimer = undefined;
    }
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener('abort', this.#onAbort);
      this.#onAbort = undefined;
    }
    const elapsedMs = clock.now() - this.#t0;
    const result = new ResultImpl<T, R>(
      this.#outcomes,
      this.#quorumMet,
      elapsedMs,
      { ...this.#counts },
      this.#order,
      this.#indexOf,
    );
    this.#emit({
      type: 'done',
      at: clock.now(),
      elapsedMs,
      counts: { ...this.#counts },
      quorumMet: this.#quorumMet,
    });
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    this.#resolve(result);
  }

  #emit(event: FanOutEvent<T, R>): void {
    const on = this.#onEvent;
    if (on === undefined) return;
    try {
      on(event);
    } catch {
      // A throwing listener must not corrupt the engine's bookkeeping; its error is dropped (documented).
    }
  }
}

/** The result object; per-status lists, byId and completionOrder are computed on first read. */
class ResultImpl<T, R> implements FanOutResult<T, R> {
  #byStatus: Map<OutcomeStatus, Outcome<T, R>[]> | undefined;
  #byId: ById<T, R> | undefined;
  readonly #indexOf: IdIndex | undefined;
  #completion: string[] | undefined;

  constructor(
    readonly outcomes: readonly Outcome<T, R>[],
    readonly quorumMet: boolean,
    readonly elapsedMs: number,
    readonly counts: Readonly<Record<OutcomeStatus, number>>,
    readonly order: Int32Array,
    indexOf: IdIndex | undefined,
  ) {
    this.#indexOf = indexOf;
  }

  #list(status: OutcomeStatus): Outcome<T, R>[] {
    if (this.#byStatus === undefined) {
      const m = new Map<OutcomeStatus, Outcome<T, R>[]>([
        ['fulfilled', []],
        ['rejected', []],
        ['failed', []],
        ['timedOut', []],
        ['cancelled', []],
      ]);
      for (const o of this.outcomes) m.get(o.status)!.push(o);
      this.#byStatus = m;
    }
    return this.#byStatus.get(status)!;
  }

  get fulfilled(): readonly Fulfilled<T, R>[] {
    return this.#list('fulfilled') as Fulfilled<T, R>[];
  }
  get rejected(): readonly Rejected<T>[] {
    return this.#list('rejected') as Rejected<T>[];
  }
  get failed(): readonly Failed<T>[] {
    return this.#list('failed') as Failed<T>[];
  }
  get timedOut(): readonly TimedOut<T>[] {
    return this.#list('timedOut') as TimedOut<T>[];
  }
  get cancelled(): readonly Cancelled<T>[] {
    return this.#list('cancelled') as Cancelled<T>[];
  }
  get byId(): ReadonlyMap<string, Outcome<T, R>> {
    return (this.#byId ??= new ById(this.outcomes, this.#indexOf));
  }
  get completionOrder(): readonly string[] {
    return (this.#completion ??= Array.from(this.order, (i) => this.outcomes[i]!.id));
  }
  canProceed(min: number): boolean {
    return this.counts.fulfilled >= min;
  }
}

/**
 * `result.byId`: a read-only Map view (id → outcome, iterated in target order) over the outcomes
 * array and the id → index table ({@link IdIndex}) the engine built for its duplicate check; without
 * one (index ids '0'…'N-1') the index is parsed from the id. Nothing is copied: reading it is O(1).
 */
class ById<T, R> implements ReadonlyMap<string, Outcome<T, R>> {
  readonly #outcomes: readonly Outcome<T, R>[];
  readonly #indexOf: IdIndex | undefined;

  constructor(outcomes: readonly Outcome<T, R>[], indexOf: IdIndex | undefined) {
    this.#outcomes = outcomes;
    this.#indexOf = indexOf;
  }

  #index(id: string): number | undefined {
    if (this.#indexOf !== undefined) return this.#indexOf.get(id);
    if (typeof id !== 'string') return undefined;
    const i = Number(id);
    return Number.isInteger(i) && i >= 0 && i < this.#outcomes.length && String(i) === id ? i : undefined;
  }

  get size(): number {
    return this.#outcomes.length;
  }
  get(id: string): Outcome<T, R> | undefined {
    const i = this.#index(id);
    return i === undefined ? undefined : this.#outcomes[i];
  }
  has(id: string): boolean {
    return this.#index(id) !== undefined;
  }
  forEach(
    fn: (value: Outcome<T, R>, key: string, map: ReadonlyMap<string, Outcome<T, R>>) => void,
    thisArg?: unknown,
  ): void {
    for (const o of this.#outcomes) fn.call(thisArg, o, o.id, this);
  }
  *entries(): MapIterator<[string, Outcome<T, R>]> {
    for (const o of this.#outcomes) yield [o.id, o];
  }
  *keys(): MapIterator<string> {
    for (const o of this.#outcomes) yield o.id;
  }
  *values(): MapIterator<Outcome<T, R>> {
    yield* this.#outcomes;
  }
  [Symbol.iterator](): MapIterator<[string, Outcome<T, R>]> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'ById';
  }
}
