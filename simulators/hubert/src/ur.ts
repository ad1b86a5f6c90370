/**
 * Uniform Resources for Hubert: ARIDs (`ur:arid/...`) and Gordian Envelopes (`ur:envelope/...`).
 *
 * Encoding (BCR-2020-005 UR, BCR-2020-012 bytewords, as done by BlockchainCommons bc-ur-rust
 * `UR::string` / `UR::from_ur_string`):
 * - the UR body is the UNTAGGED dCBOR of the value (the UR type names the tag): an ARID is the
 *   32-byte byte string `h'...'` (tag 40012 implied), an envelope is its content (tag 200 implied);
 * - bytewords "minimal" style (2 letters per byte) with a CRC-32 appended; single-part only;
 * - decoding is case-insensitive (`UR:ARID/...` is accepted); encoding is lowercase.
 *
 * Our payload envelopes are Gordian Envelope leaves holding a CBOR byte string:
 * `200(201(h'<payload>'))`, i.e. `ur:envelope/tpso...` — the same bytes `envelope subject type
 * data <hex>` produces (bc-envelope-cli-rust tests/test_subject_type.rs).
 *
 * Bytewords + CRC + UR framing: `@ngraveio/bc-ur` 1.1.13. CBOR: `cbor2` in dCBOR mode.
 *
 * Parsing is a pure function of the text, and a simulation parses the same texts again and again
 * (every poll of an ARID goes through the client, the server and the store), so ARID and envelope
 * parses are memoised process-wide in bounded maps ({@link UR_MEMO_CAPACITY} ARID texts,
 * {@link UR_MEMO_ENVELOPES} envelope texts of up to {@link UR_MEMO_MAX_ENVELOPE_CHARS} characters). A text that fails is parsed (and
 * fails) again every time; results are copied out, so callers may keep or change them.
 */
import { UR, URDecoder, UREncoder } from '@ngraveio/bc-ur';
import { Tag, decode as cborDecode, encode as cborEncode } from 'cbor2';
import { ENVELOPE_DECODE_OPTIONS, envelopeStructureError } from './envelope-check.js';
import {
  HubertArgumentError,
  InvalidAridError,
  InvalidEnvelopeError,
  type InvalidUrError,
  type UrField,
} from './errors.js';
import { LRUCache } from 'lru-cache';

/** CBOR tag of an ARID (bc-tags `TAG_ARID`). */
export const TAG_ARID = 40012;
/** CBOR tag of a Gordian Envelope (bc-tags `TAG_ENVELOPE`). */
export const TAG_ENVELOPE = 200;
/** CBOR tag of an envelope leaf (bc-tags `TAG_LEAF`). */
export const TAG_LEAF = 201;
/** CBOR tag of an encrypted envelope (bc-tags `TAG_ENCRYPTED`). */
export const TAG_ENCRYPTED = 40002;
/** CBOR tag of a compressed envelope (bc-tags `TAG_COMPRESSED`). */
export const TAG_COMPRESSED = 40003;
/** Length of an ARID in bytes. */
export const ARID_LENGTH = 32;

/** ARID texts each ARID parse memo keeps. */
export const UR_MEMO_CAPACITY = 16_384;
/** Envelope texts each envelope parse memo keeps (a stored value is parsed a few times in a row). */
export const UR_MEMO_ENVELOPES = 1024;
/** Longest envelope text memoised, characters (longer ones are parsed every time). */
export const UR_MEMO_MAX_ENVELOPE_CHARS = 65_536;

/** A bounded memo (lru-cache) of text parses; texts over `maxChars` characters are not kept. */
const textMemo = <V extends NonNullable<unknown>>(max: number, maxChars: number): LRUCache<string, V> =>
  new LRUCache<string, V>({ max, maxEntrySize: maxChars, sizeCalculation: (_v, text) => text.length });

const aridMemo = textMemo<Uint8Array>(UR_MEMO_CAPACITY, 256);
const canonicalAridMemo = textMemo<string>(UR_MEMO_CAPACITY, 256);
const envelopeMemo = textMemo<Uint8Array>(UR_MEMO_ENVELOPES, UR_MEMO_MAX_ENVELOPE_CHARS);
const canonicalEnvelopeMemo = textMemo<string>(UR_MEMO_ENVELOPES, UR_MEMO_MAX_ENVELOPE_CHARS);

/** Seeded randomness: returns `n` random bytes. */
export type Rng = (n: number) => Uint8Array;

/** dCBOR decoding that keeps ints (bigint), floats (number), maps (Map) and tags (Tag) apart. */
const DCBOR_DECODE = ENVELOPE_DECODE_OPTIONS;

/**
 * Minimal bytewords: lowercase ASCII letters only (bc-ur-rust via the `ur` crate's
 * `bytewords::decode`: non-ASCII → NonAscii, other characters → InvalidWord). Checked before
 * @ngraveio/bc-ur, whose /.{1,2}/g split silently skips line terminators (\r, U+2028, U+2029).
 */
const MINIMAL_BYTEWORDS = /^[a-z]*$/;

/** Plain Uint8Array copy (cbor2 would encode a Node Buffer as an object). */
function plain(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

function dcborEncode(value: unknown): Uint8Array {
  return cborEncode(value, { dcbor: true });
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function errorFor(field: UrField, reason: string): InvalidUrError {
  return field === 'arid' ? new InvalidAridError(reason) : new InvalidEnvelopeError(reason);
}

/**
 * Decode a single-part UR of type `type` to its CBOR body bytes (checks scheme, type, single
 * part, bytewords and CRC-32; case-insensitive like bc-ur-rust `UR::from_ur_string`).
 * @throws InvalidAridError / InvalidEnvelopeError (per `field`) naming what was wrong.
 */
function decodeUrBody(text: string, type: string, field: UrField): Uint8Array {
  if (typeof text !== 'string') throw errorFor(field, 'not a string');
  const lower = text.toLowerCase();
  if (!lower.startsWith('ur:')) throw errorFor(field, 'invalid scheme (expected "ur:")');
  const parts = lower.slice(3).split('/');
  if (parts.length < 2) throw errorFor(field, 'type unspecified');
  const urType = parts[0]!;
  if (!/^[a-z0-9-]+$/.test(urType)) throw errorFor(field, `invalid UR type "${urType}"`);
  if (urType !== type) throw errorFor(field, `unexpected UR type "${urType}" (expected "${type}")`);
  if (parts.length !== 2) throw errorFor(field, 'not a single-part UR');
  if (!MINIMAL_BYTEWORDS.test(parts[1]!))
    throw errorFor(field, 'bad bytewords (only the letters a-z may follow the type)');
  try {
    return plain(URDecoder.decode(lower).cbor);
  } catch (e) {
    throw errorFor(field, `bad bytewords or checksum (${(e as Error).message})`);
  }
}

function decodeDcbor(bytes: Uint8Array, field: UrField): unknown {
  try {
    return cborDecode(bytes, DCBOR_DECODE);
  } catch (e) {
    throw errorFor(field, `invalid dCBOR (${(e as Error).message})`);
  }
}

function encodeUr(cbor: Uint8Array, type: string): string {
  return UREncoder.encodeSinglePart(new UR(Buffer.from(cbor), type));
}

/**
 * A fresh ARID: 32 bytes from the injected seeded `rng`.
 * @throws HubertArgumentError when `rng(32)` does not return exactly 32 bytes.
 */
export function newArid(rng: Rng): Uint8Array {
  const bytes = rng(ARID_LENGTH);
  if (!(bytes instanceof Uint8Array) || bytes.length !== ARID_LENGTH) {
    throw new HubertArgumentError(
      'rng',
      `rng(32) must return 32 bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`,
    );
  }
  return plain(bytes);
}

/**
 * `ur:arid/...` text of a 32-byte ARID (body: CBOR byte string, tag 40012 implied by the type).
 * @throws InvalidAridError when `bytes` is not exactly 32 bytes.
 */
export function aridToUr(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ARID_LENGTH) {
    throw new InvalidAridError(
      `an ARID is 32 bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`,
    );
  }
  return encodeUr(dcborEncode(plain(bytes)), 'arid');
}

/**
 * The 32 ARID bytes of a `ur:arid/...` text (case-insensitive).
 * @throws InvalidAridError naming the fault: scheme, type, multi-part, bytewords/CRC, dCBOR,
 *   not a byte string, or not 32 bytes.
 */
export function aridFromUr(text: string): Uint8Array {
  const hit = aridMemo.get(text);
  if (hit !== undefined) return plain(hit);
  const body = decodeUrBody(text, 'arid', 'arid');
  const value = decodeDcbor(body, 'arid');
  if (!(value instanceof Uint8Array)) throw new InvalidAridError('CBOR body is not a byte string');
  if (value.length !== ARID_LENGTH) throw new InvalidAridError(`an ARID is 32 bytes, got ${value.length}`);
  aridMemo.set(text, plain(value));
  return plain(value);
}

/**
 * The canonical (lowercase, re-encoded) text of an ARID UR: what hubert-rust prints as `arid.ur_string()`.
 * @throws InvalidAridError as {@link aridFromUr}.
 */
export function canonicalAridUr(text: string): string {
  const hit = canonicalAridMemo.get(text);
  if (hit !== undefined) return hit;
  const canonical = aridToUr(aridFromUr(text));
  canonicalAridMemo.set(text, canonical);
  return canonical;
}

/**
 * `ur:envelope/...` text of a leaf envelope holding `payload` as a CBOR byte string:
 * `200(201(h'<payload>'))` (the UR body omits tag 200).
 */
export function envelopeToUr(payload: Uint8Array): string {
  return encodeUr(dcborEncode(new Tag(TAG_LEAF, plain(payload))), 'envelope');
}

/**
 * The payload bytes of a leaf envelope made by {@link envelopeToUr}.
 * @throws InvalidEnvelopeError when the text is not a valid envelope UR, or is a valid envelope
 *   that is not a leaf holding a byte string.
 */
export function envelopeFromUr(text: string): Uint8Array {
  const value = decodeDcbor(decodeUrBody(text, 'envelope', 'envelope'), 'envelope');
  if (!(value instanceof Tag) || Number(value.tag) !== TAG_LEAF || !(value.contents instanceof Uint8Array)) {
    throw new InvalidEnvelopeError('not a leaf envelope holding a byte string');
  }
  return plain(value.contents);
}

/**
 * Decode and check any `ur:envelope/...` text; returns the UNTAGGED envelope CBOR (the UR body),
 * byte for byte as sent. Accepts exactly what bc-envelope v0.43 `Envelope::from_ur_string`
 * accepts (see src/envelope-check.ts): leaf `201(x)` or `24(x)`, node `[subject, assertion...]`
 * whose assertions are assertions or obscured, assertion `{predicate: object}`, wrapped
 * `200(envelope)`, known value (unsigned int), elided (32-byte digest), encrypted
 * `40002([ct, nonce, auth, aad-digest, ...])`, compressed `40003([crc32, size, data, digest])`.
 * The body must be valid dCBOR. Upstream re-encodes what it stores (assertions sorted by digest,
 * a tag-24 leaf as 201, extra encrypted elements dropped); we keep the bytes as sent.
 * @throws InvalidEnvelopeError naming the fault (`CBOR body is not an envelope: <reason>`).
 */
export function decodeEnvelopeUr(text: string): Uint8Array {
  const hit = envelopeMemo.get(text);
  if (hit !== undefined) return plain(hit);
  const body = decodeUrBody(text, 'envelope', 'envelope');
  const value = decodeDcbor(body, 'envelope');
  const reason = envelopeStructureError(value);
  if (reason !== null) throw new InvalidEnvelopeError(`CBOR body is not an envelope: ${reason}`);
  envelopeMemo.set(text, plain(body));
  return body;
}

/** `ur:envelope/...` text (lowercase) of an untagged envelope CBOR body from {@link decodeEnvelopeUr}. */
export function envelopeCborToUr(untaggedCbor: Uint8Array): string {
  return encodeUr(untaggedCbor, 'envelope');
}

/**
 * The canonical (lowercase) text of an envelope UR: what hubert-rust prints as `envelope.ur_string()`.
 * @throws InvalidEnvelopeError as {@link decodeEnvelopeUr}.
 */
export function canonicalEnvelopeUr(text: string): string {
  const hit = canonicalEnvelopeMemo.get(text);
  if (hit !== undefined) return hit;
  const canonical = envelopeCborToUr(decodeEnvelopeUr(text));
  canonicalEnvelopeMemo.set(text, canonical);
  return canonical;
}

/**
 * Size in bytes of an envelope's TAGGED CBOR (`envelope.to_cbor_data()`, tag 200 included): the
 * number hubert-rust's mainline and hybrid stores compare with the 1000-byte DHT limit
 * (src/mainline/kv.rs put_impl, src/hybrid/kv.rs fits_in_dht).
 * @param untaggedCbor the UR body from {@link decodeEnvelopeUr}.
 */
export function taggedEnvelopeSize(untaggedCbor: Uint8Array): number {
  return 2 + untaggedCbor.length; // tag 200 encodes as 0xd8 0xc8
}

/**
 * {@link taggedEnvelopeSize} of a `ur:envelope/...` text.
 * @throws InvalidEnvelopeError as {@link decodeEnvelopeUr}.
 */
export function envelopeUrSize(text: string): number {
  return taggedEnvelopeSize(decodeEnvelopeUr(text));
}

/** Keys of the reference envelope (our simplified form of hubert-rust src/hybrid/reference.rs). */
const REF_VIA = 'dereferenceVia';

/**
 * A hybrid reference envelope pointing at IPFS content stored under `referenceArid`:
 * a leaf holding the dCBOR map `{"id": 40012(h'<arid>'), "size": <n>, "dereferenceVia": "ipfs"}`.
 * Simplification: upstream builds `'' ['dereferenceVia': "ipfs", 'id': ARID, "size": n]` with
 * known values and encrypts it under a key derived from the ARID; we keep it in clear.
 * @param size the referenced envelope's tagged CBOR size in bytes (diagnostic).
 * @throws InvalidAridError when `referenceArid` is not 32 bytes.
 */
export function referenceEnvelopeToUr(referenceArid: Uint8Array, size: number): string {
  if (referenceArid.length !== ARID_LENGTH)
    throw new InvalidAridError(`an ARID is 32 bytes, got ${referenceArid.length}`);
  const map = new Map<string, unknown>([
    [REF_VIA, 'ipfs'],
    ['id', new Tag(TAG_ARID, plain(referenceArid))],
    ['size', size],
  ]);
  return encodeUr(dcborEncode(new Tag(TAG_LEAF, map)), 'envelope');
}

/**
 * If the untagged envelope CBOR is a reference envelope (see {@link referenceEnvelopeToUr}),
 * its reference ARID bytes and size; otherwise null.
 */
export function parseReferenceEnvelope(untaggedCbor: Uint8Array): { arid: Uint8Array; size: number } | null {
  let value: unknown;
  try {
    value = cborDecode(untaggedCbor, DCBOR_DECODE);
  } catch {
    return null;
  }
  if (!(value instanceof Tag) || Number(value.tag) !== TAG_LEAF) return null;
  const c = value.contents;
  const get = (k: string): unknown =>
    c instanceof Map
      ? c.get(k)
      : c !== null && typeof c === 'object'
        ? (c as Record<string, unknown>)[k]
        : undefined;
  if (get(REF_VIA) !== 'ipfs') return null;
  const id = get('id');
  const size = get('size');
  if (
    !(id instanceof Tag) ||
    Number(id.tag) !== TAG_ARID ||
    !(id.contents instanceof Uint8Array) ||
    id.contents.length !== ARID_LENGTH
  ) {
    return null;
  }
  return {
    arid: plain(id.contents),
    size: typeof size === 'bigint' ? Number(size) : typeof size === 'number' ? size : -1,
  };
}
