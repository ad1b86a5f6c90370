/**
 * prime.byzantine: Byzantine trainers (the plan's `behave` rules: sign-flip, scale, noise) against
 * screening and robust aggregation, on the seeded synthetic set with full-batch steps (where the
 * seed's 0.8 similarity threshold holds for honest updates; docs/prime.md).
 *
 * Two coordinators train the same trainers, `rounds` rounds each:
 * 1. screened (the seed's detection: cosine ≥ 0.8 to the median, norm ≤ 2 × the median norm) with
 *    the robust rule: every Byzantine update is flagged; with at most ⌊byzantineTolerance·n⌋
 *    Byzantine trainers the round commits and accuracy improves, with more it fails (no-consensus)
 *    — flagged, not silently committed, and the model does not move;
 * 2. unscreened, the robust rule alone: every committed aggregate stays within the rule's stated
 *    bound of the honest updates (oracle.ts `robustBound`), and accuracy still improves. The
 *    FedAvg of the same updates is reported beside it (fact `fedavgOffBy`): one scaled or flipped
 *    update moves it arbitrarily far, which is why the robust rules exist.
 */
import { z } from 'zod';
import { resolveRule, type Coordinator, type Evaluation, type RoundReport, aggregateOf } from '@fanout/prime';
import { defineScenario, type Scenario } from '../kernel/define.js';
import {
  expectCommit,
  expectTrainer,
  relativeDistance,
  robustBound,
  type TrainerExpectation,
} from './oracle.js';
import {
  byzantineRules,
  describeByzantine,
  drawByzantine,
  RESENDING,
  STRUCTURAL,
  type ByzantineBehaviour,
} from './plan.js';
import {
  buildFor,
  planTime,
  ruleInput,
  runRoundFor,
  slackOf,
  type Ctx,
  type PrimeScenarioSeams,
} from './kit.js';
import type { PrimeParties } from './world.js';

const NAME = 'prime.byzantine';
const CONSENSUS = 0.66;
const TOLERANCE = 0.33;
/** The robust rules this scenario draws from. */
export const ROBUST_RULES = ['median', 'trimmed-mean', 'krum', 'multi-krum'] as const;

const options = z.object({
  trainers: z.number().int().min(4).max(100).default(10).describe('trainers, all selected'),
  rounds: z.number().int().min(1).max(50).default(3).describe('rounds per coordinator'),
  rule: z
    .enum(ROBUST_RULES)
    .optional()
    .describe('robust aggregation rule (default: drawn per seed; trimmed mean trims β = 0.33)'),
  byzantine: z
    .number()
    .int()
    .min(0)
    .max(100)
    .optional()
    .describe('Byzantine trainers (default: drawn per seed from 0 … ⌊0.33·trainers⌋ + 1)'),
  computeMs: z.number().min(0).max(60_000).default(50).describe('compute time of a task, ms'),
});
type Options = z.output<typeof options>;

/** Whether the plan makes trainer `id` misbehave at some point of `at` (any behave rule). */
function misbehaves(ctx: Ctx, id: string, at: { fromMs: number; toMs: number }): boolean {
  return ctx.world.view.behaviours(id).some((b) => ctx.world.view.behaves(id, b.behaviour, at) !== 'never');
}

/** Per-trainer expectations for one round of `coordinator`-style screening. */
function expectations(
  ctx: Ctx,
  parties: PrimeParties,
  r: RoundReport,
  screening: boolean,
  o: Options,
  round: number,
): TrainerExpectation[] {
  const start = planTime(ctx, r.startedAt);
  const at = { fromMs: start, toMs: planTime(ctx, Math.max(r.closedAt, r.startedAt + 1)) };
  const value = parties.nodeIds.filter((id) =>
    ctx.world.view
      .behaviours(id)
      .some(
        (b) =>
          !STRUCTURAL.has(b.behaviour) &&
          !RESENDING.has(b.behaviour) &&
          ctx.world.view.behaves(id, b.behaviour, at) !== 'never',
      ),
  ).length;
  return parties.nodeIds.map((id) =>
    expectTrainer(ctx.world.view, id, {
      at: { fromMs: at.fromMs, toMs: at.fromMs + parties.config.taskTimeoutMs },
      computeMs: o.computeMs,
      slackMs: slackOf(ctx.mode),
      data: 'synthetic',
      screening,
      byzantineMinority: 2 * value < parties.nodeIds.length,
      answeredBefore: () => round > 1,
    }),
  );
}

/** Run `rounds` rounds on `c`; returns the reports (with the model before/after each). */
async function train(ctx: Ctx, seams: PrimeScenarioSeams, c: Coordinator, rounds: number) {
  const out: { report: RoundReport; before: Float64Array; after: Float64Array }[] = [];
  for (let i = 0; i < rounds; i++) out.push(await runRoundFor(ctx, seams, NAME, c));
  return out;
}

function improved(first: Evaluation | undefined, last: Evaluation | undefined): boolean {
  return (
    first !== undefined && last !== undefined && last.accuracy > first.accuracy && last.loss < first.loss
  );
}

/** prime.byzantine with the given seams. */
export function byzantineScenario(seams: PrimeScenarioSeams = {}): Scenario {
  return defineScenario({
    name: NAME,
    title:
      'Byzantine trainers are flagged; within tolerance the robust aggregate stays within its bound and accuracy improves',
    options,
    guarantees: [
      'byzantine-flagged',
      'commit-iff-tolerated',
      'robust-within-bound',
      'accuracy-improves',
    ] as const,
    defaultRuns: { sim: 8, live: 1 },
    plan({ rng, mode, options: o }) {
      const n = o.trainers;
      const k = Math.min(n, o.byzantine ?? rng.int(0, Math.floor(TOLERANCE * n) + 1));
      const chosen = rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, k);
      const byIndex = new Map<number, ByzantineBehaviour>(
        chosen.sort((a, b) => a - b).map((i) => [i, drawByzantine(rng)]),
      );
      return {
        description: describeByzantine(byIndex),
        latency: {
          default:
            mode === 'live'
              ? { kind: 'uniform', minMs: 1, maxMs: 5 }
              : { kind: 'normal', meanMs: 30, sdMs: 5 },
        },
        rules: byzantineRules(byIndex),
      };
    },
    async run(ctx) {
      const o = ctx.options as Options;
      const rule = o.rule ?? ctx.rng.pick(ROBUST_RULES);
      const parties = await buildFor(ctx, seams, NAME, {
        trainers: o.trainers,
        computeMs: o.computeMs,
        config: {
          minNodesForRound: 3,
          consensusThreshold: CONSENSUS,
          byzantineTolerance: TOLERANCE,
          aggregation: ruleInput(rule, TOLERANCE),
          taskTimeoutMs: 60_000,
          roundDeadlineMs: 120_000,
        },
      });
      ctx.fact('rule', rule);
      // 1. Screened, with the robust rule.
      const screened = parties.coordinator;
      const initial = screened.evaluate();
      const initialParams = screened.params;
      const a = await train(ctx, seams, screened, o.rounds);
      // 2. Unscreened, the robust rule alone (a fresh coordinator and model, the same trainers).
      const unscreened = await parties.fresh(
        seams.configure?.({ detection: { enabled: false } }, NAME) ?? { detection: { enabled: false } },
      );
      const b = await train(ctx, seams, unscreened, o.rounds);
      ctx.latency(a.reduce((s, x) => s + (x.report.closedAt - x.report.startedAt), 0));
      if (ctx.sequential) return;

      let flagged = true;
      let flagDetail = '';
      let commitOk = true;
      let commitDetail = '';
      let allMustCommit = true;
      let allMustFail = true;
      for (const [i, { report }] of a.entries()) {
        const exp = expectations(ctx, parties, report, true, o, i + 1);
        for (const e of exp) {
          const out = report.outcomes.get(e.id);
          const used = out?.status === 'accepted' || out?.status === 'unused';
          const wrong =
            (e.can.size === 1 && e.can.has('rejected') && out?.status !== 'rejected') ||
            (e.can.size === 1 && e.can.has('valid') && !used);
          if (wrong && flagged) {
            flagged = false;
            flagDetail = `round ${report.round}: ${e.id} (${e.why}) ended ${out?.status ?? 'without an outcome'}${out?.reason === undefined ? '' : ` (${out.reason})`}`;
          }
        }
        const must = expectCommit(exp, { minUpdates: 3, consensusThreshold: CONSENSUS }).must;
        allMustCommit &&= must === 'commit';
        allMustFail &&= must === 'fail';
        const committed = report.status === 'committed';
        if (must !== 'either' && (must === 'commit') !== committed && commitOk) {
          commitOk = false;
          commitDetail = `round ${report.round} ${report.status}${report.reason === undefined ? '' : ` (${report.reason})`}, must ${must} (agreement ${report.agreement.toFixed(2)}, threshold ${CONSENSUS})`;
        }
      }
      const k = parties.nodeIds.filter((id) => misbehaves(ctx, id, { fromMs: 0, toMs: Infinity })).length;
      const tolerated = Math.floor(TOLERANCE * o.trainers);
      ctx.check(
        'byzantine-flagged',
        flagged,
        flagged ? `${k} Byzantine trainer(s) flagged in every round, honest ones used` : flagDetail,
      );
      const unmoved = allMustFail ? sameParams(screened.params, initialParams) : true;
      ctx.check(
        'commit-iff-tolerated',
        commitOk && unmoved,
        !commitOk
          ? commitDetail
          : !unmoved
            ? 'every round had to fail, yet the model moved'
            : `${k} Byzantine of ${o.trainers} (tolerance ${tolerated}): ${a.map((x) => x.report.status).join(', ')}`,
      );

      // Phase 2: the bound of the robust rule, and FedAvg beside it.
      let boundOk = true;
      let boundDetail = '';
      let allBounded = true;
      let fedavgOff = 0;
      for (const { report } of b) {
        if (report.status !== 'committed') {
          allBounded = false;
          continue;
        }
        const at = { fromMs: planTime(ctx, report.startedAt), toMs: planTime(ctx, report.closedAt) + 1 };
        const honest = report.acceptedUpdates.map((u) => !misbehaves(ctx, u.nodeId, at));
        const resolved = resolveRule(ruleInput(rule, TOLERANCE), report.acceptedUpdates.length, TOLERANCE);
        const bound = robustBound(report.acceptedUpdates, honest, resolved, report.aggregate!);
        if (!bound.applies) allBounded = false;
        if (!bound.held && boundOk) {
          boundOk = false;
          boundDetail = `round ${report.round} (${rule}): ${bound.detail}`;
        } else if (boundOk) boundDetail = `${rule}: ${bound.detail}`;
        const honestUpdates = report.acceptedUpdates.filter((_, i) => honest[i]);
        if (honestUpdates.length > 0) {
          const ref = aggregateOf(honestUpdates, { kind: 'fedavg' });
          fedavgOff = Math.max(
            fedavgOff,
            relativeDistance(aggregateOf(report.acceptedUpdates, { kind: 'fedavg' }), ref),
          );
        }
      }
      ctx.check('robust-within-bound', boundOk, boundDetail || 'no committed round');
      ctx.fact('fedavgOffBy', Number(fedavgOff.toFixed(3)));

      const screenedOk = !allMustCommit || improved(initial, screened.evaluate());
      const unscreenedOk = !allBounded || improved(initial, unscreened.evaluate());
      const acc = (e: Evaluation | undefined): string => (e === undefined ? '?' : e.accuracy.toFixed(2));
      ctx.check(
        'accuracy-improves',
        screenedOk && unscreenedOk,
        `accuracy ${acc(initial)} → screened ${acc(screened.evaluate())}${allMustCommit ? '' : ' (not required: rounds had to fail)'}, ` +
          `unscreened ${rule} ${acc(unscreened.evaluate())}${allBounded ? '' : ' (not required: beyond the rule’s tolerance)'}`,
      );
      ctx.fact('byzantine', k);
      ctx.fact('screened', a.map((x) => x.report.status).join(','));
    },
  });
}

function sameParams(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((v, q) => Object.is(v, b[q]));
}
