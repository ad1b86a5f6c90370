/**
 * The Prime parties of a kernel World: N simulated trainers (@fanout/sim-prime's hono app, real SGD
 * on their own shard) served as plan targets `trainer-0` … `trainer-(N−1)` (SimNetwork in sim, real
 * HTTP servers on 127.0.0.1 live), and a Coordinator (@fanout/prime) reaching them over the world's
 * fetch, with every trainer registered and an append-only round log that outlives it, so a crash
 * (`close()`) and a restart ({@link PrimeParties.restart}) recover from what was logged.
 *
 * Everything time-dependent runs on `world.clock`; every random draw comes from a fork of
 * `world.rng` ('data', 'trainer:<id>', 'coordinator'); trainers read their Byzantine behaviours
 * from the world's fault plan (`behave` rules) at plan time, so an oracle reads the same plan.
 */
import {
  Coordinator,
  MemoryRoundLog,
  httpTrainerTransport,
  loadIris,
  parseCoordinatorConfig,
  prepareFederatedData,
  syntheticDataset,
  type CoordinatorConfig,
  type CoordinatorConfigInput,
  type CoordinatorEvent,
  type FederatedData,
} from '@fanout/prime';
import { createTrainer, type Trainer } from '@fanout/sim-prime';
import { rngBytesFn, type Rng } from '@fanout/sim';
import type { World } from '../kernel/world.js';

/** Plan target (and node id) of trainer `i`. */
export function trainerId(i: number): string {
  return `trainer-${i}`;
}

/** Plan target of the coordinator: a `crash` rule on it is a coordinator crash (prime.no-update-lost). */
export const COORDINATOR = 'coordinator';

/**
 * The data a world trains on:
 * - 'synthetic': seeded Gaussian blobs, 4 features, 3 classes, 200 samples a trainer (160 for
 *   training), trained full-batch; honest updates agree with the median (cosine ≥ 0.93 measured,
 *   docs/prime.md), so the seed's 0.8 similarity threshold holds;
 * - 'iris': the 150 Iris samples, mini-batches of 8; honest cosines can fall near 0, so the
 *   similarity threshold is lowered to 0 (a sign test), as the library's author measured.
 */
export type PrimeData = 'synthetic' | 'iris';

/** What a Prime world holds besides the plan. */
export interface PrimeWorldSpec {
  /** Number of trainers (node ids `trainer-0…`). */
  readonly trainers: number;
  /** Default 'synthetic'. */
  readonly data?: PrimeData;
  /** Compute time of every task, ms on the world's clock (constant, so oracles know it). */
  readonly computeMs: number;
  /** Coordinator config over the data set's defaults (see {@link dataConfig}). */
  readonly config?: CoordinatorConfigInput;
  /** Coordinator events (progress board, trace). */
  readonly onEvent?: (e: CoordinatorEvent) => void;
}

/** The Prime side of a world. */
export interface PrimeParties {
  readonly nodeIds: readonly string[];
  readonly trainers: readonly Trainer[];
  /** Trainer base URLs by index. */
  readonly urls: readonly string[];
  readonly data: FederatedData;
  /** The round log every coordinator of this world writes (kept across restarts). */
  readonly log: MemoryRoundLog;
  /** The coordinator config in force (defaults filled in). */
  readonly config: CoordinatorConfig;
  /** The current coordinator (replaced by {@link restart}). */
  readonly coordinator: Coordinator;
  /** Close the current coordinator (a crash: it writes nothing more) and open a new one on the same log. */
  restart(): Promise<Coordinator>;
  /** A new coordinator with its own fresh log, trainers registered (a second, independent run). */
  fresh(config?: CoordinatorConfigInput): Promise<Coordinator>;
}

/** Samples per trainer of the synthetic set (before the held-out split of 1 in 5). */
export const SYNTHETIC_SAMPLES_PER_TRAINER = 200;

/** The config a data set needs (see {@link PrimeData}); the caller's config goes over it. */
export function dataConfig(data: PrimeData): CoordinatorConfigInput {
  return data === 'iris'
    ? { detection: { similarityThreshold: 0 }, training: { batchSize: 8, learningRate: 0.1 } }
    : { training: { batchSize: 10_000, learningRate: 0.1 } };
}

/** `over` on top of `base`, nested objects merged one level deep (detection, training, …). */
export function mergeConfig(
  base: CoordinatorConfigInput,
  over: CoordinatorConfigInput = {},
): CoordinatorConfigInput {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null
        ? { ...(b as object), ...(v as object) }
        : v;
  }
  return out as CoordinatorConfigInput;
}

/** Federated data shuffled and sharded IID from `stream` (a world's 'data' fork). */
export function federatedData(stream: Rng, trainers: number, data: PrimeData): FederatedData {
  const random = (): number => stream.float();
  const raw =
    data === 'iris'
      ? loadIris()
      : syntheticDataset(random, { samples: SYNTHETIC_SAMPLES_PER_TRAINER * trainers, separation: 2 });
  return prepareFederatedData(raw, { trainers, random });
}

/**
 * Build the Prime parties in `world` (see the module docstring): serve every trainer, open the
 * coordinator on a fresh log and register every trainer with it (registration counts as a
 * heartbeat at the world's current time).
 * @throws PrimeConfigError for a bad config; PrimeInputError for a trainer count the data cannot shard;
 *   (live) the listen error of a trainer server.
 */
export async function buildPrimeWorld(world: World, spec: PrimeWorldSpec): Promise<PrimeParties> {
  const data = spec.data ?? 'synthetic';
  const fed = federatedData(world.rng.fork('data'), spec.trainers, data);
  const config = parseCoordinatorConfig(mergeConfig(dataConfig(data), spec.config));
  const nodeIds = Array.from({ length: spec.trainers }, (_, i) => trainerId(i));
  const trainers = nodeIds.map((nodeId, i) =>
    createTrainer({
      nodeId,
      shard: fed.shards[i]!,
      clock: world.clock,
      rng: world.rng.fork(`trainer:${nodeId}`),
      computeLatency: { kind: 'constant', ms: spec.computeMs },
      behaviours: () => world.injector.behaviours(nodeId, world.elapsed()),
      capabilities: ['cpu'],
    }),
  );
  const urls = await Promise.all(
    trainers.map((t) =>
      world.serveHttp(
        t.nodeId,
        (request) => t.app.fetch(request),
        () => t.loseState(),
      ),
    ),
  );
  const randomBytes = rngBytesFn(world.rng.fork('coordinator'));
  const transport = httpTrainerTransport({ fetch: world.fetch });
  const open = async (log: MemoryRoundLog, c: CoordinatorConfigInput): Promise<Coordinator> => {
    const coordinator = await Coordinator.open({
      id: 'coordinator-001',
      clock: world.clock,
      randomBytes,
      transport,
      model: { shape: fed.shape, testSet: fed.test },
      log,
      config: c,
      ...(spec.onEvent !== undefined && { onEvent: spec.onEvent }),
    });
    world.defer(() => coordinator.close());
    return coordinator;
  };
  const register = async (c: Coordinator): Promise<void> => {
    for (const [i, nodeId] of nodeIds.entries())
      await c.addNode({ nodeId, endpoint: urls[i]!, capabilities: ['cpu'] });
  };
  const log = new MemoryRoundLog();
  let coordinator = await open(log, config);
  await register(coordinator);
  return {
    nodeIds,
    trainers,
    urls,
    data: fed,
    log,
    config,
    get coordinator() {
      return coordinator;
    },
    async restart() {
      coordinator.close();
      coordinator = await open(log, config);
      return coordinator;
    },
    async fresh(over) {
      const c = await open(new MemoryRoundLog(), parseCoordinatorConfig(mergeConfig(config, over)));
      await register(c);
      return c;
    },
  };
}
