/**
 * A fake RAIDA server as a pure handler: datagram bytes in, reply bytes (or null) out. No sockets,
 * no clock: "now" is an argument, randomness (ticket ids) is injected.
 *
 * Behaviour follows the public C server worthingtonse/raidax-server (net.c handle_udp_request,
 * protocol.c validate_header / validate_decrypt_body / get_response_header, cmd_auth.c,
 * cmd_healing.c, db.c) as summarised in /work/shared/reference/raida.md:
 * - error replies: the C server answers from a reused connection slot (slot.ts), so a header error
 *   carries the PREVIOUS request's echo, group and challenge, a length or terminator error this
 *   request's echo with the previous challenge, a bad CRC (37) this request's own. With the plan
 *   behaviour `staleErrorReplies` ({@link HandleOptions}) the server does exactly that. Without it
 *   (the default) each request gets a fresh slot, idealised: the request's own echo and group, and
 *   16 zero bytes where the C server would send a stale challenge (a bad CRC still carries the
 *   received challenge, XOR the key AN for type 1);
 * - encryption types other than 0/1/2 are answered in the 48-byte modern layout
 *   (modern-response.ts); types 2, 4, 5 are refused with 27 here (not implemented), type 1 is
 *   implemented;
 * - the AN table has records for SN 0..1 023 999 of denominations -8..6 only (pages.ts): a token
 *   past them fails detect/pown and makes get-ticket, find and fix answer 40; an in-range SN that
 *   was never installed holds an AN nobody knows (fails detect/pown, 'neither' for find, fixable);
 * - tickets never expire by default (the C server never calls check_tickets);
 * - only the commands of @fanout/raida exist (0/0, 1/10, 1/20, 2/40, 2/50, 2/60, 2/80); other
 *   commands in groups ≤ 15 get 6, groups > 15 get 5 (same order as validate_header);
 * - every shard value 0-3 is served from the one table (no legacy CloudCoin v1/v2 shards).
 */

import type { RandomBytes } from '@fanout/core';
import {
  aes128Ctr,
  bytesEqual,
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
  MODERN_NONCE_SIZE,
  RAIDA_COUNT,
  RaidaDecodeError,
  RaidaEncodeError,
  readU16,
  readU32,
  REQUEST_HEADER_SIZE,
  Status,
  statusForRequestError,
  TICKET_POOL_SIZE,
  writeU32,
  type CoinId,
  type DecodedRequest,
  type FindResult,
  type Token,
} from '@fanout/raida';

import { blankAn, pageRecord } from './pages.js';
import {
  absorb,
  freshSlot,
  levelOfStatus,
  minLevel,
  receivedSignature,
  slotReply,
  type SlotFields,
  type SlotLevel,
} from './slot.js';
import { TokenTable } from './table.js';
import { MAX_COINS_PER_TICKET, TicketPool, type TicketEntry, type ValidateTicketResult } from './tickets.js';

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
 * (unknown/claimed ticket) or did not answer. Must be synchronous.
 */
export type TicketPeers = (peerId: number, ticket: number, ctx: PeerContext) => readonly CoinId[] | null;

/** Options of {@link RaidaServer}. */
export interface RaidaServerOptions {
  /** Coin id the server accepts (header bytes 6-7); default 6. */
  readonly coinId?: number;
  /** The AN table; default a new empty one. */
  readonly table?: TokenTable;
  /**
   * Source of ticket ids (4 bytes each) and of the 22 nonce bytes of a 48-byte reply. Default: a
   * deterministic counter per server for tickets, zeros for nonces.
   */
  readonly rng?: RandomBytes;
  /** Validates tickets with peers during fix; default none (fix then only has its own vote → 242). */
  readonly peers?: TicketPeers;
  /** Execution time written in reply bytes 12-15, µs: a constant or per-request function. Default 0. */
  readonly execMicros?: number | ((group: number, command: number) => number);
  /**
   * Datagram bytes the server reads; longer datagrams are truncated like recvfrom does. Default
   * 1440 (DATAGRAM_BUDGET: config.toml `udp_effective_payload`); the C server's compiled default is
   * 1024 (COMPILED_DATAGRAM_BUFFER).
   */
  readonly receiveBuffer?: number;
  /**
   * Ticket lifetime, ms. Default Infinity: the C server defines 300 s (TICKET_LIFETIME_MS) but never
   * expires a ticket. Give TICKET_LIFETIME_MS to model a server that runs check_tickets().
   */
  readonly ticketLifetimeMs?: number;
  /** Live tickets at most; default 512 (then get-ticket answers 42). */
  readonly ticketPoolSize?: number;
  /** Fix rewrites an AN when votes (own included) exceed this; default 13. */
  readonly fixVotesNeededExclusive?: number;
  /** Accept encryption type 1 (AES-128-CTR keyed by a token's AN); default true. */
  readonly acceptEncryption1?: boolean;
}

/**
 * Per-request switches of {@link RaidaServer.handle}, normally derived from the fault plan's
 * `behave` rules for target "raida-<id>" (service.ts raidaHandleOptions).
 */
export interface HandleOptions {
  /**
   * Plan behaviour `staleErrorReplies`: error replies carry what the reused connection slot holds
   * (slot.ts) — the previous request's challenge, and for header errors its echo and group — as
   * raidax-server's UDP replies do. Default false: a fresh, idealised slot per request.
   */
  readonly staleErrorReplies?: boolean;
  /**
   * The request came over a connection of its own (raidax-server's TCP path: alloc_ci zeroes a new
   * slot), as fix's server-to-server validate-ticket does: it neither reads nor changes the UDP
   * slot. Default false.
   */
  readonly freshConnection?: boolean;
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

interface Reply {
  readonly status: number;
  readonly body?: Uint8Array;
}

/** How far a request got: its slot level and, at level 'challenge', its challenge_hash. */
interface Progress {
  readonly level: SlotLevel;
  readonly signature?: Uint8Array;
}

/**
 * One fake RAIDA. `handle` never throws: garbage yields an error reply (or `null` when the C server
 * would drop it), an internal bug yields status 252, and the server keeps serving.
 */
export class RaidaServer {
  readonly id: number;
  readonly coinId: number;
  readonly table: TokenTable;
  readonly #options: RaidaServerOptions;
  readonly #tickets: TicketPool;
  #slot: SlotFields = freshSlot();
  #ticketCounter = 0;
  #requests = 0;
  #answered = 0;
  #dropped = 0;
  #errors = 0;
  #byStatus: Record<number, number> = {};
  #byCommand: Record<string, number> = {};

  /**
   * @param id RAIDA id 0-24.
   * @throws RaidaEncodeError when `id` is not an integer 0-24, `receiveBuffer` < 32 or
   *   `ticketLifetimeMs` is not a positive number.
   */
  constructor(id: number, options: RaidaServerOptions = {}) {
    if (!Number.isInteger(id) || id < 0 || id >= RAIDA_COUNT)
      throw new RaidaEncodeError('id', `RAIDA id must be 0-${RAIDA_COUNT - 1}, got ${id}`);
    const rb = options.receiveBuffer ?? DATAGRAM_BUDGET;
    if (!Number.isInteger(rb) || rb < REQUEST_HEADER_SIZE)
      throw new RaidaEncodeError('receiveBuffer', `must be an integer ≥ ${REQUEST_HEADER_SIZE}, got ${rb}`);
    const life = options.ticketLifetimeMs ?? Infinity;
    if (typeof life !== 'number' || !(life > 0))
      throw new RaidaEncodeError('ticketLifetimeMs', `must be a positive number of ms, got ${String(life)}`);
    this.id = id;
    this.coinId = options.coinId ?? COIN_ID;
    this.table = options.table ?? new TokenTable();
    this.#options = options;
    this.#tickets = new TicketPool({
      size: options.ticketPoolSize ?? TICKET_POOL_SIZE,
      lifetimeMs: life,
      nextId: () => this.#newTicketId(),
    });
  }

  /**
   * Installs (or overwrites) a token's AN on this server, in the record the C server would read
   * for it (pages.ts pageRecord).
   * @throws RaidaEncodeError('sn') when the C server has no record for (den, sn): an SN past the
   *   1 024 000 of its page files or a denomination outside -8..6.
   */
  installToken(token: Token): void {
    const rec = pageRecord(token.den, token.sn);
    if (rec === null)
      throw new RaidaEncodeError(
        'sn',
        `raidax-server has no record for den ${token.den} SN ${token.sn} (SN 0..1023999 of den -8..6)`,
      );
    this.table.set(token.den, rec, token.an);
  }

  /** The AN this server holds for (den, sn), or `undefined` (never installed, or no record at all). */
  getAn(den: number, sn: number): Uint8Array | undefined {
    const rec = pageRecord(den, sn);
    return rec === null ? undefined : this.table.get(den, rec);
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
   * Crash with state loss: forgets what the C server keeps only in memory — the ticket pool
   * (protocol.c `tickets`) and the UDP connection slots (net.c `udp_ci_pool`, zeroed again at
   * start-up). The AN table is on disk there and survives.
   */
  loseVolatileState(): void {
    this.#tickets.clear();
    this.#slot = freshSlot();
  }

  /** Tickets still alive at `now` (ms). */
  liveTickets(now: number): number {
    return this.#tickets.size(now);
  }

  /**
   * Handles one request datagram and returns the reply datagram, or `null` when the C server would
   * drop it without answering (fewer than 17 bytes, or fewer than the header size for the encryption
   * type in byte 16: net.c). Datagrams longer than the receive buffer (1440) are truncated first.
   * @param now Current time, ms (tickets). Default 0.
   * @param options per-request switches from the plan (staleErrorReplies) or the caller.
   */
  handle(request: Uint8Array, now: number = 0, options: HandleOptions = {}): Uint8Array | null {
    this.#requests++;
    const rb = this.#options.receiveBuffer ?? DATAGRAM_BUDGET;
    const bytes = request.length > rb ? request.subarray(0, rb) : request;
    try {
      return this.#serve(bytes, now, options);
    } catch (_e) {
      // A bug here must not take the server down: 252 from an idealised fresh slot.
      return this.#count(this.#reply(bytes, Status.INTERNAL, { level: 'none' }, {}), Status.INTERNAL);
    }
  }

  /**
   * The reply to a request the fault plan answers with `status` (forceStatus) instead of running it:
   * built like the server's own reply with that status — from the slot level where raidax-server
   * emits it (slot.ts levelOfStatus), or where the request itself fails if earlier. So under
   * `staleErrorReplies` a forced header error is stale and a forced 37 or command status is not;
   * without it a forced validation error carries the request's echo and 16 zero bytes, any other
   * forced status the request's echo and challenge. Counters are not touched.
   * @returns null when the datagram is too short to be answered at all (as `handle`).
   */
  forcedReply(request: Uint8Array, status: number, options: HandleOptions = {}): Uint8Array | null {
    const rb = this.#options.receiveBuffer ?? DATAGRAM_BUDGET;
    const bytes = request.length > rb ? request.subarray(0, rb) : request;
    try {
      const natural = this.#progressOf(bytes);
      if (natural === null) return null;
      const level = minLevel(natural.level, levelOfStatus(status));
      return this.#reply(bytes, status, { level, signature: natural.signature }, options);
    } catch {
      return null;
    }
  }

  /**
   * The validate-ticket logic (cmd_healing.c cmd_validate_ticket), also reachable as command 2/50:
   * returns the coins `ticket` covers and records the claim by `claimant`. Refusals: claimant ≥ 25 →
   * 18, unknown ticket → 43, already claimed by this claimant → 44.
   */
  validateTicket(claimant: number, ticket: number, now: number): ValidateTicketResult {
    return this.#tickets.validate(claimant, ticket, now);
  }

  #keyLookup(): ((den: number, sn: number) => Uint8Array | undefined) | undefined {
    if (this.#options.acceptEncryption1 === false) return undefined;
    return (den, sn) => {
      const rec = pageRecord(den, sn);
      if (rec === null) return undefined; // no page → 34 (protocol.c validate_header)
      return this.table.peek(den, rec) ?? blankAn(this.id, den, rec);
    };
  }

  #decode(bytes: Uint8Array): DecodedRequest {
    return decodeRequest(bytes, { raidaId: this.id, coinId: this.coinId, keyLookup: this.#keyLookup() });
  }

  /**
   * How far validation gets for `bytes` without running the command, or null when the datagram is
   * dropped unanswered.
   */
  #progressOf(bytes: Uint8Array): Progress | null {
    try {
      const d = this.#decode(bytes);
      return { level: 'challenge', signature: d.hasBody ? d.signature : undefined };
    } catch (e) {
      if (!(e instanceof RaidaDecodeError)) throw e;
      const status = statusForRequestError(e);
      if (status === null) return null;
      return this.#failure(bytes, status);
    }
  }

  /** The progress of a request refused with `status` by validation. */
  #failure(bytes: Uint8Array, status: number): Progress {
    const level = levelOfStatus(status);
    if (level !== 'challenge') return { level };
    // Bad CRC: challenge_hash was copied (decrypted and XORed with the key AN for type 1) before the check.
    const key =
      bytes[16] === 1 ? this.#keyLookup()?.(((bytes[17] ?? 0) << 24) >> 24, readU32(bytes, 18)) : undefined;
    return { level, signature: receivedSignature(bytes, key) };
  }

  #serve(bytes: Uint8Array, now: number, options: HandleOptions): Uint8Array | null {
    let decoded: DecodedRequest;
    try {
      decoded = this.#decode(bytes);
    } catch (e) {
      if (!(e instanceof RaidaDecodeError)) throw e;
      const status = statusForRequestError(e);
      if (status === null) {
        this.#dropped++;
        return null;
      }
      return this.#count(this.#reply(bytes, status, this.#failure(bytes, status), options), status);
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
    // A request without a body leaves the previous challenge_hash in the slot, and signs with it.
    const stale = options.staleErrorReplies === true && options.freshConnection !== true;
    const signature = decoded.hasBody ? decoded.signature : stale ? this.#slot.challenge : decoded.signature;
    if (options.freshConnection !== true)
      absorb(this.#slot, bytes, 'challenge', decoded.hasBody ? decoded.signature : undefined);
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
        signature,
        body,
      }),
      reply.status,
    );
  }

  /**
   * A bodiless reply with `status` for a request that got to `progress`. The UDP slot takes this
   * request's fields up to that level (unless `freshConnection`); the reply comes from the slot
   * under `staleErrorReplies`, else from a fresh slot with the request's own echo and group.
   */
  #reply(bytes: Uint8Array, status: number, progress: Progress, options: HandleOptions): Uint8Array {
    const fresh = options.freshConnection === true;
    if (!fresh) absorb(this.#slot, bytes, progress.level, progress.signature);
    let fields: SlotFields;
    if (options.staleErrorReplies === true && !fresh) {
      fields = { ...this.#slot };
    } else {
      fields = freshSlot();
      absorb(fields, bytes, progress.level, progress.signature);
      if (bytes.length >= REQUEST_HEADER_SIZE) {
        fields.group = bytes[4] ?? 0;
        fields.echo = readU16(bytes, 30);
      }
    }
    return slotReply(fields, {
      raidaId: this.id,
      status,
      execMicros: 0,
      modernNonce: () => this.#options.rng?.(MODERN_NONCE_SIZE) ?? new Uint8Array(MODERN_NONCE_SIZE),
    });
  }

  #run(name: string, req: DecodedRequest, now: number): Reply {
    switch (name) {
      case 'echo':
        return { status: Status.SUCCESS };
      case 'detect':
        return graded(decodeDetectPayload(req.payload).map((t) => this.#matches(t)));
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

  /** Whether the record the server reads for `t` holds `t.an` (false when it has no record). */
  #matches(t: Token): boolean {
    const rec = pageRecord(t.den, t.sn);
    if (rec === null) return false;
    const an = this.table.peek(t.den, rec);
    return an !== undefined && bytesEqual(an, t.an);
  }

  #pown(req: DecodedRequest): Reply {
    const pass = decodePownPayload(req.payload).map((t) => {
      if (!this.#matches(t)) return false;
      this.table.set(t.den, pageRecord(t.den, t.sn)!, t.pan);
      return true;
    });
    return graded(pass);
  }

  /**
   * cmd_get_ticket, coin by coin: the first passing coin takes a ticket slot (none free → 42); a
   * coin without a record ends the request with 40 — and a ticket already taken stays in the pool,
   * unannounced, as in the C server.
   */
  #getTicket(req: DecodedRequest, now: number): Reply {
    const tokens = decodeGetTicketPayload(req.payload);
    let te: TicketEntry | null = null;
    const pass: boolean[] = [];
    for (const t of tokens) {
      if (pageRecord(t.den, t.sn) === null) return { status: Status.INVALID_SN_OR_DENOMINATION };
      const ok = this.#matches(t);
      if (ok && te === null) {
        te = this.#tickets.allocate(now);
        if (te === null) return { status: Status.NO_TICKET_SLOT };
      }
      if (ok && te !== null && te.coins.length < MAX_COINS_PER_TICKET)
        te.coins.push({ den: t.den, sn: t.sn });
      pass.push(ok);
    }
    if (te === null) return { status: Status.ALL_FAIL };
    const tb = new Uint8Array(4);
    writeU32(tb, 0, te.ticket);
    if (pass.every(Boolean)) return { status: Status.ALL_PASS, body: tb };
    const bf = encodeBitfield(pass);
    const body = new Uint8Array(bf.length + 4);
    body.set(bf, 0);
    body.set(tb, bf.length);
    return { status: Status.MIXED, body };
  }

  #find(req: DecodedRequest): Reply {
    const found: FindResult[] = [];
    for (const t of decodeFindPayload(req.payload)) {
      const rec = pageRecord(t.den, t.sn);
      if (rec === null) return { status: Status.INVALID_SN_OR_DENOMINATION };
      const an = this.table.peek(t.den, rec);
      found.push(
        an === undefined
          ? 'neither'
          : bytesEqual(an, t.an)
            ? 'an'
            : bytesEqual(an, t.pan)
              ? 'pan'
              : 'neither',
      );
    }
    if (found.every((f) => f === 'an')) return { status: Status.FIND_ALL_AN };
    if (found.every((f) => f === 'pan')) return { status: Status.FIND_ALL_PAN };
    if (found.every((f) => f === 'neither')) return { status: Status.FIND_NEITHER };
    return { status: Status.FIND_MIXED, body: encodeFindResults(found) };
  }

  #fix(req: DecodedRequest, now: number): Reply {
    const fix = decodeFixPayload(req.payload);
    // cmd_fix checks every coin's page before asking any peer.
    if (fix.coins.some((c) => pageRecord(c.den, c.sn) === null))
      return { status: Status.INVALID_SN_OR_DENOMINATION };
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
      this.table.set(c.den, pageRecord(c.den, c.sn)!, fixAn(this.id, c.den, c.sn, fix.pg));
      return true;
    });
    return graded(pass);
  }

  #newTicketId(): number {
    const rng = this.#options.rng;
    if (rng !== undefined) return readU32(rng(4), 0);
    this.#ticketCounter = (this.#ticketCounter + 1) >>> 0;
    return ((this.id + 1) * 0x0100_0000 + this.#ticketCounter) >>> 0;
  }

  #exec(group: number, command: number): number {
    const e = this.#options.execMicros;
    const v = typeof e === 'function' ? e(group, command) : (e ?? 0);
    return Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff ? v : 0;
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
