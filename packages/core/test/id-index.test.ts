/** IdIndex (the engine's id → index table) against a Map model. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { IdIndex, type DuplicateId } from '../src/id-index.js';

/** The model: ids checked one by one, stopping at the first repeat; the map of the ids seen. */
function oneByOne(ids: readonly string[]): { seen: Map<string, number>; dup: DuplicateId | undefined } {
  const seen = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const first = seen.get(ids[i]!);
    if (first !== undefined) return { seen, dup: { first, duplicate: i } };
    seen.set(ids[i]!, i);
  }
  return { seen, dup: undefined };
}

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
        const { seen: model, dup } = oneByOne(ids);
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
        const want = oneByOne(ids).dup;
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
