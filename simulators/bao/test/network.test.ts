/**
 * The Bao simulator behind the sim kit's SimNetwork: the plan applies at the network edge in
 * virtual time (latency, sealed windows, 429, lost replies, black holes, crashes), and the
 * simulator's own hooks (per-key latency, forged signatures) apply behind it.
 */
import { VirtualClock } from '@fanout/core';
import { SimNetwork, Trace, createRng, parseFaultPlan, type FaultPlanInput } from '@fanout/sim';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  BAO_SIM_ORIGIN,
  BAO_TARGET,
  FORGE_KINDS,
  FORGER_PUBLIC_KEY,
  baoPlanRules,
  bindBaoSimulator,
  ruleFaults,
  type ForgeKind,
} from '../src/index.js';
import { b64, unb64 } from './helpers.js';

const headers = { 'X-Vault-Token': 'root', 'Content-Type': 'application/json' };
const digest = sha256(new Uint8Array([42]));

function world(plan: FaultPlanInput = {}, clock = new VirtualClock()) {
  const trace = new Trace();
  const net = new SimNetwork({ clock, rng: createRng(5).fork('net'), plan: parseFaultPlan(plan), trace });
  const bao = bindBaoSimulator(net, { seed: 6 });
  const post = (path: string, body: unknown, signal?: AbortSignal) =>
    bao.fetch(`${bao.origin}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      ...(signal === undefined ? {} : { signal }),
    });
  const sign = (name: string, signal?: AbortSignal) =>
    post(`/v1/secp256k1/sign/${name}`, { input: b64(digest), prehashed: true }, signal);
  return { clock, net, bao, post, sign, trace };
}

describe('bindBaoSimulator (SimNetwork, virtual time)', () => {
  it('serves at the default origin as target "bao", on the network clock, with plan latency', async () => {
    const w = world({ latency: { default: { kind: 'constant', ms: 40 } } });
    expect(w.bao.origin).toBe(BAO_SIM_ORIGIN);
    expect(w.bao.target).toBe(BAO_TARGET);
    const created = await w.post('/v1/secp256k1/keys/k1', {});
    expect(created.status).toBe(200);
    expect(w.clock.now()).toBe(40);
    const body = (await created.json()) as { data: { created_at: string } };
    expect(body.data.created_at).toBe('2025-01-01T00:00:00Z'); // arrived at t = 20 ms, rounded down
    expect(w.bao.sim.keyNames()).toEqual(['k1']);
    expect(w.net.stats).toMatchObject({ sent: 1, delivered: 1, replies: 1 });
  });

  it('plan latency and hook latency add up: one slow key does not delay the others', async () => {
    const w = world({ latency: { default: { kind: 'constant', ms: 20 } } });
    for (const n of ['a', 'b', 'c']) await w.post(`/v1/secp256k1/keys/${n}`, {});
    w.bao.sim.setFaults(
      ruleFaults([
        { match: { key: 'a' }, latencyMs: 480 },
        { match: { key: /^[bc]$/ }, latencyMs: 30 },
      ]),
    );
    const t0 = w.clock.now();
    const done: Record<string, number> = {};
    await Promise.all(
      ['a', 'b', 'c'].map(async (n) => {
        expect((await w.sign(n)).status).toBe(200);
        done[n] = w.clock.now() - t0;
      }),
    );
    expect(done).toEqual({ a: 500, b: 50, c: 50 });
  });

  it('a sealed window (plan forceStatus 503) answers without reaching the app', async () => {
    const w = world({ rules: [baoPlanRules.sealed({ fromMs: 100, toMs: 200 })] });
    await w.post('/v1/secp256k1/keys/k', {});
    await w.clock.sleep(150 - w.clock.now());
    const sealed = await w.sign('k');
    expect(sealed.status).toBe(503);
    expect(await sealed.json()).toEqual({ errors: ['Vault is sealed'] });
    await w.clock.sleep(60);
    expect((await w.sign('k')).status).toBe(200);
    expect(w.bao.sim.counters().byRoute.sign).toBe(1); // the sealed one never reached the app
  });

  it('rate limiting and error rates come from the plan with their probability', async () => {
    const w = world({ rules: [baoPlanRules.rateLimited(1)] });
    const r = await w.sign('k');
    expect(r.status).toBe(429);
    expect(await r.json()).toEqual({ errors: ['rate limit quota exceeded'] });
    const half = world({ rules: [baoPlanRules.errorRate(0.5, 502)] });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await half.post(`/v1/secp256k1/keys/k${i}`, {})).status);
    const failed = statuses.filter((s) => s === 502).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
    expect(half.bao.sim.keyNames()).toHaveLength(40 - failed);
  });

  it('connectionReset (plan dropReply) creates the key but the client sees a failed fetch', async () => {
    const w = world({ rules: [baoPlanRules.connectionReset(1, { fromMs: 0, toMs: 10 })] });
    await expect(w.post('/v1/secp256k1/keys/ghost', {})).rejects.toThrow(TypeError);
    expect(w.bao.sim.keyNames()).toEqual(['ghost']);
    await w.clock.sleep(10);
    const again = await w.post('/v1/secp256k1/keys/ghost', {});
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ errors: ['key already exists'] });
  });

  it('never-respond and partition are black holes: only the caller abort ends them', async () => {
    for (const rule of [baoPlanRules.neverRespond(1), baoPlanRules.partition({ fromMs: 0 })]) {
      const w = world({ rules: [rule] });
      const ctl = new AbortController();
      w.clock.setTimer(() => ctl.abort(new Error('client timeout')), 30_000);
      await expect(w.sign('k', ctl.signal)).rejects.toThrow('client timeout');
      expect(w.clock.now()).toBe(30_000);
      expect(w.bao.sim.counters().total).toBe(0);
    }
  });

  it('a crash refuses connections while down; keys survive the restart (durable storage)', async () => {
    const w = world({
      rules: [{ fault: 'crash', targets: ['bao'], atMs: 100, restartAfterMs: 100, loseState: true }],
    });
    await w.post('/v1/secp256k1/keys/durable', {});
    await w.clock.sleep(120);
    await expect(w.sign('durable')).rejects.toThrow('fetch failed');
    await w.clock.sleep(100);
    expect((await w.sign('durable')).status).toBe(200);
    expect(w.bao.sim.keyNames()).toEqual(['durable']);
  });

  it('keyInfo is the oracle view: public facts only, no private key, bypassing hooks and counters', async () => {
    const w = world();
    await w.post('/v1/secp256k1/keys/k2', { exportable: true });
    await w.post('/v1/secp256k1/keys/k1', {});
    w.bao.sim.setFaults(ruleFaults([{ action: { type: 'hang' } }]));
    const before = w.bao.sim.counters().total;
    const info = w.bao.sim.keyInfo();
    expect(info.map((k) => [k.name, k.exportable, k.imported, k.publicKey.length])).toEqual([
      ['k1', false, false, 33],
      ['k2', true, false, 33],
    ]);
    expect(Object.keys(info[0]!).sort()).toEqual(['exportable', 'imported', 'name', 'publicKey']);
    expect(w.bao.sim.keyInfo('other-namespace')).toEqual([]);
    expect(w.bao.sim.counters().total).toBe(before);
  });

  it('is deterministic: the same plan and seed give the same trace hash', async () => {
    const run = async () => {
      const w = world({
        latency: { default: { kind: 'uniform', minMs: 5, maxMs: 80 } },
        rules: [baoPlanRules.errorRate(0.3), baoPlanRules.connectionReset(0.2)],
      });
      await Promise.allSettled(Array.from({ length: 12 }, (_, i) => w.post(`/v1/secp256k1/keys/d${i}`, {})));
      return { hash: w.trace.hash(), keys: w.bao.sim.keyNames() };
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a.keys.length).toBeGreaterThan(0);
  });
});

describe('forgeSignature hook (a lying server)', () => {
  const check = async (how: ForgeKind) => {
    const w = world();
    const created = (await (await w.post('/v1/secp256k1/keys/victim', {})).json()) as {
      data: { public_key: string };
    };
    const pub = hexToBytes(created.data.public_key);
    w.bao.sim.setFaults(ruleFaults([{ match: { route: 'sign' }, action: { type: 'forgeSignature', how } }]));
    const res = await w.sign('victim');
    expect(res.status).toBe(200);
    const data = ((await res.json()) as { data: { signature: string; public_key: string } }).data;
    const sig = unb64(data.signature);
    const verifies =
      sig.length === 64 &&
      secp256k1.verify(sig, digest, pub, { prehash: false, lowS: true, format: 'compact' });
    return { sig, verifies, reportedPub: hexToBytes(data.public_key), pub, sim: w.bao.sim };
  };

  it.each(FORGE_KINDS.filter((k) => k !== 'wrongPublicKey'))(
    '%s: the answer does not verify for the requested key and digest',
    async (how) => {
      const r = await check(how);
      expect(r.verifies).toBe(false);
      expect(r.sim.counters().faults).toBe(1);
      if (how === 'short') expect(r.sig).toHaveLength(63);
      if (how === 'otherKey')
        expect(secp256k1.verify(r.sig, digest, FORGER_PUBLIC_KEY, { prehash: false })).toBe(true);
      if (how === 'highS')
        expect(secp256k1.verify(r.sig, digest, r.pub, { prehash: false, lowS: false })).toBe(true);
    },
  );

  it('wrongPublicKey: the signature is right but the reported key is the forger', async () => {
    const r = await check('wrongPublicKey');
    expect(r.verifies).toBe(true);
    expect(r.reportedPub).toEqual(FORGER_PUBLIC_KEY);
    expect(r.reportedPub).not.toEqual(r.pub);
  });

  it('applies to sign only: other routes are served normally and count no fault', async () => {
    const w = world();
    w.bao.sim.setFaults(ruleFaults([{ action: { type: 'forgeSignature', how: 'zero' } }]));
    expect((await w.post('/v1/secp256k1/keys/k', {})).status).toBe(200);
    expect(w.bao.sim.counters().faults).toBe(0);
  });
});

describe('dropReply hook and rule probability', () => {
  it('dropReply handles the request (key created) and then rejects like a reset', async () => {
    const w = world();
    w.bao.sim.setFaults(ruleFaults([{ match: { key: 'lost' }, times: 1, action: { type: 'dropReply' } }]));
    await expect(w.post('/v1/secp256k1/keys/lost', {})).rejects.toThrow('fetch failed');
    expect(w.bao.sim.keyNames()).toEqual(['lost']);
    expect(w.bao.sim.counters()).toMatchObject({ dropped: 1, faults: 1, inFlight: 0 });
  });

  it('probability draws from the injected random source; validation names the field', () => {
    const rng = createRng(9).fork('p');
    const hooks = ruleFaults([{ probability: 0.25, action: { type: 'sealed' } }], {
      random: () => rng.float(),
    });
    const info = {
      seq: 0,
      route: 'sign' as const,
      method: 'POST',
      path: '/',
      keyName: 'k',
      namespace: '',
      at: 0,
    };
    let fired = 0;
    for (let i = 0; i < 400; i++) if (hooks.decide(info)?.action !== undefined) fired++;
    expect(fired).toBe(hooks.hits[0]);
    expect(fired).toBeGreaterThan(60);
    expect(fired).toBeLessThan(140);
    expect(() => ruleFaults([{ probability: 0.5 }])).toThrow(
      /rules\[0\]\.probability: a probability below 1/,
    );
    expect(() => ruleFaults([{ probability: 2 }], { random: () => 0 })).toThrow(/rules\[0\]\.probability/);
    expect(() => ruleFaults([{ action: { type: 'forgeSignature', how: 'nope' as ForgeKind } }])).toThrow(
      /rules\[0\]\.action\.how/,
    );
    expect(ruleFaults([{ probability: 1, action: { type: 'sealed' } }]).decide(info)?.action).toEqual({
      type: 'sealed',
    });
  });
});
