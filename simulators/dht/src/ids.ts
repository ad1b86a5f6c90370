/**
 * 20-byte DHT identifiers (node ids and keys): the size of OpenDHT's `InfoHash` (HASH_LEN 20,
 * opendht include/opendht/infohash.h) and of BitTorrent mainline ids. Distances use the
 * Kademlia XOR metric, compared exactly byte by byte (never through a float).
 */
import { bytesToHex } from '@noble/hashes/utils.js';

/** Bytes in a node id or key. */
export const ID_BYTES = 20;

/** A node id or DHT key: exactly {@link ID_BYTES} bytes. */
export type NodeId = Uint8Array;

/** True when `x` is a Uint8Array of exactly {@link ID_BYTES} bytes. */
export function isNodeId(x: unknown): x is NodeId {
  return x instanceof Uint8Array && x.length === ID_BYTES;
}

/** Lowercase hex of any byte string (40 chars for an id), by @noble/hashes `bytesToHex`. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/**
 * Parse an id from 40 hex characters (either case).
 * @throws TypeError when `hex` is not exactly 40 hex characters.
 */
export function idFromHex(hex: string): NodeId {
  if (!/^[0-9a-fA-F]{40}$/.test(hex))
    throw new TypeError(`idFromHex: expected 40 hex characters, got ${JSON.stringify(hex)}`);
  const out = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Byte-wise equality of two byte strings. */
export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** XOR distance `a ^ b` as bytes (both must have the same length). */
export function xorDistance(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Compare the XOR distances of `a` and `b` to `target`: negative when `a` is closer, positive
 * when `b` is closer, 0 when equal (only when `a` equals `b`). Same rule as OpenDHT's
 * `Hash::xorCmp`.
 */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

/**
 * The first 6 bytes of the XOR distance of `id` to `target` as an integer (0 .. 2^48 − 1, exact
 * in a double): a distance key that orders like {@link compareDistance} whenever two keys differ.
 */
function distancePrefix(target: Uint8Array, id: Uint8Array): number {
  const hi = ((id[0]! ^ target[0]!) << 16) | ((id[1]! ^ target[1]!) << 8) | (id[2]! ^ target[2]!);
  const lo = ((id[3]! ^ target[3]!) << 16) | ((id[4]! ^ target[4]!) << 8) | (id[5]! ^ target[5]!);
  return hi * 0x1000000 + lo;
}

/**
 * The `n` items whose ids are closest to `target` (XOR metric), closest first: the first `n` of
 * `items` sorted with {@link compareDistance}, without sorting them all. Each item's distance is
 * keyed by its first 6 bytes once, and the n closest are kept by insertion; equal keys (ids that
 * share 48 bits of distance) fall back to the exact byte comparison. O(|items| · n) with number
 * comparisons, against O(|items| log |items|) byte-wise comparisons for a full sort: a node
 * answers every findNode and get with its k closest contacts.
 * @param target id of at least 6 bytes; ids must have `target`'s length.
 */
export function closestTo<T>(
  target: Uint8Array,
  items: Iterable<T>,
  n: number,
  idOf: (item: T) => Uint8Array,
): T[] {
  const best: T[] = [];
  const keys: number[] = [];
  if (!(n > 0)) return best;
  for (const item of items) {
    const id = idOf(item);
    const key = distancePrefix(target, id);
    // A full list keeps the item only if it is closer than the farthest kept one.
    if (best.length === n && !closer(target, key, id, keys[n - 1]!, idOf(best[n - 1]!))) continue;
    let j = best.length < n ? best.length : n - 1;
    for (; j > 0 && closer(target, key, id, keys[j - 1]!, idOf(best[j - 1]!)); j--) {
      best[j] = best[j - 1]!;
      keys[j] = keys[j - 1]!;
    }
    best[j] = item;
    keys[j] = key;
  }
  return best;
}

/** Whether the id with distance key `key` is closer to `target` than the one with `otherKey`. */
function closer(
  target: Uint8Array,
  key: number,
  id: Uint8Array,
  otherKey: number,
  other: Uint8Array,
): boolean {
  return key < otherKey || (key === otherKey && compareDistance(target, id, other) < 0);
}

/** Number of leading bits `a` and `b` share (0..160). OpenDHT `Hash::commonBits`. */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

/** Sort ids (a copy) by XOR distance to `target`, closest first. */
export function sortByDistance<T extends { id: Uint8Array }>(target: Uint8Array, items: readonly T[]): T[] {
  return [...items].sort((x, y) => compareDistance(target, x.id, y.id));
}
