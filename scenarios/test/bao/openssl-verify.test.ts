/**
 * verifyCosmosMessage (OpenSSL) against verifyCosmosSignature (noble) on SHA-256 of the message:
 * the same verdict for valid signatures, other messages, other keys, high-S twins, tampered bytes,
 * r or s out of range and junk keys.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertProperty } from '@fanout/testkit';
import { verifyCosmosSignature } from '@fanout/sim-bao';
import { verifyCosmosMessage } from '../../src/bao/checks/openssl-verify.js';

const N = secp256k1.Point.CURVE().n;

const be32 = (n: bigint): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
const rs = (r: bigint, s: bigint): Uint8Array => Uint8Array.of(...be32(r), ...be32(s));
/** A valid secret from 32 arbitrary bytes (mod n, never 0). */
const secretOf = (b: Uint8Array): Uint8Array =>
  be32((BigInt(`0x${Buffer.from(b).toString('hex')}`) % (N - 1n)) + 1n);
const sign = (sk: Uint8Array, message: Uint8Array): Uint8Array =>
  secp256k1.sign(sha256(message), sk, { prehash: false, lowS: true });

/** Both verdicts for one input; the test asserts they are equal. */
function both(pub: Uint8Array, message: Uint8Array, sig: Uint8Array): [boolean, boolean] {
  return [verifyCosmosMessage(pub, message, sig), verifyCosmosSignature(pub, sha256(message), sig)];
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe("verifyCosmosMessage: noble's Cosmos verdict, computed by OpenSSL", () => {
  test('signers, other messages, other keys, high-S twins and flipped bits', async () => {
    await assertProperty(
      fc.property(
        bytes(32),
        bytes(32),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(63),
        (a, b, message, bit) => {
          const sk = secretOf(a);
          const pub = secp256k1.getPublicKey(sk, true);
          const other = secp256k1.getPublicKey(secretOf(b), true);
          const sig = sign(sk, message);
          const sig2 = secp256k1.Signature.fromBytes(sig, 'compact');
          const high = rs(sig2.r, N - sig2.s);
          const flipped = sig.slice();
          flipped[bit >> 3]! ^= 1 << (bit & 7);
          const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
            [pub, message, sig],
            [secp256k1.getPublicKey(sk, false), message, sig],
            [pub, Uint8Array.of(...message, 0), sig],
            [other, message, sig],
            [pub, message, high],
            [pub, message, flipped],
          ];
          for (const [p, m, s] of cases) {
            const [ours, noble] = both(p, m, s);
            expect(ours).toBe(noble);
          }
          expect(verifyCosmosMessage(pub, message, sig)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('r and s at and beyond their bounds, wrong lengths and junk keys', () => {
    const sk = secretOf(new Uint8Array(32).fill(7));
    const pub = secp256k1.getPublicKey(sk, true);
    const message = new TextEncoder().encode('bounds');
    const sig = secp256k1.Signature.fromBytes(sign(sk, message), 'compact');
    const half = N >> 1n;
    const sigs = [
      rs(0n, sig.s),
      rs(sig.r, 0n),
      rs(N, sig.s),
      rs(sig.r, N),
      rs(sig.r + N, sig.s),
      rs(N - 1n, half),
      rs(sig.r, half),
      rs(sig.r, half + 1n),
      new Uint8Array(64).fill(0xff),
      new Uint8Array(64),
      sign(sk, message).slice(0, 63),
      Uint8Array.of(...sign(sk, message), 0),
    ];
    const keys = [
      pub,
      new Uint8Array(33).fill(2),
      Uint8Array.of(4, ...new Uint8Array(64).fill(1)),
      pub.slice(0, 32),
      new Uint8Array(0),
      Uint8Array.of(0),
    ];
    for (const s of sigs)
      for (const k of keys) {
        const [ours, noble] = both(k, message, s);
        expect(ours, `key ${Buffer.from(k).toString('hex')} sig ${Buffer.from(s).toString('hex')}`).toBe(
          noble,
        );
      }
  });

  test('a signature with s exactly ⌊n/2⌋ is low-S: accepted when it verifies', () => {
    // Find a signer whose signature has s = ⌊n/2⌋ by solving for the key: with R = k·G fixed and
    // s fixed, P = r⁻¹(s·R − h·G) makes (r, s) verify for message m.
    const message = new TextEncoder().encode('half');
    const h = BigInt(`0x${Buffer.from(sha256(message)).toString('hex')}`) % N;
    const R = secp256k1.Point.BASE.multiply(12345n);
    const r = R.toAffine().x % N;
    const s = N >> 1n;
    const Fn = secp256k1.Point.Fn;
    const P = R.multiply(s).subtract(secp256k1.Point.BASE.multiply(h)).multiply(Fn.inv(r));
    const pub = P.toBytes(true);
    const sig = rs(r, s);
    expect(verifyCosmosSignature(pub, sha256(message), sig)).toBe(true);
    expect(verifyCosmosMessage(pub, message, sig)).toBe(true);
    const over = rs(r, s + 1n);
    expect(both(pub, message, over)).toEqual([false, false]);
  });
});
