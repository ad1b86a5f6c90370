/**
 * The 48-byte "modern" response header raidax-server uses for every request whose encryption type
 * byte (request byte 16) is not 0, 1 or 2: the AES-256 types 4 and 5, and unknown types, which it
 * refuses with 27 in this layout (protocol.c get_response_header, else branch; prepare_response).
 *
 * Layout, big-endian:
 *   0 RAIDA id · 1 shard (0) · 2 status · 3 command group · 4-7 execution time µs · 8 bitfield (0)
 *   9-11 body size u24 (body + HMAC-32 + 2-byte terminator; 0 when no output) · 12-15 zero
 *   16 encryption type (the request's) · 17 key den (int8) · 18-21 key SN u32 · 22-23 zero
 *   24-45 the server's fresh response nonce (type 5: byte 24 second key den, 25-28 its SN, then 17
 *         nonce bytes) · 46-47 echo = request nonce bytes 22-23 (request bytes 46-47)
 *
 * There is no challenge signature and no echo at bytes 6-7, so a client of the 32-byte protocol
 * cannot match such a reply to a request; @fanout/raida's client never sends these types and counts
 * one as `malformed`. Bodies (AES-256-CTR + HMAC-SHA256 for types 4/5) are returned undecrypted.
 */
import {
  checkInt,
  checkLen,
  concatBytes,
  readU16,
  readU24,
  readU32,
  writeU16,
  writeU24,
  writeU32,
} from './bytes.js';
import { MODERN_RESPONSE_HEADER_SIZE, TERMINATOR_BYTE, TERMINATOR_SIZE } from './constants.js';
import { RaidaDecodeError, RaidaEncodeError } from './errors.js';

/** Bytes 24-45 of a modern response header: the response nonce section, bytes. */
export const MODERN_NONCE_SIZE = 22;

/** A decoded 48-byte response header plus its raw body. */
export interface ModernResponse {
  readonly raidaId: number;
  readonly shard: number;
  readonly status: number;
  readonly group: number;
  /** Server execution time, µs (bytes 4-7). */
  readonly execMicros: number;
  /** Body size including the 2-byte terminator; 0 when there is no body, bytes. */
  readonly bodySize: number;
  /** The request's encryption type, byte 16. */
  readonly encryption: number;
  /** Key token denomination (int8), byte 17. */
  readonly keyDen: number;
  /** Key token serial number, bytes 18-21. */
  readonly keySn: number;
  /** Bytes 24-45 (22 bytes): response nonce, or second key den/SN + nonce for type 5. */
  readonly nonce: Uint8Array;
  /** Bytes 46-47 as a u16: the request's bytes 46-47. */
  readonly echo: number;
  /** The body without its terminator, still encrypted (empty when none). */
  readonly body: Uint8Array;
}

/** What {@link encodeModernResponse} needs. */
export interface ModernResponseSpec {
  readonly raidaId: number;
  readonly status: number;
  readonly group: number;
  /** Request byte 16; 0-255. */
  readonly encryption: number;
  /** Default 0, µs. */
  readonly execMicros?: number;
  /** Default 0 (int8). */
  readonly keyDen?: number;
  /** Default 0. */
  readonly keySn?: number;
  /** 22 bytes for header bytes 24-45; default zeros. */
  readonly nonce?: Uint8Array;
  /** u16 for bytes 46-47; default 0. */
  readonly echo?: number;
  /** Output already encrypted and MACed; empty or absent → no body and no terminator. */
  readonly body?: Uint8Array;
}

/**
 * Encodes a 48-byte modern response (+ body + 0x3E3E when `body` is non-empty).
 * @throws RaidaEncodeError naming the field when a value does not fit or the nonce is not 22 bytes.
 */
export function encodeModernResponse(spec: ModernResponseSpec): Uint8Array {
  checkInt('raidaId', spec.raidaId, 0, 255);
  checkInt('status', spec.status, 0, 255);
  checkInt('group', spec.group, 0, 255);
  checkInt('encryption', spec.encryption, 0, 255);
  checkInt('execMicros', spec.execMicros ?? 0, 0, 0xffff_ffff);
  checkInt('keyDen', spec.keyDen ?? 0, -128, 127);
  checkInt('keySn', spec.keySn ?? 0, 0, 0xffff_ffff);
  checkInt('echo', spec.echo ?? 0, 0, 0xffff);
  const nonce = spec.nonce ?? new Uint8Array(MODERN_NONCE_SIZE);
  checkLen('nonce', nonce, MODERN_NONCE_SIZE);
  const body = spec.body ?? new Uint8Array(0);
  const bodySize = body.length > 0 ? body.length + TERMINATOR_SIZE : 0;
  if (bodySize > 0xff_ffff)
    throw new RaidaEncodeError('body', `body of ${body.length} bytes exceeds the u24 size field`);
  const h = new Uint8Array(MODERN_RESPONSE_HEADER_SIZE);
  h[0] = spec.raidaId;
  h[2] = spec.status;
  h[3] = spec.group;
  writeU32(h, 4, spec.execMicros ?? 0);
  writeU24(h, 9, bodySize);
  h[16] = spec.encryption;
  h[17] = (spec.keyDen ?? 0) & 0xff;
  writeU32(h, 18, spec.keySn ?? 0);
  h.set(nonce, 24);
  writeU16(h, 46, spec.echo ?? 0);
  if (bodySize === 0) return h;
  return concatBytes(h, body, new Uint8Array([TERMINATOR_BYTE, TERMINATOR_BYTE]));
}

/**
 * Decodes a modern response. Strict like decodeResponse: exactly 48 + body size bytes, a body size
 * of 1 or 2 is invalid, a body ends with 0x3E3E.
 * @throws RaidaDecodeError with field 'response.header' (< 48 bytes), 'response.bodySize',
 *   'response.length' or 'response.terminator'.
 */
export function decodeModernResponse(bytes: Uint8Array): ModernResponse {
  const size = MODERN_RESPONSE_HEADER_SIZE;
  if (bytes.length < size) {
    throw new RaidaDecodeError(
      'response.header',
      bytes.length,
      `response of ${bytes.length} bytes is shorter than the ${size}-byte modern header`,
    );
  }
  const bodySize = readU24(bytes, 9);
  if (bodySize > 0 && bodySize <= TERMINATOR_SIZE)
    throw new RaidaDecodeError('response.bodySize', 9, `body size ${bodySize} leaves no room for output`);
  const end = size + bodySize;
  if (bytes.length < end)
    throw new RaidaDecodeError(
      'response.bodySize',
      9,
      `body size ${bodySize} but only ${bytes.length - size} bytes follow`,
    );
  if (bytes.length > end)
    throw new RaidaDecodeError('response.length', end, `${bytes.length - end} bytes after the declared body`);
  if (bodySize > 0 && (bytes[end - 2] !== TERMINATOR_BYTE || bytes[end - 1] !== TERMINATOR_BYTE))
    throw new RaidaDecodeError('response.terminator', end - 2, 'body does not end with 0x3E 0x3E');
  return {
    raidaId: bytes[0] ?? 0,
    shard: bytes[1] ?? 0,
    status: bytes[2] ?? 0,
    group: bytes[3] ?? 0,
    execMicros: readU32(bytes, 4),
    bodySize,
    encryption: bytes[16] ?? 0,
    keyDen: ((bytes[17] ?? 0) << 24) >> 24,
    keySn: readU32(bytes, 18),
    nonce: bytes.slice(24, 24 + MODERN_NONCE_SIZE),
    echo: readU16(bytes, 46),
    body: bodySize > 0 ? bytes.slice(size, end - TERMINATOR_SIZE) : new Uint8Array(0),
  };
}
