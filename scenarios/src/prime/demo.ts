/**
 * `fanout prime demo` — federated training end to end: N trainers (some Byzantine, from the plan's
 * `behave` rules), one coordinator, `rounds` rounds of training on Iris (or the synthetic set). The
 * board shows every trainer of every round as it settles; then a table of the rounds
 * (participants, accepted, rejected, held-out accuracy and loss, duration) and the coordinator's
 * Prometheus metrics are printed.
 *
 * sim: one process, virtual time, deterministic per seed (SimNetwork). live: every trainer a real
 * HTTP server on 127.0.0.1, wall time. Exit code 0 iff every round matches the oracle
 * (prime.round-quorum's checks: commit iff enough valid updates, never from fewer, aggregate =
 * aggregateOf(accepted); and no Byzantine update accepted while screening can catch it) and the
 * held-out accuracy after the last round is above the untrained model's.
 */
import { z } from 'zod';
import type { Evaluation, RoundReport } from '@fanout/prime';
import { createRng, parseFaultPlan, type Rng } from '@fanout/sim';
import type { CommandIO, Demo } from '../kernel/system.js';
import type { GuaranteeCheck } from '../kernel/types.js';
import { World, simEdge, type WorldInit } from '../kernel/world.js';
import { forwardCoordinatorEvents } from './events.js';
import { aggregateViolation, expectCommit, minAggregatable, expectTrainer } from './oracle.js';
import { byzantineRules, describeByzantine, drawByzantine, type ByzantineBehaviour } from './plan.js';
import { ruleInput } from './kit.js';
import { buildPrimeWorld, type PrimeParties } from './world.js';

const TOLERANCE = 0.33;
const CONSENSUS = 0.66;

const options = z.object({
  trainers: z.number().int().min(1).max(1000).default(20).describe('trainer nodes'),
  rounds: z.number().int().min(1).max(1000).default(10).describe('training rounds'),
  byzantine: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(0)
    .describe('Byzantine trainers (sign-flip, scale or noise)'),
  aggregation: z
    .enum(['fedavg', 'median', 'trimmed-mean', 'krum'])
    .default('fedavg')
    .describe('aggregation rule (trimmed mean trims β = 0.33)'),
  mode: z
    .enum(['sim', 'live'])
    .default('sim')
    .describe('sim: in-process, virtual time; live: real HTTP on 127.0.0.1'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(0xffff_ffff)
    .default(1)
    .describe('seed of the data, the Byzantine draws and the latencies'),
  data: z
    .enum(['iris', 'synthetic'])
    .default('iris')
    .describe('iris (150 samples, similarity threshold 0) or synthetic blobs (full batch, threshold 0.8)'),
  computeMs: z.number().min(0).max(60_000).default(100).describe('compute time of a task, ms (20 live)'),
});
/** Options of the Prime demo (after parsing). */
export type PrimeDemoOptions = z.output<typeof options>;

/** The demo's plan: latencies of the tier, Byzantine trainers drawn from the seed. */
function demoPlan(o: PrimeDemoOptions, rng: Rng) {
  const n = o.trainers;
  const chosen = rng
    .shuffle(Array.from({ length: n }, (_, i) => i))
    .slice(0, Math.min(n, o.byzantine))
    .sort((a, b) => a - b);
  const byIndex = new Map<number, ByzantineBehaviour>(chosen.map((i) => [i, drawByzantine(rng)]));
  return parseFaultPlan({
    description: describeByzantine(byIndex),
    latency: {
      default:
        o.mode === 'live'
          ? { kind: 'uniform', minMs: 0, maxMs: 4 }
          : { kind: 'normal', meanMs: 40, sdMs: 10 },
    },
    rules: byzantineRules(byIndex),
  });
}

/**
 * The oracle's verdict on one round: the round-quorum checks, plus "no update of a trainer the
 * plan makes Byzantine is accepted where screening surely catches it".
 */
function checkRound(
  world: World,
  parties: PrimeParties,
  o: PrimeDemoOptions,
  report: RoundReport,
  before: Float64Array,
  after: Float64Array,
  round: number,
): GuaranteeCheck[] {
  const start = report.startedAt - world.startedAt;
  const byzantine = parties.nodeIds.filter((id) => world.view.behaviours(id).length > 0).length;
  const expected = parties.nodeIds.map((id) =>
    expectTrainer(world.view, id, {
      at: { fromMs: start, toMs: start + parties.config.taskTimeoutMs },
      computeMs: o.computeMs,
      slackMs: o.mode === 'live' ? 250 : 0,
      data: o.data,
      screening: true,
      byzantineMinority: 2 * byzantine < parties.nodeIds.length,
      answeredBefore: () => round > 1,
    }),
  );
  // Iris: honest cosines to the median can fall near 0, so screening may flag an honest update.
  const allowed =
    o.data === 'iris'
      ? expected.map((e) =>
          e.can.has('valid') ? { ...e, can: new Set([...e.can, 'rejected' as const]) } : e,
        )
      : expected;
  const exp = expectCommit(allowed, {
    minUpdates: parties.config.minNodesForRound,
    consensusThreshold: CONSENSUS,
    minAggregatable: minAggregatable(o.aggregation),
  });
  const committed = report.status === 'committed';
  const accepted = [...report.outcomes.values()].filter((x) => x.status === 'accepted').map((x) => x.nodeId);
  const leaked = accepted.filter((id) => {
    const e = expected.find((x) => x.id === id)!;
    return !e.can.has('valid');
  });
  const agg = committed
    ? aggregateViolation(
        {
          acceptedUpdates: report.acceptedUpdates,
          aggregate: report.aggregate,
          paramsBefore: before,
          paramsAfter: after,
        },
        ruleInput(o.aggregation, TOLERANCE),
        TOLERANCE,
      )
    : undefined;
  return [
    {
      name: 'commits-iff-quorum',
      held: exp.must === 'either' || (exp.must === 'commit') === committed,
      detail: `must ${exp.must}`,
    },
    { name: 'never-from-fewer', held: !committed || accepted.length >= parties.config.minNodesForRound },
    { name: 'aggregate-of-accepted', held: agg === undefined, ...(agg === undefined ? {} : { detail: agg }) },
    {
      name: 'byzantine-never-accepted',
      held: leaked.length === 0,
      ...(leaked.length === 0 ? {} : { detail: leaked.join(', ') }),
    },
  ];
}

const pct = (e: Evaluation | undefined): string =>
  e === undefined ? '–' : `${(100 * e.accuracy).toFixed(1)} %`;
const loss = (e: Evaluation | undefined): string => (e === undefined ? '–' : e.loss.toFixed(4));

/** Print rows as an aligned table. */
function table(io: CommandIO, rows: string[][]): void {
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  for (const r of rows)
    io.log(`  ${r.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ')}`);
}

/**
 * Run the demo (see the module docstring).
 * @returns 0 when every round matched the oracle and accuracy improved, 1 otherwise.
 * @throws whatever building the world throws (e.g. a listen error live).
 */
async function runDemo(o: PrimeDemoOptions, io: CommandIO): Promise<number> {
  const live = o.mode === 'live';
  const unit = live ? 'ms' : 'virtual ms';
  const wall0 = io.wallNow();
  const edge: WorldInit['edge'] = live ? (await import('../kernel/live/edge.js')).liveEdge : simEdge;
  const plan = demoPlan(o, createRng(o.seed).fork('demo-plan'));
  const world = await World.create({ seed: o.seed, mode: o.mode, plan, traced: false, edge });
  try {
    io.log(
      `fanout prime demo: ${o.trainers} trainer(s), ${o.rounds} round(s), ${o.aggregation}, data ${o.data}, mode ${o.mode}, seed ${o.seed}` +
        (live
          ? ' (trainers are HTTP servers on 127.0.0.1, wall time)'
          : ' (in-process, virtual time, deterministic)'),
    );
    io.log(plan.description ?? '');
    const parties = await buildPrimeWorld(world, {
      trainers: o.trainers,
      data: o.data,
      computeMs: o.computeMs,
      config: {
        minNodesForRound: Math.min(3, o.trainers),
        maxNodesPerRound: Math.max(o.trainers, 3),
        consensusThreshold: CONSENSUS,
        byzantineTolerance: TOLERANCE,
        aggregation: ruleInput(o.aggregation, TOLERANCE),
        taskTimeoutMs: live ? 10_000 : 60_000,
        roundDeadlineMs: live ? 20_000 : 120_000,
      },
      onEvent: forwardCoordinatorEvents(
        (command, labels) => (event) => io.onEvent({ type: 'fanout', command, event, labels }),
      ),
    });
    const c = parties.coordinator;
    const first = c.evaluate();
    const rows: string[][] = [
      ['round', 'participants', 'accepted', 'rejected', 'accuracy', 'loss', 'duration', 'oracle'],
    ];
    let allHeld = true;
    for (let round = 1; round <= o.rounds && !io.signal.aborted; round++) {
      io.onEvent({ type: 'phase', name: `round ${round}/${o.rounds}` });
      const before = c.params;
      const report = await c.runRound({ signal: io.signal });
      const checks = checkRound(world, parties, o, report, before, c.params, round);
      const bad = checks.filter((x) => !x.held);
      allHeld &&= bad.length === 0;
      const outs = [...report.outcomes.values()];
      rows.push([
        String(round),
        String(report.selected.length),
        String(outs.filter((x) => x.status === 'accepted').length),
        String(outs.filter((x) => x.status === 'rejected').length),
        report.status === 'committed' ? pct(report.after) : `failed (${report.reason})`,
        report.status === 'committed' ? loss(report.after) : '',
        `${report.durationMs.toFixed(0)} ${unit}`,
        bad.length === 0
          ? 'ok'
          : `VIOLATED ${bad.map((x) => `${x.name}${x.detail === undefined ? '' : `: ${x.detail}`}`).join('; ')}`,
      ]);
    }
    const last = c.evaluate();
    const improved = first !== undefined && last !== undefined && last.accuracy > first.accuracy;
    io.log('');
    table(io, rows);
    io.log(
      `\nheld-out accuracy ${pct(first)} → ${pct(last)}, loss ${loss(first)} → ${loss(last)}${improved ? '' : '  (did NOT improve)'}`,
    );
    const status = c.getStatus();
    io.log(
      `rounds committed ${status.completedRounds}, failed ${status.failedRounds}; model version ${status.modelVersion}`,
    );
    io.log('\nPrometheus metrics (the coordinator’s /metrics):');
    for (const line of (await c.metrics.text()).trimEnd().split('\n')) io.log(`  ${line}`);
    io.log(`\nran in ${(io.wallNow() - wall0).toFixed(0)} ms of wall time`);
    io.log(
      allHeld && improved
        ? 'every round matched the oracle; accuracy improved'
        : 'MISMATCH: see the oracle column and the accuracy line',
    );
    return allHeld && improved ? 0 : 1;
  } finally {
    await world.close();
  }
}

/** The Prime demo (see the module docstring). */
export const primeDemo: Demo<typeof options> = {
  description: 'federated training end to end: trainers, Byzantine ones, rounds, robust aggregation, metrics',
  options,
  liveDefaults: { computeMs: 20 },
  run: runDemo,
};
