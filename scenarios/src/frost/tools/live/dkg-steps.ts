/**
 * `fanout frost dkg coordinator invite | round1 | round2 | finalize` (frost-hubert-rust v0.1.0
 * src/cmd/dkg/coordinator/*), each a separate process over a live Hubert server: invite creates
 * the session file, every later step reads it, runs its one fan-out through @fanout/frost's
 * {@link FrostCoordinator} and writes it back. DKG needs every participant at every round (upstream).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { PublicIdentity } from '@fanout/frost';
import { KeyFileError, ToolInputError } from '../errors.js';
import { decodeKeyFile, decodePublicIdentityFile } from '../key-file.js';
import type { SessionState } from '../session-file.js';
import { assertAbsent, readDecoded } from './io.js';
import { loadFor, runStep, type StepEnd, type StepFlags, type StepIO } from './step-runner.js';

/** Hubert's default URL (hubert-rust ServerConfig: 127.0.0.1:45678). */
export const DEFAULT_HUBERT_URL = 'http://127.0.0.1:45678';

/** Flags of `dkg coordinator invite`. */
export interface DkgInviteFlags extends StepFlags {
  /** The coordinator's key file (its identity). */
  readonly keyFile: string;
  /** The participants' public identity files (2..100). */
  readonly participants: readonly string[];
  readonly minSigners: number;
  readonly charter?: string;
}

function failure(
  r: { reason: string; missing: readonly string[]; blamed: readonly string[] },
  names: ReadonlyMap<string, string>,
) {
  const who = (xs: readonly string[]) => xs.map((x) => names.get(x) ?? x.slice(0, 8)).join(', ');
  return [
    ...(r.missing.length > 0 ? [`missing: ${who(r.missing)}`] : []),
    ...(r.blamed.length > 0 ? [`blamed: ${who(r.blamed)}`] : []),
  ];
}

function readParticipants(paths: readonly string[]): PublicIdentity[] {
  if (paths.length < 2) throw new ToolInputError('--participant', 'give at least 2 participants');
  const ids = paths.map((p) =>
    readDecoded(p, decodePublicIdentityFile, (f, k, d) => new KeyFileError(f, k, d)),
  );
  const seen = new Set<string>();
  for (const [i, p] of ids.entries()) {
    const name = p.name ?? p.xid;
    if (seen.has(name))
      throw new ToolInputError('--participant', `${paths[i]}: a second participant named ${name}`);
    seen.add(name);
  }
  return ids;
}

/**
 * `dkg coordinator invite`: a new session file at `flags.session` (never over an existing one)
 * and one sealed invitation per participant on Hubert.
 * @returns the exit code (0, 1, 130).
 * @throws ToolInputError (bad flags, the session file exists), KeyFileError (bad key or identity file),
 *   CoordinatorInputError (bad threshold).
 */
export async function dkgInvite(flags: DkgInviteFlags, io: StepIO): Promise<number> {
  assertAbsent(flags.session, '--session');
  const coordinator = readDecoded(
    flags.keyFile,
    decodeKeyFile,
    (f, k, d) => new KeyFileError(f, k, d),
  ).identity;
  const participants = readParticipants(flags.participants);
  const blank: SessionState = {
    hubert: flags.hubert ?? DEFAULT_HUBERT_URL,
    coordinator,
    participants,
    steps: [],
  };
  return runStep(
    'dkg invite',
    flags.session,
    blank,
    flags,
    io,
    async ({ coordinator: c, names }): Promise<StepEnd> => {
      const r = await c.dkgInvite({
        participants,
        minSigners: flags.minSigners,
        charter: flags.charter ?? 'fanout frost step-by-step DKG',
      });
      const dkg = { session: r.session, complete: false };
      const lines = r.session.members.map(
        (m) => `invitation for ${names.get(m.identity.xid)}: ${r.session.inviteArids[m.identity.xid]}`,
      );
      if (!r.ok)
        return { ok: false, reason: r.reason, reports: [r.sent], lines: [...lines, ...failure(r, names)] };
      return { ok: true, next: { ...blank, dkg }, reports: [r.sent], lines };
    },
  );
}

/**
 * `dkg coordinator round1`: collect every part-1 package, send each participant its `dkgRound2`.
 * @throws SessionFileError, StepOrderError.
 */
export async function dkgRound1(flags: StepFlags, io: StepIO): Promise<number> {
  const state = loadFor('dkg round1', flags.session, 'dkg invited');
  return runStep('dkg round1', flags.session, state, flags, io, async ({ coordinator, names }) => {
    const r = await coordinator.dkgRound1(state.dkg!.session);
    const reports = r.sent === undefined ? [r.collected] : [r.collected, r.sent];
    if (!r.ok) return { ok: false, reason: r.reason, reports, lines: failure(r, names) };
    return { ok: true, next: { ...state, dkg: { session: r.session, complete: false } }, reports, lines: [] };
  });
}

/**
 * `dkg coordinator round2`: collect every participant's sealed part-2 packages and forward them.
 * @throws SessionFileError, StepOrderError.
 */
export async function dkgRound2(flags: StepFlags, io: StepIO): Promise<number> {
  const state = loadFor('dkg round2', flags.session, 'dkg round2');
  return runStep('dkg round2', flags.session, state, flags, io, async ({ coordinator, names }) => {
    const r = await coordinator.dkgRound2(state.dkg!.session);
    const reports = r.sent === undefined ? [r.collected] : [r.collected, r.sent];
    if (!r.ok) return { ok: false, reason: r.reason, reports, lines: failure(r, names) };
    return { ok: true, next: { ...state, dkg: { session: r.session, complete: false } }, reports, lines: [] };
  });
}

/**
 * `dkg coordinator finalize`: collect every participant's public key package; all must agree.
 * The group (and its verifying key) goes into the session file, for `sign coordinator invite`.
 * @throws SessionFileError, StepOrderError.
 */
export async function dkgFinalize(flags: StepFlags, io: StepIO): Promise<number> {
  const state = loadFor('dkg finalize', flags.session, 'dkg finalize');
  return runStep('dkg finalize', flags.session, state, flags, io, async ({ coordinator, names }) => {
    const r = await coordinator.dkgFinalize(state.dkg!.session);
    if (!r.ok) return { ok: false, reason: r.reason, reports: [r.collected], lines: failure(r, names) };
    const next: SessionState = {
      ...state,
      dkg: { session: state.dkg!.session, complete: true },
      group: r.group,
    };
    return {
      ok: true,
      next,
      reports: [r.collected],
      lines: [`group verifying key: ${bytesToHex(r.group.groupVerifyingKey)}`],
    };
  });
}
