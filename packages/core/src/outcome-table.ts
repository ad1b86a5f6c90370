import type { Outcome, OutcomeStatus } from './types.js';

/** Settlement codes of {@link OutcomeTable.code} (0 = not settled): status and reason in one byte. */
export const FULFILLED = 1;
export const REJECTED = 2;
export const FAILED = 3;
export const TIMEOUT = 4; // timedOut, reason 'timeout'
export const DEADLINE = 5; // timedOut, reason 'deadline'
export const QUORUM = 6; // cancelled, reason 'quorum'
export const ABORTED = 7; // cancelled, reason 'aborted'

/** Status of each code (index = code). */
export const STATUS_OF: readonly OutcomeStatus[] = [
  'fulfilled', // unused (0)
  'fulfilled',
  'rejected',
  'failed',
  'timedOut',
  'timedOut',
  'cancelled',
  'cancelled',
];
const REASON_OF: readonly (string | undefined)[] = [
  undefined,
  undefined,
  undefined,
  undefined,
  'timeout',
  'deadline',
  'quorum',
  'aborted',
];

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

/**
 * The engine's outcomes as columns (internal): one byte of status code, the settle time, the value
 * or error, plus the engine's own start-time and call-count columns. An outcome object is built the
 * first time something reads it (a 'settled' event, the async iterator, a quorum predicate,
 * `result.outcomes`, `byId.get`) and cached, so each target's outcome is one object, built once.
 */
export class OutcomeTable<T, R> {
  /** Settlement code per target (0 until settled). */
  readonly code: Uint8Array;
  /** Clock time of settlement, ms. */
  readonly settledAt: Float64Array;
  /** The value (fulfilled) or the error (every other status); the engine's own until settled. */
  readonly payload: unknown[];
  /** Target indexes in settlement order; the first `settled` entries are set. */
  readonly order: Int32Array;
  settled = 0;
  /** Number of targets (fixed when the run started). */
  readonly n: number;
  /** Outcome objects built so far (allocated on the first read). */
  #objects: (Outcome<T, R> | undefined)[] | undefined = undefined;
  #complete = false;

  /**
   * @param targets the fan-out's targets
   * @param ids ids by index, or undefined for index ids ('0'…'N-1')
   * @param startedAt the engine's first-start column (NaN: never started)
   * @param calls the engine's calls-per-target column, or undefined when every started target was
   *   called once (no retry, no hedge)
   */
  constructor(
    readonly targets: readonly T[],
    readonly ids: readonly string[] | undefined,
    readonly startedAt: Float64Array,
    readonly calls: Uint32Array | undefined,
  ) {
    const n = targets.length;
    this.n = n;
    this.code = new Uint8Array(n);
    this.settledAt = new Float64Array(n);
    this.payload = new Array<unknown>(n);
    this.order = new Int32Array(n);
  }

  /** Id of target `index`. */
  id(index: number): string {
    const ids = this.ids;
    return ids !== undefined ? ids[index]! : String(index);
  }

  /** The outcome of settled target `index` (built on first read, then the same object). */
  at(index: number): Outcome<T, R> {
    const objects = (this.#objects ??= new Array<Outcome<T, R> | undefined>(this.n));
    const cached = objects[index];
    if (cached !== undefined) return cached;
    const code = this.code[index]!;
    const settledAt = this.settledAt[index]!;
    const started = this.startedAt[index]!;
    const startedAt = Number.isNaN(started) ? undefined : started;
    const payload = this.payload[index];
    const o = new OutcomeRecord<T, R>(
      STATUS_OF[code]!,
      this.id(index),
      index,
      this.targets[index] as T,
      startedAt,
      settledAt,
      startedAt === undefined ? 0 : settledAt - startedAt,
      this.calls !== undefined ? this.calls[index]! : startedAt === undefined ? 0 : 1,
      code === FULFILLED ? (payload as R) : undefined,
      code === FULFILLED ? undefined : payload,
      REASON_OF[code],
    ) as unknown as Outcome<T, R>;
    objects[index] = o;
    return o;
  }

  /** Every outcome in target order (call once all targets settled). */
  all(): Outcome<T, R>[] {
    const n = this.n;
    if (!this.#complete) {
      for (let i = 0; i < n; i++) this.at(i);
      this.#complete = true;
    }
    return (this.#objects ?? []) as Outcome<T, R>[];
  }
}
