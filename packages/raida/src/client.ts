/**
 * The parallel RAIDA client: detect, pown, find and heal fan out to all 25 RAIDA through
 * @fanout/core, over any {@link DatagramTransport} (a real UDP socket or the simulated network).
 *
 * Protocol rules (shared/reference/raida.md, from raidax-server and qmail-client):
 * - one request per datagram, batched above the 1440-byte receive buffer;
 * - a reply is matched to its request by BOTH the responding RAIDA id (response byte 0) and the
 *   echo bytes (response 6-7 = request 30-31), and its signature (bytes 16-31 = our challenge)
 *   must match; late, duplicate, spoofed or corrupt replies are dropped and counted. Exception:
 *   an ERROR status with a signature of 16 zero bytes is accepted as that RAIDA's 'error' vote
 *   (a server slot that never held a challenge; the fake servers' default error replies). Such a
 *   reply can only ever count as 'error', never as a pass or fail, so a forged one cannot move a
 *   grade towards authentic or counterfeit;
 * - stale error replies: raidax-server reuses its UDP connection slots without resetting them
 *   (net.c get_udp_ci_from_pool), and answers header and terminator errors before it has copied
 *   the request's challenge (protocol.c validate_header, validate_decrypt_body), so those replies
 *   carry the challenge (and for header errors the echo) of the PREVIOUS request the slot served.
 *   They mostly match nothing and are dropped as `unmatched` / `badSignature`: that RAIDA's vote
 *   becomes 'noReply'. When the previous request is ours and still waiting, such a reply matches it
 *   by id, echo AND signature; since those statuses never carry the challenge of the request they
 *   answer (isPreChallengeStatus), it is dropped as `stale` instead of turning that request's
 *   pass/fail into an error;
 * - pown is not idempotent: it is never retried. A pown without a reply leaves that RAIDA in limbo,
 *   resolved with find (2/60);
 * - grading per token (qmail-client get_grade_status): authentic = passes ≥ quorum and no fails;
 *   fracked = passes ≥ quorum with some fails; counterfeit = fails ≥ quorum; otherwise limbo.
 */
import {
  fanOut,
  type AbortHook,
  type Clock,
  type DatagramAddress,
  type DatagramTransport,
  type FanOutEvent,
  type FanOutResult,
  type QuorumView,
  type RandomBytes,
} from '@fanout/core';
import { batchTokens } from './batch.js';
import { bytesEqual } from './bytes.js';
import {
  DATAGRAM_BUDGET,
  DEFAULT_PORT_BASE,
  isErrorStatus,
  isPreChallengeStatus,
  QUORUM,
  RAIDA_COUNT,
  type CommandName,
} from './constants.js';
import { fixAn } from './crypto.js';
import { RaidaDecodeError } from './errors.js';
import {
  encodeDetectPayload,
  encodeFindPayload,
  encodeFixPayload,
  encodeGetTicketPayload,
  encodePownPayload,
  type PownItem,
  type Token,
} from './payload.js';
import { buildRequest } from './request.js';
import {
  decodeResponse,
  interpretFind,
  interpretGrades,
  interpretTicket,
  type FindResult,
  type RaidaResponse,
} from './response.js';

/** A coin as its owner holds it: denomination, serial number and one 16-byte AN per RAIDA (25). */
export interface Coin {
  readonly den: number;
  readonly sn: number;
  readonly ans: readonly Uint8Array[];
}

/** What one RAIDA said about one token. */
export type Vote =
  | 'pass'
  | 'fail'
  /** The RAIDA answered with an error status (e.g. 37 bad CRC, 160 rate limit). */
  | 'error'
  /** No (valid) reply in time. */
  | 'noReply'
  /** Not asked to the end: early exit or caller abort. */
  | 'cancelled';

export type Grade = 'authentic' | 'fracked' | 'counterfeit' | 'limbo';

/** Grading of one token from its 25 votes. */
export interface TokenGrade {
  readonly den: number;
  readonly sn: number;
  readonly grade: Grade;
  readonly passes: number;
  readonly fails: number;
  /** Vote of RAIDA i at index i. */
  readonly votes: readonly Vote[];
}

/**
 * Grade one token from its votes (qmail-client get_grade_status, quorum configurable: 13 now, 14/12 in older clients).
 * @param quorum agreeing RAIDA needed (1..25).
 */
export function gradeVotes(votes: readonly Vote[], quorum: number = QUORUM): Grade {
  let passes = 0;
  let fails = 0;
  for (const v of votes) {
    if (v === 'pass') passes++;
    else if (v === 'fail') fails++;
  }
  if (passes >= quorum) return fails === 0 ? 'authentic' : 'fracked';
  if (fails >= quorum) return 'counterfeit';
  return 'limbo';
}

/** Counters of replies the client dropped. */
export interface RaidaClientStats {
  requests: number;
  replies: number;
  /** Replies whose (RAIDA id, echo) matched no outstanding request: late, duplicate or spoofed. */
  unmatched: number;
  /** Replies that did not decode. */
  malformed: number;
  /** Replies whose signature (bytes 16-31) was not our challenge (nor an unsigned error reply). */
  badSignature: number;
  /**
   * Replies that matched a waiting request by id, echo and signature but with a status raidax-server
   * only sends before it reads a challenge (isPreChallengeStatus): a stale error reply to a later
   * request, dropped.
   */
  stale: number;
}

/** Progress events: the fan-out's events, tagged with the command. */
export type RaidaEvent = FanOutEvent<number, RaidaVotes> & { command: CommandName };

/** Options of {@link RaidaClient}. */
export interface RaidaClientOptions {
  transport: DatagramTransport;
  /** Random bytes for nonces, challenges, echo seeds and PGs (seeded in simulation). */
  rng: RandomBytes;
  /** Time source: a VirtualClock in simulation, realClock live. Required (determinism rule: no fallback). */
  clock: Clock;
  /** Address of RAIDA i at index i. Default 127.0.0.1:(portBase + i). */
  addresses?: readonly DatagramAddress[];
  /** Used when `addresses` is absent. Default 50000 (raidax-server config.toml). */
  portBase?: number;
  /** Per-attempt timeout, ms. Default 3000 (RAIDA spec). */
  timeoutMs?: number;
  /**
   * Retries for idempotent commands only (detect, find, get-ticket, echo; never pown or fix):
   * attempts in total and the timeout growth per retry. Default 3 attempts × 1.5 (3 s → 4.5 s → 6.75 s).
   */
  retry?: { attempts: number; timeoutFactor?: number; backoffMs?: number };
  /** Agreeing RAIDA needed. Default 13. */
  quorum?: number;
  /**
   * Stop asking once every token's grade is decided (passes or fails ≥ quorum, or quorum out of
   * reach). Faster under slow RAIDA; a token failing only on a RAIDA that was not waited for is then
   * graded authentic rather than fracked (as the spec's "may stop early once 13 agree"). Default false.
   */
  earlyExit?: boolean;
  /** Whole-command deadline, ms. Default none. */
  deadlineMs?: number;
  /** Max RAIDA asked at once. Default 25. */
  concurrency?: number;
  /** Datagram budget, bytes. Default 1440. */
  datagramBudget?: number;
  signal?: AbortSignal;
  onEvent?: (event: RaidaEvent) => void;
}

/** The per-RAIDA result of one command: a vote per token, and the statuses seen. */
export interface RaidaVotes {
  readonly votes: Vote[];
  readonly statuses: number[];
}

/** Result of a grading command (detect, pown, fix). */
export interface GradeReport {
  readonly command: CommandName;
  readonly tokens: TokenGrade[];
  /** The fan-out over the 25 RAIDA (outcome i = RAIDA i). */
  readonly raida: FanOutResult<number, RaidaVotes>;
  /** Clock ms from the first send to the decision. */
  readonly elapsedMs: number;
}

/** Result of pown: grades, the coins as they now stand, and per-coin limbo RAIDA. */
export interface PownReport extends GradeReport {
  /** Coin i with AN := PAN on every RAIDA that passed; unchanged elsewhere. */
  readonly coins: Coin[];
  /** For coin i, the RAIDA whose pown outcome is unknown (no reply): resolve with {@link RaidaClient.resolveLimbo}. */
  readonly limbo: number[][];
}

/** A request that was sent but will never be answered: stops its wait. */
class ReplyError extends Error {
  override readonly name = 'RaidaReplyError';
}

interface Pending {
  signature: Uint8Array;
  resolve: (res: RaidaResponse) => void;
}

/**
 * Fan-out client for the 25 RAIDA. One instance owns one transport subscription; call
 * {@link RaidaClient.close} to release it (the transport itself stays open).
 */
export class RaidaClient {
  readonly stats: RaidaClientStats = {
    requests: 0,
    replies: 0,
    unmatched: 0,
    malformed: 0,
    badSignature: 0,
    stale: 0,
  };
  readonly #o: Required<Pick<RaidaClientOptions, 'timeoutMs' | 'quorum' | 'earlyExit' | 'datagramBudget'>> &
    RaidaClientOptions;
  readonly #clock: Clock;
  readonly #addresses: readonly DatagramAddress[];
  readonly #pending = new Map<string, Pending>();
  readonly #unsubscribe: () => void;
  #echo: number;

  /** @throws RangeError for a quorum outside 1..25 or a wrong number of addresses. */
  constructor(options: RaidaClientOptions) {
    const quorum = options.quorum ?? QUORUM;
    if (!Number.isInteger(quorum) || quorum < 1 || quorum > RAIDA_COUNT)
      throw new RangeError(`quorum must be an integer in 1..25, got ${quorum}`);
    if (options.addresses !== undefined && options.addresses.length !== RAIDA_COUNT) {
      throw new RangeError(`addresses must list ${RAIDA_COUNT} RAIDA, got ${options.addresses.length}`);
    }
    this.#o = { timeoutMs: 3000, earlyExit: false, datagramBudget: DATAGRAM_BUDGET, ...options, quorum };
    this.#clock = options.clock;
    const base = options.portBase ?? DEFAULT_PORT_BASE;
    this.#addresses =
      options.addresses ??
      Array.from({ length: RAIDA_COUNT }, (_, i) => ({ host: '127.0.0.1', port: base + i }));
    const seed = options.rng(2);
    this.#echo = ((seed[0]! << 8) | seed[1]!) & 0xffff;
    this.#unsubscribe = options.transport.onMessage((bytes) => this.#onReply(bytes));
  }

  /** Stop listening; outstanding requests are abandoned. */
  close(): void {
    this.#unsubscribe();
    this.#pending.clear();
  }

  #onReply(bytes: Uint8Array): void {
    let res: RaidaResponse;
    try {
      res = decodeResponse(bytes);
    } catch (e) {
      if (e instanceof RaidaDecodeError) {
        this.stats.malformed++;
        return;
      }
      throw e;
    }
    const key = `${res.raidaId}:${res.echo}`;
    const p = this.#pending.get(key);
    if (p === undefined) {
      this.stats.unmatched++;
      return;
    }
    const signed = bytesEqual(res.signature, p.signature);
    if (signed && isPreChallengeStatus(res.status)) {
      this.stats.stale++;
      return;
    }
    if (!signed && !(isErrorStatus(res.status) && res.signature.every((b) => b === 0))) {
      this.stats.badSignature++;
      return;
    }
    this.#pending.delete(key);
    this.stats.replies++;
    p.resolve(res);
  }

  #nextEcho(raidaId: number): number {
    for (let i = 0; i < 0x10000; i++) {
      this.#echo = (this.#echo + 1) & 0xffff;
      if (!this.#pending.has(`${raidaId}:${this.#echo}`)) return this.#echo;
    }
    throw new ReplyError(`no free echo value for RAIDA ${raidaId}: 65536 requests outstanding`);
  }

  /**
   * Send one request datagram to RAIDA `raidaId` and wait for its matching reply, or the abort of
   * the attempt (its AbortHook: the engine's call context; no AbortSignal is created per attempt).
   */
  #exchange(
    raidaId: number,
    name: CommandName,
    payload: Uint8Array,
    abort: AbortHook,
  ): Promise<RaidaResponse> {
    return new Promise<RaidaResponse>((resolve, reject) => {
      if (abort.aborted) return reject(abort.reason);
      const echo = this.#nextEcho(raidaId);
      const req = buildRequest(name, payload, { raidaId, echo, rng: this.#o.rng });
      const key = `${raidaId}:${echo}`;
      const onAbort = (): void => {
        this.#pending.delete(key);
        reject(abort.reason);
      };
      this.#pending.set(key, {
        signature: req.signature,
        resolve: (res) => {
          abort.offAbort(onAbort);
          resolve(res);
        },
      });
      abort.onAbort(onAbort);
      this.stats.requests++;
      this.#o.transport.send(this.#addresses[raidaId]!, req.bytes);
    });
  }

  /**
   * Ask one RAIDA about `items` (batched to the datagram budget, batches sent at once) and
   * combine the per-batch replies into one vote per item.
   */
  async #ask<I>(
    raidaId: number,
    name: CommandName,
    items: readonly I[],
    encode: (batch: readonly I[]) => Uint8Array,
    interpret: (
      res: RaidaResponse,
      n: number,
    ) => { ok: true; pass: boolean[] } | { ok: false; status: number },
    abort: AbortHook,
  ): Promise<RaidaVotes> {
    const batches = batchTokens(items, name, this.#o.datagramBudget);
    const replies = await Promise.all(batches.map((b) => this.#exchange(raidaId, name, encode(b), abort)));
    const votes: Vote[] = [];
    const statuses: number[] = [];
    replies.forEach((res, i) => {
      const n = batches[i]!.length;
      statuses.push(res.status);
      let r: ReturnType<typeof interpret>;
      try {
        r = interpret(res, n);
      } catch (e) {
        if (!(e instanceof RaidaDecodeError)) throw e;
        this.stats.malformed++;
        r = { ok: false, status: res.status };
      }
      if (r.ok) for (const pass of r.pass) votes.push(pass ? 'pass' : 'fail');
      else for (let k = 0; k < n; k++) votes.push('error');
    });
    return { votes, statuses };
  }

  /** Run one command on every RAIDA through the fan-out engine and grade the tokens. */
  async #grade(
    name: CommandName,
    count: number,
    call: (raidaId: number, abort: AbortHook) => Promise<RaidaVotes>,
    idempotent: boolean,
    raidaIds: readonly number[] = Array.from({ length: RAIDA_COUNT }, (_, i) => i),
  ): Promise<GradeReport> {
    const o = this.#o;
    const quorum = o.quorum;
    const passes = new Array<number>(count).fill(0);
    const fails = new Array<number>(count).fill(0);
    const decided = (pending: number): boolean => {
      for (let t = 0; t < count; t++) {
        const p = passes[t]!;
        const f = fails[t]!;
        if (p >= quorum || f >= quorum) continue;
        if (p + pending < quorum && f + pending < quorum) continue;
        return false;
      }
      return true;
    };
    const onEvent = o.onEvent;
    const retry =
      idempotent && o.retry?.attempts !== 1
        ? {
            attempts: o.retry?.attempts ?? 3,
            timeoutFactor: o.retry?.timeoutFactor ?? 1.5,
            backoffMs: o.retry?.backoffMs,
          }
        : undefined;
    const raida = await fanOut(raidaIds, (id, ctx) => call(id, ctx), {
      key: (id) => String(id),
      clock: this.#clock,
      timeoutMs: o.timeoutMs,
      deadlineMs: o.deadlineMs,
      concurrency: o.concurrency,
      signal: o.signal,
      retry,
      quorum: o.earlyExit
        ? {
            predicate: (view: QuorumView<number, RaidaVotes>) => {
              const last = view.last;
              if (last.status === 'fulfilled') {
                last.value.votes.forEach((v, t) => {
                  if (v === 'pass') passes[t]!++;
                  else if (v === 'fail') fails[t]!++;
                });
              }
              return decided(view.pending);
            },
            exit: 'early',
          }
        : undefined,
      onEvent: onEvent === undefined ? undefined : (e) => onEvent({ ...e, command: name }),
    });
    const votesByRaida: Vote[][] = Array.from({ length: RAIDA_COUNT }, () =>
      new Array<Vote>(count).fill('noReply'),
    );
    for (const out of raida.outcomes) {
      const row = votesByRaida[out.target]!;
      if (out.status === 'fulfilled') out.value.votes.forEach((v, t) => (row[t] = v));
      else if (out.status === 'cancelled') row.fill('cancelled');
      else if (out.status === 'rejected' || out.status === 'failed') row.fill('error');
    }
    const tokens: TokenGrade[] = [];
    for (let t = 0; t < count; t++) {
      const votes = votesByRaida.map((row) => row[t]!);
      tokens.push({
        den: 0,
        sn: 0,
        grade: gradeVotes(votes, quorum),
        passes: votes.filter((v) => v === 'pass').length,
        fails: votes.filter((v) => v === 'fail').length,
        votes,
      });
    }
    return { command: name, tokens, raida, elapsedMs: raida.elapsedMs };
  }

  /**
   * detect (1/10): ask all 25 RAIDA whether each coin's AN is current there, and grade each coin.
   * Idempotent: retried per `retry`. Token i of the report is coin i.
   * @throws RangeError when a coin does not carry 25 ANs of 16 bytes.
   */
  async detect(coins: readonly Coin[]): Promise<GradeReport> {
    checkCoins(coins);
    const report = await this.#grade(
      'detect',
      coins.length,
      (id, abort) =>
        this.#ask(
          id,
          'detect',
          coins.map((c) => tokenAt(c, id)),
          encodeDetectPayload,
          interpretGrades,
          abort,
        ),
      true,
    );
    return withIds(report, coins);
  }

  /**
   * pown (1/20): on every RAIDA, replace each coin's AN by its PAN (`pans[i][r]` for coin i on RAIDA r).
   * NEVER retried (not idempotent: a resend after a lost reply would see AN = PAN already and fail).
   * RAIDA that did not answer are reported in `limbo` for {@link resolveLimbo}.
   * @throws RangeError on malformed coins or PANs.
   */
  async pown(coins: readonly Coin[], pans: readonly (readonly Uint8Array[])[]): Promise<PownReport> {
    checkCoins(coins);
    checkPans(coins, pans);
    const report = withIds(
      await this.#grade(
        'pown',
        coins.length,
        (id, abort) =>
          this.#ask(
            id,
            'pown',
            coins.map((c, i) => pownItem(c, pans[i]!, id)),
            encodePownPayload,
            interpretGrades,
            abort,
          ),
        false,
      ),
      coins,
    );
    const next = coins.map((c, i) => ({
      den: c.den,
      sn: c.sn,
      ans: c.ans.map((an, r) => (report.tokens[i]!.votes[r] === 'pass' ? pans[i]![r]! : an)),
    }));
    const limbo = report.tokens.map((t) =>
      t.votes.flatMap((v, r) => (v === 'noReply' || v === 'error' ? [r] : [])),
    );
    return { ...report, coins: next, limbo };
  }

  /**
   * find (2/60) on the given RAIDA: does each of them hold the coin's AN, its PAN, or neither?
   * Idempotent (retried). Returns, per coin, a map RAIDA → result for the RAIDA that answered.
   */
  async find(
    coins: readonly Coin[],
    pans: readonly (readonly Uint8Array[])[],
    raidaIds: readonly number[],
  ): Promise<Map<number, FindResult>[]> {
    checkCoins(coins);
    checkPans(coins, pans);
    const found = coins.map(() => new Map<number, FindResult>());
    if (raidaIds.length === 0) return found;
    await this.#grade(
      'find',
      coins.length,
      async (id, abort) => {
        const batches = batchTokens(
          coins.map((c, i) => ({ i, item: pownItem(c, pans[i]!, id) })),
          'find',
          this.#o.datagramBudget,
        );
        const replies = await Promise.all(
          batches.map((b) => this.#exchange(id, 'find', encodeFindPayload(b.map((x) => x.item)), abort)),
        );
        replies.forEach((res, k) => {
          const r = interpretFind(res, batches[k]!.length);
          if (r.ok) r.found.forEach((f, j) => found[batches[k]![j]!.i]!.set(id, f));
        });
        return { votes: [], statuses: replies.map((r) => r.status) };
      },
      true,
      raidaIds,
    );
    return found;
  }

  /**
   * Resolve the limbo RAIDA a pown left behind: find (2/60) says whether the PAN took effect
   * ('pan' → AN := PAN), the pown never arrived ('an' → pown again on that RAIDA only, which is
   * safe now that we know it did not apply), or neither (fracked there).
   * @returns the coins with their best-known ANs and a final detect-free grade per coin.
   */
  async resolveLimbo(
    pown: PownReport,
    pans: readonly (readonly Uint8Array[])[],
  ): Promise<{ coins: Coin[]; votes: Vote[][] }> {
    const coins = pown.coins.map((c) => ({ den: c.den, sn: c.sn, ans: [...c.ans] }));
    const votes = pown.tokens.map((t) => [...t.votes]);
    const ids = [...new Set(pown.limbo.flat())].sort((a, b) => a - b);
    if (ids.length === 0) return { coins, votes };
    // On a limbo RAIDA pown.coins still holds the pre-pown AN: find asks "AN or PAN?".
    const found = await this.find(pown.coins, pans, ids);
    const retryPown: { coin: number; raida: number }[] = [];
    found.forEach((m, i) => {
      for (const r of pown.limbo[i]!) {
        const f = m.get(r);
        if (f === 'pan') {
          coins[i]!.ans[r] = pans[i]![r]!;
          votes[i]![r] = 'pass';
        } else if (f === 'an') retryPown.push({ coin: i, raida: r });
        else if (f === 'neither') votes[i]![r] = 'fail';
      }
    });
    // Second pown only where find proved the first never applied.
    const byRaida = new Map<number, number[]>();
    for (const { coin, raida } of retryPown) byRaida.set(raida, [...(byRaida.get(raida) ?? []), coin]);
    if (byRaida.size > 0) {
      const ctl = new AbortController();
      const outcome = await fanOut(
        [...byRaida.keys()],
        (r, ctx) =>
          this.#ask(
            r,
            'pown',
            byRaida.get(r)!.map((i) => pownItem(coins[i]!, pans[i]!, r)),
            encodePownPayload,
            interpretGrades,
            ctx,
          ),
        {
          clock: this.#clock,
          timeoutMs: this.#o.timeoutMs,
          signal: this.#o.signal ?? ctl.signal,
          key: String,
        },
      );
      for (const out of outcome.outcomes) {
        if (out.status !== 'fulfilled') continue;
        byRaida.get(out.target)!.forEach((i, k) => {
          const v = out.value.votes[k]!;
          votes[i]![out.target] = v;
          if (v === 'pass') coins[i]!.ans[out.target] = pans[i]![out.target]!;
        });
      }
    }
    return { coins, votes };
  }

  /**
   * Heal fracked coins (get-ticket 2/40 + fix 2/80): tickets from the RAIDA where a coin passes,
   * then fix on each RAIDA where it fails with a fresh PG; a RAIDA that accepts sets
   * AN = MD5(raida_id ‖ den ‖ SN_BE32 ‖ PG) (cmd_healing.c), which the client computes too.
   * @param coins coins to heal; `votes[i]` are coin i's current votes (e.g. from detect).
   * @returns the coins with repaired ANs and the final detect report.
   */
  async heal(
    coins: readonly Coin[],
    votes: readonly (readonly Vote[])[],
  ): Promise<{ coins: Coin[]; report: GradeReport }> {
    checkCoins(coins);
    const healed = coins.map((c) => ({ den: c.den, sn: c.sn, ans: [...c.ans] }));
    const failing = new Set<number>();
    votes.forEach((v) => v.forEach((x, r) => x === 'fail' && failing.add(r)));
    if (failing.size > 0) {
      // 1. A ticket from every RAIDA where at least one coin passes: the ticket covers exactly the
      //    coins that pass there, which is what each fix's peers will vouch for.
      const passRaida = Array.from({ length: RAIDA_COUNT }, (_, r) => r).filter((r) =>
        votes.some((v) => v[r] === 'pass'),
      );
      const tickets = new Array<number>(RAIDA_COUNT).fill(0);
      await fanOut(
        passRaida,
        async (r, ctx) => {
          const res = await this.#exchange(
            r,
            'getTicket',
            encodeGetTicketPayload(healed.map((c) => tokenAt(c, r))),
            ctx,
          );
          const t = interpretTicket(res, healed.length);
          if (t.ok && t.ticket !== null) tickets[r] = t.ticket;
        },
        {
          clock: this.#clock,
          timeoutMs: this.#o.timeoutMs,
          key: String,
          signal: this.#o.signal,
          retry: { attempts: 2 },
        },
      );
      // 2. Fix on each failing RAIDA, for the coins that fail there.
      const pgs = new Map<number, Uint8Array>();
      await fanOut(
        [...failing],
        async (r, ctx) => {
          const idx = healed.flatMap((_, i) => (votes[i]![r] === 'fail' ? [i] : []));
          const pg = this.#o.rng(16);
          pgs.set(r, pg);
          const res = await this.#exchange(
            r,
            'fix',
            encodeFixPayload({
              coins: idx.map((i) => ({ den: healed[i]!.den, sn: healed[i]!.sn })),
              pg,
              tickets,
            }),
            ctx,
          );
          const g = interpretGrades(res, idx.length);
          if (g.ok)
            g.pass.forEach(
              (ok, k) =>
                ok && (healed[idx[k]!]!.ans[r] = fixAn(r, healed[idx[k]!]!.den, healed[idx[k]!]!.sn, pg)),
            );
        },
        { clock: this.#clock, timeoutMs: this.#o.timeoutMs, key: String, signal: this.#o.signal },
      );
    }
    // 3. Detect again.
    const report = await this.detect(healed);
    return { coins: healed, report };
  }
}

function tokenAt(c: Coin, raidaId: number): Token {
  return { den: c.den, sn: c.sn, an: c.ans[raidaId]! };
}

function pownItem(c: Coin, pans: readonly Uint8Array[], raidaId: number): PownItem {
  return { den: c.den, sn: c.sn, an: c.ans[raidaId]!, pan: pans[raidaId]! };
}

function checkCoins(coins: readonly Coin[]): void {
  coins.forEach((c, i) => {
    if (c.ans.length !== RAIDA_COUNT)
      throw new RangeError(`coin ${i}: ans must hold ${RAIDA_COUNT} ANs, got ${c.ans.length}`);
    c.ans.forEach((an, r) => {
      if (an.length !== 16) throw new RangeError(`coin ${i}: ans[${r}] must be 16 bytes, got ${an.length}`);
    });
  });
}

function checkPans(coins: readonly Coin[], pans: readonly (readonly Uint8Array[])[]): void {
  if (pans.length !== coins.length)
    throw new RangeError(`pans: one list per coin expected (${coins.length}), got ${pans.length}`);
  pans.forEach((p, i) => {
    if (p.length !== RAIDA_COUNT)
      throw new RangeError(`pans[${i}] must hold ${RAIDA_COUNT} PANs, got ${p.length}`);
    p.forEach((pan, r) => {
      if (pan.length !== 16) throw new RangeError(`pans[${i}][${r}] must be 16 bytes, got ${pan.length}`);
    });
  });
}

function withIds<R extends GradeReport>(report: R, coins: readonly Coin[]): R {
  return { ...report, tokens: report.tokens.map((t, i) => ({ ...t, den: coins[i]!.den, sn: coins[i]!.sn })) };
}
