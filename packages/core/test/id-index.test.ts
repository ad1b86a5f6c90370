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
      fc.array(id, { maxLength: 200 }),
      fc.array(id, { maxLength: 20 }),
      async (ids, probes) => {
        const table = new Array<string>(ids.length); // sized up front, as the engine does
        const index = new IdIndex(table);
        const model = new Map<string, number>();
        ids.forEach((s, i) => {
          table[i] = s;
          const prev = index.add(i);
          expect(prev).toBe(model.get(s) ?? -1);
          // A duplicate is not recorded (the engine throws there); this test carries on.
          if (prev < 0) model.set(s, i);
        });
        for (const s of [...ids, ...probes]) expect(index.get(s)).toBe(model.get(s));
      },
    ),
    { numRuns: 300 },
  );
});
