/**
 * RAIDAX responses: 32-byte header, then (only when there is output) body + 0x3E3E.
 *
 * Header layout (reference "Response header"; raidax-server protocol.c get_response_header), BE:
 *   0 RAIDA id · 1 shard · 2 status · 3 command group · 4-5 UDP frame count (1) · 6-7 echo
 *   8 reserved · 9-11 body size u24 (includes the 2-byte terminator) · 12-15 exec time µs
 *   16-31 signature (type 0: the request challenge unchanged; type 1: challenge XOR key AN)
 *
 * A reply has a body (+ 0x3E3E) only when the command produced output (protocol.c prepare_response):
 * errors and plain 241/242/250 are 32 bytes, but get-ticket's 241 carries its 4-byte ticket (38
 * bytes), validate-ticket's 250 carries 5 bytes per coin (32 + 5n + 2: 44 bytes for two coins),
 * 243 a bitfield, 211 a byte per coin.
 *
 * This is the layout for requests of encryption types 0, 1 and 2. For any other type byte the
 * server answers in the 48-byte modern layout (modern-response.ts).
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
import {
  CHALLENGE_SIZE,
  RESPONSE_HEADER_SIZE,
  Status,
  TERMINATOR_BYTE,
  TERMINATOR_SIZE,
} from './constants.js';
import { RaidaDecodeError, RaidaEncodeError } from './errors.js';
import { decodeCoinList, type CoinId } from './payload.js';

/** A decoded response header. */
export interface ResponseHeader {
  readonly raidaId: number;
  readonly shard: number;
  readonly status: number;
  readonly group: number;
  /** UDP frame count, bytes 4-5 (1). */
  readonly frameCount: number;
  /** Echo, bytes 6-7: the request's bytes 30-31. */
  readonly echo: number;
  /** Body size including the 2-byte terminator; 0 when there is no body, bytes. */
  readonly bodySize: number;
  /** Server execution time, µs. */
  readonly execMicros: number;
  /** 16 bytes: the request challenge (type 0). */
  readonly signature: Uint8Array;
}

/** A decoded response: header fields plus the body without its terminator (empty when none). */
export interface RaidaResponse extends ResponseHeader {
  readonly body: Uint8Array;
}

/** What {@link encodeResponse} needs. */
export interface ResponseSpec {
  readonly raidaId: number;
  /** Default 0 (the server always answers shard 0 for legacy headers). */
  readonly shard?: number;
  readonly status: number;
  readonly group: number;
  /** Default 1. */
  readonly frameCount?: number;
  readonly echo: number;
  /** Default 0, µs. */
  readonly execMicros?: number;
  /** 16 bytes (see expectedSignature). */
  readonly signature: Uint8Array;
  /** Command output (already encrypted for type 1); empty or absent → no body and no terminator. */
  readonly body?: Uint8Array;
}

/**
 * Encodes a response: 32-byte header, and when `body` is non-empty the body + 0x3E3E with body
 * size = body + 2 (protocol.c prepare_response). Without a body the reply is the 32-byte header alone.
 * @throws RaidaEncodeError when a field does not fit or the signature is not 16 bytes.
 */
export function encodeResponse(spec: ResponseSpec): Uint8Array {
  checkInt('raidaId', spec.raidaId, 0, 255);
  checkInt('shard', spec.shard ?? 0, 0, 255);
  checkInt('status', spec.status, 0, 255);
  checkInt('group', spec.group, 0, 255);
  checkInt('frameCount', spec.frameCount ?? 1, 0, 0xffff);
  checkInt('echo', spec.echo, 0, 0xffff);
  checkInt('execMicros', spec.execMicros ?? 0, 0, 0xffff_ffff);
  checkLen('signature', spec.signature, CHALLENGE_SIZE);
  const body = spec.body ?? new Uint8Array(0);
  const bodySize = body.length > 0 ? body.length + TERMINATOR_SIZE : 0;
  if (bodySize > 0xff_ffff)
    throw new RaidaEncodeError('body', `body of ${body.length} bytes exceeds the u24 size field`);
  const h = new Uint8Array(RESPONSE_HEADER_SIZE);
  h[0] = spec.raidaId;
  h[1] = spec.shard ?? 0;
  h[2] = spec.status;
  h[3] = spec.group;
  writeU16(h, 4, spec.frameCount ?? 1);
  writeU16(h, 6, spec.echo);
  h[8] = 0;
  writeU24(h, 9, bodySize);
  writeU32(h, 12, spec.execMicros ?? 0);
  h.set(spec.signature, 16);
  if (bodySize === 0) return h;
  return concatBytes(h, body, new Uint8Array([TERMINATOR_BYTE, TERMINATOR_BYTE]));
}

/**
 * Decodes a response datagram. Strict: the datagram must be exactly 32 + body size bytes, a body
 * size of 1 or 2 is invalid (a body is never empty), and a body must end with 0x3E3E.
 * @throws RaidaDecodeError with field 'response.header' (< 32 bytes), 'response.bodySize',
 *   'response.length' (bytes beyond the declared body), or 'response.terminator'.
 */
export function decodeResponse(bytes: Uint8Array): RaidaResponse {
  if (bytes.length < RESPONSE_HEADER_SIZE) {
    throw new RaidaDecodeError(
      'response.header',
      bytes.length,
      `response of ${bytes.length} bytes is shorter than the ${RESPONSE_HEADER_SIZE}-byte header`,
    );
  }
  const bodySize = readU24(bytes, 9);
  if (bodySize > 0 && bodySize <= TERMINATOR_SIZE) {
    throw new RaidaDecodeError(
      'response.bodySize',
      9,
      `body size ${bodySize} leaves no room for output before the terminator`,
    );
  }
  const end = RESPONSE_HEADER_SIZE + bodySize;
  if (bytes.length < end) {
    throw new RaidaDecodeError(
      'response.bodySize',
      9,
      `body size ${bodySize} but only ${bytes.length - RESPONSE_HEADER_SIZE} bytes follow the header`,
    );
  }
  if (bytes.length > end) {
    throw new RaidaDecodeError('response.length', end, `${bytes.length - end} bytes after the declared body`);
  }
  if (bodySize > 0 && (bytes[end - 2] !== TERMINATOR_BYTE || bytes[end - 1] !== TERMINATOR_BYTE)) {
    throw new RaidaDecodeError('response.terminator', end - 2, 'body does not end with 0x3E 0x3E');
  }
  return {
    raidaId: bytes[0] ?? 0,
    shard: bytes[1] ?? 0,
    status: bytes[2] ?? 0,
    group: bytes[3] ?? 0,
    frameCount: readU16(bytes, 4),
    echo: readU16(bytes, 6),
    bodySize,
    execMicros: readU32(bytes, 12),
    signature: bytes.slice(16, 32),
    body: bodySize > 0 ? bytes.slice(RESPONSE_HEADER_SIZE, end - TERMINATOR_SIZE) : new Uint8Array(0),
  };
}

// ---------------------------------------------------------------------------------------------
// Bitfields

/** Bytes of a bitfield for `n` tokens: ⌈n/8⌉. */
export function bitfieldSize(n: number): number {
  return Math.ceil(n / 8);
}

/**
 * Packs pass/fail into the MIXED bitfield: token i at `byte[i >> 3] & (1 << (i & 7))` (LSB-first),
 * 1 = pass, ⌈n/8⌉ bytes (reference "MIXED bitfield"; cmd_auth.c `output[i / 8] |= 1 << (i % 8)`).
 */
export function encodeBitfield(pass: readonly boolean[]): Uint8Array {
  const out = new Uint8Array(bitfieldSize(pass.length));
  pass.forEach((p, i) => {
    if (p) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return out;
}

/**
 * Unpacks `n` pass/fail flags from a bitfield (inverse of {@link encodeBitfield}); padding bits are ignored.
 * @throws RaidaDecodeError('response.body') when `bytes` is not exactly ⌈n/8⌉ bytes.
 */
export function decodeBitfield(bytes: Uint8Array, n: number): boolean[] {
  if (bytes.length !== bitfieldSize(n)) {
    throw new RaidaDecodeError(
      'response.body',
      bytes.length,
      `bitfield for ${n} tokens must be ${bitfieldSize(n)} bytes, got ${bytes.length}`,
    );
  }
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push(((bytes[i >> 3] ?? 0) & (1 << (i & 7))) !== 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Body interpreters. Each returns { ok: false, status } for a status it does not interpret (an
// error reply such as 16, 39, 160), and throws RaidaDecodeError when the body shape is wrong.

/** A status the interpreter does not read as a command outcome (an error reply). */
export interface NotOk {
  readonly ok: false;
  readonly status: number;
}

/** Per-token pass/fail of detect, pown and fix. */
export type GradeReply = { readonly ok: true; readonly status: number; readonly pass: boolean[] } | NotOk;

function expectEmpty(res: RaidaResponse): void {
  if (res.body.length !== 0) {
    throw new RaidaDecodeError(
      'response.body',
      RESPONSE_HEADER_SIZE,
      `status ${res.status} carries no body, got ${res.body.length} bytes`,
    );
  }
}

/**
 * Reads a detect (1/10), pown (1/20) or fix (2/80) reply for `n` tokens: 241 → all pass (no body),
 * 242 → all fail (no body), 243 → the bitfield of ⌈n/8⌉ bytes; any other status → `{ ok: false }`.
 * @throws RaidaDecodeError('response.body') on a body of the wrong size.
 */
export function interpretGrades(res: RaidaResponse, n: number): GradeReply {
  switch (res.status) {
    case Status.ALL_PASS:
      expectEmpty(res);
      return { ok: true, status: res.status, pass: new Array<boolean>(n).fill(true) };
    case Status.ALL_FAIL:
      expectEmpty(res);
      return { ok: true, status: res.status, pass: new Array<boolean>(n).fill(false) };
    case Status.MIXED:
      return { ok: true, status: res.status, pass: decodeBitfield(res.body, n) };
    default:
      return { ok: false, status: res.status };
  }
}

/** A get-ticket reply: per-token pass/fail and the ticket covering the passing ones (null when none passed). */
export type TicketReply =
  | { readonly ok: true; readonly status: number; readonly pass: boolean[]; readonly ticket: number | null }
  | NotOk;

/**
 * Reads a get-ticket (2/40) reply for `n` tokens (cmd_healing.c cmd_get_ticket): 241 + 4-byte
 * ticket; 242 with no body (no ticket); 243 + bitfield + 4-byte ticket; other status → `{ ok: false }`.
 * @throws RaidaDecodeError('response.body') on a body of the wrong size.
 */
export function interpretTicket(res: RaidaResponse, n: number): TicketReply {
  switch (res.status) {
    case Status.ALL_PASS:
      if (res.body.length !== 4)
        throw new RaidaDecodeError(
          'response.body',
          RESPONSE_HEADER_SIZE,
          `241 ticket reply must carry 4 bytes, got ${res.body.length}`,
        );
      return {
        ok: true,
        status: res.status,
        pass: new Array<boolean>(n).fill(true),
        ticket: readU32(res.body, 0),
      };
    case Status.ALL_FAIL:
      expectEmpty(res);
      return { ok: true, status: res.status, pass: new Array<boolean>(n).fill(false), ticket: null };
    case Status.MIXED: {
      const bf = bitfieldSize(n);
      if (res.body.length !== bf + 4) {
        throw new RaidaDecodeError(
          'response.body',
          RESPONSE_HEADER_SIZE,
          `243 ticket reply for ${n} tokens must carry ${bf + 4} bytes, got ${res.body.length}`,
        );
      }
      return {
        ok: true,
        status: res.status,
        pass: decodeBitfield(res.body.subarray(0, bf), n),
        ticket: readU32(res.body, bf),
      };
    }
    default:
      return { ok: false, status: res.status };
  }
}

/** Per-token find result: the RAIDA holds the AN, the PAN, or neither. */
export type FindResult = 'an' | 'pan' | 'neither';

/** A find reply. */
export type FindReply = { readonly ok: true; readonly status: number; readonly found: FindResult[] } | NotOk;

/**
 * Reads a find (2/60) reply for `n` tokens (cmd_healing.c cmd_find): 209 all AN, 210 all PAN,
 * 208 neither (no body); 211 + one byte per token (1 = AN, 2 = PAN, 0 = neither); other → `{ ok: false }`.
 * @throws RaidaDecodeError('response.body') on a wrong body size or a per-token byte other than 0/1/2.
 */
export function interpretFind(res: RaidaResponse, n: number): FindReply {
  const all = (r: FindResult): FindResult[] => new Array<FindResult>(n).fill(r);
  switch (res.status) {
    case Status.FIND_ALL_AN:
      expectEmpty(res);
      return { ok: true, status: res.status, found: all('an') };
    case Status.FIND_ALL_PAN:
      expectEmpty(res);
      return { ok: true, status: res.status, found: all('pan') };
    case Status.FIND_NEITHER:
      expectEmpty(res);
      return { ok: true, status: res.status, found: all('neither') };
    case Status.FIND_MIXED: {
      if (res.body.length !== n)
        throw new RaidaDecodeError(
          'response.body',
          RESPONSE_HEADER_SIZE,
          `211 find reply for ${n} tokens must carry ${n} bytes, got ${res.body.length}`,
        );
      const found: FindResult[] = [];
      for (let i = 0; i < n; i++) {
        const b = res.body[i];
        if (b === 1) found.push('an');
        else if (b === 2) found.push('pan');
        else if (b === 0) found.push('neither');
        else
          throw new RaidaDecodeError(
            'response.body',
            RESPONSE_HEADER_SIZE + i,
            `find byte ${String(b)} for token ${i} is not 0, 1 or 2`,
          );
      }
      return { ok: true, status: res.status, found };
    }
    default:
      return { ok: false, status: res.status };
  }
}

/** Encodes find results as the 211 body (one byte per token: 0 neither, 1 AN, 2 PAN). */
export function encodeFindResults(found: readonly FindResult[]): Uint8Array {
  return Uint8Array.from(found, (f) => (f === 'an' ? 1 : f === 'pan' ? 2 : 0));
}

/** A validate-ticket reply: the coins the ticket covers. */
export type ValidateTicketReply = { readonly ok: true; readonly coins: CoinId[] } | NotOk;

/**
 * Reads a validate-ticket (2/50) reply (cmd_healing.c cmd_validate_ticket): 250 + N × [den, SN];
 * other status (43 no ticket, 44 claimed already, ...) → `{ ok: false }`.
 * @throws RaidaDecodeError('response.body') when the body is not N × 5 bytes.
 */
export function interpretValidateTicket(res: RaidaResponse): ValidateTicketReply {
  if (res.status !== Status.SUCCESS) return { ok: false, status: res.status };
  return { ok: true, coins: decodeCoinList(res.body) };
}
