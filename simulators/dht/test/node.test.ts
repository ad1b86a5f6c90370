import { VirtualClock } from '@fanout/core';
import { RngArgumentError, createRng, rngBytesFn } from '@fanout/sim';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CONTACT_DEAD_MS,
  DhtNode,
  InProcessNetwork,
  idFromHex,
  seededRng,
  type DhtReply,
  type SendFn,
} from '../src/index.js';

const never: SendFn = (_to, _m, signal) =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
const idA = idFromHex('aa00000000000000000000000000000000000000');
const idB = idFromHex('bb00000000000000000000000000000000000000');
const idC = idFromHex('cc00000000000000000000000000000000000000');
const key = idFromHex('0123456789abcdef0123456789abcdef01234567');

describe('DhtNode.handle: bad input gets an error reply, never an exception', () => {
  test('arbitrary junk messages and senders', () => {
    const node = new DhtNode({ id: idA, clock: new VirtualClock(), send: never });
    fc.assert(
      fc.property(
        fc.anything({ withTypedArray: true, withBigInt: true }),
        fc.anything({ withTypedArray: true }),
        (msg, from) => {
          const reply = node.handle(from, msg);
          expect(reply.type).toBe('error');
        },
      ),
      { numRuns: 200 },
    );
    expect(node.stats.badRequests).toBeGreaterThanOrEqual(200);
    expect(node.handle(idB, { type: 'ping' })).toEqual({ type: 'pong' });
  });

  test('malformed fields are named', () => {
    const node = new DhtNode({ id: idA, clock: new VirtualClock(), send: never });
    const msg = (r: DhtReply): string => (r.type === 'error' ? `${r.code}: ${r.message}` : r.type);
    expect(msg(node.handle(new Uint8Array(19), { type: 'ping' }))).toMatch(/bad-request: .*'from'/);
    expect(msg(node.handle(idB, { type: 'get', key: new Uint8Array(21) }))).toMatch(/'key'/);
    expect(
      msg(node.handle(idB, { type: 'put', key, value: { id: -1n, seq: 0, data: new Uint8Array(1) } })),
    ).toMatch(/'value.id'/);
    expect(
      msg(node.handle(idB, { type: 'put', key, value: { id: 1n, seq: 1.5, data: new Uint8Array(1) } })),
    ).toMatch(/'value.seq'/);
    expect(msg(node.handle(idB, { type: 'put', key, value: { id: 1n, seq: 1, data: [1] } }))).toMatch(
      /'value.data'/,
    );
    expect(
      msg(
        node.handle(idB, {
          type: 'put',
          key,
          value: { id: 1n, seq: 1, data: new Uint8Array(1), owner: new Uint8Array(32) },
        }),
      ),
    ).toMatch(/'value.signature'/);
    expect(
      msg(
        node.handle(idB, { type: 'put', key, value: { id: 1n, seq: 1, data: new Uint8Array(1) }, ttlMs: -5 }),
      ),
    ).toMatch(/'ttlMs'/);
    expect(msg(node.handle(idB, { type: 'nope' }))).toMatch(/'type'/);
    expect(
      msg(node.handle(idB, { type: 'put', key, value: { id: 1n, seq: 0, data: new Uint8Array(65537) } })),
    ).toMatch(/^value-too-large/);
    expect(
      msg(node.handle(idB, { type: 'put', key, value: { id: 1n, seq: 0, data: new Uint8Array(65536) } })),
    ).toBe('stored');
  });

  test('a stopped node answers unavailable and refuses local operations', async () => {
    const node = new DhtNode({ id: idA, clock: new VirtualClock(), send: never });
    node.stop();
    expect(node.handle(idB, { type: 'ping' })).toMatchObject({ type: 'error', code: 'unavailable' });
    await expect(node.get(key)).rejects.toMatchObject({ name: 'DhtNodeStoppedError' });
  });

  test('constructor validates its options', () => {
    const clock = new VirtualClock();
    expect(() => new DhtNode({ id: new Uint8Array(5), clock, send: never })).toThrow(RangeError);
    expect(() => new DhtNode({ id: idA, clock, send: never, k: 0 })).toThrow(/'k'/);
    expect(() => new DhtNode({ id: idA, clock, send: never, rpcTimeoutMs: 0 })).toThrow(/rpcTimeoutMs/);
  });
});

describe('RPC timeouts and replies of the wrong shape', () => {
  test('a silent contact times out after rpcTimeoutMs; after maxFails timeouts in a row it leaves the routing table', async () => {
    const clock = new VirtualClock();
    const node = new DhtNode({ id: idA, clock, send: never, rpcTimeoutMs: 250 });
    node.addContact(idB); // introduced: vouched, so it gets maxFails (3) chances
    for (let i = 1; i <= 3; i++) {
      const r = await node.findNode(key);
      expect(r.failed.map((x) => x[0])).toEqual([0xbb]);
      expect(r.closest).toEqual([]);
      expect(r.elapsedMs).toBe(250);
      expect(node.routingTableSize).toBe(i < 3 ? 1 : 0);
    }
    expect(node.isDead(idB)).toBe(true);
    expect(node.stats.contactsEvicted).toBe(1);
  });

  test('a contact known only from its request is pinged once; silent, it is evicted after one timeout and stays dead', async () => {
    const clock = new VirtualClock();
    const sent: string[] = [];
    // C answers every request listing B; B never answers.
    const send: SendFn = async (to, msg, signal) => {
      sent.push(`${to[0]!.toString(16)}:${msg.type}`);
      if (to[0] === 0xcc) return msg.type === 'ping' ? { type: 'pong' } : { type: 'nodes', nodes: [idB] };
      return never(to, msg, signal);
    };
    const node = new DhtNode({ id: idA, clock, send, rpcTimeoutMs: 250 });
    expect(node.handle(idB, { type: 'ping' })).toEqual({ type: 'pong' });
    expect(sent).toEqual(['bb:ping']); // the verification ping
    expect(node.routingTableSize).toBe(1);
    await clock.sleep(250);
    expect(node.routingTableSize).toBe(0);
    expect(node.isDead(idB)).toBe(true);
    // Requests under its id no longer put it back, nor trigger a ping, while it is dead …
    node.handle(idB, { type: 'ping' });
    expect(node.routingTableSize).toBe(0);
    expect(sent).toEqual(['bb:ping']);
    // … and a lookup that hears of it from a peer reports it failed without asking it.
    node.addContact(idC);
    const r = await node.findNode(key);
    expect(r.queried.map((x) => x[0])).toEqual([0xcc]);
    expect(r.failed.map((x) => x[0])).toEqual([0xbb]);
    expect(r.elapsedMs).toBe(0);
    expect(node.stats.deadSkipped).toBe(1);
    expect(sent).toEqual(['bb:ping', 'cc:findNode']);
    // Once CONTACT_DEAD_MS passed, a peer listing it gets it asked again.
    await clock.sleep(CONTACT_DEAD_MS);
    const again = await node.findNode(key);
    expect(again.queried.map((x) => x[0])).toEqual([0xcc, 0xbb]);
  });

  test('a lying peer (bad reply shape) counts as failed, the lookup still ends', async () => {
    const clock = new VirtualClock();
    const liar: SendFn = async () => ({ type: 'nodes', nodes: ['not an id'] }) as unknown as DhtReply;
    const node = new DhtNode({ id: idA, clock, send: liar });
    node.addContact(idB);
    const r = await node.get(key);
    expect(r.failed.length).toBe(1);
    expect(r.values).toEqual([]);
  });

  test('in-process network: two nodes, latency on the clock, rejects for unknown nodes in reject mode', async () => {
    const clock = new VirtualClock();
    const net = new InProcessNetwork({ clock, latencyMs: () => 40, unreachable: 'reject' });
    const a = new DhtNode({ id: idA, clock, send: net.sender(idA) });
    const b = new DhtNode({ id: idB, clock, send: net.sender(idB) });
    net.attach(a);
    net.attach(b);
    a.addContact(idB);
    const put = await a.put(key, { id: 7n, seq: 0, data: Uint8Array.of(1) });
    expect(put.stored.length).toBe(1);
    expect(clock.now()).toBe(160); // findNode round trip + put round trip, 2 × 2 × 40 ms
    expect(b.contacts().length).toBe(1); // b learned a from its requests
    const send = net.sender(idA);
    await expect(
      send(
        idFromHex('cc00000000000000000000000000000000000000'),
        { type: 'ping' },
        new AbortController().signal,
      ),
    ).rejects.toMatchObject({
      name: 'DhtUnreachableError',
    });
  });
});

describe('seededRng (deprecated adapter over the project generator)', () => {
  test('same seed, same bytes; other seed, other bytes; the bytes are createRng(0).fork(...)', () => {
    const a = seededRng('x');
    const b = seededRng('x');
    expect([...a(50)]).toEqual([...b(50)]);
    expect([...seededRng('y')(16)]).not.toEqual([...seededRng('x')(16)]);
    expect([...seededRng(7)(16)]).toEqual([...rngBytesFn(createRng(0).fork('sim-dht:7'))(16)]);
    expect(() => a(-1)).toThrow(RngArgumentError);
  });
});
