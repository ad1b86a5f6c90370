/**
 * `fanout sim hubert` (and `fanout sim frost`, whose peer it is): the Hubert HTTP server
 * (hubert-rust v0.5.0, byte-exact `/health`, `/put`, `/get`; createHubertApp of @fanout/sim-hubert)
 * on 127.0.0.1, served as plan target `hubert` through the kernel's LiveEdge, so the plan and the
 * fault-control API apply at its edge through the edge's one shared FaultInjector: forced statuses,
 * drops, delays, partitions and crashes (a crash with `loseState` wipes the stored values).
 * Options: the port (upstream default 45678; 0 = ephemeral), the storage backend behind the server
 * and the TTL clamp (ServerConfig.max_ttl). Counts the requests that reached the server.
 */
import { z } from 'zod';
import { realClock, type FetchHandler } from '@fanout/core';
import { createRng, Trace } from '@fanout/sim';
import { startHttpService } from '@fanout/sim/live';
import { createHubertApp, SERVER_MAX_TTL_SECONDS } from '@fanout/sim-hubert';
import { HUBERT_DEFAULT_PORT } from '@fanout/sim-hubert/live';
import { LiveEdge } from '../../kernel/live/edge.js';
import type { SimServer } from '../../kernel/system.js';
import { backendStore } from '../hubert-faults.js';
import { HUBERT } from '../plan.js';

const options = z.object({
  port: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(HUBERT_DEFAULT_PORT)
    .describe('TCP port on 127.0.0.1 (0: ephemeral)'),
  backend: z
    .enum(['server', 'memory', 'mainline', 'hybrid'])
    .default('server')
    .describe(
      'storage behind the server: server (in-memory, as hubert-rust), memory, mainline (1000-byte values), hybrid',
    ),
  maxTtlSeconds: z
    .number()
    .int()
    .min(1)
    .max(0xffff_ffff)
    .default(SERVER_MAX_TTL_SECONDS)
    .describe('TTL of a put without one, and the clamp of larger ones, s (ServerConfig.max_ttl)'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(0xffff_ffff)
    .default(1)
    .describe('seed of the fault draws (and of the hybrid backend’s reference ARIDs)'),
});

/**
 * Serve `handler` as `target` on `edge`, at `port` (0: ephemeral, through LiveEdge.serveHttp; a
 * fixed port through the same edge's injector, clock and time base, since LiveEdge.serveHttp
 * takes no port).
 */
async function serveOn(
  edge: LiveEdge,
  startedAt: number,
  target: string,
  handler: FetchHandler,
  port: number,
  onCrashLoseState: () => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  if (port === 0)
    return { url: await edge.serveHttp(target, handler, onCrashLoseState), close: async () => {} };
  const h = await startHttpService({
    target,
    handler,
    port,
    host: '127.0.0.1',
    injector: edge.injector,
    clock: edge.clock,
    startedAt,
    onCrashLoseState,
  });
  return { url: h.url, close: () => h.close() };
}

/** The stand-alone Hubert simulator (see the module docstring). */
export const hubertSim: SimServer<typeof options> = {
  description: 'the Hubert HTTP server (hubert-rust v0.5.0) on 127.0.0.1, plan target "hubert"',
  options,
  async start(o, plan, io) {
    const rng = createRng(o.seed);
    const startedAt = realClock.now();
    const edge = new LiveEdge(plan, rng.fork('network'), new Trace({ enabled: false }));
    const { store, volumes } = backendStore(o.backend, realClock, {}, rng.fork('hybrid'));
    const app = createHubertApp(store, { maxTtlSeconds: o.maxTtlSeconds });
    let requests = 0;
    const handler: FetchHandler = (request) => {
      requests++;
      return app.fetch(request);
    };
    const wipe = (): void => {
      for (const v of volumes) v.wipe();
      io.log('hubert: crash with loseState: stored values wiped');
    };
    let served: { url: string; close: () => Promise<void> };
    try {
      served = await serveOn(edge, startedAt, HUBERT, handler, o.port, wipe);
    } catch (e) {
      await edge.close();
      throw e;
    }
    return {
      endpoints: { [HUBERT]: served.url },
      injector: edge.injector,
      info: { backend: o.backend, maxTtlSeconds: o.maxTtlSeconds, seed: o.seed },
      requests: () => requests,
      close: async () => {
        await served.close();
        await edge.close();
      },
    };
  },
};
