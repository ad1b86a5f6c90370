/**
 * Deterministic CBOR (dCBOR, draft-mcnally-deterministic-cbor) via the `cbor2` package: the same
 * value always encodes to the same bytes, and decoding rejects non-canonical encodings.
 */
import {
  TypeEncoderMap,
  Writer,
  dcborEncodeOptions,
  decode,
  defaultEncodeOptions,
  encode,
  type RequiredEncodeOptions,
} from 'cbor2';
import { writeLength, writeUnknown } from 'cbor2/encoder';
import type { KeyValueEncoded } from 'cbor2/sorts';
import { MalformedMessageError } from './errors.js';

/** CBOR major type 5, a map (RFC 8949 §3.1). */
const MAJOR_TYPE_MAP = 5;

/**
 * Each map key's dCBOR bytes, by key. cbor2 writes a plain object by encoding every key with a
 * full `encode` call (to sort the keys by their encoded bytes), and each such call spreads its
 * two dozen options twice: 30–50 µs a key on the development machine, most of the cost of a
 * FROST message. Messages use a small fixed vocabulary of keys, so each key is encoded once, by
 * cbor2 itself, and remembered.
 */
const KEY_BYTES = new Map<string, Uint8Array>();
const KEY_CACHE_MAX = 4096;

function keyBytes(key: string): Uint8Array {
  let bytes = KEY_BYTES.get(key);
  if (bytes === undefined) {
    bytes = encode(key, { dcbor: true });
    if (KEY_BYTES.size < KEY_CACHE_MAX) KEY_BYTES.set(key, bytes);
  }
  return bytes;
}

/**
 * cbor2's own writing of a plain object (encoder.js, writeObject: Object.entries, keys sorted with
 * the options' sortKeys on their encoded bytes, the map header, then key bytes and value per
 * entry) with the key bytes from {@link keyBytes}. An object with its own `toCBOR` or `toJSON` is
 * left to cbor2 entirely. Byte-identical to `encode(value, { dcbor: true })` (cbor.test.ts).
 */
const PLAIN_OBJECTS = new TypeEncoderMap();
PLAIN_OBJECTS.registerEncoder(Object, (obj, w, opts) => {
  const o = obj as Record<string, unknown> & { toCBOR?: unknown; toJSON?: unknown };
  if (typeof o.toCBOR === 'function' || typeof o.toJSON === 'function') {
    writeUnknown(o, w, { ...opts, types: null });
    return undefined;
  }
  const entries: KeyValueEncoded[] = Object.entries(o).map(([k, v]) => [k, v, keyBytes(k)]);
  if (opts.sortKeys) entries.sort(opts.sortKeys);
  writeLength(o, entries.length, MAJOR_TYPE_MAP, w, opts);
  for (const [, value, key] of entries) {
    w.write(key);
    writeUnknown(value, w, opts);
  }
  return undefined;
});

/** cbor2's defaults with its dCBOR options over them (as encode merges them), and {@link PLAIN_OBJECTS}. */
const DCBOR_OPTIONS: RequiredEncodeOptions = {
  ...defaultEncodeOptions,
  ...dcborEncodeOptions,
  types: PLAIN_OBJECTS,
};

/**
 * Encode `value` as dCBOR (sorted map keys, shortest integers). Uint8Array → byte string.
 * @throws cbor2's errors for what dCBOR cannot hold (e.g. `undefined`).
 */
export function encodeCbor(value: unknown): Uint8Array {
  // What cbor2's encode(value, { dcbor: true }) does (encoder.js `encode`: a Writer, writeUnknown
  // with the merged options, read) with the options merged once instead of on every call.
  const writer = new Writer();
  writeUnknown(value, writer, DCBOR_OPTIONS);
  return writer.read();
}

/**
 * Decode dCBOR bytes. Tags are not interpreted (no Date/URL objects from untrusted input).
 * @param field the name reported if the bytes are not valid dCBOR.
 * @throws MalformedMessageError(field) when the bytes are not one valid dCBOR item.
 */
export function decodeCbor(bytes: Uint8Array, field = 'cbor'): unknown {
  try {
    return decode(bytes, { dcbor: true, ignoreGlobalTags: true });
  } catch (e) {
    throw new MalformedMessageError(field, `not deterministic CBOR (${(e as Error).message})`);
  }
}
