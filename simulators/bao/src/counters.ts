/**
 * Request counters of the simulator: totals by route and by status, dropped requests, applied
 * faults, and requests in flight (with the peak). Pure bookkeeping, no I/O.
 */
import { BAO_ROUTES, type BaoRoute } from './faults.js';

/** Request counters (a snapshot). */
export interface BaoCounters {
  /** Requests received. */
  readonly total: number;
  readonly byRoute: Readonly<Record<BaoRoute, number>>;
  /** Responses sent, by HTTP status. */
  readonly byStatus: Readonly<Record<number, number>>;
  /** Requests that ended without a response (reset fault, or aborted while pending). */
  readonly dropped: number;
  /** Fault actions applied (latency alone is not counted). */
  readonly faults: number;
  /** Requests being handled right now (latency and hangs included). */
  readonly inFlight: number;
  /** Highest `inFlight` seen since creation or the last reset. */
  readonly peakInFlight: number;
}

const emptyRoutes = (): Record<BaoRoute, number> =>
  Object.fromEntries(BAO_ROUTES.map((r) => [r, 0])) as Record<BaoRoute, number>;

/** The live counters behind {@link BaoCounters} snapshots. */
export class CounterSet {
  #total = 0;
  #byRoute = emptyRoutes();
  #byStatus: Record<number, number> = {};
  #dropped = 0;
  #faults = 0;
  #inFlight = 0;
  #peak = 0;

  /** A request for `route` arrived (and is now in flight). */
  begin(route: BaoRoute): void {
    this.#total++;
    this.#byRoute[route]++;
    this.#inFlight++;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  /** A request ended: answered with `status`, or dropped (undefined). */
  end(status: number | undefined): void {
    this.#inFlight--;
    if (status === undefined) this.#dropped++;
    else this.#byStatus[status] = (this.#byStatus[status] ?? 0) + 1;
  }

  /** A fault action was applied. */
  fault(): void {
    this.#faults++;
  }

  /** A snapshot. */
  snapshot(): BaoCounters {
    return {
      total: this.#total,
      byRoute: { ...this.#byRoute },
      byStatus: { ...this.#byStatus },
      dropped: this.#dropped,
      faults: this.#faults,
      inFlight: this.#inFlight,
      peakInFlight: this.#peak,
    };
  }

  /** Zero every counter; the peak restarts from the requests in flight now. */
  reset(): void {
    this.#total = 0;
    this.#byRoute = emptyRoutes();
    this.#byStatus = {};
    this.#dropped = 0;
    this.#faults = 0;
    this.#peak = this.#inFlight;
  }
}
