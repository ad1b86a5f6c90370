/**
 * A fake RAIDA server as a pure handler: datagram bytes in, reply bytes (or null) out. No sockets,
 * no clock: "now" is an argument, randomness (ticket ids) is injected.
 *
 * Behaviour follows the public C server worthingtonse/raidax-server (net.c handle_udp_request,
 * protocol.c validate_header / validate_decrypt_body / prepare_response, cmd_auth.c, cmd_healing.c)
 * as summarised in /work/shared/reference/raida.md. Documented differences:
 * - error replies copy the request's echo (bytes 30-31) and group (byte 4) when the datagram has
 *   them; the C server leaves stale values there for header errors. The signature (bytes 16-31) is
 *   what the C server's challenge_hash holds at that point (protocol.c validate_decrypt_body copies
 *   the challenge before the CRC check, get_response_header writes it): 16 zero bytes for header
 *   errors (3, 7, …), bad length (16) and bad terminator (33); the request's challenge for a bad
 *   CRC (37) of an encryption type 0 request (type 1: zeros here; the C server sends the decrypted
 *   challenge XOR the key AN). Errors found after the body was read carry the challenge as usual.
 * - only the commands of @fanout/raida exist (0/0, 1/10, 1/20, 2/40, 2/50, 2/60, 2/80); other
 *   commands in groups ≤ 15 get 6, groups > 15 get 5 (same order as validate_header).
 * - encryption types 2, 4, 5 are answered with 27 (not implemented here); type 1 is implemented.
 * - unknown tokens (not installed) fail detect/pown, fail get-ticket, are "neither" for find, and
 *   are fixable; the C server has a page for every SN so it behaves the same for unminted SNs.
 * - every shard value 0-3 is served from the one table (no legacy CloudCoin v1/v2 shards).
 */

import {
  aes128Ctr,
  bytesEqual,
  CHALLENGE_SIZE,
  commandName,
  decodeDetectPayload,
  decodeFindPayload,
  decodeFixPayload,
  decodeGetTicketPayload,
  decodePownPayload,
  decodeRequest,
  decodeValidateTicketPayload,
  encodeBitfield,
  encodeCoinList,
  encodeFindResults,
  encodeResponse,
  DATAGRAM_BUDGET,
  COIN_ID,
  FIX_VOTES_NEEDED_EXCLUSIVE,
  fixAn,
  isErrorStatus,
  ivNonce,
  RAIDA_COUNT,
  RaidaDecodeError,
  RaidaEncodeError,
  readU16,
  readU32,
  REQUEST_HEADER_SIZE,
  Status,
  statusForRequestError,
  TICKET_LIFETIME_MS,
  TICKET_POOL_SIZE,
  writeU32,
  type CoinId,
  type DecodedRequest,
  type FindResult,
  type Rng,
  type Token,
} from '@fanout/raida';

import { TokenTable } from './table.js';

/** What a peer hook receives besides the peer id and the ticket. */
export interface PeerContext {
  /** The RAIDA asking (the one running fix); sent as the claimant of validate-ticket 2/50. */
  readonly claimant: number;
  /** The handler's `now`, ms. */
  readonly now: number;
}

/**
 * Asks RAIDA `peerId` which coins `ticket` covers (the server-to-server validate-ticket 2/50 that
 * cmd_fix sends to every other RAIDA). Returns the coins, or `null` when the peer refused
 * (unknown/expired/claimed ticket) or did not answer. Must be synchronous.
 */
export type TicketPeers = (peerId: number, ticket: number, ctx: PeerContext) => readonly CoinId[] | null;

/** Options of {@link RaidaServer}. */
export interface RaidaServerOptions {
  /** Coin id the server accepts (header bytes 6-7); default 6. */
  readonly coinId?: number;
  /** The AN table; default a new empty one. */
  readonly table?: TokenTable;
  /** Source of ticket ids (4 bytes each). Default: a deterministic counter per server. */
  readonly rng?: Rng;
  /** Validates tickets with peers during fix; default none (fix then only has its own vote → 242). */
  readonly peers?: TicketPeers;
  /** Execution time written in reply bytes 12-15, µs: a constant or per-request function. Default 0. */
  readonly execMicros?: number | ((group: number, command: number) => number);
  /** Datagram bytes the server reads; longer datagrams are truncated like recvfrom does. Default 1440. */
  readonly receiveBuffer?: number;
  /** Ticket lifetime, ms; default 300 000. */
  readonly ticketLifetimeMs?: number;
  /** Live tickets at most; default 512 (then get-ticket answers 42). */
  readonly ticketPoolSize?: number;
  /** Fix rewrites an AN when votes (own included) exceed this; default 13. */
  readonly fixVotesNeededExclusive?: number;
  /** Accept encryption type 1 (AES-128-CTR keyed by a token's AN); default true. */
  readonly acceptEncryption1?: boolean;
}

/** Counters for tests and metrics. */
export interface RaidaServerStats {
  /** Datagrams handed to `handle`. */
  readonly requests: number;
  /** Datagrams answered. */
  readonly answered: number;
  /** Datagrams dropped without an answer (too short to carry a header). */
  readonly dropped: number;
  /** Replies whose status is an error (see isErrorStatus). */
  readonly errors: number;
  /** Replies per status code. */
  readonly byStatus: Readonly<Record<number, number>>;
  /** Successfully decoded requests per command name. */
  readonly byCommand: Readonly<Record<string, number>>;
}

interface TicketEntry {
  readonly ticket: number;
  readonly createdAt: number;
  readonly coins: CoinId[];
  readonly claims: Set<number>;
}

interface Reply {
  readonly status: number;
  readonly body?: Uint8Array;
}

/** Result of {@link RaidaServer.validateTicket}. */
export type ValidateTicketResult =
  { readonly ok: true; readonly coins: CoinId[] } | { readonly ok: false; readonly status: number };

/**
 * One fake RAIDA. `handle` never throws: garbage yields an error reply (or `null` when the C server
 * would drop it), an internal bug yields status 252, and the server keeps serving.
 */
export class RaidaServer {
  readonly id: number;
  readonly coinId: number;
  readonly table: TokenTable;
  readonly #options: RaidaServerOptions;
  readonly #tickets = new Map<number, TicketEntry>();
  #ticketCounter = 0;
  #requests = 0;
  #answered = 0;
  #dropped = 0;
  #errors = 0;
  #byStatus: Record<number, number> = {};
  #byCommand: Record<string, number> = {};

  /**
   * @param id RAIDA id 0-24.
   * @throws RaidaEncodeError when `id` is not an integer 0-24 or `receiveBuffer` < 32.
   */
  constructor(id: number, options: RaidaServerOptions = {}) {
    if (!Number.isInteger(id) || id < 0 || id >= RAIDA_COUNT)
      throw new RaidaEncodeError('id', `RAIDA id must be 0-${RAIDA_COUNT - 1}, got ${id}`);
    const rb = options.receiveBuffer ?? DATAGRAM_BUDGET;
    if (!Number.isInteger(rb) || rb < REQUEST_HEADER_SIZE)
      throw new RaidaEncodeError('receiveBuffer', `must be an integer ≥ ${REQUEST_HEADER_SIZE}, got ${rb}`);
    this.id = id;
    this.coinId = options.coinId ?? COIN_ID;
    this.table = options.table ?? new TokenTable();
    this.#options = options;
  }

  /** Installs (or overwrites) a token's AN on this server. */
  installToken(token: Token): void {
    this.table.set(token.den, token.sn, token.an);
  }

  /** The AN this server holds for (den, sn), or `undefined`. */
  getAn(den: number, sn: number): Uint8Array | undefined {
    return this.table.get(den, sn);
  }

  /** A snapshot of the counters. */
  get stats(): RaidaServerStats {
    return {
      requests: this.#requests,
      answered: this.#answered,
      dropped: this.#dropped,
      errors: this.#errors,
      byStatus: { ...this.#byStatus },
      byCommand: { ...this.#byCommand },
    };
  }

  /** Zeroes the counters. */
  resetStats(): void {
    this.#requests = this.#answered = this.#dropped = this.#errors = 0;
    this.#byStatus = {};
    this.#byCommand = {};
  }

  /**
   * Crash with state loss: forgets what the C server keeps only in memory (the ticket pool,
   * protocol.c `tickets`). The AN table is on disk there and survives.
   */
  loseVolatileState(): void {
    this.#tickets.clear();
  }

  /** Tickets still alive at `now` (ms). */
  liveTickets(now: number): number {
    this.#purgeTickets(now);
    return this.#tickets.size;
  }

  /**
   * Handles one request datagram and returns the reply datagram, or `null` when the C server would
   * drop it without answering (fewer than 17 bytes, or fewer than the header size for the encryption
   * type in byte 16: net.c). Datagrams longer than the receive buffer (1440) are truncated first.
   * @param now Current time, ms (ticket expiry). Default 0.
   */
  handle(request: Uint8Array, now: number = 0): Uint8Array | null {
    this.#requests++;
    const rb = this.#options.receiveBuffer ?? DATAGRAM_BUDGET;
    const bytes = request.length > rb ? request.subarray(0, rb) : request;
    try {
      let decoded: DecodedRequest;
      try {
        decoded = decodeRequest(bytes, {
          raidaId: this.id,
          coinId: this.coinId,
          keyLookup:
            this.#options.acceptEncryption1 === false ? undefined : (den, sn) => this.table.get(den, sn),
        });
      } catch (e) {
        if (!(e instanceof RaidaDecodeError)) throw e;
        const status = statusForRequestError(e);
        if (status === null) {
          this.#dropped++;
          return null;
        }
        return this.#errorReply(bytes, status);
      }
      const h = decoded.header;
      const name = commandName(h.group, h.command) ?? `${h.group}/${h.command}`;
      this.#byCommand[name] = (this.#byCommand[name] ?? 0) + 1;
      let reply: Reply;
      try {
        reply = this.#run(name, decoded, now);
      } catch (e) {
        if (!(e instanceof RaidaDecodeError)) throw e;
        reply = { status: statusForRequestError(e) ?? Status.INVALID_PACKET_LENGTH };
      }
      let body = reply.body;
      if (body !== undefined && body.length > 0 && decoded.key !== undefined) {
        body = aes128Ctr(decoded.key, ivNonce(h.nonce, h.echo), body);
      }
      return this.#count(
        encodeResponse({
          raidaId: this.id,
          status: reply.status,
          group: h.group,
          echo: h.echo,
          execMicros: this.#exec(h.group, h.command),
          signature: decoded.signature,
          body,
        }),
        reply.status,
      );
    } catch (_e) {
      return this.#errorReply(bytes, Status.INTERNAL);
    }
  }

  /**
   * The validate-ticket logic (cmd_healing.c cmd_validate_ticket), also reachable as command 2/50:
   * returns the coins `ticket` covers and records the claim by `claimant`. Refusals: claimant ≥ 25 →
   * 18, unknown or expired ticket → 43, already claimed by this claimant → 44.
   */
  validateTicket(claimant: number, ticket: number, now: number): ValidateTicketResult {
    if (!Number.isInteger(claimant) || claimant < 0 || claimant >= RAIDA_COUNT)
      return { ok: false, status: Status.WRONG_RAIDA };
    this.#purgeTickets(now);
    const te = this.#tickets.get(ticket);
    if (te === undefined) return { ok: false, status: Status.NO_TICKET_FOUND };
    if (te.claims.has(claimant)) return { ok: false, status: Status.TICKET_CLAIMED_ALREADY };
    te.claims.add(claimant);
    return { ok: true, coins: te.coins.map((c) => ({ ...c })) };
  }

  #run(name: string, req: DecodedRequest, now: number): Reply {
    switch (name) {
      case 'echo':
        return { status: Status.SUCCESS };
      case 'detect':
        return this.#detect(req);
      case 'pown':
        return this.#pown(req);
      case 'getTicket':
        return this.#getTicket(req, now);
      case 'validateTicket': {
        const v = decodeValidateTicketPayload(req.payload);
        const r = this.validateTicket(v.raidaId, v.ticket, now);
        return r.ok ? { status: Status.SUCCESS, body: encodeCoinList(r.coins) } : { status: r.status };
      }
      case 'find':
        return this.#find(req);
      case 'fix':
        return this.#fix(req, now);
      default:
        return { status: Status.INVALID_COMMAND };
    }
  }

  #matches(t: Token): boolean {
    const an = this.table.get(t.den, t.sn);
    return an !== undefined && bytesEqual(an, t.an);
  }

  #detect(req: DecodedRequest): Reply {
    return graded(decodeDetectPayload(req.payload).map((t) => this.#matches(t)));
  }

  #pown(req: DecodedRequest): Reply {
    const items = decodePownPayload(req.payload);
    const pass = items.map((t) => {
      if (!this.#matches(t)) return false;
      this.table.set(t.den, t.sn, t.pan);
      return true;
    });
    return graded(pass);
  }

  #getTicket(req: DecodedRequest, now: number): Reply {
    const tokens = decodeGetTicketPayload(req.payload);
    const pass = tokens.map((t) => this.#matches(t));
    const passed = tokens.filter((_t, i) => pass[i]).map((t) => ({ den: t.den, sn: t.sn }));
    if (passed.length === 0) return { status: Status.ALL_FAIL };
    this.#purgeTickets(now);
    if (this.#tickets.size >= (this.#options.ticketPoolSize ?? TICKET_POOL_SIZE))
      return { status: Status.NO_TICKET_SLOT };
    const ticket = this.#newTicketId();
    this.#tickets.set(ticket, { ticket, createdAt: now, coins: passed, claims: new Set() });
    const tb = new Uint8Array(4);
    writeU32(tb, 0, ticket);
    if (passed.length === tokens.length) return { status: Status.ALL_PASS, body: tb };
    const bf = encodeBitfield(pass);
    const body = new Uint8Array(bf.length + 4);
    body.set(bf, 0);
    body.set(tb, bf.length);
    return { status: Status.MIXED, body };
  }

  #find(req: DecodedRequest): Reply {
    const items = decodeFindPayload(req.payload);
    const found: FindResult[] = items.map((t) => {
      const an = this.table.get(t.den, t.sn);
      if (an === undefined) return 'neither';
      if (bytesEqual(an, t.an)) return 'an';
      if (bytesEqual(an, t.pan)) return 'pan';
      return 'neither';
    });
    if (found.every((f) => f === 'an')) return { status: Status.FIND_ALL_AN };
    if (found.every((f) => f === 'pan')) return { status: Status.FIND_ALL_PAN };
    if (found.every((f) => f === 'neither')) return { status: Status.FIND_NEITHER };
    return { status: Status.FIND_MIXED, body: encodeFindResults(found) };
  }

  #fix(req: DecodedRequest, now: number): Reply {
    const fix = decodeFixPayload(req.payload);
    const votes = fix.coins.map(() => 1); // the server's own vote (cmd_fix: cnt = 1)
    const peers = this.#options.peers;
    if (peers !== undefined) {
      for (let i = 0; i < RAIDA_COUNT; i++) {
        if (i === this.id) continue;
        const coins = peers(i, fix.tickets[i] ?? 0, { claimant: this.id, now });
        if (coins === null) continue;
        for (const c of coins) {
          const k = fix.coins.findIndex((fc) => fc.den === c.den && fc.sn === c.sn);
          if (k >= 0) votes[k] = (votes[k] ?? 0) + 1;
        }
      }
    }
    const needed = this.#options.fixVotesNeededExclusive ?? FIX_VOTES_NEEDED_EXCLUSIVE;
    const pass = fix.coins.map((c, k) => {
      if ((votes[k] ?? 0) <= needed) return false;
      this.table.set(c.den, c.sn, fixAn(this.id, c.den, c.sn, fix.pg));
      return true;
    });
    return graded(pass);
  }

  #purgeTickets(now: number): void {
    const life = this.#options.ticketLifetimeMs ?? TICKET_LIFETIME_MS;
    for (const [id, te] of this.#tickets) if (now - te.createdAt > life) this.#tickets.delete(id);
  }

  #newTicketId(): number {
    for (;;) {
      let id: number;
      const rng = this.#options.rng;
      if (rng !== undefined) {
        id = readU32(rng(4), 0);
      } else {
        this.#ticketCounter = (this.#ticketCounter + 1) >>> 0;
        id = ((this.id + 1) * 0x0100_0000 + this.#ticketCounter) >>> 0;
      }
      if (id !== 0 && !this.#tickets.has(id)) return id;
    }
  }

  #exec(group: number, command: number): number {
    const e = this.#options.execMicros;
    const v = typeof e === 'function' ? e(group, command) : (e ?? 0);
    return Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff ? v : 0;
  }

  #errorReply(bytes: Uint8Array, status: number): Uint8Array {
    // Bad CRC: the challenge was already copied (validate_decrypt_body), so it is signed back.
    const signed =
      status === Status.INVALID_CRC &&
      bytes[16] === 0 &&
      bytes.length >= REQUEST_HEADER_SIZE + CHALLENGE_SIZE;
    return this.#count(
      encodeResponse({
        raidaId: this.id,
        status,
        group: bytes[4] ?? 0,
        echo: bytes.length >= REQUEST_HEADER_SIZE ? readU16(bytes, 30) : 0,
        signature: signed
          ? bytes.slice(REQUEST_HEADER_SIZE, REQUEST_HEADER_SIZE + CHALLENGE_SIZE)
          : new Uint8Array(CHALLENGE_SIZE),
      }),
      status,
    );
  }

  #count(reply: Uint8Array, status: number): Uint8Array {
    this.#answered++;
    this.#byStatus[status] = (this.#byStatus[status] ?? 0) + 1;
    if (isErrorStatus(status)) this.#errors++;
    return reply;
  }
}

/** 241 / 242 / 243 + bitfield for per-token pass/fail (cmd_auth.c status selection). */
function graded(pass: readonly boolean[]): Reply {
  if (pass.every(Boolean)) return { status: Status.ALL_PASS };
  if (!pass.some(Boolean)) return { status: Status.ALL_FAIL };
  return { status: Status.MIXED, body: encodeBitfield(pass) };
}
