/**
 * BENCHMARK BASELINE, not for use: packages/core/src/id-index.ts as fan-out-v1.ts used it (ids
 * added one by one, in target order), before the partitioned build.
 *
 * id → target index for the engine's duplicate-id check and `result.byId` (internal).
 *
 * An open-addressing hash table (linear probing) of 32-bit FNV-1a hashes over the ids' UTF-16 code
 * units, holding index + 1 in an Int32Array sized to a power of two ≥ 2·N. It exists because the
 * engine builds one per keyed fan-out up front: for 100k fresh short ids a `Map` costs several times
 * more (hashing each new string in the runtime, growing and rehashing its table as it fills), and
 * that cost used to dominate keyed runs over already-resolved calls (see bench/core.bench.ts).
 * Lookups compare ids with `===`, so hash collisions only cost probes, never wrong answers.
 */
export class IdIndex {
  readonly #ids: readonly string[];
  readonly #table: Int32Array;
  readonly #mask: number;

  /** @param ids the ids by target index; filled in with {@link IdIndex.add} as they are computed. */
  constructor(ids: readonly string[]) {
    let capacity = 8;
    while (capacity < ids.length * 2) capacity *= 2;
    this.#ids = ids;
    this.#table = new Int32Array(capacity);
    this.#mask = capacity - 1;
  }

  /**
   * Record `ids[index]` (which must already be set).
   * @returns -1, or the index of an earlier target with the same id (then nothing is recorded).
   */
  add(index: number): number {
    const ids = this.#ids;
    const id = ids[index]!;
    const table = this.#table;
    const mask = this.#mask;
    for (let slot = hash(id) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === 0) {
        table[slot] = index + 1;
        return -1;
      }
      if (ids[entry - 1] === id) return entry - 1;
    }
  }

  /** Index of the target with this id, or undefined. */
  get(id: string): number | undefined {
    if (typeof id !== 'string') return undefined;
    const ids = this.#ids;
    const table = this.#table;
    const mask = this.#mask;
    for (let slot = hash(id) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === 0) return undefined;
      if (ids[entry - 1] === id) return entry - 1;
    }
  }
}

/** 32-bit FNV-1a over UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
