/**
 * Identities of FROST-over-Hubert participants and coordinators, modelled on Blockchain Commons
 * XID documents (frost-hubert-rust uses XIDDocuments): an Ed25519 signing key, an X25519
 * encryption key, and an XID = SHA-256 of the signing public key (hex). The encryption key is
 * bound to the XID by an Ed25519 signature, so a directory cannot swap it.
 *
 * Participants of a group are sorted by XID; FROST identifier = 1-based position (frost-hubert).
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { identifierOf, type Identifier } from './ciphersuite.js';
import { ForgedMessageError, MalformedMessageError } from './errors.js';
import { verifyEd25519 } from './memo.js';
import type { Rng } from './rng.js';

/** XID: hex of SHA-256(Ed25519 signing public key), 64 lowercase hex chars. */
export type Xid = string;

/** What everybody may know about a party. */
export interface PublicIdentity {
  readonly xid: Xid;
  /** Ed25519 public key, 32 bytes. */
  readonly signingPublicKey: Uint8Array;
  /** X25519 public key, 32 bytes. */
  readonly encryptionPublicKey: Uint8Array;
  /** Ed25519 signature (64 bytes) by the signing key over the binding label ‖ encryptionPublicKey. */
  readonly binding: Uint8Array;
  /** Local pet name (not authenticated; for logs only). */
  readonly name?: string;
}

/** A party's full identity, with its private keys. Never put this on the wire. */
export interface Identity extends PublicIdentity {
  /** Ed25519 secret key (seed), 32 bytes. */
  readonly signingSecretKey: Uint8Array;
  /** X25519 secret key, 32 bytes. */
  readonly encryptionSecretKey: Uint8Array;
}

const BINDING_LABEL = utf8ToBytes('fanout-frost/identity-binding/v1');

/** XID of an Ed25519 public key: hex(SHA-256(key)). */
export function xidOf(signingPublicKey: Uint8Array): Xid {
  return bytesToHex(sha256(signingPublicKey));
}

/**
 * Create an identity from `rng`: 32 bytes for the Ed25519 seed, then 32 for the X25519 key.
 * @param name optional pet name (kept in the identity for logs).
 */
export function createIdentity(rng: Rng, name?: string): Identity {
  const signingSecretKey = rng(32);
  const encryptionSecretKey = rng(32);
  const signingPublicKey = ed25519.getPublicKey(signingSecretKey);
  const encryptionPublicKey = x25519.getPublicKey(encryptionSecretKey);
  const binding = ed25519.sign(concatBytes(BINDING_LABEL, encryptionPublicKey), signingSecretKey);
  return {
    xid: xidOf(signingPublicKey),
    signingPublicKey,
    encryptionPublicKey,
    binding,
    ...(name === undefined ? {} : { name }),
    signingSecretKey,
    encryptionSecretKey,
  };
}

/** The public part of an identity (drops the secret keys). */
export function publicIdentity(identity: PublicIdentity): PublicIdentity {
  return {
    xid: identity.xid,
    signingPublicKey: identity.signingPublicKey,
    encryptionPublicKey: identity.encryptionPublicKey,
    binding: identity.binding,
    ...(identity.name === undefined ? {} : { name: identity.name }),
  };
}

/**
 * Check that a public identity is self-consistent: xid = SHA-256(signing key) and the binding
 * signature covers the encryption key.
 * @param field where the identity came from, for the error.
 * @throws MalformedMessageError(field + '.xid') when the XID does not match the key;
 *   ForgedMessageError when the binding signature fails.
 */
export function assertPublicIdentity(identity: PublicIdentity, field = 'identity'): void {
  if (identity.signingPublicKey.length !== 32) {
    throw new MalformedMessageError(`${field}.signingPublicKey`, 'expected 32 bytes');
  }
  if (xidOf(identity.signingPublicKey) !== identity.xid) {
    throw new MalformedMessageError(`${field}.xid`, 'is not SHA-256 of the signing public key');
  }
  const ok = verifyEd25519(
    identity.binding,
    concatBytes(BINDING_LABEL, identity.encryptionPublicKey),
    identity.signingPublicKey,
  );
  if (!ok) throw new ForgedMessageError('encryption key binding signature does not verify', identity.xid);
}

/** A copy of `parties` sorted by XID (ascending, lexicographic on the hex). */
export function sortByXid<T extends { readonly xid: Xid }>(parties: readonly T[]): T[] {
  return [...parties].sort((a, b) => (a.xid < b.xid ? -1 : a.xid > b.xid ? 1 : 0));
}

/** A group member: its identity and its FROST identifier (sorted-XID position + 1). */
export interface Member {
  readonly identity: PublicIdentity;
  /** 1-based position in XID order. */
  readonly index: number;
  readonly identifier: Identifier;
}

/**
 * Members in XID order with their FROST identifiers (frost-hubert: sorted by XID, identifier =
 * position + 1).
 * @throws MalformedMessageError('participants') on a duplicate XID.
 */
export function membersOf(participants: readonly PublicIdentity[]): Member[] {
  const sorted = sortByXid(participants);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.xid === sorted[i - 1]!.xid) {
      throw new MalformedMessageError('participants', `duplicate participant ${sorted[i]!.xid}`);
    }
  }
  return sorted.map((identity, i) => ({ identity, index: i + 1, identifier: identifierOf(i + 1) }));
}
