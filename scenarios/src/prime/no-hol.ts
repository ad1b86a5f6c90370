/**
 * prime.no-hol: a trainer 10× slower than the rest does not delay the round once the updates it
 * needs are in. Every trainer is selected (maxNodesPerRound = trainers) and the round closes early
 * after `needed` well-formed updates (the coordinator's `closeAfter`; default trainers − 1): the
 * decision comes with the needed-th fastest answer, exactly, in virtual time, and the slow trainer
 * is cancelled ('quorum'), never waited for.
 *
 * Each trainer's answer time is its compute time plus the plan's per-target latency (constant
 * here, so the oracle knows it exactly); the slow one's latency makes its answer 10× the slowest
 * fast answer. The sequential twin asks one trainer at a time and waits for all (the speedup).
 */
import { z } from 'zod';
import { defineScenario, type Scenario } from '../kernel/define.js';
import { buildFor, planTime, runRoundFor, type PrimeScenarioSeams } from './kit.js';
import { trainerId } from './world.js';

const NAME = 'prime.no-hol';
/** How much slower the slow trainer is than the slowest of the rest. */
export const SLOW_FACTOR = 10;

const options = z.object({
  trainers: z.number().int().min(2).max(500).default(10).describe('trainers, all selected'),
  needed: z
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .describe('updates that close the round (default trainers − 1: all but the slow one)'),
  computeMs: z.number().min(0).max(60_000).default(100).describe('compute time of a task, ms'),
  maxLatencyMs: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(60)
    .describe('fast trainers’ round trips are drawn from 1 … this, ms'),
});
type Options = z.output<typeof options>;

/** prime.no-hol with the given seams. */
export function noHolScenario(seams: PrimeScenarioSeams = {}): Scenario {
  return defineScenario({
    name: NAME,
    title: `a trainer ${SLOW_FACTOR}× slower than the rest does not delay the round once the needed updates are in`,
    options,
    liveDefaults: { computeMs: 50, maxLatencyMs: 20 },
    guarantees: ['decided-at-needed-fastest', 'slow-trainer-not-waited-for'] as const,
    defaultRuns: { sim: 40, live: 2 }, // 20 before issue 12: a run takes about 10 ms of CPU
    plan({ rng, options: o }) {
      const n = o.trainers;
      const slow = rng.int(0, n - 1);
      const fast = Array.from({ length: n }, () => rng.int(1, o.maxLatencyMs));
      const maxFast = Math.max(...fast.filter((_, i) => i !== slow));
      const slowMs = SLOW_FACTOR * (o.computeMs + maxFast) - o.computeMs;
      return {
        description: `trainer ${slow} answers ${SLOW_FACTOR}× later than the slowest of the rest (round trip ${slowMs} ms)`,
        latency: {
          perTarget: Object.fromEntries(
            fast.map((ms, i) => [trainerId(i), { kind: 'constant' as const, ms: i === slow ? slowMs : ms }]),
          ),
        },
      };
    },
    async run(ctx) {
      const o = ctx.options as Options;
      const needed = Math.min(o.needed ?? o.trainers - 1, o.trainers);
      const parties = await buildFor(ctx, seams, NAME, {
        trainers: o.trainers,
        computeMs: o.computeMs,
        config: { minNodesForRound: Math.min(3, needed), maxNodesPerRound: o.trainers },
      });
      const { report } = await runRoundFor(ctx, seams, NAME, parties.coordinator, { closeAfter: needed });
      const decidedIn = report.closedAt - report.startedAt;
      ctx.latency(decidedIn);
      if (ctx.sequential) return;
      const view = ctx.world.view;
      const start = planTime(ctx, report.startedAt);
      const at = { fromMs: start, toMs: start + parties.config.taskTimeoutMs };
      const bounds = parties.nodeIds.map((id) => {
        const [lo, hi] = view.replyDelayBounds(id, at);
        return { id, lo: lo + o.computeMs, hi: hi + o.computeMs };
      });
      const kthLo = [...bounds].map((b) => b.lo).sort((x, y) => x - y)[needed - 1]!;
      const kthHi = [...bounds].map((b) => b.hi).sort((x, y) => x - y)[needed - 1]!;
      // Trainers surely slower than the needed-th fastest answer: never waited for.
      const slow = bounds.filter((b) => b.lo > kthHi).map((b) => b.id);
      const exact = ctx.mode === 'sim';
      ctx.check(
        'decided-at-needed-fastest',
        !exact || (decidedIn >= kthLo && decidedIn <= kthHi),
        exact
          ? `decided after ${decidedIn} ms; answer #${needed} of the plan comes at ${kthLo === kthHi ? `${kthLo}` : `${kthLo}–${kthHi}`} ms`
          : `decided after ${decidedIn.toFixed(0)} ms of wall time (not timed live)`,
      );
      const cancelled = slow.filter((id) => report.outcomes.get(id)?.status === 'cancelled');
      const accepted = [...report.outcomes.values()].filter((x) => x.status === 'accepted').length;
      const slowLo = Math.min(...bounds.filter((b) => slow.includes(b.id)).map((b) => b.lo));
      ctx.check(
        'slow-trainer-not-waited-for',
        report.status === 'committed' &&
          accepted === needed &&
          cancelled.length === slow.length &&
          (!exact || slow.length === 0 || decidedIn < slowLo),
        `${report.status} with ${accepted} of ${needed} needed updates; slow: ${slow.join(', ') || 'none'} ` +
          `(${cancelled.length} cancelled${slow.length > 0 ? `, first answer at ${slowLo} ms` : ''})`,
      );
      ctx.fact('decidedMs', decidedIn);
    },
  });
}
