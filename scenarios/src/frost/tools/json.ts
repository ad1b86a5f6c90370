/**
 * JSON forms shared by the tools' files: byte strings as lowercase hex, identities, public key
 * packages (verifying shares keyed by XID, as on the wire), and the bridge from a zod issue or a
 * consistency check to a typed file error naming the dotted field.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { equalBytes } from '@noble/curves/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import {
  assertPublicIdentity,
  publicKeyPackageFromWire,
  publicKeyPackageToWire,
  type Identity,
  type Member,
  type PublicIdentity,
  type PublicKeyPackage,
} from '@fanout/frost';
import type { ToolFileError } from './errors.js';

/** Builds the file error of one file: `(field, detail) => error`. */
export type FileErrorOf = (field: string, detail: string) => ToolFileError;

/** Lowercase hex of exactly `bytes` bytes (any even length when omitted). */
export function hex(bytes?: number) {
  const base = z.string().regex(/^(?:[0-9a-f]{2})*$/, 'expected lowercase hex');
  return bytes === undefined
    ? base
    : base.refine((s) => s.length === bytes * 2, { message: `expected ${bytes} bytes of hex` });
}

/** XID: 64 lowercase hex chars. */
export const xidJson = z.string().regex(/^[0-9a-f]{64}$/, 'expected a 64-char lowercase hex XID');
/** ARID text form (32 bytes as bytewords). */
export const aridJson = z.string().regex(/^ur:arid\/[a-z]{76}$/, 'expected ur:arid/... (32-byte ARID)');
/** A clock time in epoch ms. */
export const msJson = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A public identity (XID, keys, binding signature, pet name). */
export const publicIdentityJson = z.strictObject({
  name: z.string().min(1).max(64).optional(),
  xid: xidJson,
  signingPublicKey: hex(32),
  encryptionPublicKey: hex(32),
  binding: hex(64),
});
/** A full identity: the public part and the two secret keys. */
export const identityJson = publicIdentityJson.extend({
  signingSecretKey: hex(32),
  encryptionSecretKey: hex(32),
});

/** A public key package: threshold, commitments (`[0]` is the group key), verifying shares by XID. */
export const publicKeyPackageJson = z.strictObject({
  minSigners: z.number().int().min(2),
  maxSigners: z.number().int().min(2),
  commitments: z.array(hex(32)).min(1),
  verifyingShares: z.record(xidJson, hex(32)),
});

export const toHex = (b: Uint8Array): string => bytesToHex(b);
export const fromHex = (s: string): Uint8Array => hexToBytes(s);

/**
 * Parse `value` with `schema`; on failure throw the file's error naming the first bad field as a
 * dotted path (`dkg.minSigners`, `participants.1.xid`).
 */
export function parseFile<S extends z.ZodType>(schema: S, value: unknown, error: FileErrorOf): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = (issue?.path ?? []).map(String).join('.');
  throw error(path === '' ? '(root)' : path, issue?.message ?? 'invalid');
}

/** JSON form of a public identity. */
export function publicIdentityToJson(p: PublicIdentity): z.input<typeof publicIdentityJson> {
  return {
    ...(p.name === undefined ? {} : { name: p.name }),
    xid: p.xid,
    signingPublicKey: toHex(p.signingPublicKey),
    encryptionPublicKey: toHex(p.encryptionPublicKey),
    binding: toHex(p.binding),
  };
}

/**
 * A public identity from its JSON form, checked (XID = SHA-256 of the signing key, binding
 * signature over the encryption key).
 * @throws the file's error naming `field` when it is inconsistent.
 */
export function publicIdentityFromJson(
  j: z.output<typeof publicIdentityJson>,
  field: string,
  error: FileErrorOf,
): PublicIdentity {
  const p: PublicIdentity = {
    xid: j.xid,
    signingPublicKey: fromHex(j.signingPublicKey),
    encryptionPublicKey: fromHex(j.encryptionPublicKey),
    binding: fromHex(j.binding),
    ...(j.name === undefined ? {} : { name: j.name }),
  };
  try {
    assertPublicIdentity(p, field);
  } catch (e) {
    throw error(field, (e as Error).message);
  }
  return p;
}

/** JSON form of a full identity (secret keys included: only for the owner's own file). */
export function identityToJson(i: Identity): z.input<typeof identityJson> {
  return {
    ...publicIdentityToJson(i),
    signingSecretKey: toHex(i.signingSecretKey),
    encryptionSecretKey: toHex(i.encryptionSecretKey),
  };
}

/**
 * A full identity from its JSON form; the secret keys must belong to the public ones.
 * @throws the file's error naming `field.signingSecretKey` / `field.encryptionSecretKey` or the
 *   inconsistent public field.
 */
export function identityFromJson(
  j: z.output<typeof identityJson>,
  field: string,
  error: FileErrorOf,
): Identity {
  const pub = publicIdentityFromJson(j, field, error);
  const signingSecretKey = fromHex(j.signingSecretKey);
  const encryptionSecretKey = fromHex(j.encryptionSecretKey);
  if (!equalBytes(ed25519.getPublicKey(signingSecretKey), pub.signingPublicKey))
    throw error(`${field}.signingSecretKey`, 'does not belong to signingPublicKey');
  if (!equalBytes(x25519.getPublicKey(encryptionSecretKey), pub.encryptionPublicKey))
    throw error(`${field}.encryptionSecretKey`, 'does not belong to encryptionPublicKey');
  return { ...pub, signingSecretKey, encryptionSecretKey };
}

/** JSON form of a public key package for `members`. */
export function publicKeyPackageToJson(
  pkg: PublicKeyPackage,
  members: readonly Member[],
): z.input<typeof publicKeyPackageJson> {
  const wire = publicKeyPackageToWire(pkg, members);
  return {
    minSigners: wire.minSigners,
    maxSigners: wire.maxSigners,
    commitments: wire.commitments.map(toHex),
    verifyingShares: Object.fromEntries(wire.verifyingShares.map((v) => [v.participant, toHex(v.share)])),
  };
}

/**
 * A public key package from its JSON form; its verifying shares must be exactly `members`'.
 * @throws the file's error naming `field.verifyingShares` (or `field.maxSigners`).
 */
export function publicKeyPackageFromJson(
  j: z.output<typeof publicKeyPackageJson>,
  members: readonly Member[],
  field: string,
  error: FileErrorOf,
): PublicKeyPackage {
  if (j.maxSigners !== members.length || j.minSigners > j.maxSigners)
    throw error(`${field}.maxSigners`, `expected ${members.length} signers, min ≤ max`);
  try {
    return publicKeyPackageFromWire(
      {
        minSigners: j.minSigners,
        maxSigners: j.maxSigners,
        commitments: j.commitments.map(fromHex),
        verifyingShares: Object.entries(j.verifyingShares).map(([participant, share]) => ({
          participant,
          share: fromHex(share),
        })),
      },
      members,
      field,
    );
  } catch (e) {
    throw error(`${field}.verifyingShares`, (e as Error).message);
  }
}

/**
 * Check that `record`'s keys are exactly `xids`.
 * @throws the file's error naming `field`.
 */
export function assertKeys(
  record: Readonly<Record<string, unknown>>,
  xids: readonly string[],
  field: string,
  error: FileErrorOf,
): void {
  const keys = Object.keys(record);
  if (keys.length !== xids.length || !xids.every((x) => Object.hasOwn(record, x)))
    throw error(field, `expected exactly one entry per participant (${xids.length})`);
}
