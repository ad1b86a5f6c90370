/**
 * The keyring's cached/precomputed verifier (SignatureVerifier) accepts exactly what noble's
 * `secp256k1.verify(sig, digest, pub, { prehash: false, lowS: true })` accepts, before and after a
 * key's table is built, for honest signatures and for every kind of tampering the keyring must
 * refuse (other key, other digest, high-S twin, bit flips, r/s out of range, random bytes).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { SignatureVerifier } from '@fanout/bao-keyring';

const N = secp256k1.Point.Fn.ORDER;
const skArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((b) => secp256k1.utils.isValidSecretKey(b));
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const TAMPER = [
  'none',
  'otherKey',
  'otherDigest',
  'highS',
  'flip',
  'r0',
  's0',
  'sN',
  'rN',
  'random',
  'short',
] as const;
type Tamper = (typeof TAMPER)[number];

function tamper(kind: Tamper, sig: Uint8Array, bit: number, random: Uint8Array): Uint8Array {
  const r = sig.slice(0, 32);
  const s = sig.slice(32);
  const join = (a: Uint8Array, b: Uint8Array): Uint8Array => new Uint8Array([...a, ...b]);
  switch (kind) {
    case 'highS':
      return join(r, numberToBytesBE(N - bytesToNumberBE(s), 32));
    case 'flip': {
      const out = sig.slice();
      out[bit % 64]! ^= 1 << (bit % 8);
      return out;
    }
    case 'r0':
      return join(new Uint8Array(32), s);
    case 's0':
      return join(r, new Uint8Array(32));
    case 'sN':
      return join(r, numberToBytesBE(N, 32));
    case 'rN':
      return join(numberToBytesBE(N + bytesToNumberBE(r) < 2n ** 256n ? N + bytesToNumberBE(r) : N, 32), s);
    case 'random':
      return random;
    case 'short':
      return sig.slice(0, 63);
    default:
      return sig;
  }
}

describe('SignatureVerifier (keyring-side verification with cached points)', () => {
  test('accepts exactly what noble verify accepts, before and after precomputation', async () => {
    await assertProperty(
      fc.property(
        fc.array(fc.record({ sk: skArb, digest: digestArb }), { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.record({
            signer: fc.nat(),
            kind: fc.constantFrom(...TAMPER),
            bit: fc.nat({ max: 511 }),
            random: fc.uint8Array({ minLength: 64, maxLength: 64 }),
            other: fc.nat(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.integer({ min: 0, max: 3 }),
        (keys, checks, precomputeAfter) => {
          const verifier = new SignatureVerifier({
            precomputeAfter,
            maxKeys: 2,
            buildEvery: 1 + (precomputeAfter % 2),
          });
          const pubs = keys.map((k) => secp256k1.getPublicKey(k.sk, true));
          for (const c of checks) {
            const i = c.signer % keys.length;
            const sig = secp256k1.sign(keys[i]!.digest, keys[i]!.sk, { prehash: false });
            const j = c.other % keys.length;
            const pub = c.kind === 'otherKey' ? pubs[j]! : pubs[i]!;
            const digest = c.kind === 'otherDigest' ? keys[j]!.digest : keys[i]!.digest;
            const candidate = tamper(c.kind, sig, c.bit, c.random);
            // noble throws for a wrongly sized signature; the keyring counts that as "does not verify".
            const want = (() => {
              try {
                return secp256k1.verify(candidate, digest, pub, { prehash: false, lowS: true });
              } catch {
                return false;
              }
            })();
            expect(verifier.verify(candidate, digest, pub), `${c.kind} key ${i}`).toBe(want);
            if (c.kind === 'none') expect(want).toBe(true);
            if (c.kind === 'highS' || c.kind === 'r0' || c.kind === 's0' || c.kind === 'sN')
              expect(want).toBe(false);
          }
          expect(verifier.size).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('rejects bad options with a RangeError naming the option', () => {
    expect(() => new SignatureVerifier({ maxKeys: 0 })).toThrow(/maxKeys/);
    expect(() => new SignatureVerifier({ precomputeAfter: -1 })).toThrow(/precomputeAfter/);
    expect(() => new SignatureVerifier({ window: 1 })).toThrow(/window/);
    expect(() => new SignatureVerifier({ buildEvery: 0 })).toThrow(/buildEvery/);
  });
});
