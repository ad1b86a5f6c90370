/**
 * secp256k1 operations of the simulated plugin, all through @noble/curves and @noble/hashes.
 *
 * Source of the rules: popsigner plugin/secp256k1/crypto.go (key generation, low-S R‖S
 * signatures, Cosmos address = RIPEMD160(SHA256(compressed pubkey))) and path_sign.go
 * (sha256 / keccak256 hashing, cosmos / der output formats).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { ForgeKind } from './faults.js';
import { drawBytes, type Rng } from './rng.js';

/** Hash algorithms accepted by the sign path (`hash_algorithm`). */
export type HashAlgorithm = 'sha256' | 'keccak256';
/** Signature output formats accepted by the sign path (`output_format`). */
export type OutputFormat = 'cosmos' | 'der';

/**
 * Generate a private key (32 bytes) from `rng`: 48 seed bytes mapped onto the scalar field
 * (noble's `randomSecretKey(seed)`, FIPS 186-5 A.2 style), so every seed gives a valid key.
 * @throws BaoRngError when `rng` misbehaves.
 */
export function generatePrivateKey(rng: Rng): Uint8Array {
  return secp256k1.utils.randomSecretKey(drawBytes(rng, secp256k1.lengths.seed ?? 48));
}

/** True when `sk` is a valid 32-byte secp256k1 secret scalar (1 ≤ sk < n). */
export function isValidPrivateKey(sk: Uint8Array): boolean {
  return sk.length === 32 && secp256k1.utils.isValidSecretKey(sk);
}

/** Compressed (33-byte) public key of `sk`. */
export function compressedPublicKey(sk: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(sk, true);
}

/** Cosmos account address bytes: RIPEMD160(SHA256(compressed pubkey)), 20 bytes. */
export function cosmosAddress(compressedPub: Uint8Array): Uint8Array {
  return ripemd160(sha256(compressedPub));
}

/**
 * Ethereum address: `0x` + lowercase hex of the last 20 bytes of keccak256(uncompressed pubkey
 * without its 0x04 prefix) (Ethereum yellow paper, appendix F).
 */
export function ethAddress(compressedPub: Uint8Array): string {
  const uncompressed = secp256k1.Point.fromBytes(compressedPub).toBytes(false);
  return `0x${bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12))}`;
}

/** Hash `input` with the named algorithm (32-byte digest). */
export function hashInput(input: Uint8Array, algorithm: HashAlgorithm): Uint8Array {
  return algorithm === 'sha256' ? sha256(input) : keccak_256(input);
}

/**
 * Sign a 32-byte digest: RFC 6979 deterministic ECDSA, low-S, then encode.
 * @param digest exactly 32 bytes (already hashed; noble's `prehash: false`).
 * @returns 64-byte R‖S for 'cosmos', ASN.1 DER for 'der'.
 */
export function signDigest(sk: Uint8Array, digest: Uint8Array, format: OutputFormat): Uint8Array {
  const compact = secp256k1.sign(digest, sk, { prehash: false, lowS: true });
  return format === 'cosmos' ? compact : secp256k1.Signature.fromBytes(compact, 'compact').toBytes('der');
}

/** The simulator's fixed "forger" key (a valid scalar derived from a constant label), for forged answers. */
export const FORGER_PRIVATE_KEY: Uint8Array = secp256k1.utils.randomSecretKey(
  concatBytes(
    sha256(utf8ToBytes('fanout/sim-bao/forger/1')),
    sha256(utf8ToBytes('fanout/sim-bao/forger/2')),
  ).slice(0, 48),
);

/** Compressed public key of {@link FORGER_PRIVATE_KEY}. */
export const FORGER_PUBLIC_KEY: Uint8Array = compressedPublicKey(FORGER_PRIVATE_KEY);

/**
 * A falsified sign answer (the `forgeSignature` fault; see faults.ts {@link ForgeKind}).
 * @param sk the requested key's private key; @param digest the 32-byte digest it was asked to sign.
 * @returns the signature bytes to send (`format` applied where the forgery is a well-formed
 *   signature) and the public key to report.
 */
export function forgeSignature(
  sk: Uint8Array,
  digest: Uint8Array,
  format: OutputFormat,
  how: ForgeKind,
): { signature: Uint8Array; publicKey: Uint8Array } {
  const publicKey = compressedPublicKey(sk);
  const encode = (compact: Uint8Array): Uint8Array =>
    format === 'cosmos' ? compact : secp256k1.Signature.fromBytes(compact, 'compact').toBytes('der');
  switch (how) {
    case 'otherKey':
      return { signature: signDigest(FORGER_PRIVATE_KEY, digest, format), publicKey };
    case 'otherMessage': {
      const other = sha256(concatBytes(digest, new Uint8Array([1])));
      return { signature: signDigest(sk, other, format), publicKey };
    }
    case 'highS': {
      const sig = secp256k1.Signature.fromBytes(signDigest(sk, digest, 'cosmos'), 'compact');
      const high = new secp256k1.Signature(sig.r, secp256k1.Point.Fn.ORDER - sig.s).toBytes('compact');
      return { signature: encode(high), publicKey };
    }
    case 'zero':
      return { signature: new Uint8Array(64), publicKey };
    case 'short':
      return { signature: signDigest(sk, digest, 'cosmos').slice(0, 63), publicKey };
    case 'wrongPublicKey':
      return { signature: signDigest(sk, digest, format), publicKey: FORGER_PUBLIC_KEY };
  }
}

/**
 * Verify a Cosmos-format signature (64-byte R‖S, low-S required) of a 32-byte digest against a
 * compressed public key. Never throws: malformed input is simply not a valid signature. Scenario
 * oracles use it to check signatures independently of the client under test.
 */
export function verifyCosmosSignature(
  publicKey: Uint8Array,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64 || digest.length !== 32) return false;
  try {
    return secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: true, format: 'compact' });
  } catch {
    return false;
  }
}
