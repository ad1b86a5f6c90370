/**
 * Deterministic CBOR (dCBOR, draft-mcnally-deterministic-cbor) via the `cbor2` package: the same
 * value always encodes to the same bytes, and decoding rejects non-canonical encodings.
 */
import { decode, encode } from 'cbor2';
import { MalformedMessageError } from './errors.js';

/** Encode `value` as dCBOR (sorted map keys, shortest integers). Uint8Array → byte string. */
export function encodeCbor(value: unknown): Uint8Array {
  return encode(value, { dcbor: true });
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
