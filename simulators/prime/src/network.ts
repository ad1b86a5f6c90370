/**
 * Trainers and the coordinator on the sim kit's SimNetwork (virtual time): each trainer's hono
 * app is bound on its own origin as a plan target named by its node id, so the plan's latency,
 * crash (loseState wipes the trainer's memory), pause, partition, drop and delay rules apply to
 * it, and its `behave` rules are read from the network's injector at the network's time.
 */
import type { Coordinator } from '@fanout/prime';
import type { LatencySpec, Rng, SimNetwork } from '@fanout/sim';
import type { Dataset } from '@fanout/prime';
import { createCoordinatorApp, type CoordinatorAppOptions } from './coordinator-app.js';
import { createTrainer, type Trainer } from './trainer.js';

/** Origin of trainer `nodeId` in simulation: `http://<nodeId>.prime.sim:7000`. */
export function trainerOrigin(nodeId: string): string {
  return `http://${nodeId}.prime.sim:7000`;
}

/** Origin of the coordinator in simulation. */
export const COORDINATOR_SIM_ORIGIN = 'http://coordinator.prime.sim:8080';

/** Options of {@link bindTrainer}. */
export interface BindTrainerOptions {
  readonly nodeId: string;
  readonly shard: Dataset;
  /** The trainer's own stream (e.g. `root.fork('trainer:' + nodeId)`). */
  readonly rng: Rng;
  readonly computeLatency?: LatencySpec;
  readonly capabilities?: readonly string[];
  readonly authToken?: string;
  /** Default {@link trainerOrigin}(nodeId). */
  readonly origin?: string;
}

/** A trainer bound in a SimNetwork. */
export interface BoundTrainer {
  readonly trainer: Trainer;
  readonly nodeId: string;
  /** Its origin: register it with this as `endpoint`. */
  readonly origin: string;
}

/**
 * Create a trainer on the network's clock and serve it at its origin as plan target `nodeId`.
 * @throws Error when the origin is already bound.
 */
export function bindTrainer(net: SimNetwork, o: BindTrainerOptions): BoundTrainer {
  const origin = o.origin ?? trainerOrigin(o.nodeId);
  const trainer = createTrainer({
    nodeId: o.nodeId,
    shard: o.shard,
    clock: net.clock,
    rng: o.rng,
    behaviours: () => net.injector.behaviours(o.nodeId, net.elapsed()),
    ...(o.computeLatency === undefined ? {} : { computeLatency: o.computeLatency }),
    ...(o.capabilities === undefined ? {} : { capabilities: o.capabilities }),
    ...(o.authToken === undefined ? {} : { authToken: o.authToken }),
  });
  net.bindHttp(
    origin,
    o.nodeId,
    (request) => trainer.app.fetch(request),
    () => trainer.loseState(),
  );
  return { trainer, nodeId: o.nodeId, origin: new URL(origin).origin };
}

/**
 * Serve the coordinator's HTTP API (coordinator-app.ts) at `origin` as plan target `target`.
 * @throws Error when the origin is already bound.
 */
export function bindCoordinator(
  net: SimNetwork,
  coordinator: Coordinator,
  options: CoordinatorAppOptions & { origin?: string; target?: string } = {},
): { origin: string; target: string } {
  const { origin = COORDINATOR_SIM_ORIGIN, target = 'coordinator', ...appOptions } = options;
  const app = createCoordinatorApp(coordinator, appOptions);
  net.bindHttp(origin, target, (request) => app.fetch(request));
  return { origin: new URL(origin).origin, target };
}
