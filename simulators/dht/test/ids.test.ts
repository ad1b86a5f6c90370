/**
 * closestTo (the n closest ids by a 48-bit distance key and insertion) against a full sort with
 * compareDistance: the same items in the same order, for any n, also for ids that share long
 * distance prefixes (where the key ties and the exact comparison decides).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { closestTo, compareDistance, ID_BYTES } from '../src/ids.js';

const id = fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES });

/** Ids near `base`: its bytes with a few late bytes changed, so 48-bit distance keys often tie. */
const near = (base: Uint8Array) =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: ID_BYTES - 1 }), fc.nat({ max: 255 })), { maxLength: 3 })
    .map((edits) => {
      const out = base.slice();
      for (const [at, v] of edits) out[at] = v;
      return out;
    });

describe('closestTo', () => {
  test('equals the first n of a full sort by XOR distance, in order', async () => {
    await assertProperty(
      fc.property(
        id,
        id.chain((base) => fc.array(fc.oneof(id, near(base)), { maxLength: 60 })),
        fc.integer({ min: 0, max: 70 }),
        (target, raw, n) => {
          // distinct ids, as in a routing table
          const ids = [...new Map(raw.map((x) => [Buffer.from(x).toString('hex'), x])).values()];
          const items = ids.map((x, i) => ({ x, i }));
          const sorted = [...items].sort((a, b) => compareDistance(target, a.x, b.x));
          expect(closestTo(target, items, n, (it) => it.x)).toEqual(sorted.slice(0, n));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('ties of the 48-bit key are decided by the later bytes', () => {
    const target = new Uint8Array(ID_BYTES);
    const a = new Uint8Array(ID_BYTES).fill(0);
    const b = new Uint8Array(ID_BYTES).fill(0);
    a[19] = 2;
    b[19] = 1;
    expect(closestTo(target, [a, b], 1, (x) => x)).toEqual([b]);
    expect(closestTo(target, [b, a], 2, (x) => x)).toEqual([b, a]);
    expect(closestTo(target, [a, b], 0, (x) => x)).toEqual([]);
  });
});
