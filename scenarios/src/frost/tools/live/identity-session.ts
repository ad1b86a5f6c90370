/**
 * Two small commands around the steps: `fanout frost identity` (a party's key file and the public
 * identity file it hands to the others) and `fanout frost session` (where a session file stands,
 * what to run next, and the invitation ARIDs to hand to the participants).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { createIdentity, newParticipant } from '@fanout/frost';
import { SessionFileError, ToolInputError } from '../errors.js';
import { encodeKeyFile, encodePublicIdentityFile } from '../key-file.js';
import { decodeSessionFile } from '../session-file.js';
import { assertAbsent, cryptoRng, readDecoded, writeAtomic } from './io.js';
import { nextStep, whereIs } from './step-runner.js';

/** Flags of `fanout frost identity`. */
export interface IdentityFlags {
  /** Pet name (shown on boards and in the coordinator's session). */
  readonly name: string;
  /** The key file to create (secret keys; mode 0600). */
  readonly out: string;
  /** The public identity file to create (default: `out` with `.key.json` → `.pub.json`). */
  readonly public?: string;
}

/** The public file's default path for a key file path. */
export function publicPathFor(out: string): string {
  return out.endsWith('.key.json') ? `${out.slice(0, -'.key.json'.length)}.pub.json` : `${out}.pub.json`;
}

/**
 * Create a fresh identity (Ed25519 + X25519 keys from node:crypto) and write the key file and the
 * public identity file; neither may exist yet.
 * @returns the lines to print (the XID and both paths).
 * @throws ToolInputError when a file exists or the name is empty.
 */
export function createIdentityFiles(flags: IdentityFlags): string[] {
  if (flags.name.trim() === '' || flags.name.length > 64)
    throw new ToolInputError('--name', 'must be 1..64 characters');
  const pub = flags.public ?? publicPathFor(flags.out);
  assertAbsent(flags.out, '--out');
  assertAbsent(pub, '--public');
  const identity = createIdentity(cryptoRng, flags.name);
  writeAtomic(flags.out, encodeKeyFile(newParticipant(identity, [])), { option: '--out' });
  writeAtomic(pub, encodePublicIdentityFile(identity), { option: '--public' });
  return [
    `${flags.name}: xid ${identity.xid}`,
    `  key file (secret): ${flags.out}`,
    `  public identity: ${pub}`,
  ];
}

/** Flags of `fanout frost session`. */
export interface SessionShowFlags {
  readonly session: string;
  /** Print only the invitation ARID of this participant (by pet name or XID). */
  readonly invite?: string;
}

/**
 * Describe a session file, or print one participant's invitation ARID (for `--invite`).
 * @returns the lines to print.
 * @throws SessionFileError (bad file), ToolInputError (unknown name, nothing invited yet).
 */
export function showSession(flags: SessionShowFlags): string[] {
  const state = readDecoded(flags.session, decodeSessionFile, (p, f, d) => new SessionFileError(p, f, d));
  const arids = state.sign?.session.inviteArids ?? state.dkg?.session.inviteArids;
  const nameOf = (xid: string) => state.participants.find((p) => p.xid === xid)?.name ?? xid.slice(0, 8);
  if (flags.invite !== undefined) {
    const p = state.participants.find((x) => x.name === flags.invite || x.xid === flags.invite);
    if (p === undefined) throw new ToolInputError('--invite', `no participant named ${flags.invite}`);
    const arid = arids?.[p.xid];
    if (arid === undefined)
      throw new ToolInputError('--invite', `${flags.invite} has no invitation in this session`);
    return [arid];
  }
  const where = whereIs(state);
  const lines = [
    `session ${flags.session}: at '${where}' (hubert ${state.hubert})`,
    `  ${nextStep(where, flags.session)}`,
  ];
  for (const [xid, arid] of Object.entries(arids ?? {}))
    lines.push(`  invitation for ${nameOf(xid)}: ${arid}`);
  if (state.group !== undefined)
    lines.push(`  group verifying key: ${bytesToHex(state.group.groupVerifyingKey)}`);
  if (state.sign?.session.signers !== undefined)
    lines.push(`  signers: ${state.sign.session.signers.map((m) => nameOf(m.identity.xid)).join(', ')}`);
  if (state.sign?.signature !== undefined) lines.push(`  signature: ${bytesToHex(state.sign.signature)}`);
  for (const s of state.steps)
    lines.push(`  step ${s.step} at ${s.at}: ${s.ok ? 'ok' : `not ok (${s.reason ?? ''})`}`);
  return lines;
}
