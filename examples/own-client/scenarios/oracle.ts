/**
 * The price oracle under fanout-lab: N quote endpoints served by the world (plan targets
 * `quote-0` … `quote-N-1`, each a plain fetch handler), latencies and silences drawn into the fault
 * plan from the seed, the user's client asking them all, and four guarantees judged against what
 * the EFFECTIVE plan says each endpoint does — so a hand-edited plan gets an honest verdict.
 */
import { z } from 'zod';
import { defineScenario, httpService, type Scenario } from '@fanout/scenarios';
import { median, PriceOracle, QuorumNotMetError, type OracleResult } from '../src/price-oracle.js';

const target = (i: number): string => `quote-${i}`;

/** A quote endpoint: `GET /quote` → `{"price": price}`; anything else 404. */
export function quoteHandler(price: number): (req: Request) => Response {
  return (req) =>
    new URL(req.url).pathname === '/quote'
      ? Response.json({ price })
      : new Response('not found', { status: 404 });
}

/** Build the scenario around a client factory (the real one, or a broken variant). */
export function oracleScenario(
  name: string,
  makeClient: (o: ConstructorParameters<typeof PriceOracle>[0]) => PriceOracle,
): Scenario {
  return defineScenario({
    name,
    title: 'median of the first k of N quotes, never held up by a slow endpoint, no answer without k quotes',
    options: z.object({
      endpoints: z.number().int().min(1).max(50).default(7).describe('quote endpoints'),
      k: z.number().int().min(1).default(4).describe('quotes to take the median of'),
      timeoutMs: z.number().positive().default(1000).describe('per-endpoint timeout of the client, ms'),
    }),
    guarantees: ['quorum', 'median-of-first-k', 'ordering', 'no-hol'] as const,
    tiers: ['sim'],
    defaultRuns: { sim: 200 },
    baseline: false,
    plan({ rng, options }) {
      const n = options.endpoints;
      // Distinct constant latencies 20, 40, … shuffled; one or two endpoints slow (800 ms, still
      // inside the timeout); some silent (partitioned), sometimes too many for a quorum.
      const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      const slow = order.slice(0, rng.int(0, 2));
      const silent = order.slice(slow.length, slow.length + rng.int(0, Math.max(0, n - options.k + 1)));
      const perTarget: Record<string, { kind: 'constant'; ms: number }> = {};
      rng
        .shuffle(order)
        .forEach(
          (i, rank) =>
            (perTarget[target(i)] = { kind: 'constant', ms: slow.includes(i) ? 800 : 20 * (rank + 1) }),
        );
      return {
        description: `slow ${slow.join(',') || 'none'}; silent ${silent.join(',') || 'none'}`,
        latency: { perTarget },
        rules: silent.length > 0 ? [{ fault: 'partition', targets: silent.map(target) }] : [],
      };
    },
    async run(ctx) {
      const { endpoints: n, k, timeoutMs } = ctx.options;
      const prices = ctx.rng.shuffle(Array.from({ length: n }, (_, i) => 100 + i * 3));
      const eps = await Promise.all(
        prices.map((p, i) => httpService(ctx.world, quoteHandler(p), { target: target(i) })),
      );
      const urlToIndex = new Map(eps.map((e, i) => [e.url, i]));
      const client = makeClient({
        endpoints: eps.map((e) => e.url),
        k,
        timeoutMs,
        fetch: ctx.world.fetch,
        clock: ctx.world.clock,
      });
      let result: OracleResult | undefined;
      let refused: QuorumNotMetError | undefined;
      try {
        result = await client.quote();
      } catch (e) {
        if (!(e instanceof QuorumNotMetError)) throw e;
        refused = e;
      }
      ctx.latency(result?.decidedAt ?? ctx.world.elapsed());
      ctx.outcome(
        'quote',
        result === undefined
          ? { refused: refused!.message }
          : { price: result.price, used: result.used.map((q) => urlToIndex.get(q.endpoint)) },
      );

      // The oracle: what the plan lets each endpoint do within the client's timeout.
      const view = ctx.world.view;
      const fate = prices.map((_, i) => {
        const [lo, hi] = view.replyDelayBounds(target(i));
        const silent = view.silent(target(i));
        if (silent === 'always' || lo >= timeoutMs) return { can: 'never' as const, at: Infinity };
        if (silent === 'never' && hi < timeoutMs && lo === hi) return { can: 'always' as const, at: lo };
        return { can: 'maybe' as const, at: lo };
      });
      const sure = fate
        .flatMap((f, i) => (f.can === 'always' ? [{ i, at: f.at }] : []))
        .sort((a, b) => a.at - b.at);
      const possible = fate.filter((f) => f.can !== 'never').length;
      const certain = fate.every((f) => f.can !== 'maybe');
      const used = result?.used.map((q) => urlToIndex.get(q.endpoint)!) ?? [];

      ctx.check(
        'quorum',
        certain ? (result !== undefined) === sure.length >= k : result === undefined || possible >= k,
        result === undefined
          ? `refused: ${refused!.message} (${sure.length} can answer, k = ${k})`
          : `answered with ${used.length} quotes (${sure.length} can answer, k = ${k})`,
      );
      const expectedUsed = sure.slice(0, k).map((s) => s.i);
      const expectedPrice = sure.length >= k ? median(expectedUsed.map((i) => prices[i]!)) : undefined;
      ctx.check(
        'median-of-first-k',
        result === undefined ||
          (certain ? result.price === expectedPrice : result.price === median(used.map((i) => prices[i]!))),
        `price ${result?.price}, expected ${expectedPrice} (median of endpoints ${expectedUsed.join(',')})`,
      );
      ctx.check(
        'ordering',
        result === undefined ||
          (result.used.every((q) => q.price === prices[urlToIndex.get(q.endpoint)!]) &&
            result.used.every((q, j) => j === 0 || result!.used[j - 1]!.at <= q.at) &&
            used.every((i) => fate[i]!.can !== 'never')),
        `used endpoints ${used.join(',')} in arrival order`,
      );
      const kth = sure[k - 1]?.at;
      ctx.check(
        'no-hol',
        result === undefined || !certain || result.decidedAt === kth,
        `decided at ${result?.decidedAt} ms; the k-th fastest endpoint answers at ${kth} ms`,
      );
      ctx.fact('answered', sure.length);
    },
  });
}

/** The scenario with the real client. */
export default oracleScenario('oracle.quorum', (o) => new PriceOracle(o));
