/**
 * DNA Messenger outbox value codec, byte-compatible with `dht_serialize_messages` /
 * `dht_deserialize_messages` in nocdem/dna-messenger dht/shared/dht_offline_queue.c.
 *
 * Layout, all integers big-endian (network order):
 *
 *     count            u32
 *     count × message:
 *       magic          u32   0x444E4120 ("DNA ")
 *       version        u8    1 or 2
 *       seq_num        u64   (version 2 only; version 1 messages read as seq 0)
 *       timestamp      u64   unix seconds
 *       expiry         u64   unix seconds
 *       sender_len     u16
 *       sender         sender_len bytes
 *       recipient_len  u16
 *       recipient      recipient_len bytes
 *       ciphertext_len u32
 *       ciphertext     ciphertext_len bytes
 *
 * NOTE: each length is followed directly by its bytes. The doc comment above upstream's
 * `dht_serialize_messages` (and the lab's reference notes, shared/reference/dht.md) list the three
 * lengths together before the three strings; the C code that actually writes and reads the
 * value interleaves them as above, and that code is what we match. Source read:
 * nocdem/dna-messenger, dht/shared/dht_offline_queue.c at commit
 * 30ab3ca65f21525487365a63667bdd8413b2cf02 — in `dht_serialize_messages` the writer does
 * "Sender length and string" (htons(sender_len), then memcpy of the sender), then "Recipient
 * length and string", then "Ciphertext length and data" (htonl(ciphertext_len), then the bytes);
 * `dht_deserialize_messages` reads them back in the same order. The deviation from the
 * reference notes is documented in docs/dht.md ("Deviations"). Upstream's reader accepts versions 1 and 2 (v1 has no seq field; it gets
 * seq 0 "legacy compat") and its writer always writes version 2 (DHT_OFFLINE_QUEUE_VERSION 2).
 * Upstream rejects count > 1000 (DHT_OFFLINE_MAX_MESSAGES_PER_OUTBOX, "M6: DoS prevention")
 * and ciphertext_len > 10 MiB (DNA_MESSAGE_MAX_CIPHERTEXT_SIZE, messenger/messages.h).
 * Sender and recipient are C strings there (strlen on write), so they cannot contain NUL.
 */

/** "DNA " as a big-endian u32 (DHT_OFFLINE_QUEUE_MAGIC). */
export const OUTBOX_MAGIC = 0x444e4120;
/** Versions the reader accepts; the writer writes 2 unless a message asks for 1. */
export type OutboxVersion = 1 | 2;
/** Upstream DHT_OFFLINE_QUEUE_DEFAULT_TTL: 7 days, in seconds. */
export const DEFAULT_OUTBOX_TTL_SECONDS = 604_800;
/** OpenDHT MAX_VALUE_SIZE (include/opendht/value.h): one DHT value holds at most 64 KiB. */
export const OPENDHT_MAX_VALUE_BYTES = 64 * 1024;
/** Upstream DHT_OFFLINE_MAX_MESSAGES_PER_OUTBOX. */
export const MAX_MESSAGES_PER_OUTBOX = 1000;
/** Upstream DNA_MESSAGE_MAX_CIPHERTEXT_SIZE (10 MiB), per message. */
export const MAX_CIPHERTEXT_BYTES = 10 * 1024 * 1024;
/** Largest sender/recipient string: the length field is a u16. */
export const MAX_IDENTITY_BYTES = 0xffff;

/** Bytes of the fixed part of a message: v1 21 (4+1+8+8), v2 29 (4+1+8+8+8), plus 2+2+4 of lengths. */
export const MESSAGE_FIXED_BYTES: Readonly<Record<OutboxVersion, number>> = {
  1: 4 + 1 + 8 + 8 + 2 + 2 + 4,
  2: 4 + 1 + 8 + 8 + 8 + 2 + 2 + 4,
};

const U64_MAX = (1n << 64n) - 1n;

/** One message of an outbox (what `dht_offline_message_t` holds, plus the wire version). */
export interface OutboxMessage {
  /** Wire version it was (or will be) written with. */
  readonly version: OutboxVersion;
  /** Per sender→recipient sequence number, u64 (0 for version 1). */
  readonly seq: bigint;
  /** Unix seconds when queued, u64. */
  readonly timestamp: bigint;
  /** Unix seconds when it expires, u64. Readers keep it while `expiry >= now`. */
  readonly expiry: bigint;
  /** Sender identity (a 128-hex-char fingerprint upstream; any NUL-free string up to 65,535 UTF-8 bytes here). */
  readonly sender: string;
  /** Recipient identity, same rules as `sender`. */
  readonly recipient: string;
  readonly ciphertext: Uint8Array;
}

/** A message to encode: `version` defaults to 2. */
export type OutboxMessageInit = Omit<OutboxMessage, 'version'> & { readonly version?: OutboxVersion };

/** Size caps, checked on encode and decode. */
export interface OutboxLimits {
  /** Messages per outbox (default 1000, upstream's cap). */
  maxMessages: number;
  /** Ciphertext bytes per message (default 10 MiB, upstream's cap). */
  maxCiphertextBytes: number;
  /**
   * Bytes of the whole encoded outbox (default 64 KiB: it must fit one OpenDHT value; pass a
   * larger cap for an outbox reassembled from upstream's chunked layer).
   */
  maxValueBytes: number;
}

/** The default caps. */
export const DEFAULT_OUTBOX_LIMITS: Readonly<OutboxLimits> = Object.freeze({
  maxMessages: MAX_MESSAGES_PER_OUTBOX,
  maxCiphertextBytes: MAX_CIPHERTEXT_BYTES,
  maxValueBytes: OPENDHT_MAX_VALUE_BYTES,
});

/** Fields the decoder names in errors, in wire order ('value' = the whole input, 'trailing' = bytes after the last message). */
export type OutboxField =
  | 'value'
  | 'count'
  | 'magic'
  | 'version'
  | 'seq'
  | 'timestamp'
  | 'expiry'
  | 'sender_len'
  | 'sender'
  | 'recipient_len'
  | 'recipient'
  | 'ciphertext_len'
  | 'ciphertext'
  | 'trailing';

/**
 * An outbox value could not be decoded. `field` is the wire field, `offset` the byte offset where
 * that field starts, `kind` what was wrong: 'truncated' (the input ends inside the field),
 * 'invalid' (bad magic, unknown version, string not UTF-8 or containing NUL), 'limit' (a cap
 * exceeded), 'trailing' (bytes left after the last message). `messageIndex` is the 0-based
 * message being read, when inside one.
 */
export class OutboxDecodeError extends Error {
  override readonly name = 'OutboxDecodeError';
  constructor(
    readonly field: OutboxField,
    readonly offset: number,
    readonly kind: 'truncated' | 'invalid' | 'limit' | 'trailing',
    detail: string,
    readonly messageIndex?: number,
  ) {
    super(
      `outbox ${field} at byte ${offset}${messageIndex === undefined ? '' : ` (message ${messageIndex})`}: ${detail}`,
    );
  }
}

/** A message given to the encoder is malformed. `field` names it; `messageIndex` is its position. */
export class OutboxEncodeError extends Error {
  override readonly name = 'OutboxEncodeError';
  constructor(
    readonly field:
      | 'version'
      | 'seq'
      | 'timestamp'
      | 'expiry'
      | 'sender'
      | 'recipient'
      | 'ciphertext'
      | 'messages'
      | 'limits',
    readonly messageIndex: number | undefined,
    detail: string,
  ) {
    super(`outbox message${messageIndex === undefined ? '' : ` ${messageIndex}`} ${field}: ${detail}`);
  }
}

/** A size cap was exceeded while building an outbox. `actual` and `max` are counts or bytes. */
export class OutboxLimitError extends Error {
  override readonly name = 'OutboxLimitError';
  constructor(
    readonly limit: 'messages' | 'ciphertextBytes' | 'valueBytes',
    readonly actual: number,
    readonly max: number,
    readonly messageIndex?: number,
  ) {
    super(
      limit === 'messages'
        ? `outbox has ${actual} messages, over the cap of ${max}`
        : limit === 'ciphertextBytes'
          ? `message ${messageIndex ?? '?'} ciphertext is ${actual} bytes, over the cap of ${max}`
          : `encoded outbox is ${actual} bytes, over the cap of ${max}`,
    );
  }
}

/**
 * Merge caps with the defaults.
 * @throws OutboxEncodeError('limits') when a cap is not a non-negative integer.
 */
export function resolveLimits(limits: Partial<OutboxLimits> = {}): OutboxLimits {
  const out = { ...DEFAULT_OUTBOX_LIMITS, ...limits };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new OutboxEncodeError(
        'limits',
        undefined,
        `${k} must be a non-negative integer, got ${String(v)}`,
      );
  }
  return out;
}

const utf8 = new TextEncoder();
// ignoreBOM: a leading U+FEFF is part of the string (it re-encodes to the same bytes).
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function checkU64(v: unknown, field: 'seq' | 'timestamp' | 'expiry', i: number): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX)
    throw new OutboxEncodeError(field, i, 'must be a bigint in 0..2^64-1');
  return v;
}

function identityBytes(s: unknown, field: 'sender' | 'recipient', i: number): Uint8Array {
  if (typeof s !== 'string') throw new OutboxEncodeError(field, i, 'must be a string');
  if (s.includes('\0')) throw new OutboxEncodeError(field, i, 'must not contain NUL (a C string upstream)');
  const b = utf8.encode(s);
  if (b.length > MAX_IDENTITY_BYTES)
    throw new OutboxEncodeError(field, i, `is ${b.length} UTF-8 bytes, over the u16 length field`);
  return b;
}

/**
 * Bytes {@link encodeOutbox} would produce for these messages (no validation beyond string lengths).
 */
export function encodedOutboxSize(messages: readonly OutboxMessageInit[]): number {
  let n = 4;
  for (const m of messages)
    n +=
      MESSAGE_FIXED_BYTES[m.version ?? 2] +
      utf8.encode(m.sender).length +
      utf8.encode(m.recipient).length +
      m.ciphertext.length;
  return n;
}

/**
 * Serialize messages into an outbox value (the upstream v2 writer's bytes when every message is
 * version 2).
 * @throws OutboxEncodeError for a malformed message field (u64 out of range, non-string or
 *   NUL-containing identity, identity over 65,535 bytes, unknown version, version 1 with seq ≠ 0).
 * @throws OutboxLimitError when there are more than `maxMessages` messages, a ciphertext exceeds
 *   `maxCiphertextBytes`, or the result exceeds `maxValueBytes` (defaults: 1000, 10 MiB, 64 KiB).
 */
export function encodeOutbox(
  messages: readonly OutboxMessageInit[],
  limits: Partial<OutboxLimits> = {},
): Uint8Array {
  const caps = resolveLimits(limits);
  if (!Array.isArray(messages as unknown))
    throw new OutboxEncodeError('messages', undefined, 'must be an array');
  if (messages.length > caps.maxMessages)
    throw new OutboxLimitError('messages', messages.length, caps.maxMessages);
  const parts = messages.map((m, i) => {
    const version = m.version ?? 2;
    if (version !== 1 && version !== 2)
      throw new OutboxEncodeError('version', i, `must be 1 or 2, got ${String(version)}`);
    const seq = checkU64(m.seq, 'seq', i);
    if (version === 1 && seq !== 0n)
      throw new OutboxEncodeError('seq', i, 'version 1 has no seq field; seq must be 0');
    const timestamp = checkU64(m.timestamp, 'timestamp', i);
    const expiry = checkU64(m.expiry, 'expiry', i);
    const sender = identityBytes(m.sender, 'sender', i);
    const recipient = identityBytes(m.recipient, 'recipient', i);
    if (!(m.ciphertext instanceof Uint8Array))
      throw new OutboxEncodeError('ciphertext', i, 'must be a Uint8Array');
    if (m.ciphertext.length > caps.maxCiphertextBytes)
      throw new OutboxLimitError('ciphertextBytes', m.ciphertext.length, caps.maxCiphertextBytes, i);
    return { version, seq, timestamp, expiry, sender, recipient, ciphertext: m.ciphertext };
  });
  let total = 4;
  for (const p of parts)
    total += MESSAGE_FIXED_BYTES[p.version] + p.sender.length + p.recipient.length + p.ciphertext.length;
  if (total > caps.maxValueBytes) throw new OutboxLimitError('valueBytes', total, caps.maxValueBytes);

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let o = 0;
  view.setUint32(o, parts.length);
  o += 4;
  for (const p of parts) {
    view.setUint32(o, OUTBOX_MAGIC);
    o += 4;
    out[o++] = p.version;
    if (p.version === 2) {
      view.setBigUint64(o, p.seq);
      o += 8;
    }
    view.setBigUint64(o, p.timestamp);
    o += 8;
    view.setBigUint64(o, p.expiry);
    o += 8;
    view.setUint16(o, p.sender.length);
    o += 2;
    out.set(p.sender, o);
    o += p.sender.length;
    view.setUint16(o, p.recipient.length);
    o += 2;
    out.set(p.recipient, o);
    o += p.recipient.length;
    view.setUint32(o, p.ciphertext.length);
    o += 4;
    out.set(p.ciphertext, o);
    o += p.ciphertext.length;
  }
  return out;
}

/** Options for {@link decodeOutbox}. */
export interface DecodeOutboxOptions extends Partial<OutboxLimits> {
  /**
   * Accept bytes after the last message (upstream's reader ignores them). Default false: they
   * are an OutboxDecodeError('trailing').
   */
  allowTrailingBytes?: boolean;
}

/**
 * Parse an outbox value. Never throws anything but {@link OutboxDecodeError} for any byte
 * input (or OutboxEncodeError('limits') for bad caps), and never allocates more than the input
 * size: the count is only trusted one message at a time.
 * @throws OutboxDecodeError naming the field and byte offset: input over `maxValueBytes`
 *   ('value', limit), count over `maxMessages` ('count', limit), wrong magic, version not 1/2,
 *   sender/recipient not UTF-8 or containing NUL ('invalid'), ciphertext_len over
 *   `maxCiphertextBytes` ('limit'), input ending inside a field ('truncated'), leftover bytes
 *   ('trailing').
 */
export function decodeOutbox(bytes: Uint8Array, options: DecodeOutboxOptions = {}): OutboxMessage[] {
  const { allowTrailingBytes = false, ...limits } = options;
  const caps = resolveLimits(limits);
  if (!(bytes instanceof Uint8Array))
    throw new OutboxDecodeError('value', 0, 'invalid', 'must be a Uint8Array');
  if (bytes.length > caps.maxValueBytes)
    throw new OutboxDecodeError(
      'value',
      0,
      'limit',
      `${bytes.length} bytes, over the cap of ${caps.maxValueBytes}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let o = 0;
  let index: number | undefined;
  const need = (n: number, field: OutboxField): void => {
    if (o + n > end)
      throw new OutboxDecodeError(field, o, 'truncated', `needs ${n} bytes, ${end - o} left`, index);
  };
  const identity = (field: 'sender' | 'recipient', len: number): string => {
    need(len, field);
    const raw = bytes.subarray(o, o + len);
    if (raw.includes(0)) throw new OutboxDecodeError(field, o, 'invalid', 'contains a NUL byte', index);
    let s: string;
    try {
      s = utf8Strict.decode(raw);
    } catch {
      throw new OutboxDecodeError(field, o, 'invalid', 'is not valid UTF-8', index);
    }
    o += len;
    return s;
  };

  need(4, 'count');
  const count = view.getUint32(0);
  o = 4;
  if (count > caps.maxMessages)
    throw new OutboxDecodeError(
      'count',
      0,
      'limit',
      `${count} messages, over the cap of ${caps.maxMessages}`,
    );
  const messages: OutboxMessage[] = [];
  for (let i = 0; i < count; i++) {
    index = i;
    need(4, 'magic');
    const magic = view.getUint32(o);
    if (magic !== OUTBOX_MAGIC)
      throw new OutboxDecodeError(
        'magic',
        o,
        'invalid',
        `0x${magic.toString(16).padStart(8, '0')} is not "DNA " (0x444e4120)`,
        i,
      );
    o += 4;
    need(1, 'version');
    const version = bytes[o]!;
    if (version !== 1 && version !== 2)
      throw new OutboxDecodeError('version', o, 'invalid', `${version} is not 1 or 2`, i);
    o += 1;
    let seq = 0n;
    if (version === 2) {
      need(8, 'seq');
      seq = view.getBigUint64(o);
      o += 8;
    }
    need(8, 'timestamp');
    const timestamp = view.getBigUint64(o);
    o += 8;
    need(8, 'expiry');
    const expiry = view.getBigUint64(o);
    o += 8;
    need(2, 'sender_len');
    const senderLen = view.getUint16(o);
    o += 2;
    const sender = identity('sender', senderLen);
    need(2, 'recipient_len');
    const recipientLen = view.getUint16(o);
    o += 2;
    const recipient = identity('recipient', recipientLen);
    need(4, 'ciphertext_len');
    const ctLen = view.getUint32(o);
    if (ctLen > caps.maxCiphertextBytes)
      throw new OutboxDecodeError(
        'ciphertext_len',
        o,
        'limit',
        `${ctLen} bytes, over the cap of ${caps.maxCiphertextBytes}`,
        i,
      );
    o += 4;
    need(ctLen, 'ciphertext');
    const ciphertext = bytes.slice(o, o + ctLen);
    o += ctLen;
    messages.push({ version, seq, timestamp, expiry, sender, recipient, ciphertext });
  }
  index = undefined;
  if (o !== end && !allowTrailingBytes)
    throw new OutboxDecodeError('trailing', o, 'trailing', `${end - o} bytes after the last message`);
  return messages;
}
