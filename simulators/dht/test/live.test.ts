/**
 * Live tier: DHT nodes on real UDP sockets on 127.0.0.1 (wall time). Guarantees only, no timing
 * assertion on the wall clock.
 */
import dgram from 'node:dgram';
import { realClock } from '@fanout/core';
import { describe, expect, test } from 'vitest';
import { DatagramDhtNetwork, Swarm, encodeFrame } from '../src/index.js';
import { liveUdpEndpoints } from '../src/live/udp.js';

describe('routing poisoning over real UDP on 127.0.0.1', () => {
  test('19 spoofed pings, one per node id, from one attacker socket do not cut node 0 off from a stored value', async () => {
    const live = liveUdpEndpoints({ clock: realClock });
    const transport = new DatagramDhtNetwork({ open: live.open });
    const swarm = await Swarm.create({ size: 20, clock: realClock, seed: 1, transport });
    const attacker = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve) => attacker.bind(0, '127.0.0.1', resolve));
      let repliesToAttacker = 0;
      attacker.on('message', () => repliesToAttacker++);
      // A key far from node 0 (first bit flipped), so node 0 holds no copy: it must reach the holders.
      const key = swarm.node(0).id.slice();
      key[0] = key[0]! ^ 0x80;
      const put = await swarm.node(5).put(key, { id: 1n, seq: 0, data: Uint8Array.of(7) });
      expect(put.stored.length).toBe(8);
      const reader = swarm.node(0);
      const before = await reader.get(key);
      expect(before.values.length).toBe(1);
      expect(before.holders.length).toBe(8);
      const victim = transport.addressOf(reader.id)!;
      const port = attacker.address().port;
      expect(port).toBeGreaterThan(0);
      for (let i = 1; i < swarm.nodes.length; i++) {
        // (Before the fix the frame also announced `addr: { host: '127.0.0.1', port }`, which the
        // receiver took as node i's address: this test failed then, see the report.)
        const frame = encodeFrame({
          kind: 'request',
          rid: 1000 + i,
          from: swarm.node(i).id,
          msg: { type: 'ping' },
        });
        attacker.send(frame, victim.port, victim.host);
      }
      // Wait until node 0 served all 19 pings (no fixed sleep: poll the counter).
      const served = reader.stats.requestsHandled;
      for (let i = 0; i < 200 && reader.stats.requestsHandled < served + 19; i++) await realClock.sleep(10);
      for (let round = 0; round < 2; round++) {
        const after = await reader.get(key);
        expect(after.values.map((v) => v.data[0])).toEqual([7]);
        expect(after.holders.length).toBe(before.holders.length);
      }
      expect(transport.stats.addressConflicts).toBeGreaterThanOrEqual(19);
      expect(transport.addressBookEntry(reader.id, swarm.node(1).id)?.address).toEqual(
        transport.addressOf(swarm.node(1).id),
      );
      expect(repliesToAttacker).toBe(19); // the replies went to where the pings really came from
    } finally {
      attacker.close();
      await swarm.close();
    }
  });
});
