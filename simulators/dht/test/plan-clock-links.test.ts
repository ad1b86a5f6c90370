/**
 * The sim kit's clock faults and node-to-node partitions inside a swarm over SimNetwork: a node
 * reads its time from its fault-plan target's clock (clockSkew / clockStrobe move its value
 * expiry), and a `linkPartition` rule naming DHT node targets cuts the links between them.
 */
import { VirtualClock, type RandomBytes } from '@fanout/core';
import { SimNetwork, createRng, parseFaultPlan, rngBytesFn, type FaultPlanInput } from '@fanout/sim';
import { describe, expect, test } from 'vitest';
import { DatagramDhtNetwork, Swarm, dhtTarget, simEndpoints, toHex, type DhtNode } from '../src/index.js';

const bytesFor = (label: string): RandomBytes => rngBytesFn(createRng(0).fork(label));

async function simSwarm(plan: FaultPlanInput, size = 20) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, rng: createRng(9).fork('net'), plan: parseFaultPlan(plan) });
  const transport = new DatagramDhtNetwork({ open: simEndpoints(net) });
  const swarm = await Swarm.create({ size, clock, seed: 9, transport, bootstrap: 'direct' });
  return { clock, net, transport, swarm };
}

/** What `node` itself answers for `key` (its own storage, read on its own clock). */
const localValues = (node: DhtNode, asker: DhtNode, key: Uint8Array): number => {
  const reply = node.handle(asker.id, { type: 'get', key });
  return reply.type === 'values' ? reply.values.length : -1;
};

/** A ping from node `from` to node `to` over the network: 'pong', or 'lost' when the caller's 1 s timeout ends it. */
async function ping(s: Awaited<ReturnType<typeof simSwarm>>, from: number, to: number): Promise<string> {
  const ctl = new AbortController();
  const timer = s.clock.setTimer(() => ctl.abort(new Error('rpc timeout')), 1000);
  try {
    const reply = await s.transport.sender(s.swarm.node(from).id)(
      s.swarm.node(to).id,
      { type: 'ping' },
      ctl.signal,
    );
    return reply.type;
  } catch {
    return 'lost';
  } finally {
    s.clock.clearTimer(timer);
  }
}

describe('clock faults inside the swarm', () => {
  test('nodes whose clocks jump ahead expire a value before its TTL has passed in true time', async () => {
    const size = 20;
    const skewed = [...Array(size).keys()].map(dhtTarget);
    const s = await simSwarm({
      rules: [{ fault: 'clockSkew', targets: skewed, window: { fromMs: 30_000 }, offsetMs: 120_000 }],
    });
    const key = bytesFor('skew-key')(20);
    const put = await s.swarm.node(0).put(key, { id: 1n, seq: 0, data: Uint8Array.of(1) }, { ttlMs: 60_000 });
    expect(put.stored.length).toBe(8);
    const holders = put.stored.map((id) => s.swarm.nodes.find((n) => n.idHex === toHex(id))!);
    const asker = s.swarm.node(size - 1);
    expect(holders.map((h) => localValues(h, asker, key))).toEqual(Array(8).fill(1));
    await s.clock.advance(40_000 - s.clock.now()); // true age 40 s < 60 s TTL; skewed clocks read 160 s
    expect(holders.map((h) => localValues(h, asker, key))).toEqual(Array(8).fill(0));
    expect(s.swarm.holders(key)).toHaveLength(0); // each node swept them on its own clock
  });
  test('transport.clockFor gives each node its target clock', async () => {
    const s = await simSwarm({ rules: [{ fault: 'clockSkew', targets: ['dht-3'], offsetMs: 5000 }] });
    const n3 = s.swarm.node(3);
    expect(s.transport.clockFor(3, n3.id)!.now() - s.clock.now()).toBe(5000);
    expect(s.transport.clockFor(4, s.swarm.node(4).id)!.now() - s.clock.now()).toBe(0);
  });
});

describe('linkPartition between DHT nodes', () => {
  test('both ways: nodes 3 and 7 cannot reach each other; both still reach node 8', async () => {
    const s = await simSwarm({
      rules: [{ fault: 'linkPartition', targets: ['dht-3'], peers: { targets: ['dht-7'] } }],
    });
    const handled7 = s.swarm.node(7).stats.requestsHandled;
    expect(await ping(s, 3, 7)).toBe('lost');
    expect(await ping(s, 7, 3)).toBe('lost');
    expect(s.swarm.node(7).stats.requestsHandled).toBe(handled7);
    expect(await ping(s, 3, 8)).toBe('pong');
    expect(await ping(s, 7, 8)).toBe('pong');
  });
  test('outbound (asymmetric): node 3 reaches node 7, which handles the request but its reply is lost', async () => {
    const s = await simSwarm({
      rules: [
        { fault: 'linkPartition', targets: ['dht-7'], peers: { targets: ['dht-3'] }, direction: 'outbound' },
      ],
    });
    const handled7 = s.swarm.node(7).stats.requestsHandled;
    expect(await ping(s, 3, 7)).toBe('lost');
    expect(s.swarm.node(7).stats.requestsHandled).toBe(handled7 + 1);
    expect(await ping(s, 8, 7)).toBe('pong');
  });
  test('a group isolated from the rest: lookups from outside never reach it, inside it still works', async () => {
    const isolated = [0, 1, 2, 3, 4].map(dhtTarget);
    const s = await simSwarm({
      groups: { island: isolated },
      rules: [{ fault: 'linkPartition', group: 'island' }],
    });
    expect(await ping(s, 0, 4)).toBe('pong');
    expect(await ping(s, 10, 2)).toBe('lost');
    expect(await ping(s, 2, 10)).toBe('lost');
    const handled = () => [0, 1, 2, 3, 4].map((i) => s.swarm.node(i).stats.requestsHandled);
    const before = handled();
    await s.swarm.node(15).findNode(s.swarm.node(2).id); // its closest nodes are on the island
    expect(handled()).toEqual(before);
  });
});
