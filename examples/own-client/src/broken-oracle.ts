/**
 * A deliberately broken variant of the price oracle, for the scenario to catch: it waits for
 * EVERY endpoint (answer or timeout) before taking the median of the first k quotes — correct
 * prices, but one slow endpoint holds up every decision (head-of-line blocking).
 */
import { median, PriceOracle, QuorumNotMetError, type OracleResult, type Quote } from './price-oracle.js';

export class WaitForAllOracle extends PriceOracle {
  override async quote(): Promise<OracleResult> {
    const t0 = this.o.clock.now();
    const all = await Promise.all(
      this.o.endpoints.map(async (endpoint): Promise<Quote | undefined> => {
        const ac = new AbortController();
        const timer = this.o.clock.sleep(this.o.timeoutMs, ac.signal).then(
          () => ac.abort(),
          () => {},
        );
        try {
          const res = await this.o.fetch(`${endpoint}/quote`, { signal: ac.signal });
          const body = (await res.json()) as { price: number };
          return { endpoint, price: body.price, at: this.o.clock.now() - t0 };
        } catch {
          return undefined;
        } finally {
          ac.abort();
          await timer;
        }
      }),
    );
    const got = all.filter((q): q is Quote => q !== undefined).sort((a, b) => a.at - b.at);
    if (got.length < this.o.k) throw new QuorumNotMetError(got.length, this.o.k);
    const used = got.slice(0, this.o.k);
    return { price: median(used.map((q) => q.price)), used, decidedAt: this.o.clock.now() - t0 };
  }
}
