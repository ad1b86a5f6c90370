/**
 * Bounded process-wide memos (lru-cache) of pure crypto results (a verification, a point check, a
 * Diffie-Hellman agreement): every value is what the library returned for the same inputs, so a
 * hit changes no byte and no verdict; only repeated work is saved (in a simulation the same
 * identities, group keys and messages are checked again and again). The crypto runs in
 * @noble/curves, except the sealing side's X25519 agreement, which node:crypto computes with the
 * same bytes and errors (agreement.ts).
 */
import { signingKey } from '@fanout/signing-key';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/curves/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';
import { x25519Agreement } from './agreement.js';

/** Entries each memo keeps, at most. */
export const MEMO_CAPACITY = 4096;

const verified = new LRUCache<string, boolean>({ max: MEMO_CAPACITY });

/** The key of a verdict in `verified`: public key, signature, SHA-256 of the message. */
const verdictKey = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): string =>
  `${bytesToHex(publicKey)}.${bytesToHex(signature)}.${bytesToHex(sha256(message))}`;

/**
 * `ed25519.verify(signature, message, publicKey)` (@noble/curves), remembered under (public key,
 * signature, SHA-256 of the message). Never throws: malformed input is false.
 */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const key = verdictKey(signature, message, publicKey);
  const known = verified.get(key);
  if (known !== undefined) return known;
  let ok = false;
  try {
    ok = ed25519.verify(signature, message, publicKey);
  } catch {
    ok = false;
  }
  verified.set(key, ok);
  return ok;
}

/**
 * `ed25519.sign(message, secretKey)`'s bytes, made from the secret's expansion kept by
 * @fanout/signing-key (expanded once per key object instead of on every message: the expansion
 * is half the cost of a signature). When `publicKey` is the secret's own, the signature is
 * remembered as verifying for {@link verifyEd25519}: an ed25519 signature verifies under its
 * signer's public key by construction (RFC 8032 §5.1.6–5.1.7). A key that is not the secret's is
 * not remembered.
 * @throws what noble throws (a secret key that is not 32 bytes).
 */
export function signEd25519(message: Uint8Array, secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const key = signingKey(secretKey);
  const signature = key.sign(message);
  if (equalBytes(key.publicKey, publicKey)) verified.set(verdictKey(signature, message, publicKey), true);
  return signature;
}

const subgroup = new LRUCache<string, boolean>({ max: MEMO_CAPACITY });

/**
 * Whether the ed25519 point encoded by `hex` (64 hex digits of a canonical 32-byte encoding) is in
 * the prime-order subgroup: `compute()` (noble's `isTorsionFree`) the first time, remembered after.
 * Decoding is a function of the bytes (RFC 8032 §5.1.3), so the same encoding always gets the same
 * answer. Shared by {@link isValidPoint} and the suite's decoded points (suite.ts), so a commitment
 * the coordinator checked is not checked again when a signer decodes it.
 */
export function isTorsionFreeEncoding(hex: string, compute: () => boolean): boolean {
  const known = subgroup.get(hex);
  if (known !== undefined) return known;
  const ok = compute();
  subgroup.set(hex, ok);
  return ok;
}

/**
 * Records that `encoding` (32 bytes) is the encoding of k·B for a scalar k, as a participant's
 * nonce commitments are (RFC 9591 §5.1 commit: `G.ScalarBaseMult(nonce)`). Such a point is in the
 * prime-order subgroup by construction (B has prime order L, RFC 8032 §5.1), so its subgroup
 * check needs no scalar multiplication when it is decoded later, in this process. Whether it is
 * the identity is still checked where that matters ({@link isValidPoint}).
 */
export function rememberBaseMultiple(encoding: Uint8Array): void {
  subgroup.set(bytesToHex(encoding), true);
}

const validPoints = new LRUCache<string, boolean>({ max: MEMO_CAPACITY });

/**
 * True when `bytes` is a valid prime-order, non-identity Ed25519 point encoding (@noble/curves'
 * decoding; remembered, the subgroup check through {@link isTorsionFreeEncoding}).
 */
export function isValidPoint(bytes: Uint8Array): boolean {
  const key = bytesToHex(bytes);
  const known = validPoints.get(key);
  if (known !== undefined) return known;
  let ok = false;
  try {
    const p = ed25519.Point.fromBytes(bytes);
    ok = !p.is0() && isTorsionFreeEncoding(key, () => p.isTorsionFree());
  } catch {
    ok = false;
  }
  validPoints.set(key, ok);
  return ok;
}

const agreements = new LRUCache<string, Uint8Array>({ max: MEMO_CAPACITY });
const keyPairs = new LRUCache<string, boolean>({ max: MEMO_CAPACITY });

/**
 * The sealing side of a message's key agreement: `x25519.getSharedSecret(ephSecret, recipientPublic)`'s
 * bytes (computed by node:crypto, agreement.ts), remembered under (E, R) = (`ephPublic`, `recipientPublic`) for {@link openAgreement}.
 * @param ephPublic must be `x25519.getPublicKey(ephSecret)` (the caller just computed it).
 * @throws what noble throws (e.g. a low-order recipient key).
 */
export function sealAgreement(
  ephSecret: Uint8Array,
  ephPublic: Uint8Array,
  recipientPublic: Uint8Array,
): Uint8Array {
  const shared = x25519Agreement(ephSecret, ephPublic, recipientPublic);
  agreements.set(`${bytesToHex(ephPublic)}.${bytesToHex(recipientPublic)}`, shared.slice());
  return shared;
}

/**
 * The opening side: `x25519.getSharedSecret(secret, ephPublic)`. When `publicKey` really is
 * `x25519.getPublicKey(secret)` (checked once per pair) and this process sealed to (E, R) =
 * (`ephPublic`, `publicKey`), the sealer's result is returned: X25519(r, E) = X25519(e, R) for
 * E = X25519(e, 9) and R = X25519(r, 9) (Diffie-Hellman), so the bytes are the ladder's.
 * @throws what noble throws.
 */
export function openAgreement(secret: Uint8Array, publicKey: Uint8Array, ephPublic: Uint8Array): Uint8Array {
  const pairKey = `${bytesToHex(secret)}.${bytesToHex(publicKey)}`;
  const remembered = keyPairs.get(pairKey);
  const owns = remembered ?? equalBytes(x25519.getPublicKey(secret), publicKey);
  if (remembered === undefined) keyPairs.set(pairKey, owns);
  const known = owns ? agreements.get(`${bytesToHex(ephPublic)}.${bytesToHex(publicKey)}`) : undefined;
  return known !== undefined ? known.slice() : x25519.getSharedSecret(secret, ephPublic);
}
