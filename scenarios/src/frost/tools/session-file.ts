/**
 * The coordinator's session file (JSON, `format: "fanout-frost-coordinator-session"`, `version: 1`):
 * what `fanout frost dkg coordinator …` / `sign coordinator …` keep between their separate
 * processes — the Hubert URL, the coordinator's own identity, the participants' public identities,
 * the DKG in progress (its ARIDs and the round-1 packages), the finished group, the signing session
 * in progress (its ARIDs, the signer set and commitments, the signature) and a log of the steps.
 * No participant secret is ever in it: participants keep their key packages in their own key files.
 *
 * Byte strings are lowercase hex. Members and FROST identifiers are recomputed from the
 * participants (sorted by XID), never read from the file. Every bad field is a
 * {@link SessionFileError} naming its dotted path. Pure: reading and the atomic write are in live/.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import {
  membersOf,
  type DkgSession,
  type GroupRecord,
  type Identity,
  type Member,
  type PublicIdentity,
  type SignSession,
  type Xid,
} from '@fanout/frost';
import { SessionFileError } from './errors.js';
import {
  aridJson,
  assertKeys,
  fromHex,
  hex,
  identityFromJson,
  identityJson,
  identityToJson,
  msJson,
  parseFile,
  publicIdentityFromJson,
  publicIdentityJson,
  publicIdentityToJson,
  publicKeyPackageFromJson,
  publicKeyPackageJson,
  publicKeyPackageToJson,
  toHex,
  xidJson,
  type FileErrorOf,
} from './json.js';

/** The `format` tag of a session file. */
export const SESSION_FORMAT = 'fanout-frost-coordinator-session';
/** The version this code reads and writes. */
export const SESSION_VERSION = 1;

const aridByXid = z.record(xidJson, aridJson);

const dkgJson = z.strictObject({
  group: aridJson,
  minSigners: z.number().int().min(2),
  charter: z.string().max(4096),
  expiry: msJson,
  phase: z.enum(['invited', 'round2', 'finalize', 'complete']),
  inviteArids: aridByXid,
  collectArids: aridByXid,
  round1: z
    .record(xidJson, z.strictObject({ commitment: z.array(hex(32)).min(2), proofOfKnowledge: hex(64) }))
    .optional(),
  expectedPublicKeyPackage: publicKeyPackageJson.optional(),
});

const groupJson = z.strictObject({
  group: aridJson,
  minSigners: z.number().int().min(2),
  publicKeyPackage: publicKeyPackageJson,
  groupVerifyingKey: hex(32),
});

const signJson = z.strictObject({
  session: aridJson,
  target: hex(),
  expiry: msJson,
  phase: z.enum(['invited', 'round2', 'complete']),
  invitees: z.array(xidJson).min(2),
  inviteArids: aridByXid,
  collectArids: aridByXid,
  signers: z.array(xidJson).optional(),
  commitments: z.record(xidJson, z.strictObject({ hiding: hex(32), binding: hex(32) })).optional(),
  signature: hex(64).optional(),
});

const stepJson = z.strictObject({
  step: z.string().min(1),
  at: z.string().min(1),
  ok: z.boolean(),
  reason: z.string().optional(),
  outcomes: z.record(z.string(), z.string()),
});

/** The JSON schema of a session file (version 1). */
export const sessionFileJson = z.strictObject({
  format: z.literal(SESSION_FORMAT),
  version: z.literal(SESSION_VERSION),
  hubert: z.url({ protocol: /^https?$/ }),
  coordinator: identityJson,
  participants: z.array(publicIdentityJson).min(2).max(100),
  dkg: dkgJson.optional(),
  group: groupJson.optional(),
  sign: signJson.optional(),
  steps: z.array(stepJson),
});

/** One step as logged in the session file: when, how it ended, each participant's outcome. */
export type StepRecord = z.output<typeof stepJson>;

/** The session file's content, decoded. Treat as immutable. */
export interface SessionState {
  /** Hubert server base URL, e.g. `http://127.0.0.1:45678`. */
  readonly hubert: string;
  /** The coordinator's identity (its own secret keys: this is the coordinator's file). */
  readonly coordinator: Identity;
  /** Everyone in the group, public identities only, with pet names. */
  readonly participants: readonly PublicIdentity[];
  /** The DKG: its session value and whether `dkg coordinator finalize` completed it. */
  readonly dkg?: { readonly session: DkgSession; readonly complete: boolean };
  /** The group a finished DKG produced (what signing needs). */
  readonly group?: GroupRecord;
  /** The signing session and, once `sign coordinator round2` succeeded, the signature (64 bytes). */
  readonly sign?: { readonly session: SignSession; readonly signature?: Uint8Array };
  readonly steps: readonly StepRecord[];
}

function membersByXid(members: readonly Member[], xids: readonly Xid[], field: string, error: FileErrorOf) {
  const by = new Map(members.map((m) => [m.identity.xid, m]));
  return xids.map((x, i) => {
    const m = by.get(x);
    if (m === undefined) throw error(`${field}.${i}`, `${x} is not a member of the group`);
    return m;
  });
}

function decodeDkg(j: z.output<typeof dkgJson>, members: readonly Member[], error: FileErrorOf) {
  const xids = members.map((m) => m.identity.xid);
  if (j.minSigners > members.length)
    throw error('dkg.minSigners', `must not exceed the ${members.length} participants`);
  assertKeys(j.inviteArids, xids, 'dkg.inviteArids', error);
  assertKeys(j.collectArids, xids, 'dkg.collectArids', error);
  let round1: DkgSession['round1'];
  if (j.round1 !== undefined) {
    assertKeys(j.round1, xids, 'dkg.round1', error);
    round1 = Object.fromEntries(
      members.map((m) => {
        const r = j.round1![m.identity.xid]!;
        if (r.commitment.length !== j.minSigners)
          throw error(`dkg.round1.${m.identity.xid}.commitment`, `expected ${j.minSigners} commitments`);
        const pkg = {
          identifier: m.identifier,
          commitment: r.commitment.map(fromHex),
          proofOfKnowledge: fromHex(r.proofOfKnowledge),
        };
        return [m.identity.xid, pkg];
      }),
    );
  }
  const expected =
    j.expectedPublicKeyPackage === undefined
      ? undefined
      : publicKeyPackageFromJson(j.expectedPublicKeyPackage, members, 'dkg.expectedPublicKeyPackage', error);
  const session: DkgSession = {
    group: j.group,
    minSigners: j.minSigners,
    charter: j.charter,
    expiry: j.expiry,
    members,
    phase: j.phase === 'complete' ? 'finalize' : j.phase,
    inviteArids: j.inviteArids,
    collectArids: j.collectArids,
    ...(round1 === undefined ? {} : { round1 }),
    ...(expected === undefined ? {} : { expectedPublicKeyPackage: expected }),
  };
  return { session, complete: j.phase === 'complete' };
}

function decodeGroup(j: z.output<typeof groupJson>, members: readonly Member[], error: FileErrorOf) {
  const publicKeyPackage = publicKeyPackageFromJson(
    j.publicKeyPackage,
    members,
    'group.publicKeyPackage',
    error,
  );
  if (j.groupVerifyingKey !== toHex(publicKeyPackage.commitments[0]!))
    throw error('group.groupVerifyingKey', 'is not the first commitment of the public key package');
  if (j.minSigners !== publicKeyPackage.signers.min)
    throw error('group.minSigners', 'differs from the public key package');
  const group: GroupRecord = {
    group: j.group,
    minSigners: j.minSigners,
    members,
    publicKeyPackage,
    groupVerifyingKey: fromHex(j.groupVerifyingKey),
  };
  return group;
}

function decodeSign(j: z.output<typeof signJson>, group: GroupRecord, error: FileErrorOf) {
  const invitees = membersByXid(group.members, j.invitees, 'sign.invitees', error);
  const ids = invitees.map((m) => m.identity.xid);
  assertKeys(j.inviteArids, ids, 'sign.inviteArids', error);
  if (j.phase === 'invited') assertKeys(j.collectArids, ids, 'sign.collectArids', error);
  let signers: Member[] | undefined;
  let commitments: SignSession['commitments'];
  if (j.signers !== undefined) {
    signers = membersByXid(invitees, j.signers, 'sign.signers', error);
    if (signers.length !== group.minSigners)
      throw error('sign.signers', `expected ${group.minSigners} signers, got ${signers.length}`);
    const c = j.commitments ?? {};
    assertKeys(c, j.signers, 'sign.commitments', error);
    assertKeys(j.collectArids, j.signers, 'sign.collectArids', error);
    commitments = signers.map((m) => ({
      identifier: m.identifier,
      hiding: fromHex(c[m.identity.xid]!.hiding),
      binding: fromHex(c[m.identity.xid]!.binding),
    }));
  }
  if (j.phase !== 'invited' && signers === undefined)
    throw error('sign.signers', `required in phase '${j.phase}'`);
  if (j.phase === 'complete' && j.signature === undefined)
    throw error('sign.signature', "required in phase 'complete'");
  const target = fromHex(j.target);
  const session: SignSession = {
    session: j.session,
    group,
    target,
    digest: sha256(target),
    expiry: j.expiry,
    phase: j.phase,
    invitees,
    inviteArids: j.inviteArids,
    collectArids: j.collectArids,
    ...(signers === undefined ? {} : { signers, commitments: commitments! }),
  };
  return { session, ...(j.signature === undefined ? {} : { signature: fromHex(j.signature) }) };
}

/**
 * Decode a session file's text.
 * @param path the file's path, for the error.
 * @throws SessionFileError naming the bad field: `(root)` when the text is not JSON, `version`
 *   for another version, any dotted path a schema or consistency check rejects.
 */
export function decodeSessionFile(text: string, path: string): SessionState {
  const error: FileErrorOf = (field, detail) => new SessionFileError(path, field, detail);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw error('(root)', `not JSON (${(e as Error).message})`);
  }
  const j = parseFile(sessionFileJson, raw, error);
  const coordinator = identityFromJson(j.coordinator, 'coordinator', error);
  const participants = j.participants.map((p, i) => publicIdentityFromJson(p, `participants.${i}`, error));
  let members: Member[];
  try {
    members = membersOf(participants);
  } catch (e) {
    throw error('participants', (e as Error).message);
  }
  const group = j.group === undefined ? undefined : decodeGroup(j.group, members, error);
  if (j.sign !== undefined && group === undefined) throw error('group', 'required by sign');
  if (j.dkg?.phase === 'complete' && group === undefined)
    throw error('group', "required by dkg phase 'complete'");
  return {
    hubert: j.hubert,
    coordinator,
    participants,
    ...(j.dkg === undefined ? {} : { dkg: decodeDkg(j.dkg, members, error) }),
    ...(group === undefined ? {} : { group }),
    ...(j.sign === undefined ? {} : { sign: decodeSign(j.sign, group!, error) }),
    steps: j.steps,
  };
}

function encodeDkg(d: NonNullable<SessionState['dkg']>): z.input<typeof dkgJson> {
  const s = d.session;
  return {
    group: s.group,
    minSigners: s.minSigners,
    charter: s.charter,
    expiry: s.expiry,
    phase: d.complete ? 'complete' : s.phase,
    inviteArids: { ...s.inviteArids },
    collectArids: { ...s.collectArids },
    ...(s.round1 === undefined
      ? {}
      : {
          round1: Object.fromEntries(
            Object.entries(s.round1).map(([x, r]) => [
              x,
              { commitment: r.commitment.map(toHex), proofOfKnowledge: toHex(r.proofOfKnowledge) },
            ]),
          ),
        }),
    ...(s.expectedPublicKeyPackage === undefined
      ? {}
      : { expectedPublicKeyPackage: publicKeyPackageToJson(s.expectedPublicKeyPackage, s.members) }),
  };
}

function encodeSign(d: NonNullable<SessionState['sign']>): z.input<typeof signJson> {
  const s = d.session;
  const signers = s.signers?.map((m) => m.identity.xid);
  return {
    session: s.session,
    target: toHex(s.target),
    expiry: s.expiry,
    phase: s.phase,
    invitees: s.invitees.map((m) => m.identity.xid),
    inviteArids: { ...s.inviteArids },
    collectArids: { ...s.collectArids },
    ...(signers === undefined
      ? {}
      : {
          signers,
          commitments: Object.fromEntries(
            s.commitments!.map((c, i) => [
              signers[i]!,
              { hiding: toHex(c.hiding), binding: toHex(c.binding) },
            ]),
          ),
        }),
    ...(d.signature === undefined ? {} : { signature: toHex(d.signature) }),
  };
}

/** The text of a session file for `state` (pretty JSON, trailing newline). */
export function encodeSessionFile(state: SessionState): string {
  const g = state.group;
  const json: z.input<typeof sessionFileJson> = {
    format: SESSION_FORMAT,
    version: SESSION_VERSION,
    hubert: state.hubert,
    coordinator: identityToJson(state.coordinator),
    participants: state.participants.map(publicIdentityToJson),
    ...(state.dkg === undefined ? {} : { dkg: encodeDkg(state.dkg) }),
    ...(g === undefined
      ? {}
      : {
          group: {
            group: g.group,
            minSigners: g.minSigners,
            publicKeyPackage: publicKeyPackageToJson(g.publicKeyPackage, g.members),
            groupVerifyingKey: toHex(g.groupVerifyingKey),
          },
        }),
    ...(state.sign === undefined ? {} : { sign: encodeSign(state.sign) }),
    steps: [...state.steps],
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
