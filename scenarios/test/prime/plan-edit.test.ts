/**
 * Verdicts follow the effective plan: the oracle reads what the plan does to each trainer, so a
 * hand-edited plan (rules removed, a trainer partitioned, a Byzantine rule added, the
 * coordinator's crash moved) is judged as written, never against what the seed would have drawn.
 */
import { describe, expect, test } from 'vitest';
import { parseFaultPlan, type FaultPlan } from '@fanout/sim';
import { effectivePlan, resolveOptions, runScenario } from '../../src/kernel/index.js';
import { trainerId } from '../../src/prime/world.js';
import { broken, expectHeld, scenario, violated } from './helpers.js';

const RQ = 'prime.round-quorum';
const drawn = (name: string, seed: number): FaultPlan =>
  effectivePlan(scenario(name), seed, 'sim', resolveOptions(scenario(name), 'sim'));

describe('--plan / a hand-edited replay file: the verdict follows the plan', () => {
  test('round-quorum: a seed whose plan fails the round commits once its fault rules are removed, and the oracle expects it', async () => {
    let seed = 1;
    while ((await runScenario(scenario(RQ), { seed })).facts['status'] !== 'failed') seed++;
    const p = drawn(RQ, seed);
    const emptied = parseFaultPlan({ ...p, rules: [] });
    const r = await runScenario(scenario(RQ), { seed, plan: emptied });
    expectHeld(r);
    expect(r.facts['status']).toBe('committed');
    expect(r.facts['accepted']).toBe(8);
  });

  test('round-quorum: partitioning all but 4 of 8 trainers (minNodesForRound 5) makes failure the verdict; a coordinator that commits from fewer is caught', async () => {
    const edited = parseFaultPlan({
      latency: { default: { kind: 'constant', ms: 30 } },
      rules: [{ fault: 'partition', targets: [4, 5, 6, 7].map(trainerId) }],
    });
    const correct = await runScenario(scenario(RQ), { seed: 3, plan: edited });
    expectHeld(correct);
    expect(correct.facts['status']).toBe('failed');
    const bad = await runScenario(broken(RQ, { configure: (c) => ({ ...c, minNodesForRound: 1 }) }), {
      seed: 3,
      plan: edited,
    });
    expect(violated(bad)).toEqual(['commits-iff-quorum', 'never-from-fewer']);
  });

  test('byzantine: adding a fourth sign-flipper to a plan of three turns "must commit" into "must fail"', async () => {
    const three = parseFaultPlan({
      rules: [1, 4, 7].map((i) => ({
        fault: 'behave',
        targets: [trainerId(i)],
        behaviour: 'sign-flip',
        params: {},
      })),
    });
    const four = parseFaultPlan({
      rules: [
        ...three.rules,
        { fault: 'behave', targets: [trainerId(9)], behaviour: 'sign-flip', params: {} },
      ],
    });
    const a = await runScenario(scenario('prime.byzantine'), {
      seed: 5,
      plan: three,
      options: { rounds: 2, rule: 'median' },
    });
    const b = await runScenario(scenario('prime.byzantine'), {
      seed: 5,
      plan: four,
      options: { rounds: 2, rule: 'median' },
    });
    expectHeld(a);
    expectHeld(b);
    expect(a.facts['screened']).toBe('committed,committed');
    expect(b.facts['screened']).toBe('failed,failed');
  });

  test('no-update-lost: removing the coordinator crash from a drawn plan leaves nothing to recover, and every guarantee holds', async () => {
    const p = drawn('prime.no-update-lost', 2);
    const noCrash = parseFaultPlan({ ...p, rules: p.rules.filter((r) => r.fault !== 'crash') });
    const r = await runScenario(scenario('prime.no-update-lost'), { seed: 2, plan: noCrash });
    expectHeld(r);
    expect(r.facts['resumed']).toBe(0);
    expect(r.guarantees.find((g) => g.name === 'recovered-from-log')!.detail).toMatch(/^0 restart/);
  });
});
