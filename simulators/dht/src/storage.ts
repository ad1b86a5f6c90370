import { DhtEditRefusedError, DhtStorageFullError, DhtValueTooLargeError } from './errors.js';
import { bytesEqual, toHex } from './ids.js';
import { copyValue, valueStorageBytes, type DhtValue } from './messages.js';

/** OpenDHT `MAX_VALUE_SIZE` (include/opendht/value.h): 64 KiB of value data. */
export const MAX_VALUE_BYTES = 64 * 1024;
/** Default per-node storage cap: 64 MiB (OpenDHT's default `max_store_size`). */
export const DEFAULT_MAX_STORAGE_BYTES = 64 * 1024 * 1024;
/** OpenDHT `DEFAULT_VALUE_EXPIRATION`: 10 minutes, in ms. */
export const DEFAULT_TTL_MS = 10 * 60 * 1000;

/** A stored value with its bookkeeping. */
export interface StoredEntry {
  readonly value: DhtValue;
  /** Clock time (ms) at which it expires: expired once `now >= expiresAt`. */
  readonly expiresAt: number;
  /** Bytes counted against the storage cap ({@link valueStorageBytes}). */
  readonly bytes: number;
}

/** Result of {@link ValueStore.put}. */
export type StoreOutcome =
  | { readonly kind: 'stored' } // a new value id under this key
  | { readonly kind: 'replaced'; readonly previous: DhtValue } // same id, higher seq
  | { readonly kind: 'refreshed' } // same id, seq and content: TTL restarted
  | { readonly kind: 'ignored' }; // fault 'stale' or 'drop': acknowledged, not applied

/** Options for {@link ValueStore}. */
export interface ValueStoreOptions {
  /** Max data bytes per value (default {@link MAX_VALUE_BYTES}). */
  maxValueBytes?: number;
  /** Max total bytes stored (default {@link DEFAULT_MAX_STORAGE_BYTES}). */
  maxStorageBytes?: number;
  /** Signature/validity check; a value for which it returns false is refused ('bad-signature'). */
  verifyValue?: (key: Uint8Array, value: DhtValue) => boolean;
}

function sameContent(a: DhtValue, b: DhtValue): boolean {
  return bytesEqual(a.data, b.data) && bytesEqual(a.owner, b.owner) && bytesEqual(a.signature, b.signature);
}

/**
 * One node's value storage: key → (value id → entry), with OpenDHT's edit rules, per-value
 * TTL, a 64 KiB value limit and a total byte cap. Time is passed in (ms), never read.
 *
 * Edit rules for a put whose value id is already stored (OpenDHT edit policy for signed values,
 * applied here to unsigned ones too, as the lab's contract asks):
 * owner must be the same (both absent, or equal bytes) → else 'owner-mismatch';
 * higher seq → replace (TTL restarts); same seq and same content → refresh the TTL;
 * same seq, other content → 'conflict'; lower seq → 'lower-seq'.
 */
export class ValueStore {
  readonly maxValueBytes: number;
  readonly maxStorageBytes: number;
  readonly #verify: ((key: Uint8Array, value: DhtValue) => boolean) | undefined;
  readonly #keys = new Map<string, { key: Uint8Array; values: Map<bigint, StoredEntry> }>();
  #used = 0;
  #nextExpiry = Infinity;

  constructor(options: ValueStoreOptions = {}) {
    this.maxValueBytes = options.maxValueBytes ?? MAX_VALUE_BYTES;
    this.maxStorageBytes = options.maxStorageBytes ?? DEFAULT_MAX_STORAGE_BYTES;
    this.#verify = options.verifyValue;
  }

  /** Bytes currently counted against the cap (expired-but-not-swept entries included). */
  get usedBytes(): number {
    return this.#used;
  }

  /** Number of (key, value id) entries held. */
  get size(): number {
    let n = 0;
    for (const k of this.#keys.values()) n += k.values.size;
    return n;
  }

  /** Earliest expiry time (ms) among stored entries; Infinity when empty. */
  get nextExpiry(): number {
    return this.#nextExpiry;
  }

  /** Keys (20-byte) holding at least one entry. */
  keys(): Uint8Array[] {
    return [...this.#keys.values()].map((k) => k.key);
  }

  /** Live (unexpired at `now`) values under `key`, copies, ordered by value id. */
  get(key: Uint8Array, now: number): DhtValue[] {
    const slot = this.#keys.get(toHex(key));
    if (slot === undefined) return [];
    const out: DhtValue[] = [];
    for (const e of slot.values.values()) if (now < e.expiresAt) out.push(copyValue(e.value));
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The entry for (key, id), or undefined (expired entries included until swept). */
  entry(key: Uint8Array, id: bigint): StoredEntry | undefined {
    return this.#keys.get(toHex(key))?.values.get(id);
  }

  /**
   * Store `value` under `key` for `ttlMs` from `now`.
   * @param fault 'stale' keeps an already stored version of the same id (acknowledging the put);
   *   'drop' stores nothing (acknowledging the put); 'none' applies the rules.
   * @throws DhtValueTooLargeError when `value.data` exceeds {@link maxValueBytes}.
   * @throws DhtEditRefusedError ('bad-signature' | 'owner-mismatch' | 'lower-seq' | 'conflict').
   * @throws DhtStorageFullError when the cap would be exceeded.
   */
  put(
    key: Uint8Array,
    value: DhtValue,
    ttlMs: number,
    now: number,
    fault: 'none' | 'stale' | 'drop' = 'none',
  ): StoreOutcome {
    if (value.data.length > this.maxValueBytes)
      throw new DhtValueTooLargeError(value.data.length, this.maxValueBytes);
    if (this.#verify !== undefined && !this.#verify(key, value))
      throw new DhtEditRefusedError('bad-signature', 'the value does not verify');
    const hex = toHex(key);
    let slot = this.#keys.get(hex);
    const existing = slot?.values.get(value.id);
    const live = existing !== undefined && now < existing.expiresAt ? existing : undefined;
    if (fault === 'drop' || (fault === 'stale' && live !== undefined)) return { kind: 'ignored' };
    if (live !== undefined) {
      const old = live.value;
      if (!bytesEqual(old.owner, value.owner))
        throw new DhtEditRefusedError('owner-mismatch', 'the value id has another owner');
      if (value.seq < old.seq)
        throw new DhtEditRefusedError('lower-seq', `seq ${value.seq} < stored ${old.seq}`);
      if (value.seq === old.seq && !sameContent(old, value))
        throw new DhtEditRefusedError('conflict', `seq ${value.seq} already stored with other content`);
    }
    const bytes = valueStorageBytes(value);
    const freed = existing?.bytes ?? 0;
    if (this.#used - freed + bytes > this.maxStorageBytes)
      throw new DhtStorageFullError(this.#used - freed, bytes, this.maxStorageBytes);
    if (slot === undefined) {
      slot = { key: key.slice(), values: new Map() };
      this.#keys.set(hex, slot);
    }
    const expiresAt = now + ttlMs;
    slot.values.set(value.id, { value: copyValue(value), expiresAt, bytes });
    this.#used += bytes - freed;
    if (expiresAt < this.#nextExpiry) this.#nextExpiry = expiresAt;
    if (live === undefined) return { kind: 'stored' };
    return live.value.seq === value.seq
      ? { kind: 'refreshed' }
      : { kind: 'replaced', previous: copyValue(live.value) };
  }

  /**
   * Drop everything (a node that crashed and lost its RAM: OpenDHT keeps values in memory only).
   * Returns the number of entries removed.
   */
  clear(): number {
    const n = this.size;
    this.#keys.clear();
    this.#used = 0;
    this.#nextExpiry = Infinity;
    return n;
  }

  /**
   * Remove every entry expired at `now` (`now >= expiresAt`) and return them grouped by key.
   * Cheap when nothing is due (one comparison).
   */
  sweep(now: number): Array<{ key: Uint8Array; values: DhtValue[] }> {
    if (now < this.#nextExpiry) return [];
    const out: Array<{ key: Uint8Array; values: DhtValue[] }> = [];
    let next = Infinity;
    for (const [hex, slot] of this.#keys) {
      const expired: DhtValue[] = [];
      for (const [id, e] of slot.values) {
        if (now >= e.expiresAt) {
          expired.push(e.value);
          slot.values.delete(id);
          this.#used -= e.bytes;
        } else if (e.expiresAt < next) next = e.expiresAt;
      }
      if (slot.values.size === 0) this.#keys.delete(hex);
      if (expired.length > 0) out.push({ key: slot.key, values: expired });
    }
    this.#nextExpiry = next;
    return out;
  }
}
