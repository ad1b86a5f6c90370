/**
 * FROST signing guarantees as fast-check properties, in sim mode, on the scenario kernel: the
 * quorum property over a world whose participant behaviours are `behave` rules of the plan (and
 * the plan-read oracle's agreement), and the ordering property over the real coordinator whose
 * Hubert gets resolve through fc.scheduler. Crypto is slow: both reuse one DKG per process
 * (fixture.ts). Failures print the seed, the shrunk counterexample and a replay line.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertProperty } from '@fanout/testkit';
import { VirtualClock } from '@fanout/core';
import {
  FrostCoordinator,
  participantStep,
  sealedFromEnvelopeUr,
  sealedToEnvelopeUr,
  type FrostKv,
  type ParticipantState,
  type Xid,
} from '@fanout/frost';
import { createRng, rngBytesFn } from '@fanout/sim';
import { AlreadyExistsError } from '@fanout/sim-hubert';
import { groupFixture } from '../../src/frost/fixture.js';
import { blameVerdict, signExpectation, signOutcomeVerdict } from '../../src/frost/oracle.js';
import { CHEATS, type Act, type ParticipantSpec } from '../../src/frost/plan.js';
import { frostWorld, SIM_TIMEOUT_MS, storeLatencyArb, thinkArb } from './helpers.js';

describe('FROST signing properties (sim)', () => {
  const weighted = (accept: number, others: readonly Act[]): fc.Arbitrary<Act> =>
    fc.oneof(
      { weight: accept, arbitrary: fc.constant<Act>('accept') },
      ...others.map((a) => ({ weight: 1, arbitrary: fc.constant(a) })),
    );
  // Mostly honest commitments, so most runs reach round 2 with a full signer set.
  const inviteActArb = weighted(10, ['busy', 'vanish', 'late', 'malformed', 'forged']);
  const round2ActArb = weighted(4, ['forged', 'badShare', 'malformed', 'vanish']);
  const slow = { kind: 'constant' as const, ms: 30_000 };

  test('quorum: a valid signature iff ≥ minSigners honest signers answer (a fresh session drops the culprits); never from fewer; a forged or bad share is attributed to its sender; the plan-read oracle agrees', async () => {
    const fixture = await groupFixture(4, 3);
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.tuple(inviteActArb, round2ActArb, thinkArb, storeLatencyArb), {
          minLength: 4,
          maxLength: 4,
        }),
        fc.boolean(),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (seed, parts, quorumExit, target) => {
          const behaviours: ParticipantSpec[] = parts.map(([a1, a2, thinkMs]) => ({
            thinkMs,
            on: { signInvite: a1, signRound2: a2 },
          }));
          const { world, parties } = await frostWorld(
            seed,
            { behaviours, storeLatency: parts.map(([, , , l]) => l) },
            { participants: 4, minSigners: 3, fixture, coordinator: { timeoutMs: SIM_TIMEOUT_MS } },
          );
          try {
            const sign = await parties.runSign({ target, quorumExit });
            const xid = (i: number): Xid => parties.identities[i]!.xid;
            const actOf = (x: Xid): (typeof parts)[number] =>
              parts[parties.identities.findIndex((id) => id.xid === x)]!;
            const committed = parts.flatMap(([a1], i) => (a1 === 'accept' ? [xid(i)] : []));
            // Honest signers: commit honestly AND give an honest share.
            const honest = committed.filter((x) => actOf(x)[1] === 'accept');
            const cheats = committed.filter((x) => CHEATS.has(actOf(x)[1]));
            // A valid signature iff ≥ minSigners honest signers answer; never from fewer.
            expect(sign.ok, `sessions ${sign.sessions.length}: ${sign.failure?.reason}`).toBe(
              honest.length >= 3,
            );
            expect(sign.signature !== undefined).toBe(honest.length >= 3);
            if (sign.ok)
              expect(ed25519.verify(sign.signature!, sha256(target), fixture.group.groupVerifyingKey)).toBe(
                true,
              );
            if (committed.length < 3) {
              expect(sign.sessions).toHaveLength(1);
              expect(sign.failure!.round).toBe('sign round1');
            }
            const everSigners = new Set<Xid>();
            for (const run of sign.sessions) {
              const r1 = run.round1;
              if (r1 === undefined || !r1.ok) continue;
              const signers = r1.session.signers!.map((m) => m.identity.xid);
              signers.forEach((x) => everSigners.add(x));
              // Each session's fixed set: its first minSigners honest commitments, in arrival order.
              expect(signers).toEqual(
                r1.collected.arrivalOrder.filter((x) => committed.includes(x)).slice(0, 3),
              );
              // A failing round 2 blames exactly that set's cheating signers.
              if (run.failure?.round === 'sign round2')
                expect([...run.failure.blamed].sort()).toEqual(
                  signers.filter((x) => cheats.includes(x)).sort(),
                );
            }
            // A forged or bad share is attributed to its sender; nobody honest is ever blamed (only
            // those cheats and senders of forged or malformed commitments).
            const inviteCheats = parts.flatMap(([a1], i) => (CHEATS.has(a1) ? [xid(i)] : []));
            for (const x of cheats.filter((c) => everSigners.has(c))) expect(sign.blamed).toContain(x);
            for (const x of sign.blamed) expect([...cheats, ...inviteCheats]).toContain(x);
            // Bounded: at most one fresh session per dropped participant, never more than the default 3.
            expect(sign.sessions.length).toBeLessThanOrEqual(3);
            // The plan-read oracle accepts the run, and is exact where the plan is certain.
            const exp = signExpectation(world.view, 4, 3, parties.timing, 3);
            const verdict = signOutcomeVerdict(exp, sign, `quorumExit ${quorumExit}`);
            expect(verdict.held, verdict.detail).toBe(true);
            if (exp.ok !== 'maybe') expect(exp.ok).toBe(honest.length >= 3 ? 'always' : 'never');
            const mustBlame = [...exp.certainCheats].map(xid).filter((x) => everSigners.has(x));
            const blame = blameVerdict(sign.blamed, exp.mayBlame, mustBlame, parties);
            expect(blame.held, blame.detail).toBe(true);
          } finally {
            await world.close();
          }
        },
      ),
      {
        numRuns: 12,
        // Always tried first: one bad share among 4 (p2-p4 honest → a signature from a second
        // session), and too few committers.
        examples: [
          [
            7,
            [
              ['accept', 'badShare', 0, slow],
              ['accept', 'accept', 1000, slow],
              ['accept', 'accept', 2000, slow],
              ['accept', 'accept', 3000, slow],
            ],
            false,
            new Uint8Array([1, 2, 3]),
          ],
          [
            8,
            [
              ['accept', 'accept', 0, slow],
              ['busy', 'accept', 0, slow],
              ['accept', 'accept', 0, slow],
              ['vanish', 'accept', 0, slow],
            ],
            true,
            new Uint8Array([4]),
          ],
        ],
      },
    );
  });

  test('ordering: the real coordinator (fanOut) matches commitments and shares to their senders whatever the arrival order (fc.scheduler resolves every get); a reply served under another slot is rejected', async () => {
    const fixture = await groupFixture(4, 3);
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.subarray([0, 1, 2, 3], { minLength: 3, maxLength: 4 }),
        fc.boolean(),
        fc.option(fc.tuple(fc.nat(3), fc.nat(3)), { freq: 3 }),
        async (s, seed, invitedIdx, quorumExit, swapPick) => {
          const rng = rngBytesFn(createRng(seed));
          const clock = new VirtualClock({ start: 10_000, autoAdvance: false });
          const states = new Map<Xid, ParticipantState>(fixture.states.map((st) => [st.identity.xid, st]));
          const values = new Map<string, string>();
          const waiting = new Map<string, (v: string) => void>();
          const invitees = invitedIdx.map((i) => fixture.states[i]!.identity.xid);
          // Serve participant a's reply under participant b's collect ARID (and vice versa).
          const swap =
            swapPick === null || swapPick[0] === swapPick[1]
              ? null
              : ([
                  fixture.states[swapPick[0]]!.identity.xid,
                  fixture.states[swapPick[1]]!.identity.xid,
                ] as const);
          let collectArids: Readonly<Record<Xid, string>> = {};
          const store = (arid: string, v: string): void => {
            values.set(arid, v);
            waiting.get(arid)?.(v);
            waiting.delete(arid);
          };
          /** Each participant answers a request as soon as it is stored (the reply is stored at once). */
          const deliver = (envelope: string): void => {
            const sealed = sealedFromEnvelopeUr(envelope);
            for (const [xid, st] of states) {
              const res = participantStep(st, sealed, { now: clock.now(), rng });
              if (res.kind === 'error') continue;
              states.set(xid, res.state);
              if (res.kind === 'reply' || res.kind === 'rejected')
                store(res.outbound.arid, sealedToEnvelopeUr(res.outbound.sealed));
              return;
            }
          };
          const resolvedOrder: Xid[] = [];
          const kv: FrostKv = {
            put: (arid, envelope) => {
              if (values.has(arid)) return Promise.reject(new AlreadyExistsError(arid));
              values.set(arid, envelope);
              deliver(envelope);
              return Promise.resolve('Stored successfully');
            },
            get: (arid, options = {}) => {
              // The slot's reader gets the value stored under the (possibly swapped) ARID.
              let source = arid;
              if (swap !== null) {
                const slot = Object.entries(collectArids).find(([, a]) => a === arid)?.[0];
                const other = slot === swap[0] ? swap[1] : slot === swap[1] ? swap[0] : undefined;
                if (other !== undefined && collectArids[other] !== undefined) source = collectArids[other];
              }
              const ready =
                values.get(source) ??
                new Promise<string>((resolve, reject) => {
                  waiting.set(source, resolve);
                  options.signal?.addEventListener('abort', () => reject(options.signal!.reason), {
                    once: true,
                  });
                });
              return s.schedule(Promise.resolve(ready), `get ${arid.slice(9, 17)}`).then((v) => {
                const who = Object.entries(collectArids).find(([, a]) => a === arid)?.[0];
                if (who !== undefined) resolvedOrder.push(who as Xid);
                return v;
              });
            },
          };
          const coordinator = new FrostCoordinator({
            identity: fixture.coordinator,
            rng,
            kv,
            clock,
            timeoutMs: SIM_TIMEOUT_MS,
          });
          const target = rng(32);
          const invite = await s.waitFor(
            coordinator.signInvite({ group: fixture.group, target, invitees }, { quorumExit }),
          );
          expect(invite.ok).toBe(true);
          if (!invite.ok) return;
          collectArids = invite.session.collectArids;
          const r1 = await s.waitFor(coordinator.signRound1(invite.session, { quorumExit }));
          const swapped = swap !== null && swap.every((x) => invitees.includes(x)) ? swap : null;
          // A reply read under another participant's slot is that slot's error, never a success.
          for (const x of swapped ?? []) {
            const o = r1.collected.byParticipant.get(x)!;
            expect(['error', 'cancelled']).toContain(o.status);
          }
          // Arrival order = the order the scheduler resolved the gets (successes only).
          expect(r1.collected.arrivalOrder).toEqual(
            resolvedOrder.filter((x) => r1.collected.successes.some((v) => v.xid === x)),
          );
          const swappedList: readonly Xid[] = swapped ?? [];
          const honest = invitees.filter((x) => !swappedList.includes(x));
          if (honest.length < 3) {
            expect(r1.ok).toBe(false);
            return;
          }
          expect(r1.ok).toBe(true);
          if (!r1.ok) return;
          const signers = r1.session.signers!.map((m) => m.identity.xid);
          expect(signers).toEqual(r1.collected.arrivalOrder.slice(0, 3));
          collectArids = r1.session.collectArids;
          resolvedOrder.length = 0;
          const r2 = await s.waitFor(coordinator.signRound2(r1.session));
          const swapped2 = swap !== null && swap.every((x) => signers.includes(x)) ? swap : null;
          if (swapped2 !== null) {
            // Swapped shares: never aggregated into a signature; attributed to the slots.
            expect(r2.ok).toBe(false);
            for (const x of swapped2) expect(r2.collected.byParticipant.get(x)!.status).toBe('error');
            return;
          }
          expect(r2.ok, r2.ok ? '' : r2.reason).toBe(true);
          expect(r2.collected.arrivalOrder).toEqual(resolvedOrder.filter((x) => signers.includes(x)));
          if (r2.ok)
            expect(ed25519.verify(r2.signature, sha256(target), fixture.group.groupVerifyingKey)).toBe(true);
        },
      ),
      { numRuns: 16 },
    );
  });
});
