/**
 * Errors of @fanout/frost. Every class has a stable `name` and says what was wrong: the field of
 * a message (`field`, a dotted path such as `body.round1Package.commitment.0`), the sender or the
 * FROST operation.
 */

/** Base class of the errors raised while opening or checking a sealed message. */
export abstract class SealedMessageError extends Error {}

/**
 * The message is not authentic: its signature does not verify with the claimed sender's key, the
 * sender is unknown or not the one expected, or the ciphertext was tampered with (AEAD failure).
 * `sender` is the XID the message claimed (when it could be read).
 */
export class ForgedMessageError extends SealedMessageError {
  override readonly name = 'ForgedMessageError';
  constructor(
    readonly reason: string,
    readonly sender?: string,
  ) {
    super(`forged message${sender === undefined ? '' : ` claiming sender ${sender}`}: ${reason}`);
  }
}

/** The message is addressed to `recipient`, not to `me` (both XIDs, hex). */
export class NotForMeError extends SealedMessageError {
  override readonly name = 'NotForMeError';
  constructor(
    readonly recipient: string,
    readonly me: string,
  ) {
    super(`message is for ${recipient}, not for ${me}`);
  }
}

/** The message's validity window [validFrom, validUntil] (ms, clock time) does not contain `now`. */
export class ExpiredMessageError extends SealedMessageError {
  override readonly name = 'ExpiredMessageError';
  constructor(
    readonly validFrom: number,
    readonly validUntil: number,
    readonly now: number,
  ) {
    super(
      now < validFrom
        ? `message not valid before ${validFrom} ms (now ${now} ms)`
        : `message expired at ${validUntil} ms (now ${now} ms)`,
    );
  }
}

/**
 * The message (or one of its fields) does not decode or does not match its schema.
 * `field` is the dotted path of the offending field (`'cbor'` when the bytes are not CBOR at all).
 */
export class MalformedMessageError extends SealedMessageError {
  override readonly name = 'MalformedMessageError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`malformed message field '${field}': ${detail}`);
  }
}

/**
 * An authentic, well-formed message that breaks the protocol: wrong group or session, wrong phase,
 * a package that does not match what was sent earlier, an unexpected participant... `field` names
 * the offending field.
 */
export class ProtocolViolationError extends Error {
  override readonly name = 'ProtocolViolationError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`protocol violation in '${field}': ${detail}`);
  }
}

/**
 * A participant's cryptographic contribution failed its check: a DKG round-1 proof of knowledge,
 * a DKG round-2 secret share (VSS check), or a signature share (RFC 9591 §5.4 verify_signature_share).
 * `participant` is the XID of the participant it is attributed to.
 */
export class InvalidShareError extends Error {
  override readonly name = 'InvalidShareError';
  constructor(
    readonly participant: string,
    readonly what: 'proofOfKnowledge' | 'dkgShare' | 'signatureShare' | 'publicKeyPackage',
    detail: string,
  ) {
    super(`invalid ${what} from ${participant}: ${detail}`);
  }
}

/**
 * A FROST library operation (@noble/curves' FROST, suite.ts) refused its input. `operation` names it
 * (e.g. 'dkgRound2', 'signShare'); `cause` is the library's error.
 */
export class FrostOperationError extends Error {
  override readonly name = 'FrostOperationError';
  constructor(
    readonly operation: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`FROST ${operation} failed: ${detail}`, options);
  }
}

/**
 * Aggregation of signature shares failed. `cheaters` are the FROST identifiers (hex) whose shares
 * did not verify; empty when the failure could not be attributed (e.g. wrong share count).
 */
export class AggregationError extends Error {
  override readonly name = 'AggregationError';
  constructor(
    readonly cheaters: readonly string[],
    detail: string,
  ) {
    super(`FROST aggregate failed: ${detail}`);
  }
}

/** A pure coordinator step was asked to do something its inputs do not allow. `field` names the input. */
export class CoordinatorInputError extends Error {
  override readonly name = 'CoordinatorInputError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`coordinator input '${field}': ${detail}`);
  }
}

/** A UR string (`ur:arid/...`, `ur:envelope/...`) did not decode. `field` names what was being read. */
export class UrDecodeError extends Error {
  override readonly name = 'UrDecodeError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`invalid UR in '${field}': ${detail}`);
  }
}

/**
 * A Hubert get for a participant's response returned nothing before its own deadline (the store
 * answered "not found"; Hubert CLI text `Value not found within N seconds`). Reported as an error
 * against `participant` (frost-hubert parallel.rs: a get that returns nothing is an error).
 */
export class ResponseNotFoundError extends Error {
  override readonly name = 'ResponseNotFoundError';
  constructor(
    readonly participant: string,
    readonly arid: string,
    readonly timeoutSeconds: number,
  ) {
    super(`Value not found within ${timeoutSeconds} seconds`);
  }
}

/**
 * A coordinator round option was invalid. `option` names it (e.g. 'timeoutMs', 'pollIntervalMs',
 * 'putAttempts').
 */
export class RoundOptionError extends Error {
  override readonly name = 'RoundOptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`round option '${option}': ${detail}`);
  }
}

/**
 * A coordinator step was called out of order or with a session from another flow (e.g. `signRound2`
 * before `signRound1` succeeded). `field` names what was wrong.
 */
export class RoundSequenceError extends Error {
  override readonly name = 'RoundSequenceError';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`round sequence '${field}': ${detail}`);
  }
}
