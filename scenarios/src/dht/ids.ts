/**
 * Who is who in a DHT world: the recipient and its contacts — one fixed population, the same in
 * every world (fingerprints hashed like upstream's, from names; ed25519 secret keys from
 * SHA-256 of names), so that key material and everything signed with it is derived once per
 * process rather than once per run — the outbox keys they give, and the swarm's node ids, drawn
 * by the world itself from one stream of the run's generator and handed to the swarm
 * explicitly, so that a plan can aim faults at the holders of a key before the world exists
 * without replaying how the simulator draws its ids. What varies per seed is everything else:
 * the node ids (so which nodes hold which outbox), what each contact queues, and the faults.
 */
import type { RandomBytes } from '@fanout/core';
import { outboxInfoHash, signingKey } from '@fanout/dht';
import { ID_BYTES, compareDistance, toHex } from '@fanout/sim-dht';
import type { Rng } from '@fanout/sim';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** The stream the world draws node ids from: `world.rng.fork(NODE_IDS_STREAM)`. */
export const NODE_IDS_STREAM = 'node-ids';

/** Fingerprint of a name: SHA3-512 hex, 128 characters (how upstream derives fingerprints, from a key). */
export function fingerprintOf(name: string): string {
  return bytesToHex(sha3_512(utf8ToBytes(name)));
}

/** The recipient's fingerprint (the same in every world). */
export const RECIPIENT: string = fingerprintOf('recipient');

/** One contact of the population: fingerprint, outbox key to {@link RECIPIENT}, ed25519 keys. */
export interface ContactIdentity {
  readonly fingerprint: string;
  /** DHT key (20-byte InfoHash) of its outbox to the recipient. Do not modify. */
  readonly key: Uint8Array;
  /** 32-byte ed25519 secret key, SHA-256("contact-key:<index>"). Do not modify. */
  readonly secretKey: Uint8Array;
  /** Its 32-byte ed25519 public key. Do not modify. */
  readonly publicKey: Uint8Array;
}

const population: ContactIdentity[] = [];

/**
 * Contact `index` (0-based integer) of the population, derived on first use and kept for the
 * process: its secret key object stays the same, so @fanout/dht's signing key (public key,
 * remembered signatures) is derived once.
 * @throws RangeError for an index that is not a non-negative integer.
 */
export function contactIdentity(index: number): ContactIdentity {
  if (!Number.isInteger(index) || index < 0)
    throw new RangeError(`contact index must be an integer >= 0, got ${index}`);
  const known = population[index];
  if (known !== undefined) return known;
  const fingerprint = fingerprintOf(`contact:${index}`);
  const secretKey = sha256(utf8ToBytes(`contact-key:${index}`));
  const identity = {
    fingerprint,
    key: outboxInfoHash(fingerprint, RECIPIENT),
    secretKey,
    publicKey: signingKey(secretKey).publicKey,
  };
  population[index] = identity;
  return identity;
}

/** Fingerprint of contact `index` (0-based). */
export function contactFingerprint(index: number): string {
  return contactIdentity(index).fingerprint;
}

/** DHT key (20-byte InfoHash) of contact `index`'s outbox to the recipient (a copy). */
export function contactKey(index: number): Uint8Array {
  return contactIdentity(index).key.slice();
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
