/**
 * The model: multinomial logistic (softmax) regression on plain typed arrays, trained with
 * mini-batch SGD on the mean cross-entropy loss. Small enough to read in one sitting, real enough
 * that federated averaging, poisoning and robust aggregation behave as they do on larger models.
 *
 * Parameters are one Float64Array of length `classes · (features + 1)`: row c holds class c's
 * weights (`features` numbers), then the `classes` biases. logits_c = b_c + Σ_j W[c,j] x_j,
 * p = softmax(logits), loss = mean_i −log p_{y_i}; ∂loss/∂W[c,j] = mean_i (p_c − [y_i = c]) x_ij,
 * ∂loss/∂b_c = mean_i (p_c − [y_i = c]).
 */
import { PrimeInputError } from './errors.js';

/** Shape of a softmax-regression model. */
export interface ModelShape {
  /** Input features per sample. */
  readonly features: number;
  /** Output classes. */
  readonly classes: number;
}

/** A labelled data set: `x` row-major (n × features), `y` class indexes in 0..classes−1. */
export interface Dataset extends ModelShape {
  readonly n: number;
  readonly x: Float64Array;
  readonly y: Int32Array;
}

/** Loss and accuracy of a model on a data set. */
export interface Evaluation {
  /** Mean cross-entropy, nats. */
  readonly loss: number;
  /** Fraction of samples whose argmax class is the label, 0..1. */
  readonly accuracy: number;
}

/** Number of parameters of a model of this shape: classes · (features + 1). */
export function paramCount(shape: ModelShape): number {
  return shape.classes * (shape.features + 1);
}

/** A zero-initialised model (every class equally likely: loss ln(classes)). */
export function initialParams(shape: ModelShape): Float64Array {
  return new Float64Array(paramCount(shape));
}

function checkParams(params: Float64Array, shape: ModelShape): void {
  if (params.length !== paramCount(shape))
    throw new PrimeInputError('params', [
      { path: 'params.length', message: `expected ${paramCount(shape)}, got ${params.length}` },
    ]);
}

/** Class probabilities of sample i into `out` (length classes). */
function probabilities(params: Float64Array, data: Dataset, i: number, out: Float64Array): void {
  const { features: d, classes: c } = data;
  let max = -Infinity;
  for (let k = 0; k < c; k++) {
    let z = params[c * d + k]!;
    for (let j = 0; j < d; j++) z += params[k * d + j]! * data.x[i * d + j]!;
    out[k] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let k = 0; k < c; k++) {
    const e = Math.exp(out[k]! - max);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < c; k++) out[k] = out[k]! / sum;
}

/**
 * Mean cross-entropy and accuracy of `params` on `data` (ties in the argmax go to the lower class).
 * @throws PrimeInputError('params') when params.length ≠ classes · (features + 1).
 */
export function evaluate(params: Float64Array, data: Dataset): Evaluation {
  checkParams(params, data);
  if (data.n === 0) return { loss: 0, accuracy: 0 };
  const p = new Float64Array(data.classes);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < data.n; i++) {
    probabilities(params, data, i, p);
    const y = data.y[i]!;
    loss -= Math.log(Math.max(p[y]!, 1e-300));
    let best = 0;
    for (let k = 1; k < data.classes; k++) if (p[k]! > p[best]!) best = k;
    if (best === y) correct++;
  }
  return { loss: loss / data.n, accuracy: correct / data.n };
}

/**
 * Gradient of the mean cross-entropy over the samples `rows` (indexes into `data`).
 * @returns a fresh Float64Array of the parameters' length (zeros for an empty `rows`).
 */
export function gradient(params: Float64Array, data: Dataset, rows: ArrayLike<number>): Float64Array {
  checkParams(params, data);
  const { features: d, classes: c } = data;
  const g = new Float64Array(params.length);
  if (rows.length === 0) return g;
  const p = new Float64Array(c);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    probabilities(params, data, i, p);
    const y = data.y[i]!;
    for (let k = 0; k < c; k++) {
      const err = p[k]! - (k === y ? 1 : 0);
      for (let j = 0; j < d; j++) g[k * d + j]! += err * data.x[i * d + j]!;
      g[c * d + k]! += err;
    }
  }
  for (let q = 0; q < g.length; q++) g[q]! /= rows.length;
  return g;
}

/** Options of {@link localTrain}. */
export interface TrainOptions {
  /** Passes over the data (integer ≥ 1). */
  readonly epochs: number;
  /** SGD step size (> 0). */
  readonly learningRate: number;
  /** Samples per step (integer ≥ 1; the last batch of an epoch may be smaller). */
  readonly batchSize: number;
  /**
   * Uniform [0, 1) source for shuffling each epoch (a seeded stream in simulation). Absent:
   * samples are visited in order, every epoch the same.
   */
  readonly random?: () => number;
}

/**
 * Mini-batch SGD from `params` on `data`; the input is not modified.
 * @returns the trained parameters (a fresh array) and the number of steps taken.
 * @throws PrimeInputError('params') for a wrong-length `params`.
 */
export function localTrain(
  params: Float64Array,
  data: Dataset,
  options: TrainOptions,
): { params: Float64Array; steps: number } {
  checkParams(params, data);
  const w = Float64Array.from(params);
  const order = Int32Array.from({ length: data.n }, (_, i) => i);
  let steps = 0;
  for (let e = 0; e < options.epochs; e++) {
    if (options.random !== undefined) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(options.random() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
    }
    for (let start = 0; start < data.n; start += options.batchSize) {
      const g = gradient(w, data, order.subarray(start, Math.min(data.n, start + options.batchSize)));
      for (let q = 0; q < w.length; q++) w[q]! -= options.learningRate * g[q]!;
      steps++;
    }
  }
  return { params: w, steps };
}
