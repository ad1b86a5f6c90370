/**
 * The fault kinds added after the first release (docs/fault-plans-new-kinds.md), in the simulated
 * network on virtual time: clock skew/strobe, link partitions, Gilbert–Elliott bursts, HTTP
 * toxics and swizzle-clog. Every test checks what the fault does, so it fails when the fault is
 * not applied.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { VirtualClock, type DatagramAddress } from '@fanout/core';
import { assertProperty } from '@fanout/testkit';
import {
  FaultInjector,
  FaultPlanError,
  SimNetwork,
  Trace,
  burstLossRate,
  createRng,
  parseFaultPlan,
  swizzleBounds,
  type FaultPlanInput,
} from '../src/index.js';

const addr = (port: number): DatagramAddress => ({ host: '127.0.0.1', port });

/** A network with one HTTP target 'h' whose handler answers `size` bytes 0..size-1 (mod 256). */
function httpNet(planInput: FaultPlanInput, size = 1000, seed = 1) {
  const clock = new VirtualClock();
  const trace = new Trace();
  const net = new SimNetwork({ clock, rng: createRng(seed), plan: parseFaultPlan(planInput), trace });
  let handled = 0;
  const body = Uint8Array.from({ length: size }, (_, i) => i % 256);
  net.bindHttp('http://h.sim', 'h', () => {
    handled++;
    return new Response(body, { headers: { 'content-length': String(size) } });
  });
  return { clock, net, trace, body, handled: () => handled };
}

/** Read a body to its end (or its failure), recording the virtual time and size of each piece. */
async function readTimed(clock: VirtualClock, res: Response) {
  const reader = res.body!.getReader();
  const pieces: { t: number; n: number }[] = [];
  const bytes: number[] = [];
  for (;;) {
    let r: Awaited<ReturnType<typeof reader.read>>;
    try {
      r = await reader.read();
    } catch (error) {
      return { pieces, bytes, error: error as Error, endT: clock.now() };
    }
    if (r.done) return { pieces, bytes, error: undefined, endT: clock.now() };
    pieces.push({ t: clock.now(), n: r.value.length });
    bytes.push(...r.value);
  }
}

/** For a fetch that must fail: a success is a test failure. */
const unexpected = (r: Response): Error => {
  throw new Error(`expected the fetch to fail, got ${r.status}`);
};

describe('schema of the new kinds', () => {
  test('every new kind parses with its defaults, and bad values name their path', () => {
    const plan = parseFaultPlan({
      groups: { g: ['a', 'b'] },
      rules: [
        { fault: 'clockSkew', targets: ['a'], offsetMs: -5000 },
        { fault: 'clockStrobe', group: 'g', deltaMs: 100, periodMs: 10 },
        { fault: 'linkPartition', targets: ['a'], peers: { group: 'g' } },
        { fault: 'burstLoss', pGoodToBad: 0.1, pBadToGood: 0.5 },
        { fault: 'bandwidth', rateKBps: 2 },
        { fault: 'slicer', averageBytes: 10 },
        { fault: 'limitData', bytes: 100 },
        { fault: 'slowClose', delayMs: 50 },
        { fault: 'timeout', timeoutMs: 0 },
        { fault: 'resetPeer', timeoutMs: 10, stream: 'upstream' },
        { fault: 'swizzleClog', group: 'g', periodMs: 100 },
      ],
    });
    expect(plan.rules[2]).toMatchObject({ direction: 'both' });
    expect(plan.rules[3]).toMatchObject({ lossInGood: 0, lossInBad: 1, leg: 'request' });
    expect(plan.rules[5]).toMatchObject({ variationBytes: 0, delayMs: 0, probability: 1 });
    expect(plan.rules[8]).toMatchObject({ stream: 'downstream' });
    expect(plan.rules[10]).toMatchObject({ atMs: 0 });
    expect(parseFaultPlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
    const bad = (p: unknown): string => {
      try {
        parseFaultPlan(p);
      } catch (e) {
        expect(e).toBeInstanceOf(FaultPlanError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ rules: [{ fault: 'swizzleClog', periodMs: 10 }] })).toMatch(/plan\.rules\.0\.targets/);
    expect(bad({ rules: [{ fault: 'slicer', averageBytes: 4, variationBytes: 4 }] })).toMatch(
      /plan\.rules\.0\.variationBytes/,
    );
    expect(bad({ rules: [{ fault: 'linkPartition', peers: { group: 'nope' } }] })).toMatch(
      /plan\.rules\.0\.peers\.group: unknown group "nope"/,
    );
    expect(bad({ rules: [{ fault: 'burstLoss', pGoodToBad: 2, pBadToGood: 0 }] })).toMatch(
      /plan\.rules\.0\.pGoodToBad/,
    );
    expect(bad({ rules: [{ fault: 'clockStrobe', deltaMs: 1, periodMs: 0 }] })).toMatch(/periodMs/);
    expect(bad({ rules: [{ fault: 'bandwidth', rateKBps: 0 }] })).toMatch(/rateKBps/);
  });

  test('property: a new-kind rule never shifts the draws of the older rules (same trace for them)', async () => {
    const extra: NonNullable<FaultPlanInput['rules']> = [
      { fault: 'burstLoss', pGoodToBad: 0.3, pBadToGood: 0.3 },
      { fault: 'bandwidth', rateKBps: 1, probability: 0.5 },
      { fault: 'clockStrobe', deltaMs: 7, periodMs: 3 },
    ];
    await assertProperty(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(...extra), (seed, rule) => {
        const old: FaultPlanInput = {
          latency: { default: { kind: 'uniform', minMs: 1, maxMs: 50 } },
          rules: [
            { fault: 'dropReply', probability: 0.3 },
            { fault: 'reorder', maxExtraMs: 20 },
            { fault: 'corrupt', probability: 0.2 },
          ],
        };
        const a = new FaultInjector(parseFaultPlan(old), createRng(seed));
        const b = new FaultInjector(
          parseFaultPlan({ ...old, rules: [rule!, ...old.rules!] }),
          createRng(seed),
        );
        for (let i = 0; i < 30; i++) {
          const da = a.decide('t', i * 10);
          const db = b.decide('t', i * 10);
          expect([db.latencyMs, db.dropReply, db.extraReplyMs, db.corruptBytes]).toEqual([
            da.latencyMs,
            da.dropReply,
            da.extraReplyMs,
            da.corruptBytes,
          ]);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('clockSkew and clockStrobe (what a target reads as now)', () => {
  test('clockFor(target) reads skewed time inside the window only, and only for its targets', async () => {
    const clock = new VirtualClock({ start: 1000 });
    const net = new SimNetwork({
      clock,
      rng: createRng(1),
      plan: parseFaultPlan({
        rules: [
          { fault: 'clockSkew', targets: ['a'], window: { fromMs: 100, toMs: 300 }, offsetMs: 60_000 },
          { fault: 'clockSkew', targets: ['a'], window: { fromMs: 200 }, offsetMs: -1_000 },
        ],
      }),
    });
    const a = net.clockFor('a');
    const b = net.clockFor('b');
    const seen: [number, number, number][] = [];
    for (const t of [0, 100, 250, 300]) {
      await clock.advance(t - net.elapsed());
      seen.push([net.elapsed(), a.now() - clock.now(), b.now() - clock.now()]);
    }
    expect(seen).toEqual([
      [0, 0, 0],
      [100, 60_000, 0],
      [250, 59_000, 0],
      [300, -1_000, 0],
    ]);
    // Timers are the true clock's: a sleep on the skewed clock lasts its true duration.
    const before = clock.now();
    await a.sleep(50);
    expect(clock.now() - before).toBe(50);
    expect(net.injector.nowFor('a', 250)).toBe(250 + 59_000);
  });
  test('strobe flips between +delta and the true time every period, from the window start', () => {
    const inj = new FaultInjector(
      parseFaultPlan({
        rules: [{ fault: 'clockStrobe', window: { fromMs: 10, toMs: 50 }, deltaMs: 500, periodMs: 10 }],
      }),
      createRng(1),
    );
    expect([0, 10, 19, 20, 30, 45, 50].map((t) => inj.clockOffsetMs('x', t))).toEqual([
      0, 500, 500, 0, 500, 0, 0,
    ]);
  });
});

describe('linkPartition (one-way and node-to-node)', () => {
  /** Three datagram services a, b, c that also send from their own address (as DHT nodes do). */
  function swarm(planInput: FaultPlanInput) {
    const clock = new VirtualClock();
    const trace = new Trace();
    const net = new SimNetwork({ clock, rng: createRng(1), plan: parseFaultPlan(planInput), trace });
    const handled: Record<string, number> = { a: 0, b: 0, c: 0 };
    const sockets = Object.fromEntries(
      ['a', 'b', 'c'].map((name) => {
        const sock = net.openDatagram();
        net.bindDatagram(sock.address, name, {
          handle: (req) => {
            handled[name]!++;
            return Uint8Array.from([name.charCodeAt(0), ...req]);
          },
        });
        const got: string[] = [];
        sock.onMessage((b) => got.push(String.fromCharCode(b[0]!)));
        return [name, { sock, got }];
      }),
    ) as Record<'a' | 'b' | 'c', { sock: ReturnType<SimNetwork['openDatagram']>; got: string[] }>;
    const client = net.openDatagram();
    const clientGot: string[] = [];
    client.onMessage((b) => clientGot.push(String.fromCharCode(b[0]!)));
    return { clock, net, trace, handled, sockets, client, clientGot };
  }

  test('both ways: a and b cannot reach each other; c and clients still reach both', async () => {
    const s = swarm({ rules: [{ fault: 'linkPartition', targets: ['a'], peers: { targets: ['b'] } }] });
    const { a, b, c } = s.sockets;
    a.sock.send(b.sock.address, Uint8Array.of(1)); // a → b: cut
    b.sock.send(a.sock.address, Uint8Array.of(2)); // b → a: cut
    c.sock.send(a.sock.address, Uint8Array.of(3)); // c → a: fine
    c.sock.send(b.sock.address, Uint8Array.of(4)); // c → b: fine
    s.client.send(a.sock.address, Uint8Array.of(5)); // client → a: fine
    await s.clock.runUntilIdle();
    expect([a.got, b.got, c.got.sort(), s.clientGot]).toEqual([[], [], ['a', 'b'], ['a']]);
    expect(s.handled).toEqual({ a: 2, b: 1, c: 0 });
    expect(s.trace.events().filter((e) => e.reason === 'linkPartition')).toHaveLength(2);
  });
  test('outbound (asymmetric): requests from a reach b, b handles them, its replies to a are lost', async () => {
    const s = swarm({
      rules: [{ fault: 'linkPartition', targets: ['b'], peers: { targets: ['a'] }, direction: 'outbound' }],
    });
    const { a, b } = s.sockets;
    a.sock.send(b.sock.address, Uint8Array.of(1)); // reaches b, reply b → a lost
    b.sock.send(a.sock.address, Uint8Array.of(2)); // b → a: lost at once
    s.client.send(b.sock.address, Uint8Array.of(3)); // the client is no peer: answered
    await s.clock.runUntilIdle();
    expect(s.handled).toEqual({ a: 0, b: 2, c: 0 });
    expect([a.got, b.got, s.clientGot]).toEqual([[], [], ['b']]);
  });
  test('peers omitted: the targets are cut from every other party, clients included, not from each other', async () => {
    const s = swarm({
      rules: [{ fault: 'linkPartition', targets: ['a', 'b'], window: { fromMs: 0, toMs: 100 } }],
    });
    const { a, b, c } = s.sockets;
    a.sock.send(b.sock.address, Uint8Array.of(1)); // inside the isolated side: fine
    c.sock.send(a.sock.address, Uint8Array.of(2)); // cut
    s.client.send(b.sock.address, Uint8Array.of(3)); // cut
    s.clock.setTimer(() => s.client.send(b.sock.address, Uint8Array.of(4)), 150); // window over
    await s.clock.runUntilIdle();
    expect([a.got, c.got, s.clientGot]).toEqual([['b'], [], ['b']]);
  });
  test('HTTP: fetchFrom(source) carries the sender, so a link between two targets can be cut', async () => {
    const { net, clock, handled } = httpNet({
      rules: [{ fault: 'linkPartition', targets: ['h'], peers: { targets: ['n1'] }, direction: 'inbound' }],
    });
    expect((await net.fetch('http://h.sim/')).status).toBe(200);
    expect((await net.fetchFrom('n2')('http://h.sim/')).status).toBe(200);
    const ctl = new AbortController();
    clock.setTimer(() => ctl.abort(new Error('client timeout')), 500);
    await expect(net.fetchFrom('n1')('http://h.sim/', { signal: ctl.signal })).rejects.toThrow(
      'client timeout',
    );
    expect(handled()).toBe(2);
  });
});

describe('burstLoss (Gilbert–Elliott)', () => {
  test('a chain that goes bad after the first message and never recovers loses every later request', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({
      clock,
      rng: createRng(1),
      plan: parseFaultPlan({
        rules: [{ fault: 'burstLoss', targets: ['r1'], pGoodToBad: 1, pBadToGood: 0 }],
      }),
    });
    const served: string[] = [];
    net.bindDatagram(addr(1), 'r1', { handle: () => (served.push('r1'), Uint8Array.of(1)) });
    net.bindDatagram(addr(2), 'r2', { handle: () => (served.push('r2'), Uint8Array.of(2)) });
    const sock = net.openDatagram();
    for (let i = 0; i < 4; i++) {
      sock.send(addr(1), Uint8Array.of(i));
      sock.send(addr(2), Uint8Array.of(i));
    }
    await clock.runUntilIdle();
    expect(served.filter((s) => s === 'r1')).toHaveLength(1);
    expect(served.filter((s) => s === 'r2')).toHaveLength(4);
  });
  test('property: losses come in bursts (longer runs than independent loss at the same rate), reproducibly per seed', async () => {
    const params = { pGoodToBad: 0.05, pBadToGood: 0.2, lossInGood: 0, lossInBad: 1 };
    const rate = burstLossRate(params); // 0.2
    const pattern = (seed: number, leg: 'request' | 'reply' = 'request') => {
      const inj = new FaultInjector(
        parseFaultPlan({ rules: [{ fault: 'burstLoss', ...params, leg }] }),
        createRng(seed),
      );
      return Array.from({ length: 2000 }, (_, i) => {
        const d = inj.decide('t', i);
        return (leg === 'request' ? d.requestLost : d.replyLost) !== undefined;
      });
    };
    await assertProperty(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const lost = pattern(seed);
        expect(pattern(seed)).toEqual(lost);
        const losses = lost.filter(Boolean).length;
        expect(losses / lost.length).toBeGreaterThan(rate / 3);
        expect(losses / lost.length).toBeLessThan(rate * 2);
        // Mean run of consecutive losses ≈ 1 / pBadToGood = 5; independent loss at 0.2 gives 1.25.
        let runs = 0;
        lost.forEach((l, i) => {
          if (l && !lost[i - 1]) runs++;
        });
        expect(losses / runs).toBeGreaterThan(2.5);
        expect(pattern(seed, 'reply')).toEqual(lost);
      }),
      { numRuns: 20 },
    );
  });
});

describe('HTTP toxics in the simulated fetch', () => {
  test('bandwidth: the body arrives in 100 ms pieces at rateKBps bytes per ms', async () => {
    const { net, clock } = httpNet({ rules: [{ fault: 'bandwidth', rateKBps: 2 }] }, 500);
    const res = await net.fetch('http://h.sim/');
    expect(res.headers.get('content-length')).toBeNull();
    const r = await readTimed(clock, res);
    expect(r.pieces).toEqual([
      { t: 100, n: 200 },
      { t: 200, n: 200 },
      { t: 250, n: 100 },
    ]);
    expect(r.bytes).toHaveLength(500);
    expect(r.error).toBeUndefined();
  });
  test('slicer: pieces of averageBytes ± variationBytes with delayMs after each; sizes from the seed', async () => {
    const plan: FaultPlanInput = {
      rules: [{ fault: 'slicer', averageBytes: 100, variationBytes: 30, delayMs: 5 }],
    };
    const run = async (seed: number) => {
      const { net, clock, body } = httpNet(plan, 1000, seed);
      const r = await readTimed(clock, await net.fetch('http://h.sim/'));
      expect(r.bytes).toEqual([...body]);
      return r.pieces;
    };
    const a = await run(1);
    expect(a.length).toBeGreaterThan(7);
    for (const p of a.slice(0, -1)) expect(p.n).toBeGreaterThanOrEqual(70);
    for (const p of a) expect(p.n).toBeLessThanOrEqual(130);
    expect(a.map((p) => p.t)).toEqual(a.map((_, i) => i * 5));
    expect(await run(1)).toEqual(a);
    expect((await run(2)).map((p) => p.n)).not.toEqual(a.map((p) => p.n));
  });
  test('limitData: exactly `bytes` body bytes, then the read fails as a closed connection', async () => {
    const { net, clock, trace } = httpNet({ rules: [{ fault: 'limitData', bytes: 300 }] }, 1000);
    const r = await readTimed(clock, await net.fetch('http://h.sim/'));
    expect(r.bytes).toHaveLength(300);
    expect(r.error).toBeInstanceOf(TypeError);
    expect((r.error!.cause as { code?: string }).code).toBe('UND_ERR_SOCKET');
    expect(trace.events().some((e) => e.reason === 'limitData')).toBe(true);
    // A body under the limit is untouched.
    const small = httpNet({ rules: [{ fault: 'limitData', bytes: 300 }] }, 200);
    expect((await readTimed(small.clock, await small.net.fetch('http://h.sim/'))).error).toBeUndefined();
  });
  test('slowClose: every byte at once, the end of the body delayMs later', async () => {
    const { net, clock } = httpNet({ rules: [{ fault: 'slowClose', delayMs: 700 }] }, 100);
    const r = await readTimed(clock, await net.fetch('http://h.sim/'));
    expect(r.pieces).toEqual([{ t: 0, n: 100 }]);
    expect(r.endT).toBe(700);
  });
  test('timeout: downstream runs the handler and closes after timeoutMs; upstream never reaches it; 0 is a black hole', async () => {
    const down = httpNet({
      latency: { default: { kind: 'constant', ms: 20 } },
      rules: [{ fault: 'timeout', timeoutMs: 400 }],
    });
    const e = await down.net.fetch('http://h.sim/').then(unexpected, (x: unknown) => x as Error);
    expect(e).toBeInstanceOf(TypeError);
    expect((e.cause as { code?: string }).code).toBe('UND_ERR_SOCKET');
    expect([down.handled(), down.clock.now()]).toEqual([1, 10 + 400 + 10]);
    const up = httpNet({ rules: [{ fault: 'timeout', timeoutMs: 400, stream: 'upstream' }] });
    await expect(up.net.fetch('http://h.sim/')).rejects.toThrow('fetch failed');
    expect([up.handled(), up.clock.now()]).toEqual([0, 400]);
    const hole = httpNet({ rules: [{ fault: 'timeout', timeoutMs: 0 }] });
    const ctl = new AbortController();
    hole.clock.setTimer(() => ctl.abort(new Error('client timeout')), 9000);
    await expect(hole.net.fetch('http://h.sim/', { signal: ctl.signal })).rejects.toThrow('client timeout');
    expect(hole.handled()).toBe(1);
  });
  test('resetPeer: ECONNRESET after timeoutMs; at once with 0 upstream (the handler never runs)', async () => {
    const down = httpNet({ rules: [{ fault: 'resetPeer', timeoutMs: 250 }] });
    const e = await down.net.fetch('http://h.sim/').then(unexpected, (x: unknown) => x as Error);
    expect((e.cause as { code?: string }).code).toBe('ECONNRESET');
    expect([down.handled(), down.clock.now()]).toEqual([1, 250]);
    const up = httpNet({ rules: [{ fault: 'resetPeer', timeoutMs: 0, stream: 'upstream' }] });
    const e2 = await up.net.fetch('http://h.sim/').then(unexpected, (x: unknown) => x as Error);
    expect((e2.cause as { code?: string }).code).toBe('ECONNRESET');
    expect([up.handled(), up.clock.now()]).toEqual([0, 0]);
  });
  test('toxics fire with their probability, drawn from the seed', async () => {
    const { net, handled } = httpNet({ rules: [{ fault: 'resetPeer', timeoutMs: 0, probability: 0.5 }] });
    let failed = 0;
    for (let i = 0; i < 60; i++) await net.fetch('http://h.sim/').catch(() => failed++);
    expect(handled()).toBe(60);
    expect(failed).toBeGreaterThan(15);
    expect(failed).toBeLessThan(45);
  });
});

describe('swizzleClog', () => {
  const plan: FaultPlanInput = {
    rules: [{ fault: 'swizzleClog', targets: ['s0', 's1', 's2'], atMs: 100, periodMs: 100 }],
  };
  /** Send one datagram to each of s0..s2 at time `at`; return when each reply came back. */
  async function probe(at: number, seed = 1) {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, rng: createRng(seed), plan: parseFaultPlan(plan) });
    const got: Record<string, number> = {};
    for (let i = 0; i < 3; i++) net.bindDatagram(addr(10 + i), `s${i}`, { handle: () => Uint8Array.of(i) });
    const sock = net.openDatagram();
    sock.onMessage((b) => (got[`s${b[0]}`] = clock.now()));
    clock.setTimer(() => [0, 1, 2].forEach((i) => sock.send(addr(10 + i), Uint8Array.of(0))), at);
    await clock.runUntilIdle();
    return { got, schedule: net.injector.swizzleSchedule(net.injector.plan.rules[0] as never) };
  }
  test('members clog one by one every period, stay clogged, then unclog in a seeded random order', async () => {
    const { got, schedule } = await probe(0);
    expect(got).toEqual({ s0: 0, s1: 0, s2: 0 }); // before atMs nothing is clogged
    expect(schedule.map((e) => e.clogAtMs)).toEqual([100, 200, 300]);
    expect(schedule.map((e) => e.unclogAtMs).sort((a, b) => a - b)).toEqual([400, 500, 600]);
    // At 350 ms all three are clogged: each answer comes exactly when its target unclogs.
    const late = await probe(350);
    for (const e of schedule) expect(late.got[e.target]).toBe(e.unclogAtMs);
    // At 150 ms only s0 is clogged.
    const early = await probe(150);
    const s0 = schedule.find((e) => e.target === 's0')!;
    expect(early.got).toEqual({ s0: s0.unclogAtMs, s1: 150, s2: 150 });
    // The order depends on the seed only: the same seed repeats it, some seed changes it.
    expect((await probe(0, 1)).schedule).toEqual(schedule);
    const orders = new Set<string>();
    for (let seed = 1; seed <= 12; seed++)
      orders.add((await probe(0, seed)).schedule.map((e) => e.unclogAtMs).join());
    expect(orders.size).toBeGreaterThan(1);
  });
  test('HTTP: a request sent while the target is clogged is answered when it unclogs', async () => {
    const { net, clock, handled } = httpNet({
      rules: [{ fault: 'swizzleClog', targets: ['h'], atMs: 100, periodMs: 100 }],
    });
    expect((await net.fetch('http://h.sim/')).status).toBe(200);
    expect(clock.now()).toBe(0);
    await clock.advance(150);
    const res = await net.fetch('http://h.sim/');
    expect([res.status, clock.now(), handled()]).toEqual([200, 200, 2]); // one member: unclogs at 100 + 100
  });
  test('a reply leaving a clogged target waits for its unclog; swizzleBounds brackets it without the seed', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({
      clock,
      rng: createRng(1),
      plan: parseFaultPlan({
        latency: { default: { kind: 'constant', ms: 100 } },
        rules: [{ fault: 'swizzleClog', targets: ['s'], atMs: 20, periodMs: 30, holdMs: 200 }],
      }),
    });
    net.bindDatagram(addr(1), 's', { handle: () => Uint8Array.of(1) });
    const sock = net.openDatagram();
    let at = -1;
    sock.onMessage(() => (at = clock.now()));
    sock.send(addr(1), Uint8Array.of(0)); // reaches s at 50 (clogged since 20): replies at 220 + 50
    await clock.runUntilIdle();
    expect(at).toBe(270);
    expect(swizzleBounds(net.injector.plan.rules[0] as never, {}, 's')).toEqual({
      clogAtMs: 20,
      firstUnclogMs: 220,
      lastUnclogMs: 220,
    });
  });
});
