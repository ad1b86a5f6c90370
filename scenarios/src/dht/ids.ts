/**
 * Who is who in a DHT world: the recipient and contact fingerprints (pure functions of the seed,
 * hashed like upstream's fingerprints), the outbox keys they give, and the swarm's node ids —
 * drawn by the world itself from one stream of the run's generator and handed to the swarm
 * explicitly, so that a plan can aim faults at the holders of a key before the world exists
 * without replaying how the simulator draws its ids.
 */
import type { RandomBytes } from '@fanout/core';
import { outboxInfoHash } from '@fanout/dht';
import { ID_BYTES, compareDistance, toHex } from '@fanout/sim-dht';
import type { Rng } from '@fanout/sim';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** The stream the world draws node ids from: `world.rng.fork(NODE_IDS_STREAM)`. */
export const NODE_IDS_STREAM = 'node-ids';

/** Fingerprint of a name: SHA3-512 hex, 128 characters (how upstream derives fingerprints, from a key). */
export function fingerprintOf(name: string): string {
  return bytesToHex(sha3_512(utf8ToBytes(name)));
}

/** Recipient fingerprint of the world of `seed` (uint32). */
export function recipientOf(seed: number): string {
  return fingerprintOf(`recipient:${seed}`);
}

/** Fingerprint of contact `index` (0-based) in the world of `seed`. */
export function contactFingerprint(seed: number, index: number): string {
  return fingerprintOf(`contact:${seed}:${index}`);
}

/** DHT key (20-byte InfoHash) of contact `index`'s outbox to the recipient of the world of `seed`. */
export function contactKey(seed: number, index: number): Uint8Array {
  return outboxInfoHash(contactFingerprint(seed, index), recipientOf(seed));
}

/**
 * `n` distinct node ids of {@link ID_BYTES} (20) bytes, drawn in order from `rng` (repeats are
 * skipped). The world calls it with `world.rng.fork(NODE_IDS_STREAM)`; a scenario's `plan()`
 * may call it with `createRng(seed).fork(NODE_IDS_STREAM)` — the same stream — to aim faults at
 * the nodes closest to a key.
 * @throws RangeError when `n` is not a non-negative integer.
 */
export function drawNodeIds(rng: Rng, n: number): Uint8Array[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`drawNodeIds: n must be an integer >= 0, got ${n}`);
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  while (out.length < n) {
    const id = rng.bytes(ID_BYTES);
    if (seen.has(toHex(id))) continue;
    seen.add(toHex(id));
    out.push(id);
  }
  return out;
}

/**
 * Indexes of the `k` ids closest (XOR metric) to `key`, closest first, skipping the indexes in
 * `exclude` (e.g. the reader, node 0).
 */
export function closestIndexes(
  ids: readonly Uint8Array[],
  key: Uint8Array,
  k: number,
  exclude: readonly number[] = [],
): number[] {
  return ids
    .map((id, i) => ({ id, i }))
    .filter((x) => !exclude.includes(x.i))
    .sort((a, b) => compareDistance(key, a.id, b.id))
    .slice(0, k)
    .map((x) => x.i);
}

/**
 * A {@link RandomBytes} for `Swarm.create` that hands out `ids` (one per 20-byte draw, in order)
 * while the swarm is being built, then draws from `rest` (ids of nodes that join later, churn
 * choices). Local fallback until `Swarm.create` takes explicit ids (`ids?: Uint8Array[]`): with
 * that option the swarm never asks this feed during creation and the result is the same.
 * Call `built()` once `Swarm.create` resolved.
 */
export function idFeed(ids: readonly Uint8Array[], rest: RandomBytes): { rng: RandomBytes; built(): void } {
  let next = 0;
  let building = true;
  return {
    rng: (n) => (building && n === ID_BYTES && next < ids.length ? ids[next++]!.slice() : rest(n)),
    built: () => {
      building = false;
    },
  };
}
