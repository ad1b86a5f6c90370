/**
 * verifyingKeys (key recovery) against verifyCosmosSignature (one verification per key): the same
 * verdict for signers, strangers, keys crafted to verify, tampered and high-S signatures and junk
 * key bytes; and the 'no-cross-verification' oracle built on it flags a crafted key.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { assertProperty } from '@fanout/testkit';
import { hashInput, verifyCosmosSignature } from '@fanout/sim-bao';
import type { SignRequest, SignResult } from '@fanout/bao-keyring';
import { verifyingKeys } from '../../src/bao/checks/verifying-keys.js';
import { noCrossVerification } from '../../src/bao/checks/signatures.js';

const N = secp256k1.Point.CURVE().n;

/** A valid secp256k1 secret from 32 arbitrary bytes (mod n, never 0). */
const secretOf = (b: Uint8Array): Uint8Array => {
  const x = (BigInt(`0x${Buffer.from(b).toString('hex')}`) % (N - 1n)) + 1n;
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));
};
const sign = (sk: Uint8Array, digest: Uint8Array): Uint8Array =>
  secp256k1.sign(digest, sk, { prehash: false, lowS: true });

/** The other keys this signature verifies for (recovery ids other than the signer's). */
function craftedKeys(sig: Uint8Array, digest: Uint8Array): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (let id = 0; id < 4; id++)
    try {
      keys.push(
        secp256k1.Signature.fromBytes(sig, 'compact')
          .addRecoveryBit(id)
          .recoverPublicKey(digest)
          .toBytes(true),
      );
    } catch {
      // no key for this recovery id
    }
  return keys;
}

/** High-S twin (r, n − s): verifies under plain ECDSA, refused by the low-S rule. */
function highS(sig: Uint8Array): Uint8Array {
  const s = secp256k1.Signature.fromBytes(sig, 'compact');
  return new secp256k1.Signature(s.r, N - s.s).toBytes('compact');
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('verifyingKeys: the keys a signature verifies for, by recovery', () => {
  test('the same verdict as verifyCosmosSignature for every key, compressed or not, and every signature variant', async () => {
    await assertProperty(
      fc.property(
        fc.array(bytes32, { minLength: 2, maxLength: 4 }),
        bytes32,
        fc.nat({ max: 63 }),
        fc.uint8Array({ minLength: 33, maxLength: 33 }),
        (secrets, digest, flipAt, junk) => {
          const sks = secrets.map(secretOf);
          const sig = sign(sks[0]!, digest);
          const flipped = Uint8Array.from(sig, (x, i) => (i === flipAt ? x ^ 1 : x));
          const variants = [sig, flipped, highS(sig), new Uint8Array(64), sig.subarray(0, 63)];
          for (const v of variants) {
            const keys = [
              ...sks.flatMap((sk) => [secp256k1.getPublicKey(sk, true), secp256k1.getPublicKey(sk, false)]),
              ...craftedKeys(v.length === 64 ? v : sig, digest),
              junk,
            ];
            const found = verifyingKeys(digest, v);
            for (const pub of keys) expect(found.has(pub)).toBe(verifyCosmosSignature(pub, digest, v));
          }
          // The signer and the crafted keys verify; the other secrets' keys do not.
          expect(verifyingKeys(digest, sig).has(secp256k1.getPublicKey(sks[0]!, true))).toBe(true);
          for (const pub of craftedKeys(sig, digest)) expect(verifyingKeys(digest, sig).has(pub)).toBe(true);
          expect(verifyingKeys(digest, highS(sig)).has(secp256k1.getPublicKey(sks[0]!, true))).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
  });

  test('no signature: no key', () => {
    expect(
      verifyingKeys(new Uint8Array(32), undefined).has(secp256k1.getPublicKey(secretOf(new Uint8Array(32)))),
    ).toBe(false);
  });
});

describe("'no-cross-verification' with key recovery", () => {
  const msg = Uint8Array.from(Buffer.from('cross-verification test message'));
  const digest = hashInput(msg, 'sha256');
  const skA = secretOf(new Uint8Array(32).fill(1));
  const skB = secretOf(new Uint8Array(32).fill(2));
  const sig = sign(skA, digest);
  const requests: SignRequest[] = [{ uid: 'a', msg }];
  const results = [{ uid: 'a', signature: sig }] as unknown as SignResult[];
  const verify = (pub: Uint8Array, m: Uint8Array, s: Uint8Array | undefined): boolean =>
    s !== undefined && verifyCosmosSignature(pub, hashInput(m, 'sha256'), s);
  const keysOf = (m: Uint8Array, s: Uint8Array | undefined) => verifyingKeys(hashInput(m, 'sha256'), s);

  test('holds when the signature verifies only for its own key', () => {
    const pubs = new Map([
      ['a', secp256k1.getPublicKey(skA, true)],
      ['b', secp256k1.getPublicKey(skB, true)],
    ]);
    expect(noCrossVerification(verify, keysOf, pubs, requests, results).held).toBe(true);
  });

  test('flags a key the signature also verifies for (crafted by recovery)', () => {
    const own = secp256k1.getPublicKey(skA, true);
    const crafted = craftedKeys(sig, digest).find(
      (k) => Buffer.compare(Buffer.from(k), Buffer.from(own)) !== 0,
    )!;
    expect(verifyCosmosSignature(crafted, digest, sig)).toBe(true);
    const pubs = new Map([
      ['a', own],
      ['mallory', crafted],
    ]);
    const c = noCrossVerification(verify, keysOf, pubs, requests, results);
    expect(c.held).toBe(false);
    expect(c.detail).toContain('0 verifies for key mallory');
  });
});
