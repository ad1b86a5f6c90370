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
