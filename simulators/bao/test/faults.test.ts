import { VirtualClock } from '@fanout/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  BaoConnectionResetError,
  BaoFaultRuleError,
  createBaoApp,
  ruleFaults,
  type BaoRequestInfo,
} from '../src/index.js';
import { b64, call } from './helpers.js';

const digest = b64(sha256(new Uint8Array([9])));

async function setup(clock = new VirtualClock()) {
  const sim = createBaoApp({ clock, seed: 5 });
  for (const n of ['worker-1', 'worker-2', 'worker-3', 'worker-4'])
    await call(sim, 'POST', `/v1/secp256k1/keys/${n}`, {});
  sim.resetCounters();
  return { sim, clock };
}

const sign = (sim: Parameters<typeof call>[0], name: string, signal?: AbortSignal) =>
  call(
    sim,
    'POST',
    `/v1/secp256k1/sign/${name}`,
    { input: digest, prehashed: true },
    { 'X-Vault-Token': 'root' },
    signal,
  );

describe('fault hooks', () => {
  it('per-key latency runs on the injected clock: a 500 ms key never delays the 50 ms keys', async () => {
    const { sim, clock } = await setup();
    sim.setFaults(
      ruleFaults([
        { match: { key: 'worker-1' }, latencyMs: 500 },
        { match: { key: /^worker-[234]$/ }, latencyMs: 50 },
      ]),
    );
    const done: Record<string, number> = {};
    const results = await Promise.all(
      ['worker-1', 'worker-2', 'worker-3', 'worker-4'].map(async (n) => {
        const r = await sign(sim, n);
        done[n] = clock.now();
        return r.status;
      }),
    );
    expect(results).toEqual([200, 200, 200, 200]);
    expect(done).toEqual({ 'worker-1': 500, 'worker-2': 50, 'worker-3': 50, 'worker-4': 50 });
    const c = sim.counters();
    expect(c.peakInFlight).toBe(4);
    expect(c.inFlight).toBe(0);
    expect(c.byRoute.sign).toBe(4);
    expect(c.byStatus[200]).toBe(4);
  });

  it('injects an error status + message, for a limited number of requests', async () => {
    const { sim } = await setup();
    sim.setFaults(
      ruleFaults([
        {
          match: { route: 'sign', key: 'worker-2' },
          times: 1,
          action: { type: 'error', status: 500, message: 'boom' },
        },
      ]),
    );
    const first = await sign(sim, 'worker-2');
    expect(first.status).toBe(500);
    expect(first.json).toEqual({ errors: ['boom'] });
    expect((await sign(sim, 'worker-2')).status).toBe(200);
    expect((await sign(sim, 'worker-1')).status).toBe(200);
    expect(sim.counters().faults).toBe(1);
  });

  it('answers 503 inside a sealed window only', async () => {
    const { sim, clock } = await setup(new VirtualClock({ autoAdvance: false }));
    sim.setFaults(ruleFaults([{ window: { fromMs: 100, toMs: 200 }, action: { type: 'sealed' } }]));
    expect((await sign(sim, 'worker-1')).status).toBe(200);
    await clock.advance(150);
    const sealed = await sign(sim, 'worker-1');
    expect(sealed.status).toBe(503);
    expect(sealed.json).toEqual({ errors: ['Vault is sealed'] });
    await clock.advance(50);
    expect((await sign(sim, 'worker-1')).status).toBe(200);
  });

  it('answers 429 with Retry-After', async () => {
    const { sim } = await setup();
    sim.setFaults(ruleFaults([{ action: { type: 'rateLimited', retryAfterS: 3 } }]));
    const r = await sign(sim, 'worker-1');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
    expect(r.json).toEqual({ errors: ['rate limit quota exceeded'] });
  });

  it('resets the connection: the fetch handler rejects, the server keeps serving', async () => {
    const { sim } = await setup();
    sim.setFaults(ruleFaults([{ match: { route: 'sign' }, times: 1, action: { type: 'reset' } }]));
    await expect(sign(sim, 'worker-3')).rejects.toBeInstanceOf(BaoConnectionResetError);
    await expect(sim.app.fetch(new Request('http://bao.sim/v1/sys/health'))).resolves.toHaveProperty(
      'status',
      200,
    );
    expect((await sign(sim, 'worker-3')).status).toBe(200);
    const c = sim.counters();
    expect(c.dropped).toBe(1);
    expect(c.inFlight).toBe(0);
  });

  it('never responds to a hung request until its signal aborts', async () => {
    const { sim, clock } = await setup(new VirtualClock({ autoAdvance: false }));
    sim.setFaults(ruleFaults([{ match: { key: 'worker-4' }, action: { type: 'hang' } }]));
    const ctl = new AbortController();
    let settled = false;
    const pending = sign(sim, 'worker-4', ctl.signal).finally(() => (settled = true));
    await clock.advance(1_000_000);
    expect(settled).toBe(false);
    expect(sim.counters().inFlight).toBe(1);
    // Other keys are unaffected meanwhile.
    expect((await sign(sim, 'worker-1')).status).toBe(200);
    const reason = new Error('caller gave up');
    ctl.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(sim.counters()).toMatchObject({ inFlight: 0, dropped: 1, peakInFlight: 2 });
  });

  it('aborts a request that is sleeping in injected latency', async () => {
    const { sim } = await setup(new VirtualClock({ autoAdvance: false }));
    sim.setFaults(ruleFaults([{ latencyMs: 10_000 }]));
    const ctl = new AbortController();
    const p = sign(sim, 'worker-1', ctl.signal);
    ctl.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(sim.counters().inFlight).toBe(0);
  });

  it('sums latency of matching rules, picks the first action, and passes request info', async () => {
    const seen: BaoRequestInfo[] = [];
    const rules = ruleFaults([
      { latencyMs: 10 },
      {
        match: { namespace: 'ns' },
        latencyMs: 20,
        action: { type: 'error', status: 418, message: 'teapot' },
      },
      { action: { type: 'error', status: 500, message: 'never chosen' } },
    ]);
    const clock = new VirtualClock();
    const sim = createBaoApp({
      clock,
      seed: 5,
      namespaces: ['ns'],
      faults: {
        decide: (info) => {
          seen.push(info);
          return rules.decide(info);
        },
      },
    });
    const r = await call(sim, 'GET', '/v1/secp256k1/keys/k1', undefined, {
      'X-Vault-Token': 'root',
      'X-Vault-Namespace': 'ns',
    });
    expect(r.status).toBe(418);
    expect(r.json).toEqual({ errors: ['teapot'] });
    expect(clock.now()).toBe(30);
    expect(seen[0]).toEqual({
      seq: 0,
      route: 'keys.read',
      method: 'GET',
      path: '/v1/secp256k1/keys/k1',
      keyName: 'k1',
      namespace: 'ns',
      at: 0,
    });
    expect(rules.hits).toEqual([1, 1, 1]);
  });

  it('survives a fault hook that throws (500) and keeps serving', async () => {
    const sim = createBaoApp({
      clock: new VirtualClock(),
      seed: 5,
      faults: {
        decide: (info) => {
          if (info.seq === 0) throw new Error('bad plan');
          return undefined;
        },
      },
    });
    const r = await call(sim, 'GET', '/v1/sys/health', undefined, {});
    expect(r.status).toBe(500);
    expect(r.json.errors[0]).toContain('bad plan');
    expect((await call(sim, 'GET', '/v1/sys/health', undefined, {})).status).toBe(200);
  });

  it('validates rules with typed errors naming the field', () => {
    expect(() => ruleFaults([{ latencyMs: -1 }])).toThrow(BaoFaultRuleError);
    expect(() => ruleFaults([{}, { times: 0 }])).toThrow(/rules\[1\]\.times/);
    expect(() => ruleFaults([{ action: { type: 'error', status: 99, message: 'x' } }])).toThrow(
      /rules\[0\]\.action\.status/,
    );
  });

  it('counts requests by route and status; resetCounters zeroes them', async () => {
    const { sim } = await setup();
    await call(sim, 'LIST', '/v1/secp256k1/keys');
    await call(sim, 'GET', '/v1/secp256k1/keys/worker-1');
    await call(sim, 'GET', '/v1/secp256k1/keys/none');
    await call(sim, 'GET', '/v1/sys/health', undefined, {});
    await call(sim, 'GET', '/v1/nowhere');
    const c = sim.counters();
    expect(c.total).toBe(5);
    expect(c.byRoute).toMatchObject({ 'keys.list': 1, 'keys.read': 2, health: 1, unknown: 1, sign: 0 });
    expect(c.byStatus).toEqual({ 200: 3, 400: 1, 404: 1 });
    sim.resetCounters();
    expect(sim.counters()).toMatchObject({ total: 0, peakInFlight: 0, byStatus: {} });
  });
});
