/**
 * Whole flows for demos, scenarios and benchmarks: a DKG (invite → round1 → round2 → finalize) and
 * a signing session (invite → round1 → round2), each command run through {@link FrostCoordinator}.
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

/** Result of {@link runSignFlow}. */
export interface SignFlowResult {
  readonly ok: boolean;
  /** 64-byte Ed25519 signature over SHA-256(target) (ok only). */
  readonly signature?: Uint8Array;
  readonly failure?: StepFailure & { readonly round: RoundName };
  readonly invite: InviteResult<SignSession>;
  readonly round1?: RoundResult<SignSession, SignRound1Accepted>;
  readonly round2?: SignRound2Result;
  readonly timings: readonly CommandTiming[];
  readonly elapsedMs: number;
}

/** Options of {@link runSignFlow}. */
export interface SignFlowOptions extends StartSigningOptions {
  /** Proceed after minSigners commitments (fanOut quorum early exit). */
  readonly quorumExit?: boolean;
  /** Called once the invitations are stored. */
  readonly onInvited?: (session: SignSession) => void;
  readonly signal?: AbortSignal;
}

/**
 * Run a signing session end to end. Never throws for participant misbehaviour.
 * @throws CoordinatorInputError for unknown or too few invitees.
 */
export async function runSignFlow(
  coordinator: FrostCoordinator,
  options: SignFlowOptions,
): Promise<SignFlowResult> {
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
  const invite = await timed('sign invite', () =>
    coordinator.signInvite(options, { ...call, quorumExit: options.quorumExit === true }),
  );
  const base = { invite, timings };
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
