/**
 * The keyring's secp256k1 checks (@noble/curves), each remembered in a small process-wide memo
 * (lru-cache).
 *
 * Every function here is a pure function of its arguments, and each memo key holds all of their
 * bytes (or, for a private key, its SHA-256, so no memo ever holds a private key): a remembered
 * answer is exactly the one noble would compute again. Only the time changes: a client that sees
 * the same public key, signature or exported key again (many keyrings in one process, a
 * simulation running many seeds) checks it once. The memos are bounded; an entry pushed out is
 * simply computed again.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';

/** Entries each memo keeps at most. */
export const MEMO_CAPACITY = { verify: 4096, publicKeys: 1024, points: 1024 } as const;

/** `cache`'s value for `key`, else `compute()`, remembered. */
function remember<V extends NonNullable<unknown>>(
  cache: LRUCache<string, V>,
  key: string,
  compute: () => V,
): V {
  const known = cache.get(key);
  if (known !== undefined) return known;
  const value = compute();
  cache.set(key, value);
  return value;
}

const verdicts = new LRUCache<string, boolean>({ max: MEMO_CAPACITY.verify });
const publicKeys = new LRUCache<string, string>({ max: MEMO_CAPACITY.publicKeys });
const points = new LRUCache<string, boolean>({ max: MEMO_CAPACITY.points });

/**
 * noble's `secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true })`;
 * malformed input (a signature that is not 64 bytes, a public key that is not a point, …) is
 * false. Never throws.
 * @param signature compact R‖S; @param digest the 32-byte hash that was signed; @param publicKey
 *   SEC1-encoded public key.
 */
export function verifiesLowS(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  const key = `${bytesToHex(publicKey)}:${bytesToHex(digest)}:${bytesToHex(signature)}`;
  return remember(verdicts, key, () => {
    try {
      return secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true });
    } catch {
      return false;
    }
  });
}

/**
 * The compressed (33-byte) public key of a valid private key: noble's
 * `secp256k1.getPublicKey(privateKey, true)`, as a fresh array.
 * @throws what noble throws for an invalid private key (never remembered).
 */
export function compressedPublicKeyOf(privateKey: Uint8Array): Uint8Array {
  const key = bytesToHex(sha256(privateKey));
  return hexToBytes(remember(publicKeys, key, () => bytesToHex(secp256k1.getPublicKey(privateKey, true))));
}

/** True for 66 hex chars encoding a valid compressed secp256k1 point. Never throws. */
export function isCompressedPointHex(h: string): boolean {
  if (h.length !== 66) return false;
  return remember(points, h, () => {
    try {
      return secp256k1.utils.isValidPublicKey(hexToBytes(h), true);
    } catch {
      return false;
    }
  });
}
