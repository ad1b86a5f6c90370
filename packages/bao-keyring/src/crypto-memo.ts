/**
 * The keyring's secp256k1 checks (@noble/curves), each remembered in a small process-wide memo.
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

/** Entries each memo keeps at most. */
export const MEMO_CAPACITY = { verify: 4096, publicKeys: 1024, points: 1024 } as const;

/** A map of at most `capacity` entries that forgets its oldest entry when full. */
class Memo<V> {
  readonly #entries = new Map<string, V>();

  constructor(readonly capacity: number) {}

  get(key: string, compute: () => V): V {
    if (this.#entries.has(key)) return this.#entries.get(key)!;
    const value = compute();
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, value);
    return value;
  }
}

const verdicts = new Memo<boolean>(MEMO_CAPACITY.verify);
const publicKeys = new Memo<string>(MEMO_CAPACITY.publicKeys);
const points = new Memo<boolean>(MEMO_CAPACITY.points);

/**
 * noble's `secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true })`;
 * malformed input (a signature that is not 64 bytes, a public key that is not a point, …) is
 * false. Never throws.
 * @param signature compact R‖S; @param digest the 32-byte hash that was signed; @param publicKey
 *   SEC1-encoded public key.
 */
export function verifiesLowS(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  const key = `${bytesToHex(publicKey)}:${bytesToHex(digest)}:${bytesToHex(signature)}`;
  return verdicts.get(key, () => {
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
  return hexToBytes(publicKeys.get(key, () => bytesToHex(secp256k1.getPublicKey(privateKey, true))));
}

/** True for 66 hex chars encoding a valid compressed secp256k1 point. Never throws. */
export function isCompressedPointHex(h: string): boolean {
  if (h.length !== 66) return false;
  return points.get(h, () => {
    try {
      return secp256k1.utils.isValidPublicKey(hexToBytes(h), true);
    } catch {
      return false;
    }
  });
}
