/**
 * Test helpers: an in-process TrainerTransport (no network) whose trainers answer after a given
 * virtual delay, honestly (real SGD on their shard) or as told.
 */
import { VirtualClock } from '@fanout/core';
import {
  Coordinator,
  MemoryRoundLog,
  localTrain,
  loadIris,
  prepareFederatedData,
  syntheticDataset,
  uniformFrom,
  type CoordinatorConfigInput,
  type Dataset,
  type FederatedData,
  type NodeView,
  type RoundLog,
  type TrainerTransport,
  type TrainingTask,
} from '../src/index.js';

/** A deterministic RandomBytes: a counter (tests need distinct ids, not secrecy). */
export function counterBytes(start = 0): (n: number) => Uint8Array {
  let c = start;
  return (n) => {
    const out = new Uint8Array(n);
    let v = c++;
    for (let i = 0; i < n && v > 0; i++) {
      out[i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    return out;
  };
}

/** How an in-process trainer behaves for one task. */
export interface FakeBehaviour {
  /** Virtual ms before answering (default 10). */
  delayMs?: number;
  /** Throw this (a transport failure) instead of answering. */
  fail?: boolean;
  /** Never answer (until aborted). */
  hang?: boolean;
  /** Replace the honest answer. */
  answer?: (honest: HonestUpdate, task: TrainingTask) => unknown;
}

export interface HonestUpdate {
  updateId: string;
  nodeId: string;
  round: number;
  modelVersion: number;
  numSamples: number;
  delta: number[];
}

let idCounter = 0;

/** The honest update of a trainer with `shard` for `task` (full-batch order, no shuffle: deterministic). */
export function honestUpdate(nodeId: string, shard: Dataset, task: TrainingTask): HonestUpdate {
  const base = Float64Array.from(task.params);
  const trained = localTrain(base, shard, {
    epochs: task.epochs,
    learningRate: task.learningRate,
    batchSize: task.batchSize,
  }).params;
  return {
    updateId: `${nodeId}-r${task.round}-${idCounter++}`,
    nodeId,
    round: task.round,
    modelVersion: task.modelVersion,
    numSamples: shard.n,
    delta: Array.from(trained, (v, q) => v - base[q]!),
  };
}

/** In-process transport: node id → shard and behaviour (a function of the round, or fixed). */
export function fakeTransport(
  clock: VirtualClock,
  shards: ReadonlyMap<string, Dataset>,
  behaviour: (nodeId: string, round: number) => FakeBehaviour = () => ({}),
  heartbeat: (nodeId: string) => boolean = () => true,
): TrainerTransport & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async train(node: NodeView, task: TrainingTask, { signal }) {
      calls.push(`${node.nodeId}/${task.round}`);
      const b = behaviour(node.nodeId, task.round);
      if (b.hang) {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }
      await clock.sleep(b.delayMs ?? 10, signal);
      if (b.fail) throw new TypeError('fetch failed');
      const honest = honestUpdate(node.nodeId, shards.get(node.nodeId)!, task);
      return b.answer === undefined ? honest : b.answer(honest, task);
    },
    async heartbeat(node, { signal }) {
      await clock.sleep(5, signal);
      if (!heartbeat(node.nodeId)) throw new TypeError('fetch failed');
      return { nodeId: node.nodeId, status: 'ok' as const };
    },
  };
}

/** Synthetic data on which honest updates agree (cosine ≥ 0.9 measured): for Byzantine tests. */
export function syntheticData(trainers: number, seed = 1): FederatedData {
  let s = seed;
  const random = (): number => {
    // mulberry32: a tiny seeded generator for test data only
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return prepareFederatedData(syntheticDataset(random, { samples: 2000, separation: 2 }), {
    trainers,
    random,
  });
}

/** Iris, IID shards. */
export function irisData(trainers: number): FederatedData {
  return prepareFederatedData(loadIris(), { trainers, random: uniformFrom(counterBytes(7)) });
}

export interface TestWorld {
  clock: VirtualClock;
  coordinator: Coordinator;
  transport: ReturnType<typeof fakeTransport>;
  data: FederatedData;
  ids: string[];
  log: RoundLog;
  reopen(): Promise<Coordinator>;
}

/** A coordinator with `n` in-process trainers (ids t0..t(n−1)) registered. */
export async function testWorld(
  n: number,
  options: {
    config?: CoordinatorConfigInput;
    behaviour?: (nodeId: string, round: number) => FakeBehaviour;
    heartbeat?: (nodeId: string) => boolean;
    data?: FederatedData;
    capabilities?: (i: number) => string[];
    log?: RoundLog;
  } = {},
): Promise<TestWorld> {
  const clock = new VirtualClock();
  const data = options.data ?? syntheticData(n);
  const ids = Array.from({ length: n }, (_, i) => `t${i}`);
  const shards = new Map(ids.map((id, i) => [id, data.shards[i]!]));
  const transport = fakeTransport(clock, shards, options.behaviour, options.heartbeat);
  const log = options.log ?? new MemoryRoundLog();
  const open = (): Promise<Coordinator> =>
    Coordinator.open({
      id: 'c1',
      clock,
      randomBytes: counterBytes(),
      transport,
      model: { shape: data.shape, testSet: data.test },
      log,
      config: { training: { batchSize: 10_000 }, ...options.config },
    });
  const coordinator = await open();
  for (const [i, id] of ids.entries())
    await coordinator.addNode({ nodeId: id, capabilities: options.capabilities?.(i) ?? [] });
  return { clock, coordinator, transport, data, ids, log, reopen: open };
}
