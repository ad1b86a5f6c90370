/**
 * Message schemas of the FROST-over-Hubert flow (frost-hubert-rust v0.1.0, src/cmd/dkg/* and
 * src/cmd/sign/*), checked with zod after dCBOR decoding. Every body is a strict object: an
 * unknown field (for instance a secret `keyPackage` in `dkgFinalizeResponse`, which upstream
 * sends and we do not) makes the message malformed.
 *
 * Where a message says `responseArid`, it is the ARID the receiver must write its reply to.
 * Participants are named by XID; FROST identifiers are derived from the sorted XIDs, never
 * taken from the wire.
 */
import { z } from 'zod';
import { ProtocolViolationError } from './errors.js';
import type { Xid } from './identity.js';
import {
  openMessage,
  sealMessage,
  type OpenedMessage,
  type OpenOptions,
  type SealOptions,
} from './sealed.js';
import { aridSchema, bytes, msSchema, parseOrThrow, xidSchema } from './schema.js';

/** A DKG part-1 package on the wire (identifier implied by the sender's XID). */
export const round1PackageSchema = z.strictObject({
  commitment: z.array(bytes(32)).min(2),
  proofOfKnowledge: bytes(64),
});
/** Public key package on the wire; verifying shares keyed by XID. No secret material. */
export const publicKeyPackageSchema = z.strictObject({
  minSigners: z.number().int().min(2),
  maxSigners: z.number().int().min(2),
  commitments: z.array(bytes(32)).min(2),
  verifyingShares: z.array(z.strictObject({ participant: xidSchema, share: bytes(32) })).min(2),
});
/** A participant's round-one signing commitments on the wire. */
export const commitmentsSchema = z.strictObject({ hiding: bytes(32), binding: bytes(32) });
/** A participant entry of an invite: the public identity the coordinator vouches for. */
export const participantEntrySchema = z.strictObject({
  xid: xidSchema,
  signingPublicKey: bytes(32),
  encryptionPublicKey: bytes(32),
  binding: bytes(64),
});
const reasonSchema = z.string().min(1).max(1000);

/** Body schema of every message type. */
export const messageSchemas = {
  /** Coordinator → participant: join group `group` (frost-hubert `dkg coordinator invite`). */
  dkgInvite: z
    .strictObject({
      group: aridSchema,
      minSigners: z.number().int().min(2),
      charter: z.string().max(10_000),
      /** Clock time after which the invitation lapses, ms. */
      expiry: msSchema,
      participants: z.array(participantEntrySchema).min(2).max(1000),
      responseArid: aridSchema,
    })
    .refine((b) => b.minSigners <= b.participants.length, {
      path: ['minSigners'],
      message: 'must not exceed the number of participants',
    }),
  /** Participant → coordinator: accept, with the DKG part-1 package. */
  dkgRound1Response: z.strictObject({
    group: aridSchema,
    participant: xidSchema,
    responseArid: aridSchema,
    round1Package: round1PackageSchema,
  }),
  /** Participant → coordinator: decline the invitation. */
  dkgInviteReject: z.strictObject({ group: aridSchema, responseArid: aridSchema, reason: reasonSchema }),
  /** Coordinator → participant: every participant's part-1 package. */
  dkgRound2: z.strictObject({
    group: aridSchema,
    responseArid: aridSchema,
    round1Packages: z.array(z.strictObject({ participant: xidSchema, package: round1PackageSchema })).min(2),
  }),
  /** Participant → coordinator: one sealed part-2 package per other participant, tagged by recipient. */
  dkgRound2Response: z.strictObject({
    group: aridSchema,
    participant: xidSchema,
    responseArid: aridSchema,
    round2Packages: z.array(z.strictObject({ recipient: xidSchema, sealed: bytes() })).min(1),
  }),
  /**
   * Participant → participant, nested inside dkgRound2Response/dkgFinalize: one DKG part-2 secret
   * share, sealed end to end so the coordinator never sees it.
   */
  dkgRound2Share: z.strictObject({ group: aridSchema, signingShare: bytes(32) }),
  /** Coordinator → participant: the sealed part-2 packages addressed to it, tagged by sender. */
  dkgFinalize: z.strictObject({
    group: aridSchema,
    responseArid: aridSchema,
    round2Packages: z.array(z.strictObject({ sender: xidSchema, sealed: bytes() })).min(1),
  }),
  /** Participant → coordinator: the public key package ONLY (never the secret key package). */
  dkgFinalizeResponse: z.strictObject({
    group: aridSchema,
    participant: xidSchema,
    publicKeyPackage: publicKeyPackageSchema,
  }),
  /** Coordinator → participant: sign SHA-256(target) with group `group`. */
  signInvite: z.strictObject({
    session: aridSchema,
    group: aridSchema,
    groupVerifyingKey: bytes(32),
    minSigners: z.number().int().min(2),
    /** The bytes to sign; the FROST message is SHA-256(target). */
    target: bytes(),
    /** Clock time after which the session lapses, ms. */
    expiry: msSchema,
    responseArid: aridSchema,
  }),
  /** Participant → coordinator: round-one commitments. */
  signRound1Response: z.strictObject({
    session: aridSchema,
    participant: xidSchema,
    commitments: commitmentsSchema,
    responseArid: aridSchema,
  }),
  /** Participant → coordinator: decline to sign. */
  signCommitReject: z.strictObject({ session: aridSchema, responseArid: aridSchema, reason: reasonSchema }),
  /** Coordinator → signer: the fixed signer set's commitments. */
  signRound2: z.strictObject({
    session: aridSchema,
    responseArid: aridSchema,
    commitments: z
      .array(z.strictObject({ participant: xidSchema, hiding: bytes(32), binding: bytes(32) }))
      .min(2),
  }),
  /** Signer → coordinator: the signature share (32-byte scalar). */
  signRound2Response: z.strictObject({
    session: aridSchema,
    participant: xidSchema,
    signatureShare: bytes(32),
    responseArid: aridSchema,
  }),
  /** Coordinator → signer: the aggregate signature (event; no reply). */
  signFinalize: z.strictObject({
    session: aridSchema,
    signature: bytes(64),
    signers: z.array(xidSchema).min(2),
  }),
  /**
   * Participant → coordinator (our extension): the participant stops a DKG/signing session it
   * cannot continue, naming the participants it blames (`accused`) — e.g. a part-2 share that
   * fails VSS. `context` is the group or session ARID.
   */
  protocolAbort: z.strictObject({
    context: aridSchema,
    phase: z.enum(['dkgRound2', 'dkgFinalize', 'signRound2']),
    reason: reasonSchema,
    accused: z.array(xidSchema),
  }),
} as const;

/** Every message-type tag. */
export type MessageType = keyof typeof messageSchemas;
/** The decoded body of message type `T`. */
export type MessageBody<T extends MessageType> = z.output<(typeof messageSchemas)[T]>;
/** All message-type tags, in flow order. */
export const MESSAGE_TYPES = Object.keys(messageSchemas) as MessageType[];

/** Options of {@link sealTyped}: {@link SealOptions} without `type`/`body`. */
export type SealTypedOptions = Omit<SealOptions, 'type' | 'body'>;

/**
 * Seal a typed message. The body is NOT re-validated (simulations deliberately send malformed
 * bodies through {@link sealMessage}); the type system keeps honest callers in shape.
 */
export function sealTyped<T extends MessageType>(
  type: T,
  body: MessageBody<T>,
  options: SealTypedOptions,
): Uint8Array {
  return sealMessage({ ...options, type, body });
}

/** An opened, schema-checked message of one of the expected types. */
export type TypedMessage<T extends MessageType> = {
  [K in T]: Omit<OpenedMessage, 'type' | 'body'> & { readonly type: K; readonly body: MessageBody<K> };
}[T];

/**
 * Open a sealed message ({@link openMessage}) and check its type and body.
 * @param expected the message types acceptable here.
 * @throws everything {@link openMessage} throws; ProtocolViolationError('type') for an authentic
 *   message of another type; MalformedMessageError('body.<path>') for a body that fails its schema.
 */
export function openTyped<T extends MessageType>(
  sealed: Uint8Array,
  options: OpenOptions,
  expected: readonly T[],
): TypedMessage<T> {
  const opened = openMessage(sealed, options);
  if (!(expected as readonly string[]).includes(opened.type)) {
    throw new ProtocolViolationError('type', `expected ${expected.join(' or ')}, got ${opened.type}`);
  }
  const type = opened.type as T;
  const body = parseOrThrow(messageSchemas[type], opened.body, 'body');
  return { ...opened, type, body } as TypedMessage<T>;
}

/** XIDs must be unique within a list; throws ProtocolViolationError(field) naming the duplicate. */
export function assertUniqueXids(xids: readonly Xid[], field: string): void {
  const seen = new Set<string>();
  for (const x of xids) {
    if (seen.has(x)) throw new ProtocolViolationError(field, `duplicate participant ${x}`);
    seen.add(x);
  }
}
