import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import {
  ExpiredMessageError,
  ForgedMessageError,
  MESSAGE_VALIDITY_MS,
  NotForMeError,
  ProtocolViolationError,
  createIdentity,
  discardExpired,
  listeningArids,
  newParticipant,
  participantStep,
  publicIdentity,
  round1ToWire,
  sealTyped,
  startDkg,
  type StepResult,
} from '../src/index.js';
import { World } from './harness.js';

function expectError(result: StepResult, cls: new (...args: never[]) => Error, field?: string) {
  expect(result.kind).toBe('error');
  if (result.kind !== 'error') return;
  expect(result.error).toBeInstanceOf(cls);
  if (field !== undefined) expect((result.error as ProtocolViolationError).field).toBe(field);
}

describe('participant state machine: bad inbound messages', () => {
  const world = new World('participant-errors', 2);
  const started = startDkg(
    { participants: world.identities.map(publicIdentity), minSigners: 2, charter: 'c' },
    world.ctx(),
  );
  const [p0, p1] = world.identities;
  const invite0 = started.invites.find((i) => i.to === p0!.xid)!;
  const state0 = world.states.get(p0!.xid)!;

  it('an invite addressed to someone else is NotForMeError; the state is unchanged', () => {
    const r = participantStep(state0, started.invites.find((i) => i.to === p1!.xid)!.sealed, {
      now: world.now,
      rng: world.rng,
    });
    expectError(r, NotForMeError);
    expect(r.state).toBe(state0);
  });

  it('an invite from an unknown coordinator is forged', () => {
    const stranger = createIdentity(world.rng, 'stranger');
    const lonely = newParticipant(p0!, [publicIdentity(stranger)]);
    expectError(
      participantStep(lonely, invite0.sealed, { now: world.now, rng: world.rng }),
      ForgedMessageError,
    );
  });

  it('an invite read after its hour is expired', () => {
    expectError(
      participantStep(state0, invite0.sealed, { now: world.now + MESSAGE_VALIDITY_MS + 1, rng: world.rng }),
      ExpiredMessageError,
    );
  });

  it('accepting twice is refused; a finalize before round 2 is refused', () => {
    const first = participantStep(state0, invite0.sealed, { now: world.now, rng: world.rng });
    expect(first.kind).toBe('reply');
    expectError(
      participantStep(first.state, invite0.sealed, { now: world.now, rng: world.rng }),
      ProtocolViolationError,
      'group',
    );
    const early = sealTyped(
      'dkgFinalize',
      {
        group: started.session.group,
        responseArid: started.session.collectArids[p0!.xid]!,
        round2Packages: [{ sender: p1!.xid, sealed: new Uint8Array(4) }],
      },
      { sender: world.coordinator, recipient: p0!, now: world.now, rng: world.rng },
    );
    expectError(
      participantStep(first.state, early, { now: world.now, rng: world.rng }),
      ProtocolViolationError,
      'group',
    );
  });

  it("a coordinator that alters the participant's own round-1 package is caught", () => {
    const first = participantStep(state0, invite0.sealed, { now: world.now, rng: world.rng });
    if (first.kind !== 'reply') throw new Error('expected a reply');
    const g = Object.values(first.state.groups)[0]!;
    if (g.phase === 'declined' || g.ownRound1 === undefined || g.listenArid === undefined)
      throw new Error('no round 1');
    const mine = round1ToWire(g.ownRound1);
    const altered = { ...mine, commitment: [mine.commitment[1]!, mine.commitment[0]!] };
    const request = sealTyped(
      'dkgRound2',
      {
        group: started.session.group,
        responseArid: started.session.collectArids[p0!.xid]!,
        round1Packages: [
          { participant: p0!.xid, package: altered },
          { participant: p1!.xid, package: mine },
        ],
      },
      { sender: world.coordinator, recipient: p0!, now: world.now, rng: world.rng },
    );
    expectError(
      participantStep(first.state, request, { now: world.now, rng: world.rng }),
      ProtocolViolationError,
      'round1Packages',
    );
  });

  it('discardExpired drops lapsed DKG state and the listening ARID', () => {
    const first = participantStep(state0, invite0.sealed, { now: world.now, rng: world.rng });
    expect(listeningArids(first.state)).toHaveLength(1);
    const kept = discardExpired(first.state, world.now + 1000);
    expect(listeningArids(kept)).toHaveLength(1);
    const lapsed = discardExpired(first.state, started.session.expiry + 1);
    expect(listeningArids(lapsed)).toHaveLength(0);
    const g = Object.values(lapsed.groups)[0]!;
    expect(g.phase).toBe('aborted');
    expect(g.phase !== 'declined' && g.dkgSecret).toBeUndefined();
  });

  it('a sign invite for an unknown group is refused', () => {
    const invite = sealTyped(
      'signInvite',
      {
        session: started.session.group,
        group: started.session.group,
        groupVerifyingKey: new Uint8Array(32),
        minSigners: 2,
        target: utf8ToBytes('x'),
        expiry: world.now + 1000,
        responseArid: started.session.group,
      },
      { sender: world.coordinator, recipient: p0!, now: world.now, rng: world.rng },
    );
    expectError(
      participantStep(state0, invite, { now: world.now, rng: world.rng }),
      ProtocolViolationError,
      'group',
    );
  });
});
