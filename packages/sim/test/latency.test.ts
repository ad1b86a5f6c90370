import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  LATENCY_CEILING_MS,
  LatencySpecError,
  describeLatency,
  latencySpecSchema,
  parseLatency,
  sampleLatency,
  type LatencySpec,
} from '../src/latency.js';
import { createRng } from '../src/rng.js';

function samples(spec: LatencySpec, n: number, seed = 1): number[] {
  const rng = createRng(seed).fork('latency');
  return Array.from({ length: n }, () => sampleLatency(spec, rng));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The error thrown by parseLatency, or fail. */
function parseError(input: unknown, root?: string): LatencySpecError {
  try {
    parseLatency(input, root);
  } catch (e) {
    expect(e).toBeInstanceOf(LatencySpecError);
    return e as LatencySpecError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('sampling', () => {
  test('constant is exact; jitter stays within ± jitter and is clamped at 0', () => {
    expect(samples({ kind: 'constant', ms: 25 }, 50)).toEqual(new Array(50).fill(25));
    const j = samples({ kind: 'constant', ms: 25, jitterMs: 5 }, 2000);
    expect(Math.min(...j)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...j)).toBeLessThanOrEqual(30);
    expect(Math.max(...j) - Math.min(...j)).toBeGreaterThan(9); // jitter really varies
    const low = samples({ kind: 'constant', ms: 1, jitterMs: 10 }, 2000);
    expect(Math.min(...low)).toBe(0);
    expect(low.filter((x) => x === 0).length).toBeGreaterThan(700); // ~45% clamp to 0
  });

  test('uniform is within [min, max) and spreads across it', () => {
    const xs = samples({ kind: 'uniform', minMs: 10, maxMs: 50 }, 5000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThan(50);
    expect(Math.abs(mean(xs) - 30)).toBeLessThan(1);
    expect(samples({ kind: 'uniform', minMs: 7, maxMs: 7 }, 10)).toEqual(new Array(10).fill(7));
  });

  test('normal: mean and sd close to spec, never negative when truncated', () => {
    const xs = samples({ kind: 'normal', meanMs: 50, sdMs: 10 }, 10_000);
    const m = mean(xs);
    const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
    expect(Math.abs(m - 50)).toBeLessThan(0.5);
    expect(Math.abs(sd - 10)).toBeLessThan(0.5);
    const trunc = samples({ kind: 'normal', meanMs: 0, sdMs: 20 }, 5000);
    expect(Math.min(...trunc)).toBeGreaterThanOrEqual(0);
    // Truncation by redraw: a half-normal, mean sd·sqrt(2/π) ≈ 15.96, not a spike of zeros.
    expect(trunc.filter((x) => x === 0).length).toBe(0);
    expect(Math.abs(mean(trunc) - 20 * Math.sqrt(2 / Math.PI))).toBeLessThan(1);
  });

  test('lognormal: median ≈ medianMs over 10k samples', () => {
    const xs = samples({ kind: 'lognormal', medianMs: 40, sigma: 0.5 }, 10_000, 7);
    expect(Math.abs(median(xs) - 40)).toBeLessThan(40 * 0.03);
    expect(Math.min(...xs)).toBeGreaterThan(0);
    // mean of a lognormal is median·exp(σ²/2) ≈ 45.3
    expect(Math.abs(mean(xs) - 40 * Math.exp(0.125))).toBeLessThan(1.5);
    expect(samples({ kind: 'lognormal', medianMs: 40, sigma: 0 }, 5)).toEqual(new Array(5).fill(40));
  });

  test('pareto: min >= scale, heavy tail, median ≈ scale·2^(1/shape), cap respected', () => {
    const xs = samples({ kind: 'pareto', scaleMs: 10, shape: 1.5 }, 10_000, 3);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.abs(median(xs) - 10 * 2 ** (1 / 1.5))).toBeLessThan(0.6);
    expect(Math.max(...xs)).toBeGreaterThan(200); // the tail exists: P(X > 200) ≈ 1.1% per draw
    const capped = samples({ kind: 'pareto', scaleMs: 10, shape: 0.5, capMs: 100, jitterMs: 5 }, 5000, 3);
    expect(Math.max(...capped)).toBe(100);
    expect(Math.min(...capped)).toBeGreaterThanOrEqual(5);
  });

  test('extreme pareto (shape 0.001) stays finite, clamped to the ceiling', () => {
    const xs = samples({ kind: 'pareto', scaleMs: 1, shape: 0.001 }, 200);
    expect(xs.every((x) => Number.isFinite(x) && x >= 1 && x <= LATENCY_CEILING_MS)).toBe(true);
    expect(xs).toContain(LATENCY_CEILING_MS);
  });

  test('property: every valid spec samples finite, >= 0, <= ceiling, and deterministically', () => {
    const ms = fc.double({ min: 0, max: 1e6, noNaN: true });
    const pos = fc.double({ min: 0.001, max: 1e6, noNaN: true });
    const jitter = fc.option(ms, { nil: undefined });
    const specArb: fc.Arbitrary<LatencySpec> = fc.oneof(
      fc.record({ kind: fc.constant('constant' as const), ms, jitterMs: jitter }),
      fc.tuple(ms, ms, jitter).map(([a, b, j]) => ({
        kind: 'uniform' as const,
        minMs: Math.min(a, b),
        maxMs: Math.max(a, b),
        jitterMs: j,
      })),
      fc.record({ kind: fc.constant('normal' as const), meanMs: ms, sdMs: ms, jitterMs: jitter }),
      fc.record({
        kind: fc.constant('lognormal' as const),
        medianMs: pos,
        sigma: fc.double({ min: 0, max: 20, noNaN: true }),
        jitterMs: jitter,
      }),
      fc.record({
        kind: fc.constant('pareto' as const),
        scaleMs: pos,
        shape: fc.double({ min: 0.01, max: 10, noNaN: true }),
        jitterMs: jitter,
      }),
    );
    fc.assert(
      fc.property(specArb, fc.integer({ min: 0, max: 0xffff_ffff }), (raw, seed) => {
        const spec = parseLatency(JSON.parse(JSON.stringify(raw)));
        const a = samples(spec, 20, seed);
        const b = samples(spec, 20, seed);
        expect(a).toEqual(b);
        expect(a.filter((x) => !(Number.isFinite(x) && x >= 0 && x <= LATENCY_CEILING_MS))).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  test('determinism: same seed same samples, different seed different samples', () => {
    const spec: LatencySpec = { kind: 'normal', meanMs: 50, sdMs: 10, jitterMs: 2 };
    expect(samples(spec, 100, 9)).toEqual(samples(spec, 100, 9));
    expect(samples(spec, 100, 9)).not.toEqual(samples(spec, 100, 10));
  });

  test('jitterMs 0 and absent draw identically (no extra draw)', () => {
    expect(samples({ kind: 'uniform', minMs: 0, maxMs: 9, jitterMs: 0 }, 50)).toEqual(
      samples({ kind: 'uniform', minMs: 0, maxMs: 9 }, 50),
    );
  });
});

describe('parseLatency', () => {
  test('accepts each kind, from an object or JSON text, and round-trips through JSON', () => {
    const specs: LatencySpec[] = [
      { kind: 'constant', ms: 5 },
      { kind: 'uniform', minMs: 1, maxMs: 2, jitterMs: 0.5 },
      { kind: 'normal', meanMs: 50, sdMs: 10 },
      { kind: 'lognormal', medianMs: 30, sigma: 0.8 },
      { kind: 'pareto', scaleMs: 10, shape: 1.2, capMs: 3000 },
    ];
    for (const s of specs) {
      expect(parseLatency(s)).toEqual(s);
      expect(parseLatency(JSON.stringify(s))).toEqual(s);
      expect(latencySpecSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
    }
  });

  test('unknown fields are rejected with their path', () => {
    const e = parseError({ kind: 'normal', meanMs: 50, sdMs: 10, jiter: 3 });
    expect(e.issues).toEqual([{ path: 'latency.jiter', message: 'unknown field' }]);
    expect(e.message).toContain('latency.jiter: unknown field');
    const nested = parseError({ kind: 'constant', ms: 1, extra: true }, 'plan.targets.r3.latency');
    expect(nested.message).toContain('plan.targets.r3.latency.extra: unknown field');
  });

  test('negative, non-finite and out-of-range values are rejected with their path', () => {
    const cases: [unknown, string][] = [
      [{ kind: 'constant', ms: -1 }, 'latency.ms'],
      [{ kind: 'constant', ms: 5, jitterMs: -2 }, 'latency.jitterMs'],
      [{ kind: 'uniform', minMs: 10, maxMs: 5 }, 'latency.maxMs'],
      [{ kind: 'normal', meanMs: 5, sdMs: -1 }, 'latency.sdMs'],
      [{ kind: 'lognormal', medianMs: 0, sigma: 1 }, 'latency.medianMs'],
      [{ kind: 'lognormal', medianMs: 5, sigma: -1 }, 'latency.sigma'],
      [{ kind: 'pareto', scaleMs: 10, shape: 0 }, 'latency.shape'],
      [{ kind: 'pareto', scaleMs: 10, shape: 1, capMs: 5 }, 'latency.capMs'],
      [{ kind: 'constant', ms: LATENCY_CEILING_MS + 1 }, 'latency.ms'],
      [{ kind: 'constant', ms: Number.POSITIVE_INFINITY }, 'latency.ms'],
      [{ kind: 'constant', ms: '5' }, 'latency.ms'],
      [{ kind: 'constant' }, 'latency.ms'],
      [{ kind: 'gaussian', meanMs: 1 }, 'latency.kind'],
      [{ ms: 1 }, 'latency.kind'],
    ];
    for (const [input, path] of cases) {
      const e = parseError(input);
      expect(
        e.issues.map((i) => i.path),
        JSON.stringify(input),
      ).toContain(path);
      expect(e.message).toContain(`${path}: `);
      expect(e.name).toBe('LatencySpecError');
    }
  });

  test('non-objects and bad JSON text are rejected at the root', () => {
    expect(parseError(null).issues[0]?.path).toBe('latency');
    expect(parseError(42).issues[0]?.path).toBe('latency');
    const bad = parseError('{"kind": "constant", ms: 1}');
    expect(bad.issues[0]?.path).toBe('latency');
    expect(bad.message).toMatch(/not valid JSON/);
    expect(parseError(null, '').issues[0]?.path).toBe('(root)');
  });
});

describe('describeLatency', () => {
  test('reads like netem', () => {
    expect(describeLatency({ kind: 'normal', meanMs: 50, sdMs: 10 })).toBe('50 ms ± 10 ms normal');
    expect(describeLatency({ kind: 'constant', ms: 5 })).toBe('5 ms constant');
    expect(describeLatency({ kind: 'constant', ms: 5, jitterMs: 1.25 })).toBe(
      '5 ms constant, jitter ± 1.25 ms',
    );
    expect(describeLatency({ kind: 'uniform', minMs: 10, maxMs: 50 })).toBe('10–50 ms uniform');
    expect(describeLatency({ kind: 'lognormal', medianMs: 40, sigma: 0.5 })).toBe(
      'lognormal median 40 ms σ 0.5',
    );
    expect(describeLatency({ kind: 'pareto', scaleMs: 10, shape: 1.5, capMs: 2000 })).toBe(
      'pareto scale 10 ms shape 1.5 cap 2000 ms',
    );
    expect(describeLatency({ kind: 'pareto', scaleMs: 10, shape: 1 / 3 })).toBe(
      'pareto scale 10 ms shape 0.333',
    );
  });
});
