import { createHash, createPrivateKey, sign } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { equalBytes } from '@noble/curves/utils.js';
import { LRUCache } from 'lru-cache';

/**
 * @fanout/signing-key: an ed25519 secret key prepared once per secret, then signed with many
 * times. The public key comes from @noble/curves (`ed25519.getPublicKey`); the secret is imported
 * once into a node:crypto key object (JWK), and every signature is OpenSSL's RFC 8032 §5.1.6
 * Ed25519 (about 0.03 ms, against about 0.5 ms for `ed25519.sign`, which also expands the secret
 * again on every call). Ed25519 signing is deterministic (the nonce is derived from the secret and
 * the message), so the bytes are `ed25519.sign`'s: signing-key.test.ts compares them on random
 * keys and messages. A DHT sender signs every version of its outbox, and a FROST party every
 * sealed message, with the same key. The last {@link SIGNATURE_MEMO} signatures per key are also
 * kept, so re-signing the same message (a retried write, a simulation publishing the same outbox
 * again) costs a SHA-256.
 */

/** Signatures remembered per key (by SHA-256 of the message, node:crypto; least recently used evicted first). */
export const SIGNATURE_MEMO = 256;

/** An ed25519 key ready for signing: its public key and `sign`, both prepared once per secret. */
export interface SigningKey {
  /** The 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** RFC 8032 §5.1.6 signature of `msg` (64 bytes), as `ed25519.sign(msg, secretKey)`. */
  sign(msg: Uint8Array): Uint8Array;
}

const b64url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

function prepare(secretKey: Uint8Array): SigningKey {
  const publicKey = ed25519.getPublicKey(secretKey.slice());
  // OpenSSL's key object, imported once (JWK: the raw secret and its public key).
  const keyObject = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: b64url(secretKey), x: b64url(publicKey) },
    format: 'jwk',
  });
  const memo = new LRUCache<string, Uint8Array>({ max: SIGNATURE_MEMO });
  return {
    publicKey,
    sign: (msg) => {
      const id = createHash('sha256').update(msg).digest('hex'); // a memo key (node:crypto: faster)
      const known = memo.get(id);
      if (known !== undefined) return known.slice();
      const signature = new Uint8Array(sign(null, msg, keyObject)); // a copy, never a pooled view
      memo.set(id, signature.slice());
      return signature;
    },
  };
}

/** Cache: secret key object → (a copy of its bytes, its prepared key). */
const cache = new WeakMap<Uint8Array, { readonly secret: Uint8Array; readonly key: SigningKey }>();

/**
 * The {@link SigningKey} of a 32-byte ed25519 secret key, prepared once per secret key object
 * (held weakly: the cache never outlives the caller's key; a key whose bytes were changed in place
 * is prepared again).
 * @throws Error (from @noble/curves) when `secretKey` is not 32 bytes.
 */
export function signingKey(secretKey: Uint8Array): SigningKey {
  const hit = cache.get(secretKey);
  if (hit !== undefined && equalBytes(hit.secret, secretKey)) return hit.key;
  const key = prepare(secretKey);
  cache.set(secretKey, { secret: secretKey.slice(), key });
  return key;
}
