/**
 * Command payloads: the bytes between the 16-byte challenge and the 0x3E3E terminator.
 *
 * Layouts (reference "Commands"; raidax-server cmd_auth.c, cmd_healing.c):
 * - detect 1/10, get-ticket 2/40: N × [den 1, SN 4 BE, AN 16] (21 bytes each)
 * - pown 1/20, find 2/60:         N × [den, SN, AN, PAN] (37 bytes each)
 * - fix 2/80:                     N × [den, SN] + PG 16 + 25 × ticket u32 BE
 * - validate-ticket 2/50:         [claimant RAIDA id 1, ticket u32 BE] (server to server)
 * - echo 0/0:                     empty
 *
 * Decoders apply the server's length checks: payload shorter than one item → field 'payload'
 * (status 16), not a whole number of items → 'payloadCount' (status 39), no body at all → 'body' (36).
 */

import { checkInt, checkLen, readU32, writeU32 } from './bytes.js';
import { AN_SIZE, RAIDA_COUNT, type CommandName } from './constants.js';
import { RaidaDecodeError, RaidaEncodeError } from './errors.js';

/** A token as one RAIDA sees it: denomination (int8), serial number (u32) and this RAIDA's 16-byte AN. */
export interface Token {
  readonly den: number;
  readonly sn: number;
  readonly an: Uint8Array;
}

/** A token without its AN (fix, validate-ticket replies). */
export interface CoinId {
  readonly den: number;
  readonly sn: number;
}

/** A pown/find item: the token's current AN and the proposed new AN (PAN). */
export interface PownItem extends Token {
  readonly pan: Uint8Array;
}

/** The fix (2/80) payload: tokens to fix, the password generator PG, one ticket per RAIDA (0 when none). */
export interface FixPayload {
  readonly coins: readonly CoinId[];
  readonly pg: Uint8Array;
  /** Exactly 25 tickets, index = the RAIDA that issued it. */
  readonly tickets: readonly number[];
}

/** The validate-ticket (2/50) payload: the RAIDA claiming the ticket, and the ticket. */
export interface ValidateTicketPayload {
  readonly raidaId: number;
  readonly ticket: number;
}

/** Bytes per token in each command's payload (fix: per coin; the 116-byte PG+tickets tail is extra). */
export const ITEM_SIZE: Readonly<Record<CommandName, number>> = {
  echo: 0,
  detect: 21,
  pown: 37,
  getTicket: 21,
  validateTicket: 5,
  find: 37,
  fix: 5,
};

/** Fixed payload bytes besides the items (fix: PG 16 + 25 tickets × 4 = 116). */
export const FIXED_PAYLOAD_SIZE: Readonly<Record<CommandName, number>> = {
  echo: 0,
  detect: 0,
  pown: 0,
  getTicket: 0,
  validateTicket: 0,
  find: 0,
  fix: AN_SIZE + RAIDA_COUNT * 4,
};

function checkCoin(prefix: string, c: CoinId): void {
  checkInt(`${prefix}.den`, c.den, -128, 127);
  checkInt(`${prefix}.sn`, c.sn, 0, 0xffff_ffff);
}

function putCoin(out: Uint8Array, o: number, c: CoinId): void {
  out[o] = c.den & 0xff;
  writeU32(out, o + 1, c.sn);
}

function getCoin(b: Uint8Array, o: number): CoinId {
  return { den: ((b[o] ?? 0) << 24) >> 24, sn: readU32(b, o + 1) };
}

function encodeTokens(tokens: readonly Token[], label: string): Uint8Array {
  const out = new Uint8Array(tokens.length * 21);
  tokens.forEach((t, i) => {
    checkCoin(`${label}[${i}]`, t);
    checkLen(`${label}[${i}].an`, t.an, AN_SIZE);
    putCoin(out, i * 21, t);
    out.set(t.an, i * 21 + 5);
  });
  return out;
}

function encodePownItems(items: readonly PownItem[], label: string): Uint8Array {
  const out = new Uint8Array(items.length * 37);
  items.forEach((t, i) => {
    checkCoin(`${label}[${i}]`, t);
    checkLen(`${label}[${i}].an`, t.an, AN_SIZE);
    checkLen(`${label}[${i}].pan`, t.pan, AN_SIZE);
    putCoin(out, i * 37, t);
    out.set(t.an, i * 37 + 5);
    out.set(t.pan, i * 37 + 21);
  });
  return out;
}

/** Shared length rules: empty → 'body', shorter than `min` → 'payload', remainder → 'payloadCount'. */
function countItems(payload: Uint8Array, item: number, fixed: number, what: string): number {
  if (payload.length === 0) throw new RaidaDecodeError('body', 0, `${what} needs a body, got none`);
  if (payload.length < fixed + item) {
    throw new RaidaDecodeError(
      'payload',
      payload.length,
      `${what} payload of ${payload.length} bytes is shorter than ${fixed + item}`,
    );
  }
  const rest = payload.length - fixed;
  if (rest % item !== 0) {
    throw new RaidaDecodeError(
      'payloadCount',
      payload.length,
      `${what} payload of ${payload.length} bytes is not ${fixed} + N × ${item}`,
    );
  }
  return rest / item;
}

/** detect (1/10) payload: N × [den, SN, AN]. @throws RaidaEncodeError on a bad token. */
export function encodeDetectPayload(tokens: readonly Token[]): Uint8Array {
  return encodeTokens(tokens, 'tokens');
}

/**
 * Inverse of {@link encodeDetectPayload}; the ANs (and PANs) are views into `payload`, not copies.
 * @throws RaidaDecodeError ('body' | 'payload' | 'payloadCount').
 */
export function decodeDetectPayload(payload: Uint8Array): Token[] {
  const n = countItems(payload, 21, 0, 'detect');
  return decodeTokenList(payload, n);
}

/** get-ticket (2/40) payload: N × [den, SN, AN] (same layout as detect). */
export function encodeGetTicketPayload(tokens: readonly Token[]): Uint8Array {
  return encodeTokens(tokens, 'tokens');
}

/**
 * Inverse of {@link encodeGetTicketPayload}; the ANs (and PANs) are views into `payload`, not copies.
 * @throws RaidaDecodeError ('body' | 'payload' | 'payloadCount').
 */
export function decodeGetTicketPayload(payload: Uint8Array): Token[] {
  const n = countItems(payload, 21, 0, 'get-ticket');
  return decodeTokenList(payload, n);
}

// The decoded ANs and PANs are views into `payload` (subarray, no copy): a decoded request is
// read once by the server, which copies what it keeps (TokenTable.set copies).
function decodeTokenList(payload: Uint8Array, n: number): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * 21;
    out.push({
      den: (payload[o]! << 24) >> 24,
      sn: readU32(payload, o + 1),
      an: payload.subarray(o + 5, o + 21),
    });
  }
  return out;
}

/** pown (1/20) payload: N × [den, SN, AN, PAN] (37 bytes each). @throws RaidaEncodeError. */
export function encodePownPayload(items: readonly PownItem[]): Uint8Array {
  return encodePownItems(items, 'items');
}

/**
 * Inverse of {@link encodePownPayload}; the ANs (and PANs) are views into `payload`, not copies.
 * @throws RaidaDecodeError ('body' | 'payload' | 'payloadCount').
 */
export function decodePownPayload(payload: Uint8Array): PownItem[] {
  const n = countItems(payload, 37, 0, 'pown');
  return decodePownList(payload, n);
}

/** find (2/60) payload: N × [den, SN, AN, PAN] (same layout as pown). @throws RaidaEncodeError. */
export function encodeFindPayload(items: readonly PownItem[]): Uint8Array {
  return encodePownItems(items, 'items');
}

/**
 * Inverse of {@link encodeFindPayload}; the ANs (and PANs) are views into `payload`, not copies.
 * @throws RaidaDecodeError ('body' | 'payload' | 'payloadCount').
 */
export function decodeFindPayload(payload: Uint8Array): PownItem[] {
  const n = countItems(payload, 37, 0, 'find');
  return decodePownList(payload, n);
}

function decodePownList(payload: Uint8Array, n: number): PownItem[] {
  const out: PownItem[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * 37;
    out.push({
      den: (payload[o]! << 24) >> 24,
      sn: readU32(payload, o + 1),
      an: payload.subarray(o + 5, o + 21),
      pan: payload.subarray(o + 21, o + 37),
    });
  }
  return out;
}

/**
 * fix (2/80) payload: N × [den, SN] + PG 16 + 25 × ticket u32 BE (cmd_healing.c cmd_fix).
 * @throws RaidaEncodeError when PG is not 16 bytes, there are not exactly 25 tickets, or a coin/ticket is out of range.
 */
export function encodeFixPayload(fix: FixPayload): Uint8Array {
  checkLen('pg', fix.pg, AN_SIZE);
  if (fix.tickets.length !== RAIDA_COUNT) {
    throw new RaidaEncodeError(
      'tickets',
      `need exactly ${RAIDA_COUNT} tickets (0 for none), got ${fix.tickets.length}`,
    );
  }
  const n = fix.coins.length;
  const out = new Uint8Array(n * 5 + FIXED_PAYLOAD_SIZE.fix);
  fix.coins.forEach((c, i) => {
    checkCoin(`coins[${i}]`, c);
    putCoin(out, i * 5, c);
  });
  out.set(fix.pg, n * 5);
  fix.tickets.forEach((t, i) => {
    checkInt(`tickets[${i}]`, t, 0, 0xffff_ffff);
    writeU32(out, n * 5 + AN_SIZE + i * 4, t);
  });
  return out;
}

/** Inverse of {@link encodeFixPayload}. @throws RaidaDecodeError ('body' | 'payload' | 'payloadCount'). */
export function decodeFixPayload(payload: Uint8Array): FixPayload {
  const n = countItems(payload, 5, FIXED_PAYLOAD_SIZE.fix, 'fix');
  const coins: CoinId[] = [];
  for (let i = 0; i < n; i++) coins.push(getCoin(payload, i * 5));
  const pg = payload.slice(n * 5, n * 5 + AN_SIZE);
  const tickets: number[] = [];
  for (let i = 0; i < RAIDA_COUNT; i++) tickets.push(readU32(payload, n * 5 + AN_SIZE + i * 4));
  return { coins, pg, tickets };
}

/** validate-ticket (2/50) payload: [claimant RAIDA id, ticket u32 BE]. @throws RaidaEncodeError. */
export function encodeValidateTicketPayload(v: ValidateTicketPayload): Uint8Array {
  checkInt('raidaId', v.raidaId, 0, 255);
  checkInt('ticket', v.ticket, 0, 0xffff_ffff);
  const out = new Uint8Array(5);
  out[0] = v.raidaId;
  writeU32(out, 1, v.ticket);
  return out;
}

/**
 * Inverse of {@link encodeValidateTicketPayload}, with the server's checks (cmd_healing.c
 * cmd_validate_ticket): no body → 'body' (36); not exactly 5 bytes → 'payload' (16); claimant id
 * ≥ 25 → 'ticketRaidaId' (18).
 */
export function decodeValidateTicketPayload(payload: Uint8Array): ValidateTicketPayload {
  if (payload.length === 0) throw new RaidaDecodeError('body', 0, 'validate-ticket needs a body, got none');
  if (payload.length !== 5)
    throw new RaidaDecodeError(
      'payload',
      payload.length,
      `validate-ticket payload must be 5 bytes, got ${payload.length}`,
    );
  const raidaId = payload[0] ?? 0;
  if (raidaId >= RAIDA_COUNT)
    throw new RaidaDecodeError('ticketRaidaId', 0, `claimant RAIDA id ${raidaId} ≥ ${RAIDA_COUNT}`);
  return { raidaId, ticket: readU32(payload, 1) };
}

/** Encodes a list of coins as N × [den, SN] (the validate-ticket reply body). @throws RaidaEncodeError. */
export function encodeCoinList(coins: readonly CoinId[]): Uint8Array {
  const out = new Uint8Array(coins.length * 5);
  coins.forEach((c, i) => {
    checkCoin(`coins[${i}]`, c);
    putCoin(out, i * 5, c);
  });
  return out;
}

/** Inverse of {@link encodeCoinList}. @throws RaidaDecodeError('response.body') when not a multiple of 5 bytes. */
export function decodeCoinList(body: Uint8Array): CoinId[] {
  if (body.length % 5 !== 0)
    throw new RaidaDecodeError(
      'response.body',
      body.length,
      `coin list of ${body.length} bytes is not N × 5`,
    );
  const out: CoinId[] = [];
  for (let i = 0; i < body.length / 5; i++) out.push(getCoin(body, i * 5));
  return out;
}
