/**
 * Live tier: a trainer as a real HTTP server on 127.0.0.1 (startHttpService from @fanout/sim/live,
 * so the fault plan applies at its edge: latency, crash with loseState, pause, partition, drops,
 * forced statuses), on wall time unless a clock is given. Its `behave` rules are read from the
 * same plan at the edge's time (ms since `startedAt`).
 */
import { realClock, type Clock } from '@fanout/core';
import type { Dataset } from '@fanout/prime';
import {
  FaultInjector,
  createRng,
  type FaultPlan,
  type LatencySpec,
  type Rng,
  type TraceSink,
} from '@fanout/sim';
import { startHttpService, type HttpServiceHandle } from '@fanout/sim/live';
import { createTrainer, type Trainer } from '../trainer.js';

/** Options of {@link startTrainerServer}. */
export interface TrainerServerOptions {
  readonly nodeId: string;
  readonly shard: Dataset;
  /** The trainer's stream (compute times, shuffles, update ids, noise). */
  readonly rng: Rng;
  readonly computeLatency?: LatencySpec;
  readonly capabilities?: readonly string[];
  readonly authToken?: string;
  /** Plan applied at the edge (target = nodeId) and read for `behave` rules. */
  readonly plan?: FaultPlan;
  /** Root stream of the edge's fault draws. Default createRng(0). */
  readonly planRng?: Rng;
  /** Default realClock. */
  readonly clock?: Clock;
  /** Plan time origin in clock ms (give every server of a run the same). Default: now. */
  readonly startedAt?: number;
  readonly port?: number;
  readonly host?: string;
  readonly trace?: TraceSink;
}

/** A running trainer server. */
export interface TrainerServer {
  readonly nodeId: string;
  readonly url: string;
  readonly trainer: Trainer;
  readonly http: HttpServiceHandle;
  close(): Promise<void>;
}

/**
 * Start a trainer server.
 * @throws (rejects with) the listen error, e.g. EADDRINUSE.
 */
export async function startTrainerServer(o: TrainerServerOptions): Promise<TrainerServer> {
  const clock = o.clock ?? realClock;
  const startedAt = o.startedAt ?? clock.now();
  const behaviourSource = o.plan === undefined ? undefined : new FaultInjector(o.plan, createRng(0));
  const trainer = createTrainer({
    nodeId: o.nodeId,
    shard: o.shard,
    clock,
    rng: o.rng,
    ...(behaviourSource === undefined
      ? {}
      : { behaviours: () => behaviourSource.behaviours(o.nodeId, clock.now() - startedAt) }),
    ...(o.computeLatency === undefined ? {} : { computeLatency: o.computeLatency }),
    ...(o.capabilities === undefined ? {} : { capabilities: o.capabilities }),
    ...(o.authToken === undefined ? {} : { authToken: o.authToken }),
  });
  const http = await startHttpService({
    target: o.nodeId,
    handler: (request) => trainer.app.fetch(request),
    clock,
    startedAt,
    onCrashLoseState: () => trainer.loseState(),
    ...(o.plan === undefined ? {} : { plan: o.plan }),
    ...(o.planRng === undefined ? {} : { rng: o.planRng }),
    ...(o.port === undefined ? {} : { port: o.port }),
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.trace === undefined ? {} : { trace: o.trace }),
  });
  return { nodeId: o.nodeId, url: http.url, trainer, http, close: () => http.close() };
}
