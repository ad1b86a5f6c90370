/**
 * One RAIDA's ticket pool (protocol.c get_free_ticket_slot, get_ticket_entry; cmd_healing.c
 * cmd_get_ticket, cmd_validate_ticket): up to 512 live tickets in memory, each listing the coins it
 * vouches for and which RAIDA already claimed it.
 *
 * Expiry: raidax-server defines TICKET_RELEASE_SECONDS = 300 but never runs check_tickets(), so its
 * tickets never expire; the pool only empties on restart. `lifetimeMs` defaults to never; a finite
 * value models a server that does expire them.
 */
import { RAIDA_COUNT, Status, type CoinId } from '@fanout/raida';

/** At most this many coins are recorded per ticket (protocol.h MAX_COINS_PER_TICKET). */
export const MAX_COINS_PER_TICKET = 4096;

/** A live ticket. */
export interface TicketEntry {
  readonly ticket: number;
  /** The handler's `now` when it was issued, ms. */
  readonly createdAt: number;
  readonly coins: CoinId[];
  readonly claims: Set<number>;
}

/** Result of {@link TicketPool.validate}. */
export type ValidateTicketResult =
  { readonly ok: true; readonly coins: CoinId[] } | { readonly ok: false; readonly status: number };

/** Options of {@link TicketPool}. */
export interface TicketPoolOptions {
  /** Live tickets at most (then allocation fails → 42). */
  readonly size: number;
  /** Tickets older than this are gone, ms; Infinity = never (the C server). */
  readonly lifetimeMs: number;
  /** A fresh 32-bit ticket id (may collide; the pool retries on 0 and on live ids). */
  readonly nextId: () => number;
}

/** The tickets of one server. Time is passed in (`now`, ms); the pool reads no clock. */
export class TicketPool {
  readonly #o: TicketPoolOptions;
  readonly #tickets = new Map<number, TicketEntry>();

  constructor(options: TicketPoolOptions) {
    this.#o = options;
  }

  /** Live tickets at `now` (ms). */
  size(now: number): number {
    this.#purge(now);
    return this.#tickets.size;
  }

  /** Forget every ticket (crash with state loss: the pool lives in memory). */
  clear(): void {
    this.#tickets.clear();
  }

  /**
   * A new empty ticket (its coins are added by the caller, at most {@link MAX_COINS_PER_TICKET}),
   * or `null` when all slots are taken (→ 42, protocol.c get_free_ticket_slot).
   */
  allocate(now: number): TicketEntry | null {
    this.#purge(now);
    if (this.#tickets.size >= this.#o.size) return null;
    for (;;) {
      const id = this.#o.nextId() >>> 0;
      if (id === 0 || this.#tickets.has(id)) continue;
      const entry: TicketEntry = { ticket: id, createdAt: now, coins: [], claims: new Set() };
      this.#tickets.set(id, entry);
      return entry;
    }
  }

  /**
   * validate-ticket (cmd_healing.c cmd_validate_ticket): the coins `ticket` covers, recording the
   * claim by RAIDA `claimant`. Refusals: claimant ≥ 25 → 18, unknown (or expired) ticket → 43,
   * already claimed by this claimant → 44.
   */
  validate(claimant: number, ticket: number, now: number): ValidateTicketResult {
    if (!Number.isInteger(claimant) || claimant < 0 || claimant >= RAIDA_COUNT)
      return { ok: false, status: Status.WRONG_RAIDA };
    this.#purge(now);
    const te = this.#tickets.get(ticket);
    if (te === undefined) return { ok: false, status: Status.NO_TICKET_FOUND };
    if (te.claims.has(claimant)) return { ok: false, status: Status.TICKET_CLAIMED_ALREADY };
    te.claims.add(claimant);
    return { ok: true, coins: te.coins.map((c) => ({ ...c })) };
  }

  #purge(now: number): void {
    const life = this.#o.lifetimeMs;
    if (life === Infinity) return;
    for (const [id, te] of this.#tickets) if (now - te.createdAt > life) this.#tickets.delete(id);
  }
}
