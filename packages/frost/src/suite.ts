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
 * - A decoded point and its subgroup check are remembered by the 32-byte encoding (the point
 *   here, at most {@link MEMO_CAPACITY} encodings; the check in `isTorsionFreeEncoding`, memo.ts,
 *   shared with the coordinator's point checks). Decoding is a function of the bytes (RFC 8032
 *   §5.1.3, canonical encodings only) and noble's points are frozen, so the same bytes always give
 *   the same point and answer; FROST decodes the same commitments and verifying shares in every
 *   round and at every party, and each is now decoded (a field square root) and checked once per
 *   process. Encodings that fail to decode are not remembered: they throw noble's error each time.
 *
 * packages/frost/test/suite.test.ts checks that this suite and `ed25519_FROST` give the same bytes
 * (DKG, signature shares, aggregates) and refuse the same points.
 */
import { createFROST } from '@noble/curves/abstract/frost.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';
import { MEMO_CAPACITY, isTorsionFreeEncoding } from './memo.js';

/** The encoding each decoded point was read from (points are frozen: kept beside, not on them). */
const encodings = new WeakMap<object, string>();
/** Canonically decoded points, by their encoding's hex. */
const decoded = new LRUCache<string, DecodedPoint>({ max: MEMO_CAPACITY });

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
    // A zip215 decoding accepts non-canonical bytes: only canonical ones share a memo entry.
    if (zip215) {
      const p = ed25519.Point.fromBytes(bytes, true);
      return new DecodedPoint(p.X, p.Y, p.Z, p.T);
    }
    const hex = bytesToHex(bytes);
    const known = decoded.get(hex);
    if (known !== undefined) return known;
    const p = ed25519.Point.fromBytes(bytes, false);
    const point = new DecodedPoint(p.X, p.Y, p.Z, p.T);
    encodings.set(point, hex);
    decoded.set(hex, point);
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

/**
 * RFC 9591 §3.1 DeserializeElement as this suite does it: the canonical decoding of `bytes` (32
 * bytes) to an ed25519 point, remembered by encoding (the same frozen point for the same bytes).
 * For tests and tooling; FROST_ED25519 decodes through it.
 * @throws what noble's `Point.fromBytes` throws for a bad encoding (every time it is asked).
 */
export function decodeElement(bytes: Uint8Array): InstanceType<typeof ed25519.Point> {
  return DecodedPoint.fromBytes(bytes);
}
