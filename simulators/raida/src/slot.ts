/**
 * The reused UDP connection slot of raidax-server, reduced to the fields that reach a reply header.
 *
 * net.c keeps a stack of 4096 `conn_info_t` for UDP and pops one per datagram
 * (get_udp_ci_from_pool), resetting only the body/output pointers: the echo bytes `e0, e1`, the
 * command group, the encryption type and key, `request_nonce` and `challenge_hash` keep the values
 * of the previous request the slot served until the new request's validation overwrites them, step
 * by step (protocol.c validate_header, validate_decrypt_body). An error found before a field was
 * overwritten is answered (send_command_error → prepare_response → get_response_header) with the
 * PREVIOUS request's value. The stack is LIFO and a slot goes back right after its reply, so for
 * requests handled one after another the slot is always the same one: the previous request's.
 *
 * How far a request got is a {@link SlotLevel}:
 * - 'none'      version/split/RAIDA id/group/shard/command refused (255, 2, 3, 5, 4, 6): nothing of
 *               this request is in the slot;
 * - 'group'     coin id refused (7): the group (and command, shard) are this request's;
 * - 'header'    the header passed, or failed on the encryption type or key (27, 25, 34), or the body
 *               failed its length or terminator check (16, 33), or there is no body: encryption type,
 *               echo (types 0-2) or key and request nonce (types 4, 5) are this request's; the
 *               challenge is still the previous one;
 * - 'challenge' the challenge was copied (bad CRC 37, or a command ran): everything is this request's.
 */
import {
  aes128Ctr,
  CHALLENGE_SIZE,
  encodeModernResponse,
  encodeResponse,
  ivNonce,
  MODERN_NONCE_SIZE,
  readU16,
  readU32,
  REQUEST_HEADER_SIZE,
  Status,
  xorBytes,
} from '@fanout/raida';

/** How far one request's validation got (see the module comment). */
export type SlotLevel = 'none' | 'group' | 'header' | 'challenge';

/** The slot fields that end up in a reply header. */
export interface SlotFields {
  /** Command group, reply byte 3. */
  group: number;
  /** Echo e0e1 (request bytes 30-31 of types 0-2), legacy reply bytes 6-7. */
  echo: number;
  /** challenge_hash, legacy reply bytes 16-31 (16 bytes). */
  challenge: Uint8Array;
  /** Encryption type: picks the 32-byte (0, 1, 2) or the 48-byte reply layout. */
  encryption: number;
  /** Key token den / SN (types 1, 2: request 17, 18-21; types 4, 5: 19, 20-23), modern reply 17-21. */
  keyDen: number;
  keySn: number;
  /** request_nonce bytes 22-23 (request bytes 46-47, types 4, 5), modern reply bytes 46-47. */
  modernEcho: number;
}

/** A slot that never served a request (the pool is a zeroed static array). */
export function freshSlot(): SlotFields {
  return {
    group: 0,
    echo: 0,
    challenge: new Uint8Array(CHALLENGE_SIZE),
    encryption: 0,
    keyDen: 0,
    keySn: 0,
    modernEcho: 0,
  };
}

const RANK: Record<SlotLevel, number> = { none: 0, group: 1, header: 2, challenge: 3 };

/**
 * The slot level at which raidax-server emits `status`: for an error the server itself found, and
 * for a forced status (fault plans) of the same kind. Statuses not produced by validation are
 * command results: 'challenge'.
 */
export function levelOfStatus(status: number): SlotLevel {
  switch (status) {
    case Status.INVALID_ROUTING:
    case Status.INVALID_SPLIT_ID:
    case Status.INVALID_RAIDA_ID:
    case Status.INVALID_SHARD_ID:
    case Status.INVALID_COMMAND_GROUP:
    case Status.INVALID_COMMAND:
      return 'none';
    case Status.INVALID_COIN_ID:
      return 'group';
    case Status.INVALID_ENCRYPTION_CODE:
    case Status.ENCRYPTION_COIN_NOT_FOUND:
    case Status.INVALID_ENCRYPTION:
    case Status.INVALID_PACKET_LENGTH:
    case Status.INVALID_EOF:
      return 'header';
    default:
      return 'challenge';
  }
}

/** The lower of two levels. */
export function minLevel(a: SlotLevel, b: SlotLevel): SlotLevel {
  return RANK[a] <= RANK[b] ? a : b;
}

/**
 * Writes into `slot` what raidax-server's validation writes for a request that got to `level`
 * (`bytes` has at least the 32 header bytes; 48 for encryption types other than 0-2).
 * @param signature challenge_hash for level 'challenge': the challenge (type 0) or challenge XOR key
 *   AN (type 1); ignored below that level. Absent at level 'challenge': a request without a body,
 *   whose challenge_hash stays the previous one.
 */
export function absorb(slot: SlotFields, bytes: Uint8Array, level: SlotLevel, signature?: Uint8Array): void {
  if (RANK[level] < RANK.group) return;
  slot.group = bytes[4] ?? 0;
  if (RANK[level] < RANK.header) return;
  const enc = bytes[16] ?? 0;
  slot.encryption = enc;
  if (enc <= 2) {
    slot.echo = readU16(bytes, 30);
    slot.keyDen = enc === 0 ? 0 : ((bytes[17] ?? 0) << 24) >> 24;
    slot.keySn = enc === 0 ? 0 : readU32(bytes, 18);
  } else if (enc === 4 || enc === 5) {
    slot.keyDen = ((bytes[19] ?? 0) << 24) >> 24;
    slot.keySn = readU32(bytes, 20);
    slot.modernEcho = readU16(bytes, 46);
  }
  if (level === 'challenge' && signature !== undefined) slot.challenge = signature.slice();
}

/**
 * challenge_hash as validate_decrypt_body leaves it for a request whose body passed the length and
 * terminator checks: the first 16 body bytes (type 0), or those bytes decrypted with the key AN and
 * XORed with it (type 1), whether or not their CRC is right.
 */
export function receivedSignature(bytes: Uint8Array, key: Uint8Array | undefined): Uint8Array {
  const raw = bytes.slice(REQUEST_HEADER_SIZE, REQUEST_HEADER_SIZE + CHALLENGE_SIZE);
  if (key === undefined) return raw;
  const echo = readU16(bytes, 30);
  const challenge = aes128Ctr(key, ivNonce(bytes.subarray(24, 30), echo), raw);
  return xorBytes(challenge, key);
}

/** What {@link slotReply} writes besides the slot's fields. */
export interface SlotReplySpec {
  readonly raidaId: number;
  readonly status: number;
  /** Reply bytes 12-15 (legacy) or 4-7 (modern), µs. */
  readonly execMicros: number;
  /** The 22 response nonce bytes of a modern reply (24-45); the C server draws them fresh. */
  readonly modernNonce: () => Uint8Array;
}

/**
 * The bodiless reply get_response_header builds from `slot`: the 32-byte layout for encryption
 * types 0, 1, 2, else the 48-byte one (protocol.c get_response_header_size_for_encryption_type).
 */
export function slotReply(slot: SlotFields, spec: SlotReplySpec): Uint8Array {
  if (slot.encryption <= 2) {
    return encodeResponse({
      raidaId: spec.raidaId,
      status: spec.status,
      group: slot.group,
      echo: slot.echo,
      execMicros: spec.execMicros,
      signature: slot.challenge,
    });
  }
  const nonce = spec.modernNonce();
  return encodeModernResponse({
    raidaId: spec.raidaId,
    status: spec.status,
    group: slot.group,
    encryption: slot.encryption,
    execMicros: spec.execMicros,
    keyDen: slot.keyDen,
    keySn: slot.keySn,
    nonce: nonce.length === MODERN_NONCE_SIZE ? nonce : new Uint8Array(MODERN_NONCE_SIZE),
    echo: slot.modernEcho,
  });
}
