/**
 * What adaptive hedging reads: a sliding window of observed call latencies (for `hedge.afterMs:
 * 'p95'`) and the request/hedge counters a hedge budget is checked against. Share one
 * {@link HedgeHistory} across runs that call the same service so every run starts with the history
 * of the ones before ("defer a hedge until the first request has been outstanding for more than the
 * 95th-percentile expected latency for this class of requests": Dean & Barroso, The Tail at Scale,
 * CACM 56(2), 2013).
 */

/** A HedgeHistory argument was invalid; `field` names it ('size', 'minSamples', 'ms', 'q'). */
export class HedgeHistoryError extends Error {
  override readonly name = 'HedgeHistoryError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`HedgeHistory ${field}: ${message}`);
  }
}

/** Options of {@link HedgeHistory}. */
export interface HedgeHistoryOptions {
  /** Latencies kept (the newest `size` samples), an integer in 1..1,000,000. Default 1000. */
  size?: number;
  /** Samples needed before a percentile `afterMs` arms any hedge (integer ≥ 1, ≤ size). Default 20. */
  minSamples?: number;
}

/**
 * Sliding window of latencies (ms) with exact nearest-rank percentiles, plus the counts of primary
 * calls and hedges made by the runs using it. The window is a ring buffer and a sorted copy kept
 * in step (binary search + one `copyWithin` per sample: O(size) per record, O(1) per percentile).
 */
export class HedgeHistory {
  readonly size: number;
  readonly minSamples: number;
  readonly #ring: Float64Array;
  readonly #sorted: Float64Array;
  #count = 0;
  #head = 0;
  #primaries = 0;
  #hedges = 0;

  /** @throws HedgeHistoryError naming `size` or `minSamples` when out of range. */
  constructor(options: HedgeHistoryOptions = {}) {
    const size = options.size ?? 1000;
    if (!Number.isInteger(size) || size < 1 || size > 1_000_000)
      throw new HedgeHistoryError('size', `must be an integer in 1..1000000, got ${String(size)}`);
    const minSamples = options.minSamples ?? Math.min(20, size);
    if (!Number.isInteger(minSamples) || minSamples < 1 || minSamples > size)
      throw new HedgeHistoryError(
        'minSamples',
        `must be an integer in 1..${size}, got ${String(minSamples)}`,
      );
    this.size = size;
    this.minSamples = minSamples;
    this.#ring = new Float64Array(size);
    this.#sorted = new Float64Array(size);
  }

  /** Samples in the window (≤ size). */
  get count(): number {
    return this.#count;
  }
  /** True once the window holds at least `minSamples` samples. */
  get ready(): boolean {
    return this.#count >= this.minSamples;
  }
  /** Primary (non-hedge) calls started by the runs using this history, retries included. */
  get primaries(): number {
    return this.#primaries;
  }
  /** Hedged duplicates started by the runs using this history. */
  get hedges(): number {
    return this.#hedges;
  }

  /**
   * Add one latency; the oldest is dropped once the window is full.
   * @param ms a finite number ≥ 0 (milliseconds)
   * @throws HedgeHistoryError ('ms') otherwise
   */
  record(ms: number): void {
    if (!(typeof ms === 'number' && ms >= 0 && Number.isFinite(ms)))
      throw new HedgeHistoryError('ms', `must be a finite number >= 0, got ${String(ms)}`);
    const sorted = this.#sorted;
    let n = this.#count;
    if (n === this.size) {
      const old = this.#ring[this.#head]!;
      const at = lowerBound(sorted, n, old);
      sorted.copyWithin(at, at + 1, n);
      n--;
    } else this.#count++;
    this.#ring[this.#head] = ms;
    this.#head = this.#head + 1 === this.size ? 0 : this.#head + 1;
    const at = lowerBound(sorted, n, ms);
    sorted.copyWithin(at + 1, at, n);
    sorted[at] = ms;
  }

  /**
   * Nearest-rank percentile of the window: the smallest sample s with at least ⌈q·count⌉ samples ≤ s.
   * @param q the fraction, 0 < q ≤ 1 (0.95 for p95)
   * @returns ms, or undefined while the window is empty
   * @throws HedgeHistoryError ('q') for q outside (0, 1]
   */
  quantile(q: number): number | undefined {
    if (!(q > 0 && q <= 1)) throw new HedgeHistoryError('q', `must be in (0, 1], got ${String(q)}`);
    const n = this.#count;
    if (n === 0) return undefined;
    return this.#sorted[Math.max(0, Math.ceil(q * n) - 1)];
  }

  /** @internal The engine counts a primary call. */
  notePrimary(): void {
    this.#primaries++;
  }

  /**
   * @internal The engine asks for one hedge under `budget` (fraction of primaries, or undefined for
   * none); counts it and returns true when allowed: hedges stay ≤ budget · primaries at every moment.
   */
  takeHedge(budget: number | undefined): boolean {
    if (budget !== undefined && this.#hedges + 1 > budget * this.#primaries) return false;
    this.#hedges++;
    return true;
  }
}

/** First position in sorted[0..n) whose value is ≥ x. */
function lowerBound(sorted: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Parses a percentile `afterMs` ('p95', 'p99.9', any 'p<x>' with 0 < x < 100) into a fraction.
 * @returns the fraction (0.95 for 'p95'), or undefined when `spec` is not such a string
 */
export function parsePercentile(spec: unknown): number | undefined {
  if (typeof spec !== 'string') return undefined;
  const m = /^p(\d{1,2}(?:\.\d+)?)$/.exec(spec);
  if (m === null) return undefined;
  const x = Number(m[1]);
  return x > 0 && x < 100 ? x / 100 : undefined;
}
