import { describe, expect, test } from 'vitest';
import { LatencySpecError } from '../src/latency.js';
import {
  describeMixtureLatency,
  parseMixtureLatency,
  sampleMixtureLatency,
  slowServerLatency,
} from '../src/mixture-latency.js';
import { createRng } from '../src/rng.js';

const fast = { kind: 'lognormal', medianMs: 10, sigma: 0.5 } as const;
const slow = { kind: 'pareto', scaleMs: 1000, shape: 3 } as const;

describe('mixture latency', () => {
  test('1-in-100 slow: about 1 % of 100,000 draws are >= 1 s, the rest follow the fast model', () => {
    const spec = slowServerLatency(fast, slow, 0.01);
    const rng = createRng(7).fork('mix');
    let slowCount = 0;
    const fastDraws: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const x = sampleMixtureLatency(spec, rng);
      if (x >= 1000) slowCount++;
      else fastDraws.push(x);
    }
    // Binomial(100k, 0.01): sd ≈ 31.5; the fast lognormal exceeds 1 s with odds ~1e-20.
    expect(slowCount).toBeGreaterThan(1000 - 160);
    expect(slowCount).toBeLessThan(1000 + 160);
    fastDraws.sort((a, b) => a - b);
    const median = fastDraws[fastDraws.length >> 1]!;
    expect(median).toBeGreaterThan(9.5);
    expect(median).toBeLessThan(10.5);
  });

  test('same seed and label give the same draws', () => {
    const spec = slowServerLatency(fast, slow, 0.2);
    const draw = (): number[] => {
      const rng = createRng(3).fork('x');
      return Array.from({ length: 50 }, () => sampleMixtureLatency(spec, rng));
    };
    expect(draw()).toEqual(draw());
  });

  test('bad specs name the path', () => {
    const issue = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(LatencySpecError);
        return (e as LatencySpecError).issues.map((i) => i.path).join(',');
      }
      throw new Error('expected a LatencySpecError');
    };
    expect(issue(() => slowServerLatency(fast, slow, 1))).toBe('latency.slowFraction');
    expect(
      issue(() => parseMixtureLatency({ kind: 'mixture', components: [{ weight: 0, latency: fast }] })),
    ).toBe('latency.components.0.weight');
    expect(issue(() => parseMixtureLatency({ kind: 'mixture', components: [] }))).toBe('latency.components');
    expect(issue(() => parseMixtureLatency('{'))).toBe('latency');
  });

  test('describe', () => {
    expect(describeMixtureLatency(slowServerLatency(fast, slow, 0.01))).toBe(
      'mixture of 99 % lognormal median 10 ms σ 0.5, 1 % pareto scale 1000 ms shape 3',
    );
  });
});
