import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';

/**
 * A sender's ed25519 public key derived once per secret (RFC 8032 §5.1.5), beside signing by
 * @noble/curves `ed25519.sign`. Publishing an outbox needs the owner's public key for every version
 * (and `getPublicKey` is a base-point multiplication); a sender signs every version with the same
 * key, so the lab keeps the public key per secret. Signing itself stays the library's; because an
 * ed25519 signature is a function of (key, message) alone (RFC 8032 §5.1.6: the nonce is derived
 * from the key and the message), the last {@link SIGNATURE_MEMO} signatures per key are kept, so
 * re-signing the same version (a retried write, a simulation publishing the same outbox again)
 * costs a SHA-256 instead of a scalar multiplication.
 */

/** Signatures remembered per key (by SHA-256 of the message; least recently used evicted first). */
export const SIGNATURE_MEMO = 256;

/** An ed25519 key ready for signing: its public key (derived once) and `sign` (@noble/curves). */
export interface SigningKey {
  /** The 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** RFC 8032 §5.1.6 signature of `msg` (64 bytes), as `ed25519.sign(msg, secretKey)`. */
  sign(msg: Uint8Array): Uint8Array;
}

function expand(secretKey: Uint8Array): SigningKey {
  const secret = secretKey.slice();
  const publicKey = ed25519.getPublicKey(secret);
  const memo = new LRUCache<string, Uint8Array>({ max: SIGNATURE_MEMO });
  return {
    publicKey,
    sign: (msg) => {
      const id = bytesToHex(sha256(msg));
      const known = memo.get(id);
      if (known !== undefined) return known.slice();
      const signature = ed25519.sign(msg, secret);
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
