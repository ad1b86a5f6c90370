/**
 * A party's own files:
 * - the key file (JSON, `format: "fanout-frost-key"`, `version: 1`): its identity with secret keys,
 *   the coordinators it takes requests from, and, once a DKG completed, each group's key package
 *   (its secret signing share) and public key package, plus the signing sessions it finished. Only
 *   durable state is written: a DKG or signing session in progress (DKG polynomial, one-use
 *   nonces) lives in the participant's process and is never put on disk. The coordinator's key
 *   file is the same format (its identity; it joins no group).
 * - the public identity file (`format: "fanout-frost-public-identity"`): what the party hands to
 *   the others (XID, keys, binding signature, pet name).
 * Every bad field is a {@link KeyFileError} naming its dotted path. Pure: file I/O is in live/.
 */
import { z } from 'zod';
import {
  membersOf,
  newParticipant,
  publicIdentity,
  type GroupState,
  type Identity,
  type ParticipantState,
  type PublicIdentity,
  type SignSessionState,
} from '@fanout/frost';
import { KeyFileError } from './errors.js';
import {
  aridJson,
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

/** The `format` tag of a key file. */
export const KEY_FORMAT = 'fanout-frost-key';
/** The `format` tag of a public identity file. */
export const PUBLIC_IDENTITY_FORMAT = 'fanout-frost-public-identity';
/** The version this code reads and writes (both files). */
export const KEY_VERSION = 1;

const groupJson = z.discriminatedUnion('phase', [
  z.strictObject({
    phase: z.literal('complete'),
    group: aridJson,
    coordinator: xidJson,
    minSigners: z.number().int().min(2),
    charter: z.string().max(4096),
    expiry: msJson,
    members: z.array(publicIdentityJson).min(2).max(100),
    signingShare: hex(32),
    publicKeyPackage: publicKeyPackageJson,
  }),
  z.strictObject({ phase: z.literal('declined'), group: aridJson, reason: z.string() }),
]);

const sessionJson = z.strictObject({
  phase: z.enum(['declined', 'complete', 'aborted']),
  session: aridJson,
  group: aridJson,
  coordinator: xidJson,
  target: hex().optional(),
  signers: z.array(xidJson).optional(),
  signature: hex(64).optional(),
  reason: z.string().optional(),
});

/** The JSON schema of a key file (version 1). */
export const keyFileJson = z.strictObject({
  format: z.literal(KEY_FORMAT),
  version: z.literal(KEY_VERSION),
  identity: identityJson,
  coordinators: z.array(publicIdentityJson),
  groups: z.array(groupJson),
  sessions: z.array(sessionJson),
});

/** The JSON schema of a public identity file. */
export const publicIdentityFileJson = publicIdentityJson.extend({
  format: z.literal(PUBLIC_IDENTITY_FORMAT),
  version: z.literal(KEY_VERSION),
});

function parseJson(text: string, error: FileErrorOf): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw error('(root)', `not JSON (${(e as Error).message})`);
  }
}

function decodeGroup(j: z.output<typeof groupJson>, me: Identity, i: number, error: FileErrorOf): GroupState {
  if (j.phase === 'declined') return j;
  const field = `groups.${i}`;
  const ids = j.members.map((m, k) => publicIdentityFromJson(m, `${field}.members.${k}`, error));
  let members;
  try {
    members = membersOf(ids);
  } catch (e) {
    throw error(`${field}.members`, (e as Error).message);
  }
  const mine = members.find((m) => m.identity.xid === me.xid);
  if (mine === undefined) throw error(`${field}.members`, 'does not include this identity');
  const publicKeyPackage = publicKeyPackageFromJson(
    j.publicKeyPackage,
    members,
    `${field}.publicKeyPackage`,
    error,
  );
  return {
    phase: 'complete',
    group: j.group,
    coordinator: j.coordinator,
    minSigners: j.minSigners,
    charter: j.charter,
    expiry: j.expiry,
    members,
    me: mine,
    keyPackage: { identifier: mine.identifier, signingShare: fromHex(j.signingShare) },
    publicKeyPackage,
  };
}

/**
 * Decode a key file's text into a participant state (identity, coordinators, finished groups and
 * sessions).
 * @throws KeyFileError naming the bad field.
 */
export function decodeKeyFile(text: string, path: string): ParticipantState {
  const error: FileErrorOf = (field, detail) => new KeyFileError(path, field, detail);
  const j = parseFile(keyFileJson, parseJson(text, error), error);
  const identity = identityFromJson(j.identity, 'identity', error);
  const coordinators = j.coordinators.map((c, i) => publicIdentityFromJson(c, `coordinators.${i}`, error));
  const base = newParticipant(identity, coordinators);
  const groups = Object.fromEntries(j.groups.map((g, i) => [g.group, decodeGroup(g, identity, i, error)]));
  const sessions = Object.fromEntries(
    j.sessions.map((s): [string, SignSessionState] => [
      s.session,
      {
        phase: s.phase,
        session: s.session,
        group: s.group,
        coordinator: s.coordinator,
        ...(s.target === undefined ? {} : { target: fromHex(s.target) }),
        ...(s.signers === undefined ? {} : { signers: s.signers }),
        ...(s.signature === undefined ? {} : { signature: fromHex(s.signature) }),
        ...(s.reason === undefined ? {} : { reason: s.reason }),
      },
    ]),
  );
  return { ...base, groups, sessions };
}

function encodeGroup(g: GroupState): z.input<typeof groupJson> | undefined {
  if (g.phase === 'declined') return { phase: 'declined', group: g.group, reason: g.reason };
  if (g.phase !== 'complete' || g.keyPackage === undefined || g.publicKeyPackage === undefined)
    return undefined;
  return {
    phase: 'complete',
    group: g.group,
    coordinator: g.coordinator,
    minSigners: g.minSigners,
    charter: g.charter,
    expiry: g.expiry,
    members: g.members.map((m) => publicIdentityToJson(m.identity)),
    signingShare: toHex(g.keyPackage.signingShare),
    publicKeyPackage: publicKeyPackageToJson(g.publicKeyPackage, g.members),
  };
}

function encodeSession(s: SignSessionState): z.input<typeof sessionJson> | undefined {
  if (s.phase !== 'declined' && s.phase !== 'complete' && s.phase !== 'aborted') return undefined;
  return {
    phase: s.phase,
    session: s.session,
    group: s.group,
    coordinator: s.coordinator,
    ...(s.target === undefined ? {} : { target: toHex(s.target) }),
    ...(s.signers === undefined ? {} : { signers: [...s.signers] }),
    ...(s.signature === undefined ? {} : { signature: toHex(s.signature) }),
    ...(s.reason === undefined ? {} : { reason: s.reason }),
  };
}

/**
 * The text of a key file for `state`: its identity, coordinators, completed (or declined) groups
 * and finished sessions. Work in progress (DKG secrets, nonces) is left out on purpose.
 */
export function encodeKeyFile(state: ParticipantState): string {
  const json: z.input<typeof keyFileJson> = {
    format: KEY_FORMAT,
    version: KEY_VERSION,
    identity: identityToJson(state.identity),
    coordinators: Object.values(state.coordinators).map(publicIdentityToJson),
    groups: Object.values(state.groups).flatMap((g) => encodeGroup(g) ?? []),
    sessions: Object.values(state.sessions).flatMap((s) => encodeSession(s) ?? []),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** The text of a public identity file for `identity` (its secret keys are dropped). */
export function encodePublicIdentityFile(identity: PublicIdentity): string {
  const json: z.input<typeof publicIdentityFileJson> = {
    format: PUBLIC_IDENTITY_FORMAT,
    version: KEY_VERSION,
    ...publicIdentityToJson(publicIdentity(identity)),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * Decode a public identity file (also accepts a key file, of which it takes the public part).
 * @throws KeyFileError naming the bad field.
 */
export function decodePublicIdentityFile(text: string, path: string): PublicIdentity {
  const error: FileErrorOf = (field, detail) => new KeyFileError(path, field, detail);
  const raw = parseJson(text, error);
  if (typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === KEY_FORMAT)
    return publicIdentity(decodeKeyFile(text, path).identity);
  const j = parseFile(publicIdentityFileJson, raw, error);
  const { format: _f, version: _v, ...p } = j;
  return publicIdentityFromJson(p, 'identity', error);
}
