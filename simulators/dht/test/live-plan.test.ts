/**
 * Live tier (real UDP sockets on 127.0.0.1): the edges' fault plan knows which node a request
 * comes from (linkPartition between nodes) and gives every node its target's clock (clockSkew).
 * No timing assertion on the wall clock: RPC outcomes and what a node reads as now.
 */
import { realClock, type Clock, type RandomBytes } from '@fanout/core';
import { createRng, parseFaultPlan, rngBytesFn, type FaultPlanInput } from '@fanout/sim';
import { describe, expect, test } from 'vitest';
import { DatagramDhtNetwork, Swarm, dhtTarget, toHex } from '../src/index.js';
import { liveUdpEndpoints } from '../src/live/udp.js';

const bytesFor = (label: string): RandomBytes => rngBytesFn(createRng(0).fork(label));

async function liveSwarm(plan: FaultPlanInput, clock: Clock = realClock, size = 8) {
  const live = liveUdpEndpoints({ plan: parseFaultPlan(plan), clock });
  const transport = new DatagramDhtNetwork({ open: live.open });
  const swarm = await Swarm.create({ size, clock: realClock, seed: 4, transport, bootstrap: 'direct' });
  const ping = async (from: number, to: number): Promise<string> => {
    try {
      const reply = await transport.sender(swarm.node(from).id)(
        swarm.node(to).id,
        { type: 'ping' },
        AbortSignal.timeout(400),
      );
      return reply.type;
    } catch {
      return 'lost';
    }
  };
  return { live, transport, swarm, ping };
}

describe('DHT nodes on real UDP under the newer plan kinds', () => {
  test('linkPartition: nodes 1 and 2 cannot reach each other, both reach node 3', async () => {
    const s = await liveSwarm({
      rules: [{ fault: 'linkPartition', targets: ['dht-1'], peers: { targets: ['dht-2'] } }],
    });
    try {
      expect(await s.ping(1, 2)).toBe('lost');
      expect(await s.ping(2, 1)).toBe('lost');
      expect(await s.ping(1, 3)).toBe('pong');
      expect(await s.ping(2, 3)).toBe('pong');
      expect(s.swarm.node(2).stats.requestsHandled).toBe(0); // the cut ping never reached node 2
    } finally {
      await s.swarm.close();
    }
  });
  test('clockSkew: the nodes read their target clock, so a value expires once the skew starts', async () => {
    // The edges' clock is the wall clock plus `jump`, so plan time can be moved past the window start.
    const jump = { ms: 0 };
    const edgeClock: Clock = {
      now: () => realClock.now() + jump.ms,
      sleep: (ms, signal) => realClock.sleep(ms, signal),
      setTimer: (fn, ms) => realClock.setTimer(fn, ms),
      clearTimer: (h) => realClock.clearTimer(h),
    };
    const hour = 3_600_000;
    const size = 8;
    const s = await liveSwarm(
      {
        rules: [
          {
            fault: 'clockSkew',
            targets: [...Array(size).keys()].map(dhtTarget),
            window: { fromMs: hour },
            offsetMs: 2 * hour,
          },
        ],
      },
      edgeClock,
      size,
    );
    try {
      const key = bytesFor('live-skew')(20);
      const put = await s.swarm
        .node(0)
        .put(key, { id: 1n, seq: 0, data: Uint8Array.of(3) }, { ttlMs: 3 * hour });
      const holders = put.stored.map((id) => s.swarm.nodes.find((n) => n.idHex === toHex(id))!);
      expect(holders.length).toBeGreaterThan(0);
      const asker = s.swarm.node(size - 1);
      const count = (): number[] =>
        holders.map((h) => {
          const r = h.handle(asker.id, { type: 'get', key });
          return r.type === 'values' ? r.values.length : -1;
        });
      expect(count()).toEqual(holders.map(() => 1));
      jump.ms = hour; // plan time passes the window start: the nodes now read +1 h (jump) + 2 h (skew)
      expect(count()).toEqual(holders.map(() => 0));
    } finally {
      await s.swarm.close();
    }
  });
});
