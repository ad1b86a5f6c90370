/**
 * A simulated trainer node: a hono app that trains the coordinator's model on its own shard with
 * real mini-batch SGD (@fanout/prime's softmax regression) and answers with the parameter delta.
 * Compute time is drawn from a latency model and slept on the injected Clock (virtual in
 * simulation); Byzantine behaviours come from the fault plan (behaviours.ts); network faults
 * (crash, pause, partition, drop, delay, …) come from wherever the app is served (SimNetwork or the
 * live HTTP edge) and need nothing here.
 *
 * Routes: `POST /train` (a TrainingTask → a ModelUpdate), `GET /heartbeat` (→ {nodeId, status}),
 * `GET /info` (→ {nodeId, samples, capabilities}). With `authToken`, every route but /info wants
 * `Authorization: Bearer <token>` (401 otherwise). A bad task gets 400 `{error, field}`; the
 * server keeps serving.
 */
import type { Clock } from '@fanout/core';
import {
  localTrain,
  parseTrainingTask,
  PrimeInputError,
  type Dataset,
  type TrainingTask,
} from '@fanout/prime';
import { sampleLatency, type LatencySpec, type Rng } from '@fanout/sim';
import { Hono } from 'hono';
import { jsonReply } from './reply.js';
import { applyValueBehaviours, BEHAVIOURS, type ActiveBehaviour, type OutgoingUpdate } from './behaviours.js';

/** Options of {@link createTrainer}. */
export interface TrainerOptions {
  readonly nodeId: string;
  /** The trainer's own data. */
  readonly shard: Dataset;
  /** Sleeps compute time on it. */
  readonly clock: Clock;
  /** Its seeded stream: compute times, shuffles, update ids, noise. */
  readonly rng: Rng;
  /** Compute time per task, ms, drawn per task. Default: none (0 ms). */
  readonly computeLatency?: LatencySpec;
  /** The `behave` rules active now (e.g. `() => net.injector.behaviours(id, net.elapsed())`). Default: none. */
  readonly behaviours?: () => readonly ActiveBehaviour[];
  /** Capabilities reported by /info. */
  readonly capabilities?: readonly string[];
  /** Bearer token wanted on /train and /heartbeat. Default: none. */
  readonly authToken?: string;
}

/** What the trainer did for one task (for oracles and debugging). */
export interface TrainerHistoryEntry {
  readonly round: number;
  readonly taskModelVersion: number;
  /** Behaviours that shaped the answer ('honest' when none), plus notes like 'replay-first'. */
  readonly behaviours: readonly string[];
  readonly updateId: string;
  /** Clock time the answer was ready, ms. */
  readonly at: number;
}

/** A trainer: its app and what it remembers. */
export interface Trainer {
  readonly nodeId: string;
  readonly app: Hono;
  /** Every task answered since the last state loss, oldest first. */
  readonly history: readonly TrainerHistoryEntry[];
  /** Tasks answered in total (not reset by a state loss). */
  readonly tasksServed: number;
  /** Forget everything volatile (kept models, sent updates, history): a crash with loseState. */
  loseState(): void;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const KNOWN: ReadonlySet<string> = new Set(BEHAVIOURS);

interface Memory {
  /** Models seen, by version (for 'stale'). */
  models: Map<number, number[]>;
  /** Updates sent, oldest first (for 'replay' / 'duplicate'). */
  sent: OutgoingUpdate[];
  history: TrainerHistoryEntry[];
}

/**
 * Create a trainer (see the module docstring).
 * @returns the {@link Trainer}; serve `trainer.app.fetch` on a SimNetwork origin or a live server.
 */
export function createTrainer(o: TrainerOptions): Trainer {
  let mem: Memory = { models: new Map(), sent: [], history: [] };
  let served = 0;
  const app = new Hono();
  const authorised = (h: string | undefined): boolean =>
    o.authToken === undefined || h === `Bearer ${o.authToken}`;

  app.get('/info', () =>
    jsonReply({ nodeId: o.nodeId, samples: o.shard.n, capabilities: o.capabilities ?? [] }),
  );
  app.get('/heartbeat', (c) => {
    if (!authorised(c.req.header('authorization'))) return jsonReply({ error: 'unauthorized' }, 401);
    return jsonReply({ nodeId: o.nodeId, status: 'ok' });
  });
  app.post('/train', async (c) => {
    if (!authorised(c.req.header('authorization'))) return jsonReply({ error: 'unauthorized' }, 401);
    let task: TrainingTask;
    try {
      task = parseTrainingTask(await c.req.json());
    } catch (error) {
      const field = error instanceof PrimeInputError ? error.field : 'body';
      return jsonReply({ error: error instanceof Error ? error.message : 'bad request', field }, 400);
    }
    if (task.params.length !== o.shard.classes * (o.shard.features + 1))
      return jsonReply(
        {
          error: `params must have ${o.shard.classes * (o.shard.features + 1)} values`,
          field: 'task.params',
        },
        400,
      );
    const ms = o.computeLatency === undefined ? 0 : sampleLatency(o.computeLatency, o.rng);
    await o.clock.sleep(ms, c.req.raw.signal);
    const update = answer(o, mem, task);
    served++;
    return jsonReply(update);
  });
  app.onError((error) => jsonReply({ error: error.message }, 500));
  return {
    nodeId: o.nodeId,
    app,
    get history() {
      return mem.history;
    },
    get tasksServed() {
      return served;
    },
    loseState() {
      mem = { models: new Map(), sent: [], history: [] };
    },
  };
}

/** Train (honestly or not) and build the answer; remembers the model and the update. */
function answer(o: TrainerOptions, mem: Memory, task: TrainingTask): OutgoingUpdate {
  const active = o.behaviours?.() ?? [];
  const names = active.map((b) => b.behaviour);
  const notes: string[] = [];
  const previous = mem.sent.at(-1);
  let update: OutgoingUpdate;
  if (names.includes('duplicate') && previous !== undefined) {
    update = { ...previous, delta: [...previous.delta] };
    notes.push('duplicate');
  } else {
    if (names.includes('duplicate')) notes.push('duplicate-first');
    let base = task.params;
    let version = task.modelVersion;
    const stale = active.find((b) => b.behaviour === 'stale');
    if (stale !== undefined) {
      const lag = Math.max(1, Math.floor(Number(stale.params.lag ?? 1)) || 1);
      const older = mem.models.get(task.modelVersion - lag);
      version = task.modelVersion >= lag ? task.modelVersion - lag : task.modelVersion + lag;
      if (older !== undefined) base = older;
      notes.push('stale');
    }
    const params = Float64Array.from(base);
    const trained = localTrain(params, o.shard, {
      epochs: task.epochs,
      learningRate: task.learningRate,
      batchSize: task.batchSize,
      random: () => o.rng.float(),
    }).params;
    update = {
      updateId: hex(o.rng.bytes(16)),
      nodeId: o.nodeId,
      round: task.round,
      modelVersion: version,
      numSamples: o.shard.n,
      delta: Array.from(trained, (v, q) => v - params[q]!),
      trainLoss: null,
    };
    if (names.includes('replay')) {
      if (previous !== undefined) {
        update.delta = [...previous.delta];
        notes.push('replay');
      } else notes.push('replay-first');
    }
    notes.push(...applyValueBehaviours(update, active, o.rng));
  }
  for (const n of names) if (!KNOWN.has(n)) notes.push(`unknown:${n}`);
  mem.models.set(task.modelVersion, task.params);
  mem.sent.push(update);
  mem.history.push({
    round: task.round,
    taskModelVersion: task.modelVersion,
    behaviours: notes.length === 0 ? ['honest'] : notes,
    updateId: update.updateId,
    at: o.clock.now(),
  });
  return update;
}
