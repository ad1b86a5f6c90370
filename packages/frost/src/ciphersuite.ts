/**
 * FROST(Ed25519, SHA-512) (RFC 9591 §6.1, ciphersuite id `FROST-ED25519-SHA512-v1`) over
 * @noble/curves' FROST (src/abstract/frost.ts) with the options of its `ed25519_FROST`, each point
 * checked once (suite.ts). Thin wrapper that:
 * - takes every random byte from an injected {@link Rng} (seeded simulations are reproducible);
 * - never mutates its inputs (noble's DKG state is mutable: we clone before each call);
 * - turns the library's plain `Error`s into {@link FrostOperationError} / {@link AggregationError};
 * - verifies final signatures with plain RFC 8032 `ed25519.verify`, which FROST(Ed25519, SHA-512)
 *   output must pass (RFC 9591 §6.1: the challenge hash is the undecorated RFC 8032 one).
 */
import type {
  DKG_Round1,
  DKG_Round2,
  DKG_Secret,
  FrostPublic,
  FrostSecret,
  NonceCommitments,
  Nonces,
} from '@noble/curves/abstract/frost.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { AggregationError, FrostOperationError } from './errors.js';
import { rememberBaseMultiple } from './memo.js';
import { nobleRng, type Rng } from './rng.js';
import { FROST_ED25519 } from './suite.js';

/** RFC 9591 §6.1 context string. */
export const CIPHERSUITE_ID = 'FROST-ED25519-SHA512-v1';

/** FROST participant identifier: canonical 32-byte little-endian scalar, hex (noble's form). */
export type Identifier = string;
/** DKG part 1 broadcast: commitment = 32-byte points × minSigners, proofOfKnowledge = 64 bytes. */
export interface DkgRound1Package {
  readonly identifier: Identifier;
  readonly commitment: readonly Uint8Array[];
  readonly proofOfKnowledge: Uint8Array;
}
/** DKG part 2 package for one recipient: sender `identifier` and a 32-byte secret scalar. Secret! */
export interface DkgRound2Package {
  readonly identifier: Identifier;
  readonly signingShare: Uint8Array;
}
/** A participant's private DKG state between parts (noble `DKG_Secret`; treat as opaque). */
export type DkgSecret = DKG_Secret;
/**
 * Public key package (noble `FrostPublic`): `signers {min,max}`, `commitments` (32-byte points;
 * `commitments[0]` is the group verifying key) and `verifyingShares` (32-byte points) by identifier.
 */
export interface PublicKeyPackage {
  readonly signers: { readonly min: number; readonly max: number };
  readonly commitments: readonly Uint8Array[];
  readonly verifyingShares: Readonly<Record<Identifier, Uint8Array>>;
}
/** Secret key package: `identifier` and a 32-byte `signingShare` scalar. Never leaves its owner. */
export interface KeyPackage {
  readonly identifier: Identifier;
  readonly signingShare: Uint8Array;
}
/** Round-one signing commitments (RFC 9591 §5.1): two 32-byte points. */
export interface SigningCommitments {
  readonly identifier: Identifier;
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}
/** Round-one secret nonces (two 32-byte scalars). One use only. */
export interface SigningNonces {
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}

// noble's parameter types want mutable arrays of Uint8Array<ArrayBuffer>; our types are the
// read-only, platform-neutral view of the same shapes.
const asPub = (p: PublicKeyPackage) => p as unknown as FrostPublic;
const asSecret = (k: KeyPackage) => k as unknown as FrostSecret;
const asCommitments = (c: readonly SigningCommitments[]) => [...c] as unknown as NonceCommitments[];
const asRound1 = (r: readonly DkgRound1Package[]) => [...r] as unknown as DKG_Round1[];

/** Threshold parameters: `minSigners` ≥ 2, `maxSigners` ≥ `minSigners` (noble rejects 1-of-n). */
export interface Threshold {
  readonly minSigners: number;
  readonly maxSigners: number;
}

function wrap<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FrostOperationError || e instanceof AggregationError) throw e;
    throw new FrostOperationError(operation, (e as Error).message, { cause: e });
  }
}

function cloneSecret(secret: DkgSecret): DkgSecret {
  return structuredClone(secret);
}

/**
 * FROST identifier of the participant at 1-based position `index` (RFC 9591: identifiers are
 * non-zero scalars; frost-hubert uses sorted-XID position + 1).
 * @throws FrostOperationError('identifier') when `index` is not a positive safe integer.
 */
export function identifierOf(index: number): Identifier {
  if (!Number.isSafeInteger(index) || index < 1) {
    throw new FrostOperationError('identifier', `index must be a positive integer, got ${index}`);
  }
  return FROST_ED25519.Identifier.fromNumber(index);
}

/**
 * DKG part 1 (frost-rs `dkg::part1`): a random polynomial of degree minSigners-1 and a proof of
 * knowledge of its constant term. Consumes 48 bytes of `rng` per coefficient plus 48 for the proof.
 * @returns the public broadcast `package` and the private `secret` for part 2.
 * @throws FrostOperationError('dkgRound1') on bad threshold or identifier.
 */
export function dkgRound1(
  identifier: Identifier,
  threshold: Threshold,
  rng: Rng,
): { package: DkgRound1Package; secret: DkgSecret } {
  return wrap('dkgRound1', () => {
    const r = FROST_ED25519.DKG.round1(
      identifier,
      { min: threshold.minSigners, max: threshold.maxSigners },
      undefined,
      nobleRng(rng),
    );
    // Every coefficient commitment and the proof's R are multiples of B (memo.ts).
    for (const c of r.public.commitment) rememberBaseMultiple(c);
    rememberBaseMultiple(r.public.proofOfKnowledge.subarray(0, 32));
    return { package: r.public, secret: r.secret };
  });
}

/**
 * DKG part 2 (frost-rs `dkg::part2`): checks every other participant's proof of knowledge and
 * computes one secret share per other participant. Does not modify `secret`.
 * @param others the part-1 packages of all other participants (maxSigners - 1 of them).
 * @returns the updated private state and the packages keyed by recipient identifier.
 * @throws FrostOperationError('dkgRound2') on a bad proof, wrong count or duplicate identifier.
 */
export function dkgRound2(
  secret: DkgSecret,
  others: readonly DkgRound1Package[],
): { secret: DkgSecret; packages: Record<Identifier, DkgRound2Package> } {
  return wrap('dkgRound2', () => {
    const next = cloneSecret(secret);
    const packages = FROST_ED25519.DKG.round2(next, asRound1(others));
    return { secret: next, packages };
  });
}

/**
 * DKG part 3 (frost-rs `dkg::part3`): checks every received share against its sender's
 * commitment (VSS) and derives this participant's key package and the group's public key package.
 * Does not modify `secret`.
 * @param round1 the same other-participant part-1 packages given to {@link dkgRound2}.
 * @param round2 the part-2 packages addressed to this participant, one per other participant.
 * @throws FrostOperationError('dkgRound3') on a share that fails VSS or a transcript mismatch.
 */
export function dkgRound3(
  secret: DkgSecret,
  round1: readonly DkgRound1Package[],
  round2: readonly DkgRound2Package[],
): { keyPackage: KeyPackage; publicKeyPackage: PublicKeyPackage } {
  return wrap('dkgRound3', () => {
    const key = FROST_ED25519.DKG.round3(cloneSecret(secret), asRound1(round1), [
      ...round2,
    ] as unknown as DKG_Round2[]);
    return { keyPackage: key.secret, publicKeyPackage: key.public };
  });
}

/**
 * Check one DKG part-2 share against its sender's part-1 commitment (RFC 9591 Appendix C.2
 * vss_verify), so a bad share can be attributed to its sender before {@link dkgRound3}.
 * @returns false when the share does not match (or does not parse).
 */
export function verifyDkgShare(
  recipient: Identifier,
  share: Uint8Array,
  senderCommitment: readonly Uint8Array[],
  threshold: Threshold,
): boolean {
  try {
    FROST_ED25519.validateSecret(
      asSecret({ identifier: recipient, signingShare: share }),
      asPub({
        signers: { min: threshold.minSigners, max: threshold.maxSigners },
        commitments: senderCommitment,
        verifyingShares: {},
      }),
    );
    return true;
  } catch {
    return false;
  }
}

// Throwaway DKG participants used to check one part-1 package in isolation. Identifiers far above
// any group size; randomness from a fixed public stream (nothing secret is ever derived from it).
const DUMMY_BASE = 0x7000_0000;
const dummyCache = new Map<number, { package: DkgRound1Package; secret: DkgSecret }[]>();

function fixedStream(label: string): Rng {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 64) {
      const block = sha512(utf8ToBytes(`${label}/${counter++}`));
      out.set(block.subarray(0, Math.min(64, n - off)), off);
    }
    return out;
  };
}

function dummies(minSigners: number): { package: DkgRound1Package; secret: DkgSecret }[] {
  let list = dummyCache.get(minSigners);
  if (list === undefined) {
    list = [];
    for (let k = 0; k < minSigners - 1; k++) {
      list.push(
        dkgRound1(
          identifierOf(DUMMY_BASE + k),
          { minSigners, maxSigners: minSigners },
          fixedStream(`fanout-frost/dummy/${minSigners}/${k}`),
        ),
      );
    }
    dummyCache.set(minSigners, list);
  }
  return list;
}

/**
 * Check one DKG part-1 package on its own: commitment count = `minSigners`, every point valid, and
 * its proof of knowledge (frost-rs `dkg::part2` check) — so the coordinator can attribute a bad
 * package to its sender. Runs the library's part 2 for a throwaway participant.
 * @returns false when the package fails.
 */
export function verifyDkgRound1Package(pkg: DkgRound1Package, minSigners: number): boolean {
  if (!Number.isSafeInteger(minSigners) || minSigners < 2) return false;
  if (pkg.commitment.length !== minSigners) return false;
  const [local, ...rest] = dummies(minSigners);
  if (local === undefined) return false;
  try {
    FROST_ED25519.DKG.round2(cloneSecret(local.secret), asRound1([pkg, ...rest.map((d) => d.package)]));
    return true;
  } catch {
    return false;
  }
}

/**
 * The public key package every participant must derive from a set of part-1 packages (frost-rs
 * `dkg::part3` public half): group commitment = Σ commitments; verifying share of identifier i =
 * Σ_k C_k·i^k. Lets the coordinator check each participant's reported package.
 * @throws FrostOperationError('expectedPublicKeyPackage') on a point that does not parse.
 */
export function expectedPublicKeyPackage(
  round1: readonly DkgRound1Package[],
  threshold: Threshold,
): PublicKeyPackage {
  return wrap('expectedPublicKeyPackage', () => {
    const { Point } = ed25519;
    const Fn = Point.Fn;
    const merged: InstanceType<typeof Point>[] = [];
    for (const p of round1) {
      if (p.commitment.length !== threshold.minSigners) throw new Error('wrong commitment length');
      p.commitment.forEach((c, k) => {
        const point = Point.fromBytes(c);
        merged[k] = merged[k] === undefined ? point : merged[k].add(point);
      });
    }
    const verifyingShares: Record<Identifier, Uint8Array> = {};
    for (const p of round1) {
      const id = Fn.fromBytes(hexToBytes(p.identifier));
      let acc = Point.ZERO;
      let power = Fn.ONE;
      for (const c of merged) {
        acc = acc.add(c.multiply(power));
        power = Fn.mul(power, id);
      }
      verifyingShares[p.identifier] = acc.toBytes();
    }
    return {
      signers: { min: threshold.minSigners, max: threshold.maxSigners },
      commitments: merged.map((c) => c.toBytes()),
      verifyingShares,
    };
  });
}

/** The group verifying key (32-byte Ed25519 public key) of a public key package. */
export function groupVerifyingKey(pub: PublicKeyPackage): Uint8Array {
  const key = pub.commitments[0];
  if (key === undefined)
    throw new FrostOperationError('groupVerifyingKey', 'public key package has no commitments');
  return key;
}

/**
 * RFC 9591 §5.1 commit(): two nonces, each H3(rng(32) ‖ signingShare), and their commitments.
 * Consumes exactly 64 bytes of `rng` (32 for hiding, then 32 for binding — the RFC vectors'
 * `hiding_nonce_randomness`, `binding_nonce_randomness`).
 * @throws FrostOperationError('commit') on a malformed key package.
 */
export function commit(
  keyPackage: KeyPackage,
  rng: Rng,
): { nonces: SigningNonces; commitments: SigningCommitments } {
  return wrap('commit', () => {
    const c = FROST_ED25519.commit(asSecret(keyPackage), nobleRng(rng));
    // Both commitments are multiples of B (memo.ts): decoding them later needs no subgroup check.
    rememberBaseMultiple(c.commitments.hiding);
    rememberBaseMultiple(c.commitments.binding);
    return c;
  });
}

/**
 * RFC 9591 §5.2 sign(): this participant's signature share (32-byte scalar) over `message`.
 * Consumes `nonces` (zeroes them in place, as noble does) so they cannot be reused.
 * @param commitments the commitments of every signer of this session (minSigners..maxSigners).
 * @throws FrostOperationError('signShare') when the own commitment is missing/mismatched, the
 *   signer count is out of range, or the nonces were already used.
 */
export function signShare(
  keyPackage: KeyPackage,
  publicKeyPackage: PublicKeyPackage,
  nonces: SigningNonces,
  commitments: readonly SigningCommitments[],
  message: Uint8Array,
): Uint8Array {
  return wrap('signShare', () =>
    FROST_ED25519.signShare(
      asSecret(keyPackage),
      asPub(publicKeyPackage),
      nonces as unknown as Nonces,
      asCommitments(commitments),
      message,
    ),
  );
}

/**
 * RFC 9591 §5.4 verify_signature_share(): does `share` from `identifier` verify?
 * @returns false for a wrong share and for malformed input (unknown identifier, bad point).
 */
export function verifyShare(
  publicKeyPackage: PublicKeyPackage,
  commitments: readonly SigningCommitments[],
  message: Uint8Array,
  identifier: Identifier,
  share: Uint8Array,
): boolean {
  try {
    return FROST_ED25519.verifyShare(
      asPub(publicKeyPackage),
      asCommitments(commitments),
      message,
      identifier,
      share,
    );
  } catch {
    return false;
  }
}

/**
 * RFC 9591 §5.3 aggregate(): the 64-byte Ed25519 signature R ‖ z.
 * @param shares signature shares keyed by identifier, exactly one per commitment.
 * @throws AggregationError with `cheaters` (identifiers whose shares fail §5.4) when the result
 *   does not verify, or with no cheaters when counts/identifiers do not match.
 */
export function aggregate(
  publicKeyPackage: PublicKeyPackage,
  commitments: readonly SigningCommitments[],
  message: Uint8Array,
  shares: Readonly<Record<Identifier, Uint8Array>>,
): Uint8Array {
  try {
    return FROST_ED25519.aggregate(asPub(publicKeyPackage), asCommitments(commitments), message, {
      ...shares,
    });
  } catch (e) {
    const cheaters = (e as { cheaters?: unknown }).cheaters;
    throw new AggregationError(Array.isArray(cheaters) ? cheaters.map(String) : [], (e as Error).message);
  }
}

/**
 * Verify a 64-byte signature with plain RFC 8032 Ed25519 (`ed25519.verify`, @noble/curves) under
 * the 32-byte group verifying key. Never throws: malformed input → false.
 */
export function verify(signature: Uint8Array, message: Uint8Array, groupPublicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, groupPublicKey);
  } catch {
    return false;
  }
}
