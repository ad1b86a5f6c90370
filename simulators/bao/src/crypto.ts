/**
 * secp256k1 operations of the simulated plugin, all through @noble/curves and @noble/hashes.
 *
 * Source of the rules: popsigner plugin/secp256k1/crypto.go (key generation, low-S R‖S
 * signatures, Cosmos address = RIPEMD160(SHA256(compressed pubkey)), Ethereum address with the
 * EIP-55 checksum (formatEthereumAddress), EIP-155 / legacy v for sign-evm (SignEIP155,
 * SignLegacy), VerifySignature), path_sign.go (sha256 / keccak256 hashing, cosmos / der output
 * formats) and path_verify.go (cosmos or DER signatures).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { RandomBytes } from '@fanout/core';
import type { ForgeKind } from './faults.js';
import { drawBytes } from './random.js';

/** Hash algorithms accepted by the sign path (`hash_algorithm`). */
export type HashAlgorithm = 'sha256' | 'keccak256';
/** Signature output formats accepted by the sign path (`output_format`). */
export type OutputFormat = 'cosmos' | 'der';

/**
 * Generate a private key (32 bytes) from `random`: 48 bytes mapped onto the scalar field
 * (noble's `randomSecretKey(seed)`, FIPS 186-5 A.2 style), so every draw gives a valid key.
 * @throws BaoRngError when `random` misbehaves.
 */
export function generatePrivateKey(random: RandomBytes): Uint8Array {
  return secp256k1.utils.randomSecretKey(drawBytes(random, secp256k1.lengths.seed ?? 48));
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
 * Ethereum address of a public key: the last 20 bytes of keccak256(uncompressed key without its
 * 0x04 prefix) (Ethereum yellow paper, appendix F), written `0x` + hex with the EIP-55 checksum:
 * a hex letter is upper case when the matching nibble of keccak256(lower-case hex) is ≥ 8
 * (popsigner crypto.go deriveEthereumAddress + formatEthereumAddress).
 */
export function ethAddress(compressedPub: Uint8Array): string {
  const uncompressed = secp256k1.Point.fromBytes(compressedPub).toBytes(false);
  const lower = bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12));
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i]!;
    out += c >= 'a' && c <= 'f' && parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
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

/**
 * Verify a signature the way the plugin's verify path does (popsigner path_verify.go): 64 bytes
 * are R‖S (R and S must be in 1..n-1; high S is accepted, as btcec's Verify does); any other
 * length is parsed as DER, and a signature that does not parse is simply not valid. Never throws.
 * @param digest the 32-byte hash that was signed.
 */
export function verifyPluginSignature(
  publicKey: Uint8Array,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const format = signature.length === 64 ? 'compact' : 'der';
    return secp256k1.verify(signature, digest, publicKey, { prehash: false, lowS: false, format });
  } catch {
    return false;
  }
}

/** An Ethereum signature of a 32-byte hash: r, s and the recovery id of the low-S signature. */
export interface EvmSignature {
  readonly r: bigint;
  readonly s: bigint;
  /** 0 or 1. */
  readonly recovery: number;
}

/**
 * Sign a 32-byte hash for Ethereum (popsigner crypto.go SignEIP155 / SignLegacy): RFC 6979,
 * low S, and the recovery id that recovers this key from (r, s). v is the caller's:
 * `chainId * 2 + 35 + recovery` (EIP-155) or `27 + recovery` (legacy).
 */
export function signEvm(sk: Uint8Array, hash: Uint8Array): EvmSignature {
  const sig = secp256k1.Signature.fromBytes(
    secp256k1.sign(hash, sk, { prehash: false, lowS: true, format: 'recovered' }),
    'recovered',
  );
  return { r: sig.r, s: sig.s, recovery: sig.recovery! };
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

/** What a forged answer is made with: a key's public key and its signing function. */
export interface BaoSigner {
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
  /** Low-S RFC 6979 signature of a 32-byte digest, as {@link signDigest}. */
  sign(digest: Uint8Array, format: OutputFormat): Uint8Array;
}

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
  const signer = (key: Uint8Array, publicKey: Uint8Array): BaoSigner => ({
    publicKey,
    sign: (d, f) => signDigest(key, d, f),
  });
  return forgeWith(
    signer(sk, compressedPublicKey(sk)),
    signer(FORGER_PRIVATE_KEY, FORGER_PUBLIC_KEY),
    digest,
    format,
    how,
  );
}

/**
 * {@link forgeSignature} with the requested key and the forger as {@link BaoSigner}s (e.g. key
 * pairs that remember their signatures): the same bytes for the same keys.
 */
export function forgeWith(
  key: BaoSigner,
  forger: BaoSigner,
  digest: Uint8Array,
  format: OutputFormat,
  how: ForgeKind,
): { signature: Uint8Array; publicKey: Uint8Array } {
  const publicKey = key.publicKey;
  const encode = (compact: Uint8Array): Uint8Array =>
    format === 'cosmos' ? compact : secp256k1.Signature.fromBytes(compact, 'compact').toBytes('der');
  switch (how) {
    case 'otherKey':
      return { signature: forger.sign(digest, format), publicKey };
    case 'otherMessage': {
      const other = sha256(concatBytes(digest, new Uint8Array([1])));
      return { signature: key.sign(other, format), publicKey };
    }
    case 'highS': {
      const sig = secp256k1.Signature.fromBytes(key.sign(digest, 'cosmos'), 'compact');
      const high = new secp256k1.Signature(sig.r, secp256k1.Point.Fn.ORDER - sig.s).toBytes('compact');
      return { signature: encode(high), publicKey };
    }
    case 'zero':
      return { signature: new Uint8Array(64), publicKey };
    case 'short':
      return { signature: key.sign(digest, 'cosmos').slice(0, 63), publicKey };
    case 'wrongPublicKey':
      return { signature: key.sign(digest, format), publicKey: forger.publicKey };
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
