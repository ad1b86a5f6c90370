/**
 * Whole flows for demos, scenarios and benchmarks: a DKG (invite → round1 → round2 → finalize) and
 * signing (invite → round1 → round2, and a fresh session without the culprits when a round 2
 * fails), each command run through {@link FrostCoordinator}.
 * Between the invite and round 1 the caller hands the invitation ARIDs to the participants
 * (`onInvited`), as a person would pass them out of band in frost-hubert.
 */
import type {
  DkgSession,
  GroupRecord,
  SignSession,
  StartDkgOptions,
  StartSigningOptions,
} from './coordinator.js';
import type {
  DkgFinalizeResult,
  FrostCoordinator,
  InviteResult,
  RoundResult,
  SignRound2Result,
  StepFailure,
} from './frost-coordinator.js';
import type { DkgRound1Accepted, DkgRound2Accepted, SignRound1Accepted } from './coordinator.js';
import { RoundOptionError } from './errors.js';
import type { Xid } from './identity.js';
import type { RoundName } from './rounds.js';

/** Timing of one coordinator command, ms of clock time. */
export interface CommandTiming {
  readonly round: RoundName;
  readonly elapsedMs: number;
}

/** Result of {@link runDkgFlow}. */
export interface DkgFlowResult {
  readonly ok: boolean;
  readonly group?: GroupRecord;
  /** The first step that failed, when not ok. */
  readonly failure?: StepFailure & { readonly round: RoundName };
  readonly invite: InviteResult<DkgSession>;
  readonly round1?: RoundResult<DkgSession, DkgRound1Accepted>;
  readonly round2?: RoundResult<DkgSession, DkgRound2Accepted>;
  readonly finalize?: DkgFinalizeResult;
  readonly timings: readonly CommandTiming[];
  /** Clock time from the first put to the last check, ms. */
  readonly elapsedMs: number;
}

/** Options of {@link runDkgFlow}. */
export interface DkgFlowOptions extends StartDkgOptions {
  /** Called once the invitations are stored (hand `session.inviteArids` to the participants). */
  readonly onInvited?: (session: DkgSession) => void;
  readonly signal?: AbortSignal;
}

function failureOf(f: StepFailure, round: RoundName): StepFailure & { readonly round: RoundName } {
  return { ok: false, reason: f.reason, missing: f.missing, blamed: f.blamed, aborted: f.aborted, round };
}

function since(coordinator: FrostCoordinator, t0: number): number {
  return coordinator.options.clock.now() - t0;
}

/**
 * Run a DKG end to end. Never throws for participant misbehaviour: the first failing command is
 * reported in `failure` with the participants missing and blamed.
 * @throws CoordinatorInputError for a bad threshold or participant list.
 */
export async function runDkgFlow(
  coordinator: FrostCoordinator,
  options: DkgFlowOptions,
): Promise<DkgFlowResult> {
  const clock = coordinator.options.clock;
  const call = options.signal === undefined ? {} : { signal: options.signal };
  const timings: CommandTiming[] = [];
  const t0 = clock.now();
  const timed = async <R>(round: RoundName, fn: () => Promise<R>): Promise<R> => {
    const s = clock.now();
    const r = await fn();
    timings.push({ round, elapsedMs: clock.now() - s });
    return r;
  };
  const invite = await timed('dkg invite', () => coordinator.dkgInvite(options, call));
  const base = { invite, timings };
  if (!invite.ok)
    return {
      ...base,
      ok: false,
      failure: failureOf(invite, 'dkg invite'),
      elapsedMs: since(coordinator, t0),
    };
  options.onInvited?.(invite.session);
  const round1 = await timed('dkg round1', () => coordinator.dkgRound1(invite.session, call));
  if (!round1.ok)
    return {
      ...base,
      ok: false,
      round1,
      failure: failureOf(round1, 'dkg round1'),
      elapsedMs: since(coordinator, t0),
    };
  const round2 = await timed('dkg round2', () => coordinator.dkgRound2(round1.session, call));
  if (!round2.ok)
    return {
      ...base,
      ok: false,
      round1,
      round2,
      failure: failureOf(round2, 'dkg round2'),
      elapsedMs: since(coordinator, t0),
    };
  const finalize = await timed('dkg finalize', () => coordinator.dkgFinalize(round2.session, call));
  if (!finalize.ok)
    return {
      ...base,
      ok: false,
      round1,
      round2,
      finalize,
      failure: failureOf(finalize, 'dkg finalize'),
      elapsedMs: since(coordinator, t0),
    };
  return {
    ...base,
    ok: true,
    group: finalize.group,
    round1,
    round2,
    finalize,
    elapsedMs: since(coordinator, t0),
  };
}

/** One signing session of {@link runSignFlow} (invite → round 1 → round 2). */
export interface SignSessionRun {
  readonly ok: boolean;
  readonly signature?: Uint8Array;
  readonly failure?: StepFailure & { readonly round: RoundName };
  /** Who was invited to this session. */
  readonly invitees: readonly Xid[];
  readonly invite: InviteResult<SignSession>;
  readonly round1?: RoundResult<SignSession, SignRound1Accepted>;
  readonly round2?: SignRound2Result;
  readonly timings: readonly CommandTiming[];
  readonly elapsedMs: number;
}

/** Result of {@link runSignFlow}. `invite`, `round1`, `round2` and `failure` are the last session's. */
export interface SignFlowResult {
  readonly ok: boolean;
  /** 64-byte Ed25519 signature over SHA-256(target) (ok only). */
  readonly signature?: Uint8Array;
  readonly failure?: StepFailure & { readonly round: RoundName };
  readonly invite: InviteResult<SignSession>;
  readonly round1?: RoundResult<SignSession, SignRound1Accepted>;
  readonly round2?: SignRound2Result;
  /** Every session run, in order (one unless a round 2 failed and a fresh session was started). */
  readonly sessions: readonly SignSessionRun[];
  /** Everyone blamed in any session's failure (bad, forged or malformed shares). */
  readonly blamed: readonly Xid[];
  /** Every command of every session, in order. */
  readonly timings: readonly CommandTiming[];
  /** Clock time from the first invitation put to the end of the last session, ms. */
  readonly elapsedMs: number;
}

/** Options of {@link runSignFlow}. */
export interface SignFlowOptions extends StartSigningOptions {
  /** Proceed after minSigners commitments (fanOut quorum early exit). */
  readonly quorumExit?: boolean;
  /**
   * Signing sessions at most (integer ≥ 1). Default {@link DEFAULT_MAX_SIGN_SESSIONS}. When a
   * session's round 2 fails, a fresh session (new invitation, new ARIDs, fresh nonces) is started
   * without the signers it blamed or that did not deliver a share, as long as at least minSigners
   * invitees remain. 1 = upstream (one session, no retry).
   */
  readonly maxSessions?: number;
  /** Called once each session's invitations are stored. */
  readonly onInvited?: (session: SignSession) => void;
  readonly signal?: AbortSignal;
}

/**
 * Default signing sessions per {@link runSignFlow}: 3, enough to drop up to two bad signers
 * one session at a time (e.g. 5 participants, threshold 3).
 */
export const DEFAULT_MAX_SIGN_SESSIONS = 3;

async function signSession(
  coordinator: FrostCoordinator,
  options: SignFlowOptions,
  invitees: readonly Xid[],
): Promise<SignSessionRun> {
  const clock = coordinator.options.clock;
  const call = options.signal === undefined ? {} : { signal: options.signal };
  const timings: CommandTiming[] = [];
  const t0 = clock.now();
  const timed = async <R>(round: RoundName, fn: () => Promise<R>): Promise<R> => {
    const s = clock.now();
    const r = await fn();
    timings.push({ round, elapsedMs: clock.now() - s });
    return r;
  };
  const start: StartSigningOptions = {
    group: options.group,
    target: options.target,
    invitees,
    ...(options.validityMs === undefined ? {} : { validityMs: options.validityMs }),
  };
  const invite = await timed('sign invite', () =>
    coordinator.signInvite(start, { ...call, quorumExit: options.quorumExit === true }),
  );
  const base = { invitees, invite, timings };
  if (!invite.ok)
    return {
      ...base,
      ok: false,
      failure: failureOf(invite, 'sign invite'),
      elapsedMs: since(coordinator, t0),
    };
  options.onInvited?.(invite.session);
  const round1 = await timed('sign round1', () =>
    coordinator.signRound1(invite.session, { ...call, quorumExit: options.quorumExit === true }),
  );
  if (!round1.ok)
    return {
      ...base,
      ok: false,
      round1,
      failure: failureOf(round1, 'sign round1'),
      elapsedMs: since(coordinator, t0),
    };
  const round2 = await timed('sign round2', () => coordinator.signRound2(round1.session, call));
  if (!round2.ok)
    return {
      ...base,
      ok: false,
      round1,
      round2,
      failure: failureOf(round2, 'sign round2'),
      elapsedMs: since(coordinator, t0),
    };
  return {
    ...base,
    ok: true,
    signature: round2.signature,
    round1,
    round2,
    elapsedMs: since(coordinator, t0),
  };
}

/**
 * Run signing end to end: a session (invite → round 1 → round 2 → aggregate); when its round 2
 * fails, a fresh session without the signers it blamed or that did not deliver a share (and
 * without invitees whose commitments were forged or malformed), while at least minSigners
 * invitees remain and fewer than `maxSessions` ran. So a cheating signer costs a session but
 * cannot block a signature that enough honest participants can give. Never throws for
 * participant misbehaviour.
 * @throws CoordinatorInputError for unknown or too few invitees; RoundOptionError('maxSessions')
 *   when it is not an integer ≥ 1.
 */
export async function runSignFlow(
  coordinator: FrostCoordinator,
  options: SignFlowOptions,
): Promise<SignFlowResult> {
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SIGN_SESSIONS;
  if (!Number.isSafeInteger(maxSessions) || maxSessions < 1)
    throw new RoundOptionError('maxSessions', `must be an integer >= 1, got ${String(maxSessions)}`);
  const t0 = coordinator.options.clock.now();
  const need = options.group.minSigners;
  let invitees: readonly Xid[] = options.invitees ?? options.group.members.map((m) => m.identity.xid);
  const sessions: SignSessionRun[] = [];
  const blamed = new Set<Xid>();
  const drop = new Set<Xid>();
  for (;;) {
    const run = await signSession(coordinator, options, invitees);
    sessions.push(run);
    for (const x of run.failure?.blamed ?? []) blamed.add(x);
    const r2 = run.round2;
    if (run.ok || r2 === undefined || r2.ok || run.failure?.aborted === true) break;
    // Round 2 failed: drop its blamed signers and those that gave no share (timed out, refused),
    // and invitees whose commitment did not check out (forged, malformed, never found).
    for (const x of [...blamed, ...r2.missing, ...r2.blamed]) drop.add(x);
    for (const e of run.round1?.collected.errors ?? []) drop.add(e.xid);
    const next = invitees.filter((x) => !drop.has(x));
    if (sessions.length >= maxSessions || next.length < need || next.length === invitees.length) break;
    invitees = next;
  }
  const last = sessions[sessions.length - 1]!;
  return {
    ok: last.ok,
    ...(last.signature === undefined ? {} : { signature: last.signature }),
    ...(last.failure === undefined ? {} : { failure: last.failure }),
    invite: last.invite,
    ...(last.round1 === undefined ? {} : { round1: last.round1 }),
    ...(last.round2 === undefined ? {} : { round2: last.round2 }),
    sessions,
    blamed: [...blamed],
    timings: sessions.flatMap((x) => x.timings),
    elapsedMs: since(coordinator, t0),
  };
}
