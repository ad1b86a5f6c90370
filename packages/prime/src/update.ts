/**
 * Training tasks and model updates: their JSON wire shapes (zod), and the structural checks an
 * update must pass before it may take part in a round (identity, version, shape, finiteness,
 * never seen before). Similarity screening happens later, over the whole round (screen.ts).
 *
 * On the JSON wire NaN and ±Infinity become `null` (JSON.stringify), so a delta is read as
 * `(number | null)[]` and a null is reported as 'non-finite', not as a schema error.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PrimeInputError, UpdateRejectedError } from './errors.js';
import { schemaIssues } from './schema.js';

const id = z.string().min(1).max(128);
const whole = z.number().int().min(0);

/** What the coordinator sends a trainer: train the model `params` (version `modelVersion`) for round `round`. */
export const trainingTaskSchema = z
  .object({
    taskId: id,
    /** Always 'gradient_computation' (the seed's task_type). */
    taskType: z.literal('gradient_computation'),
    round: whole,
    modelVersion: whole,
    /** The global model, flattened (see model.ts for the layout). */
    params: z.array(z.number()),
    epochs: z.number().int().min(1),
    learningRate: z.number().positive(),
    batchSize: z.number().int().min(1),
    /** Coordinator clock time the task was issued, ms. */
    issuedAt: z.number(),
    /** Time allowed for the answer, ms (the round's per-node task timeout). */
    timeoutMs: z.number().positive(),
  })
  .strict();
export type TrainingTask = z.output<typeof trainingTaskSchema>;

/** What a trainer answers: the change it proposes to the model, and on how many samples. */
export const modelUpdateWireSchema = z
  .object({
    /** Unique per update (trainer-chosen, e.g. 16 random bytes in hex). */
    updateId: id,
    nodeId: id,
    round: whole,
    /** Version of the model the delta was computed from. */
    modelVersion: whole,
    /** Samples trained on (FedAvg weight); null on the wire = NaN. */
    numSamples: z.number().nullable(),
    /** New params − task params, flattened; null on the wire = NaN / ±Infinity. */
    delta: z.array(z.number().nullable()).max(1_000_000),
    /** Mean training loss on the shard after local training (informative only). */
    trainLoss: z.number().nullable().optional(),
  })
  .strict();
export type ModelUpdateWire = z.output<typeof modelUpdateWireSchema>;

/** A structurally valid update, as the coordinator keeps it. */
export interface ModelUpdate {
  readonly updateId: string;
  readonly nodeId: string;
  readonly round: number;
  readonly modelVersion: number;
  readonly numSamples: number;
  readonly delta: Float64Array;
  /** SHA-256 of the delta's float64 little-endian bytes, hex (the replay key). */
  readonly digest: string;
}

/**
 * Parse a training task received on the wire.
 * @throws PrimeInputError whose field is the first bad path, e.g. 'task.params.3'.
 */
export function parseTrainingTask(input: unknown): TrainingTask {
  const r = trainingTaskSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = schemaIssues(r.error, 'task');
  throw new PrimeInputError(issues[0]?.path ?? 'task', issues);
}

/** SHA-256 (hex) of a delta's float64 little-endian bytes. */
export function deltaDigest(delta: Float64Array): string {
  const bytes = new Uint8Array(delta.length * 8);
  const view = new DataView(bytes.buffer);
  delta.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return createHash('sha256').update(bytes).digest('hex');
}

/** What has been seen already, across rounds (rebuilt from the round log after a restart). */
export interface SeenUpdates {
  /** Update ids received. */
  readonly ids: ReadonlySet<string>;
  /** `${nodeId}/${round}` pairs received. */
  readonly nodeRounds: ReadonlySet<string>;
  /** Digests of deltas received. */
  readonly digests: ReadonlySet<string>;
}

/** What the round expects of one node's update. */
export interface UpdateExpectation {
  readonly nodeId: string;
  readonly round: number;
  readonly modelVersion: number;
  /** Parameter count of the model. */
  readonly dim: number;
}

const reject = (reason: ConstructorParameters<typeof UpdateRejectedError>[0], message: string) =>
  new UpdateRejectedError(reason, message);

/**
 * Check one update received from `expect.nodeId` for a round, in this order: wire schema
 * ('malformed'), update id or (node, round) already received ('duplicate'), other node or other
 * round ('malformed'), other model version ('stale'), delta length ('wrong-shape'), NaN / ±Infinity
 * / null in the delta or a sample count that is not a finite number > 0 ('non-finite'), a delta
 * already received byte for byte ('replay').
 * @returns the update with its delta as a Float64Array and its digest.
 * @throws UpdateRejectedError with the reason that fired first.
 */
export function checkUpdate(input: unknown, expect: UpdateExpectation, seen: SeenUpdates): ModelUpdate {
  const r = modelUpdateWireSchema.safeParse(input);
  if (!r.success) {
    const issues = schemaIssues(r.error, 'update');
    throw reject('malformed', issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
  const u = r.data;
  if (seen.ids.has(u.updateId)) throw reject('duplicate', `update id ${u.updateId} was already received`);
  if (seen.nodeRounds.has(`${expect.nodeId}/${expect.round}`))
    throw reject('duplicate', `node ${expect.nodeId} already sent an update for round ${expect.round}`);
  if (u.nodeId !== expect.nodeId)
    throw reject('malformed', `update names node ${u.nodeId}, sent by ${expect.nodeId}`);
  if (u.round !== expect.round)
    throw reject('malformed', `update is for round ${u.round}, not ${expect.round}`);
  if (u.modelVersion !== expect.modelVersion)
    throw reject(
      'stale',
      `trained on model version ${u.modelVersion}, the round's is ${expect.modelVersion}`,
    );
  if (u.delta.length !== expect.dim)
    throw reject('wrong-shape', `delta has ${u.delta.length} values, the model has ${expect.dim}`);
  const delta = new Float64Array(expect.dim);
  for (let q = 0; q < expect.dim; q++) {
    const v = u.delta[q];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw reject('non-finite', `delta[${q}] is ${String(v)}`);
    delta[q] = v;
  }
  if (u.numSamples === null || !Number.isFinite(u.numSamples) || u.numSamples <= 0)
    throw reject('non-finite', `numSamples must be a finite number > 0, got ${String(u.numSamples)}`);
  const digest = deltaDigest(delta);
  if (seen.digests.has(digest))
    throw reject('replay', `the same delta was already received (sha256 ${digest.slice(0, 16)}…)`);
  return {
    updateId: u.updateId,
    nodeId: u.nodeId,
    round: u.round,
    modelVersion: u.modelVersion,
    numSamples: u.numSamples,
    delta,
    digest,
  };
}
