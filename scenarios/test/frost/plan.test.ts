/**
 * Verdicts follow the effective plan: participant behaviours and Hubert faults live in the plan,
 * the world applies them and the oracle reads them back, so a hand-edited plan (`--plan`, a
 * replay file) is judged as written — a rule removed, a window widened, a fault the client cannot
 * survive — never against what the seed would have drawn. Also: the plan vocabulary (precedence,
 * windows, typed errors for what a FROST world cannot apply).
 */
import { describe, expect, test } from 'vitest';
import { parseFaultPlan, type FaultPlan } from '@fanout/sim';
import { PlanView, effectivePlan, resolveOptions, runScenario } from '../../src/kernel/index.js';
import { dkgExpectation, signExpectation } from '../../src/frost/oracle.js';
import type { FrostPlanError } from '../../src/frost/plan.js';
import { checkFrostPlan, frostPlan, possibleActs, resolveAct, THINK } from '../../src/frost/plan.js';
import { createFrostScenarios, frostScenarios } from '../../src/frost/scenarios.js';
import type { TimingParams } from '../../src/frost/timing.js';
import { BlameEveryoneCoordinator } from './broken.js';

const byName = (n: string) => frostScenarios.find((s) => s.name === n)!;
const planOf = (name: string, seed: number): FaultPlan =>
  effectivePlan(byName(name), seed, 'sim', resolveOptions(byName(name), 'sim'));
const timing = (timeoutMs = 600_000): TimingParams => ({
  timeoutMs,
  pollIntervalMs: 1000,
  retryIntervalMs: 1000,
  requestTimeoutMs: 70_000,
  parallel: true,
});
const deviation = (r: FaultPlan['rules'][number]): boolean => r.fault === 'behave' && r.behaviour !== THINK;
const violations = (r: { guarantees: readonly { name: string; held: boolean; detail?: string }[] }) =>
  r.guarantees.filter((g) => !g.held).map((g) => `${g.name}: ${g.detail ?? ''}`);

/** The first seed from 1 whose frost.dkg plan satisfies `pick`. */
function seedWhere(pick: (plan: FaultPlan) => boolean): { seed: number; plan: FaultPlan } {
  for (let seed = 1; seed < 500; seed++) {
    const plan = planOf('frost.dkg', seed);
    if (pick(plan)) return { seed, plan };
  }
  throw new Error('no such seed');
}

describe('--plan / a hand-edited replay file: the verdict follows the plan', () => {
  test('frost.dkg with its deviations removed: the oracle expects success, the run succeeds, every guarantee holds', async () => {
    const { seed, plan: drawn } = seedWhere((p) => p.rules.some(deviation));
    expect(dkgExpectation(new PlanView(drawn), 3, timing()).ok).toBe('never');
    const edited = parseFaultPlan({ ...drawn, rules: drawn.rules.filter((r) => !deviation(r)) });
    expect(dkgExpectation(new PlanView(edited), 3, timing()).ok).toBe('always');
    const result = await runScenario(byName('frost.dkg'), { seed, plan: edited });
    expect(violations(result)).toEqual([]);
    expect(result.facts['ok']).toBe(1);
  });

  test("widening a window: a 503 burst on one participant's puts made endless turns its answer time uncertain, and the oracle accepts either outcome and says so", async () => {
    const { seed, plan: drawn } = seedWhere(
      (p) => p.rules.some((r) => r.fault === 'forceStatus') && !p.rules.some(deviation),
    );
    const i = drawn.rules.findIndex((r) => r.fault === 'forceStatus');
    expect(dkgExpectation(new PlanView(drawn), 3, timing()).ok).toBe('always');
    const widened = parseFaultPlan({
      ...drawn,
      rules: drawn.rules.map((r, k) => (k === i ? { ...r, window: { fromMs: 0 } } : r)),
    });
    const exp = dkgExpectation(new PlanView(widened), 3, timing());
    expect(exp.ok).toBe('maybe');
    const result = await runScenario(byName('frost.dkg'), { seed, plan: widened });
    expect(violations(result)).toEqual([]);
    const detail = result.guarantees.find((g) => g.name === 'succeeds-iff-all-answer')!.detail!;
    expect(detail).toContain('uncertain plan: accepted ok or failure');
    expect(detail).toContain('status 503 (p 0.3)');
  });

  test('an edit the client cannot survive — every put to p2’s ARIDs lost — is predicted: the oracle expects failure, and the DKG fails with every guarantee held', async () => {
    const plan = parseFaultPlan(
      frostPlan({ participants: 3, rules: [{ fault: 'dropRequest', targets: ['store:p2'] }] }),
    );
    expect(dkgExpectation(new PlanView(plan), 3, timing()).ok).toBe('never');
    const result = await runScenario(byName('frost.dkg'), { seed: 1, plan });
    expect(violations(result)).toEqual([]);
    expect(result.facts['ok']).toBe(0);
  });

  test('an edited plan the broken client gets wrong is caught as the oracle predicts: p2 busy at the invitation, a coordinator that blames everyone', async () => {
    const plan = parseFaultPlan(
      frostPlan({ participants: 3, behaviours: [undefined, { on: { dkgInvite: 'busy' } }] }),
    );
    const exp = dkgExpectation(new PlanView(plan), 3, timing());
    expect(exp).toMatchObject({ ok: 'never', failRounds: ['dkg round1'] });
    expect([...exp.mayBlame]).toEqual([]);
    const [broken] = createFrostScenarios({ makeCoordinator: (o) => new BlameEveryoneCoordinator(o) });
    const bad = await runScenario(broken!, { seed: 1, plan });
    const v = violations(bad);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(
      /^culprits-blamed-honest-never: blamed \[(p[123](, )?){3}\], may blame \[\], must blame \[\]$/,
    );
    const good = await runScenario(byName('frost.dkg'), { seed: 1, plan });
    expect(violations(good)).toEqual([]);
  });

  test('frost.sign: two participants vanish at the invitation (no signature possible); remove one vanish rule and a signature is required — the run follows both', async () => {
    const two = parseFaultPlan(
      frostPlan({
        participants: 4,
        behaviours: [{ on: { signInvite: 'vanish' } }, { on: { signInvite: 'vanish' } }],
      }),
    );
    expect(signExpectation(new PlanView(two), 4, 3, timing(), 3).ok).toBe('never');
    const one = parseFaultPlan({ ...two, rules: two.rules.slice(1) });
    expect(signExpectation(new PlanView(one), 4, 3, timing(), 3).ok).toBe('always');
    const sign = byName('frost.sign');
    const a = await runScenario(sign, { seed: 3, plan: two });
    expect(violations(a)).toEqual([]);
    expect(a.facts['signed']).toBe(0);
    const b = await runScenario(sign, { seed: 3, plan: one });
    expect(violations(b)).toEqual([]);
    expect(b.facts['signed']).toBe(1);
  });
});

describe('the FROST plan vocabulary', () => {
  test('precedence: a rule naming the request beats a general one; think of the act rule, else the first think rule', () => {
    const active = [
      { behaviour: THINK, params: { thinkMs: 500 } },
      { behaviour: 'busy', params: {} },
      { behaviour: 'forged', params: { on: 'signRound2', thinkMs: 7 } },
    ];
    expect(resolveAct(active, 'signInvite')).toEqual({ act: 'busy', thinkMs: 500 });
    expect(resolveAct(active, 'signRound2')).toEqual({ act: 'forged', thinkMs: 7 });
    expect(resolveAct([{ behaviour: THINK, params: { on: 'dkgInvite', thinkMs: 9 } }], 'dkgRound2')).toEqual({
      act: 'accept',
      thinkMs: 0,
    });
  });

  test('windows: a rule over part of the run is a possibility, not a certainty; outside its window it is not there', () => {
    const view = new PlanView(
      parseFaultPlan({
        rules: [
          { fault: 'behave', targets: ['p1'], behaviour: 'vanish', window: { fromMs: 1000, toMs: 5000 } },
          { fault: 'behave', targets: ['p1'], behaviour: 'busy', params: { on: 'signInvite' } },
        ],
      }),
    );
    expect([...possibleActs(view, 'p1', 'dkgInvite').acts].sort()).toEqual(['accept', 'vanish']);
    expect([...possibleActs(view, 'p1', 'dkgInvite', { fromMs: 6000, toMs: 9000 }).acts]).toEqual(['accept']);
    expect([...possibleActs(view, 'p1', 'signInvite').acts].sort()).toEqual(['busy']);
    expect([...possibleActs(view, 'p2', 'signInvite').acts]).toEqual(['accept']);
  });

  test('what a FROST world cannot apply is refused with a typed error naming the rule field', async () => {
    const fails = (rules: unknown[], n = 3): FrostPlanError => {
      try {
        checkFrostPlan(parseFaultPlan({ rules }), n);
      } catch (e) {
        return e as FrostPlanError;
      }
      throw new Error('accepted');
    };
    expect(fails([{ fault: 'behave', targets: ['p1'], behaviour: 'sleepy' }])).toMatchObject({
      name: 'FrostPlanError',
      field: 'rules.0.behaviour',
    });
    expect(
      fails([{ fault: 'behave', targets: ['p1'], behaviour: 'busy', params: { on: 'dkgRound9' } }]).field,
    ).toBe('rules.0.params.on');
    expect(fails([{ fault: 'behave', targets: ['p1'], behaviour: THINK }]).field).toBe(
      'rules.0.params.thinkMs',
    );
    expect(fails([{ fault: 'partition', targets: ['hubert'] }]).field).toBe('rules.0.fault');
    expect(fails([{ fault: 'crash', targets: ['store:p1'], atMs: 0 }]).field).toBe('rules.0.fault');
    expect(fails([{ fault: 'dropRequest', targets: ['p4'] }]).field).toBe('rules.0.targets');
    // A run with such a plan reports it instead of silently ignoring the rule.
    const r = await runScenario(byName('frost.dkg'), {
      seed: 1,
      plan: { rules: [{ fault: 'behave', targets: ['p1'], behaviour: 'sleepy' }] },
    });
    expect(r.guarantees.find((g) => g.name === 'ran-to-completion')?.detail).toContain(
      'rules.0.behaviour: unknown participant behaviour "sleepy"',
    );
  });
});
