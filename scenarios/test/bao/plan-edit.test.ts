/**
 * Verdicts follow the effective plan: the Bao oracle reads what the plan does to the server and to
 * each key (network rules and Bao behaviours), so a hand-edited plan — a rule removed, a window
 * widened, a behaviour added — is judged as written, never against what the seed would have drawn.
 */
import { describe, expect, test } from 'vitest';
import { parseFaultPlan, type FaultPlan } from '@fanout/sim';
import { PlanView, effectivePlan, resolveOptions, runScenario } from '../../src/kernel/index.js';
import { expectRequest } from '../../src/bao/oracle.js';
import { BAO, baoBehave, parseBaoBehaviour } from '../../src/bao/plan.js';
import { baoScenarios, createBaoScenarios } from '../../src/bao/scenarios.js';
import { UncheckedKeyring, violations } from './helpers.js';

const byName = (n: string) => baoScenarios.find((s) => s.name === n)!;
const planOf = (name: string, seed: number, options: Record<string, unknown> = {}): FaultPlan =>
  effectivePlan(byName(name), seed, 'sim', resolveOptions(byName(name), 'sim', options));
const signAt = (plan: FaultPlan, key: string) =>
  expectRequest(new PlanView(plan), {
    route: 'sign',
    key,
    at: { fromMs: 0, toMs: 10_000 },
    timeoutMs: 30_000,
  });
const checkOf = (r: { guarantees: readonly { name: string; held: boolean; detail?: string }[] }, n: string) =>
  r.guarantees.find((g) => g.name === n)!;

describe('--plan / a hand-edited replay file: the verdict follows the plan', () => {
  test('bao.no-hol with its slowKey rule removed: the slow key is expected at 50 ms, the run holds, and it decides at 50 ms', async () => {
    const drawn = planOf('bao.no-hol', 7);
    const i = drawn.rules.findIndex((r) => r.fault === 'behave' && r.behaviour === 'slowKey');
    expect(i).toBeGreaterThanOrEqual(0);
    const slow = parseBaoBehaviour(drawn.rules[i] as never).keys![0]!;
    expect(signAt(drawn, slow).settleMs).toEqual([500, 500]);
    const edited = parseFaultPlan({ ...drawn, rules: drawn.rules.filter((_, k) => k !== i) });
    expect(signAt(edited, slow).settleMs).toEqual([50, 50]);
    const before = await runScenario(byName('bao.no-hol'), { seed: 7 });
    const after = await runScenario(byName('bao.no-hol'), { seed: 7, plan: edited });
    expect(violations(before)).toBe('');
    expect(violations(after)).toBe('');
    expect(before.latencyMs).toBe(500);
    expect(after.latencyMs).toBe(50);
    expect(checkOf(after, 'fast-keys-not-delayed').detail).toContain(`${slow} = 50 ms`);
  });

  test('bao.create-batch-faults: widening a keyError window over the rerun (and dropping its `times`) moves the rerun’s expectation; the run holds and says so', async () => {
    // The first seed whose drawn plan fails parallel-worker-1 (in a batch of 4) with a kind that creates nothing.
    let seed = 1;
    let drawn = planOf('bao.create-batch-faults', seed, { count: 4 });
    const pick = (p: FaultPlan) =>
      p.rules.findIndex(
        (r) =>
          r.fault === 'behave' &&
          r.behaviour === 'keyError' &&
          r.params['key'] === 'parallel-worker-1' &&
          r.params['kind'] !== 'dropReply',
      );
    while (pick(drawn) < 0) drawn = planOf('bao.create-batch-faults', ++seed, { count: 4 });
    const i = pick(drawn);
    const rerunAt = { fromMs: 200_000, toMs: 300_000 };
    const rerun = (p: FaultPlan) =>
      expectRequest(new PlanView(p), {
        route: 'keys.create',
        key: 'parallel-worker-1',
        nth: 2,
        at: rerunAt,
        timeoutMs: 30_000,
      }).fails;
    expect(rerun(drawn)).toBe('never');
    const rule = drawn.rules[i]! as Extract<FaultPlan['rules'][number], { fault: 'behave' }>;
    const { times: _times, ...params } = rule.params;
    const widened = parseFaultPlan({
      ...drawn,
      rules: drawn.rules.map((r, k) => (k === i ? { ...rule, params, window: { fromMs: 0 } } : r)),
    });
    expect(rerun(widened)).toBe('always');
    const s = byName('bao.create-batch-faults');
    const r = await runScenario(s, { seed, options: { count: 4 }, plan: widened });
    expect(violations(r)).toBe('');
    expect(checkOf(r, 'rerun-no-duplicate-or-overwrite').detail).toContain(
      'the plan may still disturb parallel-worker-1: any outcome accepted',
    );
  });

  test('bao.signatures with a forge behaviour added by hand: the correct keyring holds; a keyring that skips verification is caught exactly there', async () => {
    const drawn = planOf('bao.signatures', 3, { keys: 3 });
    const edited = parseFaultPlan({
      ...drawn,
      rules: [...drawn.rules.filter((r) => r.fault !== 'corrupt'), baoBehave.forge('signer-1', 'otherKey')],
    });
    expect(signAt(drawn, 'signer-1').fails).not.toBe('always');
    expect(signAt(edited, 'signer-1')).toMatchObject({ fails: 'always', why: 'forge otherKey' });
    const good = await runScenario(byName('bao.signatures'), { seed: 3, options: { keys: 3 }, plan: edited });
    expect(violations(good)).toBe('');
    expect(checkOf(good, 'forgeries-never-handed-out').detail).toContain('signer-1');
    const [, , , , unchecked] = createBaoScenarios({ makeKeyring: (o) => new UncheckedKeyring(o) });
    const bad = await runScenario(unchecked!, { seed: 3, options: { keys: 3 }, plan: edited });
    expect(checkOf(bad, 'forgeries-never-handed-out')).toMatchObject({
      held: false,
      detail: expect.stringContaining('forged signatures handed out for signer-1'),
    });
    // The same broken keyring under the drawn plan, without the added forgery on signer-1,
    // is not blamed for signer-1.
    const plain = await runScenario(unchecked!, {
      seed: 3,
      options: { keys: 3 },
      plan: parseFaultPlan({ ...drawn, rules: drawn.rules.filter((r) => r.fault !== 'behave') }),
    });
    expect(violations(plain)).toBe('');
  });

  test('uncertain effects: a 503 with probability 0.5 on every sign is "maybe"; every outcome it allows is accepted, and the detail says so', async () => {
    const drawn = planOf('bao.no-hol', 2);
    const edited = parseFaultPlan({
      ...drawn,
      rules: [...drawn.rules, { fault: 'forceStatus', targets: [BAO], status: 503, probability: 0.5 }],
    });
    const e = signAt(edited, 'worker-1');
    expect(e.fails).toBe('maybe');
    expect(e.why).toContain('maybe forced status 503');
    expect(e.settleMs).toEqual([0, 30_000]);
    const r = await runScenario(byName('bao.no-hol'), { seed: 2, plan: edited });
    expect(violations(r)).toBe('');
    // The 503s also strike the setup's createBatch: keys it could not create are not expected to sign.
    expect(checkOf(r, 'every-signature-verifies').detail).toMatch(
      /failed as the plan allows: .*\d+ × maybe forced status 503/,
    );
    // A window over part of the run is 'maybe' too: a keyError on worker-1's signs during [0, 5 ms).
    const partial = parseFaultPlan({
      ...drawn,
      rules: [
        ...drawn.rules,
        baoBehave.keyError('worker-1', 'sealed', { route: 'sign', window: { toMs: 5 } }),
      ],
    });
    expect(signAt(partial, 'worker-1')).toMatchObject({ fails: 'maybe', why: 'maybe keyError sealed' });
  });

  test('a plan that always fails every sign: the oracle expects failures, so the client failing them is no violation', async () => {
    const drawn = planOf('bao.no-hol', 4);
    const edited = parseFaultPlan({
      ...drawn,
      rules: [
        ...drawn.rules,
        baoBehave.keyError(['worker-1', 'worker-2', 'worker-3'], 'error500', { route: 'sign' }),
      ],
    });
    expect(signAt(edited, 'worker-2').fails).toBe('always');
    const r = await runScenario(byName('bao.no-hol'), { seed: 4, plan: edited });
    expect(violations(r)).toBe('');
    expect(checkOf(r, 'every-signature-verifies').detail).toContain('keyError error500');
  });
});
