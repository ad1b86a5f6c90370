/**
 * RAIDAX protocol constants.
 *
 * Sources: /work/shared/reference/raida.md, read from the public C server worthingtonse/raidax-server
 * (protocol.h status codes and limits, protocol.c dispatch table, net.c UDP receive path,
 * cmd_auth.c / cmd_healing.c command bodies). Where the written spec and the server code disagree,
 * the server code wins.
 */

/** Number of RAIDA servers in the network (protocol.h TOTAL_RAIDA_SERVERS). */
export const RAIDA_COUNT = 25;

/**
 * Default client-side quorum: passes needed on this many RAIDA for a token to count as authentic
 * (qmail-client get_grade_status). Older clients used 14/12, so callers should keep it configurable.
 */
export const QUORUM = 13;

/** Live coin id (header bytes 6-7, config.toml coin_id). */
export const COIN_ID = 6;

/** Default UDP port of RAIDA 0; RAIDA i listens on `DEFAULT_PORT_BASE + i`. */
export const DEFAULT_PORT_BASE = 50_000;

/**
 * UDP receive buffer of the live servers, bytes: raidax-server config.toml `udp_effective_payload =
 * 1440` (read into `udp_payload_threshold`, config.c read_config; net.c handle_udp_request cuts
 * every datagram to it). One request must fit.
 */
export const DATAGRAM_BUDGET = 1440;

/**
 * The receive buffer compiled into raidax-server when config.toml does not set
 * `udp_effective_payload`, bytes (config.h DEFAULT_UDP_PAYLOAD_THRESHOLD).
 */
export const COMPILED_DATAGRAM_BUFFER = 1024;

/** Protocol version byte expected in request byte 0 (protocol.c validate_header, else status 255). */
export const PROTOCOL_VERSION = 1;

/** Request header size for encryption types 0, 1, 2, bytes. */
export const REQUEST_HEADER_SIZE = 32;

/** Request header size for the modern encryption types 4, 5 (and unknown types), bytes (net.c). */
export const MODERN_REQUEST_HEADER_SIZE = 48;

/** Bytes a UDP datagram must carry before the server even looks at the encryption type (net.c). */
export const MIN_DATAGRAM_SIZE = 17;

/** Response header size for encryption types 0, 1, 2, bytes. */
export const RESPONSE_HEADER_SIZE = 32;

/**
 * Response header size for every other encryption type byte (the modern types 4, 5 and unknown
 * ones), bytes: protocol.c get_response_header_size_for_encryption_type / get_response_header.
 */
export const MODERN_RESPONSE_HEADER_SIZE = 48;

/** Challenge at the start of every request body: 12 random bytes + CRC32 (BE), bytes. */
export const CHALLENGE_SIZE = 16;

/** Authenticity number (AN / PAN / PG) size, bytes. */
export const AN_SIZE = 16;

/** Body terminator byte; every body ends with two of them (0x3E 0x3E, ">>"). */
export const TERMINATOR_BYTE = 0x3e;

/** Size of the body terminator, bytes. */
export const TERMINATOR_SIZE = 2;

/** Header nonce bytes 24-29 (the 6 bytes before the echo), bytes. */
export const NONCE_SIZE = 6;

/** Highest valid shard id (protocol.h MAX_SHARD). */
export const MAX_SHARD = 3;

/** Highest command group the server knows (protocol.h MAX_COMMAND_GROUP = RKE = 15). */
export const MAX_COMMAND_GROUP = 15;

/**
 * The ticket lifetime raidax-server defines, ms (protocol.h TICKET_RELEASE_SECONDS = 300), and never
 * applies: `check_tickets()` (protocol.c), the only code that frees an expired ticket, has no caller
 * (shared/reference/raida.md; none in main.c, net.c, db.c, integrity.c, protocol.c, cmd_healing.c),
 * so tickets live until the process restarts or the 512-slot pool fills (get-ticket then answers 42).
 */
export const TICKET_LIFETIME_MS = 300_000;

/** Ticket slots per server (protocol.h TICKET_POOL_SIZE); exhausted → status 42. */
export const TICKET_POOL_SIZE = 512;

/** Serial-number records in one page file (db.h RECORDS_PER_PAGE). */
export const RECORDS_PER_PAGE = 1024;

/** Page files per denomination (db.h TOTAL_PAGES; db.c init_db creates pages 0-999). */
export const PAGES_PER_DENOMINATION = 1000;

/**
 * Serial numbers a RAIDA holds per denomination: pages × records = 1 024 000, SN 0..1 023 999
 * (db.h). For an SN past them `get_page_by_sn_lock` finds no page file: detect/pown count the token
 * as failed, get-ticket, find and fix answer 40 for the whole request (cmd_auth.c, cmd_healing.c).
 */
export const SNS_PER_DENOMINATION = RECORDS_PER_PAGE * PAGES_PER_DENOMINATION;

/** Lowest denomination with page files (db.h MIN_DENOMINATION, DEN_0_00000001). */
export const MIN_DENOMINATION = -8;

/** Highest denomination with page files (db.h MAX_DENOMINATION, DEN_1000000). */
export const MAX_DENOMINATION = 6;

/**
 * Fix (2/80) rewrites a token's AN when strictly more than this many votes agree, the server's own
 * vote included (cmd_healing.c: `cnt > TOTAL_RAIDA_SERVERS / 2 + 1`).
 */
export const FIX_VOTES_NEEDED_EXCLUSIVE = 13;

/** Command group numbers (protocol.h enum COMMAND_GROUP), the ones this codec speaks. */
export const Group = {
  status: 0,
  auth: 1,
  healing: 2,
} as const;

/** The commands this codec encodes and the fake server answers (protocol.c dispatch table). */
export const Command = {
  echo: { group: 0, command: 0 },
  detect: { group: 1, command: 10 },
  pown: { group: 1, command: 20 },
  getTicket: { group: 2, command: 40 },
  validateTicket: { group: 2, command: 50 },
  find: { group: 2, command: 60 },
  fix: { group: 2, command: 80 },
} as const;

/** Name of a command this codec knows. */
export type CommandName = keyof typeof Command;

/** All command names, in dispatch-table order. */
export const COMMAND_NAMES: readonly CommandName[] = Object.keys(Command) as CommandName[];

/** The command name for a group/command pair, or `undefined` when this codec does not know it. */
export function commandName(group: number, command: number): CommandName | undefined {
  for (const name of COMMAND_NAMES) {
    const c = Command[name];
    if (c.group === group && c.command === command) return name;
  }
  return undefined;
}

/** Encryption types of request byte 16 (protocol.h ENCRYPTION_TYPE_*). */
export const Encryption = {
  none: 0,
  /** AES-128-CTR keyed by the AN of the token named in header bytes 17-21. */
  aes128: 1,
  locker: 2,
  aes256Single: 4,
  aes256Double: 5,
} as const;

/** Encryption types the server accepts in header validation; anything else → status 27. */
export const VALID_ENCRYPTION_TYPES: readonly number[] = [0, 1, 2, 4, 5];

/** Response status codes (protocol.h enum STATUS_CODE). */
export const Status = {
  NO_ERROR: 0,
  INVALID_CLOUD_ID: 1,
  INVALID_SPLIT_ID: 2,
  INVALID_RAIDA_ID: 3,
  INVALID_SHARD_ID: 4,
  INVALID_COMMAND_GROUP: 5,
  INVALID_COMMAND: 6,
  INVALID_COIN_ID: 7,
  INVALID_UDP_FRAME_COUNT: 15,
  INVALID_PACKET_LENGTH: 16,
  UDP_FRAME_TIMEOUT: 17,
  WRONG_RAIDA: 18,
  SHARD_NOT_AVAILABLE: 20,
  ENCRYPTION_COIN_NOT_FOUND: 25,
  INVALID_ENCRYPTION_CODE: 27,
  INVALID_EOF: 33,
  INVALID_ENCRYPTION: 34,
  EMPTY_REQUEST: 36,
  INVALID_CRC: 37,
  ADMIN_AUTH: 38,
  COINS_NOT_DIV: 39,
  INVALID_SN_OR_DENOMINATION: 40,
  PAGE_IS_NOT_RESERVED: 41,
  NO_TICKET_SLOT: 42,
  NO_TICKET_FOUND: 43,
  TICKET_CLAIMED_ALREADY: 44,
  TOO_MANY_COINS: 45,
  INVALID_SHARD: 46,
  DELETE_COINS: 47,
  LEGACY_DB: 48,
  NOT_IMPLEMENTED: 89,
  BAD_COINS: 90,
  WAITING: 150,
  REQUEST_RATE: 160,
  FIND_NEITHER: 208,
  FIND_ALL_AN: 209,
  FIND_ALL_PAN: 210,
  FIND_MIXED: 211,
  ALL_PASS: 241,
  ALL_FAIL: 242,
  MIXED: 243,
  SUCCESS: 250,
  INTERNAL: 252,
  NETWORK: 253,
  MEMORY_ALLOC: 254,
  INVALID_ROUTING: 255,
} as const;

/** A status name of {@link Status}. */
export type StatusName = keyof typeof Status;

const STATUS_BY_CODE = new Map<number, StatusName>(
  (Object.entries(Status) as [StatusName, number][]).map(([name, code]) => [code, name]),
);

/** Name of a status code (`'ALL_PASS'` for 241), or `'STATUS_<n>'` for a code protocol.h does not name here. */
export function statusName(code: number): string {
  return STATUS_BY_CODE.get(code) ?? `STATUS_${code}`;
}

/** Statuses that report a command outcome rather than an error (0, 208-211, 241-243, 250). */
const OUTCOME_STATUSES: ReadonlySet<number> = new Set([0, 208, 209, 210, 211, 241, 242, 243, 250]);

/** True when `status` is an error (anything but 0, 208-211, 241-243, 250). */
export function isErrorStatus(status: number): boolean {
  return !OUTCOME_STATUSES.has(status);
}

/**
 * Statuses raidax-server only ever sends before it has copied the request's challenge into the
 * connection slot: the header checks of protocol.c validate_header (255, 2, 3, 5, 4, 6, 7, 27; 25
 * and 34 for a key token it cannot find) and the terminator check of validate_decrypt_body (33).
 * Their replies carry whatever challenge the reused UDP slot last held (net.c get_udp_ci_from_pool
 * resets neither `challenge_hash` nor the echo bytes), never the request's own. 16 is not listed:
 * the command handlers send it too, after the challenge was read. 37 is not listed: the challenge is
 * copied just before the CRC check.
 */
const PRE_CHALLENGE_STATUSES: ReadonlySet<number> = new Set([255, 2, 3, 4, 5, 6, 7, 25, 27, 33, 34]);

/**
 * True when a reply with `status` can never carry the challenge of the request it answers (see
 * PRE_CHALLENGE_STATUSES above): a reply that does carry a request's challenge with such a status is
 * a stale reply to a LATER request that reached the same slot, not this request's answer.
 */
export function isPreChallengeStatus(status: number): boolean {
  return PRE_CHALLENGE_STATUSES.has(status);
}
