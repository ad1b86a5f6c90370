/**
 * BENCHMARK BASELINE, not for use: a verbatim copy of packages/core/src/clock.ts as it was before
 * the batched VirtualClock (one timer per setImmediate turn), kept so bench/clock.bench.ts can run
 * the old and the new clock side by side in one process. Only this comment was added.
 */
/**
 * Clocks: the only place in fanout-lab that reads wall time or arms host timers.
 *
 * Everything time-dependent takes a {@link Clock}. In production that is {@link realClock}; in
 * simulation it is a {@link VirtualClock}, which jumps straight to the next due timer once no
 * promise work is pending, so 600 s of simulated latency completes in milliseconds and the same
 * inputs always produce the same order of events.
 */

/** Handle returned by {@link Clock.setTimer}; pass it to {@link Clock.clearTimer}. */
export interface TimerHandle {
  /** @internal */ readonly __timer: true;
}

/** Time source and timer scheduler. All times are milliseconds. */
export interface Clock {
  /** Current time in ms. For {@link realClock}: a monotonic reading (performance.now()). */
  now(): number;
  /**
   * Resolve after `ms` milliseconds (negative or NaN treated as 0).
   * @throws (rejects with) `signal.reason` when `signal` aborts first; the timer is cleared.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Run `fn` once after `ms` milliseconds. Returns a handle for {@link Clock.clearTimer}. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer; a no-op for a timer that already fired or was cleared. */
  clearTimer(handle: TimerHandle): void;
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimer(handle);
      reject(signal!.reason);
    };
    const handle = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wall clock: `performance.now()` and the host's `setTimeout`. */
class RealClock implements Clock {
  now(): number {
    return performance.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
  setTimer(fn: () => void, ms: number): TimerHandle {
    return setTimeout(fn, Math.max(0, ms || 0)) as unknown as TimerHandle;
  }
  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as unknown as ReturnType<typeof setTimeout>);
  }
}

/** The shared wall clock instance. */
export const realClock: Clock = new RealClock();

interface VirtualTimer extends TimerHandle {
  at: number;
  seq: number;
  fn: (() => void) | undefined; // undefined once fired or cleared
}

/** Thrown by {@link VirtualClock.run} when the awaited promise can never settle. */
export class VirtualClockDeadlockError extends Error {
  override readonly name = 'VirtualClockDeadlockError';
}

/** Thrown when a virtual-clock loop exceeds its step budget (e.g. an endless interval). */
export class VirtualClockStepLimitError extends Error {
  override readonly name = 'VirtualClockStepLimitError';
}

/** Options for {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Initial time in ms. Default 0. */
  start?: number;
  /**
   * When true (default), the clock drives itself: whenever timers are pending and the microtask
   * queue is empty, it jumps to the earliest timer and fires it. When false, time moves only
   * through {@link VirtualClock.advance}, {@link VirtualClock.runUntilIdle} or {@link VirtualClock.run}.
   */
  autoAdvance?: boolean;
}

const flushMicrotasks = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Deterministic simulated clock.
 *
 * Timers are kept in a binary heap ordered by (due time, insertion order), so timers due at the
 * same instant fire in the order they were set. Between two timers every pending microtask runs
 * (the clock waits for one `setImmediate` turn), so "advance only when no promise work is
 * pending" holds for in-process code. Real I/O (sockets, files) is invisible to it: use
 * {@link realClock} for the live tier.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: VirtualTimer[] = [];
  #live = 0;
  #auto: boolean;
  #driving = false;
  #fired = 0;

  /** @param options start time (ms, default 0) and whether the clock drives itself (default true). */
  constructor(options: VirtualClockOptions = {}) {
    this.#now = options.start ?? 0;
    this.#auto = options.autoAdvance ?? true;
  }

  /** Current virtual time in ms: moves only when a timer fires or through advance/runUntilIdle/run. */
  now(): number {
    return this.#now;
  }

  /** Number of timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#live;
  }

  /** Total timers fired since construction (a cheap progress/determinism probe). */
  get firedTimers(): number {
    return this.#fired;
  }

  /**
   * Resolve when virtual time reaches now() + `ms` (negative or NaN treated as 0).
   * @throws (rejects with) `signal.reason` when `signal` aborts first (or already has); the timer is cleared.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /**
   * Run `fn` once at virtual time now() + `ms` (negative or NaN treated as 0). Timers due at the same
   * time fire in the order they were set; promise work drains between two timers. With autoAdvance
   * this also starts the clock driving itself. A throw from `fn` is not caught by the clock: it
   * rejects advance/runUntilIdle/run when they fire it, and is an uncaught exception when the clock
   * drives itself.
   * @returns a handle for {@link VirtualClock.clearTimer}.
   */
  setTimer(fn: () => void, ms: number): TimerHandle {
    const delay = ms > 0 ? ms : 0;
    const timer: VirtualTimer = { __timer: true, at: this.#now + delay, seq: this.#seq++, fn };
    this.#push(timer);
    this.#live++;
    if (this.#auto && !this.#driving) this.#drive();
    return timer;
  }

  /** Cancel a timer set by this clock; a no-op for one that already fired or was cleared. */
  clearTimer(handle: TimerHandle): void {
    const timer = handle as VirtualTimer;
    if (timer.fn !== undefined) {
      timer.fn = undefined;
      this.#live--;
    }
  }

  /**
   * Move time forward by `ms`, firing every timer due on the way in order (microtasks drain
   * between timers). Ends with `now()` equal to the old time + `ms`.
   * @throws RangeError for a negative or non-finite `ms`.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`advance(ms): ms must be a finite number >= 0, got ${ms}`);
    const until = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.#peek();
      if (next === undefined || next.at > until) break;
      this.#fireNext();
    }
    this.#now = until;
    await flushMicrotasks();
  }

  /**
   * Fire timers (jumping time to each) until none remain.
   * @param maxSteps timers to fire at most (default 10,000,000).
   * @throws VirtualClockStepLimitError when more timers keep arriving than `maxSteps`.
   */
  async runUntilIdle(maxSteps = 10_000_000): Promise<void> {
    for (let steps = 0; ; steps++) {
      await flushMicrotasks();
      if (this.#peek() === undefined) return;
      if (steps >= maxSteps)
        throw new VirtualClockStepLimitError(`runUntilIdle: more than ${maxSteps} timers fired`);
      this.#fireNext();
    }
  }

  /**
   * Drive time until `work` settles and return its value (works in either mode).
   * @throws VirtualClockDeadlockError when `work` is pending, no microtask is queued and no timer is set.
   * @throws VirtualClockStepLimitError after `maxSteps` timers.
   */
  async run<T>(work: PromiseLike<T> | (() => PromiseLike<T>), maxSteps = 10_000_000): Promise<T> {
    const promise = Promise.resolve(typeof work === 'function' ? work() : work);
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let steps = 0; ; steps++) {
      await flushMicrotasks();
      if (settled) return promise;
      if (this.#peek() === undefined) {
        throw new VirtualClockDeadlockError(
          `run(): the promise is still pending at t=${this.#now} ms with no timer left to fire`,
        );
      }
      if (steps >= maxSteps)
        throw new VirtualClockStepLimitError(`run(): more than ${maxSteps} timers fired`);
      this.#fireNext();
    }
  }

  #drive(): void {
    this.#driving = true;
    const step = (): void => {
      if (this.#peek() === undefined) {
        this.#driving = false;
        return;
      }
      this.#fireNext();
      setImmediate(step);
    };
    setImmediate(step);
  }

  #fireNext(): void {
    const timer = this.#pop();
    if (timer === undefined) return;
    const fn = timer.fn;
    if (fn === undefined) return;
    timer.fn = undefined;
    this.#live--;
    this.#fired++;
    if (timer.at > this.#now) this.#now = timer.at;
    fn();
  }

  /** Earliest live timer, discarding cleared ones from the top of the heap. */
  #peek(): VirtualTimer | undefined {
    while (this.#heap.length > 0 && this.#heap[0]!.fn === undefined) this.#pop();
    return this.#heap[0];
  }

  #less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(t: VirtualTimer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): VirtualTimer | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
