/** IdIndex (the engine's id → index table) against a Map model. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { IdIndex } from '../src/id-index.js';

test('IdIndex agrees with a Map: first duplicate found, every id found, absent ids not', async () => {
  // A small alphabet makes duplicates and shared prefixes common; fullUnicode covers surrogates.
  const id = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', 'b', 'é', '0'), maxLength: 4 }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
  );
  await assertProperty(
    fc.asyncProperty(
      fc.array(id, { maxLength: 300 }),
      fc.array(id, { maxLength: 20 }),
      // 0: always partitioned; Infinity: always in target order; else either, by size.
      fc.constantFrom(0, 16, Infinity),
      async (ids, probes, partitionFrom) => {
        // The model: check ids one by one, stop at the first repeat.
        const model = new Map<string, number>();
        let dup: { first: number; duplicate: number } | undefined;
        for (let i = 0; i < ids.length && dup === undefined; i++) {
          const first = model.get(ids[i]!);
          if (first !== undefined) dup = { first, duplicate: i };
          else model.set(ids[i]!, i);
        }
        const built = IdIndex.build(ids, partitionFrom);
        if (dup !== undefined) {
          expect(built).toEqual(dup);
          return;
        }
        expect(built).toBeInstanceOf(IdIndex);
        const index = built as IdIndex;
        for (const s of [...ids, ...probes]) expect(index.get(s)).toBe(model.get(s));
      },
    ),
    { numRuns: 300 },
  );
});

test('the lowest repeat is reported when several ids repeat (partitioned or not)', async () => {
  await assertProperty(
    fc.asyncProperty(
      fc.uniqueArray(fc.string({ maxLength: 6 }), { minLength: 2, maxLength: 200 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }),
      fc.constantFrom(0, Infinity),
      async (unique, repeats, partitionFrom) => {
        const ids = [...unique];
        // Copy an earlier id over a later one; the model finds the lowest repeat one by one.
        for (const [a, b] of repeats) {
          const [i, j] = [a % ids.length, b % ids.length].sort((x, y) => x - y) as [number, number];
          if (i !== j) ids[j] = ids[i]!;
        }
        const seen = new Map<string, number>();
        let want: { first: number; duplicate: number } | undefined;
        for (let k = 0; k < ids.length && want === undefined; k++) {
          const first = seen.get(ids[k]!);
          if (first !== undefined) want = { first, duplicate: k };
          else seen.set(ids[k]!, k);
        }
        const built = IdIndex.build(ids, partitionFrom);
        if (want === undefined) expect(built).toBeInstanceOf(IdIndex);
        else expect(built).toEqual(want);
      },
    ),
    { numRuns: 300 },
  );
});

test('a partitioned build over many ids finds each one and the lowest repeat', () => {
  const ids = Array.from({ length: 70_000 }, (_, i) => `t${i}`);
  const index = IdIndex.build(ids) as IdIndex;
  expect(index).toBeInstanceOf(IdIndex);
  for (let i = 0; i < ids.length; i += 97) expect(index.get(ids[i]!)).toBe(i);
  expect(index.get('t70000')).toBeUndefined();
  ids[50_000] = 't123';
  ids[60_000] = 't7';
  ids[65_000] = 't123';
  expect(IdIndex.build(ids)).toEqual({ first: 123, duplicate: 50_000 });
});
