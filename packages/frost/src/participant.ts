/**
 * The participant side of FROST over Hubert as a pure state machine (no I/O, no clock, no global
 * randomness): `participantStep(state, inboundSealed, { now, rng, behaviour })` returns the new
 * state and what to write where. Follows frost-hubert-rust v0.1.0 `dkg participant receive /
 * round1 / round2 / finalize` and `sign participant receive / round1 / round2 / finalize`.
 *
 * Differences from upstream, on purpose:
 * - DKG part-2 shares are sealed participant-to-participant, so the coordinator forwards them
 *   without being able to read them (upstream hands them to the coordinator).
 * - `dkgFinalizeResponse` carries the public key package only, never the secret key package.
 * - A participant that detects a cheater after round 1 answers `protocolAbort` naming it.
 *
 * Simulation behaviours (see {@link Behaviour}) let a scenario make a participant decline, send a
 * malformed reply, forge its reply's signature, or send cryptographically bad shares.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/curves/utils.js';
import {
  commit,
  dkgRound1,
  dkgRound2,
  dkgRound3,
  groupVerifyingKey,
  signShare,
  verify,
  verifyDkgRound1Package,
  verifyDkgShare,
  type DkgRound1Package,
  type DkgRound2Package,
  type DkgSecret,
  type KeyPackage,
  type PublicKeyPackage,
  type SigningCommitments,
  type SigningNonces,
} from './ciphersuite.js';
import { FrostOperationError, ProtocolViolationError, SealedMessageError } from './errors.js';
import {
  membersOf,
  publicIdentity,
  type Identity,
  type Member,
  type PublicIdentity,
  type Xid,
} from './identity.js';
import {
  assertUniqueXids,
  openTyped,
  sealTyped,
  type MessageBody,
  type MessageType,
  type TypedMessage,
} from './messages.js';
import type { Rng } from './rng.js';
import { sealMessage } from './sealed.js';
import { newAridUr } from './ur.js';
import { memberMap, publicKeyPackageToWire, round1FromWire, round1ToWire, sameRound1 } from './wire.js';

/**
 * How a simulated participant answers the message at hand.
 * - accept: follow the protocol.
 * - reject: decline with `reason` (`dkgInviteReject` / `signCommitReject` for invitations,
 *   `protocolAbort` later on).
 * - malformed: reply with a body that fails the schema (a package field truncated).
 * - forged: reply signed with a key that is not this participant's (claims its XID).
 * - badShare: reply authentic and well-formed but cryptographically wrong (bad proof of knowledge,
 *   bad DKG share to one peer, wrong public key package, bad signature share). On a sign
 *   invitation there is nothing to corrupt yet: it behaves as accept.
 */
export type Behaviour =
  | { readonly kind: 'accept' }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'forged' }
  | { readonly kind: 'badShare' };

/** The honest behaviour. */
export const ACCEPT: Behaviour = { kind: 'accept' };
/** Decline with `reason` (e.g. "Busy right now", the frost-hubert demo's rejection). */
export function reject(reason: string): Behaviour {
  return { kind: 'reject', reason };
}

/** A participant's view of one DKG group. */
export type GroupState =
  | {
      readonly phase: 'declined';
      readonly group: string;
      readonly reason: string;
    }
  | {
      readonly phase: 'round1' | 'round2' | 'complete' | 'aborted';
      readonly group: string;
      readonly coordinator: Xid;
      readonly minSigners: number;
      readonly charter: string;
      /** ms, clock time. */
      readonly expiry: number;
      readonly members: readonly Member[];
      readonly me: Member;
      /** Where this participant expects the coordinator's next request. */
      readonly listenArid?: string;
      readonly ownRound1?: DkgRound1Package;
      readonly dkgSecret?: DkgSecret;
      /** The other members' part-1 packages, by XID (after round 2). */
      readonly round1?: Readonly<Record<Xid, DkgRound1Package>>;
      readonly keyPackage?: KeyPackage;
      readonly publicKeyPackage?: PublicKeyPackage;
      readonly reason?: string;
    };

/** A participant's view of one signing session. */
export interface SignSessionState {
  readonly phase: 'declined' | 'committed' | 'signed' | 'complete' | 'aborted';
  readonly session: string;
  readonly group: string;
  readonly coordinator: Xid;
  /** Clock time after which the session lapses, ms (from the invitation). */
  readonly expiry?: number;
  /** SHA-256 of the target: the message FROST signs. */
  readonly digest?: Uint8Array;
  readonly target?: Uint8Array;
  readonly listenArid?: string;
  readonly nonces?: SigningNonces;
  readonly commitments?: SigningCommitments;
  readonly signers?: readonly Xid[];
  readonly signature?: Uint8Array;
  readonly reason?: string;
}

/** The whole participant state. Treat as immutable; {@link participantStep} returns a new one. */
export interface ParticipantState {
  readonly identity: Identity;
  /** Coordinators this participant takes requests from, by XID. */
  readonly coordinators: Readonly<Record<Xid, PublicIdentity>>;
  readonly groups: Readonly<Record<string, GroupState>>;
  readonly sessions: Readonly<Record<string, SignSessionState>>;
}

/** A fresh participant who trusts `coordinators`. */
export function newParticipant(
  identity: Identity,
  coordinators: readonly PublicIdentity[],
): ParticipantState {
  return {
    identity,
    coordinators: Object.fromEntries(coordinators.map((c) => [c.xid, publicIdentity(c)])),
    groups: {},
    sessions: {},
  };
}

/** A sealed message to write: `sealed` goes to ARID `arid` (wrap with `sealedToEnvelopeUr` for Hubert). */
export interface Outbound {
  readonly to: Xid;
  readonly arid: string;
  readonly type: MessageType;
  readonly sealed: Uint8Array;
}

/** Inputs of one step besides the state and the message. */
export interface StepContext {
  /** Clock time, ms. */
  readonly now: number;
  /** Randomness (DKG polynomial, nonces, ARIDs, sealing). */
  readonly rng: Rng;
  /**
   * Default {@link ACCEPT}. A function is called once with the inbound message type (after the
   * message was opened), so a caller can choose the behaviour per message type.
   */
  readonly behaviour?: Behaviour | ((inbound: MessageType) => Behaviour);
}

/** {@link StepContext} with the behaviour resolved for one inbound message. */
interface ResolvedStepContext extends StepContext {
  readonly behaviour?: Behaviour;
}

/** Result of {@link participantStep}. `state` is always the state to keep. */
export type StepResult =
  | {
      readonly kind: 'reply';
      readonly state: ParticipantState;
      readonly inbound: MessageType;
      readonly outbound: Outbound;
    }
  | {
      readonly kind: 'rejected';
      readonly state: ParticipantState;
      readonly inbound: MessageType;
      readonly reason: string;
      readonly outbound: Outbound;
    }
  | { readonly kind: 'completed'; readonly state: ParticipantState; readonly inbound: MessageType }
  | { readonly kind: 'error'; readonly state: ParticipantState; readonly error: Error };

const INBOUND: MessageType[] = [
  'dkgInvite',
  'dkgRound2',
  'dkgFinalize',
  'signInvite',
  'signRound2',
  'signFinalize',
];

/**
 * Process one inbound sealed message. Never throws for bad input: a message that cannot be
 * processed (forged, expired, malformed, not for me, wrong phase) gives `{kind: 'error'}` and the
 * unchanged state.
 */
export function participantStep(
  state: ParticipantState,
  sealed: Uint8Array,
  stepCtx: StepContext,
): StepResult {
  let msg: TypedMessage<(typeof INBOUND)[number]>;
  try {
    msg = openTyped(
      sealed,
      { recipient: state.identity, now: stepCtx.now, senders: new Map(Object.entries(state.coordinators)) },
      INBOUND,
    );
  } catch (e) {
    return { kind: 'error', state, error: asError(e) };
  }
  let ctx: ResolvedStepContext;
  try {
    const b = stepCtx.behaviour;
    ctx = typeof b === 'function' ? { ...stepCtx, behaviour: b(msg.type) } : (stepCtx as ResolvedStepContext);
  } catch (e) {
    return { kind: 'error', state, error: asError(e) };
  }
  try {
    switch (msg.type) {
      case 'dkgInvite':
        return onDkgInvite(state, msg.sender, msg.body, ctx);
      case 'dkgRound2':
        return onDkgRound2(state, msg.sender, msg.body, ctx);
      case 'dkgFinalize':
        return onDkgFinalize(state, msg.sender, msg.body, ctx);
      case 'signInvite':
        return onSignInvite(state, msg.sender, msg.body, ctx);
      case 'signRound2':
        return onSignRound2(state, msg.sender, msg.body, ctx);
      case 'signFinalize':
        return onSignFinalize(state, msg.sender, msg.body);
    }
    return { kind: 'error', state, error: new ProtocolViolationError('type', 'unhandled message type') };
  } catch (e) {
    return { kind: 'error', state, error: asError(e) };
  }
}

/** ARIDs this participant is waiting on (where the coordinator should write next), with context. */
export function listeningArids(
  state: ParticipantState,
): { arid: string; context: string; kind: 'group' | 'session' }[] {
  const out: { arid: string; context: string; kind: 'group' | 'session' }[] = [];
  for (const g of Object.values(state.groups)) {
    if (
      g.phase !== 'declined' &&
      (g.phase === 'round1' || g.phase === 'round2') &&
      g.listenArid !== undefined
    ) {
      out.push({ arid: g.listenArid, context: g.group, kind: 'group' });
    }
  }
  for (const s of Object.values(state.sessions)) {
    if ((s.phase === 'committed' || s.phase === 'signed') && s.listenArid !== undefined) {
      out.push({ arid: s.listenArid, context: s.session, kind: 'session' });
    }
  }
  return out;
}

/**
 * Forget lapsed work: DKGs in progress and signing sessions whose expiry (ms, clock time) is
 * before `now` become 'aborted' (reason 'expired') and drop their secret DKG state / unused
 * nonces. Completed groups and sessions are kept.
 */
export function discardExpired(state: ParticipantState, now: number): ParticipantState {
  const groups: Record<string, GroupState> = {};
  for (const [k, g] of Object.entries(state.groups)) {
    groups[k] =
      (g.phase === 'round1' || g.phase === 'round2') && now > g.expiry
        ? { ...g, phase: 'aborted', reason: 'expired', dkgSecret: undefined, listenArid: undefined }
        : g;
  }
  const sessions: Record<string, SignSessionState> = {};
  for (const [k, s] of Object.entries(state.sessions)) {
    sessions[k] =
      (s.phase === 'committed' || s.phase === 'signed') && s.expiry !== undefined && now > s.expiry
        ? { ...s, phase: 'aborted', reason: 'expired', nonces: undefined, listenArid: undefined }
        : s;
  }
  return { ...state, groups, sessions };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function behaviourOf(ctx: ResolvedStepContext): Behaviour {
  return ctx.behaviour ?? ACCEPT;
}

/** Seal a reply honestly, forged, or with a deliberately broken body. */
function reply<T extends MessageType>(
  state: ParticipantState,
  to: PublicIdentity,
  arid: string,
  type: T,
  body: MessageBody<T>,
  ctx: ResolvedStepContext,
  malformedBody?: unknown,
): Outbound {
  const b = behaviourOf(ctx);
  const base = { sender: state.identity, recipient: to, now: ctx.now, rng: ctx.rng };
  let sealed: Uint8Array;
  if (b.kind === 'malformed' && malformedBody !== undefined) {
    sealed = sealMessage({ ...base, type, body: malformedBody });
  } else if (b.kind === 'forged') {
    sealed = sealTyped(type, body, { ...base, forgeWithKey: ctx.rng(32) });
  } else {
    sealed = sealTyped(type, body, base);
  }
  return { to: to.xid, arid, type, sealed };
}

function coordinatorOf(state: ParticipantState, xid: Xid): PublicIdentity {
  const c = state.coordinators[xid];
  if (c === undefined) throw new ProtocolViolationError('sender', `unknown coordinator ${xid}`);
  return c;
}

function truncated(b: Uint8Array): Uint8Array {
  return b.slice(0, b.length - 1);
}

function flipped(b: Uint8Array, index = 0): Uint8Array {
  const out = b.slice();
  out[index] = (out[index] ?? 0) ^ 1;
  return out;
}

function withGroup(state: ParticipantState, g: GroupState): ParticipantState {
  return { ...state, groups: { ...state.groups, [g.group]: g } };
}

function withSession(state: ParticipantState, s: SignSessionState): ParticipantState {
  return { ...state, sessions: { ...state.sessions, [s.session]: s } };
}

function abortReply(
  state: ParticipantState,
  coordinator: PublicIdentity,
  arid: string,
  context: string,
  phase: MessageBody<'protocolAbort'>['phase'],
  reason: string,
  accused: Xid[],
  ctx: ResolvedStepContext,
): Outbound {
  return sealAbort(state, coordinator, arid, { context, phase, reason, accused }, ctx);
}

function sealAbort(
  state: ParticipantState,
  coordinator: PublicIdentity,
  arid: string,
  body: MessageBody<'protocolAbort'>,
  ctx: ResolvedStepContext,
): Outbound {
  const sealed = sealTyped('protocolAbort', body, {
    sender: state.identity,
    recipient: coordinator,
    now: ctx.now,
    rng: ctx.rng,
  });
  return { to: coordinator.xid, arid, type: 'protocolAbort', sealed };
}

// ---------------------------------------------------------------------------------------- DKG

function onDkgInvite(
  state: ParticipantState,
  sender: Xid,
  body: MessageBody<'dkgInvite'>,
  ctx: ResolvedStepContext,
): StepResult {
  const coordinator = coordinatorOf(state, sender);
  if (state.groups[body.group] !== undefined)
    throw new ProtocolViolationError('group', 'already invited to this group');
  if (body.expiry <= ctx.now)
    throw new ProtocolViolationError('expiry', `invitation expired at ${body.expiry} ms`);
  // Peer identities are vouched for by the (authenticated) coordinator, which checks their key
  // bindings in startDkg; here we only make sure our own entry is really us.
  assertUniqueXids(
    body.participants.map((p) => p.xid),
    'participants',
  );
  const members = membersOf(body.participants);
  const me = members.find((m) => m.identity.xid === state.identity.xid);
  if (me === undefined) throw new ProtocolViolationError('participants', 'this participant is not invited');
  if (
    !equalBytes(me.identity.signingPublicKey, state.identity.signingPublicKey) ||
    !equalBytes(me.identity.encryptionPublicKey, state.identity.encryptionPublicKey)
  ) {
    throw new ProtocolViolationError('participants', 'the invitation lists wrong keys for this participant');
  }
  const b = behaviourOf(ctx);
  if (b.kind === 'reject') {
    const body2: MessageBody<'dkgInviteReject'> = {
      group: body.group,
      responseArid: newAridUr(ctx.rng),
      reason: b.reason,
    };
    const outbound = reply(state, coordinator, body.responseArid, 'dkgInviteReject', body2, ctx);
    return {
      kind: 'rejected',
      inbound: 'dkgInvite',
      reason: b.reason,
      outbound,
      state: withGroup(state, { phase: 'declined', group: body.group, reason: b.reason }),
    };
  }
  const r1 = dkgRound1(me.identifier, { minSigners: body.minSigners, maxSigners: members.length }, ctx.rng);
  const listenArid = newAridUr(ctx.rng);
  const wire = round1ToWire(r1.package);
  const sent =
    b.kind === 'badShare' ? { ...wire, proofOfKnowledge: flipped(wire.proofOfKnowledge, 40) } : wire;
  const out: MessageBody<'dkgRound1Response'> = {
    group: body.group,
    participant: state.identity.xid,
    responseArid: listenArid,
    round1Package: sent,
  };
  const malformed = {
    ...out,
    round1Package: { ...wire, commitment: [truncated(wire.commitment[0]!), ...wire.commitment.slice(1)] },
  };
  const outbound = reply(state, coordinator, body.responseArid, 'dkgRound1Response', out, ctx, malformed);
  const g: GroupState = {
    phase: 'round1',
    group: body.group,
    coordinator: sender,
    minSigners: body.minSigners,
    charter: body.charter,
    expiry: body.expiry,
    members,
    me,
    listenArid,
    ownRound1: r1.package,
    dkgSecret: r1.secret,
  };
  return { kind: 'reply', inbound: 'dkgInvite', outbound, state: withGroup(state, g) };
}

type ActiveGroup = Extract<GroupState, { phase: 'round1' | 'round2' | 'complete' | 'aborted' }>;

function activeGroup(
  state: ParticipantState,
  group: string,
  sender: Xid,
  phase: ActiveGroup['phase'],
  now: number,
): ActiveGroup {
  const g = state.groups[group];
  if (g === undefined) throw new ProtocolViolationError('group', 'unknown group');
  if (g.phase !== phase)
    throw new ProtocolViolationError('group', `group is in phase ${g.phase}, expected ${phase}`);
  if (g.coordinator !== sender)
    throw new ProtocolViolationError('sender', 'not the coordinator of this group');
  if (now > g.expiry) throw new ProtocolViolationError('expiry', `the DKG lapsed at ${g.expiry} ms`);
  return g;
}

function onDkgRound2(
  state: ParticipantState,
  sender: Xid,
  body: MessageBody<'dkgRound2'>,
  ctx: ResolvedStepContext,
): StepResult {
  const g = activeGroup(state, body.group, sender, 'round1', ctx.now);
  const coordinator = coordinatorOf(state, sender);
  const byXid = memberMap(g.members);
  assertUniqueXids(
    body.round1Packages.map((p) => p.participant),
    'round1Packages',
  );
  if (body.round1Packages.length !== g.members.length) {
    throw new ProtocolViolationError(
      'round1Packages',
      `expected ${g.members.length} packages, got ${body.round1Packages.length}`,
    );
  }
  const others: Record<Xid, DkgRound1Package> = {};
  for (const entry of body.round1Packages) {
    const m = byXid.get(entry.participant);
    if (m === undefined)
      throw new ProtocolViolationError('round1Packages', `unknown participant ${entry.participant}`);
    const pkg = round1FromWire(entry.package, m.identifier);
    if (m.identity.xid === g.me.identity.xid) {
      if (g.ownRound1 === undefined || !sameRound1(pkg, g.ownRound1)) {
        throw new ProtocolViolationError('round1Packages', "this participant's own package was altered");
      }
    } else {
      others[m.identity.xid] = pkg;
    }
  }
  const b = behaviourOf(ctx);
  if (b.kind === 'reject') {
    const outbound = abortReply(
      state,
      coordinator,
      body.responseArid,
      g.group,
      'dkgRound2',
      b.reason,
      [],
      ctx,
    );
    return {
      kind: 'rejected',
      inbound: 'dkgRound2',
      reason: b.reason,
      outbound,
      state: withGroup(state, { ...g, phase: 'aborted', reason: b.reason }),
    };
  }
  if (g.dkgSecret === undefined) throw new ProtocolViolationError('group', 'missing DKG state');
  let r2: ReturnType<typeof dkgRound2>;
  try {
    r2 = dkgRound2(g.dkgSecret, Object.values(others));
  } catch (e) {
    if (!(e instanceof FrostOperationError)) throw e;
    // The library does not say whose package failed: check each one to name the culprits.
    const accused = Object.entries(others)
      .filter(([, pkg]) => !verifyDkgRound1Package(pkg, g.minSigners))
      .map(([xid]) => xid);
    const reason = `invalid DKG round-1 package (${e.detail})`;
    const outbound = abortReply(
      state,
      coordinator,
      body.responseArid,
      g.group,
      'dkgRound2',
      reason,
      accused,
      ctx,
    );
    return {
      kind: 'rejected',
      inbound: 'dkgRound2',
      reason,
      outbound,
      state: withGroup(state, { ...g, phase: 'aborted', reason }),
    };
  }
  const packages: MessageBody<'dkgRound2Response'>['round2Packages'] = [];
  let first = true;
  for (const m of g.members) {
    if (m.identity.xid === g.me.identity.xid) continue;
    const pkg: DkgRound2Package | undefined = r2.packages[m.identifier];
    if (pkg === undefined) throw new FrostOperationError('dkgRound2', `no package for ${m.identity.xid}`);
    const share = b.kind === 'badShare' && first ? flipped(pkg.signingShare) : pkg.signingShare;
    first = false;
    const sealedShare = sealTyped(
      'dkgRound2Share',
      { group: g.group, signingShare: share },
      { sender: state.identity, recipient: m.identity, now: ctx.now, rng: ctx.rng },
    );
    packages.push({ recipient: m.identity.xid, sealed: sealedShare });
  }
  const listenArid = newAridUr(ctx.rng);
  const out: MessageBody<'dkgRound2Response'> = {
    group: g.group,
    participant: state.identity.xid,
    responseArid: listenArid,
    round2Packages: packages,
  };
  const outbound = reply(state, coordinator, body.responseArid, 'dkgRound2Response', out, ctx, {
    ...out,
    round2Packages: [],
  });
  const next: GroupState = { ...g, phase: 'round2', dkgSecret: r2.secret, round1: others, listenArid };
  return { kind: 'reply', inbound: 'dkgRound2', outbound, state: withGroup(state, next) };
}

function onDkgFinalize(
  state: ParticipantState,
  sender: Xid,
  body: MessageBody<'dkgFinalize'>,
  ctx: ResolvedStepContext,
): StepResult {
  const g = activeGroup(state, body.group, sender, 'round2', ctx.now);
  const coordinator = coordinatorOf(state, sender);
  const byXid = memberMap(g.members);
  const round1 = g.round1 ?? {};
  assertUniqueXids(
    body.round2Packages.map((p) => p.sender),
    'round2Packages',
  );
  if (body.round2Packages.length !== g.members.length - 1) {
    throw new ProtocolViolationError(
      'round2Packages',
      `expected ${g.members.length - 1} packages, got ${body.round2Packages.length}`,
    );
  }
  const b = behaviourOf(ctx);
  if (b.kind === 'reject') {
    const outbound = abortReply(
      state,
      coordinator,
      body.responseArid,
      g.group,
      'dkgFinalize',
      b.reason,
      [],
      ctx,
    );
    return {
      kind: 'rejected',
      inbound: 'dkgFinalize',
      reason: b.reason,
      outbound,
      state: withGroup(state, { ...g, phase: 'aborted', reason: b.reason }),
    };
  }
  const received: DkgRound2Package[] = [];
  const accused: Xid[] = [];
  const senders = new Map(g.members.map((m) => [m.identity.xid, m.identity]));
  for (const entry of body.round2Packages) {
    const m = byXid.get(entry.sender);
    const commitment = round1[entry.sender]?.commitment;
    if (m === undefined || commitment === undefined) {
      throw new ProtocolViolationError('round2Packages', `unexpected sender ${entry.sender}`);
    }
    try {
      const share = openTyped(
        entry.sealed,
        { recipient: state.identity, now: ctx.now, senders, expectedSender: entry.sender },
        ['dkgRound2Share'],
      );
      if (share.body.group !== g.group) throw new ProtocolViolationError('group', 'share for another group');
      const threshold = { minSigners: g.minSigners, maxSigners: g.members.length };
      if (!verifyDkgShare(g.me.identifier, share.body.signingShare, commitment, threshold)) {
        throw new ProtocolViolationError('signingShare', 'fails the VSS check');
      }
      received.push({ identifier: m.identifier, signingShare: share.body.signingShare });
    } catch (e) {
      if (!(e instanceof SealedMessageError) && !(e instanceof ProtocolViolationError)) throw e;
      accused.push(entry.sender);
    }
  }
  if (accused.length > 0) {
    const reason = 'invalid DKG round-2 share';
    const outbound = abortReply(
      state,
      coordinator,
      body.responseArid,
      g.group,
      'dkgFinalize',
      reason,
      accused,
      ctx,
    );
    return {
      kind: 'rejected',
      inbound: 'dkgFinalize',
      reason,
      outbound,
      state: withGroup(state, { ...g, phase: 'aborted', reason }),
    };
  }
  if (g.dkgSecret === undefined) throw new ProtocolViolationError('group', 'missing DKG state');
  const key = dkgRound3(g.dkgSecret, Object.values(round1), received);
  const wire = publicKeyPackageToWire(key.publicKeyPackage, g.members);
  const sent =
    b.kind === 'badShare'
      ? { ...wire, commitments: [wire.commitments[1]!, wire.commitments[0]!, ...wire.commitments.slice(2)] }
      : wire;
  const out: MessageBody<'dkgFinalizeResponse'> = {
    group: g.group,
    participant: state.identity.xid,
    publicKeyPackage: sent,
  };
  const malformed = {
    ...out,
    publicKeyPackage: {
      ...wire,
      commitments: [truncated(wire.commitments[0]!), ...wire.commitments.slice(1)],
    },
  };
  const outbound = reply(state, coordinator, body.responseArid, 'dkgFinalizeResponse', out, ctx, malformed);
  const next: GroupState = {
    phase: 'complete',
    group: g.group,
    coordinator: g.coordinator,
    minSigners: g.minSigners,
    charter: g.charter,
    expiry: g.expiry,
    members: g.members,
    me: g.me,
    keyPackage: key.keyPackage,
    publicKeyPackage: key.publicKeyPackage,
  };
  return { kind: 'reply', inbound: 'dkgFinalize', outbound, state: withGroup(state, next) };
}

// ------------------------------------------------------------------------------------ signing

function onSignInvite(
  state: ParticipantState,
  sender: Xid,
  body: MessageBody<'signInvite'>,
  ctx: ResolvedStepContext,
): StepResult {
  const coordinator = coordinatorOf(state, sender);
  if (state.sessions[body.session] !== undefined)
    throw new ProtocolViolationError('session', 'already invited to this session');
  const g = state.groups[body.group];
  if (
    g === undefined ||
    g.phase !== 'complete' ||
    g.keyPackage === undefined ||
    g.publicKeyPackage === undefined
  ) {
    throw new ProtocolViolationError('group', 'not a member of a completed group with this id');
  }
  if (!equalBytes(body.groupVerifyingKey, groupVerifyingKey(g.publicKeyPackage))) {
    throw new ProtocolViolationError('groupVerifyingKey', 'does not match this group');
  }
  if (body.minSigners !== g.minSigners)
    throw new ProtocolViolationError('minSigners', 'does not match this group');
  if (body.expiry <= ctx.now)
    throw new ProtocolViolationError('expiry', `session expired at ${body.expiry} ms`);
  const b = behaviourOf(ctx);
  const base = { session: body.session, group: body.group, coordinator: sender, expiry: body.expiry };
  if (b.kind === 'reject') {
    const out: MessageBody<'signCommitReject'> = {
      session: body.session,
      responseArid: newAridUr(ctx.rng),
      reason: b.reason,
    };
    const outbound = reply(state, coordinator, body.responseArid, 'signCommitReject', out, ctx);
    return {
      kind: 'rejected',
      inbound: 'signInvite',
      reason: b.reason,
      outbound,
      state: withSession(state, { ...base, phase: 'declined', reason: b.reason }),
    };
  }
  const digest = sha256(body.target);
  const c = commit(g.keyPackage, ctx.rng);
  const listenArid = newAridUr(ctx.rng);
  const out: MessageBody<'signRound1Response'> = {
    session: body.session,
    participant: state.identity.xid,
    commitments: { hiding: c.commitments.hiding, binding: c.commitments.binding },
    responseArid: listenArid,
  };
  const malformed = {
    ...out,
    commitments: { ...out.commitments, hiding: truncated(out.commitments.hiding) },
  };
  const outbound = reply(state, coordinator, body.responseArid, 'signRound1Response', out, ctx, malformed);
  const s: SignSessionState = {
    ...base,
    phase: 'committed',
    digest,
    target: body.target,
    listenArid,
    nonces: c.nonces,
    commitments: c.commitments,
  };
  return { kind: 'reply', inbound: 'signInvite', outbound, state: withSession(state, s) };
}

function activeSession(
  state: ParticipantState,
  session: string,
  sender: Xid,
  phase: SignSessionState['phase'],
) {
  const s = state.sessions[session];
  if (s === undefined) throw new ProtocolViolationError('session', 'unknown session');
  if (s.phase !== phase)
    throw new ProtocolViolationError('session', `session is in phase ${s.phase}, expected ${phase}`);
  if (s.coordinator !== sender)
    throw new ProtocolViolationError('sender', 'not the coordinator of this session');
  const g = state.groups[s.group];
  if (
    g === undefined ||
    g.phase !== 'complete' ||
    g.keyPackage === undefined ||
    g.publicKeyPackage === undefined
  ) {
    throw new ProtocolViolationError('group', 'group of this session is not complete');
  }
  return { s, g, keyPackage: g.keyPackage, publicKeyPackage: g.publicKeyPackage };
}

function onSignRound2(
  state: ParticipantState,
  sender: Xid,
  body: MessageBody<'signRound2'>,
  ctx: ResolvedStepContext,
): StepResult {
  const { s, g, keyPackage, publicKeyPackage } = activeSession(state, body.session, sender, 'committed');
  if (s.expiry !== undefined && ctx.now > s.expiry)
    throw new ProtocolViolationError('expiry', `the session lapsed at ${s.expiry} ms`);
  const coordinator = coordinatorOf(state, sender);
  const byXid = memberMap(g.members);
  assertUniqueXids(
    body.commitments.map((c) => c.participant),
    'commitments',
  );
  if (body.commitments.length < g.minSigners || body.commitments.length > g.members.length) {
    throw new ProtocolViolationError(
      'commitments',
      `expected ${g.minSigners}..${g.members.length} signers, got ${body.commitments.length}`,
    );
  }
  const list: SigningCommitments[] = body.commitments.map((c) => {
    const m = byXid.get(c.participant);
    if (m === undefined)
      throw new ProtocolViolationError('commitments', `unknown participant ${c.participant}`);
    return { identifier: m.identifier, hiding: c.hiding, binding: c.binding };
  });
  const mine = body.commitments.find((c) => c.participant === state.identity.xid);
  if (mine === undefined) throw new ProtocolViolationError('commitments', 'this participant is not a signer');
  if (
    s.commitments === undefined ||
    !equalBytes(mine.hiding, s.commitments.hiding) ||
    !equalBytes(mine.binding, s.commitments.binding)
  ) {
    throw new ProtocolViolationError('commitments', "this participant's commitments were altered");
  }
  const b = behaviourOf(ctx);
  if (b.kind === 'reject') {
    const outbound = abortReply(
      state,
      coordinator,
      body.responseArid,
      s.session,
      'signRound2',
      b.reason,
      [],
      ctx,
    );
    const next: SignSessionState = { ...s, phase: 'aborted', reason: b.reason, nonces: undefined };
    return {
      kind: 'rejected',
      inbound: 'signRound2',
      reason: b.reason,
      outbound,
      state: withSession(state, next),
    };
  }
  if (s.nonces === undefined || s.digest === undefined)
    throw new ProtocolViolationError('session', 'nonces already used');
  // signShare zeroes the nonces it is given: hand it a copy so the old state stays intact.
  const nonces = { hiding: s.nonces.hiding.slice(), binding: s.nonces.binding.slice() };
  const share = signShare(keyPackage, publicKeyPackage, nonces, list, s.digest);
  const listenArid = newAridUr(ctx.rng);
  const out: MessageBody<'signRound2Response'> = {
    session: s.session,
    participant: state.identity.xid,
    signatureShare: b.kind === 'badShare' ? flipped(share) : share,
    responseArid: listenArid,
  };
  const outbound = reply(state, coordinator, body.responseArid, 'signRound2Response', out, ctx, {
    ...out,
    signatureShare: truncated(share),
  });
  const next: SignSessionState = {
    ...s,
    phase: 'signed',
    nonces: undefined,
    listenArid,
    signers: body.commitments.map((c) => c.participant),
  };
  return { kind: 'reply', inbound: 'signRound2', outbound, state: withSession(state, next) };
}

function onSignFinalize(state: ParticipantState, sender: Xid, body: MessageBody<'signFinalize'>): StepResult {
  const { s, publicKeyPackage } = activeSession(state, body.session, sender, 'signed');
  if (s.digest === undefined || !verify(body.signature, s.digest, groupVerifyingKey(publicKeyPackage))) {
    throw new ProtocolViolationError('signature', 'does not verify under the group key');
  }
  const next: SignSessionState = {
    ...s,
    phase: 'complete',
    signature: body.signature,
    listenArid: undefined,
  };
  return { kind: 'completed', inbound: 'signFinalize', state: withSession(state, next) };
}
