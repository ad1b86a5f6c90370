/**
 * UR text forms used by Hubert (BlockchainCommons hubert-rust v0.5.0): ARIDs are `ur:arid/...`
 * (32 random bytes, CBOR tag 40012 implied by the UR type) and stored values are `ur:envelope/...`
 * (Gordian Envelope, CBOR tag 200 implied). UR/bytewords coding by `@ngraveio/bc-ur`, CBOR by `cbor2`.
 *
 * A sealed FROST message is carried as an envelope *leaf* (`#6.201(bstr)`), the simplest valid
 * envelope, so any envelope-aware store accepts it.
 */
import { URDecoder, UR, UREncoder } from '@ngraveio/bc-ur';
import { decode, encode, Tag } from 'cbor2';
import { LRUCache } from 'lru-cache';
import { UrDecodeError } from './errors.js';
import { MEMO_CAPACITY } from './memo.js';
import type { Rng } from './rng.js';

/** Length of an ARID, bytes. */
export const ARID_BYTES = 32;
/** Gordian Envelope leaf tag (bc-envelope: TAG_LEAF = 201). */
export const ENVELOPE_LEAF_TAG = 201;

/** Encode 32 bytes as `ur:arid/...`. @throws UrDecodeError('arid') when `bytes` is not 32 bytes. */
export function aridToUr(bytes: Uint8Array): string {
  if (bytes.length !== ARID_BYTES)
    throw new UrDecodeError('arid', `expected ${ARID_BYTES} bytes, got ${bytes.length}`);
  return UREncoder.encodeSinglePart(new UR(Buffer.from(encode(bytes)), 'arid'));
}

/**
 * A fresh ARID from `rng` (32 bytes), as `ur:arid/...`. Local helper: the Hubert simulator package
 * may ship its own; both produce the same text for the same bytes.
 */
export function newAridUr(rng: Rng): string {
  return aridToUr(rng(ARID_BYTES));
}

function decodeUr(text: string, type: string, field: string): Uint8Array {
  let ur: UR;
  try {
    ur = URDecoder.decode(text);
  } catch (e) {
    throw new UrDecodeError(field, (e as Error).message);
  }
  if (ur.type !== type) throw new UrDecodeError(field, `expected ur:${type}, got ur:${ur.type}`);
  return new Uint8Array(ur.cbor);
}

/** Parse `ur:arid/...` back to its 32 bytes. @throws UrDecodeError('arid') on any defect. */
export function aridFromUr(text: string): Uint8Array {
  const cbor = decodeUr(text, 'arid', 'arid');
  let value: unknown;
  try {
    value = decode(cbor, { ignoreGlobalTags: true });
  } catch (e) {
    throw new UrDecodeError('arid', `payload is not CBOR (${(e as Error).message})`);
  }
  if (!(value instanceof Uint8Array) || value.length !== ARID_BYTES) {
    throw new UrDecodeError('arid', `payload is not a ${ARID_BYTES}-byte string`);
  }
  return value;
}

/** True when `text` is a well-formed `ur:arid/...`. */
export function isAridUr(text: string): boolean {
  try {
    aridFromUr(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The last texts {@link sealedToEnvelopeUr} made in this process, with the sealed bytes each
 * wraps (lru-cache): {@link sealedFromEnvelopeUr} of such a text is exactly those bytes (the UR
 * and CBOR codings round-trip), so a hit skips the bytewords and CBOR decoding.
 */
const WRAPPED = new LRUCache<string, Uint8Array>({ max: MEMO_CAPACITY });

/** Wrap sealed-message bytes as an envelope leaf, `ur:envelope/...` (what goes into `KvStore.put`). */
export function sealedToEnvelopeUr(sealed: Uint8Array): string {
  const text = UREncoder.encodeSinglePart(
    new UR(Buffer.from(encode(new Tag(ENVELOPE_LEAF_TAG, sealed))), 'envelope'),
  );
  WRAPPED.set(text, sealed.slice());
  return text;
}

/**
 * Unwrap `ur:envelope/...` (as returned by `KvStore.get`) to the sealed-message bytes.
 * @throws UrDecodeError('envelope') when it is not a UR envelope leaf holding a byte string.
 */
export function sealedFromEnvelopeUr(text: string): Uint8Array {
  const wrapped = WRAPPED.get(text);
  if (wrapped !== undefined) return wrapped.slice();
  const cbor = decodeUr(text, 'envelope', 'envelope');
  let value: unknown;
  try {
    value = decode(cbor, { ignoreGlobalTags: true });
  } catch (e) {
    throw new UrDecodeError('envelope', `payload is not CBOR (${(e as Error).message})`);
  }
  if (
    !(value instanceof Tag) ||
    Number(value.tag) !== ENVELOPE_LEAF_TAG ||
    !(value.contents instanceof Uint8Array)
  ) {
    throw new UrDecodeError('envelope', `expected an envelope leaf #6.${ENVELOPE_LEAF_TAG}(bytes)`);
  }
  return value.contents;
}
