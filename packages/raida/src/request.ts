/**
 * RAIDAX requests: 32-byte header + body (challenge 16, payload, terminator 0x3E3E).
 *
 * Header layout (reference "Request header"; raidax-server protocol.c validate_header), big-endian:
 *   0 version (1) · 1 split id (0) · 2 RAIDA id · 3 shard · 4 group · 5 command · 6-7 coin id
 *   8-13 ignored · 14-15 packet index/count (ignored; we send 1/1 like qmail-client)
 *   16 encryption type · 17 key den (int8) · 18-21 key SN · 22-23 body length (u16)
 *   24-29 nonce · 30-31 echo (copied to response bytes 6-7)
 */

import type { RandomBytes } from '@fanout/core';

import { checkInt, checkLen, concatBytes, readU16, readU32, writeU16, writeU32 } from './bytes.js';
import {
  AN_SIZE,
  CHALLENGE_SIZE,
  COIN_ID,
  Command,
  commandName,
  type CommandName,
  Encryption,
  MAX_COMMAND_GROUP,
  MAX_SHARD,
  MIN_DATAGRAM_SIZE,
  MODERN_REQUEST_HEADER_SIZE,
  NONCE_SIZE,
  PROTOCOL_VERSION,
  RAIDA_COUNT,
  REQUEST_HEADER_SIZE,
  TERMINATOR_BYTE,
  TERMINATOR_SIZE,
} from './constants.js';
import { aes128Ctr, challengeValid, makeChallenge, xorBytes } from './crypto.js';
import { RaidaDecodeError, RaidaEncodeError } from './errors.js';

/** The encryption key of a type-1 request: the token named in header bytes 17-21 and its AN on this RAIDA. */
export interface EncryptionKey {
  readonly den: number;
  readonly sn: number;
  /** The key token's 16-byte AN on the target RAIDA. */
  readonly an: Uint8Array;
}

/** What {@link encodeRequest} needs. */
export interface RequestSpec {
  /** Target RAIDA, header byte 2 (any byte value is encoded; servers answer 3 when it is not theirs). */
  readonly raidaId: number;
  readonly group: number;
  readonly command: number;
  /** Header bytes 6-7; default {@link COIN_ID} (6). */
  readonly coinId?: number;
  /** Header byte 3; default 0. */
  readonly shard?: number;
  /** Header byte 16: 0 (default) or 1 (AES-128-CTR, needs `key`). */
  readonly encryption?: 0 | 1;
  /** Required for encryption 1: the key token; its AN keys the body. */
  readonly key?: EncryptionKey;
  /** Echo, u16 in header bytes 30-31; the reply carries it in bytes 6-7. */
  readonly echo: number;
  /** Header bytes 24-29 (6 bytes). */
  readonly nonce: Uint8Array;
  /** 16 bytes: 12 random + CRC32 BE (see makeChallenge). Sent as is; a bad CRC draws status 37. */
  readonly challenge: Uint8Array;
  /** Command payload (see payload.ts); empty for echo. */
  readonly payload: Uint8Array;
}

/** A decoded request header. */
export interface RequestHeader {
  readonly version: number;
  readonly splitId: number;
  readonly raidaId: number;
  readonly shard: number;
  readonly group: number;
  readonly command: number;
  readonly coinId: number;
  readonly encryption: number;
  /** Key token denomination (int8), meaningful for encryption 1/2. */
  readonly keyDen: number;
  /** Key token serial number, meaningful for encryption 1/2. */
  readonly keySn: number;
  /** Declared body length: challenge + payload + terminator, bytes. */
  readonly bodyLength: number;
  /** Header bytes 24-29. */
  readonly nonce: Uint8Array;
  /** Header bytes 30-31 as a u16. */
  readonly echo: number;
}

/** A fully decoded and validated request. */
export interface DecodedRequest {
  readonly header: RequestHeader;
  /** The (decrypted) 16-byte challenge; all zeros when the request had no body. */
  readonly challenge: Uint8Array;
  /** What the response must carry in bytes 16-31: the challenge (type 0) or challenge XOR key AN (type 1). */
  readonly signature: Uint8Array;
  /** The (decrypted) payload between challenge and terminator. */
  readonly payload: Uint8Array;
  /** True when the request carried a body (body length > 0). */
  readonly hasBody: boolean;
  /** For encryption 1: the AN used as key (the response body is encrypted with it). */
  readonly key: Uint8Array | undefined;
}

/** What {@link decodeRequest} checks against. */
export interface DecodeRequestOptions {
  /** The server's own RAIDA id; when omitted any id 0-24 is accepted. Mismatch → field 'raidaId' (3). */
  readonly raidaId?: number;
  /** Expected coin id; default {@link COIN_ID}. Mismatch → 'coinId' (7). */
  readonly coinId?: number;
  /** Whether a group/command pair exists; default: the commands of this codec. False → 'command' (6). */
  readonly isKnownCommand?: (group: number, command: number) => boolean;
  /**
   * The AN of a key token for encryption type 1, or `undefined` when the token is unknown (→ field
   * 'encryptionKey', status 34). When this option is absent, type 1 is refused like 2/4/5 → 'encryption' (27).
   */
  readonly keyLookup?: (den: number, sn: number) => Uint8Array | undefined;
}

/** The 8 bytes used as the AES-CTR nonce for encryption type 1: header bytes 24-31 (nonce ‖ echo). */
export function ivNonce(nonce: Uint8Array, echo: number): Uint8Array {
  const out = new Uint8Array(8);
  out.set(nonce.subarray(0, NONCE_SIZE), 0);
  writeU16(out, 6, echo);
  return out;
}

/**
 * The signature a correct response carries for a request: the challenge itself for encryption 0,
 * challenge XOR key AN for encryption 1 (protocol.c validate_decrypt_body challenge_hash).
 */
export function expectedSignature(challenge: Uint8Array, key?: Uint8Array): Uint8Array {
  return key === undefined ? challenge.slice() : xorBytes(challenge, key);
}

/**
 * Encodes a request datagram: 32-byte header + challenge + payload + 0x3E3E. Header byte 0 is
 * version 1, byte 1 split 0, bytes 14-15 are 1/1, body length = 16 + payload + 2. For encryption 1
 * the challenge and payload are AES-128-CTR encrypted with the key AN and nonce ‖ echo (the
 * terminator stays plain).
 * @throws RaidaEncodeError naming the field when a value does not fit its bytes, the nonce is not
 *   6 bytes, the challenge not 16, the body exceeds 65535 bytes, or encryption 1 has no key.
 */
export function encodeRequest(spec: RequestSpec): Uint8Array {
  checkInt('raidaId', spec.raidaId, 0, 255);
  checkInt('group', spec.group, 0, 255);
  checkInt('command', spec.command, 0, 255);
  checkInt('coinId', spec.coinId ?? COIN_ID, 0, 0xffff);
  checkInt('shard', spec.shard ?? 0, 0, 255);
  checkInt('echo', spec.echo, 0, 0xffff);
  checkLen('nonce', spec.nonce, NONCE_SIZE);
  checkLen('challenge', spec.challenge, CHALLENGE_SIZE);
  const encryption = spec.encryption ?? 0;
  if (encryption !== 0 && encryption !== 1)
    throw new RaidaEncodeError('encryption', `only 0 and 1 are supported, got ${String(encryption)}`);
  const bodyLength = CHALLENGE_SIZE + spec.payload.length + TERMINATOR_SIZE;
  if (bodyLength > 0xffff)
    throw new RaidaEncodeError('payload', `body of ${bodyLength} bytes exceeds the u16 length field`);

  const h = new Uint8Array(REQUEST_HEADER_SIZE);
  h[0] = PROTOCOL_VERSION;
  h[1] = 0;
  h[2] = spec.raidaId;
  h[3] = spec.shard ?? 0;
  h[4] = spec.group;
  h[5] = spec.command;
  writeU16(h, 6, spec.coinId ?? COIN_ID);
  h[14] = 1;
  h[15] = 1;
  h[16] = encryption;
  writeU16(h, 22, bodyLength);
  h.set(spec.nonce, 24);
  writeU16(h, 30, spec.echo);

  let inner: Uint8Array = concatBytes(spec.challenge, spec.payload);
  if (encryption === Encryption.aes128) {
    const key = spec.key;
    if (key === undefined) throw new RaidaEncodeError('key', 'encryption 1 needs the key token');
    checkInt('key.den', key.den, -128, 127);
    checkInt('key.sn', key.sn, 0, 0xffff_ffff);
    checkLen('key.an', key.an, AN_SIZE);
    h[17] = key.den & 0xff;
    writeU32(h, 18, key.sn);
    inner = aes128Ctr(key.an, ivNonce(spec.nonce, spec.echo), inner);
  }
  return concatBytes(h, inner, new Uint8Array([TERMINATOR_BYTE, TERMINATOR_BYTE]));
}

/**
 * Reads the header fields without validating them.
 * @throws RaidaDecodeError('header') when fewer than 32 bytes are given.
 */
export function readRequestHeader(bytes: Uint8Array): RequestHeader {
  if (bytes.length < REQUEST_HEADER_SIZE) {
    throw new RaidaDecodeError(
      'header',
      bytes.length,
      `request of ${bytes.length} bytes is shorter than the ${REQUEST_HEADER_SIZE}-byte header`,
    );
  }
  return {
    version: bytes[0] ?? 0,
    splitId: bytes[1] ?? 0,
    raidaId: bytes[2] ?? 0,
    shard: bytes[3] ?? 0,
    group: bytes[4] ?? 0,
    command: bytes[5] ?? 0,
    coinId: readU16(bytes, 6),
    encryption: bytes[16] ?? 0,
    keyDen: ((bytes[17] ?? 0) << 24) >> 24,
    keySn: readU32(bytes, 18),
    bodyLength: readU16(bytes, 22),
    nonce: bytes.slice(24, 30),
    echo: readU16(bytes, 30),
  };
}

const defaultKnown = (group: number, command: number): boolean => commandName(group, command) !== undefined;

/**
 * Decodes and validates a request datagram in the server's order (net.c handle_udp_request,
 * protocol.c validate_header then validate_decrypt_body):
 *
 * 1. fewer than 17 bytes, or fewer than the header size for byte 16 (32 for types 0/1/2, else 48)
 *    → 'header' (the server drops such datagrams without answering);
 * 2. version ≠ 1 → 'version' (255); split ≠ 0 → 'splitId' (2); RAIDA id → 'raidaId' (3);
 *    group > 15 → 'group' (5); shard > 3 → 'shard' (4); unknown command → 'command' (6);
 *    coin id → 'coinId' (7); encryption not 0 (or 1 with `keyLookup`) → 'encryption' (27);
 *    type-1 key token unknown → 'encryptionKey' (34);
 * 3. datagram shorter than header + body length → 'bodyLength' (16);
 * 4. body length 1 → 'bodyLength' (16); terminator ≠ 0x3E3E → 'terminator' (33);
 *    body length < 18 → 'bodyLength' (16); challenge CRC → 'crc' (37).
 *
 * Bytes after header + body length are ignored, as the server does. Body length 0 is accepted
 * (no challenge: zeros; commands other than echo then fail with 'body' → 36).
 * Use {@link statusForRequestError} to turn the error into the server's status.
 * @throws RaidaDecodeError naming the field and byte offset.
 */
export function decodeRequest(bytes: Uint8Array, options: DecodeRequestOptions = {}): DecodedRequest {
  if (bytes.length < MIN_DATAGRAM_SIZE) {
    throw new RaidaDecodeError(
      'header',
      bytes.length,
      `datagram of ${bytes.length} bytes is shorter than ${MIN_DATAGRAM_SIZE}`,
    );
  }
  const encryption = bytes[16] ?? 0;
  const headerSize = encryption <= 2 ? REQUEST_HEADER_SIZE : MODERN_REQUEST_HEADER_SIZE;
  if (bytes.length < headerSize) {
    throw new RaidaDecodeError(
      'header',
      bytes.length,
      `datagram of ${bytes.length} bytes is shorter than the ${headerSize}-byte header for encryption type ${encryption}`,
    );
  }
  const h = readRequestHeader(bytes);
  if (h.version !== PROTOCOL_VERSION)
    throw new RaidaDecodeError('version', 0, `version ${h.version}, expected ${PROTOCOL_VERSION}`);
  if (h.splitId !== 0) throw new RaidaDecodeError('splitId', 1, `split id ${h.splitId}, expected 0`);
  if (options.raidaId !== undefined ? h.raidaId !== options.raidaId : h.raidaId >= RAIDA_COUNT) {
    throw new RaidaDecodeError(
      'raidaId',
      2,
      `RAIDA id ${h.raidaId}, expected ${options.raidaId ?? `0-${RAIDA_COUNT - 1}`}`,
    );
  }
  if (h.group > MAX_COMMAND_GROUP)
    throw new RaidaDecodeError('group', 4, `command group ${h.group} > ${MAX_COMMAND_GROUP}`);
  if (h.shard > MAX_SHARD) throw new RaidaDecodeError('shard', 3, `shard ${h.shard} > ${MAX_SHARD}`);
  if (!(options.isKnownCommand ?? defaultKnown)(h.group, h.command)) {
    throw new RaidaDecodeError('command', 5, `unknown command ${h.group}/${h.command}`);
  }
  const coinId = options.coinId ?? COIN_ID;
  if (h.coinId !== coinId) throw new RaidaDecodeError('coinId', 6, `coin id ${h.coinId}, expected ${coinId}`);

  let key: Uint8Array | undefined;
  if (encryption === Encryption.aes128 && options.keyLookup !== undefined) {
    key = options.keyLookup(h.keyDen, h.keySn);
    if (key === undefined)
      throw new RaidaDecodeError('encryptionKey', 17, `key token ${h.keyDen}/${h.keySn} unknown`);
  } else if (encryption !== Encryption.none) {
    throw new RaidaDecodeError('encryption', 16, `encryption type ${encryption} not supported`);
  }

  const bodyStart = REQUEST_HEADER_SIZE;
  const bodyEnd = bodyStart + h.bodyLength;
  if (bytes.length < bodyEnd) {
    throw new RaidaDecodeError(
      'bodyLength',
      22,
      `body length ${h.bodyLength} but only ${bytes.length - bodyStart} bytes follow the header`,
    );
  }
  if (h.bodyLength === 0) {
    const zeros = new Uint8Array(CHALLENGE_SIZE);
    return {
      header: h,
      challenge: zeros,
      signature: zeros.slice(),
      payload: new Uint8Array(0),
      hasBody: false,
      key,
    };
  }
  if (h.bodyLength < TERMINATOR_SIZE)
    throw new RaidaDecodeError('bodyLength', 22, `body length ${h.bodyLength} < ${TERMINATOR_SIZE}`);
  if (bytes[bodyEnd - 2] !== TERMINATOR_BYTE || bytes[bodyEnd - 1] !== TERMINATOR_BYTE) {
    throw new RaidaDecodeError('terminator', bodyEnd - 2, 'body does not end with 0x3E 0x3E');
  }
  let inner: Uint8Array = bytes.slice(bodyStart, bodyEnd - TERMINATOR_SIZE);
  if (key !== undefined) inner = aes128Ctr(key, ivNonce(h.nonce, h.echo), inner);
  if (h.bodyLength < CHALLENGE_SIZE + TERMINATOR_SIZE) {
    throw new RaidaDecodeError(
      'bodyLength',
      22,
      `body length ${h.bodyLength} < ${CHALLENGE_SIZE + TERMINATOR_SIZE}`,
    );
  }
  const challenge = inner.slice(0, CHALLENGE_SIZE);
  if (!challengeValid(challenge))
    throw new RaidaDecodeError('crc', bodyStart + 12, 'challenge CRC32 does not match its 12 bytes');
  return {
    header: h,
    challenge,
    signature: expectedSignature(challenge, key),
    payload: inner.subarray(CHALLENGE_SIZE), // inner is this decode's own copy
    hasBody: true,
    key,
  };
}

/** What {@link buildRequest} needs besides the command and payload. */
export interface BuildRequestOptions {
  readonly raidaId: number;
  /** u16 echo; the reply must carry the same value. */
  readonly echo: number;
  /** Source of the 6 nonce bytes and the 12 challenge bytes (nonce first, then challenge). */
  readonly rng: RandomBytes;
  readonly coinId?: number;
  readonly shard?: number;
  readonly encryption?: 0 | 1;
  readonly key?: EncryptionKey;
}

/** A built request and what its reply must match. */
export interface BuiltRequest {
  readonly bytes: Uint8Array;
  readonly challenge: Uint8Array;
  /** Expected response bytes 16-31 (see expectedSignature). */
  readonly signature: Uint8Array;
  readonly nonce: Uint8Array;
  readonly echo: number;
}

/**
 * Builds the request for a named command: fills group/command, draws a nonce (6 bytes) and a
 * challenge (12 bytes + CRC32) from `rng`, and encodes it with {@link encodeRequest}.
 * @throws RaidaEncodeError as encodeRequest, or when `rng` returns the wrong number of bytes.
 */
export function buildRequest(
  name: CommandName,
  payload: Uint8Array,
  options: BuildRequestOptions,
): BuiltRequest {
  const { group, command } = Command[name];
  const nonce = options.rng(NONCE_SIZE);
  checkLen('rng(6)', nonce, NONCE_SIZE);
  const challenge = makeChallenge(options.rng);
  const bytes = encodeRequest({
    raidaId: options.raidaId,
    group,
    command,
    coinId: options.coinId,
    shard: options.shard,
    encryption: options.encryption,
    key: options.key,
    echo: options.echo,
    nonce,
    challenge,
    payload,
  });
  return {
    bytes,
    challenge,
    signature: expectedSignature(challenge, options.encryption === 1 ? options.key?.an : undefined),
    nonce,
    echo: options.echo,
  };
}
