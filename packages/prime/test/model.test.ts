/** The model and the data: analytic gradient = numeric gradient, SGD lowers the loss, honest splits and shards. */
import fc from 'fast-check';
import { assertProperty } from '@fanout/testkit';
import { describe, expect, it } from 'vitest';
import {
  PrimeInputError,
  evaluate,
  gradient,
  initialParams,
  loadIris,
  localTrain,
  paramCount,
  prepareFederatedData,
  shardIid,
  shardNonIid,
  splitHoldout,
  syntheticDataset,
  uniformFrom,
  type Dataset,
} from '../src/index.js';
import { counterBytes } from './helpers.js';

const iris = loadIris();

describe('softmax regression', () => {
  it('a zero model predicts uniformly: loss ln 3 on Iris', () => {
    const e = evaluate(initialParams(iris), iris);
    expect(e.loss).toBeCloseTo(Math.log(3), 12);
    expect(paramCount(iris)).toBe(15);
  });

  it('property: the analytic gradient matches central differences', async () => {
    await assertProperty(
      fc.property(
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 15, maxLength: 15 }),
        fc.array(fc.integer({ min: 0, max: 149 }), { minLength: 1, maxLength: 20 }),
        (w, rows) => {
          const params = Float64Array.from(w);
          const batch = { ...iris, ...pick(iris, rows) };
          const g = gradient(
            params,
            batch,
            batch.y.map((_, i) => i),
          );
          const h = 1e-6;
          for (let q = 0; q < params.length; q++) {
            const plus = Float64Array.from(params);
            const minus = Float64Array.from(params);
            plus[q]! += h;
            minus[q]! -= h;
            const numeric = (evaluate(plus, batch).loss - evaluate(minus, batch).loss) / (2 * h);
            expect(g[q]).toBeCloseTo(numeric, 4);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('SGD lowers the training loss and does not modify its input', () => {
    const { train } = prepareFederatedData(iris, { trainers: 1 });
    const p0 = initialParams(train);
    const before = evaluate(p0, train).loss;
    const { params, steps } = localTrain(p0, train, { epochs: 5, learningRate: 0.1, batchSize: 8 });
    expect(steps).toBe(5 * Math.ceil(train.n / 8));
    expect(evaluate(params, train).loss).toBeLessThan(before * 0.6);
    expect(Array.from(p0).every((v) => v === 0)).toBe(true);
  });

  it('rejects parameters of the wrong length with PrimeInputError("params")', () => {
    expect(() => evaluate(new Float64Array(3), iris)).toThrow(PrimeInputError);
  });
});

function pick(d: Dataset, rows: number[]): Pick<Dataset, 'x' | 'y' | 'n'> {
  const x = new Float64Array(rows.length * d.features);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(d.x.subarray(r * d.features, (r + 1) * d.features), i * d.features);
    y[i] = d.y[r]!;
  });
  return { x, y, n: rows.length };
}

describe('data sets', () => {
  it('Iris: 150 samples, 4 features, 3 classes of 50; the hold-out is 120/30 with 10 per class', () => {
    expect(iris.n).toBe(150);
    const counts = [0, 0, 0];
    iris.y.forEach((c) => counts[c]!++);
    expect(counts).toEqual([50, 50, 50]);
    const { train, test } = splitHoldout(iris);
    expect([train.n, test.n]).toEqual([120, 30]);
    const tc = [0, 0, 0];
    test.y.forEach((c) => tc[c]!++);
    expect(tc).toEqual([10, 10, 10]);
  });

  it('IID shards partition the data and each holds every class; non-IID shards are label-skewed', () => {
    const { train } = splitHoldout(iris);
    const iid = shardIid(train, 10, uniformFrom(counterBytes(3)));
    expect(iid.reduce((a, s) => a + s.n, 0)).toBe(120);
    for (const s of iid) expect(new Set(s.y).size).toBe(3);
    const non = shardNonIid(train, 10);
    expect(non.reduce((a, s) => a + s.n, 0)).toBe(120);
    expect(non.map((s) => new Set(s.y).size).sort()).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 3, 3]);
  });

  it('synthetic data is a pure function of the random source', () => {
    const a = syntheticDataset(uniformFrom(counterBytes(9)), { samples: 30 });
    const b = syntheticDataset(uniformFrom(counterBytes(9)), { samples: 30 });
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(() => syntheticDataset(() => 0.5, { classes: 1 })).toThrow(PrimeInputError);
  });
});
