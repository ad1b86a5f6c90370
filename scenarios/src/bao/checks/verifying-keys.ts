/**
 * Which public keys a Cosmos-format signature verifies for, found by ECDSA public-key recovery
 * (SEC 1 v2 §4.1.6) instead of one verification per candidate key: the 'no-cross-verification'
 * oracle asks it for every signature handed out against every other key of the batch.
 *
 * Why this is exact. `verifyCosmosSignature(P, h, (r, s))` (@fanout/sim-bao: noble's
 * `secp256k1.verify` with `lowS`, compact R‖S) holds iff r, s ∈ [1, n−1], s ≤ n/2, P is a valid
 * non-identity point and R = s⁻¹(h·G + r·P) is not the identity with x(R) mod n = r. Such an R is
 * one of at most four curve points: x(R) ∈ {r, r + n} (the latter only while r + n < p), each with
 * either y parity. Solving for P gives P = r⁻¹(s·R − h·G), which is noble's
 * `Signature.recoverPublicKey` with recovery id (x overflow, y parity); and every P recovered this
 * way verifies (s⁻¹(h·G + r·P) = R). So the keys a signature verifies for are exactly the recovered
 * ones: two recoveries per signature replace a verification per candidate key, and the verdicts
 * are the same (verifying-keys.test.ts compares them with `verifyCosmosSignature` on random keys,
 * tampered and high-S signatures, and keys crafted to verify).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LRUCache } from 'lru-cache';

type Point = InstanceType<typeof secp256k1.Point>;

/** The keys one signature of one digest verifies for. */
export interface VerifyingKeys {
  /**
   * Whether the signature verifies for `publicKey` (SEC 1 encoded, compressed or not): the same
   * answer as `verifyCosmosSignature(publicKey, digest, signature)`. Never throws; bytes that are
   * not a point are false.
   */
  has(publicKey: Uint8Array): boolean;
}

const NONE: VerifyingKeys = { has: () => false };

/** Recovered key sets the process remembers (a few hundred bytes each). */
export const VERIFYING_KEYS_MEMO = 4096;
/** Per (digest, signature): the recovered keys' SEC 1 encodings (hex), compressed and uncompressed. */
const memo = new LRUCache<string, ReadonlySet<string>>({ max: VERIFYING_KEYS_MEMO });

/**
 * The SEC 1 encodings (hex; compressed and uncompressed, each canonical) of every point P for which
 * (r, s) verifies over `digest`, by recovery ids 0–3; empty when none can.
 */
function recoverAll(digest: Uint8Array, signature: Uint8Array): ReadonlySet<string> {
  const found = new Set<string>();
  if (signature.length !== 64 || digest.length !== 32) return found;
  let sig: InstanceType<typeof secp256k1.Signature>;
  try {
    sig = secp256k1.Signature.fromBytes(signature, 'compact'); // r, s in [1, n−1]
  } catch {
    return found;
  }
  if (sig.hasHighS()) return found; // verify's lowS rule
  for (let id = 0; id < 4; id++) {
    let p: Point;
    try {
      p = sig.addRecoveryBit(id).recoverPublicKey(digest);
    } catch {
      continue; // no curve point with this x and parity (or x = r + n ≥ p): no key for this id
    }
    found.add(bytesToHex(p.toBytes(true))).add(bytesToHex(p.toBytes(false)));
  }
  return found;
}

/**
 * The keys `signature` (64-byte compact R‖S) of the 32-byte `digest` verifies for, by the rule
 * of `verifyCosmosSignature` (low-S required). A key is matched by its bytes: a point has one
 * compressed and one uncompressed SEC 1 encoding, and noble parses no other form, so bytes that
 * are not among the recovered keys' encodings are another point or none. Remembered process-wide
 * under (digest, signature): a pure function of those bytes.
 */
export function verifyingKeys(digest: Uint8Array, signature: Uint8Array | undefined): VerifyingKeys {
  if (signature === undefined) return NONE;
  const id = `${bytesToHex(digest)}:${bytesToHex(signature)}`;
  let encodings = memo.get(id);
  if (encodings === undefined) memo.set(id, (encodings = recoverAll(digest, signature)));
  if (encodings.size === 0) return NONE;
  const known = encodings;
  return { has: (publicKey) => known.has(bytesToHex(publicKey)) };
}
