/**
 * The coordinator side of FROST over Hubert as pure functions (no I/O): build the requests of each
 * round, check each participant's response on its own (so the caller can run the gets in parallel,
 * e.g. with @fanout/core `fanOut`, and check every response as it arrives), collect the checked
 * responses into `{successes, rejections, errors, timeouts}` (frost-hubert-rust src/cmd/parallel.rs
 * `CollectionResult`), and compute the next round.
 *
 * Rules: every bad, forged or late response is attributed to the participant whose collection ARID
 * it was read from — a check never throws, and one bad response never sinks the whole round's
 * bookkeeping. DKG needs every participant (upstream). Signing (our extension, see
 * shared/reference/hubert-frost.md) may proceed once `minSigners` commitments arrived: the first
 * `minSigners` commitments, in the order given, become the fixed signer set of round 2.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  aggregate,
  expectedPublicKeyPackage,
  groupVerifyingKey,
  verify,
  verifyDkgRound1Package,
  verifyShare,
  type DkgRound1Package,
  type PublicKeyPackage,
  type SigningCommitments,
} from './ciphersuite.js';
import {
  AggregationError,
  CoordinatorInputError,
  InvalidShareError,
  MalformedMessageError,
  ProtocolViolationError,
} from './errors.js';
import {
  assertPublicIdentity,
  membersOf,
  type Identity,
  type Member,
  type PublicIdentity,
  type Xid,
} from './identity.js';
import { openTyped, sealTyped, type MessageBody, type MessageType } from './messages.js';
import type { Outbound } from './participant.js';
import type { Rng } from './rng.js';
import { peekRecipient } from './sealed.js';
import { newAridUr } from './ur.js';
import {
  isValidPoint,
  memberMap,
  publicKeyPackageFromWire,
  round1FromWire,
  round1ToWire,
  samePublicKeyPackage,
} from './wire.js';

/** Default lifetime of a DKG invitation or signing session, ms (frost-hubert: 1 hour). */
export const SESSION_VALIDITY_MS = 3_600_000;

/** What the coordinator needs for building requests. */
export interface CoordinatorContext {
  readonly coordinator: Identity;
  /** Clock time, ms. */
  readonly now: number;
  readonly rng: Rng;
}

/** What the coordinator needs for checking responses. */
export interface CheckContext {
  readonly coordinator: Identity;
  /** Clock time, ms. */
  readonly now: number;
}

/** The verdict on one participant's response. */
export type ResponseCheck<T> =
  | { readonly kind: 'success'; readonly value: T }
  | { readonly kind: 'rejected'; readonly reason: string; readonly accused: readonly Xid[] }
  | { readonly kind: 'error'; readonly error: Error };

/** One participant's slot in a round, as the caller observed it. */
export type ResponseInput<T> =
  | { readonly xid: Xid; readonly check: ResponseCheck<T> }
  | { readonly xid: Xid; readonly timedOut: true }
  /** The get itself failed (transport error, nothing found). */
  | { readonly xid: Xid; readonly error: unknown };

/** frost-hubert parallel.rs `CollectionResult`, in input order. */
export interface CollectionResult<T> {
  readonly successes: readonly { readonly xid: Xid; readonly value: T }[];
  readonly rejections: readonly {
    readonly xid: Xid;
    readonly reason: string;
    readonly accused: readonly Xid[];
  }[];
  readonly errors: readonly { readonly xid: Xid; readonly error: Error }[];
  readonly timeouts: readonly Xid[];
}

/** Sort checked responses into a {@link CollectionResult}, keeping the input order in each list. */
export function collectResponses<T>(inputs: readonly ResponseInput<T>[]): CollectionResult<T> {
  const successes: { xid: Xid; value: T }[] = [];
  const rejections: { xid: Xid; reason: string; accused: readonly Xid[] }[] = [];
  const errors: { xid: Xid; error: Error }[] = [];
  const timeouts: Xid[] = [];
  for (const input of inputs) {
    if ('timedOut' in input) timeouts.push(input.xid);
    else if ('check' in input) {
      const c = input.check;
      if (c.kind === 'success') successes.push({ xid: input.xid, value: c.value });
      else if (c.kind === 'rejected')
        rejections.push({ xid: input.xid, reason: c.reason, accused: c.accused });
      else errors.push({ xid: input.xid, error: c.error });
    } else {
      errors.push({
        xid: input.xid,
        error: input.error instanceof Error ? input.error : new Error(String(input.error)),
      });
    }
  }
  return { successes, rejections, errors, timeouts };
}

/** Participants of `members` that are not among the successes (for "everyone must answer" rounds). */
function missingFrom<T>(members: readonly Member[], c: CollectionResult<T>): Xid[] {
  const ok = new Set(c.successes.map((s) => s.xid));
  return members.map((m) => m.identity.xid).filter((x) => !ok.has(x));
}

function guard<T>(fn: () => ResponseCheck<T>): ResponseCheck<T> {
  try {
    return fn();
  } catch (e) {
    return { kind: 'error', error: e instanceof Error ? e : new Error(String(e)) };
  }
}

function outbound<T extends MessageType>(
  ctx: CoordinatorContext,
  to: PublicIdentity,
  arid: string,
  type: T,
  body: MessageBody<T>,
): Outbound {
  return {
    to: to.xid,
    arid,
    type,
    sealed: sealTyped(type, body, { sender: ctx.coordinator, recipient: to, now: ctx.now, rng: ctx.rng }),
  };
}

function sendersOf(members: readonly Member[]): Map<Xid, PublicIdentity> {
  return new Map(members.map((m) => [m.identity.xid, m.identity]));
}

function memberOrThrow(members: readonly Member[], xid: Xid): Member {
  const m = members.find((x) => x.identity.xid === xid);
  if (m === undefined) throw new CoordinatorInputError('xid', `${xid} is not a participant`);
  return m;
}

// ---------------------------------------------------------------------------------------- DKG

/** The coordinator's record of a DKG in progress. Treat as immutable. */
export interface DkgSession {
  readonly group: string;
  readonly minSigners: number;
  readonly charter: string;
  /** ms, clock time. */
  readonly expiry: number;
  /** Participants in XID order with their FROST identifiers. */
  readonly members: readonly Member[];
  readonly phase: 'invited' | 'round2' | 'finalize';
  /** Where each participant's invitation was written (hand these ARIDs to the participants). */
  readonly inviteArids: Readonly<Record<Xid, string>>;
  /** Where to read each participant's response to the current phase's request. */
  readonly collectArids: Readonly<Record<Xid, string>>;
  /** Part-1 packages by XID, once round 1 is collected. */
  readonly round1?: Readonly<Record<Xid, DkgRound1Package>>;
  /** The public key package implied by the part-1 packages (computed once, for finalize checks). */
  readonly expectedPublicKeyPackage?: PublicKeyPackage;
}

/** Options of {@link startDkg}. */
export interface StartDkgOptions {
  readonly participants: readonly PublicIdentity[];
  readonly minSigners: number;
  readonly charter: string;
  /** Invitation lifetime, ms. Default {@link SESSION_VALIDITY_MS}. */
  readonly validityMs?: number;
}

/**
 * frost-hubert `dkg coordinator invite`: a group ARID, one invitation ARID and one collection ARID
 * per participant (all from `ctx.rng`), and one sealed `dkgInvite` per participant.
 * @throws CoordinatorInputError('minSigners' | 'participants') on a bad threshold, fewer than 2,
 *   duplicate or inconsistent identities (thrown: these are the caller's own inputs).
 */
export function startDkg(
  options: StartDkgOptions,
  ctx: CoordinatorContext,
): { session: DkgSession; invites: Outbound[] } {
  const n = options.participants.length;
  if (n < 2) throw new CoordinatorInputError('participants', 'need at least 2 participants');
  if (!Number.isSafeInteger(options.minSigners) || options.minSigners < 2 || options.minSigners > n) {
    throw new CoordinatorInputError('minSigners', `must be an integer in 2..${n}, got ${options.minSigners}`);
  }
  let members: Member[];
  try {
    options.participants.forEach((p, i) => assertPublicIdentity(p, `participants.${i}`));
    members = membersOf(options.participants);
  } catch (e) {
    throw new CoordinatorInputError('participants', (e as Error).message);
  }
  const group = newAridUr(ctx.rng);
  const expiry = ctx.now + (options.validityMs ?? SESSION_VALIDITY_MS);
  const inviteArids: Record<Xid, string> = {};
  const collectArids: Record<Xid, string> = {};
  for (const m of members) {
    inviteArids[m.identity.xid] = newAridUr(ctx.rng);
    collectArids[m.identity.xid] = newAridUr(ctx.rng);
  }
  const entries = members.map((m) => ({
    xid: m.identity.xid,
    signingPublicKey: m.identity.signingPublicKey,
    encryptionPublicKey: m.identity.encryptionPublicKey,
    binding: m.identity.binding,
  }));
  const invites = members.map((m) =>
    outbound(ctx, m.identity, inviteArids[m.identity.xid]!, 'dkgInvite', {
      group,
      minSigners: options.minSigners,
      charter: options.charter,
      expiry,
      participants: entries,
      responseArid: collectArids[m.identity.xid]!,
    }),
  );
  const session: DkgSession = {
    group,
    minSigners: options.minSigners,
    charter: options.charter,
    expiry,
    members,
    phase: 'invited',
    inviteArids,
    collectArids,
  };
  return { session, invites };
}

/** An accepted DKG invitation: the participant's part-1 package and where to send round 2. */
export interface DkgRound1Accepted {
  readonly round1Package: DkgRound1Package;
  readonly responseArid: string;
}

/**
 * Check the response read from `xid`'s round-1 collection ARID: `dkgRound1Response` (group,
 * participant, commitment count and proof of knowledge checked) or `dkgInviteReject`.
 * Never throws: forged/expired/malformed/invalid → `{kind: 'error'}`, attributed to `xid`.
 */
export function checkDkgRound1Response(
  session: DkgSession,
  xid: Xid,
  sealed: Uint8Array,
  ctx: CheckContext,
): ResponseCheck<DkgRound1Accepted> {
  return guard(() => {
    const m = memberOrThrow(session.members, xid);
    const msg = openTyped(
      sealed,
      { recipient: ctx.coordinator, now: ctx.now, senders: sendersOf(session.members), expectedSender: xid },
      ['dkgRound1Response', 'dkgInviteReject'],
    );
    if (msg.body.group !== session.group)
      throw new ProtocolViolationError('body.group', 'does not match this DKG');
    if (msg.type === 'dkgInviteReject') return { kind: 'rejected', reason: msg.body.reason, accused: [] };
    if (msg.body.participant !== xid)
      throw new ProtocolViolationError('body.participant', 'is not the sender');
    const pkg = round1FromWire(msg.body.round1Package, m.identifier);
    if (pkg.commitment.length !== session.minSigners) {
      throw new MalformedMessageError(
        'body.round1Package.commitment',
        `expected ${session.minSigners} commitments, got ${pkg.commitment.length}`,
      );
    }
    if (!verifyDkgRound1Package(pkg, session.minSigners)) {
      throw new InvalidShareError(
        xid,
        'proofOfKnowledge',
        'proof of knowledge or commitment does not verify',
      );
    }
    return { kind: 'success', value: { round1Package: pkg, responseArid: msg.body.responseArid } };
  });
}

/** Outcome of a step that needs every participant (or enough of them). */
export type RoundStep<S> =
  | { readonly ok: true; readonly session: S; readonly requests: Outbound[] }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly missing: readonly Xid[];
      readonly blamed: readonly Xid[];
    };

/** Everyone blamed by a collection: errors, and anyone accused in a rejection. */
function blamedBy<T>(c: CollectionResult<T>): Xid[] {
  const set = new Set<Xid>(c.errors.map((e) => e.xid));
  for (const r of c.rejections) for (const a of r.accused) set.add(a);
  return [...set];
}

/**
 * frost-hubert `dkg coordinator round1`: with every participant's part-1 package, send each one a
 * `dkgRound2` (all packages, a fresh collection ARID) at the ARID it asked for.
 * Fails (ok: false) unless every participant succeeded — DKG needs all of them.
 */
export function dkgRound2Requests(
  session: DkgSession,
  collection: CollectionResult<DkgRound1Accepted>,
  ctx: CoordinatorContext,
): RoundStep<DkgSession> {
  const missing = missingFrom(session.members, collection);
  if (missing.length > 0)
    return {
      ok: false,
      reason: 'DKG round 1 needs every participant',
      missing,
      blamed: blamedBy(collection),
    };
  const accepted = new Map(collection.successes.map((s) => [s.xid, s.value]));
  const round1: Record<Xid, DkgRound1Package> = {};
  for (const m of session.members) round1[m.identity.xid] = accepted.get(m.identity.xid)!.round1Package;
  const packages = session.members.map((m) => ({
    participant: m.identity.xid,
    package: round1ToWire(round1[m.identity.xid]!),
  }));
  const collectArids: Record<Xid, string> = {};
  const requests = session.members.map((m) => {
    const collect = newAridUr(ctx.rng);
    collectArids[m.identity.xid] = collect;
    return outbound(ctx, m.identity, accepted.get(m.identity.xid)!.responseArid, 'dkgRound2', {
      group: session.group,
      responseArid: collect,
      round1Packages: packages,
    });
  });
  return { ok: true, session: { ...session, phase: 'round2', collectArids, round1 }, requests };
}

/** A participant's part-2 output: sealed shares by recipient, and where to send finalize. */
export interface DkgRound2Accepted {
  readonly packages: readonly { readonly recipient: Xid; readonly sealed: Uint8Array }[];
  readonly responseArid: string;
}

/**
 * Check the response read from `xid`'s round-2 collection ARID: `dkgRound2Response` with exactly
 * one sealed package per other participant (each addressed, in clear, to its tagged recipient), or
 * `protocolAbort` (→ rejected, with the accused). The shares themselves are opaque to the
 * coordinator. Never throws.
 */
export function checkDkgRound2Response(
  session: DkgSession,
  xid: Xid,
  sealed: Uint8Array,
  ctx: CheckContext,
): ResponseCheck<DkgRound2Accepted> {
  return guard(() => {
    memberOrThrow(session.members, xid);
    const msg = openTyped(
      sealed,
      { recipient: ctx.coordinator, now: ctx.now, senders: sendersOf(session.members), expectedSender: xid },
      ['dkgRound2Response', 'protocolAbort'],
    );
    if (msg.type === 'protocolAbort') {
      if (msg.body.context !== session.group)
        throw new ProtocolViolationError('body.context', 'does not match this DKG');
      return { kind: 'rejected', reason: msg.body.reason, accused: msg.body.accused };
    }
    if (msg.body.group !== session.group)
      throw new ProtocolViolationError('body.group', 'does not match this DKG');
    if (msg.body.participant !== xid)
      throw new ProtocolViolationError('body.participant', 'is not the sender');
    const expected = new Set(session.members.map((m) => m.identity.xid).filter((x) => x !== xid));
    const seen = new Set<Xid>();
    msg.body.round2Packages.forEach((p, i) => {
      if (!expected.has(p.recipient) || seen.has(p.recipient)) {
        throw new ProtocolViolationError(
          `body.round2Packages.${i}.recipient`,
          `unexpected or duplicate recipient ${p.recipient}`,
        );
      }
      seen.add(p.recipient);
      if (peekRecipient(p.sealed) !== p.recipient) {
        throw new ProtocolViolationError(
          `body.round2Packages.${i}.sealed`,
          'is not addressed to its tagged recipient',
        );
      }
    });
    if (seen.size !== expected.size)
      throw new ProtocolViolationError('body.round2Packages', 'must hold one package per other participant');
    return {
      kind: 'success',
      value: { packages: msg.body.round2Packages, responseArid: msg.body.responseArid },
    };
  });
}

/**
 * frost-hubert `dkg coordinator round2`: forward to each participant the sealed part-2 packages
 * addressed to it, tagged by sender, in a `dkgFinalize`. Needs every participant.
 */
export function dkgFinalizeRequests(
  session: DkgSession,
  collection: CollectionResult<DkgRound2Accepted>,
  ctx: CoordinatorContext,
): RoundStep<DkgSession> {
  const missing = missingFrom(session.members, collection);
  if (missing.length > 0)
    return {
      ok: false,
      reason: 'DKG round 2 needs every participant',
      missing,
      blamed: blamedBy(collection),
    };
  const bySender = new Map(collection.successes.map((s) => [s.xid, s.value]));
  const collectArids: Record<Xid, string> = {};
  const requests = session.members.map((m) => {
    const forMe = session.members
      .filter((s) => s.identity.xid !== m.identity.xid)
      .map((s) => {
        const p = bySender.get(s.identity.xid)!.packages.find((x) => x.recipient === m.identity.xid)!;
        return { sender: s.identity.xid, sealed: p.sealed };
      });
    const collect = newAridUr(ctx.rng);
    collectArids[m.identity.xid] = collect;
    return outbound(ctx, m.identity, bySender.get(m.identity.xid)!.responseArid, 'dkgFinalize', {
      group: session.group,
      responseArid: collect,
      round2Packages: forMe,
    });
  });
  const expected =
    session.round1 === undefined
      ? undefined
      : expectedPublicKeyPackage(Object.values(session.round1), {
          minSigners: session.minSigners,
          maxSigners: session.members.length,
        });
  return {
    ok: true,
    session: {
      ...session,
      phase: 'finalize',
      collectArids,
      ...(expected === undefined ? {} : { expectedPublicKeyPackage: expected }),
    },
    requests,
  };
}

/**
 * Check the response read from `xid`'s finalize collection ARID: a `dkgFinalizeResponse` whose
 * public key package must equal the one implied by the round-1 packages (so a participant
 * reporting another group key is caught and blamed), or `protocolAbort`. Never throws.
 */
export function checkDkgFinalizeResponse(
  session: DkgSession,
  xid: Xid,
  sealed: Uint8Array,
  ctx: CheckContext,
): ResponseCheck<PublicKeyPackage> {
  return guard(() => {
    memberOrThrow(session.members, xid);
    const msg = openTyped(
      sealed,
      { recipient: ctx.coordinator, now: ctx.now, senders: sendersOf(session.members), expectedSender: xid },
      ['dkgFinalizeResponse', 'protocolAbort'],
    );
    if (msg.type === 'protocolAbort') {
      if (msg.body.context !== session.group)
        throw new ProtocolViolationError('body.context', 'does not match this DKG');
      return { kind: 'rejected', reason: msg.body.reason, accused: msg.body.accused };
    }
    if (msg.body.group !== session.group)
      throw new ProtocolViolationError('body.group', 'does not match this DKG');
    if (msg.body.participant !== xid)
      throw new ProtocolViolationError('body.participant', 'is not the sender');
    const reported = publicKeyPackageFromWire(
      msg.body.publicKeyPackage,
      session.members,
      'body.publicKeyPackage',
    );
    const expected = session.expectedPublicKeyPackage;
    if (expected !== undefined) {
      if (!samePublicKeyPackage(reported, expected)) {
        throw new InvalidShareError(
          xid,
          'publicKeyPackage',
          'does not match the package implied by the round-1 commitments',
        );
      }
    }
    return { kind: 'success', value: reported };
  });
}

/** A completed group, as the coordinator keeps it for signing. */
export interface GroupRecord {
  readonly group: string;
  readonly minSigners: number;
  readonly members: readonly Member[];
  readonly publicKeyPackage: PublicKeyPackage;
  /** 32-byte Ed25519 public key. */
  readonly groupVerifyingKey: Uint8Array;
}

/** Result of {@link finishDkg}. */
export type DkgResult =
  | { readonly ok: true; readonly group: GroupRecord }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly missing: readonly Xid[];
      readonly blamed: readonly Xid[];
      /** Group verifying key reported by each successful participant (when they disagree). */
      readonly reportedKeys?: Readonly<Record<Xid, Uint8Array>>;
    };

/**
 * frost-hubert `dkg coordinator finalize`: every participant must have reported, and all must
 * report the same group verifying key (and the same public key package).
 */
export function finishDkg(session: DkgSession, collection: CollectionResult<PublicKeyPackage>): DkgResult {
  const missing = missingFrom(session.members, collection);
  if (missing.length > 0)
    return {
      ok: false,
      reason: 'DKG finalize needs every participant',
      missing,
      blamed: blamedBy(collection),
    };
  const first = collection.successes[0]!.value;
  const key = groupVerifyingKey(first);
  const disagree = collection.successes
    .filter((s) => !samePublicKeyPackage(s.value, first))
    .map((s) => s.xid);
  if (disagree.length > 0) {
    return {
      ok: false,
      reason: 'participants report different group keys',
      missing: [],
      blamed: disagree,
      reportedKeys: Object.fromEntries(collection.successes.map((s) => [s.xid, groupVerifyingKey(s.value)])),
    };
  }
  return {
    ok: true,
    group: {
      group: session.group,
      minSigners: session.minSigners,
      members: session.members,
      publicKeyPackage: first,
      groupVerifyingKey: key,
    },
  };
}

// ------------------------------------------------------------------------------------ signing

/** The coordinator's record of a signing session. Treat as immutable. */
export interface SignSession {
  readonly session: string;
  readonly group: GroupRecord;
  readonly target: Uint8Array;
  /** SHA-256(target): the message FROST signs. */
  readonly digest: Uint8Array;
  /** ms, clock time. */
  readonly expiry: number;
  readonly phase: 'invited' | 'round2' | 'complete';
  /** Participants invited, in XID order. */
  readonly invitees: readonly Member[];
  readonly inviteArids: Readonly<Record<Xid, string>>;
  readonly collectArids: Readonly<Record<Xid, string>>;
  /** The fixed signer set of round 2 and their commitments (identifier-keyed, library form). */
  readonly signers?: readonly Member[];
  readonly commitments?: readonly SigningCommitments[];
}

/** Options of {@link startSigning}. */
export interface StartSigningOptions {
  readonly group: GroupRecord;
  /** The bytes to sign; FROST signs SHA-256(target). */
  readonly target: Uint8Array;
  /** Who to ask (default: every member). Must be at least minSigners members. */
  readonly invitees?: readonly Xid[];
  /** Session lifetime, ms. Default {@link SESSION_VALIDITY_MS}. */
  readonly validityMs?: number;
}

/**
 * frost-hubert `sign coordinator invite`: a session ARID, per-invitee invitation and commitment
 * collection ARIDs, and one sealed `signInvite` each.
 * @throws CoordinatorInputError('invitees') when they are unknown or fewer than minSigners.
 */
export function startSigning(
  options: StartSigningOptions,
  ctx: CoordinatorContext,
): { session: SignSession; invites: Outbound[] } {
  const { group } = options;
  const wanted = options.invitees ?? group.members.map((m) => m.identity.xid);
  const set = new Set(wanted);
  if (set.size !== wanted.length) throw new CoordinatorInputError('invitees', 'duplicate invitee');
  const byXid = memberMap(group.members);
  for (const x of wanted)
    if (!byXid.has(x)) throw new CoordinatorInputError('invitees', `${x} is not a member of the group`);
  const invitees = group.members.filter((m) => set.has(m.identity.xid));
  if (invitees.length < group.minSigners) {
    throw new CoordinatorInputError(
      'invitees',
      `need at least ${group.minSigners} invitees, got ${invitees.length}`,
    );
  }
  const session = newAridUr(ctx.rng);
  const expiry = ctx.now + (options.validityMs ?? SESSION_VALIDITY_MS);
  const inviteArids: Record<Xid, string> = {};
  const collectArids: Record<Xid, string> = {};
  for (const m of invitees) {
    inviteArids[m.identity.xid] = newAridUr(ctx.rng);
    collectArids[m.identity.xid] = newAridUr(ctx.rng);
  }
  const invites = invitees.map((m) =>
    outbound(ctx, m.identity, inviteArids[m.identity.xid]!, 'signInvite', {
      session,
      group: group.group,
      groupVerifyingKey: group.groupVerifyingKey,
      minSigners: group.minSigners,
      target: options.target,
      expiry,
      responseArid: collectArids[m.identity.xid]!,
    }),
  );
  return {
    session: {
      session,
      group,
      target: options.target,
      digest: sha256(options.target),
      expiry,
      phase: 'invited',
      invitees,
      inviteArids,
      collectArids,
    },
    invites,
  };
}

/** A participant's round-one commitments and where to send round 2. */
export interface SignRound1Accepted {
  readonly commitments: SigningCommitments;
  readonly responseArid: string;
}

/**
 * Check the response read from `xid`'s commitment collection ARID: `signRound1Response` (both
 * commitments valid points) or `signCommitReject`. Never throws.
 */
export function checkSignRound1Response(
  session: SignSession,
  xid: Xid,
  sealed: Uint8Array,
  ctx: CheckContext,
): ResponseCheck<SignRound1Accepted> {
  return guard(() => {
    const m = memberOrThrow(session.invitees, xid);
    const msg = openTyped(
      sealed,
      { recipient: ctx.coordinator, now: ctx.now, senders: sendersOf(session.invitees), expectedSender: xid },
      ['signRound1Response', 'signCommitReject'],
    );
    if (msg.body.session !== session.session)
      throw new ProtocolViolationError('body.session', 'does not match this session');
    if (msg.type === 'signCommitReject') return { kind: 'rejected', reason: msg.body.reason, accused: [] };
    if (msg.body.participant !== xid)
      throw new ProtocolViolationError('body.participant', 'is not the sender');
    const { hiding, binding } = msg.body.commitments;
    if (!isValidPoint(hiding))
      throw new MalformedMessageError('body.commitments.hiding', 'is not a valid Ed25519 point');
    if (!isValidPoint(binding))
      throw new MalformedMessageError('body.commitments.binding', 'is not a valid Ed25519 point');
    return {
      kind: 'success',
      value: {
        commitments: { identifier: m.identifier, hiding, binding },
        responseArid: msg.body.responseArid,
      },
    };
  });
}

/**
 * frost-hubert `sign coordinator round1`, with our quorum extension: the first `minSigners`
 * successes (in collection order — pass them in arrival order) become the fixed signer set; each
 * gets a `signRound2` with all signers' commitments. Fails when fewer than minSigners committed.
 */
export function signRound2Requests(
  session: SignSession,
  collection: CollectionResult<SignRound1Accepted>,
  ctx: CoordinatorContext,
): RoundStep<SignSession> {
  const need = session.group.minSigners;
  if (collection.successes.length < need) {
    return {
      ok: false,
      reason: `need ${need} commitments, got ${collection.successes.length}`,
      missing: missingFrom(session.invitees, collection),
      blamed: blamedBy(collection),
    };
  }
  const chosen = collection.successes.slice(0, need);
  const byXid = memberMap(session.invitees);
  const signers = chosen.map((c) => byXid.get(c.xid)!);
  const commitments = chosen.map((c) => c.value.commitments);
  const wire = chosen.map((c) => ({
    participant: c.xid,
    hiding: c.value.commitments.hiding,
    binding: c.value.commitments.binding,
  }));
  const collectArids: Record<Xid, string> = {};
  const requests = chosen.map((c) => {
    const collect = newAridUr(ctx.rng);
    collectArids[c.xid] = collect;
    return outbound(ctx, byXid.get(c.xid)!.identity, c.value.responseArid, 'signRound2', {
      session: session.session,
      responseArid: collect,
      commitments: wire,
    });
  });
  return { ok: true, session: { ...session, phase: 'round2', signers, commitments, collectArids }, requests };
}

/** A signer's verified signature share and where to send the finalize event. */
export interface SignRound2Accepted {
  readonly share: Uint8Array;
  readonly responseArid: string;
}

/**
 * Check the response read from signer `xid`'s share collection ARID: `signRound2Response` whose
 * share passes RFC 9591 §5.4 verification (a bad share → InvalidShareError naming `xid`), or
 * `protocolAbort`. Never throws.
 */
export function checkSignRound2Response(
  session: SignSession,
  xid: Xid,
  sealed: Uint8Array,
  ctx: CheckContext,
): ResponseCheck<SignRound2Accepted> {
  return guard(() => {
    if (session.signers === undefined || session.commitments === undefined) {
      throw new CoordinatorInputError('session', 'round 2 has not been started');
    }
    const m = memberOrThrow(session.signers, xid);
    const msg = openTyped(
      sealed,
      { recipient: ctx.coordinator, now: ctx.now, senders: sendersOf(session.signers), expectedSender: xid },
      ['signRound2Response', 'protocolAbort'],
    );
    if (msg.type === 'protocolAbort') {
      if (msg.body.context !== session.session)
        throw new ProtocolViolationError('body.context', 'does not match this session');
      return { kind: 'rejected', reason: msg.body.reason, accused: msg.body.accused };
    }
    if (msg.body.session !== session.session)
      throw new ProtocolViolationError('body.session', 'does not match this session');
    if (msg.body.participant !== xid)
      throw new ProtocolViolationError('body.participant', 'is not the sender');
    const share = msg.body.signatureShare;
    if (
      !verifyShare(session.group.publicKeyPackage, session.commitments, session.digest, m.identifier, share)
    ) {
      throw new InvalidShareError(xid, 'signatureShare', 'fails RFC 9591 §5.4 verification');
    }
    return { kind: 'success', value: { share, responseArid: msg.body.responseArid } };
  });
}

/** Result of {@link finishSigning}. */
export type SignResult =
  | {
      readonly ok: true;
      readonly signature: Uint8Array;
      readonly session: SignSession;
      readonly finalize: Outbound[];
    }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly missing: readonly Xid[];
      readonly blamed: readonly Xid[];
    };

/**
 * frost-hubert `sign coordinator round2`: with a verified share from every signer of the fixed
 * set, aggregate (RFC 9591 §5.3), check the signature with plain Ed25519 over SHA-256(target),
 * and send each signer a `signFinalize` event.
 */
export function finishSigning(
  session: SignSession,
  collection: CollectionResult<SignRound2Accepted>,
  ctx: CoordinatorContext,
): SignResult {
  if (session.signers === undefined || session.commitments === undefined) {
    return { ok: false, reason: 'round 2 has not been started', missing: [], blamed: [] };
  }
  const missing = missingFrom(session.signers, collection);
  if (missing.length > 0) {
    return {
      ok: false,
      reason: 'every signer of the fixed set must return a valid share',
      missing,
      blamed: blamedBy(collection),
    };
  }
  const byXid = new Map(collection.successes.map((s) => [s.xid, s.value]));
  const shares: Record<string, Uint8Array> = {};
  for (const m of session.signers) shares[m.identifier] = byXid.get(m.identity.xid)!.share;
  let signature: Uint8Array;
  try {
    signature = aggregate(session.group.publicKeyPackage, session.commitments, session.digest, shares);
  } catch (e) {
    const cheaters = e instanceof AggregationError ? e.cheaters : [];
    const blamed = session.signers.filter((m) => cheaters.includes(m.identifier)).map((m) => m.identity.xid);
    return { ok: false, reason: `aggregation failed: ${(e as Error).message}`, missing: [], blamed };
  }
  if (!verify(signature, session.digest, session.group.groupVerifyingKey)) {
    return { ok: false, reason: 'aggregate signature does not verify with Ed25519', missing: [], blamed: [] };
  }
  const signerXids = session.signers.map((m) => m.identity.xid);
  const finalize = session.signers.map((m) =>
    outbound(ctx, m.identity, byXid.get(m.identity.xid)!.responseArid, 'signFinalize', {
      session: session.session,
      signature,
      signers: signerXids,
    }),
  );
  return { ok: true, signature, session: { ...session, phase: 'complete' }, finalize };
}

/** Plain Ed25519 check of a FROST result: `signature` over SHA-256(`target`) under `groupVerifyingKey`. */
export function verifyTargetSignature(
  signature: Uint8Array,
  target: Uint8Array,
  groupVerifyingKeyBytes: Uint8Array,
): boolean {
  return verify(signature, sha256(target), groupVerifyingKeyBytes);
}
