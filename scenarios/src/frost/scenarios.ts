/**
 * FROST-over-Hubert scenarios (issue 4): DKG under latencies and faults, signing quorum with
 * misbehaving signers, no head-of-line blocking with quorum exit, and parallel vs sequential round
 * time. Each derives its world from the seed, runs the real coordinator against agents and the
 * Hubert simulator, and checks its guarantees against an oracle computed from the behaviours.
 *
 * Crypto is real (FROST-ED25519-SHA512 over @noble) and slow on small machines: the signing
 * scenarios reuse one DKG per process ({@link groupFixture}).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { groupVerifyingKey, publicIdentity, type RoundEvent, type Xid } from '@fanout/frost';
import { createRng, type Rng } from '@fanout/sim';
import { check, type GuaranteeCheck, type Scenario, type ScenarioContext } from '../framework.js';
import {
  buildFrostWorld,
  participantTarget,
  type Act,
  type FrostWorld,
  type FrostWorldSpec,
  type GroupFixture,
  type InboundType,
  type ParticipantSpec,
} from './world.js';

const FIXTURE_SEED = 0x0f05;
const fixtures = new Map<string, Promise<GroupFixture>>();

/**
 * A completed DKG among `n` participants with threshold `t` (identities from a fixed seed), made
 * once per process in the simulator and reused by the signing scenarios.
 */
export function groupFixture(n: number, t: number): Promise<GroupFixture> {
  const key = `${n}/${t}`;
  let f = fixtures.get(key);
  if (f === undefined) {
    f = (async () => {
      const world = await buildFrostWorld({
        seed: FIXTURE_SEED,
        mode: 'sim',
        participants: n,
        minSigners: t,
      });
      try {
        const dkg = await world.runDkg({ charter: 'fixture group' });
        if (!dkg.ok || dkg.group === undefined)
          throw new Error(`fixture DKG ${key} failed: ${dkg.failure?.reason}`);
        return world.fixtureFor(dkg.group);
      } finally {
        await world.close();
      }
    })();
    fixtures.set(key, f);
  }
  return f;
}

function num(options: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = options[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** Report each coordinator phase to the runner's progress display. */
function phases(ctx: ScenarioContext): { onRoundEvent?: (e: RoundEvent) => void } {
  const emit = ctx.onEvent;
  if (emit === undefined) return {};
  return {
    onRoundEvent: (e) => {
      if (e.type === 'phase-start') emit({ type: 'phase', name: `${e.round} (${e.phase})` });
    },
  };
}

const DKG_STEPS = ['dkgInvite', 'dkgRound2', 'dkgFinalize'] as const;
const DKG_ROUND_OF: Record<(typeof DKG_STEPS)[number], string> = {
  dkgInvite: 'dkg round1',
  dkgRound2: 'dkg round2',
  dkgFinalize: 'dkg finalize',
};
const DEVIATIONS: readonly Act[] = ['busy', 'vanish', 'late', 'malformed', 'forged', 'badShare'];
const CHEATS: ReadonlySet<Act> = new Set(['malformed', 'forged', 'badShare']);

function describeActs(specs: readonly ParticipantSpec[]): string {
  const parts = specs.flatMap((s, i) =>
    Object.entries(s.on ?? {}).map(([step, act]) => `${participantTarget(i)} ${act}@${step}`),
  );
  return parts.length === 0 ? 'all honest' : parts.join(', ');
}

/** The think time of a "prompt" participant: well inside the timeout, whatever else happens. */
function promptThink(rng: Rng, live: boolean): number {
  return live ? rng.int(0, 200) : rng.int(0, 300_000);
}

/** Store latency of a participant's ARIDs: 1-30 s (sim), 20-200 ms (live). */
function storeLatency(rng: Rng, live: boolean): { kind: 'constant'; ms: number } {
  return { kind: 'constant', ms: live ? rng.int(20, 200) : rng.int(1000, 30_000) };
}

/** Every participant that completed the group agrees with the coordinator's key (hex), if any. */
function keyAgreement(
  world: FrostWorld,
  group: string | undefined,
  coordinatorKey: Uint8Array | undefined,
): GuaranteeCheck {
  const keys = new Map<string, string>();
  for (const a of world.agents) {
    for (const g of Object.values(a.state.groups)) {
      if (
        (group === undefined || g.group === group) &&
        g.phase === 'complete' &&
        g.publicKeyPackage !== undefined
      )
        keys.set(world.targets.get(a.xid)!, bytesToHex(groupVerifyingKey(g.publicKeyPackage)));
    }
  }
  const distinct = new Set(keys.values());
  if (coordinatorKey !== undefined) {
    const want = bytesToHex(coordinatorKey);
    const all = keys.size === world.agents.length && [...keys.values()].every((k) => k === want);
    return check(
      'group-key-agreement',
      all,
      all
        ? `all ${keys.size} participants hold key ${want.slice(0, 16)}…`
        : `coordinator ${want.slice(0, 16)}…, participants ${JSON.stringify(Object.fromEntries(keys))}`,
    );
  }
  return check(
    'group-key-agreement',
    distinct.size <= 1,
    `${keys.size} participant(s) completed, ${distinct.size} distinct key(s)`,
  );
}

export const frostDkg: Scenario = {
  name: 'frost.dkg',
  defaultRuns: { sim: 5, live: 1 },
  title: 'DKG over latencies, Hubert faults and participant misbehaviour',
  guarantees: ['succeeds-iff-all-answer', 'group-key-agreement', 'culprits-blamed-honest-never'],
  modes: ['sim', 'live'],
  defaults: { participants: 3, minSigners: 2 },
  async run(ctx: ScenarioContext) {
    const rng = createRng(ctx.seed).fork('scenario');
    const live = ctx.mode === 'live';
    const n = num(ctx.options, 'participants', 3);
    const t = num(ctx.options, 'minSigners', 2);
    const timeoutMs = live ? 8000 : 600_000;
    const allHonest = rng.bool(0.4);
    const behaviours: ParticipantSpec[] = Array.from({ length: n }, () => {
      const on: Partial<Record<InboundType, Act>> = {};
      if (!allHonest && rng.bool(0.4)) on[rng.pick(DKG_STEPS)] = rng.pick(DEVIATIONS);
      return { thinkMs: promptThink(rng, live), on };
    });
    const extraRules: NonNullable<FrostWorldSpec['extraRules']> = [];
    if (!live && rng.bool(0.3))
      extraRules.push({
        fault: 'crash',
        targets: ['hubert'],
        atMs: rng.int(0, 200_000),
        restartAfterMs: rng.int(5000, 60_000),
      });
    if (rng.bool(0.3))
      extraRules.push({
        fault: 'forceStatus',
        targets: [`store:${participantTarget(rng.int(0, n - 1))}`],
        status: 503,
        message: 'Service Unavailable',
        probability: 0.3,
      });
    const world = await buildFrostWorld({
      seed: ctx.seed,
      mode: ctx.mode,
      participants: n,
      minSigners: t,
      behaviours,
      storeLatency: behaviours.map(() => storeLatency(rng, live)),
      extraRules,
      coordinator: { timeoutMs },
      ...(ctx.plan === undefined ? {} : { plan: ctx.plan }),
      ...phases(ctx),
    });
    try {
      const dkg = await world.runDkg();
      const xidOf = (i: number): Xid => world.identities[i]!.xid;
      const firstBad = DKG_STEPS.findIndex((s) =>
        behaviours.some((b) => (b.on?.[s] ?? 'accept') !== 'accept'),
      );
      const expectedOk = firstBad === -1;
      const culprits = new Set(
        behaviours.flatMap((b, i) =>
          Object.values(b.on ?? {}).some((a) => CHEATS.has(a)) ? [xidOf(i)] : [],
        ),
      );
      const blamed = dkg.failure?.blamed ?? [];
      const mustBlame =
        firstBad === -1
          ? []
          : behaviours.flatMap((b, i) => {
              const act = b.on?.[DKG_STEPS[firstBad]!];
              if (act === undefined || !CHEATS.has(act)) return [];
              // A bad DKG share is sealed to its peer: only the peer can tell (at finalize).
              if (act === 'badShare' && DKG_STEPS[firstBad] === 'dkgRound2') return [];
              return [xidOf(i)];
            });
      const name = (x: Xid): string => world.targets.get(x) ?? x;
      const acts = describeActs(behaviours);
      const wrongRound =
        !expectedOk &&
        dkg.failure !== undefined &&
        DKG_STEPS[firstBad] !== 'dkgRound2' &&
        dkg.failure.round !== DKG_ROUND_OF[DKG_STEPS[firstBad]!];
      const guarantees = [
        check(
          'succeeds-iff-all-answer',
          dkg.ok === expectedOk && !wrongRound,
          `${acts}: DKG ${dkg.ok ? 'ok' : `failed at ${dkg.failure?.round} (${dkg.failure?.reason})`}, expected ${expectedOk ? 'ok' : `failure at ${DKG_ROUND_OF[DKG_STEPS[firstBad]!]}`}`,
        ),
        keyAgreement(world, dkg.group?.group ?? dkg.invite.session.group, dkg.group?.groupVerifyingKey),
        check(
          'culprits-blamed-honest-never',
          blamed.every((x) => culprits.has(x)) && mustBlame.every((x) => blamed.includes(x)),
          `blamed [${blamed.map(name).join(', ')}], culprits [${[...culprits].map(name).join(', ')}], must blame [${mustBlame.map(name).join(', ')}]`,
        ),
      ];
      return {
        guarantees,
        latencyMs: dkg.elapsedMs,
        ...(world.mode === 'sim' ? { traceHash: world.trace.hash() } : {}),
        plan: world.plan,
        facts: { participants: n, ok: dkg.ok ? 1 : 0, acts },
      };
    } finally {
      await world.close();
    }
  },
};

export const frostSign: Scenario = {
  name: 'frost.sign',
  defaultRuns: { sim: 5, live: 1 },
  title: 'signing: a valid signature iff ≥ minSigners honest signers answer; never from fewer; cheats blamed',
  guarantees: [
    'signature-iff-enough-honest',
    'never-from-fewer',
    'signature-verifies',
    'bad-share-attributed',
  ],
  modes: ['sim', 'live'],
  defaults: { participants: 4, minSigners: 3 },
  async run(ctx) {
    const rng = createRng(ctx.seed).fork('scenario');
    const live = ctx.mode === 'live';
    const n = num(ctx.options, 'participants', 4);
    const t = num(ctx.options, 'minSigners', 3);
    const fixture = await groupFixture(n, t);
    const timeoutMs = live ? 8000 : 600_000;
    const behaviours: ParticipantSpec[] = Array.from({ length: n }, () => {
      const on: Partial<Record<InboundType, Act>> = {};
      if (rng.bool(0.35)) on.signInvite = rng.pick<Act>(['busy', 'vanish', 'late', 'malformed', 'forged']);
      else if (rng.bool(0.3)) on.signRound2 = rng.pick(DEVIATIONS);
      return { thinkMs: promptThink(rng, live), on };
    });
    const quorumExit = rng.bool(0.5);
    const world = await buildFrostWorld({
      seed: ctx.seed,
      mode: ctx.mode,
      participants: n,
      minSigners: t,
      behaviours,
      fixture,
      storeLatency: behaviours.map(() => storeLatency(rng, live)),
      coordinator: { timeoutMs },
      ...(ctx.plan === undefined ? {} : { plan: ctx.plan }),
      ...phases(ctx),
    });
    try {
      const target = rng.bytes(rng.int(1, 64));
      const sign = await world.runSign({ target, quorumExit });
      const xidOf = (i: number): Xid => world.identities[i]!.xid;
      const actsOf = (x: Xid): ParticipantSpec['on'] =>
        behaviours[world.identities.findIndex((id) => id.xid === x)]!.on;
      const committed = behaviours.flatMap((b, i) =>
        (b.on?.signInvite ?? 'accept') === 'accept' ? [xidOf(i)] : [],
      );
      const actAt2 = (x: Xid): Act => actsOf(x)?.signRound2 ?? 'accept';
      // Honest signers commit honestly and give an honest share.
      const honest = committed.filter((x) => actAt2(x) === 'accept');
      const cheats = committed.filter((x) => CHEATS.has(actAt2(x)));
      const inviteCheats = behaviours.flatMap((b, i) =>
        CHEATS.has(b.on?.signInvite ?? 'accept') ? [xidOf(i)] : [],
      );
      const everSigners = new Set(
        sign.sessions.flatMap((r) =>
          r.round1?.ok === true ? (r.round1.session.signers ?? []).map((m) => m.identity.xid) : [],
        ),
      );
      const expectedOk = honest.length >= t;
      const name = (x: Xid): string => world.targets.get(x) ?? x;
      const acts = describeActs(behaviours);
      const verified =
        sign.signature !== undefined &&
        ed25519.verify(sign.signature, sha256(target), fixture.group.groupVerifyingKey);
      const mustBlame = cheats.filter((x) => everSigners.has(x));
      const blamed = sign.blamed;
      const guarantees = [
        check(
          'signature-iff-enough-honest',
          sign.ok === expectedOk,
          `${acts}; quorumExit ${quorumExit}; honest signers [${honest.map(name).join(', ')}], ${sign.sessions.length} session(s), signer sets [${sign.sessions.map((r) => (r.round1?.ok === true ? (r.round1.session.signers ?? []).map((m) => name(m.identity.xid)).join(' ') : '-')).join(' | ')}]: ${sign.ok ? 'signed' : `failed at ${sign.failure?.round} (${sign.failure?.reason})`}`,
        ),
        check(
          'never-from-fewer',
          honest.length >= t || sign.signature === undefined,
          `${honest.length} honest signers, threshold ${t}`,
        ),
        check(
          'signature-verifies',
          !sign.ok || verified,
          sign.ok ? `ed25519.verify = ${verified}` : 'no signature',
        ),
        check(
          'bad-share-attributed',
          mustBlame.every((x) => blamed.includes(x)) &&
            blamed.every((x) => cheats.includes(x) || inviteCheats.includes(x)),
          `blamed [${blamed.map(name).join(', ')}], cheating signers [${mustBlame.map(name).join(', ')}]`,
        ),
      ];
      return {
        guarantees,
        latencyMs: sign.elapsedMs,
        ...(world.mode === 'sim' ? { traceHash: world.trace.hash() } : {}),
        plan: world.plan,
        facts: { signed: sign.ok ? 1 : 0, quorumExit: quorumExit ? 1 : 0, acts },
      };
    } finally {
      await world.close();
    }
  },
};

export const frostNoHol: Scenario = {
  name: 'frost.no-hol',
  defaultRuns: { sim: 5, live: 1 },
  title: 'a participant 600 s away does not delay a quorum-exit signing session (invite → aggregate)',
  guarantees: ['quorum-exit-not-delayed', 'signer-set-excludes-slow'],
  modes: ['sim', 'live'],
  defaults: { participants: 4, minSigners: 3 },
  async run(ctx) {
    const rng = createRng(ctx.seed).fork('scenario');
    const live = ctx.mode === 'live';
    const n = num(ctx.options, 'participants', 4);
    const t = num(ctx.options, 'minSigners', 3);
    const fixture = await groupFixture(n, t);
    const slowMs = live ? 10_000 : 600_000;
    const slowCount = rng.int(1, n - t);
    const slow = new Set(rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, slowCount));
    const latencies = Array.from({ length: n }, (_, i) =>
      slow.has(i) ? { kind: 'constant' as const, ms: slowMs } : storeLatency(rng, live),
    );
    const world = await buildFrostWorld({
      seed: ctx.seed,
      mode: ctx.mode,
      participants: n,
      minSigners: t,
      fixture,
      storeLatency: latencies,
      coordinator: { timeoutMs: live ? 60_000 : 3_600_000 },
      ...(ctx.plan === undefined ? {} : { plan: ctx.plan }),
      ...phases(ctx),
    });
    try {
      const target = rng.bytes(32);
      // The WHOLE session (invite → round 1 → round 2 → aggregate), not only round 1's collect.
      const sign = await world.runSign({ target, quorumExit: true });
      const r1 = sign.round1;
      const collected = r1?.collected;
      const poll = world.pollIntervalMs;
      const fastMax = Math.max(...latencies.filter((_, i) => !slow.has(i)).map((l) => l.ms));
      // Invite put (1 latency); round 1: the invitee reads (1 + a poll), writes (1), the
      // coordinator reads (1 + a poll); round 2 the same with the signRound2 put; then the
      // signFinalize puts (1): 9 fast latencies + 4 polls, plus a poll of slack.
      const bound = 9 * fastMax + 5 * poll;
      const slowXids = [...slow].map((i) => world.identities[i]!.xid);
      const signers = r1?.ok === true ? (r1.session.signers ?? []).map((m) => m.identity.xid) : [];
      const verified =
        sign.signature !== undefined &&
        ed25519.verify(sign.signature, sha256(target), fixture.group.groupVerifyingKey);
      const phasesMs = sign.timings.map((x) => `${x.round} ${x.elapsedMs.toFixed(0)}`).join(', ');
      // Live: no wall-clock bound; "not waited for" is structural: the session signed while the
      // slow participants' invitations were still being stored and their round 1 was cancelled.
      const notWaited =
        slowXids.every((x) => sign.invite.sent.pending?.includes(x) === true) &&
        slowXids.every((x) => collected?.cancelled.includes(x) === true);
      const guarantees = [
        check(
          'quorum-exit-not-delayed',
          sign.ok && verified && (live ? notWaited : sign.elapsedMs < slowMs && sign.elapsedMs <= bound),
          `signing session (invite → aggregate) ${sign.ok ? 'signed' : `failed at ${sign.failure?.round} (${sign.failure?.reason})`} in ${sign.elapsedMs.toFixed(0)} ms [${phasesMs}] with ${slowCount} participant(s) at ${slowMs} ms; fast bound ${bound} ms${live ? ' (sim only)' : ''}; round 1 decided in ${collected?.elapsedMs.toFixed(0) ?? '-'} ms; slow invitations pending at the invite: ${slowXids.every((x) => sign.invite.sent.pending?.includes(x) === true)}, cancelled in round 1: ${slowXids.every((x) => collected?.cancelled.includes(x) === true)}`,
        ),
        check(
          'signer-set-excludes-slow',
          signers.length === t && signers.every((x) => !slowXids.includes(x)),
          `signers [${signers.map((x) => world.targets.get(x)).join(', ')}], slow [${[...slow].map(participantTarget).join(', ')}]`,
        ),
      ];
      return {
        guarantees,
        latencyMs: sign.elapsedMs,
        ...(world.mode === 'sim' ? { traceHash: world.trace.hash() } : {}),
        plan: world.plan,
        facts: { slow: slowCount },
      };
    } finally {
      await world.close();
    }
  },
};

/** Round time of `dkg invite` + `dkg round1` in one mode (the collect and the sends). */
async function dkgRound1Times(
  spec: Omit<FrostWorldSpec, 'coordinator'>,
  mode: 'parallel' | 'sequential',
): Promise<{
  ok: boolean;
  inviteMs: number;
  collectMs: number;
  sendMs: number;
  pollIntervalMs: number;
  world: FrostWorld;
}> {
  const world = await buildFrostWorld({
    ...spec,
    coordinator: { mode, timeoutMs: spec.mode === 'live' ? 20_000 : 3_600_000 },
  });
  try {
    const invite = await world.coordinator.dkgInvite({
      participants: world.identities.map(publicIdentity),
      minSigners: spec.minSigners,
      charter: 'round time',
    });
    const pollIntervalMs = world.pollIntervalMs;
    if (!invite.ok)
      return { ok: false, inviteMs: invite.sent.elapsedMs, collectMs: 0, sendMs: 0, pollIntervalMs, world };
    world.follow(invite.session.inviteArids);
    const r1 = await world.coordinator.dkgRound1(invite.session);
    return {
      ok: r1.ok,
      inviteMs: invite.sent.elapsedMs,
      collectMs: r1.collected.elapsedMs,
      sendMs: r1.sent?.elapsedMs ?? 0,
      pollIntervalMs,
      world,
    };
  } finally {
    await world.close();
  }
}

export const frostRoundTime: Scenario = {
  name: 'frost.round-time',
  defaultRuns: { sim: 5, live: 1 },
  title: 'parallel round time ≈ slowest participant, sequential ≈ sum (per-ARID Hubert latency)',
  guarantees: ['parallel-round-near-max', 'sequential-round-near-sum'],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const rng = createRng(ctx.seed).fork('scenario');
    const live = ctx.mode === 'live';
    const n = rng.int(3, 5);
    const lat = Array.from({ length: n }, () => storeLatency(rng, live));
    const spec = {
      seed: ctx.seed,
      mode: ctx.mode,
      participants: n,
      minSigners: 2,
      storeLatency: lat,
      ...(ctx.plan === undefined ? {} : { plan: ctx.plan }),
    } as const;
    const par = await dkgRound1Times(spec, 'parallel');
    const seq = await dkgRound1Times(spec, 'sequential');
    const ms = lat.map((l) => l.ms);
    const max = Math.max(...ms);
    const sum = ms.reduce((a, b) => a + b, 0);
    const poll = par.pollIntervalMs;
    // Parallel: every put costs one latency, every collect at most two plus a poll interval.
    const parTotal = par.inviteMs + par.collectMs + par.sendMs;
    const seqTotal = seq.inviteMs + seq.collectMs + seq.sendMs;
    const parOk =
      par.ok && par.inviteMs <= max + 50 && par.collectMs <= 2 * max + poll + 50 && par.sendMs <= max + 50;
    const seqOk =
      seq.ok &&
      seq.inviteMs >= sum &&
      seq.sendMs >= sum &&
      seq.collectMs >= sum &&
      seq.collectMs <= 2 * sum + n * poll + 50;
    return {
      guarantees: [
        check(
          'parallel-round-near-max',
          parOk || (live && par.ok),
          `latencies ${ms.join(', ')} ms (max ${max}): invite ${par.inviteMs.toFixed(0)}, collect ${par.collectMs.toFixed(0)}, send ${par.sendMs.toFixed(0)} ms`,
        ),
        check(
          'sequential-round-near-sum',
          seqOk || (live && seq.ok),
          `sum ${sum} ms: invite ${seq.inviteMs.toFixed(0)}, collect ${seq.collectMs.toFixed(0)}, send ${seq.sendMs.toFixed(0)} ms`,
        ),
      ],
      latencyMs: parTotal,
      sequentialMs: seqTotal,
      ...(par.world.mode === 'sim' ? { traceHash: par.world.trace.hash() } : {}),
      plan: par.world.plan,
      facts: { participants: n, ratio: Number((seqTotal / parTotal).toFixed(2)) },
    };
  },
};

/** Every FROST scenario. */
export const frostScenarios: readonly Scenario[] = [frostDkg, frostSign, frostNoHol, frostRoundTime];
