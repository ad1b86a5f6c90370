/**
 * Sealed messages: authenticated to the sender, readable only by the recipient, valid for a
 * limited time (frost-hubert: every request/response is signed by the sender, encrypted to the
 * recipient, valid 1 hour).
 *
 * Construction (sign-then-encrypt; primitives from @noble, the sealing X25519 from node:crypto, agreement.ts):
 * - `signed` = dCBOR `{v:1, type, from, to, validFrom, validUntil, body}`;
 *   `sig` = Ed25519(sender, "fanout-frost/sealed/v1/sign" ‖ signed).
 * - plaintext = dCBOR `{signed, sig}`.
 * - ephemeral X25519 key e (32 bytes of rng); k = HKDF-SHA256(ikm = X25519(e, recipient),
 *   salt = E ‖ recipientKey, info = "fanout-frost/sealed/v1/xchacha20poly1305", 32 bytes);
 *   nonce = 24 bytes of rng; ct = XChaCha20-Poly1305(k, nonce, aad = header) (plaintext).
 * - wire = dCBOR `{v:1, to, eph: E, nonce, ct}`; `to` in clear so a recipient can tell
 *   NotForMe without decrypting; header = dCBOR `{v, to, eph}` is the AEAD associated data.
 * Sizes: 32-byte keys, 24-byte nonce, 64-byte signature, 16-byte tag. Times in ms (clock time).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { decodeCbor, encodeCbor } from './cbor.js';
import { x25519PublicKey } from './agreement.js';
import { openAgreement, sealAgreement, signEd25519, verifyEd25519 } from './memo.js';
import { ExpiredMessageError, ForgedMessageError, MalformedMessageError, NotForMeError } from './errors.js';
import type { Identity, PublicIdentity, Xid } from './identity.js';
import type { Rng } from './rng.js';
import { bytes, msSchema, parseOrThrow, xidSchema } from './schema.js';

/** Validity of a message from its creation, ms (frost-hubert: 1 hour). */
export const MESSAGE_VALIDITY_MS = 3_600_000;
/** How far in the future `validFrom` may be (clock skew between parties), ms. */
export const MAX_CLOCK_SKEW_MS = 300_000;
/** Wire format version. */
export const SEALED_VERSION = 1;

const SIGN_LABEL = utf8ToBytes('fanout-frost/sealed/v1/sign');
const KDF_INFO = utf8ToBytes('fanout-frost/sealed/v1/xchacha20poly1305');

const outerSchema = z.object({
  v: z.literal(SEALED_VERSION),
  to: xidSchema,
  eph: bytes(32),
  nonce: bytes(24),
  ct: bytes(),
});
const innerSchema = z.object({ signed: bytes(), sig: bytes(64) });
const signedSchema = z.object({
  v: z.literal(SEALED_VERSION),
  type: z.string().min(1).max(64),
  from: xidSchema,
  to: xidSchema,
  validFrom: msSchema,
  validUntil: msSchema,
  body: z.unknown(),
});

/** Options of {@link sealMessage}. */
export interface SealOptions {
  readonly sender: Identity;
  readonly recipient: PublicIdentity;
  /** Message-type tag, e.g. 'dkgInvite'. */
  readonly type: string;
  /** Any dCBOR-encodable value (maps with string keys, arrays, byte strings, ints, strings). */
  readonly body: unknown;
  /** Clock time of creation, ms (a fractional time, e.g. a wall clock's, is floored). */
  readonly now: number;
  /** Source of the ephemeral key (32 bytes) and nonce (24 bytes). */
  readonly rng: Rng;
  /** Validity, ms. Default {@link MESSAGE_VALIDITY_MS}. */
  readonly validityMs?: number;
  /**
   * Simulation hook: sign with this Ed25519 secret key instead of the sender's while still
   * claiming the sender's XID (a forged message). Never set it outside simulations.
   */
  readonly forgeWithKey?: Uint8Array;
}

function header(to: Xid, eph: Uint8Array): Uint8Array {
  return encodeCbor({ v: SEALED_VERSION, to, eph });
}

function deriveKey(shared: Uint8Array, eph: Uint8Array, recipientKey: Uint8Array): Uint8Array {
  return hkdf(sha256, shared, concatBytes(eph, recipientKey), KDF_INFO, 32);
}

/**
 * Sign `body` as `sender`, encrypt it to `recipient`, and encode it (dCBOR bytes).
 * Consumes 56 bytes of `rng` (ephemeral key, then nonce). Deterministic for a given rng stream.
 */
export function sealMessage(options: SealOptions): Uint8Array {
  const { sender, recipient, type, body, rng } = options;
  const now = Math.floor(options.now);
  const validityMs = options.validityMs ?? MESSAGE_VALIDITY_MS;
  const signed = encodeCbor({
    v: SEALED_VERSION,
    type,
    from: sender.xid,
    to: recipient.xid,
    validFrom: now,
    validUntil: now + validityMs,
    body,
  });
  const message = concatBytes(SIGN_LABEL, signed);
  const sig =
    options.forgeWithKey === undefined
      ? signEd25519(message, sender.signingSecretKey, sender.signingPublicKey)
      : ed25519.sign(message, options.forgeWithKey);
  const plaintext = encodeCbor({ signed, sig });
  const ephSecret = rng(32);
  const eph = x25519PublicKey(ephSecret);
  const key = deriveKey(
    sealAgreement(ephSecret, eph, recipient.encryptionPublicKey),
    eph,
    recipient.encryptionPublicKey,
  );
  const nonce = rng(24);
  const ct = xchacha20poly1305(key, nonce, header(recipient.xid, eph)).encrypt(plaintext);
  return encodeCbor({ v: SEALED_VERSION, to: recipient.xid, eph, nonce, ct });
}

/**
 * The recipient XID written in clear on a sealed message (no decryption, no authentication).
 * @throws MalformedMessageError naming the bad outer field.
 */
export function peekRecipient(sealed: Uint8Array): Xid {
  return parseOrThrow(outerSchema, decodeCbor(sealed, 'sealed'), 'sealed').to;
}

/** A message that passed every check of {@link openMessage}. `body` is not yet schema-checked. */
export interface OpenedMessage<B = unknown> {
  readonly type: string;
  readonly sender: Xid;
  readonly recipient: Xid;
  /** ms, clock time. */
  readonly validFrom: number;
  /** ms, clock time. */
  readonly validUntil: number;
  readonly body: B;
}

/** Options of {@link openMessage}. */
export interface OpenOptions {
  /** Who is opening (must be the addressee). */
  readonly recipient: Identity;
  /** Clock time, ms. */
  readonly now: number;
  /** Known senders by XID (a message from anybody else is forged). */
  readonly senders: ReadonlyMap<Xid, PublicIdentity>;
  /** When set, a message from any other (even known) sender is rejected as forged. */
  readonly expectedSender?: Xid;
}

/**
 * Decrypt and authenticate a sealed message. Checks, in order: outer format, addressee,
 * AEAD, inner format, signed recipient = outer recipient, known sender, signature, expected
 * sender, validity window.
 * @throws MalformedMessageError (field), NotForMeError, ForgedMessageError (tampered ciphertext,
 *   unknown/wrong sender, bad signature), ExpiredMessageError.
 */
export function openMessage(sealed: Uint8Array, options: OpenOptions): OpenedMessage {
  const { recipient, now } = options;
  const outer = parseOrThrow(outerSchema, decodeCbor(sealed, 'sealed'), 'sealed');
  if (outer.to !== recipient.xid) throw new NotForMeError(outer.to, recipient.xid);
  let plaintext: Uint8Array;
  try {
    const shared = openAgreement(recipient.encryptionSecretKey, recipient.encryptionPublicKey, outer.eph);
    const key = deriveKey(shared, outer.eph, recipient.encryptionPublicKey);
    plaintext = xchacha20poly1305(key, outer.nonce, header(outer.to, outer.eph)).decrypt(outer.ct);
  } catch {
    throw new ForgedMessageError(
      'ciphertext does not authenticate (tampered or not encrypted to this recipient)',
    );
  }
  const inner = parseOrThrow(innerSchema, decodeCbor(plaintext, 'plaintext'), 'plaintext');
  const signed = parseOrThrow(signedSchema, decodeCbor(inner.signed, 'signed'), 'signed');
  if (signed.to !== outer.to)
    throw new ForgedMessageError('signed recipient differs from the envelope recipient', signed.from);
  const sender = options.senders.get(signed.from);
  if (sender === undefined) throw new ForgedMessageError('unknown sender', signed.from);
  const ok = verifyEd25519(inner.sig, concatBytes(SIGN_LABEL, inner.signed), sender.signingPublicKey);
  if (!ok) throw new ForgedMessageError('signature does not verify with the sender key', signed.from);
  if (options.expectedSender !== undefined && signed.from !== options.expectedSender) {
    throw new ForgedMessageError(`wrong sender (expected ${options.expectedSender})`, signed.from);
  }
  if (signed.validUntil < signed.validFrom) {
    throw new MalformedMessageError('signed.validUntil', 'is before validFrom');
  }
  if (now > signed.validUntil || now + MAX_CLOCK_SKEW_MS < signed.validFrom) {
    throw new ExpiredMessageError(signed.validFrom, signed.validUntil, now);
  }
  return {
    type: signed.type,
    sender: signed.from,
    recipient: signed.to,
    validFrom: signed.validFrom,
    validUntil: signed.validUntil,
    body: signed.body,
  };
}
