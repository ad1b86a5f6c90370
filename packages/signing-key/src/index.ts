import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';

/**
 * @fanout/signing-key: an ed25519 secret key expanded once per secret (RFC 8032 §5.1.5: the
 * SHA-512 of the secret split into the signing scalar and the nonce prefix, and the public key
 * A = scalar·B, by @noble/curves `ed25519.utils.getExtendedPublicKey`), then every signature made
 * from that expansion (RFC 8032 §5.1.6) with @noble's point and field arithmetic.
 * `ed25519.sign` expands the secret again on every call (a SHA-512 and a base-point
 * multiplication: about half the cost of a signature); a DHT sender signs every version of its
 * outbox, and a FROST party every sealed message, with the same key. The bytes are
 * `ed25519.sign`'s (signing-key.test.ts compares them). Because an ed25519 signature is a function
 * of (key, message) alone (the nonce is derived from the prefix and the message), the last
 * {@link SIGNATURE_MEMO} signatures per key are also kept, so re-signing the same message (a
 * retried write, a simulation publishing the same outbox again) costs a SHA-256.
 */

/** Signatures remembered per key (by SHA-256 of the message, node:crypto; least recently used evicted first). */
export const SIGNATURE_MEMO = 256;

/** An ed25519 key ready for signing: its public key and `sign`, both from one expansion of the secret. */
export interface SigningKey {
  /** The 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** RFC 8032 §5.1.6 signature of `msg` (64 bytes), as `ed25519.sign(msg, secretKey)`. */
  sign(msg: Uint8Array): Uint8Array;
}

const { Fn } = ed25519.Point;

/** SHA-512 of the concatenated parts as a scalar mod L (RFC 8032 §5.1.6 steps 2 and 4). */
const digestScalar = (...parts: Uint8Array[]): bigint =>
  Fn.create(bytesToNumberLE(sha512(concatBytes(...parts))));

/**
 * RFC 8032 §5.1.6 signature of `msg` by the expanded key (`prefix`, scalar `s`, encoded public key
 * `a`): r = H(prefix ‖ M) mod L, R = r·B, k = H(R ‖ A ‖ M) mod L, S = (r + k·s) mod L; R ‖ S.
 * @throws Error (from @noble/curves) when r is 0 mod L, as `ed25519.sign` does.
 */
function signExpanded(msg: Uint8Array, prefix: Uint8Array, s: bigint, a: Uint8Array): Uint8Array {
  const r = digestScalar(prefix, msg);
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  const k = digestScalar(R, a, msg);
  return concatBytes(R, Fn.toBytes(Fn.create(r + k * s)));
}

function expand(secretKey: Uint8Array): SigningKey {
  const { prefix, scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(secretKey.slice());
  const publicKey = pointBytes.slice();
  const memo = new LRUCache<string, Uint8Array>({ max: SIGNATURE_MEMO });
  return {
    publicKey,
    sign: (msg) => {
      const id = createHash('sha256').update(msg).digest('hex'); // a memo key (node:crypto: faster)
      const known = memo.get(id);
      if (known !== undefined) return known.slice();
      const signature = signExpanded(msg, prefix, scalar, publicKey);
      memo.set(id, signature.slice());
      return signature;
    },
  };
}

/** Cache: secret key object → (a copy of its bytes, its expansion). */
const cache = new WeakMap<Uint8Array, { readonly secret: Uint8Array; readonly key: SigningKey }>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The {@link SigningKey} of a 32-byte ed25519 secret key, expanded once per secret key object
 * (held weakly: the cache never outlives the caller's key; a key whose bytes were changed in place
 * is expanded again).
 * @throws Error (from @noble/curves) when `secretKey` is not 32 bytes.
 */
export function signingKey(secretKey: Uint8Array): SigningKey {
  const hit = cache.get(secretKey);
  if (hit !== undefined && sameBytes(hit.secret, secretKey)) return hit.key;
  const key = expand(secretKey);
  cache.set(secretKey, { secret: secretKey.slice(), key });
  return key;
}
