/**
 * A whole federated run in virtual time, ready to drive from a test or a scenario: a VirtualClock,
 * a seeded SimNetwork with the fault plan, N trainers bound on it (each with its shard, compute-time
 * model and plan behaviours), and a Coordinator talking to them over the network's fetch with every
 * trainer registered. `restartCoordinator()` simulates a coordinator crash and restart from the
 * same round log.
 *
 * Random streams (all from `createRng(seed)`): 'net' (the network and plan draws), 'data' (IID
 * shuffle, synthetic data), 'trainer:<id>' (each trainer), 'coordinator' (task ids).
 */
import { VirtualClock } from '@fanout/core';
import {
  Coordinator,
  MemoryRoundLog,
  httpTrainerTransport,
  loadIris,
  prepareFederatedData,
  syntheticDataset,
  uniformFrom,
  type CoordinatorConfigInput,
  type CoordinatorEvent,
  type FederatedData,
  type RoundLog,
  type SyntheticOptions,
} from '@fanout/prime';
import {
  SimNetwork,
  createRng,
  parseFaultPlan,
  rngBytesFn,
  type FaultPlan,
  type FaultPlanInput,
  type LatencySpec,
  type SeededRng,
  type TraceSink,
} from '@fanout/sim';
import { bindTrainer, type BoundTrainer } from './network.js';

/** Options of {@link createPrimeSimWorld}. */
export interface PrimeSimWorldOptions {
  readonly seed: number;
  /** Trainers (default 10), node ids `trainer-0` … `trainer-(n−1)`. */
  readonly trainers?: number;
  /** 'iris' (default) or a seeded synthetic set. */
  readonly dataset?: 'iris' | { readonly synthetic: SyntheticOptions };
  readonly sharding?: 'iid' | 'non-iid';
  /** The fault plan (latency, faults, `behave` rules naming trainer ids). Default: none. */
  readonly plan?: FaultPlan | FaultPlanInput;
  /** Compute time per task, for all trainers or per trainer index. Default: constant 100 ms. */
  readonly computeLatency?: LatencySpec | ((index: number) => LatencySpec | undefined);
  /** Capabilities per trainer index. Default ['cpu']. */
  readonly capabilities?: (index: number) => readonly string[];
  readonly config?: CoordinatorConfigInput;
  /** Default: a fresh MemoryRoundLog (kept across restartCoordinator). */
  readonly log?: RoundLog;
  readonly trace?: TraceSink;
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /** Bearer token trainers want; the coordinator's transport sends it. Default none. */
  readonly authToken?: string;
}

/** What {@link createPrimeSimWorld} builds. */
export interface PrimeSimWorld {
  readonly clock: VirtualClock;
  readonly net: SimNetwork;
  readonly rng: SeededRng;
  readonly data: FederatedData;
  readonly trainers: readonly BoundTrainer[];
  readonly nodeIds: readonly string[];
  readonly log: RoundLog;
  /** The current coordinator (replaced by restartCoordinator). */
  readonly coordinator: Coordinator;
  /** close() the current coordinator (a crash: it writes nothing more) and open a new one on the same log. */
  restartCoordinator(): Promise<Coordinator>;
  /** Close the coordinator. */
  close(): void;
}

/**
 * Build the world (see the module docstring). Trainers are registered before it returns.
 * @throws FaultPlanError for a bad plan; PrimeConfigError for a bad config; PrimeInputError for bad data options.
 */
export async function createPrimeSimWorld(o: PrimeSimWorldOptions): Promise<PrimeSimWorld> {
  const n = o.trainers ?? 10;
  const rng = createRng(o.seed);
  const clock = new VirtualClock();
  const plan = o.plan === undefined ? undefined : parseFaultPlan(o.plan);
  const net = new SimNetwork({
    clock,
    rng: rng.fork('net'),
    ...(plan === undefined ? {} : { plan }),
    ...(o.trace === undefined ? {} : { trace: o.trace }),
  });
  const dataRandom = uniformFrom(rngBytesFn(rng.fork('data')));
  const raw =
    o.dataset === undefined || o.dataset === 'iris'
      ? loadIris()
      : syntheticDataset(dataRandom, o.dataset.synthetic);
  const data = prepareFederatedData(raw, { trainers: n, sharding: o.sharding ?? 'iid', random: dataRandom });
  const nodeIds = Array.from({ length: n }, (_, i) => `trainer-${i}`);
  const trainers = nodeIds.map((nodeId, i) => {
    const latency =
      typeof o.computeLatency === 'function'
        ? o.computeLatency(i)
        : (o.computeLatency ?? { kind: 'constant' as const, ms: 100 });
    return bindTrainer(net, {
      nodeId,
      shard: data.shards[i]!,
      rng: rng.fork(`trainer:${nodeId}`),
      ...(latency === undefined ? {} : { computeLatency: latency }),
      capabilities: o.capabilities?.(i) ?? ['cpu'],
      ...(o.authToken === undefined ? {} : { authToken: o.authToken }),
    });
  });
  const log = o.log ?? new MemoryRoundLog();
  const coordinatorRng = rng.fork('coordinator');
  const open = (): Promise<Coordinator> =>
    Coordinator.open({
      id: 'coordinator-001',
      clock,
      randomBytes: rngBytesFn(coordinatorRng),
      transport: httpTrainerTransport({
        fetch: net.fetch,
        ...(o.authToken === undefined ? {} : { authToken: o.authToken }),
      }),
      model: { shape: data.shape, testSet: data.test },
      log,
      ...(o.config === undefined ? {} : { config: o.config }),
      ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
    });
  let coordinator = await open();
  for (const [i, t] of trainers.entries())
    await coordinator.addNode({
      nodeId: t.nodeId,
      endpoint: t.origin,
      capabilities: [...(o.capabilities?.(i) ?? ['cpu'])],
    });
  return {
    clock,
    net,
    rng,
    data,
    trainers,
    nodeIds,
    log,
    get coordinator() {
      return coordinator;
    },
    async restartCoordinator() {
      coordinator.close();
      coordinator = await open();
      return coordinator;
    },
    close() {
      coordinator.close();
    },
  };
}
