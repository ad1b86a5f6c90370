/**
 * id → target index for the engine's duplicate-id check and `result.byId` (internal).
 *
 * An open-addressing hash table (linear probing) of 32-bit FNV-1a hashes over the ids' UTF-16 code
 * units, holding index + 1 in an Int32Array sized to a power of two ≥ 2·N. It exists because the
 * engine builds one per keyed fan-out up front: for 100k fresh short ids a `Map` costs several times
 * more (hashing each new string in the runtime, growing and rehashing its table as it fills), and
 * that cost used to dominate keyed runs over already-resolved calls (see bench/core.bench.ts).
 * Lookups compare ids with `===`, so hash collisions only cost probes, never wrong answers.
 *
 * Large tables are built partition by partition: the ids are hashed in one pass, grouped by the
 * top bits of their home slot (a stable counting sort, so each group stays in target order), and
 * inserted group by group, so the inserts of a group touch one small region of the table. At 1M
 * ids the table is 8 MB and inserting in target order missed the cache (and the TLB) on nearly
 * every id: the build took about 160 ns per id, partitioned about 35.
 */

/** Number of ids from which {@link IdIndex.build} partitions (below, the table fits in cache). */
export const PARTITION_FROM = 1 << 15;
/** Partitions of a partitioned build (at most; fewer for a smaller table). */
const PARTITION_BITS = 8;

/** {@link IdIndex.build}'s answer on a duplicate id: the earliest target with a repeated id, and the repeat. */
export interface DuplicateId {
  /** Index of the first target with the id. */
  readonly first: number;
  /** Index of the lowest target whose id an earlier target already has. */
  readonly duplicate: number;
}

export class IdIndex {
  readonly #ids: readonly string[];
  readonly #table: Int32Array;
  readonly #mask: number;

  private constructor(ids: readonly string[], table: Int32Array) {
    this.#ids = ids;
    this.#table = table;
    this.#mask = table.length - 1;
  }

  /**
   * Index `ids` (all set, length N).
   * @param partitionFrom build partitioned from this many ids (tests lower it)
   * @returns the index, or the first duplicate in target order: the lowest index j whose id an
   *   earlier target has, with that earlier target's index (as checking ids one by one would find).
   */
  static build(ids: readonly string[], partitionFrom = PARTITION_FROM): IdIndex | DuplicateId {
    let capacity = 8;
    while (capacity < ids.length * 2) capacity *= 2;
    const table = new Int32Array(capacity);
    const dup = ids.length >= partitionFrom ? insertPartitioned(ids, table) : insertInOrder(ids, table);
    return dup ?? new IdIndex(ids, table);
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

/** Insert ids in target order; stop at the first duplicate. */
function insertInOrder(ids: readonly string[], table: Int32Array): DuplicateId | undefined {
  const mask = table.length - 1;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    for (let slot = hash(id) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === 0) {
        table[slot] = i + 1;
        break;
      }
      if (ids[entry - 1] === id) return { first: entry - 1, duplicate: i };
    }
  }
  return undefined;
}

/**
 * Insert ids grouped by the top bits of their home slot, in target order within a group. Equal ids
 * share a home slot, so the first of them is in the table before any repeat is inserted, and the
 * repeat's probe finds it; the lowest repeat over all groups is the one reported.
 */
function insertPartitioned(ids: readonly string[], table: Int32Array): DuplicateId | undefined {
  const n = ids.length;
  const mask = table.length - 1;
  let shift = 0;
  while (table.length >>> shift > 1 << PARTITION_BITS) shift++;
  const groups = table.length >>> shift;
  const hashes = new Int32Array(n);
  const start = new Int32Array(groups + 1);
  for (let i = 0; i < n; i++) {
    const h = hash(ids[i]!);
    hashes[i] = h;
    start[((h & mask) >>> shift) + 1]!++;
  }
  for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[(hashes[i]! & mask) >>> shift]!++] = i;
  let dup: DuplicateId | undefined;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const h = hashes[i]!;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === 0) {
        table[slot] = i + 1;
        break;
      }
      if (hashes[entry - 1] === h && ids[entry - 1] === ids[i]) {
        if (dup === undefined || i < dup.duplicate) dup = { first: entry - 1, duplicate: i };
        break;
      }
    }
  }
  return dup;
}

/** 32-bit FNV-1a over UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
