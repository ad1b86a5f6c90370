/**
 * FROST-over-Hubert scenarios: DKG under latencies, Hubert faults and participant misbehaviour;
 * signing with misbehaving signers; no head-of-line blocking with quorum exit; parallel vs
 * sequential round time. Each draws its faults and participant behaviours into the fault plan
 * (`plan()`, from the plan stream), its workload from `ctx.rng`, runs the real coordinator and
 * agents against Hubert in the kernel's world, and checks its guarantees against what the
 * effective plan allows (oracle.ts, timing-oracle.ts).
 *
 * Crypto is real (FROST-ED25519-SHA512 over @noble) and slow on small machines: the signing
 * scenarios reuse one DKG per process (fixture.ts), and frost.dkg / frost.round-time draw their
 * parties from the process-wide identity set in a seeded order (identities.ts). What a run reuses
 * is listed in docs/frost.md ("What a run reuses").
 */
import { z } from 'zod';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  DEFAULT_MAX_SIGN_SESSIONS,
  publicIdentity,
  type RoundEvent,
  type FrostCoordinator,
  type FrostCoordinatorOptions,
} from '@fanout/frost';
import { parseFaultPlan, type FaultPlanInput, type Rng } from '@fanout/sim';
import { SERVER_POLL_INTERVAL_MS } from '@fanout/sim-hubert';
import { defineScenario, type RunContext, type Scenario } from '../kernel/define.js';
import { PlanView } from '../kernel/plan-view.js';
import type { Mode } from '../kernel/types.js';
import { roundEventBridge } from './events.js';
import { groupFixture } from './fixture.js';
import {
  blameVerdict,
  dkgExpectation,
  dkgOutcomeVerdict,
  keyAgreementVerdict,
  signExpectation,
  signOutcomeVerdict,
} from './oracle.js';
import {
  DEVIATIONS,
  DKG_STEPS,
  frostPlan,
  HUBERT,
  PARTICIPANTS_GROUP,
  participantTarget,
  storeTarget,
  THINK,
  type Act,
  type InboundStep,
  type ParticipantSpec,
} from './plan.js';
import { answerOutlook, requestTimeoutOf, type TimingParams } from './timing.js';
import {
  noHolExpectation,
  parallelNearMax,
  roundTimeBounds,
  sequentialNearSum,
  type RoundTimes,
} from './timing-oracle.js';
import { buildFrostWorld, RETRY_INTERVAL_MS, type FrostParties, type FrostWorldSpec } from './world.js';

/** Test seams of {@link createFrostScenarios}; the defaults are the production behaviour. */
export interface FrostScenarioSeams {
  /** Builds every coordinator (see {@link FrostWorldSpec.makeCoordinator}). */
  readonly makeCoordinator?: (options: FrostCoordinatorOptions) => FrostCoordinator;
  /** Signing sessions at most per signing flow (default 3, runSignFlow's). */
  readonly maxSessions?: number;
}

type Ctx = RunContext<Record<string, unknown>, string>;

const participantsOption = (def: number) =>
  z.number().int().min(2).max(20).default(def).describe('participants');
const minSignersOption = (def: number) =>
  z.number().int().min(2).max(20).default(def).describe('signing threshold');
const timeoutOption = (def: number) =>
  z
    .number()
    .int()
    .positive()
    .max(86_400_000)
    .default(def)
    .describe("coordinator's per-participant timeout, ms");

/** minSigners ≤ participants, as an issue on `minSigners`. */
function thresholdFits(
  o: { participants?: number | undefined; minSigners: number },
  ctx: z.RefinementCtx,
): void {
  if (o.participants !== undefined && o.minSigners > o.participants)
    ctx.addIssue({
      code: 'custom',
      path: ['minSigners'],
      message: `must not exceed participants (${o.participants})`,
    });
}

/** Store latency of a participant's ARIDs: 1-30 s (sim), 20-200 ms (live), per operation. */
function storeLatency(rng: Rng, mode: Mode): { kind: 'constant'; ms: number } {
  return { kind: 'constant', ms: mode === 'live' ? rng.int(20, 200) : rng.int(1000, 30_000) };
}

/** Longest think time of a "prompt" participant: 300 s (sim), 200 ms (live). */
const thinkMaxOf = (mode: Mode): number => (mode === 'live' ? 200 : 300_000);

/** The timing a scenario world will have (the same as buildFrostWorld derives), for plan draws. */
function plannedTiming(plan: FaultPlanInput, n: number, timeoutMs: number): TimingParams {
  return {
    timeoutMs,
    pollIntervalMs: SERVER_POLL_INTERVAL_MS,
    retryIntervalMs: RETRY_INTERVAL_MS,
    requestTimeoutMs: requestTimeoutOf(new PlanView(parseFaultPlan(plan)), n),
    parallel: true,
  };
}

/**
 * Add a think rule per participant: a prompt think time drawn from [0, min(thinkMax, budget)],
 * where the budget is what the oracle's answer bound leaves of the timeout at `steps` once the
 * plan's latencies and faults are counted — so a prompt participant is surely in time, whatever
 * else the seed drew.
 */
function withPromptThink(
  plan: FaultPlanInput,
  rng: Rng,
  n: number,
  steps: readonly InboundStep[],
  timeoutMs: number,
  thinkMax: number,
): FaultPlanInput {
  const view = new PlanView(parseFaultPlan(plan));
  const t = plannedTiming(plan, n, timeoutMs);
  const rules = [...(plan.rules ?? [])];
  for (let i = 0; i < n; i++) {
    const hi = Math.max(...steps.map((s) => answerOutlook(view, i, s, n, t).hiMs));
    const budget = Math.floor(timeoutMs - hi - 1);
    const ms = rng.int(0, Math.max(0, Math.min(thinkMax, budget)));
    if (ms > 0)
      rules.push({
        fault: 'behave',
        targets: [participantTarget(i)],
        behaviour: THINK,
        params: { thinkMs: ms },
      });
  }
  return { ...plan, rules };
}

/** One line per participant that deviates, e.g. `p2 busy@dkgRound2`. */
function describeActs(specs: readonly ParticipantSpec[]): string {
  const parts = specs.flatMap((s, i) =>
    Object.entries(s.on ?? {}).map(([step, act]) => `${participantTarget(i)} ${act}@${step}`),
  );
  return parts.length === 0 ? 'all honest' : parts.join(', ');
}

/** Build the parties for a scenario run: progress and decisions to the kernel, sequential in the twin. */
async function build(
  ctx: Ctx,
  seams: FrostScenarioSeams,
  spec: Omit<FrostWorldSpec, 'coordinator' | 'onRoundEvent' | 'signal' | 'makeCoordinator'>,
  timeoutMs: number,
  mode: 'parallel' | 'sequential' = ctx.sequential ? 'sequential' : 'parallel',
): Promise<FrostParties> {
  const relay: { to?: (e: RoundEvent) => void } = {};
  const parties = await buildFrostWorld(ctx.world, {
    ...spec,
    coordinator: { mode, timeoutMs },
    onRoundEvent: (e) => relay.to?.(e),
    signal: ctx.signal,
    ...(seams.makeCoordinator !== undefined && { makeCoordinator: seams.makeCoordinator }),
  });
  relay.to = roundEventBridge(
    ctx,
    (x) => parties.names.get(x) ?? x.slice(0, 8),
    (x) => parties.targets.get(x) ?? x,
  );
  return parties;
}

const targetsOf = (p: FrostParties, xids: readonly string[]): string[] =>
  xids.map((x) => p.targets.get(x) ?? x);

const dkgOf = (seams: FrostScenarioSeams): Scenario =>
  defineScenario({
    name: 'frost.dkg',
    title: 'DKG over latencies, Hubert faults and participant misbehaviour',
    options: z
      .object({
        participants: participantsOption(3),
        minSigners: minSignersOption(2),
        timeoutMs: timeoutOption(600_000),
      })
      .superRefine(thresholdFits),
    liveDefaults: { timeoutMs: 8000 },
    guarantees: ['succeeds-iff-all-answer', 'group-key-agreement', 'culprits-blamed-honest-never'] as const,
    defaultRuns: { sim: 5, live: 1 },
    plan({ rng, mode, options }) {
      const n = options.participants;
      const allHonest = rng.bool(0.4);
      const specs: ParticipantSpec[] = Array.from({ length: n }, () =>
        !allHonest && rng.bool(0.4) ? { on: { [rng.pick(DKG_STEPS)]: rng.pick<Act>(DEVIATIONS) } } : {},
      );
      const storeLatencies = specs.map(() => storeLatency(rng, mode));
      const rules: NonNullable<FaultPlanInput['rules']> = [];
      if (mode === 'sim' && rng.bool(0.3))
        rules.push({
          fault: 'crash',
          targets: [HUBERT],
          atMs: rng.int(0, 200_000),
          restartAfterMs: rng.int(5000, 60_000),
        });
      if (rng.bool(0.3)) {
        // 503s on 30 % of one participant's puts, during a burst (retried by both sides)
        const fromMs = rng.int(0, mode === 'live' ? 2000 : 200_000);
        const lenMs = mode === 'live' ? rng.int(200, 1000) : rng.int(5000, 60_000);
        rules.push({
          fault: 'forceStatus',
          targets: [storeTarget(rng.int(0, n - 1))],
          status: 503,
          message: 'Service Unavailable',
          probability: 0.3,
          window: { fromMs, toMs: fromMs + lenMs },
        });
      }
      const description = `FROST ${options.minSigners}-of-${n} DKG; ${describeActs(specs)}`;
      const base = frostPlan({
        participants: n,
        description,
        storeLatency: storeLatencies,
        behaviours: specs,
        rules,
      });
      return withPromptThink(base, rng, n, DKG_STEPS, options.timeoutMs, thinkMaxOf(mode));
    },
    async run(ctx) {
      const { participants: n, minSigners, timeoutMs } = ctx.options;
      const parties = await build(
        ctx,
        seams,
        { participants: n, minSigners, identities: 'shared' },
        timeoutMs,
      );
      const dkg = await parties.runDkg();
      ctx.latency(dkg.elapsedMs);
      ctx.outcome('dkg', {
        ok: dkg.ok,
        round: dkg.failure?.round ?? null,
        missing: targetsOf(parties, dkg.failure?.missing ?? []),
        blamed: targetsOf(parties, dkg.failure?.blamed ?? []),
      });
      ctx.fact('ok', dkg.ok ? 1 : 0);
      if (ctx.sequential) return;
      const exp = dkgExpectation(ctx.world.view, n, parties.timing);
      const outcome = dkgOutcomeVerdict(exp, dkg);
      ctx.check('succeeds-iff-all-answer', outcome.held, outcome.detail);
      const keys = keyAgreementVerdict(parties, dkg);
      ctx.check('group-key-agreement', keys.held, keys.detail);
      const xidOf = (i: number): string => parties.identities[i]!.xid;
      const blame = blameVerdict(
        dkg.failure?.blamed ?? [],
        exp.mayBlame,
        [...exp.mustBlame].map(xidOf),
        parties,
      );
      ctx.check('culprits-blamed-honest-never', blame.held, blame.detail);
    },
  });

const signOf = (seams: FrostScenarioSeams): Scenario =>
  defineScenario({
    name: 'frost.sign',
    title:
      'signing: a valid signature iff ≥ minSigners honest signers answer; never from fewer; cheats blamed',
    options: z
      .object({
        participants: participantsOption(4),
        minSigners: minSignersOption(3),
        timeoutMs: timeoutOption(600_000),
      })
      .superRefine(thresholdFits),
    liveDefaults: { timeoutMs: 8000 },
    guarantees: [
      'signature-iff-enough-honest',
      'never-from-fewer',
      'signature-verifies',
      'bad-share-attributed',
    ] as const,
    defaultRuns: { sim: 5, live: 1 },
    plan({ rng, mode, options }) {
      const n = options.participants;
      const specs: ParticipantSpec[] = Array.from({ length: n }, () => {
        if (rng.bool(0.35))
          return { on: { signInvite: rng.pick<Act>(['busy', 'vanish', 'late', 'malformed', 'forged']) } };
        return rng.bool(0.3) ? { on: { signRound2: rng.pick<Act>(DEVIATIONS) } } : {};
      });
      const storeLatencies = specs.map(() => storeLatency(rng, mode));
      const description = `FROST ${options.minSigners}-of-${n} signing; ${describeActs(specs)}`;
      const base = frostPlan({
        participants: n,
        description,
        storeLatency: storeLatencies,
        behaviours: specs,
      });
      return withPromptThink(base, rng, n, ['signInvite', 'signRound2'], options.timeoutMs, thinkMaxOf(mode));
    },
    async run(ctx) {
      const { participants: n, minSigners, timeoutMs } = ctx.options;
      const fixture = await groupFixture(n, minSigners);
      const quorumExit = ctx.rng.bool(0.5) && !ctx.sequential;
      const target = ctx.rng.bytes(ctx.rng.int(1, 64));
      const parties = await build(ctx, seams, { participants: n, minSigners, fixture }, timeoutMs);
      const maxSessions = seams.maxSessions ?? DEFAULT_MAX_SIGN_SESSIONS;
      const sign = await parties.runSign({ target, quorumExit, maxSessions });
      ctx.latency(sign.elapsedMs);
      ctx.outcome('sign', {
        ok: sign.ok,
        sessions: sign.sessions.length,
        blamed: targetsOf(parties, sign.blamed),
        signature: sign.signature === undefined ? null : Buffer.from(sign.signature).toString('hex'),
      });
      ctx.fact('signed', sign.ok ? 1 : 0);
      ctx.fact('quorumExit', quorumExit ? 1 : 0);
      if (ctx.sequential) return;
      checkSign(ctx, parties, sign, {
        target,
        quorumExit,
        maxSessions,
        groupKey: fixture.group.groupVerifyingKey,
      });
    },
  });

/** The four signing checks of frost.sign. */
function checkSign(
  ctx: Ctx,
  parties: FrostParties,
  sign: Awaited<ReturnType<FrostParties['runSign']>>,
  o: { target: Uint8Array; quorumExit: boolean; maxSessions: number; groupKey: Uint8Array },
): void {
  const n = parties.identities.length;
  const exp = signExpectation(ctx.world.view, n, parties.minSigners, parties.timing, o.maxSessions);
  const name = (x: string): string => parties.targets.get(x) ?? x;
  const sets = sign.sessions.map((r) =>
    r.round1?.ok === true ? (r.round1.session.signers ?? []).map((m) => name(m.identity.xid)).join(' ') : '-',
  );
  const outcome = signOutcomeVerdict(
    exp,
    sign,
    `quorumExit ${o.quorumExit}; signer sets [${sets.join(' | ')}]`,
  );
  ctx.check('signature-iff-enough-honest', outcome.held, outcome.detail);
  ctx.check(
    'never-from-fewer',
    sign.signature === undefined || exp.honestMaybe >= parties.minSigners,
    `${exp.honestMaybe} possibly honest signers, threshold ${parties.minSigners}`,
  );
  const verified =
    sign.signature !== undefined && ed25519.verify(sign.signature, sha256(o.target), o.groupKey);
  ctx.check(
    'signature-verifies',
    !sign.ok || verified,
    sign.ok ? `ed25519.verify = ${verified}` : 'no signature',
  );
  const everSigners = new Set(
    sign.sessions.flatMap((r) =>
      r.round1?.ok === true ? (r.round1.session.signers ?? []).map((m) => m.identity.xid) : [],
    ),
  );
  const mustBlame = [...exp.certainCheats]
    .map((i) => parties.identities[i]!.xid)
    .filter((x) => everSigners.has(x));
  const blame = blameVerdict(sign.blamed, exp.mayBlame, mustBlame, parties);
  ctx.check('bad-share-attributed', blame.held, blame.detail);
}

const noHolOf = (seams: FrostScenarioSeams): Scenario =>
  defineScenario({
    name: 'frost.no-hol',
    title: 'a participant 600 s away does not delay a quorum-exit signing session (invite → aggregate)',
    options: z
      .object({
        participants: participantsOption(4),
        minSigners: minSignersOption(3),
        slowMs: z
          .number()
          .positive()
          .max(86_400_000)
          .default(600_000)
          .describe("store latency of the slow participants' ARIDs, ms"),
        timeoutMs: timeoutOption(3_600_000),
      })
      .superRefine(thresholdFits),
    liveDefaults: { slowMs: 10_000, timeoutMs: 60_000 },
    guarantees: ['quorum-exit-not-delayed', 'signer-set-excludes-slow'] as const,
    defaultRuns: { sim: 5, live: 1 },
    plan({ rng, mode, options }) {
      const n = options.participants;
      const slow = new Set(
        rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, rng.int(1, n - options.minSigners)),
      );
      const latencies = Array.from({ length: n }, (_, i) =>
        slow.has(i) ? { kind: 'constant' as const, ms: options.slowMs } : storeLatency(rng, mode),
      );
      const description = `FROST ${options.minSigners}-of-${n} quorum-exit signing; slow ${[...slow].map(participantTarget).join(', ')}`;
      return frostPlan({ participants: n, description, storeLatency: latencies });
    },
    async run(ctx) {
      const { participants: n, minSigners, timeoutMs, slowMs } = ctx.options;
      const fixture = await groupFixture(n, minSigners);
      const target = ctx.rng.bytes(32);
      const parties = await build(ctx, seams, { participants: n, minSigners, fixture }, timeoutMs);
      // The WHOLE session (invite → round 1 → round 2 → aggregate), not only round 1's collect.
      const sign = await parties.runSign({
        target,
        quorumExit: !ctx.sequential,
        ...(seams.maxSessions !== undefined && { maxSessions: seams.maxSessions }),
      });
      ctx.latency(sign.elapsedMs);
      const r1 = sign.round1;
      const signers = r1?.ok === true ? (r1.session.signers ?? []).map((m) => m.identity.xid) : [];
      ctx.outcome('sign', {
        ok: sign.ok,
        signers: targetsOf(parties, signers),
        cancelled: targetsOf(parties, r1?.collected.cancelled ?? []),
      });
      if (ctx.sequential) return;
      const exp = noHolExpectation(ctx.world.view, n, minSigners, parties.timing, slowMs);
      const slowXids = exp.slow.map((i) => parties.identities[i]!.xid);
      const verified =
        sign.signature !== undefined &&
        ed25519.verify(sign.signature, sha256(target), fixture.group.groupVerifyingKey);
      // Live: no wall-clock bound; "not waited for" is structural: the session signed while the
      // slow participants' invitations were still being stored and their round 1 was cancelled.
      const pending = slowXids.every((x) => sign.invite.sent.pending?.includes(x) === true);
      const cancelled = slowXids.every((x) => r1?.collected.cancelled.includes(x) === true);
      const inTime =
        ctx.mode === 'sim'
          ? sign.elapsedMs <= exp.boundMs && sign.elapsedMs < exp.slowestLoMs
          : pending && cancelled;
      const phases = sign.timings.map((x) => `${x.round} ${x.elapsedMs.toFixed(0)}`).join(', ');
      ctx.check(
        'quorum-exit-not-delayed',
        !exp.required || (sign.ok && verified && inTime),
        `${exp.why}; session ${sign.ok ? 'signed' : `failed at ${sign.failure?.round} (${sign.failure?.reason})`} ` +
          `in ${sign.elapsedMs.toFixed(0)} ms [${phases}]${ctx.mode === 'live' ? ' (bound: sim only)' : ''}; ` +
          `slow invitations pending at the invite: ${pending}, cancelled in round 1: ${cancelled}`,
      );
      ctx.check(
        'signer-set-excludes-slow',
        !exp.required || (signers.length === minSigners && signers.every((x) => !slowXids.includes(x))),
        `signers [${targetsOf(parties, signers).join(', ')}], slow [${exp.slow.map(participantTarget).join(', ')}]`,
      );
      ctx.fact('slow', exp.slow.length);
    },
  });

/** DKG invite + round 1 in one coordinator mode, in a fresh set of parties of the world. */
async function dkgRound1Times(
  ctx: Ctx,
  seams: FrostScenarioSeams,
  n: number,
  timeoutMs: number,
  mode: 'parallel' | 'sequential',
): Promise<RoundTimes> {
  const parties = await build(
    ctx,
    seams,
    { participants: n, minSigners: 2, identities: 'shared' },
    timeoutMs,
    mode,
  );
  const invite = await parties.coordinator.dkgInvite({
    participants: parties.identities.map(publicIdentity),
    minSigners: 2,
    charter: 'round time',
  });
  if (!invite.ok) return { ok: false, inviteMs: invite.sent.elapsedMs, collectMs: 0, sendMs: 0 };
  parties.follow(invite.session.inviteArids);
  const r1 = await parties.coordinator.dkgRound1(invite.session);
  return {
    ok: r1.ok,
    inviteMs: invite.sent.elapsedMs,
    collectMs: r1.collected.elapsedMs,
    sendMs: r1.sent?.elapsedMs ?? 0,
  };
}

const total = (r: RoundTimes): number => r.inviteMs + r.collectMs + r.sendMs;

const roundTimeOf = (seams: FrostScenarioSeams): Scenario =>
  defineScenario({
    name: 'frost.round-time',
    title: 'parallel round time ≈ slowest participant, sequential ≈ sum (per-ARID Hubert latency)',
    options: z.object({
      participants: z
        .number()
        .int()
        .min(2)
        .max(50)
        .optional()
        .describe("participants (default: 3-5, drawn by the seed; the plan's participants group)"),
      timeoutMs: timeoutOption(3_600_000),
    }),
    liveDefaults: { timeoutMs: 20_000 },
    guarantees: ['parallel-round-near-max', 'sequential-round-near-sum'] as const,
    defaultRuns: { sim: 5, live: 1 },
    plan({ rng, mode, options }) {
      const n = options.participants ?? rng.int(3, 5);
      const latencies = Array.from({ length: n }, () => storeLatency(rng, mode));
      return frostPlan({
        participants: n,
        description: `FROST round time, ${n} participants`,
        storeLatency: latencies,
      });
    },
    async run(ctx) {
      const n = ctx.world.plan.groups[PARTICIPANTS_GROUP]?.length ?? ctx.options.participants ?? 3;
      const { timeoutMs } = ctx.options;
      if (ctx.sequential) {
        ctx.latency(total(await dkgRound1Times(ctx, seams, n, timeoutMs, 'sequential')));
        return;
      }
      const par = await dkgRound1Times(ctx, seams, n, timeoutMs, 'parallel');
      const seq = await dkgRound1Times(ctx, seams, n, timeoutMs, 'sequential');
      ctx.latency(total(par));
      ctx.outcome('round-time', { parallel: { ...par }, sequential: { ...seq } });
      const b = roundTimeBounds(ctx.world.view, n);
      const poll = SERVER_POLL_INTERVAL_MS;
      const live = ctx.mode === 'live';
      const parOk = !b.applies || parallelNearMax(b, par, poll) || (live && par.ok);
      const seqOk = !b.applies || sequentialNearSum(b, seq, n, poll) || (live && seq.ok);
      const fmt = (r: RoundTimes): string =>
        `invite ${r.inviteMs.toFixed(0)}, collect ${r.collectMs.toFixed(0)}, send ${r.sendMs.toFixed(0)} ms${r.ok ? '' : ' (failed)'}`;
      ctx.check(
        'parallel-round-near-max',
        parOk,
        `${b.why}; max ${b.maxHiMs} ms: ${fmt(par)}${live ? ' (bounds: sim only)' : ''}`,
      );
      ctx.check(
        'sequential-round-near-sum',
        seqOk,
        `${b.why}; sum ${b.sumLoMs}-${b.sumHiMs} ms: ${fmt(seq)}${live ? ' (bounds: sim only)' : ''}`,
      );
      ctx.fact('participants', n);
      ctx.fact('ratio', Number((total(seq) / total(par)).toFixed(2)));
    },
  });

/**
 * The four FROST scenarios, in `fanout list` order, built with the given test seams (none: the
 * production scenarios, {@link frostScenarios}).
 */
export function createFrostScenarios(seams: FrostScenarioSeams = {}): Scenario[] {
  return [dkgOf(seams), signOf(seams), noHolOf(seams), roundTimeOf(seams)];
}

/** The production FROST scenarios. */
export const frostScenarios: readonly Scenario[] = createFrostScenarios();
