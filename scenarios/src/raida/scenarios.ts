/**
 * RAIDA scenarios (shared/reference/raida.md, "Interesting scenario edges"): quorum boundary,
 * per-token consensus, reply ordering and spoofing, no head-of-line blocking, no coin lost.
 * Each draws its RAIDA behaviours into the fault plan (plan.ts), its coins from the workload
 * stream, runs the real RaidaClient against 25 fake RAIDA and checks grades against what the
 * effective plan lets each RAIDA answer.
 */
import { z } from 'zod';
import {
  RAIDA_COUNT,
  type GradeReport,
  type RaidaClient,
  type RaidaClientOptions,
  type RaidaEvent,
} from '@fanout/raida';
import { raidaTarget } from '@fanout/sim-raida';
import type { Rng } from '@fanout/sim';
import { defineScenario, type RunContext, type Scenario } from '../kernel/define.js';
import { WHOLE_RUN } from '../kernel/plan-view.js';
import { allowedMatrix, belowQuorumViolation, gradeViolation, oracleGrade, outcomeFields } from './oracle.js';
import { behaviourRules, describeBehaviours, type Behaviour } from './plan.js';
import {
  buildRaidaWorld,
  LIVE_TIMEOUT_MS,
  SIM_TIMEOUT_MS,
  type RaidaParties,
  type RaidaWorldSpec,
} from './world.js';

const NO_ANSWER: readonly Behaviour[] = [
  'dropRequest',
  'dropReply',
  'errorStatus',
  'crash',
  'partition',
  'spoof',
  'wrongAn',
];
const TOKEN_COUNTS = [1, 8, 9, 17] as const;

/** raida.no-hol: latency of the slow RAIDA per tier (option `slowMs`). */
export const SLOW_MS_SIM = 5000;
export const SLOW_MS_LIVE = 300;

const coinsOption = z
  .number()
  .int()
  .min(1)
  .max(1000)
  .optional()
  .describe('coins per run (default: drawn from 1, 8, 9, 17, the bitfield byte boundaries)');

const timeoutOf = (mode: 'sim' | 'live'): number => (mode === 'live' ? LIVE_TIMEOUT_MS : SIM_TIMEOUT_MS);

/** Random behaviours: `honest` RAIDA honest, the rest drawn from `others`, positions shuffled. */
export function drawBehaviours(rng: Rng, honest: number, others: readonly Behaviour[]): Behaviour[] {
  const list: Behaviour[] = [];
  for (let i = 0; i < RAIDA_COUNT; i++) list.push(i < honest ? 'honest' : rng.pick(others));
  return rng.shuffle(list);
}

function pickSubset(rng: Rng, k: number): number[] {
  return rng.shuffle(Array.from({ length: RAIDA_COUNT }, (_, i) => i)).slice(0, k);
}

/** Test seams of {@link createRaidaScenarios}; the defaults are the production behaviour. */
export interface RaidaScenarioSeams {
  /** Builds every client of every world (see {@link RaidaWorldSpec.makeClient}). */
  readonly makeClient?: (options: RaidaClientOptions) => RaidaClient;
}

type Ctx = RunContext<Record<string, unknown>, string>;

/** The client's progress events, forwarded to the board and traced, one listener per command. */
function forward(ctx: Ctx): (e: RaidaEvent) => void {
  const byCommand = new Map<string, (e: RaidaEvent) => void>();
  return (e) => {
    let f = byCommand.get(e.command);
    if (f === undefined) byCommand.set(e.command, (f = ctx.fanOutEvents(e.command)));
    f(e);
  };
}

/** Build the parties; the sequential twin asks one RAIDA at a time without early exit. */
function build(ctx: Ctx, seams: RaidaScenarioSeams, spec: RaidaWorldSpec): Promise<RaidaParties> {
  const client = {
    ...spec.client,
    onEvent: forward(ctx),
    ...(ctx.sequential && { concurrency: 1, earlyExit: false }),
  };
  return buildRaidaWorld(ctx.world, {
    ...spec,
    client,
    ...(seams.makeClient !== undefined && { makeClient: seams.makeClient }),
  });
}

/** detect, record the outcome, check grades (and quorum) against the plan; returns the report. */
async function detectAndGrade(ctx: Ctx, parties: RaidaParties, quorumCheck: boolean): Promise<GradeReport> {
  const report = await parties.client.detect(parties.coins);
  ctx.latency(report.elapsedMs);
  ctx.outcome(
    'detect',
    outcomeFields(
      report.tokens.map((t) => t.grade),
      report.tokens.map((t) => t.votes),
    ),
  );
  const allowed = allowedMatrix(ctx.world, parties, { fromMs: 0, toMs: ctx.world.elapsed() + 1 });
  const q = parties.clientOptions.quorum;
  const bad = gradeViolation(report, allowed, q);
  ctx.check('grades-match-oracle', bad === undefined, bad);
  if (quorumCheck) {
    const below = belowQuorumViolation(report, allowed, q);
    ctx.check('never-authentic-below-quorum', below === undefined, below);
  }
  const grades: Record<string, number> = { authentic: 0, fracked: 0, counterfeit: 0, limbo: 0 };
  for (const t of report.tokens) grades[t.grade]!++;
  for (const [k, v] of Object.entries(grades)) ctx.fact(k, v);
  return report;
}

const quorumBoundaryOf = (seams: RaidaScenarioSeams): Scenario =>
  defineScenario({
    name: 'raida.quorum-boundary',
    title:
      '11–14 honest RAIDA, the rest dropping, erroring, crashing, partitioned, spoofing or holding wrong ANs',
    options: z.object({ coins: coinsOption }),
    guarantees: ['grades-match-oracle', 'never-authentic-below-quorum'] as const,
    plan({ rng, mode }) {
      const behaviours = drawBehaviours(rng, rng.int(11, 14), NO_ANSWER);
      return {
        description: describeBehaviours(behaviours),
        latency: { default: { kind: 'normal', meanMs: 50, sdMs: 10 } },
        rules: behaviourRules(behaviours, timeoutOf(mode)),
      };
    },
    async run(ctx) {
      const coins = ctx.options.coins ?? ctx.rng.pick(TOKEN_COUNTS);
      const parties = await build(ctx, seams, { coins });
      await detectAndGrade(ctx, parties, true);
      ctx.fact('honest', parties.servers.filter((s) => !ctx.world.view.touched(raidaTarget(s.id))).length);
    },
  });

const perTokenConsensusOf = (seams: RaidaScenarioSeams): Scenario =>
  defineScenario({
    name: 'raida.per-token-consensus',
    title: 'N = 1, 8, 9, 17 tokens, fracked on different RAIDA in one request',
    options: z.object({ coins: coinsOption }),
    guarantees: ['grades-match-oracle', 'never-authentic-below-quorum'] as const,
    // cheap since issue 12 (about 3-4 ms of CPU a run): 150 seeds in the main job instead of 100
    defaultRuns: { sim: 150, live: 3 },
    plan({ rng, mode }) {
      const behaviours = drawBehaviours(rng, RAIDA_COUNT - rng.int(0, 3), NO_ANSWER);
      return {
        description: describeBehaviours(behaviours),
        latency: { default: { kind: 'normal', meanMs: 50, sdMs: 10 } },
        rules: behaviourRules(behaviours, timeoutOf(mode)),
      };
    },
    async run(ctx) {
      const n = ctx.options.coins ?? ctx.rng.pick(TOKEN_COUNTS);
      const frackedOn = Array.from({ length: n }, () =>
        pickSubset(ctx.rng, ctx.rng.pick([0, 0, 1, 3, 12, 13, 20])),
      );
      const parties = await build(ctx, seams, { coins: n, frackedOn });
      await detectAndGrade(ctx, parties, true);
      ctx.fact('tokens', n);
    },
  });

const orderingOf = (seams: RaidaScenarioSeams): Scenario =>
  defineScenario({
    name: 'raida.ordering',
    title: 'replies in any order, duplicated or spoofed never change grades',
    options: z.object({ coins: coinsOption }),
    guarantees: ['grades-match-oracle', 'spoofed-replies-ignored', 'duplicates-dropped'] as const,
    // cheap since issue 12 (about 3-4 ms of CPU a run): 150 seeds in the main job instead of 100
    defaultRuns: { sim: 150, live: 3 },
    plan({ rng, mode }) {
      const spoofers = rng.int(1, 4);
      const behaviours = rng.shuffle<Behaviour>([
        ...Array.from({ length: spoofers }, () => 'spoof' as const),
        ...Array.from({ length: RAIDA_COUNT - spoofers }, () =>
          rng.pick(['honest', 'reorder', 'duplicate'] as const),
        ),
      ]);
      return {
        description: describeBehaviours(behaviours),
        latency: { default: { kind: 'uniform', minMs: 1, maxMs: 200 } },
        rules: behaviourRules(behaviours, timeoutOf(mode)),
      };
    },
    async run(ctx) {
      const n = ctx.options.coins ?? ctx.rng.pick(TOKEN_COUNTS);
      const frackedOn = Array.from({ length: n }, () => pickSubset(ctx.rng, ctx.rng.pick([0, 2])));
      const parties = await build(ctx, seams, { coins: n, frackedOn });
      const report = await detectAndGrade(ctx, parties, false);
      const view = ctx.world.view;
      const spoofing = parties.servers
        .filter((s) => view.spoofsAs(raidaTarget(s.id))?.certainty === 'always')
        .map((s) => s.id);
      const duplicating = parties.servers.filter(
        (s) => view.rulesOf(raidaTarget(s.id), 'duplicateReply').length > 0,
      ).length;
      const st = parties.client.stats;
      const spoofVotes = report.tokens.every((t) => spoofing.every((r) => t.votes[r] === 'noReply'));
      ctx.check(
        'spoofed-replies-ignored',
        spoofVotes && st.unmatched >= spoofing.length,
        `unmatched replies ${st.unmatched}, spoofing RAIDA ${spoofing.length}`,
      );
      ctx.check(
        'duplicates-dropped',
        st.replies <= st.requests,
        `${st.replies} replies accepted for ${st.requests} requests (${duplicating} RAIDA duplicating)`,
      );
      ctx.fact('spoofers', spoofing.length);
      ctx.fact('unmatched', st.unmatched);
    },
  });

const noHeadOfLineBlockingOf = (seams: RaidaScenarioSeams): Scenario =>
  defineScenario({
    name: 'raida.no-hol',
    title: 'RAIDA at 5 s do not delay the decision when 13 fast ones agree (early exit)',
    options: z.object({
      coins: coinsOption,
      slowMs: z
        .number()
        .positive()
        .max(600_000)
        .default(SLOW_MS_SIM)
        .describe('latency of the slow RAIDA, ms'),
    }),
    liveDefaults: { slowMs: SLOW_MS_LIVE },
    guarantees: ['decision-not-delayed-by-slow-raida', 'grades-match-oracle'] as const,
    // cheap since issue 12 (about 3-4 ms of CPU a run): 150 seeds in the main job instead of 100
    defaultRuns: { sim: 150, live: 3 },
    plan({ rng, mode, options }) {
      const slow = rng.shuffle(Array.from({ length: RAIDA_COUNT }, (_, i) => i)).slice(0, rng.int(1, 6));
      const fastMs = mode === 'live' ? 20 : 50;
      return {
        description: `RAIDA ${slow.join(',')} at ${options.slowMs} ms, the rest ${fastMs} ms`,
        latency: {
          default: { kind: 'normal', meanMs: fastMs, sdMs: fastMs / 5, jitterMs: 0 },
          perTarget: Object.fromEntries(
            slow.map((r) => [raidaTarget(r), { kind: 'constant', ms: options.slowMs }]),
          ),
        },
      };
    },
    async run(ctx) {
      const coins = ctx.options.coins ?? ctx.rng.pick(TOKEN_COUNTS);
      const slowMs = ctx.options.slowMs;
      const parties = await build(ctx, seams, { coins, client: { earlyExit: true, timeoutMs: slowMs * 4 } });
      const report = await detectAndGrade(ctx, parties, false);
      if (ctx.sequential) return;
      // Which RAIDA the plan makes slower than the patience of early exit: their fastest reply
      // comes no sooner than the slowest reply of any other RAIDA.
      const view = ctx.world.view;
      const bounds = parties.servers.map((s) => view.replyDelayBounds(raidaTarget(s.id), WHOLE_RUN));
      const fastMax = Math.max(0, ...bounds.filter(([lo]) => lo < slowMs).map(([, hi]) => hi));
      const slow = parties.servers
        .filter((_, r) => bounds[r]![0] >= slowMs && bounds[r]![0] > fastMax)
        .map((s) => s.id);
      // Exact in virtual time: the decision comes with the q-th fulfilled reply; every RAIDA that
      // had not answered by then is cancelled (live: no wall-clock bound, only the cancellations).
      const q = parties.clientOptions.quorum;
      const answered = report.raida.outcomes
        .filter((o) => o.status === 'fulfilled')
        .map((o) => o.settledAt - (o.startedAt ?? 0))
        .sort((a, b) => a - b);
      const qth = answered[q - 1] ?? Infinity;
      const slowCancelled = slow.every((r) => report.raida.outcomes[r]?.status === 'cancelled');
      const enoughFast = RAIDA_COUNT - slow.length >= q;
      const notDelayed =
        !enoughFast ||
        (ctx.mode === 'sim'
          ? report.elapsedMs <= qth && report.elapsedMs < slowMs && slowCancelled
          : slowCancelled);
      ctx.check(
        'decision-not-delayed-by-slow-raida',
        notDelayed,
        `decided at ${report.elapsedMs.toFixed(1)} ms with ${slow.length} RAIDA at ≥ ${slowMs} ms ` +
          `(${slowCancelled ? 'all' : 'not all'} cancelled); reply #${q} came at ${qth.toFixed(1)} ms`,
      );
      ctx.fact('slow', slow.length);
    },
  });

const noCoinLostOf = (seams: RaidaScenarioSeams): Scenario =>
  defineScenario({
    name: 'raida.no-coin-lost',
    title: 'pown under drops and crashes loses no coin; find resolves limbo; heal restores fracked coins',
    options: z.object({
      coins: coinsOption,
      windowMs: z
        .number()
        .positive()
        .max(600_000)
        .default(20_000)
        .describe('faults happen in [0, windowMs), ms'),
    }),
    liveDefaults: { windowMs: 1500 },
    guarantees: ['pown-never-retried', 'no-coin-lost', 'heal-restores-authentic'] as const,
    baseline: false,
    plan({ rng, options }) {
      const faulty = rng.shuffle(Array.from({ length: RAIDA_COUNT }, (_, i) => i)).slice(0, rng.int(1, 8));
      return {
        description: `faults on RAIDA ${faulty.join(',')} during the first ${options.windowMs} ms`,
        latency: { default: { kind: 'normal', meanMs: 50, sdMs: 10 } },
        rules: faulty.map((r) => {
          const kind = rng.pick(['dropReply', 'dropRequest', 'crash'] as const);
          return kind === 'crash'
            ? {
                fault: 'crash' as const,
                targets: [raidaTarget(r)],
                atMs: 0,
                restartAfterMs: options.windowMs,
              }
            : { fault: kind, targets: [raidaTarget(r)], window: { fromMs: 0, toMs: options.windowMs } };
        }),
      };
    },
    async run(ctx) {
      const n = ctx.options.coins ?? ctx.rng.pick(TOKEN_COUNTS);
      const frackedOn = Array.from({ length: n }, () => pickSubset(ctx.rng, ctx.rng.pick([0, 1, 2])));
      const parties = await build(ctx, seams, { coins: n, frackedOn });
      const { client, servers, coins } = parties;
      const pans = coins.map(() => Array.from({ length: RAIDA_COUNT }, () => ctx.rng.bytes(16)));
      const before = servers.map((s) => s.stats.byCommand['pown'] ?? 0);
      const pown = await client.pown(coins, pans);
      ctx.latency(pown.elapsedMs);
      ctx.outcome(
        'pown',
        outcomeFields(
          pown.tokens.map((t) => t.grade),
          pown.tokens.map((t) => t.votes),
        ),
      );
      const pownsPerRaida = servers.map((s, r) => (s.stats.byCommand['pown'] ?? 0) - before[r]!);
      // Wait until every fault that ends has ended, then resolve limbo and heal.
      const quietAt = quietFrom(ctx);
      await ctx.world.sleepUntil(quietAt, ctx.signal);
      const after = Math.max(quietAt, ctx.world.elapsed());
      const resolved = await client.resolveLimbo(pown, pans);
      const afterLimbo = resolved.votes.map((v) => oracleGrade(v, 13));
      ctx.outcome('find', outcomeFields(afterLimbo, resolved.votes));
      const lost = afterLimbo.flatMap((g, i) => (g === 'counterfeit' ? [i] : []));
      const healed = await client.heal(resolved.coins, resolved.votes);
      ctx.outcome(
        'heal',
        outcomeFields(
          healed.report.tokens.map((t) => t.grade),
          healed.report.tokens.map((t) => t.votes),
        ),
      );
      // After the quiet point, RAIDA still silent per the plan (a fault without end) may keep a
      // coin from authentic only when they are too many for 13 to pass it.
      const stillSilent = servers.filter(
        (s) => ctx.world.view.silent(raidaTarget(s.id), { fromMs: after, toMs: Infinity }) !== 'never',
      ).length;
      const mustHeal = RAIDA_COUNT - stillSilent >= 13;
      const notAuthentic = healed.report.tokens.filter((t) => t.grade !== 'authentic');
      const batches = Math.ceil(n / 37);
      ctx.check(
        'pown-never-retried',
        pownsPerRaida.every((c) => c <= batches),
        `pown requests per RAIDA: ${pownsPerRaida.join(',')}`,
      );
      ctx.check(
        'no-coin-lost',
        lost.length === 0,
        lost.length === 0
          ? `grades after find: ${afterLimbo.join(',')}`
          : `coins ${lost.join(',')} counterfeit after pown`,
      );
      ctx.check(
        'heal-restores-authentic',
        !mustHeal || notAuthentic.length === 0,
        notAuthentic.length === 0
          ? undefined
          : notAuthentic.map((t) => `sn ${t.sn}: ${t.grade} (${t.passes} pass, ${t.fails} fail)`).join('; ') +
              (mustHeal ? '' : ` (${stillSilent} RAIDA silent for good: not required)`),
      );
      ctx.fact('limbo', pown.limbo.flat().length);
    },
  });

/**
 * The plan time after which every fault that ends has ended (the latest finite window end or
 * crash restart; 0 when none). Faults without an end are left to the caller (they never end).
 */
function quietFrom(ctx: Ctx): number {
  let quiet = 0;
  for (const r of ctx.world.plan.rules) {
    const end =
      r.fault === 'crash'
        ? r.restartAfterMs === undefined
          ? undefined
          : r.atMs + r.restartAfterMs
        : 'window' in r
          ? r.window?.toMs
          : undefined;
    if (end !== undefined) quiet = Math.max(quiet, end);
  }
  return quiet;
}

/**
 * The five RAIDA scenarios, in `fanout list` order, built with the given test seams (none: the
 * production scenarios, {@link raidaScenarios}).
 */
export function createRaidaScenarios(seams: RaidaScenarioSeams = {}): Scenario[] {
  return [
    quorumBoundaryOf(seams),
    perTokenConsensusOf(seams),
    orderingOf(seams),
    noHeadOfLineBlockingOf(seams),
    noCoinLostOf(seams),
  ];
}

/** The production RAIDA scenarios. */
export const raidaScenarios: readonly Scenario[] = createRaidaScenarios();
