/** Errors of @fanout/raida. Each has a stable `name` and names the field/byte that was wrong. */

import { Status } from './constants.js';

/**
 * Fields a decoder can blame. Request-side fields map to the status a RAIDA server answers with
 * (see {@link statusForRequestError}); response-side fields ('response.*') are client-side only.
 */
export type RaidaField =
  // request header (protocol.c validate_header, net.c handle_udp_request)
  | 'header'
  | 'version'
  | 'splitId'
  | 'raidaId'
  | 'group'
  | 'shard'
  | 'command'
  | 'coinId'
  | 'encryption'
  | 'encryptionKey'
  // request body (protocol.c validate_decrypt_body)
  | 'bodyLength'
  | 'terminator'
  | 'crc'
  | 'body'
  // command payloads (cmd_auth.c, cmd_healing.c)
  | 'payload'
  | 'payloadCount'
  | 'ticketRaidaId'
  // responses (client side)
  | 'response.header'
  | 'response.bodySize'
  | 'response.terminator'
  | 'response.length'
  | 'response.body'
  | 'response.status';

/**
 * Bytes could not be decoded. `field` names what was wrong and `offset` the byte offset in the
 * buffer that was being decoded (the datagram for requests/responses, the payload for payload
 * decoders).
 */
export class RaidaDecodeError extends Error {
  override readonly name = 'RaidaDecodeError';
  constructor(
    readonly field: RaidaField,
    readonly offset: number,
    message: string,
  ) {
    super(`${field} @${offset}: ${message}`);
  }
}

/** A value handed to an encoder cannot be put on the wire. `field` names the offending input. */
export class RaidaEncodeError extends Error {
  override readonly name = 'RaidaEncodeError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * Status a RAIDA server answers with for each request-side decode failure; `null` means the server
 * drops the datagram without answering (net.c: fewer than 17 bytes, or fewer than the header size
 * for the encryption type in byte 16).
 */
export const REQUEST_ERROR_STATUS: Readonly<Record<string, number | null>> = {
  header: null,
  version: Status.INVALID_ROUTING, // 255
  splitId: Status.INVALID_SPLIT_ID, // 2
  raidaId: Status.INVALID_RAIDA_ID, // 3
  group: Status.INVALID_COMMAND_GROUP, // 5
  shard: Status.INVALID_SHARD_ID, // 4
  command: Status.INVALID_COMMAND, // 6
  coinId: Status.INVALID_COIN_ID, // 7
  encryption: Status.INVALID_ENCRYPTION_CODE, // 27
  encryptionKey: Status.INVALID_ENCRYPTION, // 34 (type 1 key token not in the table)
  bodyLength: Status.INVALID_PACKET_LENGTH, // 16
  terminator: Status.INVALID_EOF, // 33
  crc: Status.INVALID_CRC, // 37
  body: Status.EMPTY_REQUEST, // 36 (command needs a body and none was sent)
  payload: Status.INVALID_PACKET_LENGTH, // 16 (payload shorter than one item)
  payloadCount: Status.COINS_NOT_DIV, // 39 (payload not a whole number of items)
  ticketRaidaId: Status.WRONG_RAIDA, // 18 (validate-ticket claimant id ≥ 25)
};

/**
 * Maps a request-side decode failure to the status code the RAIDA server returns for it
 * (protocol.c validate_header / validate_decrypt_body, cmd_*.c length checks), or `null` when the
 * server drops the datagram silently. Response-side fields map to `null` too (no server answer).
 */
export function statusForRequestError(error: RaidaDecodeError): number | null {
  return REQUEST_ERROR_STATUS[error.field] ?? null;
}
