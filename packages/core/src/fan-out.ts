import type { Clock, TimerHandle } from './clock.js';
import { IdIndex } from './id-index.js';
import {
  AttemptTimeoutError,
  CancelledError,
  DeadlineExceededError,
  FanOutOptionError,
  TargetRejectedError,
} from './errors.js';
import { HedgeHistory, parsePercentile } from './hedge-history.js';
import {
  ABORTED,
  DEADLINE,
  FAILED,
  FULFILLED,
  OutcomeTable,
  QUORUM,
  REJECTED,
  STATUS_OF,
  TIMEOUT,
} from './outcome-table.js';
import { ResultImpl } from './result.js';
import type {
  CallContext,
  FanOutEvent,
  FanOutOptions,
  FanOutResult,
  FanOutRun,
  Outcome,
  OutcomeStatus,
  QuorumView,
} from './types.js';

/** The function called once per attempt. It may return a value, a promise, or throw. */
export type FanOutCall<T, R> = (target: T, ctx: CallContext) => R | PromiseLike<R>;

const defaultClassify = (error: unknown): 'rejected' | 'failed' =>
  error instanceof TargetRejectedError ? 'rejected' : 'failed';

const isPositive = (v: unknown): v is number => typeof v === 'number' && v > 0 && !Number.isNaN(v);
const isWholeAtLeast = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Where an attempt reports its answer: one object per engine (internal). */
interface AttemptSink {
  ok(att: Attempt, value: unknown): void;
  fail(att: Attempt, error: unknown): void;
  /** Id of target `index`. */
  id(index: number): string;
}

// Attempt flag bits.
const DONE = 1;
const ABORTED_BIT = 2;
const HAS_CONTROLLER = 4;
const HEDGED = 8;
/** The attempt number is kept in the flags word above these bits. */
const ATTEMPT_SHIFT = 4;

/**
 * One call to one target; doubles as the call's {@link CallContext}. Per-target state lives in the
 * engine's flat arrays and the outcome in its columns, so one call to one target allocates this
 * object, two bound handlers for the call's promise (no closures) and nothing else until the
 * outcome is read.
 */
class Attempt implements CallContext {
  timer: TimerHandle | undefined = undefined;
  hedgeTimer: TimerHandle | undefined = undefined;
  /** attempt << ATTEMPT_SHIFT | DONE | ABORTED_BIT | HAS_CONTROLLER | HEDGED (one field, not five). */
  #flags: number;
  /** The AbortController once `signal` was read (HAS_CONTROLLER), else the abort reason once aborted. */
  #sig: unknown = undefined;
  /** AbortHook listeners: one function, or an array of several, until aborted. */
  #hooks: ((reason: unknown) => void) | ((reason: unknown) => void)[] | undefined = undefined;

  constructor(
    readonly sink: AttemptSink,
    readonly index: number,
    attempt: number,
    hedged: boolean,
  ) {
    this.#flags = attempt * (1 << ATTEMPT_SHIFT) + (hedged ? HEDGED : 0);
  }

  get id(): string {
    return this.sink.id(this.index);
  }
  get attempt(): number {
    return Math.floor(this.#flags / (1 << ATTEMPT_SHIFT));
  }
  get hedged(): boolean {
    return (this.#flags & HEDGED) !== 0;
  }
  get done(): boolean {
    return (this.#flags & DONE) !== 0;
  }
  markDone(): void {
    this.#flags |= DONE;
  }

  /** Created lazily: most calls in a large fan-out never read it, and an AbortController is not free. */
  get signal(): AbortSignal {
    if ((this.#flags & HAS_CONTROLLER) === 0) {
      const ctl = new AbortController();
      if ((this.#flags & ABORTED_BIT) !== 0) ctl.abort(this.#sig);
      this.#sig = ctl;
      this.#flags |= HAS_CONTROLLER;
    }
    return (this.#sig as AbortController).signal;
  }

  get aborted(): boolean {
    return (this.#flags & ABORTED_BIT) !== 0;
  }
  get reason(): unknown {
    if ((this.#flags & ABORTED_BIT) === 0) return undefined;
    return (this.#flags & HAS_CONTROLLER) !== 0 ? (this.#sig as AbortController).signal.reason : this.#sig;
  }
  onAbort(listener: (reason: unknown) => void): void {
    if ((this.#flags & ABORTED_BIT) !== 0) return;
    const hooks = this.#hooks;
    if (hooks === undefined) this.#hooks = listener;
    else if (typeof hooks === 'function') {
      if (hooks !== listener) this.#hooks = [hooks, listener];
    } else if (!hooks.includes(listener)) hooks.push(listener);
  }
  offAbort(listener: (reason: unknown) => void): void {
    const hooks = this.#hooks;
    if (hooks === listener) this.#hooks = undefined;
    else if (Array.isArray(hooks)) {
      const at = hooks.indexOf(listener);
      if (at >= 0) hooks.splice(at, 1);
    }
  }

  /** Abort this attempt (the engine's): the signal if it was read, then the hook listeners. */
  abort(reason: unknown): void {
    if ((this.#flags & ABORTED_BIT) !== 0) return;
    this.#flags |= ABORTED_BIT;
    if ((this.#flags & HAS_CONTROLLER) !== 0) (this.#sig as AbortController).abort(reason);
    else this.#sig = reason;
    const hooks = this.#hooks;
    if (hooks === undefined) return;
    this.#hooks = undefined;
    if (typeof hooks === 'function') callHook(hooks, reason);
    else for (const h of hooks) callHook(h, reason);
  }
}

/** Call an AbortHook listener; what it throws is reported as uncaught, after this turn (as EventTarget does). */
function callHook(listener: (reason: unknown) => void, reason: unknown): void {
  try {
    listener(reason);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * The handlers of an attempt's promise, bound to the attempt per call (`bind` gives two small
 * function objects and no closure context). Object-literal methods on purpose: a function whose
 * `name` was redefined (as esbuild's keepNames does to declarations, e.g. under tsx) sends `bind`
 * down V8's slow path, which allocates several times more per call.
 */
const handlers = {
  answer(this: Attempt, value: unknown): void {
    this.sink.ok(this, value);
  },
  error(this: Attempt, error: unknown): void {
    this.sink.fail(this, error);
  },
};

/** Retry/hedge bookkeeping of a target, created only when those features are in play. */
interface Extra {
  round: number;
  hedgesThisRound: number;
  hedges: Attempt[] | undefined;
  retryTimer: TimerHandle | undefined;
  lastError: unknown;
  lastKind: 'failed' | 'timedOut';
}

/**
 * The ids of a fan-out that needs them, checked for duplicates: with a key function, or when some
 * target is a string (its own id). Index ids ('0'…'N-1') are unique by construction: undefined.
 * Every id is computed first (the key function is called once per target, in target order), then
 * indexed; a key function that throws or returns a non-string at target j is reported as such
 * unless targets before j already repeat an id, which is reported first (as a one-by-one check
 * would). A function of its own, not inline in the engine's constructor: V8 compiled the
 * constructor's loop by on-stack replacement and threw that code away on every fan-out.
 * @throws FanOutOptionError ('key') on a non-string or duplicate id, naming the target indexes;
 *   whatever the key function throws.
 */
function idsOf<T>(
  targets: readonly T[],
  key: ((target: T, index: number) => string) | undefined,
): { ids: string[]; index: IdIndex } | undefined {
  if (key === undefined && !targets.some((t) => typeof t === 'string')) return undefined;
  const n = targets.length;
  const ids = new Array<string>(n);
  let i = 0;
  let failure: unknown = undefined;
  try {
    for (; i < n; i++) {
      const t = targets[i] as T;
      const id = key !== undefined ? key(t, i) : typeof t === 'string' ? t : String(i);
      if (typeof id !== 'string') {
        failure = new FanOutOptionError('key', `must return a string, got ${typeof id} for target ${i}`);
        break;
      }
      ids[i] = id;
    }
  } catch (error) {
    failure = error;
  }
  const index = IdIndex.build(i < n ? ids.slice(0, i) : ids);
  if (!(index instanceof IdIndex)) {
    const { first, duplicate } = index;
    throw new FanOutOptionError(
      'key',
      `duplicate id "${ids[duplicate]}" for targets ${first} and ${duplicate}`,
    );
  }
  if (i < n) throw failure;
  return { ids, index };
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
  /** Per-target calls made (hedges and retries included); only with retry or hedge (else 1 per started target). */
  readonly #calls: Uint32Array | undefined;
  /** Per-target attempts in flight; only with hedge (else the primary attempt is the only one). */
  readonly #live: Uint16Array | undefined;
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
  /** True when `hedge` was given (fixed or percentile afterMs). */
  readonly #hedging: boolean;
  /** Fixed hedge delay, ms (undefined with a percentile afterMs or no hedge). */
  readonly #hedgeAfterMs: number | undefined;
  /** Percentile afterMs as a fraction (0.95 for 'p95'), else undefined. */
  readonly #hedgeQuantile: number | undefined;
  readonly #hedgeBudget: number | undefined;
  /** Latency window and hedge counters: the caller's `hedge.history`, or the run's own with a percentile or budget. */
  readonly #history: HedgeHistory | undefined;
  /** With #history: start time of each target's current primary attempt (NaN when none). */
  readonly #primaryStart: Float64Array | undefined;
  readonly #hedgeMax: number;
  readonly #classify: (error: unknown) => 'rejected' | 'failed';
  readonly #signal: AbortSignal | undefined;
  readonly #onEvent: ((event: FanOutEvent<T, R>) => void) | undefined;

  /** Outcomes as columns; outcome objects are built from it when read. */
  readonly #table: OutcomeTable<T, R>;
  readonly #sink: AttemptSink = {
    ok: (att, value) => this.#attemptOk(att, value as R),
    fail: (att, error) => this.#attemptError(att, error),
    id: (index) => this.#id(index),
  };
  readonly #counts: Record<OutcomeStatus, number> = {
    fulfilled: 0,
    rejected: 0,
    failed: 0,
    timedOut: 0,
    cancelled: 0,
  };
  readonly #timeoutErrors = new Map<number, AttemptTimeoutError>();
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
    let quantile: number | undefined;
    if (h !== undefined) {
      if (h === null || typeof h !== 'object') throw new FanOutOptionError('hedge', 'must be an object');
      quantile = parsePercentile(h.afterMs);
      if (quantile === undefined && !(isPositive(h.afterMs) && Number.isFinite(h.afterMs)))
        throw new FanOutOptionError(
          'hedge.afterMs',
          `must be a finite number > 0 (ms) or a percentile like 'p95', got ${String(h.afterMs)}`,
        );
      if (h.max !== undefined && !isWholeAtLeast(h.max, 1))
        throw new FanOutOptionError('hedge.max', `must be an integer >= 1, got ${String(h.max)}`);
      if (h.budget !== undefined && !(typeof h.budget === 'number' && h.budget > 0 && h.budget <= 1))
        throw new FanOutOptionError('hedge.budget', `must be a fraction in (0, 1], got ${String(h.budget)}`);
      if (h.history !== undefined && !(h.history instanceof HedgeHistory))
        throw new FanOutOptionError('hedge.history', 'must be a HedgeHistory');
    }
    this.#hedging = h !== undefined;
    this.#hedgeAfterMs = quantile === undefined ? (h?.afterMs as number | undefined) : undefined;
    this.#hedgeQuantile = quantile;
    this.#hedgeMax = h?.max ?? 1;
    this.#hedgeBudget = h?.budget;
    this.#history =
      h?.history ?? (quantile !== undefined || h?.budget !== undefined ? new HedgeHistory() : undefined);
    this.#primaryStart = this.#history !== undefined ? new Float64Array(n).fill(NaN) : undefined;

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

    // Ids: validated and checked for duplicates up front. The duplicate check's id → index table
    // is kept: result.byId is a view over it and the outcomes array, so keyed outcomes cost one
    // index build (here), nothing per result.
    const { ids, index } = idsOf(targets, o.key) ?? {};
    this.#targets = targets;
    this.#ids = ids;
    this.#indexOf = index;
    this.#state = new Uint8Array(n);
    this.#startedAt = new Float64Array(n).fill(NaN);
    // Columns the plain case does not need are not allocated: at 1M targets each is megabytes of
    // fresh pages, and a page fault costs microseconds.
    this.#calls = this.#retryAttempts > 1 || this.#hedging ? new Uint32Array(n) : undefined;
    this.#live = this.#hedging ? new Uint16Array(n) : undefined;
    this.#table = new OutcomeTable<T, R>(targets, ids, this.#startedAt, this.#calls);
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
      const table = this.#table;
      if (!stopped && pos < table.settled) {
        return Promise.resolve({ done: false, value: table.at(table.order[pos++]!) });
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
      this.#startAttempt(index, false);
    }
    this.#pumping = false;
  }

  #startAttempt(index: number, hedged: boolean): void {
    const calls = this.#calls;
    const att = new Attempt(this.#sink, index, calls !== undefined ? ++calls[index]! : 1, hedged);
    if (this.#live !== undefined) this.#live[index]!++;
    if (hedged) (this.#extraOf(index).hedges ??= []).push(att);
    else {
      // Until the target settles, its payload slot holds its current primary attempt.
      this.#table.payload[index] = att;
      if (this.#history !== undefined) {
        this.#history.notePrimary();
        this.#primaryStart![index] = this.#clock.now();
      }
    }
    if (this.#onEvent !== undefined) {
      const id = this.#id(index);
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
        // Bound handlers: two small function objects pointing at `att`, cheaper than closures.
        (ret as PromiseLike<R>).then(handlers.answer.bind(att), handlers.error.bind(att));
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
    if (this.#hedging && (this.#extra.get(index)?.hedgesThisRound ?? 0) < this.#hedgeMax) {
      const after = this.#hedgeDelay();
      if (after !== undefined) att.hedgeTimer = clock.setTimer(() => this.#launchHedge(att), after);
    }
  }

  /** The hedge delay for an attempt starting now: the fixed afterMs, or the history's percentile once ready. */
  #hedgeDelay(): number | undefined {
    if (this.#hedgeAfterMs !== undefined) return this.#hedgeAfterMs;
    const h = this.#history!;
    return h.ready ? h.quantile(this.#hedgeQuantile!) : undefined;
  }

  /**
   * Feed the latency window when the current primary attempt of target `index` ends: `answered`
   * gives its exact latency; otherwise its elapsed time is a lower bound, kept only when it is at
   * least the current percentile (so it counts on the right side of it; below, it is unknown).
   */
  #recordPrimary(att: Attempt, answered: boolean): void {
    if (this.#history === undefined || att.hedged || this.#state[att.index] === SETTLED) return;
    if (this.#table.payload[att.index] === att) this.#recordLatency(att, answered);
  }

  /** {@link #recordPrimary} for an attempt known to be its target's current primary one. */
  #recordLatency(att: Attempt, answered: boolean): void {
    const h = this.#history;
    if (h === undefined) return;
    const elapsed = this.#clock.now() - this.#primaryStart![att.index]!;
    if (!(elapsed >= 0)) return;
    if (!answered) {
      const q = this.#hedgeQuantile;
      const threshold = q !== undefined && h.ready ? h.quantile(q)! : this.#hedgeAfterMs;
      if (threshold === undefined || elapsed < threshold) return;
    }
    h.record(elapsed);
  }

  #launchHedge(from: Attempt): void {
    from.hedgeTimer = undefined;
    const index = from.index;
    if (this.#state[index] === SETTLED || from.done || this.#closing) return;
    if (this.#history !== undefined && !this.#history.takeHedge(this.#hedgeBudget)) return;
    this.#extraOf(index).hedgesThisRound++;
    if (this.#onEvent !== undefined) {
      this.#emit({
        type: 'hedge',
        at: this.#clock.now(),
        id: from.id,
        index,
        attempt: this.#calls![index]! + 1,
      });
    }
    this.#startAttempt(index, true);
  }

  #endAttempt(att: Attempt): void {
    att.markDone();
    const clock = this.#clock;
    if (att.timer !== undefined) {
      clock.clearTimer(att.timer);
      att.timer = undefined;
    }
    if (att.hedgeTimer !== undefined) {
      clock.clearTimer(att.hedgeTimer);
      att.hedgeTimer = undefined;
    }
    if (this.#live !== undefined) this.#live[att.index]!--;
  }

  #attemptOk(att: Attempt, value: R): void {
    if (att.done) return;
    this.#recordPrimary(att, true);
    this.#endAttempt(att);
    if (this.#state[att.index] === SETTLED) return;
    this.#settle(att.index, FULFILLED, value);
  }

  #attemptError(att: Attempt, error: unknown): void {
    if (att.done) return;
    this.#recordPrimary(att, true);
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
      this.#settle(index, REJECTED, error);
      return;
    }
    this.#roundMaybeOver(index, error, 'failed');
  }

  #attemptTimeout(att: Attempt, ms: number): void {
    att.timer = undefined;
    if (att.done) return;
    this.#recordPrimary(att, false);
    this.#endAttempt(att);
    // One error object per timeout value and run: building an Error (stack capture) per timed-out
    // attempt is the dominant cost of large simulated fan-outs with many dead targets.
    let error = this.#timeoutErrors.get(ms);
    if (error === undefined) this.#timeoutErrors.set(ms, (error = new AttemptTimeoutError(ms)));
    att.abort(error);
    if (this.#state[att.index] === SETTLED) return;
    this.#roundMaybeOver(att.index, error, 'timedOut');
  }

  /** An attempt ended without an answer: wait for a live hedge, retry, or settle. */
  #roundMaybeOver(index: number, error: unknown, kind: 'failed' | 'timedOut'): void {
    if (this.#retryAttempts === 1 && !this.#hedging) {
      // Fast path: no retry, no hedge.
      this.#settle(index, kind === 'timedOut' ? TIMEOUT : FAILED, error);
      return;
    }
    const x = this.#extraOf(index);
    x.lastError = error;
    x.lastKind = kind;
    if ((this.#live !== undefined && this.#live[index]! > 0) || this.#closing) return;
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
            id: this.#id(index),
            index,
            attempt: this.#calls![index]! + 1,
            delayMs: delay,
            error,
          });
        }
        x.round++;
        x.hedgesThisRound = 0;
        if (delay > 0) {
          x.retryTimer = this.#clock.setTimer(() => {
            x.retryTimer = undefined;
            if (this.#state[index] !== SETTLED && !this.#closing) this.#startAttempt(index, false);
          }, delay);
        } else {
          this.#startAttempt(index, false);
        }
        return;
      }
    }
    this.#settle(index, kind === 'timedOut' ? TIMEOUT : FAILED, error);
  }

  // ---- settlement ----------------------------------------------------------------------------

  /**
   * Make target `index` terminal: `code` is its status and reason (outcome-table codes), `payload`
   * the value (FULFILLED) or the error. Writes the outcome columns; the object is built when read.
   */
  #settle(index: number, code: number, payload: unknown): void {
    const table = this.#table;
    const wasRunning = this.#state[index] === RUNNING;
    // A running target's payload slot holds its current primary attempt (see #startAttempt).
    const cur = wasRunning ? (table.payload[index] as Attempt | undefined) : undefined;
    this.#state[index] = SETTLED;
    const clock = this.#clock;
    const x = this.#extra.size > 0 ? this.#extra.get(index) : undefined;
    if (x?.retryTimer !== undefined) {
      clock.clearTimer(x.retryTimer);
      x.retryTimer = undefined;
    }
    const curRunning = cur !== undefined && !cur.done;
    if (curRunning || (x?.hedges !== undefined && this.#live![index]! > 0)) {
      // Abort whatever is still running for this target: losers of a hedge race, or everything on cancel/deadline.
      const why = code === FULFILLED || code === REJECTED ? new CancelledError('hedge-lost') : payload;
      if (curRunning) {
        this.#recordLatency(cur, false);
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
    if (wasRunning) this.#running--;
    const settledAt = clock.now();
    table.code[index] = code;
    table.settledAt[index] = settledAt;
    table.payload[index] = payload;
    table.order[table.settled++] = index;
    this.#counts[STATUS_OF[code]!]++;
    if (this.#onEvent !== undefined) {
      this.#emit({ type: 'settled', at: settledAt, id: table.id(index), index, outcome: table.at(index) });
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
      this.#checkQuorum(index);
    }
    if (table.settled === this.#n) this.#finish();
    else if (!this.#closing) this.#pump(settledAt);
  }

  #checkQuorum(lastIndex: number): void {
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
        pending: this.#n - this.#table.settled,
        last: this.#table.at(lastIndex),
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
    if (this.#quorumEarly && this.#table.settled < this.#n) this.#cancelRest('quorum', undefined);
  }

  #cancelRest(reason: 'quorum' | 'aborted', cause: unknown): void {
    if (this.#closing || this.#finished) return;
    this.#closing = true;
    const error = new CancelledError(reason, cause);
    this.#endAllPending((index) => this.#settle(index, reason === 'quorum' ? QUORUM : ABORTED, error));
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
    this.#emit({ type: 'deadline', at: this.#clock.now(), pending: this.#n - this.#table.settled });
    const error = new DeadlineExceededError(deadlineMs);
    this.#endAllPending((index) => this.#settle(index, DEADLINE, error));
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
      this.#table,
      this.#quorumMet,
      elapsedMs,
      { ...this.#counts },
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
