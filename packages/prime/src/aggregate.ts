/**
 * Aggregation rules over model updates (parameter deltas), the plain one and the robust ones:
 *
 * - FedAvg: the mean weighted by sample counts — McMahan, Moore, Ramage, Hampson, Agüera y Arcas,
 *   "Communication-Efficient Learning of Deep Networks from Decentralized Data", AISTATS 2017.
 *   One Byzantine update can move it arbitrarily far.
 * - Coordinate-wise median and coordinate-wise β-trimmed mean — Yin, Chen, Ramchandran, Bartlett,
 *   "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates", ICML 2018
 *   (Definitions 1 and 2: per coordinate, the median; or the mean after removing the β·n largest
 *   and β·n smallest values). Unweighted, as in the paper.
 * - Krum and Multi-Krum — Blanchard, El Mhamdi, Guerraoui, Stainer, "Machine Learning with
 *   Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017 (§4: score(i) = Σ of the squared
 *   distances from V_i to its n − f − 2 closest other vectors; Krum picks the lowest score, needs
 *   n > 2f + 2; §6: Multi-Krum averages the m vectors with the lowest scores).
 *
 * Ties (equal scores) go to the update listed first, so every rule is a pure function of its
 * input order and values.
 */
import type { AggregationRule, AggregationRuleInput } from './config.js';
import { PrimeInputError } from './errors.js';

/** What a rule needs of an update: its delta and how many samples it was trained on. */
export interface AggregationInput {
  readonly delta: ArrayLike<number>;
  /** Samples behind the update (FedAvg weight), > 0. */
  readonly numSamples: number;
}

/** A rule with every parameter resolved for a given number of updates. */
export type ResolvedRule =
  | { kind: 'fedavg' }
  | { kind: 'mean' }
  | { kind: 'median' }
  | { kind: 'trimmed-mean'; trim: number; k: number }
  | { kind: 'krum'; f: number }
  | { kind: 'multi-krum'; f: number; m: number };

function bad(field: string, message: string): PrimeInputError {
  return new PrimeInputError(field, [{ path: field, message }]);
}

/** Largest f Krum accepts for n updates: n > 2f + 2, i.e. ⌊(n − 3) / 2⌋ (at least 0). */
export function maxKrumF(n: number): number {
  return Math.max(0, Math.floor((n - 3) / 2));
}

/**
 * Fill in a rule's parameters for n updates: Krum's f defaults to ⌊byzantineTolerance · n⌋ capped
 * at {@link maxKrumF}; multi-Krum's m defaults to n − f; trimmed mean's k = ⌊trim · n⌋.
 * @throws PrimeInputError('rule.f') when an explicit f breaks n > 2f + 2; ('rule.m') when m > n.
 */
export function resolveRule(rule: AggregationRuleInput, n: number, byzantineTolerance = 0.33): ResolvedRule {
  switch (rule.kind) {
    case 'fedavg':
    case 'mean':
    case 'median':
      return { kind: rule.kind };
    case 'trimmed-mean': {
      const trim = rule.trim ?? 0.2;
      if (!(trim >= 0 && trim < 0.5)) throw bad('rule.trim', `must be in [0, 0.5), got ${trim}`);
      return { kind: 'trimmed-mean', trim, k: Math.floor(trim * n) };
    }
    case 'krum':
    case 'multi-krum': {
      const f = rule.f ?? Math.min(Math.floor(byzantineTolerance * n), maxKrumF(n));
      if (!Number.isInteger(f) || f < 0 || n <= 2 * f + 2)
        throw bad('rule.f', `Krum needs n > 2f + 2 (n = ${n}, f = ${f})`);
      if (rule.kind === 'krum') return { kind: 'krum', f };
      const m = rule.m ?? n - f;
      if (!Number.isInteger(m) || m < 1 || m > n)
        throw bad('rule.m', `must be an integer in 1..${n}, got ${m}`);
      return { kind: 'multi-krum', f, m };
    }
  }
}

function checkInputs(updates: readonly AggregationInput[]): number {
  if (updates.length === 0) throw bad('updates', 'nothing to aggregate');
  const dim = updates[0]!.delta.length;
  updates.forEach((u, i) => {
    if (u.delta.length !== dim) throw bad(`updates.${i}.delta`, `length ${u.delta.length}, expected ${dim}`);
    for (let q = 0; q < dim; q++)
      if (!Number.isFinite(u.delta[q]!)) throw bad(`updates.${i}.delta.${q}`, 'not a finite number');
  });
  return dim;
}

/** Mean of `updates` weighted by `weights` (a fresh array). */
function weightedMean(
  updates: readonly AggregationInput[],
  weights: readonly number[],
  dim: number,
): Float64Array {
  const out = new Float64Array(dim);
  const total = weights.reduce((a, b) => a + b, 0);
  updates.forEach((u, i) => {
    const w = weights[i]! / total;
    for (let q = 0; q < dim; q++) out[q]! += w * u.delta[q]!;
  });
  return out;
}

/** Per coordinate: sort the n values and reduce them with `pick`. */
function coordinatewise(
  updates: readonly AggregationInput[],
  dim: number,
  pick: (sorted: Float64Array) => number,
): Float64Array {
  const out = new Float64Array(dim);
  const column = new Float64Array(updates.length);
  for (let q = 0; q < dim; q++) {
    updates.forEach((u, i) => (column[i] = u.delta[q]!));
    column.sort();
    out[q] = pick(column);
  }
  return out;
}

/** Median of a sorted array (mean of the two middle values for an even length). */
function medianOfSorted(s: Float64Array): number {
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Squared Euclidean distance. */
export function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let q = 0; q < a.length; q++) s += (a[q]! - b[q]!) ** 2;
  return s;
}

/**
 * Krum scores (Blanchard et al. 2017, §4): for each update, the sum of squared distances to its
 * n − f − 2 nearest other updates.
 * @throws PrimeInputError('rule.f') unless n > 2f + 2.
 */
export function krumScores(updates: readonly AggregationInput[], f: number): number[] {
  const n = updates.length;
  if (n <= 2 * f + 2) throw bad('rule.f', `Krum needs n > 2f + 2 (n = ${n}, f = ${f})`);
  const keep = n - f - 2;
  return updates.map((u, i) => {
    const d = updates.filter((_, j) => j !== i).map((v) => squaredDistance(u.delta, v.delta));
    d.sort((a, b) => a - b);
    return d.slice(0, keep).reduce((a, b) => a + b, 0);
  });
}

/** Indexes of the `m` lowest Krum scores, lowest first (ties: lower index first). */
export function krumSelect(updates: readonly AggregationInput[], f: number, m: number): number[] {
  const scores = krumScores(updates, f);
  return scores
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .slice(0, m)
    .map((x) => x.i);
}

/**
 * The aggregate of `updates` under `rule` (see the module docstring for each rule and its paper).
 * A pure function: an oracle can call it on exactly the updates a round accepted and compare.
 *
 * @param updates deltas of equal length with their sample counts (FedAvg weights)
 * @param rule the rule; Krum's f / multi-Krum's m / the trim are resolved with {@link resolveRule}
 * @param byzantineTolerance used only to default Krum's f (default 0.33)
 * @returns the aggregate delta (a fresh Float64Array)
 * @throws PrimeInputError naming the field: 'updates' (empty), 'updates.i.delta' (length mismatch
 *   or a non-finite value), 'updates.i.numSamples' (FedAvg weight not > 0), 'rule.f', 'rule.m', 'rule.trim'.
 */
export function aggregateOf(
  updates: readonly AggregationInput[],
  rule: AggregationRule | AggregationRuleInput | ResolvedRule,
  byzantineTolerance = 0.33,
): Float64Array {
  const dim = checkInputs(updates);
  const r = resolveRule(rule as AggregationRuleInput, updates.length, byzantineTolerance);
  switch (r.kind) {
    case 'fedavg':
      updates.forEach((u, i) => {
        if (!(u.numSamples > 0 && Number.isFinite(u.numSamples)))
          throw bad(`updates.${i}.numSamples`, `must be a finite number > 0, got ${u.numSamples}`);
      });
      return weightedMean(
        updates,
        updates.map((u) => u.numSamples),
        dim,
      );
    case 'mean':
      return weightedMean(
        updates,
        updates.map(() => 1),
        dim,
      );
    case 'median':
      return coordinatewise(updates, dim, medianOfSorted);
    case 'trimmed-mean':
      return coordinatewise(updates, dim, (s) => {
        let sum = 0;
        for (let i = r.k; i < s.length - r.k; i++) sum += s[i]!;
        return sum / (s.length - 2 * r.k);
      });
    case 'krum':
      return Float64Array.from(updates[krumSelect(updates, r.f, 1)[0]!]!.delta);
    case 'multi-krum': {
      const chosen = krumSelect(updates, r.f, r.m).map((i) => updates[i]!);
      return weightedMean(
        chosen,
        chosen.map(() => 1),
        dim,
      );
    }
  }
}

/** Euclidean norm. */
export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let q = 0; q < a.length; q++) s += a[q]! ** 2;
  return Math.sqrt(s);
}

/** Cosine similarity a·b / (‖a‖‖b‖) in [−1, 1]; 0 when either vector is all zeros. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  for (let q = 0; q < a.length; q++) dot += a[q]! * b[q]!;
  const d = norm(a) * norm(b);
  return d === 0 ? 0 : Math.max(-1, Math.min(1, dot / d));
}
