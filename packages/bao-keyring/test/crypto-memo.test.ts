/**
 * The keyring's remembered secp256k1 checks answer exactly as noble does, the first time and
 * every time after (a remembered "valid" never leaks onto a changed signature, digest or key).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressedPublicKeyOf, isCompressedPointHex, verifiesLowS } from '../src/crypto-memo.js';

const noble = (sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean => {
  try {
    return secp256k1.verify(sig, digest, pub, { prehash: false, lowS: true });
  } catch {
    return false;
  }
};

describe('verifiesLowS', () => {
  const sk = secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(1));
  const pub = secp256k1.getPublicKey(sk, true);
  const N = secp256k1.Point.CURVE().n;

  it('agrees with noble on valid, tampered, high-S, wrong-key and malformed input, again and again', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(63), (msg, at) => {
        const digest = sha256(msg);
        const sig = secp256k1.sign(digest, sk, { prehash: false, lowS: true });
        const tampered = sig.slice();
        tampered[at]! ^= 1;
        const s = secp256k1.Signature.fromBytes(sig, 'compact');
        const high = new secp256k1.Signature(s.r, N - s.s).toBytes('compact');
        const other = secp256k1.getPublicKey(
          secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(at + 2)),
          true,
        );
        const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
          [sig, digest, pub],
          [tampered, digest, pub],
          [high, digest, pub],
          [sig, sha256(digest), pub],
          [sig, digest, other],
          [sig.slice(0, 63), digest, pub],
          [sig, digest, pub.slice(0, 32)],
        ];
        for (let round = 0; round < 2; round++)
          for (const [g, d, p] of cases) expect(verifiesLowS(g, d, p)).toBe(noble(g, d, p));
        expect(verifiesLowS(sig, digest, pub)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});

describe('compressedPublicKeyOf', () => {
  it("is noble's getPublicKey(sk, true), a fresh array each time", () => {
    const sk = secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(9));
    const a = compressedPublicKeyOf(sk);
    expect(a).toEqual(secp256k1.getPublicKey(sk, true));
    a.fill(0);
    expect(compressedPublicKeyOf(sk)).toEqual(secp256k1.getPublicKey(sk, true));
  });

  it('throws for an invalid private key, every time', () => {
    for (let i = 0; i < 2; i++) expect(() => compressedPublicKeyOf(new Uint8Array(32))).toThrow();
  });
});

describe('isCompressedPointHex', () => {
  it('accepts compressed points only, again and again', () => {
    const pub = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(4)), true);
    const hex = bytesToHex(pub);
    const notOnCurve = `02${'00'.repeat(31)}07`;
    for (let i = 0; i < 2; i++) {
      expect(isCompressedPointHex(hex)).toBe(true);
      expect(isCompressedPointHex(hex.toUpperCase())).toBe(true);
      expect(isCompressedPointHex(`04${hex.slice(2)}`)).toBe(false);
      expect(isCompressedPointHex(notOnCurve)).toBe(
        (() => {
          try {
            return secp256k1.utils.isValidPublicKey(Buffer.from(notOnCurve, 'hex'), true);
          } catch {
            return false;
          }
        })(),
      );
      expect(isCompressedPointHex(hex.slice(2))).toBe(false);
      expect(isCompressedPointHex(`${hex.slice(0, 64)}zz`)).toBe(false);
    }
  });
});
