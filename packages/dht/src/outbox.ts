import { ed25519 } from '@noble/curves/ed25519.js';
import {
  DEFAULT_OUTBOX_TTL_SECONDS,
  OutboxDecodeError,
  OutboxEncodeError,
  decodeOutbox,
  encodeOutbox,
  resolveLimits,
  type OutboxLimits,
  type OutboxMessage,
} from './codec.js';
import { assertFingerprint, outboxInfoHash } from './keys.js';
import {
  OUTBOX_VALUE_ID,
  SignedValueError,
  signValue,
  verifySignedValue,
  type SignedValue,
  type ValueVerifier,
} from './signed.js';

/**
 * Sender and reader helpers for one sender→recipient outbox (upstream `dht_queue_message` and
 * the expiry filter of `dht_retrieve_queued_messages_from_contacts`), as pure functions: the
 * caller does the DHT get and put.
 */

/** The current outbox value belongs to another key, or is not the outbox value id. */
export class OutboxOwnerError extends Error {
  override readonly name = 'OutboxOwnerError';
  constructor(
    readonly field: 'owner' | 'id' | 'signature',
    detail: string,
  ) {
    super(`current outbox ${field}: ${detail}`);
  }
}

/** A new message to queue. */
export interface QueuedMessageInit {
  /** Encrypted message bytes (non-empty, as upstream requires). */
  readonly ciphertext: Uint8Array;
  /** The message's own sequence number (upstream: message_backup_get_next_seq), u64. */
  readonly seq: bigint;
  /** Lifetime in seconds (default 7 days, upstream DHT_OFFLINE_QUEUE_DEFAULT_TTL). */
  readonly ttlSeconds?: number;
}

/** Options for {@link queueMessage}. */
export interface QueueMessageOptions {
  /** Sender fingerprint (128 lowercase hex). */
  readonly sender: string;
  /** Recipient fingerprint (128 lowercase hex). */
  readonly recipient: string;
  /** Sender's ed25519 secret key (32 bytes): owner of the outbox value. */
  readonly secretKey: Uint8Array;
  /** Current unix time, seconds (integer). Taken from the caller's clock, never read here. */
  readonly nowSeconds: number | bigint;
  /** Caps (defaults: 1000 messages, 10 MiB ciphertext, 64 KiB value). */
  readonly limits?: Partial<OutboxLimits>;
  /** Recipient's watermark: messages with seq <= it were delivered and are dropped (upstream watermark pruning). */
  readonly watermark?: bigint;
  /** What to do when the current value's data does not decode: 'throw' (default) or 'reset' (start empty, like upstream). */
  readonly onCorrupt?: 'throw' | 'reset';
}

/** Result of {@link queueMessage}. */
export interface QueueMessageResult {
  /** The DHT key (20-byte InfoHash) to put `value` at. */
  readonly key: Uint8Array;
  /** The new signed value: id 1, seq = current seq + 1 (0 for a new outbox). */
  readonly value: SignedValue;
  /** The messages it holds, oldest first. */
  readonly messages: readonly OutboxMessage[];
  /** Messages dropped from the current value. */
  readonly pruned: { readonly expired: number; readonly delivered: number };
}

function toSeconds(now: number | bigint): bigint {
  if (typeof now === 'bigint') {
    if (now < 0n) throw new RangeError('nowSeconds must be >= 0');
    return now;
  }
  if (!Number.isSafeInteger(now) || now < 0)
    throw new RangeError(`nowSeconds must be a non-negative integer, got ${now}`);
  return BigInt(now);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Read-modify-write of a sender's outbox: decode the current value (if any), drop messages
 * that expired (`expiry < now`) or that the recipient's watermark covers, append the new
 * message (version 2, timestamp = now, expiry = now + ttl), encode under the caps, and sign it
 * as value id 1 with seq + 1.
 * @param current the newest outbox value found at the key (verified by the caller or not: it is checked here), or undefined.
 * @throws FingerprintError for a bad sender/recipient; RangeError for a bad nowSeconds/ttlSeconds;
 *   OutboxOwnerError when `current` has another owner, another value id, or a bad signature;
 *   OutboxDecodeError when its data does not decode (unless onCorrupt 'reset');
 *   OutboxEncodeError for an empty ciphertext or a bad seq;
 *   OutboxLimitError when the result has more than maxMessages messages, the ciphertext is over
 *   maxCiphertextBytes, or the encoding is over maxValueBytes;
 *   SignedValueError when the secret key is not 32 bytes or the seq would pass 2^53 − 1.
 */
export function queueMessage(
  current: SignedValue | undefined,
  message: QueuedMessageInit,
  options: QueueMessageOptions,
): QueueMessageResult {
  assertFingerprint(options.sender, 'sender');
  assertFingerprint(options.recipient, 'recipient');
  const now = toSeconds(options.nowSeconds);
  const limits = resolveLimits(options.limits);
  const ttl = message.ttlSeconds ?? DEFAULT_OUTBOX_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0)
    throw new RangeError(`ttlSeconds must be a positive integer, got ${ttl}`);
  if (!(options.secretKey instanceof Uint8Array) || options.secretKey.length !== 32)
    throw new SignedValueError('secretKey', 'must be a 32-byte ed25519 secret key');
  const key = outboxInfoHash(options.sender, options.recipient);

  let existing: OutboxMessage[] = [];
  let nextSeq = 0;
  if (current !== undefined) {
    if (current.id !== OUTBOX_VALUE_ID)
      throw new OutboxOwnerError('id', `is ${current.id}, expected ${OUTBOX_VALUE_ID}`);
    if (!bytesEqual(current.owner, ed25519.getPublicKey(options.secretKey)))
      throw new OutboxOwnerError('owner', 'is not the sender key');
    if (!verifySignedValue(key, current))
      throw new OutboxOwnerError('signature', 'does not verify for this outbox key');
    if (current.seq >= Number.MAX_SAFE_INTEGER)
      throw new SignedValueError('seq', 'cannot rise past 2^53 - 1');
    nextSeq = current.seq + 1;
    try {
      existing = decodeOutbox(current.data, limits);
    } catch (e) {
      if (!(e instanceof OutboxDecodeError) || options.onCorrupt !== 'reset') throw e;
      existing = [];
    }
  }

  let expired = 0;
  let delivered = 0;
  const kept = existing.filter((m) => {
    if (m.expiry < now) {
      expired++;
      return false;
    }
    if (options.watermark !== undefined && m.seq <= options.watermark) {
      delivered++;
      return false;
    }
    return true;
  });
  if (!(message.ciphertext instanceof Uint8Array) || message.ciphertext.length === 0) {
    throw new OutboxEncodeError('ciphertext', kept.length, 'must be a non-empty Uint8Array');
  }
  const added: OutboxMessage = {
    version: 2,
    seq: message.seq,
    timestamp: now,
    expiry: now + BigInt(ttl),
    sender: options.sender,
    recipient: options.recipient,
    ciphertext: message.ciphertext.slice(),
  };
  const messages = [...kept, added];
  const data = encodeOutbox(messages, limits);
  const value = signValue(key, { id: OUTBOX_VALUE_ID, seq: nextSeq, data }, options.secretKey);
  return { key, value, messages, pruned: { expired, delivered } };
}

/** Options for {@link readOutbox}. */
export interface ReadOutboxOptions {
  readonly sender: string;
  readonly recipient: string;
  /** Current unix time, seconds. Messages with `expiry < now` are dropped (upstream keeps `expiry >= now`). */
  readonly nowSeconds: number | bigint;
  /** When given, the value must be owned by this ed25519 public key. */
  readonly owner?: Uint8Array;
  /** Caps for decoding (defaults as {@link decodeOutbox}). */
  readonly limits?: Partial<OutboxLimits>;
  /** Signature check (default {@link verifySignedValue}; e.g. a memoizedVerifier). */
  readonly verify?: ValueVerifier;
}

/**
 * Open an outbox value found in the DHT: check id 1, signature (for the outbox key) and owner,
 * decode, and keep the unexpired messages.
 * @throws FingerprintError; OutboxOwnerError ('id' | 'signature' | 'owner'); OutboxDecodeError; RangeError for nowSeconds.
 */
export function readOutbox(value: SignedValue, options: ReadOutboxOptions): OutboxMessage[] {
  const now = toSeconds(options.nowSeconds);
  const key = outboxInfoHash(options.sender, options.recipient);
  if (value.id !== OUTBOX_VALUE_ID)
    throw new OutboxOwnerError('id', `is ${value.id}, expected ${OUTBOX_VALUE_ID}`);
  if (!(options.verify ?? verifySignedValue)(key, value))
    throw new OutboxOwnerError('signature', 'does not verify for this outbox key');
  if (options.owner !== undefined && !bytesEqual(value.owner, options.owner))
    throw new OutboxOwnerError('owner', 'is not the expected sender key');
  return decodeOutbox(value.data, options.limits ?? {}).filter((m) => m.expiry >= now);
}
