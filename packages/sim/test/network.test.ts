import { describe, expect, test } from 'vitest';
import { VirtualClock, type DatagramAddress } from '@fanout/core';
import {
  FaultPlanError,
  SimNetwork,
  Trace,
  createRng,
  parseFaultPlan,
  type DatagramService,
  type FaultPlanInput,
} from '../src/index.js';

const SERVER: DatagramAddress = { host: '127.0.0.1', port: 50001 };

/** Echo service: replies with the request bytes prefixed by its id byte. */
const echo = (id: number): DatagramService => ({
  handle: (req) => Uint8Array.from([id, ...req]),
  forcedReply: (_req, status) => Uint8Array.from([id, 0xee, status]),
  spoofSender: (reply, as) => Uint8Array.from([Number(as.replace('r', '')), ...reply.subarray(1)]),
});

async function exchange(
  planInput: FaultPlanInput,
  opts: { seed?: number; sends?: number; at?: number[] } = {},
) {
  const clock = new VirtualClock();
  const trace = new Trace();
  const net = new SimNetwork({
    clock,
    rng: createRng(opts.seed ?? 1),
    plan: parseFaultPlan(planInput),
    trace,
  });
  net.bindDatagram(SERVER, 'r1', echo(1));
  const sock = net.openDatagram();
  const got: { t: number; bytes: number[] }[] = [];
  sock.onMessage((b) => got.push({ t: clock.now(), bytes: [...b] }));
  const times = opts.at ?? Array.from({ length: opts.sends ?? 1 }, () => 0);
  times.forEach((t, i) => clock.setTimer(() => sock.send(SERVER, Uint8Array.from([i, 1, 2, 3])), t));
  await clock.runUntilIdle();
  return { got, net, trace };
}

describe('trace events', () => {
  test('a datagram exchange is traced as send, deliver and reply, each at its virtual time', async () => {
    const { trace } = await exchange({ latency: { default: { kind: 'constant', ms: 10 } } }, { at: [3] });
    expect(trace.events()).toEqual([
      { t: 3, kind: 'send', to: 'r1', bytes: 4, head: '00010203', latencyMs: 10 },
      { t: 8, kind: 'deliver', to: 'r1', bytes: 4 },
      { t: 13, kind: 'reply', from: 'r1', bytes: 5, head: '0100010203', copy: 0 },
    ]);
  });

  test('a disabled trace sink is never handed an event (none is built)', async () => {
    const clock = new VirtualClock();
    const sink = {
      enabled: false,
      record(): void {
        throw new Error('an event was built for a disabled trace');
      },
    };
    const net = new SimNetwork({ clock, rng: createRng(1), trace: sink });
    net.bindDatagram(SERVER, 'r1', echo(1));
    const sock = net.openDatagram();
    let replies = 0;
    sock.onMessage(() => replies++);
    sock.send(SERVER, Uint8Array.from([1]));
    await clock.runUntilIdle();
    expect(replies).toBe(1);
  });
});

describe('fault plans', () => {
  test('unknown fields, bad values and unknown groups are rejected with their path', () => {
    const bad = (p: unknown) => {
      try {
        parseFaultPlan(p);
      } catch (e) {
        expect(e).toBeInstanceOf(FaultPlanError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ rules: [{ fault: 'dropReply', probability: 2 }] })).toMatch(/plan\.rules\.0\.probability/);
    expect(bad({ rules: [{ fault: 'dropReply', colour: 'red' }] })).toMatch(
      /plan\.rules\.0\.colour: unknown field/,
    );
    expect(bad({ rules: [{ fault: 'explode' }] })).toMatch(/plan\.rules\.0/);
    expect(bad({ rules: [{ fault: 'partition', group: 'nope' }] })).toMatch(
      /plan\.rules\.0\.group: unknown group "nope"/,
    );
    expect(bad({ latency: { default: { kind: 'constant', ms: -1 } } })).toMatch(/plan\.latency\.default/);
    expect(bad({ rules: [{ fault: 'pause', window: { fromMs: 10, toMs: 5 } }] })).toMatch(/toMs/);
    expect(bad({ extra: 1 })).toMatch(/plan\.extra: unknown field/);
  });
  test('a plan round-trips through JSON', () => {
    const plan = parseFaultPlan({
      groups: { slow: ['r1'] },
      rules: [{ fault: 'delay', group: 'slow', latency: { kind: 'constant', ms: 5 } }],
    });
    expect(parseFaultPlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });
});

describe('SimNetwork datagrams (virtual time)', () => {
  test('round trip takes the sampled latency, split across the two legs', async () => {
    const { got } = await exchange({ latency: { default: { kind: 'constant', ms: 100 } } });
    expect(got).toEqual([{ t: 100, bytes: [1, 0, 1, 2, 3] }]);
  });
  test('dropRequest / dropReply lose the message; the service sees it only for dropReply', async () => {
    const a = await exchange({ rules: [{ fault: 'dropRequest' }] });
    expect(a.got).toEqual([]);
    expect(a.net.stats.delivered).toBe(0);
    const b = await exchange({ rules: [{ fault: 'dropReply' }] });
    expect(b.got).toEqual([]);
    expect(b.net.stats.delivered).toBe(1);
  });
  test('duplicateReply, corrupt, truncate, wrongSender, forceStatus, delay', async () => {
    expect(
      (await exchange({ rules: [{ fault: 'duplicateReply', copies: 2, gapMs: 5 }] })).got.map((g) => g.t),
    ).toEqual([0, 5, 10]);
    const c = (await exchange({ rules: [{ fault: 'corrupt', bytes: 2 }] })).got[0]!.bytes;
    expect(c).toHaveLength(5);
    expect(c).not.toEqual([1, 0, 1, 2, 3]);
    expect((await exchange({ rules: [{ fault: 'truncate', keepBytes: 2 }] })).got[0]!.bytes).toEqual([1, 0]);
    expect((await exchange({ rules: [{ fault: 'wrongSender', as: 'r7' }] })).got[0]!.bytes).toEqual([
      7, 0, 1, 2, 3,
    ]);
    expect((await exchange({ rules: [{ fault: 'forceStatus', status: 37 }] })).got[0]!.bytes).toEqual([
      1, 0xee, 37,
    ]);
    expect(
      (await exchange({ rules: [{ fault: 'delay', latency: { kind: 'constant', ms: 5000 } }] })).got[0]!.t,
    ).toBe(5000);
  });
  test('windows: partition, pause (held until the window ends), crash with restart', async () => {
    const p = await exchange(
      { rules: [{ fault: 'partition', window: { fromMs: 10, toMs: 20 } }] },
      { at: [0, 15, 25] },
    );
    expect(p.got.map((g) => g.bytes[1])).toEqual([0, 2]);
    const pause = await exchange(
      { rules: [{ fault: 'pause', window: { fromMs: 0, toMs: 300 } }] },
      { at: [0, 100, 400] },
    );
    expect(pause.got.map((g) => [g.bytes[1], g.t])).toEqual([
      [0, 300],
      [1, 300],
      [2, 400],
    ]);
    const crash = await exchange(
      { rules: [{ fault: 'crash', atMs: 50, restartAfterMs: 100 }] },
      { at: [0, 60, 200] },
    );
    expect(crash.got.map((g) => g.bytes[1])).toEqual([0, 2]);
  });
  test('probabilistic faults are reproducible from the seed, and the trace hash shows it', async () => {
    const plan: FaultPlanInput = {
      latency: { default: { kind: 'uniform', minMs: 1, maxMs: 100 } },
      rules: [
        { fault: 'dropReply', probability: 0.3 },
        { fault: 'reorder', maxExtraMs: 50 },
      ],
    };
    const a = await exchange(plan, { seed: 42, sends: 50 });
    const b = await exchange(plan, { seed: 42, sends: 50 });
    const c = await exchange(plan, { seed: 43, sends: 50 });
    expect(a.got).toEqual(b.got);
    expect(a.trace.hash()).toBe(b.trace.hash());
    expect(c.trace.hash()).not.toBe(a.trace.hash());
    expect(a.got.length).toBeGreaterThan(20);
    expect(a.got.length).toBeLessThan(50);
  });
  test('reorder: each reply is delayed by [0, maxExtraMs) on the reply leg only, so replies overtake each other; none is lost', async () => {
    const at = Array.from({ length: 20 }, (_, i) => i); // request i sent at t = i ms
    const base: FaultPlanInput = { latency: { default: { kind: 'constant', ms: 10 } } };
    const plain = await exchange(base, { at });
    expect(plain.got.map((g) => g.bytes[1])).toEqual(at); // control: FIFO without the fault
    const plan: FaultPlanInput = { ...base, rules: [{ fault: 'reorder', maxExtraMs: 100 }] };
    const r = await exchange(plan, { seed: 5, at });
    const order = r.got.map((g) => g.bytes[1]!);
    expect([...order].sort((a, b) => a - b)).toEqual(at); // every reply exactly once
    expect(order).not.toEqual(at); // overtaking happened
    for (const g of r.got) {
      const i = g.bytes[1]!;
      expect(g.t).toBeGreaterThanOrEqual(i + 10);
      expect(g.t).toBeLessThan(i + 10 + 100);
    }
    // The request leg is untouched: the service sees request i at i + latency/2, in send order.
    const delivered = r.trace.events().filter((e) => e.kind === 'deliver');
    expect(delivered.map((e) => e.t)).toEqual(at.map((i) => i + 5));
    // Same seed, same order; the fault is traced.
    expect((await exchange(plan, { seed: 5, at })).got).toEqual(r.got);
    expect(r.trace.events().filter((e) => e.kind === 'fault')).toHaveLength(20);
  });
  test('a service that throws is traced and the network keeps serving', async () => {
    const clock = new VirtualClock();
    const trace = new Trace();
    const net = new SimNetwork({ clock, rng: createRng(1), trace });
    let n = 0;
    net.bindDatagram(SERVER, 'r1', {
      handle: () => {
        if (n++ === 0) throw new Error('bug');
        return Uint8Array.of(9);
      },
    });
    const sock = net.openDatagram();
    const got: number[] = [];
    sock.onMessage((b) => got.push(b[0]!));
    sock.send(SERVER, Uint8Array.of(1));
    sock.send(SERVER, Uint8Array.of(2));
    await clock.runUntilIdle();
    expect(got).toEqual([9]);
    expect(trace.events().some((e) => e.kind === 'note' && String(e.error).includes('bug'))).toBe(true);
  });
});

describe('SimNetwork HTTP (virtual time)', () => {
  const setup = (planInput: FaultPlanInput) => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, rng: createRng(3), plan: parseFaultPlan(planInput) });
    let handled = 0;
    net.bindHttp('http://bao.sim:8200', 'bao', async (req) => {
      handled++;
      return new Response(`hi ${req.method} ${new URL(req.url).pathname} ${await req.text()}`, {
        status: 200,
      });
    });
    return { clock, net, handled: () => handled };
  };
  test('latency and body round trip', async () => {
    const { clock, net } = setup({ latency: { default: { kind: 'constant', ms: 40 } } });
    const res = await net.fetch('http://bao.sim:8200/v1/x', { method: 'POST', body: 'abc' });
    expect(await res.text()).toBe('hi POST /v1/x abc');
    expect(clock.now()).toBe(40);
  });
  test('forceStatus answers without the handler; dropReply runs the handler but fails the client', async () => {
    const a = setup({ rules: [{ fault: 'forceStatus', status: 503, message: 'sealed' }] });
    const r = await a.net.fetch('http://bao.sim:8200/');
    expect([r.status, await r.text(), a.handled()]).toEqual([503, 'sealed', 0]);
    const b = setup({ rules: [{ fault: 'dropReply' }] });
    await expect(b.net.fetch('http://bao.sim:8200/')).rejects.toThrow(TypeError);
    expect(b.handled()).toBe(1);
  });
  test("the handler sees the caller's body, headers and signal, whether fetch was given a URL or a Request", async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ clock, rng: createRng(3), plan: parseFaultPlan({}) });
    const seen: string[] = [];
    net.bindHttp('http://h.sim', 'h', async (req) => {
      seen.push(`${req.method} ${req.headers.get('x-k')} ${await req.text()} ${req.signal.aborted}`);
      return new Response('ok');
    });
    const init = { method: 'PUT', headers: { 'x-k': 'v' }, body: 'b1' };
    await net.fetch('http://h.sim/a', init);
    await net.fetch(new Request('http://h.sim/a', { ...init, body: 'b2' }));
    const own = new AbortController();
    const other = new AbortController();
    other.abort(new Error('gone'));
    await expect(
      net.fetch(new Request('http://h.sim/a', { ...init, body: 'b3', signal: own.signal }), {
        signal: other.signal,
      }),
    ).rejects.toThrow('gone');
    const used = new Request('http://h.sim/a', { ...init, body: 'b4' });
    await used.text();
    await expect(net.fetch(used)).rejects.toThrow(TypeError);
    expect(seen).toEqual(['PUT v b1 false', 'PUT v b2 false']);
  });
  test('a reply with a Content-Length that no fault rewrites reaches the client as the handler made it (unread); otherwise it is read and rebuilt; the trace has its length either way', async () => {
    const run = async (
      planInput: FaultPlanInput,
      init: ResponseInit,
      method = 'GET',
      body: string | null = 'hello',
    ) => {
      const clock = new VirtualClock();
      const trace = new Trace();
      const net = new SimNetwork({ clock, rng: createRng(3), plan: parseFaultPlan(planInput), trace });
      const made: Response[] = [];
      net.bindHttp('http://h.sim', 'h', () => {
        made.push(new Response(body, init));
        return made[0]!;
      });
      const res = await net.fetch('http://h.sim/', { method });
      const replies = trace
        .events()
        .filter((e) => e.kind === 'reply')
        .map((e) => e['bytes']);
      return { same: res === made[0], status: res.status, text: await res.text(), replies };
    };
    const declared = { headers: { 'content-length': '5' } };
    expect(await run({}, declared)).toEqual({ same: true, status: 200, text: 'hello', replies: [5] });
    // No length declared, or one that is not decimal digits: read, rebuilt, counted.
    expect(await run({}, {})).toEqual({ same: false, status: 200, text: 'hello', replies: [5] });
    expect(await run({}, { headers: { 'content-length': '0x5' } })).toMatchObject({
      same: false,
      replies: [5],
    });
    // A fault that rewrites the body, or body toxics: rebuilt from the bytes.
    expect(await run({ rules: [{ fault: 'truncate', keepBytes: 2 }] }, declared)).toEqual({
      same: false,
      status: 200,
      text: 'he',
      replies: [2],
    });
    expect(await run({ rules: [{ fault: 'corrupt', bytes: 1 }] }, declared)).toMatchObject({ same: false });
    // HEAD carries no body to the client; a reply without a body (204 here) is rebuilt as ever.
    expect(await run({}, declared, 'HEAD')).toMatchObject({ same: false, text: '' });
    expect(await run({}, { status: 204, headers: { 'content-length': '0' } }, 'GET', null)).toEqual({
      same: false,
      status: 204,
      text: '',
      replies: [0],
    });
  });
  test('a partition is a black hole until the caller aborts; unbound origins are refused', async () => {
    const { clock, net } = setup({ rules: [{ fault: 'partition' }] });
    const ctl = new AbortController();
    clock.setTimer(() => ctl.abort(new Error('client timeout')), 3000);
    await expect(net.fetch('http://bao.sim:8200/', { signal: ctl.signal })).rejects.toThrow('client timeout');
    expect(clock.now()).toBe(3000);
    await expect(net.fetch('http://nowhere.sim/')).rejects.toThrow('fetch failed');
  });
});
