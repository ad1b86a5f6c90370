import type { IdIndex } from './id-index.js';
import type { OutcomeTable } from './outcome-table.js';
import type {
  Cancelled,
  FanOutResult,
  Failed,
  Fulfilled,
  Outcome,
  OutcomeStatus,
  Rejected,
  TimedOut,
} from './types.js';

/** The result object; per-status lists, byId and completionOrder are computed on first read. */
export class ResultImpl<T, R> implements FanOutResult<T, R> {
  #byStatus: Map<OutcomeStatus, Outcome<T, R>[]> | undefined;
  #byId: ById<T, R> | undefined;
  readonly #indexOf: IdIndex | undefined;
  #completion: string[] | undefined;

  readonly #table: OutcomeTable<T, R>;
  #outcomes: readonly Outcome<T, R>[] | undefined;

  /**
   * @param table the settled run's outcome columns (outcome objects are built from it on first read)
   * @param indexOf the id → index table of a keyed run, else undefined (index ids)
   */
  constructor(
    table: OutcomeTable<T, R>,
    readonly quorumMet: boolean,
    readonly elapsedMs: number,
    readonly counts: Readonly<Record<OutcomeStatus, number>>,
    indexOf: IdIndex | undefined,
  ) {
    this.#table = table;
    this.#indexOf = indexOf;
  }

  get outcomes(): readonly Outcome<T, R>[] {
    return (this.#outcomes ??= this.#table.all());
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
    return (this.#byId ??= new ById(this.#table, this.#indexOf));
  }
  get completionOrder(): readonly string[] {
    const t = this.#table;
    return (this.#completion ??= Array.from(t.order, (i) => t.id(i)));
  }
  canProceed(min: number): boolean {
    return this.counts.fulfilled >= min;
  }
}

/**
 * `result.byId`: a read-only Map view (id → outcome, iterated in target order) over the outcome
 * table and the id → index table ({@link IdIndex}) the engine built for its duplicate check; without
 * one (index ids '0'…'N-1') the index is parsed from the id. Nothing is copied: reading it is O(1)
 * (`get` builds that one outcome object if nothing read it before).
 */
class ById<T, R> implements ReadonlyMap<string, Outcome<T, R>> {
  readonly #table: OutcomeTable<T, R>;
  readonly #n: number;
  readonly #indexOf: IdIndex | undefined;

  constructor(table: OutcomeTable<T, R>, indexOf: IdIndex | undefined) {
    this.#table = table;
    this.#n = table.n;
    this.#indexOf = indexOf;
  }

  #index(id: string): number | undefined {
    if (this.#indexOf !== undefined) return this.#indexOf.get(id);
    if (typeof id !== 'string') return undefined;
    const i = Number(id);
    return Number.isInteger(i) && i >= 0 && i < this.#n && String(i) === id ? i : undefined;
  }

  get size(): number {
    return this.#n;
  }
  get(id: string): Outcome<T, R> | undefined {
    const i = this.#index(id);
    return i === undefined ? undefined : this.#table.at(i);
  }
  has(id: string): boolean {
    return this.#index(id) !== undefined;
  }
  forEach(
    fn: (value: Outcome<T, R>, key: string, map: ReadonlyMap<string, Outcome<T, R>>) => void,
    thisArg?: unknown,
  ): void {
    for (const o of this.#table.all()) fn.call(thisArg, o, o.id, this);
  }
  *entries(): MapIterator<[string, Outcome<T, R>]> {
    for (const o of this.#table.all()) yield [o.id, o];
  }
  *keys(): MapIterator<string> {
    const t = this.#table;
    for (let i = 0; i < this.#n; i++) yield t.id(i);
  }
  *values(): MapIterator<Outcome<T, R>> {
    yield* this.#table.all();
  }
  [Symbol.iterator](): MapIterator<[string, Outcome<T, R>]> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'ById';
  }
}
