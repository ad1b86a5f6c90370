/**
 * `fanout frost sign coordinator invite | round1 | round2` (frost-hubert-rust v0.1.0
 * src/cmd/sign/coordinator/*), each a separate process over a live Hubert server. invite reads the
 * finished DKG's session file (`--group`) and creates the signing session's own file; round1
 * collects commitments (with `--quorum-exit`: stops at min-signers, our extension) and fixes the
 * signer set; round2 collects the shares, aggregates, checks the signature with plain Ed25519 over
 * SHA-256(target) and sends each signer the signature.
 */
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { verifyTargetSignature, type Xid } from '@fanout/frost';
import { SessionFileError, ToolInputError } from '../errors.js';
import type { SessionState } from '../session-file.js';
import { assertAbsent } from './io.js';
import { loadFor, runStep, type StepEnd, type StepFlags, type StepIO } from './step-runner.js';

/** Flags of `sign coordinator invite`. */
export interface SignInviteFlags extends StepFlags {
  /** The session file of a finished DKG (its group). */
  readonly group: string;
  /** The text to sign (UTF-8); FROST signs its SHA-256. */
  readonly target: string;
  /** Pet names of the participants to ask (default: every member). */
  readonly invitees?: readonly string[];
  /** Proceed once min-signers invitations are stored (the rest go on in the background). */
  readonly quorumExit?: boolean;
}

/** Flags of `sign coordinator round1`. */
export interface SignRound1Flags extends StepFlags {
  /** Stop collecting once min-signers commitments checked out (the rest are cancelled). */
  readonly quorumExit?: boolean;
}

function who(names: ReadonlyMap<Xid, string>, xs: readonly Xid[]): string {
  return xs.map((x) => names.get(x) ?? x.slice(0, 8)).join(', ');
}

function failure(
  r: { reason: string; missing: readonly Xid[]; blamed: readonly Xid[] },
  names: ReadonlyMap<Xid, string>,
) {
  return [
    ...(r.missing.length > 0 ? [`missing: ${who(names, r.missing)}`] : []),
    ...(r.blamed.length > 0 ? [`blamed: ${who(names, r.blamed)}`] : []),
  ];
}

function inviteesOf(state: SessionState, wanted: readonly string[] | undefined): Xid[] | undefined {
  if (wanted === undefined || wanted.length === 0) return undefined;
  return wanted.map((name) => {
    const p = state.participants.find((x) => x.name === name || x.xid === name);
    if (p === undefined) throw new ToolInputError('--invitee', `no participant named ${name} in the group`);
    return p.xid;
  });
}

/**
 * `sign coordinator invite`: a new signing session file at `flags.session` for the group of the
 * finished DKG in `flags.group`, and one sealed invitation per invitee.
 * @returns the exit code (0, 1, 130).
 * @throws SessionFileError (bad group file), StepOrderError (its DKG did not finish),
 *   ToolInputError (unknown invitee, the session file exists), CoordinatorInputError (too few invitees).
 */
export async function signInvite(flags: SignInviteFlags, io: StepIO): Promise<number> {
  assertAbsent(flags.session, '--session');
  if (flags.group === flags.session) throw new ToolInputError('--session', 'must differ from --group');
  const dkg = loadFor('sign invite', flags.group, 'dkg complete');
  if (dkg.group === undefined) throw new SessionFileError(flags.group, 'group', 'missing');
  const base: SessionState = {
    hubert: flags.hubert ?? dkg.hubert,
    coordinator: dkg.coordinator,
    participants: dkg.participants,
    group: dkg.group,
    steps: [],
  };
  const invitees = inviteesOf(dkg, flags.invitees);
  return runStep(
    'sign invite',
    flags.session,
    base,
    flags,
    io,
    async ({ coordinator, names }): Promise<StepEnd> => {
      const r = await coordinator.signInvite(
        {
          group: dkg.group!,
          target: utf8ToBytes(flags.target),
          ...(invitees === undefined ? {} : { invitees }),
        },
        { quorumExit: flags.quorumExit === true },
      );
      const lines = r.session.invitees.map(
        (m) => `invitation for ${names.get(m.identity.xid)}: ${r.session.inviteArids[m.identity.xid]}`,
      );
      const after = r.delivery?.then(
        (d) => `background: ${d.successes.length} of ${r.session.invitees.length} invitations stored in all`,
      );
      if (!r.ok)
        return { ok: false, reason: r.reason, reports: [r.sent], lines: [...lines, ...failure(r, names)] };
      return {
        ok: true,
        next: { ...base, sign: { session: r.session } },
        reports: [r.sent],
        lines,
        ...(after === undefined ? {} : { after }),
      };
    },
  );
}

/**
 * `sign coordinator round1`: collect commitments, fix the signer set (the first min-signers to
 * arrive) and send each signer its `signRound2`.
 * @throws SessionFileError, StepOrderError.
 */
export async function signRound1(flags: SignRound1Flags, io: StepIO): Promise<number> {
  const state = loadFor('sign round1', flags.session, 'sign invited');
  return runStep('sign round1', flags.session, state, flags, io, async ({ coordinator, names }) => {
    const r = await coordinator.signRound1(state.sign!.session, { quorumExit: flags.quorumExit === true });
    const reports = r.sent === undefined ? [r.collected] : [r.collected, r.sent];
    if (!r.ok) return { ok: false, reason: r.reason, reports, lines: failure(r, names) };
    const signers = r.session.signers!.map((m) => m.identity.xid);
    return {
      ok: true,
      next: { ...state, sign: { session: r.session } },
      reports,
      lines: [`signers: ${who(names, signers)}`],
    };
  });
}

/**
 * `sign coordinator round2`: collect every signer's share, aggregate, verify with plain Ed25519
 * and send the signature to the signers. The signature goes into the session file.
 * @throws SessionFileError, StepOrderError.
 */
export async function signRound2(flags: StepFlags, io: StepIO): Promise<number> {
  const state = loadFor('sign round2', flags.session, 'sign round2');
  return runStep('sign round2', flags.session, state, flags, io, async ({ coordinator, names }) => {
    const r = await coordinator.signRound2(state.sign!.session);
    if (!r.ok) return { ok: false, reason: r.reason, reports: [r.collected], lines: failure(r, names) };
    const key = r.session.group.groupVerifyingKey;
    const verified = verifyTargetSignature(r.signature, r.session.target, key);
    return {
      ok: true,
      next: { ...state, sign: { session: r.session, signature: r.signature } },
      reports: [r.collected, r.sent],
      lines: [
        `group verifying key: ${bytesToHex(key)}`,
        `signature: ${bytesToHex(r.signature)}`,
        `ed25519.verify(signature, SHA-256(target), groupKey) = ${verified}`,
      ],
    };
  });
}
