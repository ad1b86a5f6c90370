/**
 * encodeCbor writes plain objects with remembered key bytes (src/cbor.ts); its output must be
 * cbor2's `encode(value, { dcbor: true })` byte for byte, and its errors cbor2's, for any value.
 */
import { assertProperty } from '@fanout/testkit';
import { encode } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCbor, encodeCbor } from '../src/index.js';

/** Bytes (hex) or the error's name and message. */
function result(f: () => Uint8Array): unknown {
  try {
    return Buffer.from(f()).toString('hex');
  } catch (e) {
    return { error: (e as Error).name, message: (e as Error).message };
  }
}

const reference = (v: unknown) => result(() => encode(v, { dcbor: true }));
const ours = (v: unknown) => result(() => encodeCbor(v));

/** Keys that sort differently as text and as dCBOR bytes, NFC / NFD forms, integer-like keys. */
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('a', 'aa', 'b', 'z', '10', '9', '', 'é', 'e\u0301', 'Å', 'A\u030a', '😀', 'type', 'body'),
);
const leaf = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('node'), { maxKeys: 5 }),
})).node;

describe('encodeCbor: byte for byte cbor2 dCBOR', () => {
  it('property: any nesting of objects, arrays, numbers, strings, bytes', async () => {
    await assertProperty(
      fc.property(value, (v) => {
        expect(ours(v)).toEqual(reference(v));
      }),
      { numRuns: 500 },
    );
  });

  it('keys that differ as text but not after NFC, and a FROST-like message, round-trip as cbor2 writes them', () => {
    const message = {
      type: 'dkg-round1',
      body: { package: new Uint8Array([1, 2, 3]), commitments: [new Uint8Array(32)] },
      validFrom: 1_700_000_000_000,
      n: 5,
      é: 'Å',
    };
    expect(ours(message)).toEqual(reference(message));
    expect(decodeCbor(encodeCbor(message))).toEqual(message);
    for (const v of [{ 'e\u0301': 1 }, { é: 1, z: { 'A\u030a': [] } }]) expect(ours(v)).toEqual(reference(v));
  });

  it('the same errors as cbor2 (undefined, a function), and objects with toJSON / toCBOR left to cbor2', () => {
    for (const v of [{ a: undefined }, { a: { b: () => 1 } }, [undefined]]) {
      const r = reference(v);
      expect(r).toMatchObject({ error: expect.any(String) });
      expect(ours(v)).toEqual(r);
    }
    const withJson = { toJSON: () => ({ b: 1, a: 2 }) };
    expect(ours({ x: withJson })).toEqual(reference({ x: withJson }));
  });
});
