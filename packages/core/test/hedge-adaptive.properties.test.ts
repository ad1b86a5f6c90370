/**
 * Adaptive hedging (`hedge.afterMs: 'p95'`, a sliding HedgeHistory) and the hedge budget, as
 * fast-check properties in virtual time. Each would fail on a wrong percentile, a hedge armed at
 * another delay, or a budget that lets hedges exceed budget · primary calls.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import {
  FanOutOptionError,
  HedgeHistory,
  HedgeHistoryError,
  VirtualClock,
  fanOut,
  realClock,
  type FanOutEvent,
} from '../src/index.js';

/** Nearest-rank percentile computed the obvious way. */
function naiveQuantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)]!;
}

const percentiles: [string, number][] = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p99.9', 0.999],
];

describe('HedgeHistory', () => {
  test('quantile is the nearest-rank percentile of the newest `size` samples', async () => {
    await assertProperty(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        (size, samples, q) => {
          const h = new HedgeHistory({ size, minSamples: 1 });
          for (const [i, x] of samples.entries()) {
            h.record(x);
            const window = samples.slice(Math.max(0, i + 1 - size), i + 1);
            expect(h.count).toBe(window.length);
            expect(h.quantile(q)).toBe(naiveQuantile(window, q));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('bad arguments name the field', () => {
    const field = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(HedgeHistoryError);
        return (e as HedgeHistoryError).field;
      }
      throw new Error('expected a HedgeHistoryError');
    };
    expect(field(() => new HedgeHistory({ size: 0 }))).toBe('size');
    expect(field(() => new HedgeHistory({ size: 10, minSamples: 11 }))).toBe('minSamples');
    expect(field(() => new HedgeHistory().record(-1))).toBe('ms');
    expect(field(() => new HedgeHistory().record(NaN))).toBe('ms');
    expect(field(() => new HedgeHistory().quantile(0))).toBe('q');
    expect(new HedgeHistory().quantile(0.5)).toBeUndefined();
  });
});

describe('fanOut: adaptive hedge options', () => {
  test.each([
    ['p0', 'hedge.afterMs'],
    ['p100', 'hedge.afterMs'],
    ['x95', 'hedge.afterMs'],
  ])('afterMs %s is a FanOutOptionError', (afterMs, option) => {
    expect(() => fanOut([1], (x) => x, { clock: realClock, hedge: { afterMs: afterMs as 'p1' } })).toThrow(
      expect.objectContaining({ option }) as Error,
    );
  });
  test.each([[0], [1.5], [NaN]])('budget %s is a FanOutOptionError', (budget) => {
    expect(() => fanOut([1], (x) => x, { clock: realClock, hedge: { afterMs: 5, budget } })).toThrow(
      FanOutOptionError,
    );
  });
  test('history must be a HedgeHistory', () => {
    expect(() =>
      fanOut([1], (x) => x, {
        clock: realClock,
        hedge: { afterMs: 'p95', history: {} as HedgeHistory },
      }),
    ).toThrow(expect.objectContaining({ option: 'hedge.history' }) as Error);
  });
});

describe('adaptive hedging in virtual time', () => {
  test("afterMs 'pX': each target is hedged at exactly the window's percentile, iff it is slower", async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 20, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...percentiles),
        async (prior, latencies, [spec, q]) => {
          const history = new HedgeHistory({ size: 100, minSamples: 20 });
          for (const x of prior) history.record(x);
          const tau = naiveQuantile(prior, q);
          const clock = new VirtualClock();
          const events: FanOutEvent<number, number>[] = [];
          const r = await fanOut(
            latencies.map((_, i) => i),
            (i, { signal, hedged }) => clock.sleep(hedged ? 0 : latencies[i]!, signal).then(() => i),
            {
              clock,
              hedge: { afterMs: spec as `p${number}`, history },
              onEvent: (e) => events.push(e),
            },
          );
          const hedges = events.filter((e) => e.type === 'hedge');
          // Every primary started at 0 with the prior window: hedge at tau, only when still running then.
          const expected = latencies.flatMap((ms, i) => (ms > tau ? [i] : []));
          expect(hedges.map((e) => e.index).sort((a, b) => a - b)).toEqual(expected);
          for (const e of hedges) expect(e.at).toBe(tau);
          for (const o of r.outcomes) expect(o.settledAt).toBe(Math.min(latencies[o.index]!, tau));
          expect(history.primaries).toBe(latencies.length);
          expect(history.hedges).toBe(expected.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('no hedge is armed while the window holds fewer than minSamples samples', async () => {
    const history = new HedgeHistory({ minSamples: 5 });
    for (const x of [1, 2, 3, 4]) history.record(x);
    const clock = new VirtualClock();
    let hedges = 0;
    await fanOut([0, 1, 2], (_x, { signal }) => clock.sleep(1000, signal), {
      clock,
      hedge: { afterMs: 'p50', history },
      onEvent: (e) => (hedges += e.type === 'hedge' ? 1 : 0),
    });
    expect(hedges).toBe(0);
    // ...and the three answers (1000 ms each) were recorded.
    expect(history.count).toBe(7);
    expect(history.quantile(1)).toBe(1000);
  });

  test('budget: hedges never exceed budget · primary calls, at any moment, across runs sharing a history', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 25 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 3 }),
        fc.oneof(
          fc.constant<'p50' | 'p90'>('p50'),
          fc.constant<'p50' | 'p90'>('p90'),
          fc.integer({ min: 1, max: 100 }),
        ),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        async (runs, budget, max, afterMs, concurrency) => {
          const history = new HedgeHistory({ size: 50, minSamples: 1 });
          let primaries = 0;
          let hedges = 0;
          let wanted = 0;
          for (const latencies of runs) {
            const clock = new VirtualClock();
            await fanOut(latencies, (ms, { signal }) => clock.sleep(ms, signal).then(() => ms), {
              clock,
              concurrency,
              hedge: { afterMs, max, budget, history },
              onEvent: (e) => {
                if (e.type === 'attempt' && !e.hedged) primaries++;
                if (e.type === 'hedge') {
                  hedges++;
                  expect(hedges).toBeLessThanOrEqual(budget * primaries + 1e-9);
                }
              },
            });
            wanted += latencies.length;
            expect(history.hedges).toBe(hedges);
            expect(history.primaries).toBe(primaries);
          }
          expect(primaries).toBe(wanted);
          expect(hedges).toBeLessThanOrEqual(budget * primaries + 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('budget binds: 100 slow calls, budget 10 % and afterMs 1 make exactly 10 hedges', async () => {
    const clock = new VirtualClock();
    let hedges = 0;
    await fanOut(
      Array.from({ length: 100 }, (_, i) => i),
      (_x, { signal }) => clock.sleep(50, signal),
      { clock, hedge: { afterMs: 1, budget: 0.1 }, onEvent: (e) => (hedges += e.type === 'hedge' ? 1 : 0) },
    );
    expect(hedges).toBe(10);
  });
});
