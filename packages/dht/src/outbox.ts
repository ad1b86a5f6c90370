import { signingKey } from '@fanout/signing-key';
import { bytesToHex } from '@noble/hashes/utils.js';
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
  /** Signature check of `current` (default verifySignedValue; e.g. a memoizedVerifier). */
  readonly verify?: ValueVerifier;
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
  return buildOutbox(current, message, options);
}

/**
 * queueMessage's body; with `message` undefined it rewrites the current messages (pruned) at
 * seq + 1 without appending (a retry whose message is already in the newest version).
 */
function buildOutbox(
  current: SignedValue | undefined,
  message: QueuedMessageInit | undefined,
  options: QueueMessageOptions,
  merged?: { readonly seq: number; readonly messages: readonly OutboxMessage[] },
): QueueMessageResult {
  const o = composeOutbox(current, message, options, merged);
  const value = signValue(o.key, { id: OUTBOX_VALUE_ID, seq: o.seq, data: o.data }, options.secretKey);
  return { key: o.key, value, messages: o.messages, pruned: o.pruned };
}

/** {@link buildOutbox} up to the signature: the new version's key, seq, messages and encoding. */
function composeOutbox(
  current: SignedValue | undefined,
  message: QueuedMessageInit | undefined,
  options: QueueMessageOptions,
  merged?: { readonly seq: number; readonly messages: readonly OutboxMessage[] },
): {
  key: Uint8Array;
  seq: number;
  data: Uint8Array;
  messages: OutboxMessage[];
  pruned: QueueMessageResult['pruned'];
} {
  assertFingerprint(options.sender, 'sender');
  assertFingerprint(options.recipient, 'recipient');
  const now = toSeconds(options.nowSeconds);
  const limits = resolveLimits(options.limits);
  const ttl = message?.ttlSeconds ?? DEFAULT_OUTBOX_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0)
    throw new RangeError(`ttlSeconds must be a positive integer, got ${ttl}`);
  if (!(options.secretKey instanceof Uint8Array) || options.secretKey.length !== 32)
    throw new SignedValueError('secretKey', 'must be a 32-byte ed25519 secret key');
  const key = outboxInfoHash(options.sender, options.recipient);

  let existing: readonly OutboxMessage[] = [];
  let nextSeq = 0;
  if (merged !== undefined) {
    if (merged.seq >= Number.MAX_SAFE_INTEGER) throw new SignedValueError('seq', 'cannot rise past 2^53 - 1');
    nextSeq = merged.seq + 1;
    existing = merged.messages;
  } else if (current !== undefined) {
    if (current.id !== OUTBOX_VALUE_ID)
      throw new OutboxOwnerError('id', `is ${current.id}, expected ${OUTBOX_VALUE_ID}`);
    if (!bytesEqual(current.owner, signingKey(options.secretKey).publicKey))
      throw new OutboxOwnerError('owner', 'is not the sender key');
    if (!(options.verify ?? verifySignedValue)(key, current))
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
  const messages = [...kept];
  if (message !== undefined) {
    if (!(message.ciphertext instanceof Uint8Array) || message.ciphertext.length === 0) {
      throw new OutboxEncodeError('ciphertext', kept.length, 'must be a non-empty Uint8Array');
    }
    messages.push({
      version: 2,
      seq: message.seq,
      timestamp: now,
      expiry: now + BigInt(ttl),
      sender: options.sender,
      recipient: options.recipient,
      ciphertext: message.ciphertext.slice(),
    });
  }
  const data = encodeOutbox(messages, limits);
  return { key, seq: nextSeq, data, messages, pruned: { expired, delivered } };
}

// ---------------------------------------------------------------------------------------------
// Sender side over a DHT: read-modify-write with retries

/** What a put reports (structurally a @fanout/sim-dht `PutResult`). */
export interface DhtPutResultLike {
  /** Nodes that stored the value. */
  readonly stored: readonly unknown[];
  /**
   * Nodes that refused it, each with its error. An error whose `reason` is 'lower-seq' or
   * 'conflict' (OpenDHT edit policy: another writer got there first) makes the write retry.
   */
  readonly refused?: ReadonlyArray<{ readonly error: unknown }>;
  /** Nodes that did not answer. */
  readonly failed?: readonly unknown[];
}

/** A value copy as a DHT node serves it. */
type ValueCopy = {
  readonly id: bigint;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly owner?: Uint8Array;
  readonly signature?: Uint8Array;
};

/**
 * A DHT that can get and put (a @fanout/sim-dht `DhtNode` fits as is). Its get should call
 * `options.verify` for every copy it receives, from every node (a DhtNode does): that is how
 * queueToOutbox sees conflicting copies at the same seq (two writers' versions), not only the
 * one copy per value id the result keeps. A DHT that does not is used through `values` alone.
 */
export interface OutboxDht {
  get(
    key: Uint8Array,
    options: { signal?: AbortSignal; verify?: (key: Uint8Array, value: ValueCopy) => boolean },
  ): Promise<{
    readonly values: ReadonlyArray<{
      readonly id: bigint;
      readonly seq: number;
      readonly data: Uint8Array;
      readonly owner?: Uint8Array;
      readonly signature?: Uint8Array;
    }>;
  }>;
  put(
    key: Uint8Array,
    value: SignedValue,
    options: { ttlMs?: number; signal?: AbortSignal },
  ): Promise<DhtPutResultLike>;
}

/** Options for {@link queueToOutbox}: those of {@link queueMessage} plus the write loop's. */
export interface QueueToOutboxOptions extends QueueMessageOptions {
  /** Read-modify-write rounds before giving up (integer >= 1). Default 8. */
  readonly attempts?: number;
  /** DHT TTL of the put, ms (default: the message lifetime, ttlSeconds × 1000, i.e. 7 days). */
  readonly putTtlMs?: number;
  /** Wait before round n + 1 (n = 1, 2, …), ms, on `clock`. Default none (re-read at once). */
  readonly backoffMs?: (attempt: number) => number;
  /** Clock for the backoff (required when backoffMs returns > 0). */
  readonly clock?: { sleep(ms: number, signal?: AbortSignal): Promise<void> };
  /** Signature check of the values read (default verifySignedValue). */
  readonly verify?: ValueVerifier;
  readonly signal?: AbortSignal;
  /** Called after each put with the value written and what the DHT said. Must not throw. */
  readonly onPut?: (value: SignedValue, messages: readonly OutboxMessage[], result: DhtPutResultLike) => void;
}

/** Result of {@link queueToOutbox}. */
export interface QueueToOutboxResult extends QueueMessageResult {
  /** Read-modify-write rounds used (1 = no contention). */
  readonly attempts: number;
  /** Nodes that stored the final value. */
  readonly stored: number;
  /** True when the last round found the message already in the newest version (an earlier round's put partly landed). */
  readonly alreadyQueued: boolean;
}

/** A queueToOutbox write did not land. `reason` says why; `attempts` how many rounds ran. */
export class OutboxQueueError extends Error {
  override readonly name = 'OutboxQueueError';
  constructor(
    /**
     * 'contended': every round was refused with lower-seq / conflict (other writers kept winning);
     * 'refused': a node refused for another reason (bad signature, owner mismatch, too large,
     * storage full: `cause` holds its error); 'no-holder': no node stored the value.
     */
    readonly reason: 'contended' | 'refused' | 'no-holder',
    readonly attempts: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`queueToOutbox ${reason} after ${attempts} round(s): ${detail}`, options);
  }
}

function refusalReason(error: unknown): string | undefined {
  const r = (error as { reason?: unknown } | null)?.reason;
  return typeof r === 'string' ? r : undefined;
}

/**
 * Same message: every field of the DNA Messenger v2 record (version, seq, timestamp, expiry,
 * sender, recipient, ciphertext). The identity the reader's duplicate check and the sender's
 * read-modify-write both use.
 */
export function sameMessage(a: OutboxMessage, b: OutboxMessage): boolean {
  return (
    a.version === b.version &&
    a.seq === b.seq &&
    a.timestamp === b.timestamp &&
    a.expiry === b.expiry &&
    a.sender === b.sender &&
    a.recipient === b.recipient &&
    bytesEqual(a.ciphertext, b.ciphertext)
  );
}

/**
 * Read every copy of the outbox value: the newest seq among copies that verify for `key` and
 * belong to `owner`, and the distinct versions (by signature) at that seq, decoded.
 */
async function readTop(
  dht: OutboxDht,
  key: Uint8Array,
  owner: Uint8Array,
  verify: ValueVerifier,
  limits: Partial<OutboxLimits> | undefined,
  onCorrupt: 'throw' | 'reset',
  signal: AbortSignal | undefined,
): Promise<{ seq: number | undefined; versions: OutboxMessage[][] }> {
  const copies: SignedValue[] = [];
  const take = (k: Uint8Array, v: ValueCopy): boolean => {
    const ok = verify(k, v);
    if (ok && v.id === OUTBOX_VALUE_ID && v.owner !== undefined && bytesEqual(v.owner, owner))
      copies.push(v as SignedValue);
    return ok;
  };
  const found = await dht.get(key, { verify: take, ...(signal !== undefined && { signal }) });
  for (const v of found.values) take(key, v);
  let seq: number | undefined;
  for (const c of copies) if (seq === undefined || c.seq > seq) seq = c.seq;
  const seen = new Set<string>();
  const versions: OutboxMessage[][] = [];
  for (const c of copies) {
    if (c.seq !== seq) continue;
    const id = bytesToHex(c.signature);
    if (seen.has(id)) continue;
    seen.add(id);
    try {
      versions.push(decodeOutbox(c.data, resolveLimits(limits)));
    } catch (e) {
      if (!(e instanceof OutboxDecodeError) || onCorrupt !== 'reset') throw e;
      versions.push([]);
    }
  }
  return { seq, versions };
}

/**
 * Queue one message to a recipient's outbox on a DHT (upstream `dht_queue_message`, which takes
 * a process-wide mutex around its get → append → put; two devices of one sender share no mutex,
 * so this relies on the DHT's signed-value edit policy and a check after the write instead).
 * Each round:
 * 1. get every copy of the outbox value owned by the sender key; take the highest seq and
 *    merge the messages of every distinct version at that seq (two writers' conflicting copies);
 * 2. drop expired / watermarked messages, append this one unless a version already has it
 *    (same seq, timestamp, expiry, sender, recipient and ciphertext: an earlier round landed),
 *    sign as value id 1 with seq + 1, and put it;
 * 3. the round succeeds when no node refused with 'lower-seq' / 'conflict' (another writer got
 *    there first), some node stored it, and a second get shows the message in every version
 *    at the highest seq (no other writer's copy without it). Otherwise the next round starts
 *    from a fresh get, at most `attempts` rounds.
 * The message's timestamp is `nowSeconds`, the same in every round.
 *
 * Guarantee (property-tested with two devices writing at once on the simulated swarm): once a
 * call resolves, its message is in every version at the newest seq the DHT serves, so later
 * writers (who merge all such versions) keep it — until it expires or the watermark covers it.
 *
 * @param dht a DHT with get and put (e.g. the sender's @fanout/sim-dht DhtNode).
 * @param message ciphertext (non-empty), the message seq (u64), ttlSeconds (default 7 days).
 * @throws everything {@link queueMessage} throws (FingerprintError, OutboxLimitError,
 *   OutboxEncodeError, OutboxDecodeError unless onCorrupt 'reset', SignedValueError, RangeError);
 *   OutboxQueueError('contended' | 'refused' | 'no-holder');
 *   RangeError for attempts that is not an integer >= 1; the signal's reason when aborted.
 */
export async function queueToOutbox(
  dht: OutboxDht,
  message: QueuedMessageInit,
  options: QueueToOutboxOptions,
): Promise<QueueToOutboxResult> {
  const attempts = options.attempts ?? 8;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError(`attempts must be an integer >= 1, got ${attempts}`);
  assertFingerprint(options.sender, 'sender');
  assertFingerprint(options.recipient, 'recipient');
  if (!(options.secretKey instanceof Uint8Array) || options.secretKey.length !== 32)
    throw new SignedValueError('secretKey', 'must be a 32-byte ed25519 secret key');
  const key = outboxInfoHash(options.sender, options.recipient);
  const owner = signingKey(options.secretKey).publicKey;
  const verify = options.verify ?? verifySignedValue;
  const onCorrupt = options.onCorrupt ?? 'throw';
  const ttlMs = options.putTtlMs ?? (message.ttlSeconds ?? DEFAULT_OUTBOX_TTL_SECONDS) * 1000;
  const signal = options.signal;
  // The message as it is written (timestamp = now): what "already there" means (not signed).
  const mine = composeOutbox(undefined, message, options).messages[0]!;
  const hasMine = (msgs: readonly OutboxMessage[]): boolean => msgs.some((m) => sameMessage(m, mine));
  let lastDetail = '';
  let lastKind: 'contended' | 'no-holder' = 'contended';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    signal?.throwIfAborted();
    if (attempt > 1 && options.backoffMs !== undefined) {
      const wait = options.backoffMs(attempt - 1);
      if (wait > 0) {
        if (options.clock === undefined)
          throw new RangeError('queueToOutbox: backoffMs needs a clock (options.clock)');
        await options.clock.sleep(wait, signal);
      }
    }
    const top = await readTop(dht, key, owner, verify, options.limits, onCorrupt, signal);
    const merged: OutboxMessage[] = [];
    for (const v of top.versions)
      for (const m of v) if (!merged.some((x) => sameMessage(x, m))) merged.push(m);
    const already = hasMine(merged);
    const built = buildOutbox(
      undefined,
      already ? undefined : message,
      options,
      top.seq === undefined ? undefined : { seq: top.seq, messages: merged },
    );
    const put = await dht.put(key, built.value, { ttlMs, ...(signal !== undefined && { signal }) });
    options.onPut?.(built.value, built.messages, put);
    const refused = put.refused ?? [];
    const lost = refused.filter((r) => {
      const why = refusalReason(r.error);
      return why === 'lower-seq' || why === 'conflict';
    });
    const other = refused.find((r) => !lost.includes(r));
    if (other !== undefined)
      throw new OutboxQueueError('refused', attempt, `a node refused the put: ${String(other.error)}`, {
        cause: other.error,
      });
    if (lost.length > 0) {
      lastKind = 'contended';
      lastDetail = `${lost.length} node(s) hold a version at seq >= ${built.value.seq} (another writer)`;
      continue;
    }
    if (put.stored.length === 0) {
      lastKind = 'no-holder';
      lastDetail = `no node stored seq ${built.value.seq} (${put.failed?.length ?? 0} did not answer)`;
      continue;
    }
    // Did another writer's copy land beside ours (at our seq, on nodes ours did not reach, or above it)?
    const check = await readTop(dht, key, owner, verify, options.limits, onCorrupt, signal);
    if (check.versions.length > 0 && check.versions.every(hasMine))
      return { ...built, attempts: attempt, stored: put.stored.length, alreadyQueued: already };
    lastKind = 'contended';
    lastDetail = `after the put, a version at seq ${check.seq} lacks the message (another writer)`;
  }
  throw new OutboxQueueError(lastKind, attempts, lastDetail);
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
