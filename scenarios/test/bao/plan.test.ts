/**
 * The Bao behaviours of a plan: how they are read (typed errors naming the field), how the
 * simulator's hooks apply them (per request, from the injector, so a plan swapped at run time
 * takes effect), and how the oracle reads them back into expectations.
 */
import { describe, expect, test } from 'vitest';
import { BaoKeyExistsError, BaoSealedError } from '@fanout/bao-keyring';
import { parseFaultPlan, type FaultPlanInput } from '@fanout/sim';
import { PlanView } from '../../src/kernel/index.js';
import { behaviourHooks } from '../../src/bao/hooks.js';
import { expectRequest, quietPoint } from '../../src/bao/oracle.js';
import { BAO, BaoBehaviourError, baoBehave, parseBaoBehaviour } from '../../src/bao/plan.js';
import { baoWorld } from './helpers.js';

const view = (p: FaultPlanInput) => new PlanView(parseFaultPlan(p));
const info = (route: 'sign' | 'keys.create' | 'keys.read', keyName: string | undefined, seq = 0) => ({
  seq,
  route,
  method: 'POST',
  path: '/v1/secp256k1/x',
  keyName,
  namespace: '',
  at: 0,
});
const behave = (r: ReturnType<typeof baoBehave.latency>) =>
  r as { behaviour: string; params: Record<string, unknown> };

describe('reading behaviours', () => {
  test('normalises keys and routes, with the documented defaults', () => {
    expect(parseBaoBehaviour(behave(baoBehave.slowKey('k-1', 40)))).toMatchObject({
      behaviour: 'slowKey',
      keys: ['k-1'],
      routes: ['sign'],
      latencyMs: 40,
      action: undefined,
    });
    expect(parseBaoBehaviour(behave(baoBehave.latency(5)))).toMatchObject({
      keys: undefined,
      routes: undefined,
    });
    expect(parseBaoBehaviour(behave(baoBehave.keyError(['a', 'b'], 'sealed', { times: 2 })))).toMatchObject({
      keys: ['a', 'b'],
      routes: ['keys.create'],
      action: { type: 'sealed' },
      times: 2,
    });
    expect(parseBaoBehaviour(behave(baoBehave.forge('a', 'highS')))).toMatchObject({
      routes: ['sign'],
      action: { type: 'forgeSignature', how: 'highS' },
    });
  });

  test('a wrong name or param is a BaoBehaviourError naming it', () => {
    const bad = (behaviour: string, params: Record<string, unknown>) => () =>
      parseBaoBehaviour({ behaviour, params });
    expect(bad('slow', {})).toThrow(BaoBehaviourError);
    expect(bad('slow', {})).toThrow('unknown Bao behaviour "slow"');
    expect(bad('slowKey', { key: 'a' })).toThrow(/^slowKey\.params\.ms: /);
    expect(bad('slowKey', { key: 'a', ms: -1 })).toThrow(/^slowKey\.params\.ms: /);
    expect(bad('latency', { ms: 1, route: 'nope' })).toThrow(/^latency\.params\.route/);
    expect(bad('keyError', { key: 'a', kind: 'boom' })).toThrow(/^keyError\.params\.kind/);
    expect(bad('keyError', { key: 'a', kind: 'hang', times: 0 })).toThrow(/^keyError\.params\.times/);
    expect(bad('forge', { key: 'a', how: 'nice' })).toThrow(/^forge\.params\.how/);
    expect(bad('forge', { key: 'a', how: 'zero', extra: 1 })).toThrow(/^forge\.params/);
    try {
      bad('slowKey', { key: [] })();
    } catch (e) {
      expect((e as BaoBehaviourError).field).toBe('slowKey.params.key');
    }
  });
});

describe('hooks from behaviours', () => {
  test('latencies add up, the first action wins, `times` counts per rule, and the behaviours are read per request', () => {
    let active = [
      baoBehave.latency(50, { route: 'sign' }),
      baoBehave.slowKey('slow', 450),
      baoBehave.keyError('k-1', 'error502', { times: 1 }),
      baoBehave.keyError('k-1', 'sealed'),
    ].map(behave);
    const hooks = behaviourHooks(() => active);
    expect(hooks.decide(info('sign', 'fast'))).toEqual({ latencyMs: 50 });
    expect(hooks.decide(info('sign', 'slow'))).toEqual({ latencyMs: 500 });
    expect(hooks.decide(info('keys.read', 'slow'))).toEqual({ latencyMs: 0 });
    expect(hooks.decide(info('keys.create', 'k-1'))).toEqual({
      latencyMs: 0,
      action: { type: 'error', status: 502, message: 'bad gateway' },
    });
    // The once-only rule is spent: the next rule answers.
    expect(hooks.decide(info('keys.create', 'k-1'))).toEqual({ latencyMs: 0, action: { type: 'sealed' } });
    expect(hooks.decide(info('keys.create', 'k-2'))).toEqual({ latencyMs: 0 });
    active = [];
    expect(hooks.decide(info('sign', 'slow'))).toEqual({ latencyMs: 0 });
  });

  test('a world’s hooks follow the injector: a plan swapped at run time takes effect at the next request', async () => {
    const { world, parties } = await baoWorld(21);
    try {
      await parties.keyring.create('a');
      world.injector.setPlan(parseFaultPlan({ rules: [baoBehave.keyError('b', 'sealed')] }));
      await expect(parties.keyring.create('b')).rejects.toBeInstanceOf(BaoSealedError);
      world.injector.setPlan(parseFaultPlan({}));
      await parties.keyring.create('b');
      await expect(parties.keyring.create('a')).rejects.toBeInstanceOf(BaoKeyExistsError);
      expect(parties.oracleKeys().map((k) => k.name)).toEqual(['a', 'b']);
    } finally {
      await world.close();
    }
  });
});

describe('the oracle reads the plan', () => {
  const at = { fromMs: 0, toMs: 1000 };
  const q = (key: string, o: { route?: 'sign' | 'keys.create'; nth?: number; at?: typeof at } = {}) => ({
    route: o.route ?? ('sign' as const),
    key,
    at: o.at ?? at,
    timeoutMs: 30_000,
    ...(o.nth === undefined ? {} : { nth: o.nth }),
  });

  test('latency: network round trip + every matching behaviour; windows over part of the interval only widen the bound', () => {
    const v = view({
      latency: { default: { kind: 'constant', ms: 10 } },
      rules: [
        baoBehave.latency(40, { route: 'sign' }),
        baoBehave.slowKey('slow', 450),
        baoBehave.slowKey('half', 100, { window: { fromMs: 500 } }),
      ],
    });
    expect(expectRequest(v, q('fast'))).toEqual({ settleMs: [50, 50], fails: 'never', why: 'clean' });
    expect(expectRequest(v, q('slow')).settleMs).toEqual([500, 500]);
    expect(expectRequest(v, q('half')).settleMs).toEqual([50, 150]);
    expect(expectRequest(v, q('half', { at: { fromMs: 600, toMs: 700 } })).settleMs).toEqual([150, 150]);
  });

  test('failures: certain, uncertain (probability, window, times), slower than the timeout', () => {
    const v = view({
      rules: [
        baoBehave.keyError('a', 'hang', { times: 1 }),
        baoBehave.keyError('b', 'reset', { window: { fromMs: 0, toMs: 500 } }),
        { fault: 'forceStatus', targets: [BAO], status: 429, probability: 0.1, window: { fromMs: 2000 } },
        baoBehave.slowKey('c', 40_000),
      ],
    });
    expect(expectRequest(v, q('a', { route: 'keys.create', nth: 1 }))).toMatchObject({
      fails: 'always',
      settleMs: [0, 30_000],
      why: 'keyError hang',
    });
    expect(expectRequest(v, q('a', { route: 'keys.create', nth: 2 })).fails).toBe('never');
    expect(expectRequest(v, q('a', { route: 'keys.create' })).fails).toBe('maybe');
    expect(expectRequest(v, q('b', { route: 'keys.create' }))).toMatchObject({
      fails: 'maybe',
      why: 'maybe keyError reset',
    });
    expect(expectRequest(v, q('x', { at: { fromMs: 2500, toMs: 3000 } }))).toMatchObject({
      fails: 'maybe',
      why: 'maybe forced status 429',
    });
    expect(expectRequest(v, q('c'))).toMatchObject({
      fails: 'always',
      settleMs: [30_000, 30_000],
      why: 'slower than the 30000 ms timeout',
    });
  });

  test('quietPoint: the latest end of any fault that ends', () => {
    expect(quietPoint(parseFaultPlan({}))).toBe(0);
    expect(
      quietPoint(
        parseFaultPlan({
          rules: [
            baoBehave.keyError('a', 'hang', { window: { fromMs: 0, toMs: 1500 } }),
            { fault: 'crash', targets: [BAO], atMs: 100, restartAfterMs: 2000 },
            { fault: 'dropReply', targets: [BAO] },
          ],
        }),
      ),
    ).toBe(2100);
  });
});
