/**
 * The X25519 key agreement of sealing a message (RFC 7748 §5), computed by node:crypto (OpenSSL)
 * instead of @noble/curves' Montgomery ladder in JavaScript: about 0.1 ms against about 0.9 ms
 * per sealed message on the development machine, and every message a FROST party sends is sealed.
 * The function is the same (X25519 is deterministic: agreement.test.ts compares the bytes with
 * noble's for random keys and for non-canonical and high-bit public keys), and where OpenSSL
 * refuses (a low-order public key gives the all-zero secret, which both refuse), noble is asked,
 * so the error thrown is noble's as before.
 *
 * A sealed message's ephemeral public key, X25519(e, 9), is computed by OpenSSL too
 * ({@link x25519PublicKey}): about 0.04 ms against noble's 0.35 ms.
 *
 * Keys enter OpenSSL as JWK (`kty: 'OKP'`, `crv: 'X25519'`): importing raw bytes that way is
 * about ten times cheaper than through a PKCS #8 / SPKI DER envelope (OpenSSL 3's decoders). A
 * recipient's public key object is kept (lru-cache, by its bytes); an ephemeral secret is used
 * once, so it is not.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';

const b64url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

/** Recipient public key objects kept, by the key's hex. */
const publicKeys = new LRUCache<string, KeyObject>({ max: 1024 });

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const hex = bytesToHex(publicKey);
  let key = publicKeys.get(hex);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(publicKey) }, format: 'jwk' });
    publicKeys.set(hex, key);
  }
  return key;
}

/**
 * X25519(`secret`, `publicKey`): the 32-byte shared secret, as `x25519.getSharedSecret(secret,
 * publicKey)` (@noble/curves) returns it.
 * @param secret 32-byte X25519 secret (clamped by the function, RFC 7748 §5).
 * @param ownPublic `x25519.getPublicKey(secret)`: the JWK form carries it beside the secret (the
 *   agreement is computed from the secret).
 * @param publicKey 32-byte u-coordinate of the other party.
 * @throws what noble throws for the same input (e.g. a low-order public key, a key that is not 32 bytes).
 */
export function x25519Agreement(
  secret: Uint8Array,
  ownPublic: Uint8Array,
  publicKey: Uint8Array,
): Uint8Array {
  if (secret.length !== 32 || ownPublic.length !== 32 || publicKey.length !== 32)
    return x25519.getSharedSecret(secret, publicKey);
  try {
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: b64url(secret), x: b64url(ownPublic) },
      format: 'jwk',
    });
    const shared = diffieHellman({ privateKey, publicKey: publicKeyObject(publicKey) });
    return new Uint8Array(shared); // a copy: a Buffer may be a view of a shared pool
  } catch {
    return x25519.getSharedSecret(secret, publicKey); // noble's verdict and error
  }
}

/**
 * X25519(`secret`, 9): the 32-byte public key of an X25519 secret (RFC 7748 §6.1), as
 * `x25519.getPublicKey(secret)` (@noble/curves) returns it, computed by node:crypto.
 * @param secret 32-byte X25519 secret (any bytes; clamped by the function, RFC 7748 §5).
 * @throws what noble throws for a secret that is not 32 bytes.
 */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  if (secret.length !== 32) return x25519.getPublicKey(secret);
  try {
    // Node reads only `d` of a private OKP JWK; `x` must be a string, and OpenSSL derives the
    // public key from `d` (agreement.test.ts compares the bytes with noble's).
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: b64url(secret), x: '' },
      format: 'jwk',
    });
    const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
    if (typeof x !== 'string') return x25519.getPublicKey(secret);
    return new Uint8Array(Buffer.from(x, 'base64url'));
  } catch {
    return x25519.getPublicKey(secret); // noble's bytes, or its error
  }
}
