/**
 * Regression tests for the routing-poisoning and memory findings (issue "Fidelity, hardening…",
 * DHT items), all in virtual time over the sim kit's SimNetwork or the in-process network.
 */
import { VirtualClock } from '@fanout/core';
import { SimNetwork, createRng, parseFaultPlan, type FaultPlanInput } from '@fanout/sim';
import { describe, expect, test } from 'vitest';
import {
  DatagramDhtNetwork,
  DhtNode,
  InProcessNetwork,
  MAX_FRAGMENTS,
  Reassembler,
  Swarm,
  encodeFrame,
  fragmentFrame,
  idFromHex,
  simEndpoints,
  toHex,
  type DhtEndpoint,
  type NodeId,
} from '../src/index.js';

async function simSwarm(
  plan: FaultPlanInput,
  size = 20,
): Promise<{ clock: VirtualClock; net: SimNetwork; transport: DatagramDhtNetwork; swarm: Swarm }> {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, rng: createRng(1).fork('net'), plan: parseFaultPlan(plan) });
  const transport = new DatagramDhtNetwork({ open: simEndpoints(net) });
  // 'lookup' bootstrap: node 0 learns every address from the other nodes' own requests.
  const swarm = await Swarm.create({ size, clock, seed: 1, transport });
  return { clock, net, transport, swarm };
}

/**
 * A ping frame claiming to come from node `from`; the attacker sends it from its own socket.
 * (Before the fix the frame also announced the attacker's port as the sender's address, and the
 * receiver took it: these tests failed then, see the report.)
 */
function spoofedPing(rid: number, from: NodeId): Uint8Array {
  return encodeFrame({ kind: 'request', rid, from, msg: { type: 'ping' } });
}

describe('routing poisoning (sim)', () => {
  test('19 spoofed pings, one per node id, from one attacker socket do not cut node 0 off from a stored value', async () => {
    const { clock, net, transport, swarm } = await simSwarm({
      latency: { default: { kind: 'constant', ms: 20 } },
    });
    // A key far from node 0 (first bit flipped), so node 0 holds no copy: it must reach the holders.
    const key = swarm.node(0).id.slice();
    key[0] = key[0]! ^ 0x80;
    const put = await swarm.node(5).put(key, { id: 1n, seq: 0, data: Uint8Array.of(7) });
    expect(put.stored.length).toBe(8);
    const reader = swarm.node(0);
    const before = await reader.get(key);
    expect(before.values.length).toBe(1);
    expect(before.holders.length).toBe(8);
    const attacker = net.openDatagram();
    const victim = transport.addressOf(reader.id)!;
    for (let i = 1; i < swarm.nodes.length; i++)
      attacker.send(victim, spoofedPing(1000 + i, swarm.node(i).id));
    let repliesToAttacker = 0;
    attacker.onMessage(() => repliesToAttacker++);
    await clock.sleep(200);
    expect(reader.stats.requestsHandled).toBeGreaterThanOrEqual(19); // the pings were served …
    for (let round = 0; round < 3; round++) {
      // … and node 0 still reaches the real nodes, round after round
      const after = await reader.get(key);
      expect(after.values.map((v) => v.data[0])).toEqual([7]);
      expect(after.holders.length).toBe(before.holders.length);
      expect(after.failed.length).toBe(0);
      await clock.sleep(5_000);
    }
    expect(transport.stats.addressConflicts).toBeGreaterThanOrEqual(19); // their claims were ignored
    await swarm.close();
    expect(repliesToAttacker).toBe(19); // the replies went to where the pings really came from
  });

  test('a verified address is evicted after repeated timeouts; only then may a request set a new one', async () => {
    // Two nodes only, so no third node can teach node X's address back (virtual time).
    const clock = new VirtualClock();
    const plan = (rules: FaultPlanInput['rules'] = []): ReturnType<typeof parseFaultPlan> =>
      parseFaultPlan({ latency: { default: { kind: 'constant', ms: 20 } }, rules });
    const net = new SimNetwork({ clock, rng: createRng(2).fork('net'), plan: plan() });
    const transport = new DatagramDhtNetwork({ open: simEndpoints(net) });
    const mk = (b: number): DhtNode => {
      const id = new Uint8Array(20).fill(b);
      return new DhtNode({ id, clock, send: transport.sender(id) });
    };
    const a = mk(1);
    const x = mk(2);
    await transport.attach(a, 0);
    await transport.attach(x, 1);
    transport.introduce(a.id, x.id);
    a.addContact(x.id);
    await a.findNode(x.id); // X answered node A: a verified contact
    const real = transport.addressOf(x.id)!;
    expect(transport.addressBookEntry(a.id, x.id)).toEqual({ address: real, verified: true, misses: 0 });
    net.injector.setPlan(plan([{ fault: 'partition', targets: ['dht-1'] }])); // X goes silent
    const attacker = net.openDatagram();
    const spoof = (rid: number): void => attacker.send(transport.addressOf(a.id)!, spoofedPing(rid, x.id));
    for (let i = 0; i < 3; i++) {
      spoof(1 + i); // while the entry stands, a request claiming X from elsewhere changes nothing
      await clock.sleep(50);
      expect(transport.addressBookEntry(a.id, x.id)).toEqual({ address: real, verified: true, misses: i });
      a.addContact(x.id); // (node A's routing table dropped X after the timeout)
      const r = await a.findNode(x.id);
      expect(r.failed.map(toHex)).toEqual([x.idHex]);
    }
    expect(transport.addressBookEntry(a.id, x.id)).toBeUndefined(); // evicted after 3 timeouts in a row
    expect(transport.stats).toMatchObject({ evicted: 1, addressConflicts: 3 });
    spoof(99); // now the id is unknown: learned from the request's real source, unverified
    await clock.sleep(50);
    expect(transport.addressBookEntry(a.id, x.id)).toEqual({
      address: attacker.address,
      verified: false,
      misses: 0,
    });
    a.addContact(x.id);
    await a.findNode(x.id); // the attacker does not answer: an unverified entry goes after 1 timeout
    expect(transport.addressBookEntry(a.id, x.id)).toBeUndefined();
    net.injector.setPlan(plan());
    await x.findNode(a.id); // X speaks again: node A learns its real address from the datagram
    expect(transport.addressBookEntry(a.id, x.id)).toEqual({ address: real, verified: false, misses: 0 });
    await transport.close();
  });
});

describe('contacts that stop answering are evicted (in-process, virtual time)', () => {
  // Ids chosen so that A and B fill node 0's bucket (k = 2) and C1, C2 are closest to the target.
  const hex = (first: string, last: string): NodeId => idFromHex(first + '0'.repeat(36) + last);
  const N0 = hex('00', '00');
  const A = hex('f0', '00');
  const B = hex('80', '00');
  const C1 = hex('ff', 'fe');
  const C2 = hex('ff', 'fd');
  const T = idFromHex('f'.repeat(40));

  test('a silent contact whose RPCs lookups stop waiting for is still evicted; lookups get fast again', async () => {
    const clock = new VirtualClock();
    const net = new InProcessNetwork({ clock, latencyMs: () => 10 });
    const mk = (id: NodeId): DhtNode =>
      new DhtNode({ id, clock, send: net.sender(id), k: 2, alpha: 1, rpcTimeoutMs: 1000 });
    const [n0, a, b, c1, c2] = [N0, A, B, C1, C2].map(mk) as [DhtNode, DhtNode, DhtNode, DhtNode, DhtNode];
    for (const n of [n0, a, b, c1, c2]) net.attach(n as DhtEndpoint);
    n0.addContact(A);
    n0.addContact(B);
    b.addContact(C1);
    b.addContact(C2);
    net.setOnline(A, false); // A stops answering
    const elapsed: number[] = [];
    for (let i = 0; i < 7; i++) elapsed.push((await n0.findNode(T)).elapsedMs);
    // The first lookups wait out A (lookupStallMs = 500) before asking B. A was introduced
    // (addContact: vouched), so it goes after maxFails = 3 timeouts in a row — the 4th lookup
    // started while the 3rd timeout was still running — and later lookups do not wait for it.
    expect(elapsed.slice(0, 3).every((ms) => ms >= 500)).toBe(true);
    expect(n0.contacts().map(toHex)).not.toContain(toHex(A));
    expect(n0.isDead(A)).toBe(true);
    expect(n0.stats.contactsEvicted).toBe(1);
    expect(elapsed.slice(-3).every((ms) => ms < 500)).toBe(true);
  });
});

describe('fragment reassembly memory is bounded per node', () => {
  test('40 incomplete 127-fragment messages: the buffered bytes stay under the total bound; a real frame still completes', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const bound = 4 * 1024 * 1024;
    const r = new Reassembler({ clock, maxBufferedBytes: bound });
    const big = new Uint8Array(127 * 8192);
    for (let m = 0; m < 40; m++) {
      const parts = fragmentFrame(big, m, 8192);
      expect(parts.length).toBe(127);
      for (const p of parts.slice(0, 126)) expect(r.accept(p, `attacker:${m % 4}`)).toBeUndefined();
    }
    expect(r.inProgress * 126 * 8192).toBeLessThanOrEqual(bound);
    expect(r.bufferedBytes).toBeLessThanOrEqual(bound);
    const frame = Uint8Array.from({ length: 3 * 8192 + 5 }, (_, i) => i & 255);
    let out: Uint8Array | undefined;
    for (const p of fragmentFrame(frame, 1, 8192)) out = r.accept(p, 'honest') ?? out;
    expect(out).toEqual(frame);
    expect(MAX_FRAGMENTS).toBe(128);
    r.close();
    expect(r.bufferedBytes).toBe(0);
  });
});

describe('option checks of the new bounds', () => {
  test('typed errors naming the field', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    for (const [field, o] of [
      ['maxBufferedBytes', { maxBufferedBytes: 1000 }],
      ['maxBufferedBytes', { maxBufferedBytes: 1.5e6 + 0.5 }],
      ['maxInProgress', { maxInProgress: 0 }],
      ['ttlMs', { ttlMs: Infinity }],
    ] as const)
      expect(() => new Reassembler({ clock, ...o })).toThrow(
        expect.objectContaining({ name: 'FragmentError', field }),
      );
    const net = new SimNetwork({ clock, rng: createRng(1) });
    expect(() => new DatagramDhtNetwork({ open: simEndpoints(net), maxMisses: 0 })).toThrow(
      expect.objectContaining({ name: 'DatagramOptionError', field: 'maxMisses' }),
    );
    await expect(Swarm.create({ size: 2, clock: new VirtualClock(), seed: -1 })).rejects.toMatchObject({
      name: 'SwarmOptionError',
      option: 'seed',
    });
  });
});
