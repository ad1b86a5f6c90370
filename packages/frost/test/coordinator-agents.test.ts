/**
 * FrostCoordinator against ParticipantAgents over a Hubert store (@fanout/sim-hubert), on a
 * VirtualClock: behaviours (busy, vanish, late, forged, malformed) are reported against the right
 * participant and never crash a round; a full DKG + signing over the Hubert HTTP app ends with a
 * signature that verifies with plain Ed25519.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { VirtualClock } from '@fanout/core';
import { createRng, rngBytesFn } from '@fanout/sim';
import {
  HubertHttpClient,
  createHubertApp,
  createMemoryKvStore,
  createServerKvStore,
} from '@fanout/sim-hubert';
import { describe, expect, it } from 'vitest';
import {
  ForgedMessageError,
  FrostCoordinator,
  MalformedMessageError,
  PARALLEL_TIMEOUT_MS,
  ParticipantAgent,
  RoundSequenceError,
  createIdentity,
  publicIdentity,
  reject,
  runDkgFlow,
  runSignFlow,
  type AgentPlan,
  type ConversationEnd,
  type FrostKv,
  type Identity,
} from '../src/index.js';

interface Cast {
  clock: VirtualClock;
  coordinator: FrostCoordinator;
  agents: ParticipantAgent[];
  ids: Identity[];
  stop: AbortController;
  ends: Promise<ConversationEnd>[];
}

function cast(
  seed: number,
  plans: AgentPlan[],
  kvFor: (clock: VirtualClock) => (who: string) => FrostKv,
  options: { timeoutMs?: number } = {},
): Cast {
  const clock = new VirtualClock();
  const rng = createRng(seed);
  const kv = kvFor(clock);
  const coordinatorId = createIdentity(rngBytesFn(rng.fork('coordinator-id')), 'Alice');
  const ids = plans.map((_, i) => createIdentity(rngBytesFn(rng.fork(`id-${i}`)), `p${i}`));
  const agents = ids.map(
    (identity, i) =>
      new ParticipantAgent({
        identity,
        coordinators: [publicIdentity(coordinatorId)],
        kv: kv(`p${i}`),
        clock,
        rng: rngBytesFn(rng.fork(`agent-${i}`)),
        plan: plans[i]!,
      }),
  );
  const coordinator = new FrostCoordinator({
    identity: coordinatorId,
    kv: kv('coordinator'),
    clock,
    rng: rngBytesFn(rng.fork('coordinator')),
    ...options,
  });
  return { clock, coordinator, agents, ids, stop: new AbortController(), ends: [] };
}

const memory = (clock: VirtualClock) => {
  const store = createMemoryKvStore({ clock });
  return () => store;
};

describe('coordinator rounds against agents', () => {
  it('DKG round 1: busy, forged and vanished participants are reported against themselves; the round never throws', async () => {
    const c = cast(
      1,
      [
        () => ({ kind: 'respond', delayMs: 3_000 }),
        () => ({ kind: 'respond', behaviour: reject('Busy right now') }),
        () => ({ kind: 'respond', behaviour: { kind: 'forged' } }),
        () => ({ kind: 'vanish' }),
      ],
      memory,
    );
    const invite = await c.coordinator.dkgInvite({
      participants: c.ids.map(publicIdentity),
      minSigners: 2,
      charter: 'test',
    });
    expect(invite.ok).toBe(true);
    const ends = c.agents.map((a) => a.follow(invite.session.inviteArids[a.xid]!, c.stop.signal));
    const r1 = await c.coordinator.dkgRound1(invite.session);
    expect(r1.ok).toBe(false);
    const col = r1.collected;
    const [bob, carol, dan, eve] = c.ids.map((i) => i.xid) as [string, string, string, string];
    expect(col.successes.map((s) => s.xid)).toEqual([bob]);
    expect(col.rejections).toEqual([{ xid: carol, reason: 'Busy right now', accused: [] }]);
    expect(col.errors.map((e) => e.xid)).toEqual([dan]);
    expect(col.errors[0]!.error).toBeInstanceOf(ForgedMessageError);
    expect(col.timeouts).toEqual([eve]);
    expect(col.elapsedMs).toBe(PARALLEL_TIMEOUT_MS);
    expect(col.byParticipant.get(bob)!.durationMs).toBe(3_000);
    if (!r1.ok) {
      expect(r1.reason).toBe('DKG round 1 needs every participant');
      expect([...r1.missing].sort()).toEqual([carol, dan, eve].sort());
      expect(r1.blamed).toEqual([dan]);
    }
    c.stop.abort();
    // Bob and Dan (forged, unaware) wait for round 2; Carol declined; Eve vanished.
    expect(await Promise.all(ends)).toEqual(['stopped', 'finished', 'stopped', 'vanished']);
    // A session in the wrong phase is the caller's mistake, thrown.
    await expect(c.coordinator.dkgRound2(invite.session)).rejects.toThrow(RoundSequenceError);
  });

  it('a late answer is a timeout at exactly the per-participant timeout, and the late reply is ignored', async () => {
    let store: ReturnType<typeof createMemoryKvStore> | undefined;
    const c = cast(
      2,
      [() => ({ kind: 'respond' }), () => ({ kind: 'respond', delayMs: 60_000 })],
      (clock) => {
        store = createMemoryKvStore({ clock });
        return () => store!;
      },
      { timeoutMs: 30_000 },
    );
    const invite = await c.coordinator.dkgInvite({
      participants: c.ids.map(publicIdentity),
      minSigners: 2,
      charter: 'late',
    });
    const ends = c.agents.map((a) => a.follow(invite.session.inviteArids[a.xid]!, c.stop.signal));
    const r1 = await c.coordinator.dkgRound1(invite.session);
    const late = c.ids[1]!.xid;
    expect(r1.collected.timeouts).toEqual([late]);
    expect(r1.collected.elapsedMs).toBe(30_000);
    expect(r1.collected.byParticipant.get(late)!.reason).toBe('no response within 30 s');
    // The late participant still writes its reply at 60 s; nothing breaks.
    await c.clock.sleep(40_000);
    c.stop.abort();
    expect(await Promise.all(ends)).toEqual(['stopped', 'stopped']);
    expect(store!.volume.size).toBe(4); // 2 invitations + 2 replies, the late one included
  });

  it('a malformed round-2 reply is an error of its sender, named by field', async () => {
    const c = cast(
      3,
      [
        () => ({ kind: 'respond' }),
        (t) => ({
          kind: 'respond',
          behaviour: t === 'dkgRound2' ? { kind: 'malformed' } : { kind: 'accept' },
        }),
      ],
      memory,
    );
    const dkg = await runDkgFlow(c.coordinator, {
      participants: c.ids.map(publicIdentity),
      minSigners: 2,
      charter: 'malformed',
      onInvited: (s) => c.agents.forEach((a) => void a.follow(s.inviteArids[a.xid]!, c.stop.signal)),
    });
    c.stop.abort();
    expect(dkg.ok).toBe(false);
    expect(dkg.failure).toMatchObject({ round: 'dkg round2', blamed: [c.ids[1]!.xid] });
    const err = dkg.round2!.collected.errors[0]!;
    expect(err.xid).toBe(c.ids[1]!.xid);
    expect(err.error).toBeInstanceOf(MalformedMessageError);
    expect((err.error as MalformedMessageError).field).toBe('body.round2Packages');
  });

  it('DKG + quorum-exit signing over the Hubert HTTP app: a signature that verifies with ed25519.verify', async () => {
    const plans: AgentPlan[] = [
      () => ({ kind: 'respond', delayMs: 5_000 }),
      () => ({ kind: 'respond', delayMs: 1_000 }),
      (t) =>
        t === 'signInvite' ? { kind: 'respond', delayMs: 400_000 } : { kind: 'respond', delayMs: 2_000 },
    ];
    const c = cast(4, plans, (clock) => {
      const app = createHubertApp(createServerKvStore({ clock }));
      return () => new HubertHttpClient({ baseUrl: 'http://hubert.sim', fetch: app.fetch, clock });
    });
    const follow = (arids: Readonly<Record<string, string>>) =>
      c.agents.forEach((a) => {
        const arid = arids[a.xid];
        if (arid !== undefined) c.ends.push(a.follow(arid, c.stop.signal));
      });
    const dkg = await runDkgFlow(c.coordinator, {
      participants: c.ids.map(publicIdentity),
      minSigners: 2,
      charter: 'http',
      onInvited: (s) => follow(s.inviteArids),
    });
    expect(dkg.ok).toBe(true);
    expect(dkg.timings.map((t) => t.round)).toEqual([
      'dkg invite',
      'dkg round1',
      'dkg round2',
      'dkg finalize',
    ]);
    const target = new TextEncoder().encode('sign me');
    const t0 = c.clock.now();
    const sign = await runSignFlow(c.coordinator, {
      group: dkg.group!,
      target,
      quorumExit: true,
      onInvited: (s) => follow(s.inviteArids),
    });
    expect(sign.ok).toBe(true);
    expect(ed25519.verify(sign.signature!, sha256(target), dkg.group!.groupVerifyingKey)).toBe(true);
    // Quorum exit: round 1 ends with the 2 quick signers (in arrival order), not the 400 s one.
    expect(sign.round1!.collected.arrivalOrder).toEqual([c.ids[1]!.xid, c.ids[0]!.xid]);
    expect(sign.round1!.collected.cancelled).toEqual([c.ids[2]!.xid]);
    expect(c.clock.now() - t0).toBeLessThan(400_000);
    // The signers read the signFinalize event on their next poll (1 s); the slow one still thinks.
    await c.clock.sleep(5_000);
    c.stop.abort();
    const ends = await Promise.all(c.ends);
    // 3 DKGs and 2 signing sessions completed; the slow invitee was still thinking.
    expect([...ends].sort()).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
      'completed',
      'stopped',
    ]);
  });
});
