/**
 * Live tier (fuzz finding "evict contacts that stop answering"): a 10-node swarm on real UDP
 * sockets on 127.0.0.1 is flooded with requests under 150 made-up node ids from one attacker
 * socket, which then closes (the fake contacts stop answering). Before the fix every later lookup
 * of node 0 asked ~17 of them again and waited out each one's RPC timeout: peers kept listing
 * contacts that had never answered them, and node 0 re-learned from those lists the fakes it had
 * just dropped. Outcomes and contact counts only, no wall-clock assertion.
 */
import dgram from 'node:dgram';
import { realClock } from '@fanout/core';
import { createRng } from '@fanout/sim';
import { describe, expect, test } from 'vitest';
import { DatagramDhtNetwork, Swarm, encodeFrame, toHex, type NodeId } from '../src/index.js';
import { liveUdpEndpoints } from '../src/live/udp.js';

/** Send one request under each fake id to every node, paced to what the nodes have served. */
async function flood(attacker: dgram.Socket, swarm: Swarm, transport: DatagramDhtNetwork, fakes: NodeId[]) {
  const served = (): number => swarm.nodes.reduce((n, x) => n + x.stats.requestsHandled, 0);
  const base = served();
  let sent = 0;
  for (const [i, from] of fakes.entries()) {
    for (const node of swarm.nodes) {
      const to = transport.addressOf(node.id)!;
      const msg = i % 2 === 0 ? { type: 'ping' as const } : { type: 'findNode' as const, target: from };
      attacker.send(encodeFrame({ kind: 'request', rid: sent++, from, msg }), to.port, to.host);
    }
    for (let w = 0; w < 200 && served() - base < sent - 20; w++) await realClock.sleep(2);
  }
  for (let w = 0; w < 500 && served() - base < sent; w++) await realClock.sleep(2);
}

describe('a datagram flood of fake contacts over real UDP on 127.0.0.1', () => {
  test('after the attacker leaves, node 0 finds the value, evicts the fakes it asked, and stops asking fakes', async () => {
    const live = liveUdpEndpoints({ clock: realClock });
    const transport = new DatagramDhtNetwork({ open: live.open });
    const swarm = await Swarm.create({ size: 10, clock: realClock, seed: 1, transport });
    const attacker = dgram.createSocket('udp4');
    let open = true;
    try {
      await new Promise<void>((resolve) => attacker.bind(0, '127.0.0.1', resolve));
      // A key far from node 0 (first bit flipped), so node 0 holds no copy: it must reach the holders.
      const key = swarm.node(0).id.slice();
      key[0] = key[0]! ^ 0x80;
      const put = await swarm.node(5).put(key, { id: 1n, seq: 0, data: Uint8Array.of(7) });
      expect(put.stored.length).toBe(8);
      const reader = swarm.node(0);
      const rng = createRng(7).fork('fakes');
      const fakes = Array.from({ length: 150 }, () => rng.bytes(20));
      const fakeHex = new Set(fakes.map(toHex));
      const fakesKnownBy = (i: number): number =>
        swarm
          .node(i)
          .contacts()
          .filter((c) => fakeHex.has(toHex(c))).length;
      await flood(attacker, swarm, transport, fakes);
      expect(fakesKnownBy(0)).toBeGreaterThan(8); // the flood landed in node 0's routing table
      attacker.close();
      open = false;

      // Lookups until two in a row ask no fake (at most 8): each fake a lookup asks times out once
      // and is evicted, and peers listing it no longer cost node 0 a timeout. On an idle machine the
      // second lookup already asks none; under load a slow honest reply can leave a fake unverified
      // for one more lookup, so the test asks for convergence, not for a round number.
      const gets = [];
      let clean = 0;
      for (let round = 0; round < 8 && clean < 2; round++) {
        const got = await reader.get(key);
        expect(got.values.map((v) => v.data[0])).toEqual([7]);
        gets.push(got);
        clean = got.queried.some((q) => fakeHex.has(toHex(q))) ? 0 : clean + 1;
      }
      expect(clean).toBe(2);
      // Every fake any lookup asked timed out and was evicted: gone from the table, and dead.
      const asked = new Set(gets.flatMap((g) => g.queried.filter((q) => fakeHex.has(toHex(q))).map(toHex)));
      for (const f of fakes.filter((x) => asked.has(toHex(x)))) {
        expect(reader.isDead(f)).toBe(true);
        expect(reader.contacts().some((c) => toHex(c) === toHex(f))).toBe(false);
      }
      expect(reader.stats.contactsEvicted).toBeGreaterThanOrEqual(asked.size);
      const last = gets[gets.length - 1]!;
      // The holders node 0 reaches are the nodes that stored the value.
      const stored = new Set(put.stored.map(toHex));
      expect(last.holders.every((h) => stored.has(toHex(h)))).toBe(true);
      expect(last.holders.length).toBeGreaterThanOrEqual(4);
    } finally {
      if (open) attacker.close();
      await swarm.close();
    }
  }, 60_000);
});
