/**
 * Splitting token lists into datagram-sized requests. One request per datagram and the server's
 * receive buffer is 1440 bytes (reference "Transport"; net.c recvfrom into udp_payload_threshold),
 * so a request is header 32 + challenge 16 + payload + terminator 2 ≤ budget.
 */

import { checkInt } from './bytes.js';
import {
  CHALLENGE_SIZE,
  DATAGRAM_BUDGET,
  REQUEST_HEADER_SIZE,
  TERMINATOR_SIZE,
  type CommandName,
} from './constants.js';
import { RaidaEncodeError } from './errors.js';
import { FIXED_PAYLOAD_SIZE, ITEM_SIZE } from './payload.js';

/** Bytes of a request around its payload: header 32 + challenge 16 + terminator 2 = 50. */
export const REQUEST_OVERHEAD = REQUEST_HEADER_SIZE + CHALLENGE_SIZE + TERMINATOR_SIZE;

/** Size of a request datagram carrying `count` tokens of `command`, bytes. */
export function requestSize(command: CommandName, count: number): number {
  return REQUEST_OVERHEAD + FIXED_PAYLOAD_SIZE[command] + ITEM_SIZE[command] * count;
}

/**
 * Most tokens of `command` that fit one datagram of `budget` bytes (default 1440):
 * detect/get-ticket 66, pown/find 37, fix 254.
 * @throws RaidaEncodeError when the command carries no tokens (echo, validate-ticket) or not even one fits.
 */
export function maxTokensPerDatagram(command: CommandName, budget: number = DATAGRAM_BUDGET): number {
  checkInt('budget', budget, 0, 0xffff + REQUEST_HEADER_SIZE);
  if (command === 'echo' || command === 'validateTicket')
    throw new RaidaEncodeError('command', `${command} carries no token list`);
  const n = Math.floor((budget - REQUEST_OVERHEAD - FIXED_PAYLOAD_SIZE[command]) / ITEM_SIZE[command]);
  if (n < 1) throw new RaidaEncodeError('budget', `${budget} bytes cannot carry one ${command} token`);
  return n;
}

/**
 * Splits `items` into consecutive batches that each fit one `command` datagram of `budget` bytes,
 * preserving order; all batches are full except possibly the last. An empty list gives no batches.
 * @throws RaidaEncodeError as {@link maxTokensPerDatagram}.
 */
export function batchTokens<T>(
  items: readonly T[],
  command: CommandName,
  budget: number = DATAGRAM_BUDGET,
): T[][] {
  const per = maxTokensPerDatagram(command, budget);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += per) out.push(items.slice(i, i + per));
  return out;
}
