import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { signingKey } from '@fanout/signing-key';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';

/**
 * Signed DHT values: the semantics of OpenDHT's `putSigned` (a value id owned by one key, a
 * rising `seq`, replacement only by the owner with a higher seq), with ed25519 from
 * @noble/curves instead of OpenDHT's own crypto (upstream DNA Messenger signs with
 * Dilithium5). The byte format of the signature is the lab's own, not OpenDHT's.
 */

/** Upstream's fixed value id for an outbox (dht_offline_queue.h: "putSigned() with value_id=1"). */
export const OUTBOX_VALUE_ID = 1n;

/** Domain separation tag prefixed to every signed message. */
export const SIGNED_VALUE_DOMAIN = 'fanout-lab/dht-signed-value/v1\0';

/** A signed value, structurally a `DhtValue` of @fanout/sim-dht with owner and signature. */
export interface SignedValue {
  /** Value id, uint64. */
  readonly id: bigint;
  /** Sequence number, non-negative safe integer; each edit raises it. */
  readonly seq: number;
  readonly data: Uint8Array;
  /** ed25519 public key, 32 bytes. */
  readonly owner: Uint8Array;
  /** ed25519 signature, 64 bytes, over {@link signedValueMessage}. */
  readonly signature: Uint8Array;
}

/** An argument to {@link signValue} was malformed. `field` names it. */
export class SignedValueError extends Error {
  override readonly name = 'SignedValueError';
  constructor(
    readonly field: 'key' | 'id' | 'seq' | 'data' | 'secretKey' | 'owner' | 'signature',
    detail: string,
  ) {
    super(`signed value ${field}: ${detail}`);
  }
}

const U64_MAX = (1n << 64n) - 1n;
const DOMAIN = utf8ToBytes(SIGNED_VALUE_DOMAIN);

/**
 * The bytes signed for a value: domain tag ‖ key (20) ‖ id (u64 BE) ‖ seq (u64 BE) ‖ data.
 * Binding the DHT key stops a signed value from being replayed under another key.
 * @throws SignedValueError for a key that is not 20 bytes, an id outside u64, a bad seq, or non-byte data.
 */
export function signedValueMessage(key: Uint8Array, id: bigint, seq: number, data: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 20)
    throw new SignedValueError('key', 'must be a 20-byte InfoHash');
  if (typeof id !== 'bigint' || id < 0n || id > U64_MAX)
    throw new SignedValueError('id', 'must be a uint64 bigint');
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new SignedValueError('seq', 'must be a non-negative safe integer');
  if (!(data instanceof Uint8Array)) throw new SignedValueError('data', 'must be a Uint8Array');
  const out = new Uint8Array(DOMAIN.length + 20 + 16 + data.length);
  const view = new DataView(out.buffer);
  let o = 0;
  out.set(DOMAIN, o);
  o += DOMAIN.length;
  out.set(key, o);
  o += 20;
  view.setBigUint64(o, id);
  view.setBigUint64(o + 8, BigInt(seq));
  o += 16;
  out.set(data, o);
  return out;
}

/**
 * Sign `{ id, seq, data }` for `key` with an ed25519 secret key (32 bytes).
 * @throws SignedValueError for malformed arguments.
 */
export function signValue(
  key: Uint8Array,
  fields: { id: bigint; seq: number; data: Uint8Array },
  secretKey: Uint8Array,
): SignedValue {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32)
    throw new SignedValueError('secretKey', 'must be a 32-byte ed25519 secret key');
  const msg = signedValueMessage(key, fields.id, fields.seq, fields.data);
  const signer = signingKey(secretKey); // expanded once per secret (@fanout/signing-key)
  const value: SignedValue = {
    id: fields.id,
    seq: fields.seq,
    data: fields.data.slice(),
    owner: signer.publicKey.slice(),
    signature: signer.sign(msg),
  };
  SIGNED_HERE.set(valueDigest(key, value, value.owner, value.signature), true);
  return value;
}

/**
 * Digests (see {@link valueDigest}) of the last 100,000 values {@link signValue} made in this
 * process. Each verifies: its signature is ed25519's over the value's message by the secret key
 * whose public key is its owner (RFC 8032 §5.1.6 / §5.1.7), so {@link memoizedVerifier} answers
 * true for it without the curve arithmetic; any changed byte gives another digest.
 */
const SIGNED_HERE = new LRUCache<string, true>({ max: 100_000 });

/**
 * SHA-256 (hex) of everything {@link verifySignedValue} reads: key, id, seq, owner, signature and
 * data, with their lengths, so two values share a digest only if the check reads the same bytes.
 * node:crypto's SHA-256 (OpenSSL): a memo key, not part of the signed format, and 2–7× faster
 * than a JavaScript SHA-256 for values of 100–3,000 bytes (every holder and reader of every
 * value computes one).
 */
function valueDigest(
  key: Uint8Array,
  value: { readonly id: bigint; readonly seq: number; readonly data: Uint8Array },
  owner: Uint8Array,
  signature: Uint8Array,
): string {
  return createHash('sha256')
    .update(`${key.length}:${value.id}:${value.seq}:${owner.length}:${signature.length}:`)
    .update(key)
    .update(owner)
    .update(signature)
    .update(value.data)
    .digest('hex');
}

/**
 * True when `value` carries a 32-byte owner and a 64-byte signature that verifies for `key`.
 * Never throws (malformed input → false). Plug it in as a @fanout/sim-dht node's `verifyValue`.
 */
export function verifySignedValue(
  key: Uint8Array,
  value: {
    readonly id: bigint;
    readonly seq: number;
    readonly data: Uint8Array;
    readonly owner?: Uint8Array;
    readonly signature?: Uint8Array;
  },
): boolean {
  try {
    const { owner, signature } = value;
    if (
      !(owner instanceof Uint8Array) ||
      owner.length !== 32 ||
      !(signature instanceof Uint8Array) ||
      signature.length !== 64
    )
      return false;
    return ed25519.verify(signature, signedValueMessage(key, value.id, value.seq, value.data), owner);
  } catch {
    return false;
  }
}

/** A value check with the signature of {@link verifySignedValue}. */
export type ValueVerifier = (
  key: Uint8Array,
  value: {
    readonly id: bigint;
    readonly seq: number;
    readonly data: Uint8Array;
    readonly owner?: Uint8Array;
    readonly signature?: Uint8Array;
  },
) => boolean;

/** What a {@link memoizedVerifier} did: checks answered by its memo, by {@link signValue}'s record, by ed25519. */
export interface VerifierStats {
  memoHits: number;
  signedHere: number;
  verified: number;
}

/**
 * {@link verifySignedValue} with a memo, for simulations where the same value is checked by
 * every holder and every reader: results are cached under SHA-256(key ‖ id ‖ seq ‖ owner ‖
 * signature ‖ data) (so a hit needs the exact same value), least recently used entries evicted
 * past `maxEntries` (default 10,000; lru-cache). A value {@link signValue} made in this process, byte for byte,
 * is answered true without the curve arithmetic (it verifies by construction: see SIGNED_HERE).
 * Behaves exactly like verifySignedValue; `stats` counts how each check was answered.
 * @throws RangeError for a maxEntries that is not an integer >= 1.
 */
export function memoizedVerifier(maxEntries = 10_000): ValueVerifier & { readonly stats: VerifierStats } {
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new RangeError(`maxEntries must be an integer >= 1, got ${maxEntries}`);
  const memo = new LRUCache<string, boolean>({ max: maxEntries });
  const stats: VerifierStats = { memoHits: 0, signedHere: 0, verified: 0 };
  const check: ValueVerifier = (key, value) => {
    const { owner, signature } = value;
    if (
      !(key instanceof Uint8Array) ||
      !(owner instanceof Uint8Array) ||
      !(signature instanceof Uint8Array) ||
      !(value.data instanceof Uint8Array)
    )
      return false;
    if (typeof value.id !== 'bigint' || typeof value.seq !== 'number') return false;
    const id = valueDigest(key, value, owner, signature);
    const known = memo.get(id);
    if (known !== undefined) {
      stats.memoHits++;
      return known;
    }
    let ok: boolean;
    if (SIGNED_HERE.has(id)) {
      stats.signedHere++;
      ok = true;
    } else {
      stats.verified++;
      ok = verifySignedValue(key, value);
    }
    memo.set(id, ok);
    return ok;
  };
  return Object.assign(check, { stats });
}

/** Decision of {@link checkSignedEdit}. */
export type SignedEditDecision =
  | { readonly accept: true; readonly kind: 'new' | 'replace' | 'refresh' }
  | {
      readonly accept: false;
      readonly reason: 'bad-signature' | 'id-mismatch' | 'owner-mismatch' | 'lower-seq' | 'conflict';
    };

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * OpenDHT's edit policy for signed values, as a pure function: may `incoming` be stored at
 * `key` where `stored` (same value id, or undefined) is? Accepts a verifying value when nothing
 * is stored, replaces when the owner is the same and the seq higher, refreshes when identical.
 */
export function checkSignedEdit(
  key: Uint8Array,
  stored: SignedValue | undefined,
  incoming: SignedValue,
): SignedEditDecision {
  if (!verifySignedValue(key, incoming)) return { accept: false, reason: 'bad-signature' };
  if (stored === undefined) return { accept: true, kind: 'new' };
  if (stored.id !== incoming.id) return { accept: false, reason: 'id-mismatch' };
  if (!eq(stored.owner, incoming.owner)) return { accept: false, reason: 'owner-mismatch' };
  if (incoming.seq > stored.seq) return { accept: true, kind: 'replace' };
  if (incoming.seq < stored.seq) return { accept: false, reason: 'lower-seq' };
  return eq(stored.data, incoming.data) && eq(stored.signature, incoming.signature)
    ? { accept: true, kind: 'refresh' }
    : { accept: false, reason: 'conflict' };
}

/**
 * Among values found at `key`, the newest valid one with `id` (highest seq among those that
 * verify — with `verify`, default {@link verifySignedValue} — and, when `owner` is given, belong
 * to it). Undefined when none qualifies. This is the
 * reader-side rule that fixes upstream's "first value wins" defect.
 */
export function newestSignedValue(
  key: Uint8Array,
  values: Iterable<{
    readonly id: bigint;
    readonly seq: number;
    readonly data: Uint8Array;
    readonly owner?: Uint8Array;
    readonly signature?: Uint8Array;
  }>,
  options: { id?: bigint; owner?: Uint8Array; verify?: ValueVerifier } = {},
): SignedValue | undefined {
  const id = options.id ?? OUTBOX_VALUE_ID;
  const verify = options.verify ?? verifySignedValue;
  let best: SignedValue | undefined;
  for (const v of values) {
    if (v.id !== id || !verify(key, v)) continue;
    const sv = v as SignedValue;
    if (options.owner !== undefined && !eq(sv.owner, options.owner)) continue;
    if (best === undefined || sv.seq > best.seq) best = sv;
  }
  return best;
}
