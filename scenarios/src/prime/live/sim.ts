/**
 * `fanout sim prime`: the live coordinator (its HTTP API: GET /status, GET /nodes, POST /nodes,
 * POST /rounds, GET /rounds/:round, GET /ledger, GET /metrics) and N trainers, each a real HTTP
 * server on 127.0.0.1, with the fault plan applied at every edge by ONE shared FaultInjector (the
 * kernel LiveEdge's, which the CLI's fault-control API swaps plans on: network faults and the
 * trainers' `behave` rules change at once). The trainers register with the coordinator over HTTP
 * (POST /nodes with the registration token), as any outside trainer would; the coordinator
 * heartbeats them until stopped. Registering and starting rounds need the token (printed once,
 * random unless given); trainers accept tasks only from the coordinator (their own token).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { realClock } from '@fanout/core';
import { Coordinator, MemoryRoundLog, httpTrainerTransport, parseCoordinatorConfig } from '@fanout/prime';
import { createCoordinatorApp, createTrainer, registerOverHttp } from '@fanout/sim-prime';
import { createRng, Trace } from '@fanout/sim';
import { LiveEdge } from '../../kernel/live/edge.js';
import type { SimServer } from '../../kernel/system.js';
import { COORDINATOR, dataConfig, federatedData, mergeConfig, trainerId } from '../world.js';

const options = z.object({
  trainers: z.number().int().min(1).max(500).default(5).describe('trainer servers (trainer-0 …)'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(0xffff_ffff)
    .default(1)
    .describe('seed of the data shards, trainers and fault draws'),
  data: z.enum(['iris', 'synthetic']).default('iris').describe('training data'),
  computeMs: z.number().min(0).max(60_000).default(50).describe('compute time of a task, ms'),
  minNodes: z.number().int().min(1).max(500).default(3).describe('minNodesForRound'),
  token: z
    .string()
    .min(8)
    .optional()
    .describe('registration token for POST /nodes and /rounds (default: random, printed)'),
});

const hex = (n: number): string => randomBytes(n).toString('hex');

/** The stand-alone Prime simulator (see the module docstring). */
export const primeSim: SimServer<typeof options> = {
  description: 'a federated-training coordinator and its trainers as HTTP servers on 127.0.0.1',
  options,
  /**
   * Start everything; resolves once every trainer is registered.
   * @throws PrimeInputError / PrimeConfigError for bad options; (rejects with) a listen error.
   */
  async start(o, plan, io) {
    const rng = createRng(o.seed);
    const edge = new LiveEdge(plan, rng.fork('network'), new Trace({ enabled: false }));
    const startedAt = edge.clock.now();
    const token = o.token ?? hex(16);
    const trainerToken = hex(16);
    let requests = 0;
    const counted =
      (handler: (r: Request) => Response | Promise<Response>) =>
      (r: Request): Response | Promise<Response> => {
        requests++;
        return handler(r);
      };
    const stop = new AbortController();
    try {
      const fed = federatedData(rng.fork('data'), o.trainers, o.data);
      const config = parseCoordinatorConfig(
        mergeConfig(dataConfig(o.data), {
          minNodesForRound: o.minNodes,
          taskTimeoutMs: 30_000,
          roundDeadlineMs: 60_000,
        }),
      );
      const coordinator = await Coordinator.open({
        id: 'coordinator-001',
        clock: realClock,
        randomBytes: (n) => randomBytes(n),
        transport: httpTrainerTransport({ fetch: edge.fetch, authToken: trainerToken }),
        model: { shape: fed.shape, testSet: fed.test },
        log: new MemoryRoundLog(),
        config,
      });
      const app = createCoordinatorApp(coordinator, { registrationToken: token });
      const coordinatorUrl = await edge.serveHttp(
        COORDINATOR,
        counted((r) => app.fetch(r)),
      );
      const endpoints: Record<string, string> = { coordinator: coordinatorUrl };
      for (let i = 0; i < o.trainers; i++) {
        const nodeId = trainerId(i);
        const t = createTrainer({
          nodeId,
          shard: fed.shards[i]!,
          clock: realClock,
          rng: rng.fork(`trainer:${nodeId}`),
          computeLatency: { kind: 'constant', ms: o.computeMs },
          behaviours: () => edge.injector.behaviours(nodeId, realClock.now() - startedAt),
          capabilities: ['cpu'],
          authToken: trainerToken,
        });
        const url = await edge.serveHttp(
          nodeId,
          counted((r) => t.app.fetch(r)),
          () => t.loseState(),
        );
        endpoints[nodeId] = url;
        await registerOverHttp(
          edge.fetch,
          coordinatorUrl,
          { nodeId, endpoint: url, capabilities: ['cpu'] },
          { token },
        );
      }
      const beats = coordinator.runHeartbeats(stop.signal);
      io.log(
        `${o.trainers} trainer(s) registered with the coordinator (seed ${o.seed}, ${o.data}); ` +
          `start a round: curl -X POST -H 'authorization: Bearer <token>' -d '{}' ${coordinatorUrl}/rounds`,
      );
      return {
        endpoints,
        injector: edge.injector,
        info: {
          token: o.token === undefined ? token : '(given)',
          minNodesForRound: o.minNodes,
          metrics: `${coordinatorUrl}/metrics`,
        },
        requests: () => requests,
        close: async () => {
          stop.abort();
          coordinator.close();
          await beats;
          await edge.close();
        },
      };
    } catch (e) {
      stop.abort();
      await edge.close();
      throw e;
    }
  },
};
