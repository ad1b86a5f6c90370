import { VirtualClock, type RandomBytes } from '@fanout/core';
import { SimNetwork, Trace, createRng, parseFaultPlan, rngBytesFn, type FaultPlanInput } from '@fanout/sim';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import {
  DatagramDhtNetwork,
  DhtBadRequestError,
  DhtFrameError,
  FRAGMENT_HEADER_BYTES,
  Reassembler,
  Swarm,
  decodeFrame,
  dhtTarget,
  encodeFrame,
  fragmentFrame,
  parseReply,
  parseRequest,
  peekFrame,
  simEndpoints,
  toHex,
  type DhtRequest,
  type DhtValue,
} from '../src/index.js';

/** Seeded test bytes from the project generator: a fresh stream per label. */
const bytesFor = (label: string): RandomBytes => rngBytesFn(createRng(0).fork(label));

const id = (b: number): Uint8Array => new Uint8Array(20).fill(b);
const text = (v: DhtValue | undefined): string => new TextDecoder().decode(v?.data);

describe('frame codec', () => {
  test('requests and replies round-trip (bytes, bigint value ids, contact addresses)', () => {
    const value: DhtValue = {
      id: (1n << 64n) - 1n,
      seq: 7,
      data: Uint8Array.of(0, 1, 254, 255),
      owner: new Uint8Array(32).fill(9),
      signature: new Uint8Array(64).fill(8),
    };
    const req: DhtRequest = { type: 'put', key: id(3), value, ttlMs: 5000 };
    const bytes = encodeFrame({
      kind: 'request',
      rid: 0xfffffffe,
      from: id(1),
      msg: req,
    });
    expect(peekFrame(bytes)).toEqual({ kind: 'request', rid: 0xfffffffe });
    const f = decodeFrame(bytes);
    expect(f).toEqual({ kind: 'request', rid: 0xfffffffe, from: id(1), msg: f.msg });
    expect('addr' in f).toBe(false); // a request names no address: the receiver uses the real source
    expect(parseRequest(f.msg)).toEqual(req);
    const reply = encodeFrame({
      kind: 'reply',
      rid: 5,
      from: id(2),
      msg: { type: 'values', values: [value], nodes: [id(4)] },
      contacts: [{ id: id(4), host: '10.0.0.4', port: 1 }],
    });
    const r = decodeFrame(reply);
    expect(r.kind === 'reply' && r.contacts).toEqual([{ id: id(4), host: '10.0.0.4', port: 1 }]);
    expect(parseReply('get', r.msg)).toEqual({ type: 'values', values: [value], nodes: [id(4)] });
  });

  test('MessagePack body: bytes are plain Uint8Arrays, 64-bit integers bigints, "__proto__" sets no prototype; extension types, trailing bytes and non-maps are refused', () => {
    const frame = (body: Uint8Array): Uint8Array =>
      Uint8Array.of(
        ...encodeFrame({ kind: 'request', rid: 1, from: id(1), msg: { type: 'ping' } }).slice(0, 10),
        ...body,
      );
    const packr = new Packr({ useRecords: false });
    const msg = decodeFrame(
      frame(
        packr.pack({ from: id(1), msg: { a: [Uint8Array.of(0, 1), (1n << 64n) - 1n, -5n], __proto__x: 1 } }),
      ),
    ).msg as Record<string, unknown>;
    expect(msg.a).toEqual([Uint8Array.of(0, 1), (1n << 64n) - 1n, -5n]);
    expect((msg.a as unknown[])[0]!.constructor).toBe(Uint8Array);
    // A map whose key is "__proto__", written by hand: fixmap(1), fixstr "__proto__", fixmap(1) "x": 1.
    const protoMap = Uint8Array.of(
      0x81,
      0xa9,
      ...new TextEncoder().encode('__proto__'),
      0x81,
      0xa1,
      0x78,
      0x01,
    );
    const body = Uint8Array.of(
      0x82,
      ...packr.pack('from').subarray(0),
      ...packr.pack(id(1)),
      ...packr.pack('msg'),
      ...protoMap,
    );
    const m = decodeFrame(frame(body)).msg as Record<string, unknown>;
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect((m as { x?: unknown }).x).toBeUndefined();
    for (const [name, bad] of [
      ['a timestamp (extension type -1)', frame(new Packr().pack({ from: id(1), msg: new Date(0) }))],
      ['trailing bytes', frame(Uint8Array.of(...packr.pack({ from: id(1), msg: 1 }), 0xc0))],
      ['an array body', frame(packr.pack([id(1), 1]))],
      ['a bin body', frame(packr.pack(id(1)))],
      [
        'an Error (extension 0x65)',
        frame(new Packr({ moreTypes: true }).pack({ from: id(1), msg: new Error('x') })),
      ],
      [
        'a Set (extension 0x73)',
        frame(new Packr({ moreTypes: true }).pack({ from: id(1), msg: new Set([1]) })),
      ],
    ] as const)
      expect(() => decodeFrame(bad), name).toThrow(DhtFrameError);
    // msgpackr's records (extension 0x72) are another way to write maps: plain objects, no state kept between frames.
    const records = new Packr({ useRecords: true }).pack({ from: id(1), msg: [{ a: 1 }, { a: 2 }] });
    expect(decodeFrame(frame(records)).msg).toEqual([{ a: 1 }, { a: 2 }]);
    expect(decodeFrame(frame(packr.pack({ from: id(1), msg: [{ a: 3 }] }))).msg).toEqual([{ a: 3 }]);
  });

  test('a message type that is an object with a non-callable toString is a DhtBadRequestError, not a TypeError (fuzz finding, seed 20261202)', () => {
    const input = Buffer.from(
      '4644485403010000000082a466726f6dc414ed895ed085f8f65355b482b9bf22c9bbd1e0551ba36d736781a47479706581a8746f537472696e67c400',
      'hex',
    );
    const f = decodeFrame(new Uint8Array(input));
    expect(() => parseRequest(f.msg)).toThrow(DhtBadRequestError);
    expect(() => parseRequest(f.msg)).toThrow(/unknown message type an object/);
    expect(() => parseReply('ping', f.msg)).toThrow(DhtBadRequestError);
  });

  test('any damage is a DhtFrameError naming the part, never another exception', () => {
    const good = encodeFrame({
      kind: 'request',
      rid: 1,
      from: id(1),
      msg: { type: 'get', key: id(2) },
    });
    const cases: Array<[Uint8Array, string]> = [
      [good.slice(0, 5), 'frame'],
      [Uint8Array.of(0x47, ...good.slice(1)), 'magic'],
      [Uint8Array.of(...good.slice(0, 4), 1, ...good.slice(5)), 'version'], // v1 (self-announced addr) refused
      [Uint8Array.of(...good.slice(0, 5), 9, ...good.slice(6)), 'kind'],
      [good.slice(0, good.length - 3), 'body'],
      [Uint8Array.of(...good.slice(0, 10), ...new TextEncoder().encode('{"from":1,"msg":1}')), 'body'], // v2's JSON
      [
        Uint8Array.of(...good.slice(0, 10), ...new Packr().pack({ from: Uint8Array.of(0, 0, 0), msg: 1 })),
        'from',
      ],
      [
        Uint8Array.of(
          ...good.slice(0, 5),
          2, // a reply
          ...good.slice(6, 10),
          ...new Packr().pack({ from: id(1), msg: 1, contacts: [{ id: id(2), host: 'h', port: 70000 }] }),
        ),
        'contacts',
      ],
    ];
    for (const [bytes, field] of cases) {
      let caught: unknown;
      try {
        decodeFrame(bytes);
      } catch (e) {
        caught = e;
      }
      expect(caught, field).toBeInstanceOf(DhtFrameError);
      expect((caught as DhtFrameError).field).toBe(field);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(good.length - 1), (noise, at) => {
        const bytes = Uint8Array.of(...good.slice(0, at), ...noise);
        try {
          decodeFrame(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DhtFrameError);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('fragments: split above maxPayload, reassembled in any order, duplicates and strays ignored', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.infiniteStream(fc.nat()), (size, order) => {
        const frame = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) & 255);
        const parts = fragmentFrame(frame, 77, 1024);
        expect(parts.length).toBe(size <= 1024 ? 1 : Math.ceil(size / 1024));
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(1024 + FRAGMENT_HEADER_BYTES);
        const shuffled = [...parts];
        const it = order[Symbol.iterator]();
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const r = new Reassembler({ clock });
        let out: Uint8Array | undefined;
        for (const p of [shuffled[0]!, ...shuffled]) out = r.accept(p, 'src') ?? out;
        expect(out).toEqual(frame);
        expect(r.inProgress).toBe(0);
        r.close();
      }),
      { numRuns: 40 },
    );
  });

  test('incomplete fragment sets expire; bad fragment headers are counted', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const r = new Reassembler({ clock, ttlMs: 1000 });
    const parts = fragmentFrame(new Uint8Array(3000), 1, 1024);
    expect(r.accept(parts[0]!, 'a')).toBeUndefined();
    expect(r.inProgress).toBe(1);
    await clock.advance(1000);
    expect(r.inProgress).toBe(0);
    expect(r.stats.expired).toBe(1);
    const bad = parts[1]!.slice();
    bad[12] = 0; // count 0
    expect(r.accept(bad, 'a')).toBeUndefined();
    expect(r.stats.invalid).toBe(1);
  });
});

async function simSwarm(
  seed: number,
  plan: FaultPlanInput,
  size = 60,
): Promise<{
  clock: VirtualClock;
  swarm: Swarm;
  net: SimNetwork;
  transport: DatagramDhtNetwork;
  trace: Trace;
}> {
  const clock = new VirtualClock();
  const trace = new Trace();
  const net = new SimNetwork({ clock, rng: createRng(seed).fork('net'), plan: parseFaultPlan(plan), trace });
  const transport = new DatagramDhtNetwork({ open: simEndpoints(net) });
  const swarm = await Swarm.create({ size, clock, seed, transport, bootstrap: 'direct' });
  return { clock, swarm, net, transport, trace };
}

describe('swarm over the sim kit SimNetwork (virtual time, fault plans)', () => {
  test('bootstrap by lookup learns addresses from replies; put/get of a 64 KiB value', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({
      clock,
      rng: createRng(3),
      plan: parseFaultPlan({ latency: { default: { kind: 'constant', ms: 40 } } }),
    });
    const transport = new DatagramDhtNetwork({ open: simEndpoints(net) });
    const swarm = await Swarm.create({ size: 50, clock, seed: 3, transport });
    // Node 0 was introduced to nobody: it learned every address from requests and replies.
    expect(transport.knownAddresses(swarm.node(0).id)).toBeGreaterThan(20);
    expect(transport.targetOf(swarm.node(7).id)).toBe(dhtTarget(7));
    const key = bytesFor('big')(20);
    const data = bytesFor('data')(65536);
    const put = await swarm.node(1).put(key, { id: 1n, seq: 0, data });
    expect(put.stored.length).toBe(8);
    const got = await swarm.farthestLive(key).get(key);
    expect(got.values[0]!.data).toEqual(data);
    expect(got.elapsedMs % 40).toBe(0); // whole round trips of the plan's constant latency
    expect(transport.stats.badFrames).toBe(0);
    await swarm.close();
  });

  test('loss (dropRequest/dropReply with probability) and a partition: values still found, lost RPCs time out', async () => {
    const { swarm, transport, net } = await simSwarm(5, {
      latency: { default: { kind: 'uniform', minMs: 10, maxMs: 60 } },
      groups: { cut: Array.from({ length: 10 }, (_, i) => dhtTarget(50 + i)) },
      rules: [
        { fault: 'dropRequest', probability: 0.1 },
        { fault: 'dropReply', probability: 0.1 },
        { fault: 'partition', group: 'cut' },
      ],
    });
    const keys = Array.from({ length: 8 }, (_, i) => bytesFor(`k${i}`)(20));
    let found = 0;
    for (const [i, key] of keys.entries()) {
      const put = await swarm.node(i).put(key, { id: 1n, seq: 0, data: Uint8Array.of(i) });
      expect(put.stored.length).toBeGreaterThan(0);
      const got = await swarm.node(40 - i).get(key);
      if (got.values[0]?.data[0] === i) found++;
    }
    expect(found).toBe(8);
    expect(net.stats.dropped).toBeGreaterThan(0);
    expect(transport.stats.sent).toBeGreaterThan(transport.stats.replies);
    // Partitioned nodes never answered anyone.
    const cut = swarm.nodes.slice(50);
    expect(cut.every((n) => n.stats.requestsHandled === 0)).toBe(true);
    await swarm.close();
  });

  test('a crash with loseState wipes the node storage; a left node is unbound (requests to it time out)', async () => {
    const { swarm, clock } = await simSwarm(9, {
      rules: [{ fault: 'crash', targets: [dhtTarget(1)], atMs: 1, restartAfterMs: 1, loseState: true }],
    });
    const key = swarm.node(1).id.slice();
    key[19] = key[19]! ^ 1; // node 1 is the closest node to this key
    await swarm.node(2).put(key, { id: 1n, seq: 0, data: Uint8Array.of(1) });
    expect(swarm.node(1).storage.size).toBe(1);
    await clock.sleep(10);
    await swarm.node(3).get(key); // the first delivery after the crash wipes volatile state
    expect(swarm.node(1).storage.size).toBe(0);
    swarm.leave(4);
    const before = swarm.node(5).stats.rpcsFailed;
    swarm.node(5).addContact(swarm.node(4).id);
    await swarm.node(5).findNode(swarm.node(4).id);
    expect(swarm.node(5).stats.rpcsFailed).toBeGreaterThan(before);
    await swarm.close();
  });

  test('spoofed replies (wrongSender) are ignored, truncated ones fail their RPC; the lookup goes on', async () => {
    const { swarm, transport } = await simSwarm(11, {
      rules: [
        { fault: 'wrongSender', targets: [dhtTarget(3)], as: dhtTarget(4) },
        { fault: 'truncate', targets: [dhtTarget(6)], keepBytes: 30 },
      ],
    });
    const n = swarm.node(0);
    for (const victim of [swarm.node(3), swarm.node(6)]) {
      n.addContact(victim.id);
      const r = await n.findNode(victim.id);
      expect(r.failed.map(toHex)).toContain(victim.idHex);
      expect(r.closest.map(toHex)).not.toContain(victim.idHex);
      expect(r.closest.length).toBeGreaterThanOrEqual(7); // replies list k = 8 ids, the victim among them
    }
    expect(transport.stats.unmatched).toBeGreaterThan(0); // node 3's replies claimed to be node 4's
    expect(transport.stats.badFrames).toBeGreaterThan(0); // node 6's replies were cut short
    await swarm.close();
  });

  test('determinism: the same seed gives the same trace hash; another seed differs', async () => {
    const run = async (seed: number): Promise<string> => {
      const { swarm, trace } = await simSwarm(seed, {
        latency: { default: { kind: 'lognormal', medianMs: 30, sigma: 0.5 } },
        rules: [{ fault: 'dropReply', probability: 0.05 }],
      });
      const key = bytesFor('det')(20);
      await swarm.node(0).put(key, { id: 1n, seq: 0, data: Uint8Array.of(1) });
      expect(text((await swarm.node(30).get(key)).values[0])).toBe('\u0001');
      await swarm.close();
      return trace.hash();
    };
    const a = await run(21);
    expect(await run(21)).toBe(a);
    expect(await run(22)).not.toBe(a);
  });
});
