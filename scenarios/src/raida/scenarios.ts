/**
 * RAIDA scenarios (shared/reference/raida.md, "Interesting scenario edges"): quorum boundary,
 * per-token consensus, reply ordering and spoofing, no head-of-line blocking, no coin lost.
 * Each derives its world from the seed, runs the real client against the fake servers and checks
 * its guarantees against the oracle of the world.
 */
import { VirtualClock } from '@fanout/core';
import {
  RAIDA_COUNT,
  type GradeReport,
  type Grade,
  type RaidaClient,
  type RaidaClientOptions,
  type Vote,
} from '@fanout/raida';
import { createRng, type Rng } from '@fanout/sim';
import { check, type GuaranteeCheck, type Scenario, type ScenarioContext } from '../framework.js';
import type { TracedScenarioResult } from '../runner.js';
import {
  buildWorld,
  drawBehaviours,
  oracleGrade,
  type Behaviour,
  type World,
  type WorldSpec,
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
/** raida.no-hol: latency of the slow RAIDA per mode (option `slowMs` overrides both). */
export const SLOW_MS_SIM = 5000;
export const SLOW_MS_LIVE = 300;

function num(options: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = options[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** Guarantee: every coin's grade equals the grade of the votes the oracle predicts. */
function gradesMatchOracle(world: World, report: GradeReport): GuaranteeCheck {
  for (let i = 0; i < world.coins.length; i++) {
    const got = report.tokens[i]!;
    const want = world.expectedGrades[i]!;
    if (got.grade !== want) {
      const diff = got.votes.flatMap((v, r) =>
        v !== world.expected[i]![r]
          ? [`raida ${r}: got ${v}, expected ${world.expected[i]![r]} (${world.behaviours[r]})`]
          : [],
      );
      return check(
        'grades-match-oracle',
        false,
        `coin ${i} (sn ${got.sn}) graded ${got.grade}, expected ${want}; ` +
          (diff.length === 0
            ? `votes equal the oracle's (${got.passes} pass, ${got.fails} fail): the grading is wrong`
            : diff.join('; ')),
      );
    }
  }
  return check('grades-match-oracle', true);
}

/** Guarantee: no coin is authentic or fracked unless ≥ quorum RAIDA truly hold the AN and answered. */
function neverAuthenticBelowQuorum(world: World, report: GradeReport, quorum = 13): GuaranteeCheck {
  for (let i = 0; i < world.coins.length; i++) {
    const g = report.tokens[i]!.grade;
    const truePasses = world.expected[i]!.filter((v) => v === 'pass').length;
    if ((g === 'authentic' || g === 'fracked') && truePasses < quorum) {
      return check(
        'never-authentic-below-quorum',
        false,
        `coin ${i} graded ${g} with only ${truePasses} true passes`,
      );
    }
  }
  return check('never-authentic-below-quorum', true);
}

/**
 * Run `detect` in this world, then (sim only, unless `options.sequential === false`) the same
 * detect one RAIDA at a time in an identical world, for the speedup column. The sequential twin
 * has its own world and trace: it never changes the run's trace hash.
 */
async function detectWithSequential(
  ctx: ScenarioContext,
  spec: WorldSpec,
): Promise<{ world: World; report: GradeReport; sequentialMs?: number }> {
  const world = await buildWorld(spec);
  try {
    const report = await world.client.detect(world.coins);
    let sequentialMs: number | undefined;
    if (ctx.mode === 'sim' && ctx.options['sequential'] !== false) {
      // No progress events from the twin: the display shows the run being checked.
      const seq = await buildWorld({
        ...spec,
        client: { ...spec.client, concurrency: 1, onEvent: undefined },
      });
      try {
        sequentialMs = (await seq.client.detect(seq.coins)).elapsedMs;
      } finally {
        await seq.close();
      }
    }
    return { world, report, sequentialMs };
  } finally {
    await world.close();
  }
}

/** One letter per vote in 'outcome' trace events: pass, fail, error, noReply, cancelled. */
const VOTE_LETTER: Record<Vote, string> = { pass: 'p', fail: 'f', error: 'e', noReply: 'n', cancelled: 'c' };

/**
 * Records what the client decided into the world's trace (sim only) as one 'outcome' event:
 * `{kind: 'outcome', step, grades: [grade per token], votes: ['pfen…' per token, RAIDA 0-24]}`.
 * Recorded before the hash is taken, so a change in grading changes the trace hash even when the
 * network traffic is identical. `votes` letters: p pass, f fail, e error, n noReply, c cancelled.
 */
function recordOutcome(
  world: World,
  step: string,
  grades: readonly Grade[],
  votes: readonly (readonly Vote[])[],
): void {
  if (!world.trace.enabled) return;
  world.trace.record({
    t: world.clock.now(),
    kind: 'outcome',
    step,
    grades,
    votes: votes.map((v) => v.map((x) => VOTE_LETTER[x]).join('')),
  });
}

const recordReport = (world: World, step: string, report: GradeReport): void =>
  recordOutcome(
    world,
    step,
    report.tokens.map((t) => t.grade),
    report.tokens.map((t) => t.votes),
  );

function result(
  world: World,
  report: GradeReport,
  guarantees: GuaranteeCheck[],
  sequentialMs?: number,
  facts?: Record<string, string | number>,
  recorded = false,
): TracedScenarioResult {
  if (!recorded) recordReport(world, report.command, report);
  const grades: Record<Grade, number> = { authentic: 0, fracked: 0, counterfeit: 0, limbo: 0 };
  for (const t of report.tokens) grades[t.grade]++;
  const sim = world.mode === 'sim';
  return {
    guarantees,
    latencyMs: report.elapsedMs,
    sequentialMs,
    traceHash: sim ? world.trace.hash() : undefined,
    trace: sim ? world.trace : undefined,
    plan: world.plan,
    facts: { ...grades, ...facts },
  };
}

/** Test seams of {@link createRaidaScenarios}; the defaults are the production behaviour. */
export interface RaidaScenarioSeams {
  /** Builds every client of every world (see {@link WorldSpec.makeClient}). */
  readonly makeClient?: (options: RaidaClientOptions) => RaidaClient;
}

const progress = (ctx: ScenarioContext): WorldSpec['client'] => ({
  onEvent:
    ctx.onEvent === undefined
      ? undefined
      : (e) => ctx.onEvent!({ type: 'fanout', command: e.command, event: e }),
});

const quorumBoundaryOf = (seams: RaidaScenarioSeams): Scenario => ({
  name: 'raida.quorum-boundary',
  title: '12 vs 13 passing RAIDA under any assignment of faults',
  guarantees: ['grades-match-oracle', 'never-authentic-below-quorum'],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const rng = createRng(ctx.seed).fork('scenario');
    const honest = rng.int(11, 14);
    const spec: WorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      behaviours: drawBehaviours(rng, honest, NO_ANSWER),
      coins: rng.pick(TOKEN_COUNTS),
      plan: ctx.plan,
      client: progress(ctx),
      makeClient: seams.makeClient,
    };
    const { world, report, sequentialMs } = await detectWithSequential(ctx, spec);
    return result(
      world,
      report,
      [gradesMatchOracle(world, report), neverAuthenticBelowQuorum(world, report)],
      sequentialMs,
      { honest },
    );
  },
});

const perTokenConsensusOf = (seams: RaidaScenarioSeams): Scenario => ({
  name: 'raida.per-token-consensus',
  title: 'N = 1, 8, 9, 17 tokens, fracked on different RAIDA in one request',
  guarantees: ['grades-match-oracle', 'never-authentic-below-quorum'],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const rng = createRng(ctx.seed).fork('scenario');
    const n = rng.pick(TOKEN_COUNTS);
    const frackedOn = Array.from({ length: n }, () => pickSubset(rng, rng.pick([0, 0, 1, 3, 12, 13, 20])));
    const spec: WorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      behaviours: drawBehaviours(rng, RAIDA_COUNT - rng.int(0, 3), NO_ANSWER),
      coins: n,
      frackedOn,
      plan: ctx.plan,
      client: progress(ctx),
      makeClient: seams.makeClient,
    };
    const { world, report, sequentialMs } = await detectWithSequential(ctx, spec);
    return result(
      world,
      report,
      [gradesMatchOracle(world, report), neverAuthenticBelowQuorum(world, report)],
      sequentialMs,
      { tokens: n },
    );
  },
});

const orderingOf = (seams: RaidaScenarioSeams): Scenario => ({
  name: 'raida.ordering',
  title: 'replies in any order, duplicated or spoofed never change grades',
  guarantees: ['grades-match-oracle', 'spoofed-replies-ignored', 'duplicates-dropped'],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const rng = createRng(ctx.seed).fork('scenario');
    const n = rng.pick(TOKEN_COUNTS);
    const spoofers = rng.int(1, 4);
    const behaviours = rng.shuffle([
      ...Array.from({ length: spoofers }, () => 'spoof' as const),
      ...Array.from({ length: RAIDA_COUNT - spoofers }, () =>
        rng.pick(['honest', 'reorder', 'duplicate'] as const),
      ),
    ]);
    const spec: WorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      behaviours,
      coins: n,
      frackedOn: Array.from({ length: n }, () => pickSubset(rng, rng.pick([0, 2]))),
      latency: { kind: 'uniform', minMs: 1, maxMs: 200 },
      plan: ctx.plan,
      client: progress(ctx),
      makeClient: seams.makeClient,
    };
    const { world, report, sequentialMs } = await detectWithSequential(ctx, spec);
    const s = world.client.stats;
    const spoofVotes = report.tokens.every((t) =>
      behaviours.every((b, r) => b !== 'spoof' || t.votes[r] === 'noReply'),
    );
    const duplicates = behaviours.filter((b) => b === 'duplicate').length;
    return result(
      world,
      report,
      [
        gradesMatchOracle(world, report),
        check(
          'spoofed-replies-ignored',
          spoofVotes && s.unmatched >= spoofers,
          `unmatched replies ${s.unmatched}, spoofing RAIDA ${spoofers}`,
        ),
        check(
          'duplicates-dropped',
          s.replies <= s.requests,
          `${s.replies} replies accepted for ${s.requests} requests (${duplicates} RAIDA duplicating)`,
        ),
      ],
      sequentialMs,
      { spoofers, unmatched: s.unmatched },
    );
  },
});

const noHeadOfLineBlockingOf = (seams: RaidaScenarioSeams): Scenario => ({
  name: 'raida.no-hol',
  title: 'a RAIDA at 5 s does not delay the decision when 13 fast ones agree (early exit)',
  guarantees: ['decision-not-delayed-by-slow-raida', 'grades-match-oracle'],
  modes: ['sim', 'live'],
  // Option slowMs: latency of the slow RAIDA. Per-mode default (5000 sim, 300 live, where 5 s
  // would only make the run slower), so it is not in `defaults` (which apply to both modes).
  defaults: {},
  async run(ctx) {
    const rng = createRng(ctx.seed).fork('scenario');
    const slowMs = num(ctx.options, 'slowMs', ctx.mode === 'live' ? SLOW_MS_LIVE : SLOW_MS_SIM);
    const slow = rng.shuffle(Array.from({ length: RAIDA_COUNT }, (_, i) => i)).slice(0, rng.int(1, 6));
    const fastMs = ctx.mode === 'live' ? 20 : 50;
    const latencyOf = Object.fromEntries(slow.map((r) => [r, { kind: 'constant' as const, ms: slowMs }]));
    const spec: WorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      behaviours: Array.from({ length: RAIDA_COUNT }, () => 'honest' as const),
      coins: rng.pick(TOKEN_COUNTS),
      latency: { kind: 'normal', meanMs: fastMs, sdMs: fastMs / 5, jitterMs: 0 },
      latencyOf,
      plan: ctx.plan,
      client: { ...progress(ctx), earlyExit: true, timeoutMs: slowMs * 4 },
      makeClient: seams.makeClient,
    };
    const { world, report, sequentialMs } = await detectWithSequential(ctx, spec);
    // With early exit every coin is decided by the 13th fast reply: all authentic, long before slowMs.
    const allAuthentic = report.tokens.every((t) => t.grade === 'authentic');
    const fast = report.raida.outcomes.filter((o) => !slow.includes(o.target) && o.status === 'fulfilled');
    const bound = Math.max(...fast.map((o) => o.settledAt - (o.startedAt ?? 0)), 0);
    // Sim: exact, in virtual time (the decision comes with the slowest fast reply it used).
    // Live: no wall-clock bound (a shared machine's scheduling is not the client's doing); the
    // decision must simply not have waited for any slow RAIDA: all of them cancelled.
    const slowCancelled = slow.every((r) => report.raida.outcomes[r]?.status === 'cancelled');
    const notDelayed =
      ctx.mode === 'sim' ? report.elapsedMs < slowMs && report.elapsedMs <= bound : slowCancelled;
    return result(
      world,
      report,
      [
        check(
          'decision-not-delayed-by-slow-raida',
          notDelayed,
          `decided at ${report.elapsedMs.toFixed(1)} ms with ${slow.length} RAIDA at ${slowMs} ms` +
            ` (${slowCancelled ? 'all' : 'not all'} cancelled); slowest fast reply used ${bound.toFixed(1)} ms`,
        ),
        check(
          'grades-match-oracle',
          allAuthentic,
          allAuthentic ? undefined : `grades ${report.tokens.map((t) => t.grade).join(',')}`,
        ),
      ],
      sequentialMs,
      { slow: slow.length },
    );
  },
});

const noCoinLostOf = (seams: RaidaScenarioSeams): Scenario => ({
  name: 'raida.no-coin-lost',
  title: 'pown under drops and crashes loses no coin; find resolves limbo; heal restores fracked coins',
  guarantees: ['pown-never-retried', 'no-coin-lost', 'heal-restores-authentic'],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const rng = createRng(ctx.seed).fork('scenario');
    const n = rng.pick(TOKEN_COUNTS);
    const live = ctx.mode === 'live';
    const windowMs = live ? 1500 : 20_000;
    // Faults only during the pown window; a few RAIDA lose replies (limbo), some crash and restart.
    const faulty = rng.shuffle(Array.from({ length: RAIDA_COUNT }, (_, i) => i)).slice(0, rng.int(1, 8));
    const extraRules = faulty.map((r) => {
      const kind = rng.pick(['dropReply', 'dropRequest', 'crash'] as const);
      return kind === 'crash'
        ? { fault: 'crash' as const, targets: [`raida-${r}`], atMs: 0, restartAfterMs: windowMs }
        : { fault: kind, targets: [`raida-${r}`], window: { fromMs: 0, toMs: windowMs } };
    });
    const frackedOn = Array.from({ length: n }, () => pickSubset(rng, rng.pick([0, 1, 2])));
    const spec: WorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      behaviours: Array.from({ length: RAIDA_COUNT }, () => 'honest' as const),
      coins: n,
      frackedOn,
      extraRules,
      plan: ctx.plan,
      client: progress(ctx),
      makeClient: seams.makeClient,
    };
    const world = await buildWorld(spec);
    try {
      const pans = world.coins.map(() => Array.from({ length: RAIDA_COUNT }, () => world.rng.bytes(16)));
      const before = world.servers.map((s) => s.stats.byCommand['pown'] ?? 0);
      const pown = await world.client.pown(world.coins, pans);
      recordReport(world, 'pown', pown);
      const pownsPerRaida = world.servers.map((s, r) => (s.stats.byCommand['pown'] ?? 0) - before[r]!);
      // Wait out the fault window, then resolve limbo with find and heal what is fracked.
      await waitUntil(world, windowMs);
      const resolved = await world.client.resolveLimbo(pown, pans);
      const afterLimbo = resolved.votes.map((v) => oracleGrade(v, 13));
      recordOutcome(world, 'find', afterLimbo, resolved.votes);
      const lost = afterLimbo.flatMap((g, i) => (g === 'counterfeit' ? [i] : []));
      const healed = await world.client.heal(resolved.coins, resolved.votes);
      recordReport(world, 'heal', healed.report);
      const notAuthentic = healed.report.tokens.filter((t) => t.grade !== 'authentic');
      const batches = Math.ceil(n / 37);
      return result(
        world,
        pown,
        [
          check(
            'pown-never-retried',
            pownsPerRaida.every((c) => c <= batches),
            `pown requests per RAIDA: ${pownsPerRaida.join(',')}`,
          ),
          check(
            'no-coin-lost',
            lost.length === 0,
            lost.length === 0
              ? `grades after find: ${afterLimbo.join(',')}`
              : `coins ${lost.join(',')} counterfeit after pown`,
          ),
          check(
            'heal-restores-authentic',
            notAuthentic.length === 0,
            notAuthentic.length === 0
              ? undefined
              : notAuthentic
                  .map((t) => `sn ${t.sn}: ${t.grade} (${t.passes} pass, ${t.fails} fail)`)
                  .join('; '),
          ),
        ],
        undefined,
        { limbo: pown.limbo.flat().length },
        true,
      );
    } finally {
      await world.close();
    }
  },
});

/** Let the world's clock reach `ms` since the start (virtual: jump; live: sleep). */
async function waitUntil(world: World, ms: number): Promise<void> {
  if (world.clock instanceof VirtualClock) {
    const left = ms - world.clock.now();
    if (left > 0) await world.clock.sleep(left);
  } else {
    await world.clock.sleep(ms);
  }
}

function pickSubset(rng: Rng, k: number): number[] {
  return rng.shuffle(Array.from({ length: RAIDA_COUNT }, (_, i) => i)).slice(0, k);
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

export const quorumBoundary: Scenario = quorumBoundaryOf({});
export const perTokenConsensus: Scenario = perTokenConsensusOf({});
export const ordering: Scenario = orderingOf({});
export const noHeadOfLineBlocking: Scenario = noHeadOfLineBlockingOf({});
export const noCoinLost: Scenario = noCoinLostOf({});

export const raidaScenarios: readonly Scenario[] = [
  quorumBoundary,
  perTokenConsensus,
  ordering,
  noHeadOfLineBlocking,
  noCoinLost,
];
