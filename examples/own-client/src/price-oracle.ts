/**
 * A price-oracle client, written as an outside user would write one (it imports nothing from
 * fanout-lab): ask N quote endpoints over HTTP at once, take the median of the first k valid
 * quotes to arrive, give up on an endpoint after its own timeout, and refuse to answer when
 * fewer than k endpoints answered.
 *
 * Time and the network are injected (a `fetch` and a clock with `now()` and
 * `sleep(ms, signal)`), which is all a harness needs to run it in virtual time.
 */

/** What the client needs of a clock (ms). Structurally compatible with @fanout/core's Clock. */
export interface OracleClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Options of {@link PriceOracle}. */
export interface PriceOracleOptions {
  /** Base URLs of the quote endpoints; each serves `GET /quote` → `{"price": number}`. */
  readonly endpoints: readonly string[];
  /** Quotes to take the median of (1 ≤ k ≤ endpoints). */
  readonly k: number;
  /** Per-endpoint timeout, ms. */
  readonly timeoutMs: number;
  readonly fetch: (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;
  readonly clock: OracleClock;
}

/** One endpoint's quote as it arrived. */
export interface Quote {
  readonly endpoint: string;
  readonly price: number;
  /** Clock ms since the request started. */
  readonly at: number;
}

/** The decision. */
export interface OracleResult {
  /** Median of the first k quotes. */
  readonly price: number;
  /** The k quotes used, in arrival order. */
  readonly used: readonly Quote[];
  /** Ms from the start to the decision. */
  readonly decidedAt: number;
}

/** Fewer than k endpoints gave a valid quote in time. */
export class QuorumNotMetError extends Error {
  override readonly name = 'QuorumNotMetError';
  constructor(
    readonly got: number,
    readonly needed: number,
  ) {
    super(`only ${got} of the ${needed} quotes needed arrived`);
  }
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The client. */
export class PriceOracle {
  constructor(readonly o: PriceOracleOptions) {
    if (!(Number.isInteger(o.k) && o.k >= 1 && o.k <= o.endpoints.length))
      throw new RangeError(`k must be an integer in 1..${o.endpoints.length}, got ${o.k}`);
  }

  /** Ask every endpoint with a timeout; resolves with its quote or undefined. */
  async #ask(endpoint: string, t0: number, stop: AbortSignal): Promise<Quote | undefined> {
    const ac = new AbortController();
    const cancel = (): void => ac.abort();
    stop.addEventListener('abort', cancel, { once: true });
    const timer = this.o.clock.sleep(this.o.timeoutMs, ac.signal).then(
      () => ac.abort(),
      () => {},
    );
    try {
      const res = await this.o.fetch(`${endpoint}/quote`, { signal: ac.signal });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { price?: unknown };
      if (typeof body.price !== 'number' || !Number.isFinite(body.price)) return undefined;
      return { endpoint, price: body.price, at: this.o.clock.now() - t0 };
    } catch {
      return undefined;
    } finally {
      stop.removeEventListener('abort', cancel);
      ac.abort();
      await timer;
    }
  }

  /**
   * Ask all endpoints; decide with the first k quotes.
   * @throws QuorumNotMetError when fewer than k quotes arrive before every endpoint answered or timed out.
   */
  async quote(): Promise<OracleResult> {
    const t0 = this.o.clock.now();
    const stop = new AbortController();
    const used: Quote[] = [];
    let pending = this.o.endpoints.length;
    return new Promise<OracleResult>((resolve, reject) => {
      for (const e of this.o.endpoints) {
        void this.#ask(e, t0, stop.signal).then((q) => {
          pending--;
          if (stop.signal.aborted) return;
          if (q !== undefined) used.push(q);
          if (used.length === this.o.k) {
            stop.abort();
            resolve({ price: median(used.map((u) => u.price)), used, decidedAt: this.o.clock.now() - t0 });
          } else if (pending === 0) {
            stop.abort();
            reject(new QuorumNotMetError(used.length, this.o.k));
          }
        });
      }
    });
  }
}
