/**
 * Verdicts follow the effective plan: the oracle reads what the plan does to each RAIDA, so a
 * hand-edited plan (a rule removed, a window widened) is judged as written, never against what the
 * seed would have drawn. Before the kernel, replaying raida.quorum-boundary seed 7 with its rules
 * emptied reported "raida 1: got pass, expected noReply (partition)".
 */
import { describe, expect, test } from 'vitest';
import { RaidaClient, gradeVotes, QUORUM, type Coin, type GradeReport } from '@fanout/raida';
import { parseFaultPlan, type FaultPlan } from '@fanout/sim';
import { raidaTarget } from '@fanout/sim-raida';
import { PlanView, effectivePlan, resolveOptions, runScenario } from '../../src/kernel/index.js';
import { allowedVotes } from '../../src/raida/plan.js';
import { createRaidaScenarios, raidaScenarios } from '../../src/raida/scenarios.js';

const byName = (n: string) => raidaScenarios.find((s) => s.name === n)!;
const planOf = (name: string, seed: number): FaultPlan =>
  effectivePlan(byName(name), seed, 'sim', resolveOptions(byName(name), 'sim'));
const vote = (plan: FaultPlan, r: number) => [
  ...allowedVotes(new PlanView(plan), r, {
    holdsClientAn: true,
    timeoutMs: 3000,
    earlyExit: false,
    at: { fromMs: 0, toMs: 20_000 },
  }).votes,
];

describe('--plan / a hand-edited replay file: the verdict follows the plan', () => {
  test('raida.quorum-boundary seed 7 with every rule removed: all RAIDA expected to pass, and every guarantee holds', async () => {
    const drawn = planOf('raida.quorum-boundary', 7);
    expect(drawn.rules.length).toBeGreaterThan(0);
    const emptied = parseFaultPlan({ ...drawn, rules: [] });
    for (let r = 0; r < 25; r++) expect(vote(emptied, r)).toEqual(['pass']);
    const result = await runScenario(byName('raida.quorum-boundary'), { seed: 7, plan: emptied });
    expect(result.guarantees.filter((g) => !g.held)).toEqual([]);
    expect(result.facts['authentic']).toBeGreaterThan(0);
  });

  test('removing one rule moves only that RAIDA’s expected vote; the run still holds', async () => {
    const drawn = planOf('raida.quorum-boundary', 7);
    const i = drawn.rules.findIndex(
      (r) => r.fault === 'partition' || r.fault === 'dropRequest' || r.fault === 'crash',
    );
    expect(i).toBeGreaterThanOrEqual(0);
    const freed = drawn.rules[i]!.targets!;
    const edited = parseFaultPlan({ ...drawn, rules: drawn.rules.filter((_, k) => k !== i) });
    for (const t of freed) {
      const r = Number(t.replace('raida-', ''));
      expect(vote(drawn, r)).toEqual(['noReply']);
      expect(vote(edited, r)).toEqual(['pass']);
    }
    const result = await runScenario(byName('raida.quorum-boundary'), { seed: 7, plan: edited });
    expect(result.guarantees.filter((g) => !g.held)).toEqual([]);
  });

  test('widening a window: a dropReply window that covers the whole run makes its RAIDA silent for good, and the verdict follows', async () => {
    const drawn = planOf('raida.no-coin-lost', 3);
    const i = drawn.rules.findIndex((r) => r.fault === 'dropReply' || r.fault === 'dropRequest');
    expect(i).toBeGreaterThanOrEqual(0);
    const rule = drawn.rules[i]!;
    const r = Number(rule.targets![0]!.replace('raida-', ''));
    // Within the drawn window the RAIDA is silent; after it, it answers.
    const late = {
      holdsClientAn: true,
      timeoutMs: 3000,
      earlyExit: false,
      at: { fromMs: 25_000, toMs: 30_000 },
    };
    expect([...allowedVotes(new PlanView(drawn), r, late).votes]).toEqual(['pass']);
    const widened = parseFaultPlan({
      ...drawn,
      rules: drawn.rules.map((x, k) => (k === i ? { ...x, window: { fromMs: 0 } } : x)),
    });
    expect([...allowedVotes(new PlanView(widened), r, late).votes]).toEqual(['noReply']);
    const result = await runScenario(byName('raida.no-coin-lost'), { seed: 3, plan: widened });
    expect(result.guarantees.filter((g) => !g.held)).toEqual([]);
  });

  test('an edited plan the client cannot get right is caught as the oracle predicts: quorum − 1 grading with exactly 12 honest RAIDA', async () => {
    class QuorumMinusOne extends RaidaClient {
      override async detect(coins: readonly Coin[]): Promise<GradeReport> {
        const r = await super.detect(coins);
        return { ...r, tokens: r.tokens.map((t) => ({ ...t, grade: gradeVotes(t.votes, QUORUM - 1) })) };
      }
    }
    const [broken] = createRaidaScenarios({ makeClient: (o) => new QuorumMinusOne(o) });
    const twelveHonest = parseFaultPlan({
      latency: { default: { kind: 'constant', ms: 40 } },
      rules: [{ fault: 'partition', targets: Array.from({ length: 13 }, (_, k) => raidaTarget(12 + k)) }],
    });
    const result = await runScenario(broken!, { seed: 1, plan: twelveHonest });
    const bad = result.guarantees.find((g) => g.name === 'grades-match-oracle')!;
    expect(bad.held).toBe(false);
    expect(bad.detail).toContain('graded authentic, expected limbo');
    // The correct client under the same edited plan: every coin limbo, every guarantee held.
    const correct = await runScenario(byName('raida.quorum-boundary'), { seed: 1, plan: twelveHonest });
    expect(correct.held).toBe(true);
    expect(correct.facts['limbo']).toBeGreaterThan(0);
  });

  test('stale error replies (behave staleErrorReplies): a forced header error becomes noReply for the oracle and the client alike', async () => {
    const forced = { fault: 'forceStatus' as const, targets: ['raida-5'], status: 2 };
    const plain = parseFaultPlan({ rules: [forced] });
    const stale = parseFaultPlan({
      rules: [forced, { fault: 'behave', targets: ['raida-5'], behaviour: 'staleErrorReplies' }],
    });
    expect(vote(plain, 5)).toEqual(['error']);
    expect(vote(stale, 5)).toEqual(['noReply']);
    for (const plan of [plain, stale]) {
      const r = await runScenario(byName('raida.quorum-boundary'), { seed: 2, plan });
      expect(r.guarantees.filter((g) => !g.held)).toEqual([]);
    }
  });
});
