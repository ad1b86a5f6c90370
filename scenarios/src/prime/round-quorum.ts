/**
 * prime.round-quorum: a round commits iff at least minNodesForRound valid updates arrive before
 * the deadline (and they agree: valid / (valid + rejected) ≥ consensusThreshold), never from
 * fewer; and the committed aggregate is exactly `aggregateOf` of the accepted updates.
 *
 * The plan puts the number of trainers able to deliver a valid update around minNodesForRound:
 * the others crash, are partitioned, lose their reply, answer HTTP 500, answer after the
 * deadline, or send a NaN, a wrong-shaped or a stale update. The oracle reads the effective plan
 * (oracle.ts `expectTrainer`), so `--plan` and hand-edited replay files are judged as written.
 */
import { z } from 'zod';
import type { RoundReport } from '@fanout/prime';
import { defineScenario, type Scenario } from '../kernel/define.js';
import {
  aggregateViolation,
  expectCommit,
  expectTrainer,
  minAggregatable,
  type TrainerExpectation,
} from './oracle.js';
import { NO_VALID_UPDATE, describeFaults, trainerFaultRules, type TrainerFault } from './plan.js';
import {
  RULES,
  buildFor,
  planTime,
  ruleInput,
  runRoundFor,
  slackOf,
  type Ctx,
  type PrimeScenarioSeams,
} from './kit.js';
import type { PrimeParties } from './world.js';

const NAME = 'prime.round-quorum';
/** The scenario's consensus threshold and Byzantine tolerance (the seed's defaults). */
const CONSENSUS = 0.66;
const TOLERANCE = 0.33;

const options = z.object({
  trainers: z.number().int().min(1).max(100).default(8).describe('trainers, all selected'),
  minNodes: z.number().int().min(1).max(100).default(5).describe('minNodesForRound'),
  deadlineMs: z
    .number()
    .positive()
    .max(600_000)
    .default(5000)
    .describe('round deadline (and per-task timeout), ms'),
  computeMs: z.number().min(0).max(60_000).default(100).describe('compute time of a task, ms'),
  rule: z.enum(RULES).default('fedavg').describe('aggregation rule'),
});
type Options = z.output<typeof options>;

/** What the oracle said about each trainer, for details. */
function describeExpectations(list: readonly TrainerExpectation[]): string {
  return list.map((e) => `${e.id}: ${[...e.can].join('|')} (${e.why})`).join('; ');
}

/** Ids of the trainers whose update the round accepted. */
function acceptedNodes(r: RoundReport): string[] {
  return [...r.outcomes.values()].filter((o) => o.status === 'accepted').map((o) => o.nodeId);
}

/** The three checks of one round against the plan (shared with the demo). */
export function checkQuorumRound(
  ctx: Pick<Ctx, 'check' | 'world' | 'mode'>,
  parties: PrimeParties,
  r: { report: RoundReport; before: Float64Array; after: Float64Array },
  o: { minNodes: number; deadlineMs: number; computeMs: number; rule: Options['rule'] },
): void {
  const { report } = r;
  const start = planTime(ctx as Ctx, report.startedAt);
  const frame = {
    at: { fromMs: start, toMs: start + o.deadlineMs },
    computeMs: o.computeMs,
    slackMs: slackOf(ctx.mode),
    data: 'synthetic' as const,
    screening: true,
    byzantineMinority: true,
    answeredBefore: () => false,
  };
  const expected = parties.nodeIds.map((id) => expectTrainer(ctx.world.view, id, frame));
  const exp = expectCommit(expected, {
    minUpdates: o.minNodes,
    consensusThreshold: CONSENSUS,
    minAggregatable: minAggregatable(o.rule),
  });
  const committed = report.status === 'committed';
  const accepted = acceptedNodes(report);
  ctx.check(
    'commits-iff-quorum',
    exp.must === 'either' || (exp.must === 'commit') === committed,
    `${report.status}${report.reason === undefined ? '' : ` (${report.reason})`} with ${accepted.length} accepted; ` +
      `the plan allows ${exp.minValid}–${exp.maxValid} valid of ${expected.length}, minNodesForRound ${o.minNodes}: ` +
      `must ${exp.must}` +
      (exp.must !== 'either' && (exp.must === 'commit') !== committed
        ? ` — ${describeExpectations(expected)}`
        : ''),
  );
  const byId = new Map(expected.map((e) => [e.id, e]));
  const impossible = accepted.filter((id) => byId.get(id)?.can.has('valid') !== true);
  ctx.check(
    'never-from-fewer',
    !committed || (accepted.length >= o.minNodes && impossible.length === 0),
    committed
      ? `committed from ${accepted.length} update(s) (minNodesForRound ${o.minNodes})` +
          (impossible.length > 0 ? `; ${impossible.join(', ')} cannot have sent a valid update` : '')
      : `not committed (${report.reason})`,
  );
  if (!committed) {
    ctx.check('aggregate-of-accepted', report.aggregate === undefined && report.acceptedUpdates.length === 0);
    return;
  }
  const bad = aggregateViolation(
    {
      acceptedUpdates: report.acceptedUpdates,
      aggregate: report.aggregate,
      paramsBefore: r.before,
      paramsAfter: r.after,
    },
    ruleInput(o.rule, TOLERANCE),
    TOLERANCE,
  );
  const sent = new Set(
    parties.trainers.flatMap((t) => t.history.filter((h) => h.round === report.round).map((h) => h.updateId)),
  );
  const foreign = report.acceptedUpdates.filter((u) => !sent.has(u.updateId)).map((u) => u.updateId);
  const missing = expected
    .filter((e) => e.can.size === 1 && e.can.has('valid') && !accepted.includes(e.id))
    .map((e) => e.id);
  ctx.check(
    'aggregate-of-accepted',
    bad === undefined && foreign.length === 0 && missing.length === 0,
    bad ??
      (foreign.length > 0
        ? `accepted update(s) no trainer sent: ${foreign.join(', ')}`
        : missing.length > 0
          ? `valid update(s) of ${missing.join(', ')} not accepted`
          : `${o.rule} of exactly the ${accepted.length} accepted updates`),
  );
}

/** prime.round-quorum with the given seams. */
export function roundQuorumScenario(seams: PrimeScenarioSeams = {}): Scenario {
  return defineScenario({
    name: NAME,
    title:
      'a round commits iff minNodesForRound valid updates arrive before the deadline; aggregate = aggregateOf(accepted)',
    options,
    liveDefaults: { deadlineMs: 1500, computeMs: 20 },
    guarantees: ['commits-iff-quorum', 'never-from-fewer', 'aggregate-of-accepted'] as const,
    defaultRuns: { sim: 40, live: 2 }, // 20 before issue 12: a run takes about 10 ms of CPU
    plan({ rng, mode, options: o }) {
      const n = o.trainers;
      const valid = Math.max(0, Math.min(n, o.minNodes + rng.int(-2, 2)));
      const faults: TrainerFault[] = rng.shuffle(
        Array.from({ length: n }, (_, i): TrainerFault => (i < valid ? 'honest' : rng.pick(NO_VALID_UPDATE))),
      );
      return {
        description: `${describeFaults(faults)}; minNodesForRound ${o.minNodes}`,
        latency: {
          default:
            mode === 'live'
              ? { kind: 'uniform', minMs: 1, maxMs: 5 }
              : { kind: 'normal', meanMs: 40, sdMs: 10 },
        },
        rules: trainerFaultRules(faults, o.deadlineMs * 3),
      };
    },
    async run(ctx) {
      const o = ctx.options as Options;
      const parties = await buildFor(ctx, seams, NAME, {
        trainers: o.trainers,
        computeMs: o.computeMs,
        config: {
          minNodesForRound: o.minNodes,
          maxNodesPerRound: Math.max(o.trainers, o.minNodes),
          taskTimeoutMs: o.deadlineMs,
          roundDeadlineMs: o.deadlineMs,
          consensusThreshold: CONSENSUS,
          byzantineTolerance: TOLERANCE,
          aggregation: ruleInput(o.rule, TOLERANCE),
        },
      });
      const r = await runRoundFor(ctx, seams, NAME, parties.coordinator);
      ctx.latency(r.report.closedAt - r.report.startedAt);
      if (ctx.sequential) return;
      checkQuorumRound(ctx, parties, r, o);
      ctx.fact('status', r.report.status);
      ctx.fact('accepted', r.report.acceptedUpdateIds.length);
    },
  });
}
