/**
 * The FROST(Ed25519, SHA-512) suite the package runs (RFC 9591 §6.1): @noble/curves'
 * `createFROST` with the options of its own `ed25519_FROST` (name, the ed25519 point, SHA-512, the
 * undecorated H2), differing in two ways that change no output and no verdict:
 *
 * - The point checks are made once per decoding, not twice. createFROST's element decoding
 *   (`parsePoint`, RFC 9591 §3.1 DeserializeElement) already refuses off-curve points, the
 *   identity and points outside the prime-order subgroup; `ed25519_FROST`'s extra `validatePoint`
 *   hook repeats the curve and subgroup checks (a scalar multiplication by the group order) on
 *   every decoded point, so this suite does not pass it.
 * - The subgroup check of a decoded point is remembered by its 32-byte encoding
 *   (`isTorsionFreeEncoding`, memo.ts, shared with the coordinator's point checks). Decoding is a function of the bytes (RFC 8032 §5.1.3, canonical
 *   encodings only), so the same bytes always give the same answer; FROST decodes the same
 *   commitments and verifying shares in every round and at every party, and each is now checked
 *   once per process.
 *
 * packages/frost/test/suite.test.ts checks that this suite and `ed25519_FROST` give the same bytes
 * (DKG, signature shares, aggregates) and refuse the same points.
 */
import { createFROST } from '@noble/curves/abstract/frost.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { isTorsionFreeEncoding } from './memo.js';

/** The encoding each decoded point was read from (points are frozen: kept beside, not on them). */
const encodings = new WeakMap<object, string>();

/**
 * An ed25519 point that remembers the encoding it was decoded from, so its subgroup check is
 * answered by {@link isTorsionFreeEncoding}. Arithmetic on it returns plain ed25519 points.
 */
class DecodedPoint extends ed25519.Point {
  /** Every ed25519 point is one (noble's multi-scalar multiplication checks `instanceof Point`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof ed25519.Point;
  }

  /** RFC 8032 §5.1.3 decoding (noble's); @throws what noble throws for a bad encoding. */
  static override fromBytes(bytes: Uint8Array, zip215 = false): DecodedPoint {
    const p = ed25519.Point.fromBytes(bytes, zip215);
    const point = new DecodedPoint(p.X, p.Y, p.Z, p.T);
    // A zip215 decoding accepts non-canonical bytes: only canonical ones share a memo entry.
    if (!zip215) encodings.set(point, bytesToHex(bytes));
    return point;
  }

  override isTorsionFree(): boolean {
    const hex = encodings.get(this);
    return hex === undefined
      ? super.isTorsionFree()
      : isTorsionFreeEncoding(hex, () => super.isTorsionFree());
  }
}

/** FROST(Ed25519, SHA-512), RFC 9591 §6.1 (see the module docstring for how it differs from noble's). */
export const FROST_ED25519 = createFROST({
  name: 'FROST-ED25519-SHA512-v1',
  Point: DecodedPoint,
  hash: sha512,
  // RFC 9591 §6.1: H2 is the undecorated RFC 8032 challenge hash (noble's ed25519_FROST: H2 '').
  H2: '',
});
