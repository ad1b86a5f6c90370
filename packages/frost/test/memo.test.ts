import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { commit, dkgRound1, identifierOf } from '../src/ciphersuite.js';
import {
  isTorsionFreeEncoding,
  isValidPoint,
  openAgreement,
  rememberBaseMultiple,
  sealAgreement,
  signEd25519,
  verifyEd25519,
} from '../src/memo.js';
import { seededRng } from './helpers.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('memo.ts: remembered @noble results equal fresh ones', () => {
  test('verification: same verdict as ed25519.verify, asked once or twice, for good, tampered and junk inputs', () => {
    fc.assert(
      fc.property(bytes(32), fc.uint8Array({ maxLength: 300 }), fc.nat(4), (secret, msg, damage) => {
        const pub = ed25519.getPublicKey(secret);
        const sig = ed25519.sign(msg, secret);
        if (damage === 1) sig[7] = sig[7]! ^ 1;
        const m = damage === 2 ? Uint8Array.of(...msg, 0) : msg;
        const key = damage === 3 ? new Uint8Array(32).fill(255) : pub;
        let plain = false;
        try {
          plain = ed25519.verify(sig, m, key);
        } catch {
          plain = false;
        }
        expect(verifyEd25519(sig, m, key)).toBe(plain);
        expect(verifyEd25519(sig, m, key)).toBe(plain);
      }),
      { numRuns: 40 },
    );
  });

  test("signing here: noble's signature bytes; the verdict for it, tampered copies and a public key that is not the signer's equals ed25519.verify", () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), fc.uint8Array({ maxLength: 200 }), (secret, other, msg) => {
        const pub = ed25519.getPublicKey(secret);
        const sig = signEd25519(msg, secret, pub);
        expect(sig).toEqual(ed25519.sign(msg, secret));
        expect(verifyEd25519(sig, msg, pub)).toBe(true);
        const flipped = Uint8Array.from(sig, (x, i) => (i === 3 ? x ^ 1 : x));
        expect(verifyEd25519(flipped, msg, pub)).toBe(ed25519.verify(flipped, msg, pub));
        expect(verifyEd25519(sig, Uint8Array.of(...msg, 1), pub)).toBe(false);
        // Signed under `secret` but claimed for another key: nothing remembered, noble's verdict.
        const otherPub = ed25519.getPublicKey(other);
        const claimed = signEd25519(Uint8Array.of(...msg, 2), secret, otherPub);
        expect(verifyEd25519(claimed, Uint8Array.of(...msg, 2), otherPub)).toBe(
          ed25519.verify(claimed, Uint8Array.of(...msg, 2), otherPub),
        );
      }),
      { numRuns: 30 },
    );
  });

  test('point check: valid group elements only (identity, torsion and junk refused), stable when asked again', () => {
    const base = ed25519.Point.BASE;
    expect(isValidPoint(base.multiply(5n).toBytes())).toBe(true);
    expect(isValidPoint(ed25519.Point.ZERO.toBytes())).toBe(false);
    const torsion = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    expect(isValidPoint(base.add(torsion).toBytes())).toBe(false);
    expect(isValidPoint(new Uint8Array(32).fill(255))).toBe(false);
    expect(isValidPoint(base.multiply(5n).toBytes())).toBe(true);
  });

  /** The remembered subgroup verdict for `encoding`, or 'unknown' when it would be computed. */
  const remembered = (encoding: Uint8Array): boolean | 'unknown' => {
    const unknown = new Error('not remembered');
    try {
      // A compute that throws stores nothing, so asking does not change the memo.
      return isTorsionFreeEncoding(bytesToHex(encoding), () => {
        throw unknown;
      });
    } catch (e) {
      if (e === unknown) return 'unknown';
      throw e;
    }
  };

  test("subgroup checks: isValidPoint's verdict serves the suite's decoding; a torsion point is remembered as refused", () => {
    const base = ed25519.Point.BASE;
    const p = base.multiply(0x1234_5678_9abcn).toBytes();
    expect(remembered(p)).toBe('unknown');
    expect(isValidPoint(p)).toBe(true);
    expect(remembered(p)).toBe(true);
    const torsion = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    const mixed = base.multiply(77n).add(torsion).toBytes();
    expect(isValidPoint(mixed)).toBe(false);
    expect(remembered(mixed)).toBe(false);
  });

  test('points made here as multiples of B (nonce commitments, DKG commitments and proof R) need no subgroup check later', () => {
    const rng = seededRng('memo-base-multiples');
    const r1 = dkgRound1(identifierOf(1), { minSigners: 2, maxSigners: 3 }, rng);
    for (const c of r1.package.commitment) expect(remembered(c)).toBe(true);
    expect(remembered(r1.package.proofOfKnowledge.subarray(0, 32))).toBe(true);
    // Each is k·B, so the remembered verdict is the one noble computes.
    for (const c of r1.package.commitment) expect(ed25519.Point.fromBytes(c).isTorsionFree()).toBe(true);
    const c = commit({ identifier: identifierOf(1), signingShare: new Uint8Array(32).fill(3) }, rng);
    expect(remembered(c.commitments.hiding)).toBe(true);
    expect(remembered(c.commitments.binding)).toBe(true);
    for (const e of [c.commitments.hiding, c.commitments.binding])
      expect(ed25519.Point.fromBytes(e).isTorsionFree()).toBe(true);
  });

  test('rememberBaseMultiple marks only the encoding it is given', () => {
    const p = ed25519.Point.BASE.multiply(991n).toBytes();
    const q = ed25519.Point.BASE.multiply(992n).toBytes();
    rememberBaseMultiple(p);
    expect(remembered(p)).toBe(true);
    expect(remembered(q)).toBe('unknown');
  });

  test("agreements: the opener gets the ladder's bytes, whether or not this process sealed, and a wrong key pair never hits", () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), bytes(32), (e, r, other) => {
        const E = x25519.getPublicKey(e);
        const R = x25519.getPublicKey(r);
        const sealed = sealAgreement(e, E, R);
        expect(sealed).toEqual(x25519.getSharedSecret(e, R));
        expect(openAgreement(r, R, E)).toEqual(x25519.getSharedSecret(r, E));
        // `other` claims R's public key: no hit, its own ladder.
        expect(openAgreement(other, R, E)).toEqual(x25519.getSharedSecret(other, E));
      }),
      { numRuns: 30 },
    );
  });
});
