import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  OUTBOX_VALUE_ID,
  SignedValueError,
  checkSignedEdit,
  memoizedVerifier,
  newestSignedValue,
  signValue,
  signedValueMessage,
  verifySignedValue,
} from '../src/index.js';

const key = Uint8Array.from({ length: 20 }, (_, i) => i);
const otherKey = Uint8Array.from({ length: 20 }, (_, i) => 100 + i);
const alice = new Uint8Array(32).fill(7);
const mallory = new Uint8Array(32).fill(9);
const data = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('signed values (ed25519, OpenDHT putSigned semantics)', () => {
  test('a signed value verifies; any change to key, id, seq, data, owner or signature does not', () => {
    const v = signValue(key, { id: OUTBOX_VALUE_ID, seq: 3, data: data('hi') }, alice);
    expect(v.owner.length).toBe(32);
    expect(v.signature.length).toBe(64);
    expect(verifySignedValue(key, v)).toBe(true);
    expect(verifySignedValue(otherKey, v)).toBe(false);
    expect(verifySignedValue(key, { ...v, id: 2n })).toBe(false);
    expect(verifySignedValue(key, { ...v, seq: 4 })).toBe(false);
    expect(verifySignedValue(key, { ...v, data: data('ho') })).toBe(false);
    expect(
      verifySignedValue(key, {
        ...v,
        owner: signValue(key, { id: 1n, seq: 0, data: data('') }, mallory).owner,
      }),
    ).toBe(false);
    const sig = v.signature.slice();
    sig[0]! ^= 1;
    expect(verifySignedValue(key, { ...v, signature: sig })).toBe(false);
  });

  test('verify never throws on malformed input', () => {
    fc.assert(
      fc.property(
        fc.anything({ withTypedArray: true, withBigInt: true }),
        fc.anything({ withTypedArray: true }),
        (value, k) => {
          expect(verifySignedValue(k as Uint8Array, value as never)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('sign refuses malformed arguments', () => {
    expect(() => signValue(key, { id: 1n, seq: 0, data: data('') }, new Uint8Array(31))).toThrow(
      SignedValueError,
    );
    expect(() => signValue(new Uint8Array(19), { id: 1n, seq: 0, data: data('') }, alice)).toThrow(
      expect.objectContaining({ field: 'key' }),
    );
    expect(() => signValue(key, { id: -1n, seq: 0, data: data('') }, alice)).toThrow(
      expect.objectContaining({ field: 'id' }),
    );
    expect(() => signValue(key, { id: 1n, seq: 0.5, data: data('') }, alice)).toThrow(
      expect.objectContaining({ field: 'seq' }),
    );
  });

  test('edit policy: higher seq by the owner replaces; another owner, lower seq, conflict and forgery are refused', () => {
    const v1 = signValue(key, { id: 1n, seq: 1, data: data('v1') }, alice);
    expect(checkSignedEdit(key, undefined, v1)).toEqual({ accept: true, kind: 'new' });
    expect(checkSignedEdit(key, v1, signValue(key, { id: 1n, seq: 2, data: data('v2') }, alice))).toEqual({
      accept: true,
      kind: 'replace',
    });
    expect(checkSignedEdit(key, v1, v1)).toEqual({ accept: true, kind: 'refresh' });
    expect(checkSignedEdit(key, v1, signValue(key, { id: 1n, seq: 9, data: data('x') }, mallory))).toEqual({
      accept: false,
      reason: 'owner-mismatch',
    });
    expect(checkSignedEdit(key, v1, signValue(key, { id: 1n, seq: 0, data: data('v0') }, alice))).toEqual({
      accept: false,
      reason: 'lower-seq',
    });
    expect(checkSignedEdit(key, v1, signValue(key, { id: 1n, seq: 1, data: data('other') }, alice))).toEqual({
      accept: false,
      reason: 'conflict',
    });
    expect(checkSignedEdit(key, v1, { ...v1, seq: 5 })).toEqual({ accept: false, reason: 'bad-signature' });
    expect(checkSignedEdit(key, v1, signValue(key, { id: 2n, seq: 5, data: data('x') }, alice))).toEqual({
      accept: false,
      reason: 'id-mismatch',
    });
  });

  test('newestSignedValue picks the highest valid seq, ignoring forgeries, other ids and other owners', () => {
    const v1 = signValue(key, { id: 1n, seq: 1, data: data('v1') }, alice);
    const v2 = signValue(key, { id: 1n, seq: 2, data: data('v2') }, alice);
    const forged = { ...v2, seq: 99 };
    const mal = signValue(key, { id: 1n, seq: 50, data: data('m') }, mallory);
    const otherId = signValue(key, { id: 7n, seq: 70, data: data('o') }, alice);
    expect(newestSignedValue(key, [v1, forged, v2, otherId])?.seq).toBe(2);
    expect(newestSignedValue(key, [v1, v2, mal])?.seq).toBe(50);
    expect(newestSignedValue(key, [v1, v2, mal], { owner: v1.owner })?.seq).toBe(2);
    expect(newestSignedValue(key, [forged])).toBeUndefined();
  });

  test('memoizedVerifier answers exactly like verifySignedValue, including for tampered values and after eviction', () => {
    const memo = memoizedVerifier(2);
    const v = signValue(key, { id: 1n, seq: 3, data: data('hi') }, alice);
    const variants = [
      v,
      { ...v, seq: 4 },
      { ...v, data: data('ho') },
      { ...v, id: 2n },
      v,
      { ...v, owner: undefined },
      v,
    ];
    for (const x of variants) {
      expect(memo(key, x)).toBe(verifySignedValue(key, x));
      expect(memo(otherKey, x)).toBe(verifySignedValue(otherKey, x));
    }
    expect(memo(key, v)).toBe(true);
    expect(() => memoizedVerifier(0)).toThrow(RangeError);
  });

  test('a value signValue made here is answered without ed25519 (it verifies by construction); a changed byte or a signature made elsewhere is verified', () => {
    const check = memoizedVerifier();
    const v = signValue(key, { id: 1n, seq: 9, data: data('made here') }, alice);
    expect(check(key, v)).toBe(true);
    expect(check.stats).toEqual({ memoHits: 0, signedHere: 1, verified: 0 });
    expect(check(key, { ...v, data: v.data.slice() })).toBe(true); // same bytes, another object: the memo
    expect(check.stats.memoHits).toBe(1);
    const flipped = (b: Uint8Array): Uint8Array => Uint8Array.from(b, (x, i) => (i === 0 ? x ^ 1 : x));
    const tampered = [
      { ...v, data: flipped(v.data) },
      { ...v, seq: 10 },
      { ...v, signature: flipped(v.signature) },
      { ...v, owner: signValue(key, { id: 1n, seq: 9, data: data('made here') }, mallory).owner },
    ];
    for (const x of tampered) {
      expect(check(key, x)).toBe(false);
      expect(verifySignedValue(key, x)).toBe(false);
    }
    expect(check(otherKey, v)).toBe(false); // replayed under another key
    expect(check.stats.verified).toBe(tampered.length + 1);
    // A valid signature made outside signValue (the same bytes ed25519 gives) goes through ed25519.
    const msg = signedValueMessage(key, 2n, 1, data('elsewhere'));
    const outside = {
      id: 2n,
      seq: 1,
      data: data('elsewhere'),
      owner: ed25519.getPublicKey(mallory),
      signature: ed25519.sign(msg, mallory),
    };
    const before = check.stats.verified;
    expect(check(key, outside)).toBe(true);
    expect(check.stats.verified).toBe(before + 1);
  });
});
