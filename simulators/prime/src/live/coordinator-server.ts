/**
 * Live tier: the coordinator's HTTP API (coordinator-app.ts: /status, /nodes, /rounds, /metrics …)
 * as a real server on 127.0.0.1 through startHttpService (target 'coordinator' in a plan).
 */
import type { Coordinator } from '@fanout/prime';
import type { FaultPlan, Rng } from '@fanout/sim';
import { startHttpService, type HttpServiceHandle } from '@fanout/sim/live';
import { createCoordinatorApp } from '../coordinator-app.js';

/** Options of {@link startCoordinatorServer}. */
export interface CoordinatorServerOptions {
  readonly coordinator: Coordinator;
  /** Bearer token for POST /nodes and POST /rounds. Default: none. */
  readonly registrationToken?: string;
  readonly port?: number;
  readonly host?: string;
  /** Plan applied at the edge (target 'coordinator'). */
  readonly plan?: FaultPlan;
  readonly planRng?: Rng;
}

/**
 * Start serving the coordinator.
 * @returns `{url, port, stats, close()}` once listening.
 * @throws (rejects with) the listen error.
 */
export async function startCoordinatorServer(o: CoordinatorServerOptions): Promise<HttpServiceHandle> {
  const app = createCoordinatorApp(
    o.coordinator,
    o.registrationToken === undefined ? {} : { registrationToken: o.registrationToken },
  );
  return startHttpService({
    target: 'coordinator',
    handler: (request) => app.fetch(request),
    ...(o.plan === undefined ? {} : { plan: o.plan }),
    ...(o.planRng === undefined ? {} : { rng: o.planRng }),
    ...(o.port === undefined ? {} : { port: o.port }),
    ...(o.host === undefined ? {} : { host: o.host }),
  });
}
