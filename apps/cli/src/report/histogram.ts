/**
 * Equal-width histograms with "nice" bin widths (1, 2 or 5 × 10^k ms), for the latency charts of
 * the reports: round-trip times of one run's exchanges, decision times over a scenario's runs.
 * Pure: the same values always give the same bins.
 */

/** One bin: values v with fromMs <= v < toMs (the last bin also holds v === toMs). */
export interface Bin {
  readonly fromMs: number;
  readonly toMs: number;
  readonly count: number;
}

/** A histogram of `count` finite values; `bins` is empty when there were none. */
export interface Histogram {
  readonly bins: readonly Bin[];
  readonly count: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** A histogram was asked for with a bad bin limit. */
export class HistogramError extends Error {
  override readonly name = 'HistogramError';
}

/** The smallest 1/2/5 × 10^k that is >= x (x > 0). */
export function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/**
 * Bin `values` (ms; non-finite values are left out) into at most `maxBins` bins of one nice
 * width, starting at a multiple of that width. All-equal values give one bin of width 1 ms.
 * @param maxBins an integer from 1 to 1000 (default 20)
 * @throws HistogramError for another maxBins.
 */
export function histogram(values: readonly number[], maxBins = 20): Histogram {
  if (!Number.isInteger(maxBins) || maxBins < 1 || maxBins > 1000)
    throw new HistogramError(`maxBins must be an integer from 1 to 1000, got ${maxBins}`);
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return { bins: [], count: 0, minMs: 0, maxMs: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (const v of xs) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  let width = max > min ? niceStep((max - min) / maxBins) : 1;
  let start = Math.floor(min / width) * width;
  let n = Math.max(1, Math.ceil((max - start) / width));
  // Aligning the start to the width can need one bin more than maxBins: take the next nice width.
  while (n > maxBins) {
    width = niceStep(width * 1.000001);
    start = Math.floor(min / width) * width;
    n = Math.max(1, Math.ceil((max - start) / width));
  }
  const counts = new Array<number>(n).fill(0);
  for (const v of xs) counts[Math.min(n - 1, Math.floor((v - start) / width))]!++;
  return {
    bins: counts.map((count, i) => ({ fromMs: start + i * width, toMs: start + (i + 1) * width, count })),
    count: xs.length,
    minMs: min,
    maxMs: max,
  };
}
