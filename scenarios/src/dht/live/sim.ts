/**
 * `fanout sim dht`: a swarm of DHT nodes as real UDP servers on 127.0.0.1 — node i is plan target
 * `dht-<i>` on its own socket (port base + i, or ephemeral ports with `--port-base 0`) — with the
 * fault plan applied at every node's edge by ONE shared injector (the kernel LiveEdge's, which the
 * fault-control API swaps plans on: network faults and node behaviours 'stale' / 'corrupt' /
 * 'drop' change at once). Routing tables are filled without traffic (direct bootstrap), so a
 * client in any language can send the lab's FDHT v3 frames (simulators/dht/src/wire.ts: ping,
 * findNode, get, put, listen) to any endpoint and follow the `contacts` addresses in replies.
 */
import { z } from 'zod';
import { memoizedVerifier } from '@fanout/dht';
import { DatagramDhtNetwork, dhtTarget } from '@fanout/sim-dht';
import { createRng, rngBytesFn, Trace } from '@fanout/sim';
import { LiveEdge } from '../../kernel/live/edge.js';
import type { SimServer } from '../../kernel/system.js';
import { NODE_IDS_STREAM, drawNodeIds } from '../ids.js';
import { NODE_BEHAVIOURS } from '../plan.js';
import { BehavingTransport, createSwarm, planFaults } from '../world.js';
import { sharedInjectorEndpoints } from './endpoints.js';

const MAX_NODES = 500;

const options = z.object({
  nodes: z
    .number()
    .int()
    .min(2)
    .max(MAX_NODES)
    .default(20)
    .describe('DHT nodes, each a UDP socket (node i is plan target dht-<i>)'),
  portBase: z
    .number()
    .int()
    .min(0)
    .max(65535 - MAX_NODES)
    .default(0)
    .describe('node i listens on port base + i (0: ephemeral ports)'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(0xffff_ffff)
    .default(1)
    .describe('seed of the node ids and the fault draws'),
  rpcTimeoutMs: z
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(1000)
    .describe('RPC timeout of the nodes’ own requests, ms'),
});

/** The stand-alone DHT simulator (see the module docstring). */
export const dhtSim: SimServer<typeof options> = {
  description: 'a swarm of DHT nodes on 127.0.0.1 UDP (FDHT v3 frames), the plan at every node’s edge',
  options,
  async start(o, plan, io) {
    const rng = createRng(o.seed);
    const edge = new LiveEdge(plan, rng.fork('network'), new Trace({ enabled: false }));
    const startedAt = edge.clock.now();
    const elapsed = (): number => edge.clock.now() - startedAt;
    const open = sharedInjectorEndpoints({
      injector: edge.injector,
      clock: edge.clock,
      startedAt,
      portOf: (target) => (o.portBase === 0 ? 0 : o.portBase + Number(target.slice('dht-'.length))),
    }).open;
    const network = new DatagramDhtNetwork({ open });
    let swarm;
    try {
      swarm = await createSwarm({
        ids: drawNodeIds(rng.fork(NODE_IDS_STREAM), o.nodes),
        rest: rngBytesFn(rng.fork('swarm')),
        transport: new BehavingTransport(network, planFaults(edge.injector, elapsed)),
        clock: edge.clock,
        verify: memoizedVerifier(),
        rpcTimeoutMs: o.rpcTimeoutMs,
      });
    } catch (e) {
      await network.close();
      await edge.close();
      throw e;
    }
    const endpoints: Record<string, string> = {};
    const ids: Record<string, string> = {};
    swarm.nodes.forEach((n, i) => {
      const a = network.addressOf(n.id)!;
      endpoints[dhtTarget(i)] = `udp://${a.host}:${a.port}`;
      ids[dhtTarget(i)] = n.idHex;
    });
    io.log(`${o.nodes} DHT nodes (seed ${o.seed}), routing tables filled (direct bootstrap)`);
    const running = swarm;
    return {
      endpoints,
      injector: edge.injector,
      info: {
        seed: o.seed,
        wire: 'FDHT v3 frames (simulators/dht/src/wire.ts); frames over 8 KiB fragmented (fragment.ts)',
        behaviours: NODE_BEHAVIOURS.join(', '),
        nodeIds: ids,
      },
      requests: () => network.stats.served,
      close: async () => {
        await running.close();
        await edge.close();
      },
    };
  },
};
