/**
 * Which CBOR bodies are Gordian Envelopes, as hubert-rust's `/put` decides through
 * `Envelope::from_ur_string` (server.rs `handle_put`): bc-envelope v0.43 src/base/cbor.rs
 * `from_untagged_cbor`, src/base/envelope.rs `new_with_assertions` / `new_with_encrypted` /
 * `new_with_compressed`, src/base/assertion.rs `TryFrom<Map>`, and bc-components v0.31
 * `EncryptedMessage`, `Compressed` and `Digest` `from_untagged_cbor`.
 *
 * Works on a value decoded by cbor2 with {@link ENVELOPE_DECODE_OPTIONS} (ints as bigint, floats
 * as number, maps as Map, tags kept as Tag), i.e. after the body passed dCBOR decoding.
 * Structural only: digests are not recomputed (upstream does not check them on decode either).
 */
import { Tag, decode, type DecodeOptions } from 'cbor2';

/** cbor2 options that keep the CBOR data model apart: dCBOR rules, bigint ints, Map maps, raw tags. */
export const ENVELOPE_DECODE_OPTIONS: DecodeOptions = {
  dcbor: true,
  ignoreGlobalTags: true,
  preferBigInt: true,
  preferMap: true,
};

/** Deepest nesting accepted (upstream recurses without a bound; see docs/frost.md). */
export const MAX_ENVELOPE_DEPTH = 128;

const TAG_ENCODED_CBOR = 24;
const TAG_ENVELOPE = 200;
const TAG_LEAF = 201;
const TAG_DIGEST = 40001;
const TAG_ENCRYPTED = 40002;
const TAG_COMPRESSED = 40003;
const U32_MAX = 0xffff_ffffn;
const U64_MAX = 0xffff_ffff_ffff_ffffn;
const NONCE_LENGTH = 12;
const AUTH_TAG_LENGTH = 16;
const DIGEST_LENGTH = 32;

/** Thrown inside the walk; its message is the reason reported. */
class Reject extends Error {}

const fail = (reason: string): never => {
  throw new Reject(reason);
};

/** bc-components `Digest::from_tagged_cbor`: `40001(h'<32 bytes>')`. */
function isTaggedDigest(value: unknown): boolean {
  return (
    value instanceof Tag &&
    Number(value.tag) === TAG_DIGEST &&
    value.contents instanceof Uint8Array &&
    value.contents.length === DIGEST_LENGTH
  );
}

/**
 * bc-components `EncryptedMessage::from_untagged_cbor` + `has_digest` (required by
 * `new_with_encrypted`): `[ciphertext: bstr, nonce: bstr(12), auth: bstr(16), aad: bstr, ...]`,
 * the aad being dCBOR of a tagged digest. Elements after the fourth are ignored, as upstream.
 */
function checkEncrypted(item: unknown): void {
  if (!Array.isArray(item)) fail('EncryptedMessage must be an array');
  const a = item as unknown[];
  if (a.length < 3) fail('EncryptedMessage must have at least 3 elements');
  if (!(a[0] instanceof Uint8Array)) fail('EncryptedMessage ciphertext is not a byte string');
  if (!(a[1] instanceof Uint8Array) || a[1].length !== NONCE_LENGTH) fail('invalid nonce (12 bytes)');
  if (!(a[2] instanceof Uint8Array) || a[2].length !== AUTH_TAG_LENGTH)
    fail('invalid authentication tag (16 bytes)');
  if (a.length > 3 && !(a[3] instanceof Uint8Array)) fail('EncryptedMessage aad is not a byte string');
  let digest: unknown;
  try {
    digest = a.length > 3 ? decode(a[3] as Uint8Array, ENVELOPE_DECODE_OPTIONS) : undefined;
  } catch {
    digest = undefined;
  }
  if (!isTaggedDigest(digest)) fail('a digest was expected but not found');
}

/**
 * bc-components `Compressed::from_untagged_cbor` + `Compressed::new` + `has_digest` (required by
 * `new_with_compressed`): `[checksum: u32, size: u64, data: bstr (≤ size), digest: 40001(...)]`.
 */
function checkCompressed(item: unknown): void {
  if (!Array.isArray(item)) fail('compressed value is not an array');
  const a = item as unknown[];
  if (a.length < 3 || a.length > 4) fail('invalid number of elements in compressed');
  if (typeof a[0] !== 'bigint' || a[0] < 0n || a[0] > U32_MAX) fail('compressed checksum is not a u32');
  if (typeof a[1] !== 'bigint' || a[1] < 0n || a[1] > U64_MAX)
    fail('compressed size is not an unsigned integer');
  if (!(a[2] instanceof Uint8Array)) fail('compressed data is not a byte string');
  if (a.length === 4 && !isTaggedDigest(a[3])) fail('compressed digest is not a tagged 32-byte digest');
  if (BigInt((a[2] as Uint8Array).length) > (a[1] as bigint))
    fail('Compressed data is larger than uncompressed size');
  if (a.length === 3) fail('a digest was expected but not found');
}

/** bc-envelope `is_subject_assertion() || is_subject_obscured()`: an assertion, elided, encrypted or compressed. */
function isAssertionOrObscured(value: unknown): boolean {
  if (value instanceof Map) return true;
  if (value instanceof Uint8Array) return true; // elided (length checked by the walk)
  return (
    value instanceof Tag && (Number(value.tag) === TAG_ENCRYPTED || Number(value.tag) === TAG_COMPRESSED)
  );
}

function checkTagged(value: Tag, depth: number): void {
  const tag = Number(value.tag);
  if (tag === TAG_LEAF || tag === TAG_ENCODED_CBOR) return; // a leaf holds any CBOR
  if (tag === TAG_ENVELOPE) return walk(value.contents, depth + 1); // wrapped
  if (tag === TAG_ENCRYPTED) return checkEncrypted(value.contents);
  if (tag === TAG_COMPRESSED) return checkCompressed(value.contents);
  fail(`unknown envelope tag: ${String(value.tag)}`);
}

function walk(value: unknown, depth: number): void {
  if (depth > MAX_ENVELOPE_DEPTH) fail(`nested deeper than ${MAX_ENVELOPE_DEPTH}`);
  if (value instanceof Tag) return checkTagged(value, depth);
  if (value instanceof Uint8Array) {
    if (value.length !== DIGEST_LENGTH) fail(`invalid digest size: expected 32, got ${value.length}`);
    return; // elided
  }
  if (Array.isArray(value)) {
    if (value.length < 2) fail('node must have at least two elements');
    for (const element of value) walk(element, depth + 1);
    if (!value.slice(1).every(isAssertionOrObscured))
      fail('invalid format (a node assertion is not an assertion)');
    return;
  }
  if (value instanceof Map) {
    if (value.size !== 1) fail('assertion must be a map with exactly one element');
    const [[predicate, object]] = [...value.entries()] as [[unknown, unknown]];
    walk(predicate, depth + 1);
    walk(object, depth + 1);
    return;
  }
  if (typeof value === 'bigint' && value >= 0n) return; // known value (CBOR unsigned)
  fail('invalid envelope');
}

/**
 * Why `value` (an untagged envelope body decoded with {@link ENVELOPE_DECODE_OPTIONS}) is not a
 * Gordian Envelope, or null when it is one. Reasons use bc-envelope's texts where it has them.
 */
export function envelopeStructureError(value: unknown): string | null {
  try {
    walk(value, 0);
    return null;
  } catch (e) {
    if (e instanceof Reject) return e.message;
    throw e;
  }
}
