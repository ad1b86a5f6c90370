/**
 * x25519Agreement (node:crypto) against @noble/curves x25519.getSharedSecret: the same bytes for
 * random secrets and public keys (any 32 bytes: high bit set, u ≥ p), and the same refusals, with
 * noble's error, for low-order public keys and wrong lengths.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { x25519 } from '@noble/curves/ed25519.js';
import { assertProperty } from '@fanout/testkit';
import { x25519Agreement, x25519PublicKey } from '../src/agreement.js';

/** noble's result, or its error message. */
function noble(secret: Uint8Array, pub: Uint8Array): Uint8Array | string {
  try {
    return x25519.getSharedSecret(secret, pub);
  } catch (e) {
    return (e as Error).message;
  }
}
function ours(secret: Uint8Array, pub: Uint8Array): Uint8Array | string {
  try {
    return x25519Agreement(secret, x25519.getPublicKey(secret), pub);
  } catch (e) {
    return (e as Error).message;
  }
}

const le = (n: bigint): Uint8Array =>
  Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));
const P = 2n ** 255n - 19n;
/** Low-order u-coordinates (RFC 7748 §7 and their non-canonical forms): X25519 gives all zeros. */
const LOW_ORDER = [0n, 1n, P - 1n, P, P + 1n]
  .map(le)
  .concat(
    [
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    ].map((h) => Uint8Array.from(Buffer.from(h, 'hex'))),
  );

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('x25519Agreement: noble’s X25519 bytes, computed by node:crypto', () => {
  test('same shared secret as noble for random keys, real and arbitrary public keys', async () => {
    await assertProperty(
      fc.property(bytes32, bytes32, bytes32, (secret, other, junk) => {
        expect(ours(secret, x25519.getPublicKey(other))).toEqual(noble(secret, x25519.getPublicKey(other)));
        expect(ours(secret, junk)).toEqual(noble(secret, junk));
        const high = junk.slice();
        high[31]! |= 0x80; // the high bit is ignored (RFC 7748 §5)
        expect(ours(secret, high)).toEqual(noble(secret, high));
      }),
      { numRuns: 60 },
    );
  });

  test('low-order public keys and wrong lengths are refused with noble’s error', () => {
    const secret = new Uint8Array(32).fill(3);
    for (const pub of LOW_ORDER) {
      const n = noble(secret, pub);
      expect(typeof n).toBe('string');
      expect(ours(secret, pub)).toBe(n);
    }
    expect(ours(secret, new Uint8Array(31).fill(9))).toBe(noble(secret, new Uint8Array(31).fill(9)));
    expect(typeof ours(secret, new Uint8Array(31).fill(9))).toBe('string');
  });

  test('the result is a copy the caller owns', () => {
    const secret = new Uint8Array(32).fill(5);
    const pub = x25519.getPublicKey(new Uint8Array(32).fill(6));
    const a = x25519Agreement(secret, x25519.getPublicKey(secret), pub);
    a.fill(0);
    expect(x25519Agreement(secret, x25519.getPublicKey(secret), pub)).toEqual(noble(secret, pub));
  });
});

/** noble's public key, or its error message. */
function noblePublic(secret: Uint8Array): Uint8Array | string {
  try {
    return x25519.getPublicKey(secret);
  } catch (e) {
    return (e as Error).message;
  }
}
function oursPublic(secret: Uint8Array): Uint8Array | string {
  try {
    return x25519PublicKey(secret);
  } catch (e) {
    return (e as Error).message;
  }
}

describe('x25519PublicKey: noble’s public key bytes, computed by node:crypto', () => {
  test('same public key as noble for random secrets', async () => {
    await assertProperty(
      fc.property(bytes32, (secret) => {
        expect(oursPublic(secret)).toEqual(noblePublic(secret));
      }),
      { numRuns: 200 },
    );
  });

  test('edge secrets (all zeros, all ones, clamped bits set or clear) and wrong lengths as noble', () => {
    const secrets = [0x00, 0xff, 0x07, 0xf8, 0x40].map((b) => new Uint8Array(32).fill(b));
    for (const s of secrets) expect(oursPublic(s)).toEqual(noblePublic(s));
    for (const n of [0, 31, 33, 64]) {
      const s = new Uint8Array(n).fill(1);
      expect(typeof noblePublic(s)).toBe('string');
      expect(oursPublic(s)).toBe(noblePublic(s));
    }
  });

  test('the result is a copy the caller owns', () => {
    const secret = new Uint8Array(32).fill(11);
    x25519PublicKey(secret).fill(0);
    expect(x25519PublicKey(secret)).toEqual(x25519.getPublicKey(secret));
  });
});
