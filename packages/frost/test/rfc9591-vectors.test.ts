import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { describe, expect, it } from 'vitest';
import {
  aggregate,
  CIPHERSUITE_ID,
  commit,
  dkgRound2,
  dkgRound3,
  expectedPublicKeyPackage,
  identifierOf,
  signShare,
  verify,
  verifyDkgRound1Package,
  verifyDkgShare,
  verifyShare,
  type DkgRound1Package,
  type DkgSecret,
  type KeyPackage,
  type PublicKeyPackage,
  type SigningCommitments,
  type SigningNonces,
} from '../src/index.js';
import { flipByte } from './helpers.js';
import rfcVector from './vectors/rfc9591-ed25519-sha512.json' with { type: 'json' };
import zcashVector from './vectors/zcash-frost-ed25519-sha512.json' with { type: 'json' };
import dkgVector from './vectors/zcash-frost-ed25519-dkg.json' with { type: 'json' };

const { Point } = ed25519;
const Fn = Point.Fn;
const scalarPoint = (hex: string) => Point.BASE.multiply(Fn.fromBytes(hexToBytes(hex))).toBytes();
const scalarLE = (hex: string) => Fn.fromBytes(hexToBytes(hex));

/** An Rng that hands out the given byte strings in order and fails on any other request. */
function scriptedRng(chunks: string[]) {
  const queue = chunks.map(hexToBytes);
  return (n: number) => {
    const next = queue.shift();
    if (next === undefined) throw new Error('scripted rng exhausted');
    if (next.length !== n) throw new Error(`scripted rng: asked ${n} bytes, have ${next.length}`);
    return next;
  };
}

/** SHA-512(contextString ‖ tag ‖ m): RFC 9591 §6.1 H1 (before reduction), H4 ("msg"), H5 ("com"). */
const h = (tag: string, m: Uint8Array) =>
  sha512(concatBytes(utf8ToBytes(CIPHERSUITE_ID), utf8ToBytes(tag), m));

/** The signing-vector shape both files share (RFC 9591 Appendix E layout, frost-rs JSON names). */
type SigningVector = typeof rfcVector;

/**
 * Checks every value of a FROST(Ed25519, SHA-512) signing vector: shares from the dealer polynomial,
 * nonces and commitments from the nonce randomness (commit), binding factor inputs and binding
 * factors (recomputed here from RFC 9591 §4.4, independently of noble), signature shares (signShare,
 * verifyShare), the group commitment R and z = Σ z_i, and the aggregate signature.
 */
function checkSigningVector(title: string, v: SigningVector): void {
  describe(title, () => {
    const message = hexToBytes(v.inputs.message);
    const shares = new Map(v.inputs.participant_shares.map((p) => [p.identifier, p.participant_share]));
    const groupKey = hexToBytes(v.inputs.verifying_key_key);
    const pub: PublicKeyPackage = {
      signers: { min: v.config.MIN_PARTICIPANTS, max: v.config.MAX_PARTICIPANTS },
      commitments: [groupKey, ...v.inputs.share_polynomial_coefficients.map(scalarPoint)],
      verifyingShares: Object.fromEntries(
        v.inputs.participant_shares.map((p) => [
          identifierOf(p.identifier),
          scalarPoint(p.participant_share),
        ]),
      ),
    };
    const keyOf = (i: number): KeyPackage => ({
      identifier: identifierOf(i),
      signingShare: hexToBytes(shares.get(i)!),
    });
    const round1 = v.round_one_outputs.outputs;

    it('the verifying key is the group secret times G; each share is f(i) of the dealer polynomial', () => {
      expect(bytesToHex(scalarPoint(v.inputs.group_secret_key))).toBe(v.inputs.verifying_key_key);
      const coefficients = [v.inputs.group_secret_key, ...v.inputs.share_polynomial_coefficients].map(
        scalarLE,
      );
      for (const p of v.inputs.participant_shares) {
        let f = Fn.ZERO;
        for (let k = coefficients.length - 1; k >= 0; k--)
          f = Fn.add(Fn.mul(f, BigInt(p.identifier)), coefficients[k]!);
        expect(bytesToHex(Fn.toBytes(f))).toBe(p.participant_share);
      }
    });

    it('commit() turns the nonce randomness into the listed nonces and commitments', () => {
      for (const o of round1) {
        const r = commit(
          keyOf(o.identifier),
          scriptedRng([o.hiding_nonce_randomness, o.binding_nonce_randomness]),
        );
        expect(bytesToHex(r.nonces.hiding)).toBe(o.hiding_nonce);
        expect(bytesToHex(r.nonces.binding)).toBe(o.binding_nonce);
        expect(bytesToHex(r.commitments.hiding)).toBe(o.hiding_nonce_commitment);
        expect(bytesToHex(r.commitments.binding)).toBe(o.binding_nonce_commitment);
        expect(r.commitments.identifier).toBe(identifierOf(o.identifier));
      }
    });

    it('binding factor inputs and binding factors follow RFC 9591 §4.4 from the commitments', () => {
      // encode_group_commitment_list: identifier ‖ hiding ‖ binding, sorted by identifier.
      const encoded = concatBytes(
        ...[...round1]
          .sort((a, b) => a.identifier - b.identifier)
          .flatMap((o) => [
            hexToBytes(identifierOf(o.identifier)),
            hexToBytes(o.hiding_nonce_commitment),
            hexToBytes(o.binding_nonce_commitment),
          ]),
      );
      const prefix = concatBytes(groupKey, h('msg', message), h('com', encoded));
      for (const o of round1) {
        const input = concatBytes(prefix, hexToBytes(identifierOf(o.identifier)));
        expect(bytesToHex(input)).toBe(o.binding_factor_input);
        const rho = Fn.create(bytesToNumberLE(h('rho', input)));
        expect(bytesToHex(Fn.toBytes(rho))).toBe(o.binding_factor);
      }
    });

    it('signShare() reproduces each signature share; R and z of the aggregate are the group commitment and Σ z_i', () => {
      const nonces = new Map<number, SigningNonces>();
      const commitments: SigningCommitments[] = [];
      for (const o of round1) {
        const r = commit(
          keyOf(o.identifier),
          scriptedRng([o.hiding_nonce_randomness, o.binding_nonce_randomness]),
        );
        nonces.set(o.identifier, r.nonces);
        commitments.push(r.commitments);
      }
      const sigShares: Record<string, Uint8Array> = {};
      for (const o of v.round_two_outputs.outputs) {
        const share = signShare(keyOf(o.identifier), pub, nonces.get(o.identifier)!, commitments, message);
        expect(bytesToHex(share)).toBe(o.sig_share);
        expect(verifyShare(pub, commitments, message, identifierOf(o.identifier), share)).toBe(true);
        sigShares[identifierOf(o.identifier)] = share;
      }
      const sig = aggregate(pub, commitments, message, sigShares);
      expect(bytesToHex(sig)).toBe(v.final_output.sig);
      // R = Σ (D_i + ρ_i·E_i) (RFC 9591 §4.5) with the listed binding factors.
      let R = Point.ZERO;
      for (const o of round1) {
        const D = Point.fromBytes(hexToBytes(o.hiding_nonce_commitment));
        const E = Point.fromBytes(hexToBytes(o.binding_nonce_commitment));
        R = R.add(D).add(E.multiply(scalarLE(o.binding_factor)));
      }
      expect(bytesToHex(R.toBytes())).toBe(v.final_output.sig.slice(0, 64));
      const z = v.round_two_outputs.outputs.reduce((acc, o) => Fn.add(acc, scalarLE(o.sig_share)), Fn.ZERO);
      expect(bytesToHex(Fn.toBytes(z))).toBe(v.final_output.sig.slice(64));
      expect(ed25519.verify(sig, message, groupKey)).toBe(true);
      expect(verify(sig, message, groupKey)).toBe(true);
    });

    it('a share from the vector fails for the other participant and for another message', () => {
      const [o1, o3] = [round1[0]!, round1[1]!];
      const commitments = [o1, o3].map((o) => ({
        identifier: identifierOf(o.identifier),
        hiding: hexToBytes(o.hiding_nonce_commitment),
        binding: hexToBytes(o.binding_nonce_commitment),
      }));
      const s1 = hexToBytes(v.round_two_outputs.outputs[0]!.sig_share);
      expect(verifyShare(pub, commitments, message, identifierOf(1), s1)).toBe(true);
      expect(verifyShare(pub, commitments, message, identifierOf(3), s1)).toBe(false);
      expect(verifyShare(pub, commitments, hexToBytes('74657375'), identifierOf(1), s1)).toBe(false);
      const sig = hexToBytes(v.final_output.sig);
      expect(verify(sig, hexToBytes('74657375'), groupKey)).toBe(false);
    });
  });
}

checkSigningVector('RFC 9591 Appendix E.1 — FROST(Ed25519, SHA-512), the RFC literal vector', rfcVector);
checkSigningVector(
  'Zcash Foundation frost-rs helper vector — FROST(Ed25519, SHA-512) (same keys, other nonces)',
  zcashVector,
);

describe('the two signing vectors are different data', () => {
  it('same group key, shares and message; different nonce randomness and signature', () => {
    expect(rfcVector.inputs).toEqual(zcashVector.inputs);
    expect(rfcVector.round_one_outputs.outputs[0]!.hiding_nonce_randomness).not.toBe(
      zcashVector.round_one_outputs.outputs[0]!.hiding_nonce_randomness,
    );
    expect(rfcVector.final_output.sig.startsWith('36282629')).toBe(true);
    expect(zcashVector.final_output.sig.startsWith('154fb694')).toBe(true);
  });
});

describe('frost-rs DKG vectors — FROST(Ed25519, SHA-512)', () => {
  const v = dkgVector;
  const threshold = { minSigners: v.config.MIN_PARTICIPANTS, maxSigners: v.config.MAX_PARTICIPANTS };
  const round1: DkgRound1Package[] = v.inputs.participants.map((p) => ({
    identifier: identifierOf(p.identifier),
    commitment: p.vss_commitments.map(hexToBytes),
    proofOfKnowledge: hexToBytes(p.proof_of_knowledge),
  }));

  it('every round-1 package passes the standalone check; a corrupted proof fails it', () => {
    for (const pkg of round1) expect(verifyDkgRound1Package(pkg, threshold.minSigners)).toBe(true);
    const bad = { ...round1[0]!, proofOfKnowledge: flipByte(round1[0]!.proofOfKnowledge, 40) };
    expect(verifyDkgRound1Package(bad, threshold.minSigners)).toBe(false);
    expect(verifyDkgRound1Package(round1[0]!, 3)).toBe(false);
  });

  it('parts 2 and 3 reproduce the shares, verifying shares and group key', () => {
    const expected = expectedPublicKeyPackage(round1, threshold);
    expect(bytesToHex(expected.commitments[0]!)).toBe(v.inputs.verifying_key);
    for (const p of v.inputs.participants) {
      const id = identifierOf(p.identifier);
      expect(bytesToHex(expected.verifyingShares[id]!)).toBe(p.verifying_share);
      // Rebuild this participant's part-1 state from the vector's polynomial.
      const coefficients = [Fn.fromBytes(hexToBytes(p.signing_key)), Fn.fromBytes(hexToBytes(p.coefficient))];
      const secret: DkgSecret = {
        identifier: Fn.fromBytes(hexToBytes(id)),
        coefficients,
        commitment: coefficients.map((c) => Point.BASE.multiply(c).toBytes()),
        signers: { min: threshold.minSigners, max: threshold.maxSigners },
        step: 1,
      } as DkgSecret;
      const others = round1.filter((r) => r.identifier !== id);
      const r2 = dkgRound2(secret, others);
      // In the vectors, `signing_shares[k]` of participant p is the share p RECEIVED from k.
      const others3 = v.inputs.participants.filter((q) => q.identifier !== p.identifier);
      for (const q of others3) {
        const sent = (q.signing_shares as Record<string, string | undefined>)[String(p.identifier)]!;
        expect(bytesToHex(r2.packages[identifierOf(q.identifier)]!.signingShare)).toBe(sent);
      }
      const received = others3.map((q) => ({
        identifier: identifierOf(q.identifier),
        signingShare: hexToBytes(
          (p.signing_shares as Record<string, string | undefined>)[String(q.identifier)]!,
        ),
      }));
      for (const r of received) {
        const sender = round1.find((x) => x.identifier === r.identifier)!;
        expect(verifyDkgShare(id, r.signingShare, sender.commitment, threshold)).toBe(true);
        const tampered = flipByte(r.signingShare, 0);
        expect(verifyDkgShare(id, tampered, sender.commitment, threshold)).toBe(false);
      }
      const key = dkgRound3(r2.secret, others, received);
      expect(bytesToHex(key.keyPackage.signingShare)).toBe(p.signing_share);
      expect(bytesToHex(key.publicKeyPackage.commitments[0]!)).toBe(v.inputs.verifying_key);
      expect(bytesToHex(key.publicKeyPackage.verifyingShares[id]!)).toBe(p.verifying_share);
      // The wrapper never mutates the state it was given.
      expect(secret.step).toBe(1);
      expect(r2.secret.step).toBe(2);
    }
  });
});
