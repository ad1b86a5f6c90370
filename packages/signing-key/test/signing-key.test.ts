import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SIGNATURE_MEMO, signingKey } from '../src/index.js';

describe('signingKey: the key expanded once per secret, signatures equal to @noble/curves ed25519.sign', () => {
  test('signatures and public keys are byte-identical to @noble/curves ed25519', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }),
        (secret, msgs) => {
          const key = signingKey(secret);
          expect(key.publicKey).toEqual(ed25519.getPublicKey(secret));
          for (const m of msgs) {
            const sig = key.sign(m);
            expect(sig).toEqual(ed25519.sign(m, secret));
            expect(ed25519.verify(sig, m, key.publicKey)).toBe(true);
          }
          expect(signingKey(secret)).toBe(key); // cached for the same key object
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a secret changed in place is derived again; its signatures verify under the new public key', () => {
    const secret = new Uint8Array(32).fill(1);
    const first = signingKey(secret);
    secret[0] = 2;
    const second = signingKey(secret);
    expect(second).not.toBe(first);
    expect(second.publicKey).toEqual(ed25519.getPublicKey(secret));
    const msg = Uint8Array.of(1, 2, 3);
    expect(second.sign(msg)).toEqual(ed25519.sign(msg, secret));
    expect(ed25519.verify(second.sign(msg), msg, second.publicKey)).toBe(true);
  });

  test('remembered signatures equal fresh ones, past the memo size too, and callers get their own copy', () => {
    const secret = new Uint8Array(32).fill(7);
    const key = signingKey(secret);
    const msgs = Array.from({ length: SIGNATURE_MEMO + 5 }, (_, i) => Uint8Array.of(i & 255, i >> 8, 1));
    const first = msgs.map((m) => key.sign(m));
    first[0]!.fill(0); // a caller scribbling on its copy changes nothing remembered
    for (const [i, m] of msgs.entries()) {
      const again = key.sign(m);
      expect(again).toEqual(ed25519.sign(m, secret));
      if (i > 0) expect(again).toEqual(first[i]);
    }
  });

  test('a secret that is not 32 bytes throws', () => {
    expect(() => signingKey(new Uint8Array(31))).toThrow();
  });
});
