/**
 * The coordinator commands of frost-hubert-rust v0.1.0 over a Hubert KvStore:
 *
 * | command                    | collects (parallel gets)   | sends (parallel puts)        |
 * |----------------------------|----------------------------|------------------------------|
 * | `dkg coordinator invite`   | –                          | dkgInvite × n                |
 * | `dkg coordinator round1`   | dkgRound1Response × n      | dkgRound2 × n                |
 * | `dkg coordinator round2`   | dkgRound2Response × n      | dkgFinalize × n              |
 * | `dkg coordinator finalize` | dkgFinalizeResponse × n    | –                            |
 * | `sign coordinator invite`  | –                          | signInvite × invitees        |
 * | `sign coordinator round1`  | signRound1Response         | signRound2 × minSigners      |
 * | `sign coordinator round2`  | signRound2Response × t     | signFinalize × t             |
 *
 * DKG waits for every participant (upstream). Sign round 1 with `quorumExit` stops as soon as
 * `minSigners` commitments checked out (fanOut quorum early exit, our extension) and fixes that
 * signer set, in arrival order, for round 2; without it, it waits for every invitee and still takes
 * the first `minSigners` to arrive.
 *
 * Each method returns a result object; nothing throws for a participant's misbehaviour (it is
 * reported against that participant). Methods throw only for the caller's own bad input
 * (CoordinatorInputError, RoundSequenceError, RoundOptionError).
 */
import {
  checkDkgFinalizeResponse,
  checkDkgRound1Response,
  checkDkgRound2Response,
  checkSignRound1Response,
  checkSignRound2Response,
  dkgFinalizeRequests,
  dkgRound2Requests,
  finishDkg,
  finishSigning,
  signRound2Requests,
  startDkg,
  startSigning,
  type CoordinatorContext,
  type DkgRound1Accepted,
  type DkgRound2Accepted,
  type DkgSession,
  type GroupRecord,
  type SignRound1Accepted,
  type SignRound2Accepted,
  type SignSession,
  type StartDkgOptions,
  type StartSigningOptions,
} from './coordinator.js';
import type { PublicKeyPackage } from './ciphersuite.js';
import { RoundSequenceError } from './errors.js';
import type { Identity, Xid } from './identity.js';
import type { Outbound } from './participant.js';
import type { Rng } from './rng.js';
import {
  collectResponsesOver,
  resolveRoundOptions,
  sendRequests,
  sendRequestsProceeding,
  type PhaseReport,
  type PhaseTarget,
  type ResolvedRoundOptions,
  type RoundOptions,
} from './rounds.js';

/** Options of {@link FrostCoordinator}: the round options plus the coordinator's identity and randomness. */
export interface FrostCoordinatorOptions extends RoundOptions {
  /** The coordinator's identity (seals requests, opens responses). */
  readonly identity: Identity;
  /** Randomness for ARIDs, session ids and sealing. */
  readonly rng: Rng;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts this call's in-flight work (in addition to the coordinator's own signal). */
  readonly signal?: AbortSignal;
}

/** Why a step could not go on. */
export interface StepFailure {
  readonly ok: false;
  readonly reason: string;
  /** Participants whose contribution is missing (no success). */
  readonly missing: readonly Xid[];
  /** Participants blamed: errors (forged, malformed, bad shares) and anyone accused in an abort. */
  readonly blamed: readonly Xid[];
  /** The round's signal fired (Ctrl-C). */
  readonly aborted: boolean;
}

/** Result of an invite command. */
export type InviteResult<S> =
  | {
      readonly ok: true;
      readonly session: S;
      /** The send report; with quorum exit taken once minSigners were stored (the rest `pending`). */
      readonly sent: PhaseReport<string>;
      /** Quorum exit only: the final report once every invitation put has ended. */
      readonly delivery?: Promise<PhaseReport<string>>;
    }
  | (StepFailure & {
      readonly session: S;
      readonly sent: PhaseReport<string>;
      readonly delivery?: Promise<PhaseReport<string>>;
    });

/** Result of a collect-then-send command. */
export type RoundResult<S, T> =
  | {
      readonly ok: true;
      readonly session: S;
      readonly collected: PhaseReport<T>;
      readonly sent: PhaseReport<string>;
    }
  | (StepFailure & { readonly collected: PhaseReport<T>; readonly sent?: PhaseReport<string> });

/** Result of `dkg coordinator finalize`. */
export type DkgFinalizeResult =
  | { readonly ok: true; readonly group: GroupRecord; readonly collected: PhaseReport<PublicKeyPackage> }
  | (StepFailure & {
      readonly collected: PhaseReport<PublicKeyPackage>;
      readonly reportedKeys?: Readonly<Record<Xid, Uint8Array>>;
    });

/** Result of `sign coordinator round2`. */
export type SignRound2Result =
  | {
      readonly ok: true;
      /** 64-byte Ed25519 signature over SHA-256(target), verified under the group key. */
      readonly signature: Uint8Array;
      readonly session: SignSession;
      readonly collected: PhaseReport<SignRound2Accepted>;
      /** Delivery of the signFinalize events (best effort: the signature stands regardless). */
      readonly sent: PhaseReport<string>;
    }
  | (StepFailure & { readonly collected: PhaseReport<SignRound2Accepted> });

function failed(
  reason: string,
  missing: readonly Xid[],
  blamed: readonly Xid[],
  aborted: boolean,
): StepFailure {
  return { ok: false, reason: aborted ? `aborted: ${reason}` : reason, missing, blamed, aborted };
}

/** Participants that did not succeed in a report (for "everyone must" steps). */
function notDelivered(report: PhaseReport<unknown>): Xid[] {
  return [...report.byParticipant.values()].filter((p) => p.status !== 'success').map((p) => p.xid);
}

/** `what`, followed by the distinct error messages of a send report (e.g. a backend's size limit). */
function withErrors(what: string, report: PhaseReport<unknown>): string {
  const messages = [...new Set(report.errors.map((e) => e.error.message))];
  return messages.length === 0 ? what : `${what}: ${messages.join('; ')}`;
}

function erroredIn(report: PhaseReport<unknown>): Xid[] {
  return report.errors.map((e) => e.xid);
}

function targetsOf(arids: Readonly<Record<Xid, string>>, order: readonly Xid[]): PhaseTarget[] {
  return order.map((xid) => ({ xid, arid: arids[xid]! }));
}

/**
 * The FROST coordinator over a Hubert KvStore (frost-hubert `dkg coordinator …` and `sign
 * coordinator …`). Sessions are plain immutable values returned by one command and passed to the next.
 */
export class FrostCoordinator {
  readonly identity: Identity;
  readonly options: ResolvedRoundOptions;
  readonly #rng: Rng;

  /** @throws RoundOptionError for a bad mode, timeout, retry interval, put attempts or TTL. */
  constructor(options: FrostCoordinatorOptions) {
    this.identity = options.identity;
    this.#rng = options.rng;
    this.options = resolveRoundOptions(options);
  }

  /** Message times are whole ms (the schemas require integers): a wall clock's reading is floored. */
  #ctx(): CoordinatorContext {
    return { coordinator: this.identity, now: Math.floor(this.options.clock.now()), rng: this.#rng };
  }

  #check(now: number) {
    return { coordinator: this.identity, now: Math.floor(now) };
  }

  #signal(call: CallOptions | undefined): AbortSignal | undefined {
    const a = this.options.signal;
    const b = call?.signal;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return AbortSignal.any([a, b]);
  }

  /**
   * `dkg coordinator invite`: start a DKG and put one sealed `dkgInvite` per participant.
   * Hand `session.inviteArids[xid]` to each participant out of band.
   * ok only when every invitation was stored.
   * @throws CoordinatorInputError for a bad threshold or participant list.
   */
  async dkgInvite(options: StartDkgOptions, call?: CallOptions): Promise<InviteResult<DkgSession>> {
    const { session, invites } = startDkg(options, this.#ctx());
    const sent = await sendRequests(this.options, 'dkg invite', invites, this.#signal(call));
    const missing = notDelivered(sent);
    if (missing.length > 0)
      return {
        ...failed(withErrors('could not store every invitation', sent), missing, [], sent.aborted),
        session,
        sent,
      };
    return { ok: true, session, sent };
  }

  /**
   * `dkg coordinator round1`: collect every part-1 package (checked as it arrives), then put a
   * `dkgRound2` at each participant's response ARID. Needs every participant.
   * @throws RoundSequenceError when `session` is not in phase 'invited'.
   */
  async dkgRound1(
    session: DkgSession,
    call?: CallOptions,
  ): Promise<RoundResult<DkgSession, DkgRound1Accepted>> {
    if (session.phase !== 'invited')
      throw new RoundSequenceError('session.phase', `expected 'invited', got '${session.phase}'`);
    const signal = this.#signal(call);
    const collected = await collectResponsesOver(
      this.options,
      'dkg round1',
      targetsOf(
        session.collectArids,
        session.members.map((m) => m.identity.xid),
      ),
      (xid, sealed, now) => checkDkgRound1Response(session, xid, sealed, this.#check(now)),
      { ...(signal === undefined ? {} : { signal }) },
    );
    return this.#thenSend(
      collected,
      dkgRound2Requests(session, collected, this.#ctx()),
      'dkg round1',
      signal,
    );
  }

  /**
   * `dkg coordinator round2`: collect every participant's sealed part-2 packages, then forward
   * them, tagged by sender, in a `dkgFinalize` to each participant. Needs every participant.
   * @throws RoundSequenceError when `session` is not in phase 'round2'.
   */
  async dkgRound2(
    session: DkgSession,
    call?: CallOptions,
  ): Promise<RoundResult<DkgSession, DkgRound2Accepted>> {
    if (session.phase !== 'round2')
      throw new RoundSequenceError('session.phase', `expected 'round2', got '${session.phase}'`);
    const signal = this.#signal(call);
    const collected = await collectResponsesOver(
      this.options,
      'dkg round2',
      targetsOf(
        session.collectArids,
        session.members.map((m) => m.identity.xid),
      ),
      (xid, sealed, now) => checkDkgRound2Response(session, xid, sealed, this.#check(now)),
      { ...(signal === undefined ? {} : { signal }) },
    );
    return this.#thenSend(
      collected,
      dkgFinalizeRequests(session, collected, this.#ctx()),
      'dkg round2',
      signal,
    );
  }

  /**
   * `dkg coordinator finalize`: collect every participant's public key package and check they
   * all agree (and match the package implied by the round-1 commitments).
   * @throws RoundSequenceError when `session` is not in phase 'finalize'.
   */
  async dkgFinalize(session: DkgSession, call?: CallOptions): Promise<DkgFinalizeResult> {
    if (session.phase !== 'finalize')
      throw new RoundSequenceError('session.phase', `expected 'finalize', got '${session.phase}'`);
    const signal = this.#signal(call);
    const collected = await collectResponsesOver(
      this.options,
      'dkg finalize',
      targetsOf(
        session.collectArids,
        session.members.map((m) => m.identity.xid),
      ),
      (xid, sealed, now) => checkDkgFinalizeResponse(session, xid, sealed, this.#check(now)),
      { ...(signal === undefined ? {} : { signal }) },
    );
    const result = finishDkg(session, collected);
    if (result.ok) return { ok: true, group: result.group, collected };
    return {
      ...failed(result.reason, result.missing, result.blamed, collected.aborted),
      collected,
      ...(result.reportedKeys === undefined ? {} : { reportedKeys: result.reportedKeys }),
    };
  }

  /**
   * `sign coordinator invite`: start a signing session and put one sealed `signInvite` per
   * invitee. ok when at least minSigners invitations were stored.
   *
   * With `quorumExit` it returns as soon as minSigners invitations are stored: the other puts are
   * not cancelled but go on in the background (`delivery` resolves with their final report), so an
   * invitee whose Hubert ARIDs are slow neither holds up the session nor is left out (it may still
   * commit in round 1). Without it, it waits for every put (upstream).
   * @throws CoordinatorInputError for unknown or too few invitees.
   */
  async signInvite(
    options: StartSigningOptions,
    call?: CallOptions & { readonly quorumExit?: boolean },
  ): Promise<InviteResult<SignSession>> {
    const { session, invites } = startSigning(options, this.#ctx());
    const need = session.group.minSigners;
    let sent: PhaseReport<string>;
    let delivery: Promise<PhaseReport<string>> | undefined;
    if (call?.quorumExit === true) {
      ({ sent, delivery } = await sendRequestsProceeding(
        this.options,
        'sign invite',
        invites,
        need,
        this.#signal(call),
      ));
    } else {
      sent = await sendRequests(this.options, 'sign invite', invites, this.#signal(call));
    }
    const extra = delivery === undefined ? {} : { delivery };
    if (sent.successes.length < need)
      return {
        ...failed(
          withErrors(
            `only ${sent.successes.length} of ${invites.length} invitations stored, need ${need}`,
            sent,
          ),
          notDelivered(sent),
          [],
          sent.aborted,
        ),
        session,
        sent,
        ...extra,
      };
    return { ok: true, session, sent, ...extra };
  }

  /**
   * `sign coordinator round1`: collect commitments; with `quorumExit`, stop once minSigners
   * checked out (the others are cancelled). The first minSigners to arrive become the fixed
   * signer set; each gets a `signRound2` with all their commitments.
   * @throws RoundSequenceError when `session` is not in phase 'invited'.
   */
  async signRound1(
    session: SignSession,
    options: CallOptions & { readonly quorumExit?: boolean } = {},
  ): Promise<RoundResult<SignSession, SignRound1Accepted>> {
    if (session.phase !== 'invited')
      throw new RoundSequenceError('session.phase', `expected 'invited', got '${session.phase}'`);
    const signal = this.#signal(options);
    const collected = await collectResponsesOver(
      this.options,
      'sign round1',
      targetsOf(
        session.collectArids,
        session.invitees.map((m) => m.identity.xid),
      ),
      (xid, sealed, now) => checkSignRound1Response(session, xid, sealed, this.#check(now)),
      {
        ...(options.quorumExit === true ? { quorum: session.group.minSigners } : {}),
        ...(signal === undefined ? {} : { signal }),
      },
    );
    if (collected.aborted && collected.successes.length < session.group.minSigners) {
      return {
        ...failed('sign round 1 aborted', notDelivered(collected), erroredIn(collected), true),
        collected,
      };
    }
    return this.#thenSend(
      collected,
      signRound2Requests(session, collected, this.#ctx()),
      'sign round1',
      signal,
    );
  }

  /**
   * `sign coordinator round2`: collect a verified share from every signer of the fixed set,
   * aggregate, verify with plain Ed25519, and put a `signFinalize` event for each signer.
   * @throws RoundSequenceError when `session` is not in phase 'round2'.
   */
  async signRound2(session: SignSession, call?: CallOptions): Promise<SignRound2Result> {
    if (session.phase !== 'round2' || session.signers === undefined)
      throw new RoundSequenceError('session.phase', `expected 'round2', got '${session.phase}'`);
    const signal = this.#signal(call);
    const collected = await collectResponsesOver(
      this.options,
      'sign round2',
      targetsOf(
        session.collectArids,
        session.signers.map((m) => m.identity.xid),
      ),
      (xid, sealed, now) => checkSignRound2Response(session, xid, sealed, this.#check(now)),
      { ...(signal === undefined ? {} : { signal }) },
    );
    const result = finishSigning(session, collected, this.#ctx());
    if (!result.ok)
      return { ...failed(result.reason, result.missing, result.blamed, collected.aborted), collected };
    const sent = await sendRequests(this.options, 'sign round2', result.finalize, signal);
    return { ok: true, signature: result.signature, session: result.session, collected, sent };
  }

  async #thenSend<S, T>(
    collected: PhaseReport<T>,
    step:
      | { readonly ok: true; readonly session: S; readonly requests: Outbound[] }
      | {
          readonly ok: false;
          readonly reason: string;
          readonly missing: readonly Xid[];
          readonly blamed: readonly Xid[];
        },
    round: 'dkg round1' | 'dkg round2' | 'sign round1',
    signal: AbortSignal | undefined,
  ): Promise<RoundResult<S, T>> {
    if (!step.ok) return { ...failed(step.reason, step.missing, step.blamed, collected.aborted), collected };
    const sent = await sendRequests(this.options, round, step.requests, signal);
    const missing = notDelivered(sent);
    if (missing.length > 0)
      return {
        ...failed(withErrors('could not store every request', sent), missing, [], sent.aborted),
        collected,
        sent,
      };
    return { ok: true, session: step.session, collected, sent };
  }
}
