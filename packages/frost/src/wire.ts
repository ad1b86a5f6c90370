/**
 * Conversions between the library's FROST structures (identifier-keyed, see ciphersuite.ts) and
 * their wire forms (XID-keyed, see messages.ts). Identifiers are always recomputed from the
 * group's sorted XIDs, never read from the wire.
 */
import { equalBytes } from '@noble/curves/utils.js';
import type { z } from 'zod';
import type { DkgRound1Package, Identifier, PublicKeyPackage } from './ciphersuite.js';
import { ProtocolViolationError } from './errors.js';
import type { Member, Xid } from './identity.js';
import { isValidPoint as validPoint } from './memo.js';
import type { publicKeyPackageSchema, round1PackageSchema } from './messages.js';

/** Wire form of a DKG part-1 package. */
export type Round1PackageWire = z.output<typeof round1PackageSchema>;
/** Wire form of a public key package. */
export type PublicKeyPackageWire = z.output<typeof publicKeyPackageSchema>;

/** Strip the identifier (implied by the sender) from a part-1 package. */
export function round1ToWire(pkg: DkgRound1Package): Round1PackageWire {
  return { commitment: [...pkg.commitment], proofOfKnowledge: pkg.proofOfKnowledge };
}

/** Rebuild a part-1 package for the member with `identifier`. */
export function round1FromWire(wire: Round1PackageWire, identifier: Identifier): DkgRound1Package {
  return { identifier, commitment: wire.commitment, proofOfKnowledge: wire.proofOfKnowledge };
}

/** Byte-exact equality of two part-1 packages (identifier included). */
export function sameRound1(a: DkgRound1Package, b: DkgRound1Package): boolean {
  return (
    a.identifier === b.identifier &&
    a.commitment.length === b.commitment.length &&
    a.commitment.every((c, i) => equalBytes(c, b.commitment[i]!)) &&
    equalBytes(a.proofOfKnowledge, b.proofOfKnowledge)
  );
}

/** Public key package → wire (verifying shares keyed by XID, in member order). */
export function publicKeyPackageToWire(
  pub: PublicKeyPackage,
  members: readonly Member[],
): PublicKeyPackageWire {
  return {
    minSigners: pub.signers.min,
    maxSigners: pub.signers.max,
    commitments: [...pub.commitments],
    verifyingShares: members.map((m) => {
      const share = pub.verifyingShares[m.identifier];
      if (share === undefined)
        throw new ProtocolViolationError(
          'publicKeyPackage.verifyingShares',
          `no share for ${m.identity.xid}`,
        );
      return { participant: m.identity.xid, share };
    }),
  };
}

/**
 * Wire → public key package for `members`.
 * @throws ProtocolViolationError('<field>.verifyingShares') when the XIDs are not exactly the members.
 */
export function publicKeyPackageFromWire(
  wire: PublicKeyPackageWire,
  members: readonly Member[],
  field = 'publicKeyPackage',
): PublicKeyPackage {
  const byXid = new Map(members.map((m) => [m.identity.xid, m]));
  const verifyingShares: Record<Identifier, Uint8Array> = {};
  for (const entry of wire.verifyingShares) {
    const m = byXid.get(entry.participant);
    if (m === undefined)
      throw new ProtocolViolationError(
        `${field}.verifyingShares`,
        `unknown participant ${entry.participant}`,
      );
    if (verifyingShares[m.identifier] !== undefined) {
      throw new ProtocolViolationError(
        `${field}.verifyingShares`,
        `duplicate participant ${entry.participant}`,
      );
    }
    verifyingShares[m.identifier] = entry.share;
  }
  if (Object.keys(verifyingShares).length !== members.length) {
    throw new ProtocolViolationError(
      `${field}.verifyingShares`,
      'must have exactly one share per participant',
    );
  }
  return {
    signers: { min: wire.minSigners, max: wire.maxSigners },
    commitments: wire.commitments,
    verifyingShares,
  };
}

/** Byte-exact equality of two public key packages. */
export function samePublicKeyPackage(a: PublicKeyPackage, b: PublicKeyPackage): boolean {
  if (a.signers.min !== b.signers.min || a.signers.max !== b.signers.max) return false;
  if (a.commitments.length !== b.commitments.length) return false;
  if (!a.commitments.every((c, i) => equalBytes(c, b.commitments[i]!))) return false;
  const ka = Object.keys(a.verifyingShares).sort();
  const kb = Object.keys(b.verifyingShares).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => equalBytes(a.verifyingShares[k]!, b.verifyingShares[k]!));
}

/** True when `bytes` is a valid prime-order, non-identity Ed25519 point encoding (memo.ts: remembered). */
export const isValidPoint: (bytes: Uint8Array) => boolean = validPoint;

/** Member lookup by XID. */
export function memberMap(members: readonly Member[]): Map<Xid, Member> {
  return new Map(members.map((m) => [m.identity.xid, m]));
}
