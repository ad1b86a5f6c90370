/**
 * FROST DKG guarantees as fast-check properties, in sim mode (virtual time, deterministic, real
 * FROST-ED25519-SHA512 crypto), on the scenario kernel: participant behaviours are `behave` rules
 * of the world's plan, Hubert faults plan rules on `store:pN`, `store-get:pN`, `pN` and `hubert`.
 * Each property checks the run against expectations written from the generated inputs, AND that
 * the plan-read oracle (oracle.ts) accepts the run — exactly, or as "uncertain" where its timing
 * bound is conservative — and that no participant's answer ever came later than its bound.
 * Failures print the seed, the shrunk counterexample and a replay line (assertProperty).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { assertProperty } from '@fanout/testkit';
import type { DkgFlowResult, Xid } from '@fanout/frost';
import { blameVerdict, dkgExpectation, dkgOutcomeVerdict } from '../../src/frost/oracle.js';
import {
  CHEATS,
  DKG_STEPS,
  HUBERT,
  participantTarget,
  storeGetTarget,
  storeTarget,
  type Act,
  type FrostPlanSpec,
  type ParticipantSpec,
} from '../../src/frost/plan.js';
import { answerOutlook } from '../../src/frost/timing.js';
import type { FrostParties } from '../../src/frost/world.js';
import type { World } from '../../src/kernel/index.js';
import { completedKeys, frostWorld, SIM_TIMEOUT_MS, storeLatencyArb, thinkArb } from './helpers.js';

const DKG_ROUND = { dkgInvite: 'dkg round1', dkgRound2: 'dkg round2', dkgFinalize: 'dkg finalize' } as const;

/** The plan-read oracle accepts the run (outcome and blame), and every answer came within its bound. */
function oracleAccepts(world: World, parties: FrostParties, dkg: DkgFlowResult): void {
  const n = parties.identities.length;
  const exp = dkgExpectation(world.view, n, parties.timing);
  const verdict = dkgOutcomeVerdict(exp, dkg);
  expect(verdict.held, verdict.detail).toBe(true);
  const xid = (i: number): Xid => parties.identities[i]!.xid;
  const blame = blameVerdict(dkg.failure?.blamed ?? [], exp.mayBlame, [...exp.mustBlame].map(xid), parties);
  expect(blame.held, blame.detail).toBe(true);
  const collected = [dkg.round1?.collected, dkg.round2?.collected, dkg.finalize?.collected];
  collected.forEach((report, k) => {
    for (const [x, o] of report?.byParticipant ?? []) {
      if (o.status !== 'success') continue;
      const i = parties.identities.findIndex((id) => id.xid === x);
      const bound = answerOutlook(world.view, i, DKG_STEPS[k]!, n, parties.timing).hiMs;
      expect(o.durationMs, `p${i + 1} at ${DKG_STEPS[k]}`).toBeLessThanOrEqual(bound);
    }
  });
}

async function runDkg(seed: number, plan: Omit<FrostPlanSpec, 'participants'>) {
  const { world, parties } = await frostWorld(seed, plan, {
    participants: 3,
    minSigners: 2,
    coordinator: { timeoutMs: SIM_TIMEOUT_MS },
  });
  try {
    return { world, parties, dkg: await parties.runDkg() };
  } finally {
    await world.close();
  }
}

describe('FROST DKG properties (sim)', () => {
  test('DKG over any latencies, Hubert restarts and misbehaviour succeeds iff every participant answers in time; all agree on the key; only cheats are blamed; the plan-read oracle agrees', async () => {
    const deviationArb = fc.option(
      fc.record({
        step: fc.constantFrom(...DKG_STEPS),
        act: fc.constantFrom<Act>('busy', 'vanish', 'late', 'malformed', 'forged', 'badShare'),
      }),
      { freq: 2 },
    );
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.tuple(deviationArb, thinkArb, storeLatencyArb), { minLength: 3, maxLength: 3 }),
        fc.option(
          fc.record({
            atMs: fc.integer({ min: 0, max: 200_000 }),
            restartAfterMs: fc.integer({ min: 5000, max: 60_000 }),
          }),
        ),
        async (seed, parts, crash) => {
          const behaviours: ParticipantSpec[] = parts.map(([dev, thinkMs]) => ({
            thinkMs,
            on: dev === null ? {} : { [dev.step]: dev.act },
          }));
          // An acknowledged put survives the restart (loseState is off): the DKG must not notice.
          const { world, parties, dkg } = await runDkg(seed, {
            behaviours,
            storeLatency: parts.map(([, , l]) => l),
            ...(crash === null ? {} : { rules: [{ fault: 'crash', targets: [HUBERT], ...crash }] }),
          });
          const devs = parts.map(([d]) => d);
          const firstStep = DKG_STEPS.findIndex((s) => devs.some((d) => d?.step === s));
          // Succeeds iff every participant answers (honestly) within the timeout.
          expect(dkg.ok).toBe(firstStep === -1);
          const keys = completedKeys(parties, dkg.group?.group ?? dkg.invite.session.group);
          if (dkg.ok) {
            const want = bytesToHex(dkg.group!.groupVerifyingKey);
            expect([...keys.values()]).toEqual([want, want, want]);
          } else {
            expect(new Set(keys.values()).size).toBeLessThanOrEqual(1);
            const step = DKG_STEPS[firstStep]!;
            // A bad DKG share is sealed to its peer: the peer can only tell at finalize.
            if (step === 'dkgRound2') expect(['dkg round2', 'dkg finalize']).toContain(dkg.failure!.round);
            else expect(dkg.failure!.round).toBe(DKG_ROUND[step]);
            const xid = (i: number): Xid => parties.identities[i]!.xid;
            const cheats = devs.flatMap((d, i) => (d !== null && CHEATS.has(d.act) ? [xid(i)] : []));
            const blamed = dkg.failure!.blamed;
            for (const b of blamed) expect(cheats).toContain(b);
            devs.forEach((d, i) => {
              if (d !== null && d.step === step && step !== 'dkgRound2' && CHEATS.has(d.act))
                expect(blamed).toContain(xid(i));
            });
          }
          oracleAccepts(world, parties, dkg);
          // Where the plan is certain the oracle is exact.
          const exp = dkgExpectation(world.view, 3, parties.timing);
          if (exp.ok !== 'maybe') expect(exp.ok).toBe(firstStep === -1 ? 'always' : 'never');
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('FROST DKG under Hubert faults (sim)', () => {
  const who = fc.integer({ min: 0, max: 2 });
  const faultsArb = fc.record({
    /** Puts on p's ARIDs acknowledged but never stored (store `dropRequest`). */
    lost: fc.option(fc.record({ who, probability: fc.constantFrom(0.2, 1) }), { freq: 3 }),
    /** 503 on 20 % of the gets of p's ARIDs (retried by both sides). */
    get5xx: fc.option(who, { freq: 2 }),
    /** Every get of p's ARIDs takes this much longer. */
    slowGet: fc.option(fc.record({ who, ms: fc.integer({ min: 1000, max: 20_000 }) }), { freq: 2 }),
    /** p cut off from Hubert for up to a minute. */
    partition: fc.option(
      fc.record({
        who,
        fromMs: fc.integer({ min: 0, max: 200_000 }),
        lenMs: fc.integer({ min: 1000, max: 60_000 }),
      }),
      { freq: 2 },
    ),
    /** Hubert crashes and restarts, keeping or losing its data. */
    crash: fc.option(
      fc.record({
        atMs: fc.integer({ min: 0, max: 200_000 }),
        restartAfterMs: fc.integer({ min: 5000, max: 60_000 }),
        loseState: fc.boolean(),
      }),
      { freq: 2 },
    ),
    /** p answers the invitation just inside or just outside the 600 s timeout. */
    near: fc.option(
      fc.record({ who, outside: fc.boolean(), marginMs: fc.integer({ min: 1000, max: 20_000 }) }),
      { freq: 2 },
    ),
  });

  test('DKG under lost puts, 5xx and slow gets, partitions, crashes with or without data loss, and answers just inside/outside the timeout: succeeds iff no message was lost and every answer came in time; honest participants never blamed; the plan-read oracle accepts every run', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.integer({ min: 1000, max: 10_000 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 3, maxLength: 3 }),
        faultsArb,
        async (seed, latencyMs, thinkMs, f) => {
          // The near-timeout participant's timing must be exact: no other fault touches it.
          const near = f.near;
          const other = (i: number): number => (near !== null && i === near.who ? (i + 1) % 3 : i);
          const crash = near === null ? f.crash : null;
          const rules: NonNullable<FrostPlanSpec['rules']>[number][] = [];
          if (f.lost !== null)
            rules.push({
              fault: 'dropRequest',
              targets: [storeTarget(other(f.lost.who))],
              probability: f.lost.probability,
            });
          if (f.get5xx !== null)
            rules.push({
              fault: 'forceStatus',
              targets: [storeGetTarget(other(f.get5xx))],
              status: 503,
              message: 'Service Unavailable',
              probability: 0.2,
            });
          if (f.slowGet !== null)
            rules.push({
              fault: 'delay',
              targets: [storeGetTarget(other(f.slowGet.who))],
              latency: { kind: 'constant', ms: f.slowGet.ms },
            });
          if (f.partition !== null)
            rules.push({
              fault: 'partition',
              targets: [participantTarget(other(f.partition.who))],
              window: { fromMs: f.partition.fromMs, toMs: f.partition.fromMs + f.partition.lenMs },
            });
          if (crash !== null) rules.push({ fault: 'crash', targets: [HUBERT], ...crash });
          const behaviours: ParticipantSpec[] = thinkMs.map((t, i) => {
            if (near === null || i !== near.who) return { thinkMs: t };
            // Collect starts once every invitation is stored; p reads (1 latency), thinks, writes
            // (1 latency), and the coordinator's next poll (1 latency + 1 s) sees it.
            const L = latencyMs[i]!;
            const think = near.outside
              ? SIM_TIMEOUT_MS - 2 * L + near.marginMs
              : SIM_TIMEOUT_MS - 3 * L - 1000 - near.marginMs;
            return { thinkMsOn: { dkgInvite: think } };
          });
          const { world, parties, dkg } = await runDkg(seed, {
            behaviours,
            storeLatency: latencyMs.map((ms) => ({ kind: 'constant' as const, ms })),
            rules,
          });
          const lostMessage = parties.lostPuts.length > 0 || parties.wipes.some((w) => w.unread.length > 0);
          const late = near?.outside === true;
          const facts = `lost puts ${parties.lostPuts.length}, wipes ${JSON.stringify(parties.wipes.map((w) => w.unread.length))}, late ${late}`;
          expect(dkg.ok, `${facts}; ${dkg.failure?.round}: ${dkg.failure?.reason}`).toBe(
            !lostMessage && !late,
          );
          // Nobody here cheats: faults are never blamed on a participant.
          expect(dkg.failure?.blamed ?? []).toEqual([]);
          if (late && !lostMessage) {
            expect(dkg.failure!.round).toBe('dkg round1');
            expect(dkg.failure!.missing).toEqual([parties.identities[near.who]!.xid]);
          }
          if (near !== null && !near.outside && !lostMessage) {
            const took = dkg.round1!.collected.byParticipant.get(
              parties.identities[near.who]!.xid,
            )!.durationMs;
            expect(took).toBeGreaterThan(SIM_TIMEOUT_MS - 3 * latencyMs[near.who]! - 1000 - near.marginMs);
            expect(took).toBeLessThan(SIM_TIMEOUT_MS);
          }
          const keys = completedKeys(parties, dkg.group?.group ?? dkg.invite.session.group);
          if (dkg.ok)
            expect(new Set(keys.values())).toEqual(new Set([bytesToHex(dkg.group!.groupVerifyingKey)]));
          else expect(new Set(keys.values()).size).toBeLessThanOrEqual(1);
          oracleAccepts(world, parties, dkg);
        },
      ),
      {
        numRuns: 16,
        // Always tried first: a restart that loses data while p1's invitation is still unread
        // (p1's gets are 20 s slower): the invitation is gone, the DKG must fail.
        examples: [
          [
            1,
            [1000, 1000, 1000],
            [0, 0, 0],
            {
              lost: null,
              get5xx: null,
              slowGet: { who: 0, ms: 20_000 },
              partition: null,
              crash: { atMs: 5000, restartAfterMs: 5000, loseState: true },
              near: null,
            },
          ],
        ],
      },
    );
  });
});

describe('FROST DKG under a brief partition (sim)', () => {
  test('a participant cut off from Hubert from 5 s to 30 s, answering at ~20 s (inside the cut), recovers: the DKG succeeds', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        // p1's answer to the invitation lands inside the partition window.
        fc.integer({ min: 8_000, max: 24_000 }),
        async (seed, thinkMs) => {
          const { world, parties, dkg } = await runDkg(seed, {
            behaviours: [{ thinkMsOn: { dkgInvite: thinkMs } }],
            storeLatency: [1000, 1000, 1000].map((ms) => ({ kind: 'constant' as const, ms })),
            rules: [{ fault: 'partition', targets: ['p1'], window: { fromMs: 5000, toMs: 30_000 } }],
          });
          expect(dkg.ok, dkg.failure?.reason).toBe(true);
          // p1's reply was written inside the cut and went through after it.
          const replied = parties.agentLog.find(
            (l) =>
              l.participant === 'p1' &&
              l.event.type === 'replied' &&
              l.event.outbound === 'dkgRound1Response',
          );
          expect(replied!.event.at).toBeGreaterThanOrEqual(30_000);
          expect(parties.agentLog.some((l) => l.participant === 'p1' && l.event.type === 'put-retry')).toBe(
            true,
          );
          expect(completedKeys(parties, dkg.group!.group).size).toBe(3);
          // Recovered within one per-request timeout (60 s) + a retry of the end of the cut,
          // far from the 600 s participant timeout.
          expect(dkg.round1!.collected.elapsedMs).toBeLessThan(30_000 + 60_000 + 10_000);
          oracleAccepts(world, parties, dkg);
        },
      ),
      { numRuns: 6 },
    );
  });
});
