/**
 * The newer fault kinds at the live edges (real UDP and HTTP sockets on 127.0.0.1). Where timing
 * matters the edge runs on a VirtualClock driven by hand (autoAdvance off): a piece of a shaped
 * body cannot reach the socket before the test advances the edge's clock, so the checks are about
 * order, never about wall-clock durations.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { VirtualClock, addressKey, type Clock } from '@fanout/core';
import { openUdpTransport } from '@fanout/core/live';
import { createRng, parseFaultPlan, type FaultPlanInput } from '../../src/index.js';
import {
  startHttpService,
  startUdpService,
  type HttpServiceHandle,
  type UdpServiceHandle,
  type UdpServiceOptions,
} from '../../src/live/index.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` (real time) until true; fails after ~5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await pause(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function udp(
  target: string,
  planInput: FaultPlanInput,
  extra: Partial<Pick<UdpServiceOptions, 'clock' | 'sourceOf'>> = {},
) {
  const handled: number[] = [];
  const h: UdpServiceHandle = await startUdpService({
    target,
    service: {
      handle: (req) => {
        handled.push(req[0]!);
        // Answer what this target reads as now (8-byte float): its skewed clock.
        const out = new Uint8Array(9);
        out[0] = req[0]!;
        new DataView(out.buffer).setFloat64(1, h.clock.now());
        return out;
      },
    },
    plan: parseFaultPlan(planInput),
    rng: createRng(1),
    ...extra,
  });
  open.push(h);
  return { h, handled };
}

async function http(
  planInput: FaultPlanInput,
  o: { clock?: Clock; size?: number; sourceOf?: (r: Request) => string | undefined } = {},
) {
  let handled = 0;
  const size = o.size ?? 300;
  const body = Uint8Array.from({ length: size }, (_, i) => i % 256);
  const h: HttpServiceHandle = await startHttpService({
    target: 'h',
    handler: () => {
      handled++;
      return new Response(body);
    },
    plan: parseFaultPlan(planInput),
    rng: createRng(1),
    ...(o.clock === undefined ? {} : { clock: o.clock }),
    ...(o.sourceOf === undefined ? {} : { sourceOf: o.sourceOf }),
  });
  open.push(h);
  return { h, handled: () => handled };
}

/** Advance a hand-driven edge clock by `ms`, letting real I/O run around it. */
async function drive(clock: VirtualClock, ms: number): Promise<void> {
  await clock.advance(ms);
  await pause(5);
  await clock.advance(0);
}

describe('live UDP edge', () => {
  test('linkPartition: a sender named by sourceOf is cut from the target, others are answered', async () => {
    const client = await openUdpTransport();
    open.push(client);
    const plan: FaultPlanInput = {
      rules: [{ fault: 'linkPartition', targets: ['b'], peers: { targets: ['c'] } }],
    };
    const sourceOf = (from: { host: string; port: number }): string | undefined =>
      addressKey(from) === addressKey(client.address) ? 'c' : undefined;
    const a = await udp('a', plan, { sourceOf });
    const b = await udp('b', plan, { sourceOf });
    const got: number[] = [];
    client.onMessage((bytes) => got.push(bytes[0]!));
    client.send(b.h.address, Uint8Array.of(2));
    client.send(a.h.address, Uint8Array.of(1));
    await until(() => got.length === 1 && b.h.stats.sent === 1, 'the answer of a');
    expect(got).toEqual([1]);
    expect([b.h.stats.delivered, b.h.stats.dropped, b.handled]).toEqual([0, 1, []]);
  });
  test('burstLoss: a chain that turns bad after one message loses every later one', async () => {
    const client = await openUdpTransport();
    open.push(client);
    const s = await udp('s', { rules: [{ fault: 'burstLoss', pGoodToBad: 1, pBadToGood: 0 }] });
    for (let i = 0; i < 3; i++) client.send(s.h.address, Uint8Array.of(i));
    await until(() => s.h.stats.delivered + s.h.stats.dropped === 3, 'three datagrams decided at the edge');
    expect([s.h.stats.delivered, s.h.stats.dropped]).toEqual([1, 2]);
  });
  test('swizzleClog holds a datagram until the target unclogs; clockSkew moves what the handler reads as now', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const client = await openUdpTransport();
    open.push(client);
    const s = await udp(
      's',
      {
        rules: [
          { fault: 'swizzleClog', targets: ['s'], atMs: 0, periodMs: 1000 },
          { fault: 'clockSkew', targets: ['s'], window: { fromMs: 500 }, offsetMs: 60_000 },
        ],
      },
      { clock },
    );
    const got: { id: number; now: number }[] = [];
    client.onMessage((b) => got.push({ id: b[0]!, now: new DataView(b.buffer, b.byteOffset).getFloat64(1) }));
    client.send(s.h.address, Uint8Array.of(7));
    await until(() => s.h.stats.sent === 1, 'the datagram at the edge');
    await drive(clock, 999);
    expect(s.h.stats.delivered).toBe(0); // clogged until 1000
    await drive(clock, 1);
    await until(() => got.length === 1, 'the answer after the unclog');
    expect(got).toEqual([{ id: 7, now: 1000 + 60_000 }]);
  });
});

describe('live HTTP edge', () => {
  test('bandwidth: the body reaches the client piece by piece, only as the edge clock advances', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const { h } = await http({ rules: [{ fault: 'bandwidth', rateKBps: 1 }] }, { clock, size: 300 });
    let res: Response | undefined;
    const pending = fetch(`${h.url}/x`).then((r) => (res = r));
    await until(() => h.stats.sent === 1, 'the request at the edge');
    for (let i = 0; i < 50 && res === undefined; i++) await drive(clock, 0);
    await pending;
    expect(res!.headers.get('content-length')).toBeNull();
    let total = 0;
    let done = false;
    const reader = res!.body!.getReader();
    void (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return void (done = true);
        total += r.value.length;
      }
    })();
    await pause(100);
    expect(total).toBe(0); // 1 KB/s = 1 byte per ms: nothing before the first 100 ms of edge time
    for (const want of [100, 200, 300]) {
      await drive(clock, 100);
      await until(() => total >= want, `${want} bytes`);
      expect(total).toBe(want);
    }
    await drive(clock, 0);
    await until(() => done, 'the end of the body');
  });
  test('slowClose: every byte comes at once, the end only after delayMs of edge time', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const { h } = await http({ rules: [{ fault: 'slowClose', delayMs: 700 }] }, { clock, size: 100 });
    let res: Response | undefined;
    const pending = fetch(`${h.url}/x`).then((r) => (res = r));
    await until(() => h.stats.sent === 1, 'the request at the edge');
    for (let i = 0; i < 50 && res === undefined; i++) await drive(clock, 0);
    await pending;
    const reader = res!.body!.getReader();
    let total = 0;
    while (total < 100) total += (await reader.read()).value!.length;
    let ended = false;
    const end = reader.read().then((r) => (ended = r.done));
    await pause(100);
    expect(ended).toBe(false);
    await drive(clock, 699);
    await pause(50);
    expect(ended).toBe(false);
    await drive(clock, 1);
    await end;
    expect(ended).toBe(true);
  });
  test('limitData: the connection closes after exactly `bytes` body bytes', async () => {
    const { h } = await http({ rules: [{ fault: 'limitData', bytes: 120 }] }, { size: 1000 });
    const res = await fetch(`${h.url}/x`);
    const reader = res.body!.getReader();
    let total = 0;
    let error: unknown;
    for (;;) {
      try {
        const r = await reader.read();
        if (r.done) break;
        total += r.value.length;
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(total).toBe(120);
    expect(error).toBeInstanceOf(TypeError);
  });
  test('resetPeer sends a TCP RST (ECONNRESET); the timeout toxic closes the connection (other side closed)', async () => {
    const causeOf = async (url: string): Promise<{ code?: string; message?: string }> => {
      try {
        await fetch(url);
      } catch (e) {
        return (e as Error).cause as { code?: string; message?: string };
      }
      throw new Error('the fetch succeeded');
    };
    const reset = await http({ rules: [{ fault: 'resetPeer', timeoutMs: 0 }] });
    expect((await causeOf(`${reset.h.url}/x`)).code).toBe('ECONNRESET');
    expect(reset.handled()).toBe(1); // downstream: the handler ran, its answer was swallowed
    const closed = await http({ rules: [{ fault: 'timeout', timeoutMs: 20, stream: 'upstream' }] });
    const cause = await causeOf(`${closed.h.url}/x`);
    expect(cause.code).not.toBe('ECONNRESET');
    expect(cause.code ?? cause.message).toMatch(/UND_ERR_SOCKET|other side closed/);
    expect(closed.handled()).toBe(0); // upstream: the request never reached the handler
  });
  test('clockSkew: the edge answers a Date skewed by offsetMs, and its handle clock reads skewed', async () => {
    const day = 86_400_000;
    const { h } = await http({ rules: [{ fault: 'clockSkew', targets: ['h'], offsetMs: day }] });
    const res = await fetch(`${h.url}/x`);
    await res.arrayBuffer();
    const skew = Date.parse(res.headers.get('date')!) - Date.now();
    expect(skew).toBeGreaterThan(day / 2);
    expect(skew).toBeLessThan(day * 1.5);
  });
  test('linkPartition: the sender named by sourceOf gets no answer (outbound: the handler still ran)', async () => {
    const { h, handled } = await http(
      {
        rules: [
          { fault: 'linkPartition', targets: ['h'], peers: { targets: ['n1'] }, direction: 'outbound' },
        ],
      },
      { sourceOf: (r) => r.headers.get('x-from') ?? undefined },
    );
    expect((await fetch(`${h.url}/x`, { headers: { 'x-from': 'n2' } })).status).toBe(200);
    const lost = fetch(`${h.url}/x`, { headers: { 'x-from': 'n1' }, signal: AbortSignal.timeout(300) });
    await expect(lost).rejects.toThrow();
    expect(handled()).toBe(2);
  });
});
