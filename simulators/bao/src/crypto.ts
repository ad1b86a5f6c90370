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
import { bytesToHex } from '@noble/hashes/utils.js';
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
