/**
 * The Bao system module on the kernel: every scenario registered, holding its guarantees with a
 * reproducible trace (the kernel's determinism check), options from the zod schema (defaults,
 * live defaults, typed errors), the kernel's sequential twin, and a malformed behaviour in a plan
 * reported as what it is.
 */
import { describe, expect, test } from 'vitest';
import {
  OptionsError,
  checkDeterminism,
  describeOptions,
  effectivePlan,
  resolveOptions,
  runScenario,
} from '../../src/kernel/index.js';
import bao from '../../src/bao/index.js';
import { BAO } from '../../src/bao/plan.js';
import { baoScenarios, createBaoScenarios } from '../../src/bao/scenarios.js';
import {
  CompletionOrderKeyring,
  SerialKeyring,
  SilentBatchKeyring,
  UncheckedKeyring,
  heldAll,
} from './helpers.js';

const scenario = (name: string) => baoScenarios.find((s) => s.name === name)!;

describe('the Bao system module', () => {
  test('names the five scenarios of before, with their guarantees, tiers and default runs', () => {
    expect(bao.name).toBe('bao');
    expect(bao.scenarios.map((s) => s.name)).toEqual([
      'bao.no-hol',
      'bao.parallel-workers',
      'bao.create-batch-faults',
      'bao.auth',
      'bao.signatures',
    ]);
    expect(Object.fromEntries(bao.scenarios.map((s) => [s.name, s.guarantees]))).toEqual({
      'bao.no-hol': ['fast-keys-not-delayed', 'results-keyed-to-requests', 'every-signature-verifies'],
      'bao.parallel-workers': [
        'workers-never-block-each-other',
        'server-saw-parallel-workers',
        'every-signature-verifies',
      ],
      'bao.create-batch-faults': [
        'exactly-failed-names-reported',
        'successful-keys-exist-once',
        'rerun-no-duplicate-or-overwrite',
      ],
      'bao.auth': [
        'every-attempt-refused',
        'nothing-created-or-changed',
        'nothing-signed',
        'nothing-revealed',
        'valid-token-still-works',
      ],
      'bao.signatures': [
        'every-signature-verifies',
        'no-cross-verification',
        'forgeries-never-handed-out',
        'honest-keys-signed',
      ],
    });
    for (const s of bao.scenarios) {
      expect(s.tiers).toEqual(['sim', 'live']);
      expect(s.defaultRuns).toEqual({ sim: s.name === 'bao.parallel-workers' ? 20 : 40, live: 3 });
    }
    expect(bao.demo).toBeDefined();
    expect(bao.sim).toBeDefined();
  });

  test.each(baoScenarios.map((s) => [s.name, s] as const))(
    '%s holds its guarantees with a reproducible trace that records the client’s decisions',
    async (_name, s) => {
      const r = await runScenario(s, { seed: 11 });
      expect(r.guarantees.map((g) => g.name)).toEqual(s.guarantees);
      heldAll(r.guarantees);
      expect(r.traceHash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.trace!.events().some((e) => e.kind === 'outcome')).toBe(true);
      const det = await checkDeterminism(s, { seeds: [11, 12] });
      expect(det.mismatches).toEqual([]);
    },
  );
});

describe('options: the zod schema is the one source', () => {
  test('defaults, live defaults and described flags', () => {
    expect(resolveOptions(scenario('bao.no-hol'), 'sim')).toEqual({ slowMs: 500, fastMs: 50 });
    expect(resolveOptions(scenario('bao.no-hol'), 'live')).toEqual({
      slowMs: 500,
      fastMs: 50,
      workers: 4,
      signsPerKey: 1,
    });
    expect(resolveOptions(scenario('bao.create-batch-faults'), 'live')).toEqual({
      windowMs: 1500,
      timeoutMs: 300,
    });
    expect(resolveOptions(scenario('bao.signatures'), 'sim')).toEqual({ signAtMs: 1000 });
    expect(resolveOptions(scenario('bao.parallel-workers'), 'sim')).toEqual({
      workers: 4,
      signsPerWorker: 10,
      latencyMs: 50,
    });
    const flags = describeOptions(scenario('bao.no-hol').options).map((o) => [o.name, o.kind, o.default]);
    expect(flags).toEqual([
      ['slowMs', 'number', 500],
      ['fastMs', 'number', 50],
      ['workers', 'integer', undefined],
      ['signsPerKey', 'integer', undefined],
    ]);
  });

  test('bad options are an OptionsError naming the field', () => {
    expect(() => resolveOptions(scenario('bao.no-hol'), 'sim', { fastMs: 600 })).toThrow(OptionsError);
    expect(() => resolveOptions(scenario('bao.no-hol'), 'sim', { fastMs: 600 })).toThrow(
      /fastMs: must be below slowMs/,
    );
    expect(() => resolveOptions(scenario('bao.parallel-workers'), 'sim', { workers: 0 })).toThrow(/workers/);
    expect(() => resolveOptions(scenario('bao.create-batch-faults'), 'sim', { count: 101 })).toThrow(/count/);
  });

  test('options reach the plan and the workload: bao.no-hol with 6 workers, 2 signs each, slow at 800 ms', async () => {
    const r = await runScenario(scenario('bao.no-hol'), {
      seed: 3,
      options: { workers: 6, signsPerKey: 2, slowMs: 800 },
    });
    heldAll(r.guarantees);
    expect(r.facts).toMatchObject({ workers: 6, requests: 12 });
    expect(r.latencyMs).toBe(800);
    expect(r.plan.description).toContain('800 ms');
  });
});

describe('the sequential baseline is the kernel’s twin', () => {
  test('no-hol, parallel-workers, create-batch-faults and signatures run a one-at-a-time twin; auth has none', async () => {
    const noHol = await runScenario(scenario('bao.no-hol'), { seed: 5, baseline: true });
    // One at a time: the sum of every request's own time, 10 ms network included.
    expect(noHol.sequentialMs).toBeGreaterThan(noHol.latencyMs);
    const workers = await runScenario(scenario('bao.parallel-workers'), { seed: 5, baseline: true });
    expect(workers.latencyMs).toBe(500);
    expect(workers.sequentialMs).toBe(2000);
    const sig = await runScenario(scenario('bao.signatures'), { seed: 5, baseline: true });
    expect(sig.sequentialMs).toBeGreaterThan(sig.latencyMs);
    expect(scenario('bao.create-batch-faults').baseline).toBe(true);
    const auth = await runScenario(scenario('bao.auth'), { seed: 5, baseline: true });
    expect(scenario('bao.auth').baseline).toBe(false);
    expect(auth.sequentialMs).toBeUndefined();
  });

  test('the twin never changes the run’s trace hash', async () => {
    const s = scenario('bao.no-hol');
    const a = await runScenario(s, { seed: 9 });
    const b = await runScenario(s, { seed: 9, baseline: true });
    expect(b.traceHash).toBe(a.traceHash);
  });
});

describe('bao.signatures reads forgeries as the client can see them', () => {
  test('a wrongPublicKey forgery whose public_key a corrupted reply lost is a valid signature the keyring may hand out (seed 1148)', async () => {
    // Seed 1148 forges signer-2 as wrongPublicKey and corrupts 1 byte of replies with p 0.25 from
    // the batch's start: one answer's "public_key" member name is damaged, the keyring's schema
    // drops it (the field is optional), and the signature, the right one, verifies.
    const r = await runScenario(scenario('bao.signatures'), { seed: 1148 });
    expect(r.plan.description).toMatch(/signer-2=wrongPublicKey.*reply corruption/);
    const g = r.guarantees.find((x) => x.name === 'forgeries-never-handed-out')!;
    expect(g).toMatchObject({
      held: true,
      detail: expect.stringMatching(
        /; 1 valid-signature forgeries handed out as reply corruption allows \(signer-2\)$/,
      ),
    });
    expect(r.guarantees.find((x) => x.name === 'every-signature-verifies')!.held).toBe(true);
  });
});

describe('behaviours in a plan', () => {
  test('a malformed Bao behaviour is reported as such (ran-to-completion names the field)', async () => {
    const s = scenario('bao.no-hol');
    const plan = effectivePlan(s, 1, 'sim', resolveOptions(s, 'sim'));
    const bad = {
      ...plan,
      rules: [
        ...plan.rules,
        { fault: 'behave' as const, targets: [BAO], behaviour: 'slowKey', params: { key: 'worker-1' } },
      ],
    };
    const r = await runScenario(s, { seed: 1, plan: bad });
    const g = r.guarantees.find((x) => x.name === 'ran-to-completion')!;
    expect(g.held).toBe(false);
    expect(g.detail).toContain('BaoBehaviourError: slowKey.params.ms');
    const unknown = {
      ...plan,
      rules: [{ fault: 'behave' as const, targets: [BAO], behaviour: 'slowKye', params: {} }],
    };
    const r2 = await runScenario(s, { seed: 1, plan: unknown });
    expect(r2.guarantees.find((x) => x.name === 'ran-to-completion')!.detail).toContain(
      'unknown Bao behaviour "slowKye" (known: latency, slowKey, keyError, forge)',
    );
  });
});

describe('the scenarios catch deliberately broken keyrings', () => {
  const broken = (k: Parameters<typeof createBaoScenarios>[0]) => createBaoScenarios(k);
  const firstViolation = async (s: (typeof baoScenarios)[number], name: string) => {
    for (let seed = 1; seed <= 20; seed++) {
      const g = (await runScenario(s, { seed })).guarantees.find((x) => x.name === name)!;
      if (!g.held) return { seed, detail: g.detail ?? '' };
    }
    return undefined;
  };
  test('serial signing → fast-keys-not-delayed; completion order → results-keyed-to-requests', async () => {
    const [serial] = broken({ makeKeyring: (o) => new SerialKeyring(o) });
    expect(await firstViolation(serial!, 'fast-keys-not-delayed')).toMatchObject({
      seed: 1,
      detail: expect.stringMatching(/^keys delayed: worker-\d done at \d+\.0 ms, plan allows = (50|500) ms/),
    });
    const [reordered] = broken({ makeKeyring: (o) => new CompletionOrderKeyring(o) });
    expect((await firstViolation(reordered!, 'results-keyed-to-requests'))?.detail).toMatch(
      /^result \d+ is for /,
    );
  });
  test('no local verification → forgeries-never-handed-out; swallowed create failures → exactly-failed-names-reported', async () => {
    const unchecked = broken({ makeKeyring: (o) => new UncheckedKeyring(o) })[4]!;
    expect((await firstViolation(unchecked, 'forgeries-never-handed-out'))?.detail).toMatch(
      /^forged signatures handed out for signer-\d/,
    );
    const silent = broken({ makeKeyring: (o) => new SilentBatchKeyring(o) })[2]!;
    expect((await firstViolation(silent, 'exactly-failed-names-reported'))?.detail).toMatch(
      /^reported \[\], the wire says \[parallel-worker-/,
    );
  });
});
