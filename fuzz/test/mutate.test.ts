/**
 * The mutation engine: edits apply to any base without throwing, never change the base, stay
 * bounded, and the same seed gives the same inputs (a printed seed replays a run).
 */
import fc from 'fast-check';
import { assertProperty } from '@fanout/testkit';
import { describe, expect, it } from 'vitest';
import { applyEdits, byteEditArb, bytesInput, expandBytes } from '../src/mutate.js';
import { applyTreeEdits, cloneTree, treeEditArb } from '../src/tree-mutate.js';

describe('byte edits', () => {
  it('apply to any base, leave the base alone, and grow it by at most 64 bytes per edit', async () => {
    const corpus = [Uint8Array.of(1, 2, 3), new Uint8Array(100)];
    await assertProperty(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(byteEditArb({ corpus, dictionary: [Uint8Array.of(9, 9)] }), { maxLength: 10 }),
        (base, edits) => {
          const copy = base.slice();
          const out = applyEdits(base, edits);
          expect(base).toEqual(copy);
          expect(out.length).toBeLessThanOrEqual(base.length + edits.length * 128);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('draw the same inputs from the same seed', () => {
    const arb = bytesInput({ corpus: [Uint8Array.of(1, 2, 3, 4)] });
    expect(fc.sample(arb, { seed: 42, numRuns: 50 })).toEqual(fc.sample(arb, { seed: 42, numRuns: 50 }));
    expect(expandBytes(7, 16)).toEqual(expandBytes(7, 16));
    expect(expandBytes(7, 16)).not.toEqual(expandBytes(8, 16));
  });
});

describe('tree edits', () => {
  it('apply to any JSON value without throwing and never change the base', async () => {
    await assertProperty(
      fc.property(
        fc.jsonValue({ maxDepth: 3 }),
        fc.array(treeEditArb({ binary: true }), { maxLength: 5 }),
        (base, edits) => {
          const before = JSON.stringify(base);
          applyTreeEdits(base, edits);
          expect(JSON.stringify(base)).toBe(before);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('add a "__proto__" key as an own property (it reaches the decoder as a field)', () => {
    const out = applyTreeEdits({ a: 1 }, [{ op: 'add', at: 0, key: '__proto__', value: { x: 1 } }]);
    expect(JSON.stringify(out)).toBe('{"a":1,"__proto__":{"x":1}}');
  });

  it('keep an own "__proto__" key a key when cloning (a Uint8Array there must not become the prototype)', () => {
    const base: Record<string, unknown> = {};
    Object.defineProperty(base, '__proto__', {
      value: new Uint8Array(2),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const out = cloneTree(base);
    expect(out instanceof Uint8Array).toBe(false);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out as object)).toEqual(['__proto__']);
  });
});
