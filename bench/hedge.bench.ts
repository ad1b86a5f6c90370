/**
 * Hedging under a heavy tail, in virtual time: The Tail at Scale (Dean & Barroso, CACM 56(2), 2013)
 * reproduced with @fanout/core's hedge on a VirtualClock and @fanout/sim's latency models.
 *
 *   pnpm bench:hedge              (10,000 fan-outs per row)
 *   pnpm bench:hedge -- --quick   (1,000 fan-outs per row)
 *   pnpm bench:hedge -- --seed 7
 *
 * Every request draws its latency from a 1-in-100 slow server: 99 % lognormal (median 10 ms,
 * σ 0.5), 1 % Pareto (scale 1000 ms, shape 3: ≥ 1 s, heavy tail). 1-, 10- and 100-way fan-outs,
 * each run as `fanOut` on a VirtualClock (nothing waits on wall time; the numbers are virtual ms,
 * deterministic for a seed). Rows: no hedge; hedge after the observed p95 (`afterMs: 'p95'`, one
 * HedgeHistory shared by the row's fan-outs, so the p95 comes from the requests before); the same
 * with a second hedge (`max: 2`), without and with a 5 % hedge budget; hedge + quorum exit (done
 * when all but 1 % of the leaves answered: count N - ⌊N/100⌋, the rest cancelled); and a second
 * hedge after the observed p96 instead. Each row first runs 200 fan-outs that are not
 * counted, so the history is warm. Printed: p50/p99/p99.9 of the fan-out's completion time, the
 * share of fan-outs taking ≥ 1 s, extra requests (hedges ÷ primary requests), beside the paper.
 */
import { HedgeHistory, VirtualClock, fanOut, type FanOutOptions } from '@fanout/core';
import { createRng, sampleMixtureLatency, slowServerLatency, type Rng } from '@fanout/sim';

const quick = process.argv.includes('--quick');
const seedArg = process.argv.indexOf('--seed');
const SEED = seedArg >= 0 ? Number(process.argv[seedArg + 1]) : 2013;
const FANOUTS = quick ? 1_000 : 10_000;
const WARMUP = 200;
const WIDTHS = [1, 10, 100];

const LATENCY = slowServerLatency(
  { kind: 'lognormal', medianMs: 10, sigma: 0.5 },
  { kind: 'pareto', scaleMs: 1000, shape: 3 },
  0.01,
);

type Config = {
  name: string;
  options: (width: number, history: HedgeHistory) => Partial<FanOutOptions<number, number>>;
};

const CONFIGS: Config[] = [
  { name: 'no hedge', options: () => ({}) },
  { name: "hedge afterMs 'p95'", options: (_w, history) => ({ hedge: { afterMs: 'p95', history } }) },
  {
    name: "hedge 'p95', max 2",
    options: (_w, history) => ({ hedge: { afterMs: 'p95', max: 2, history } }),
  },
  {
    name: "hedge 'p95', max 2, budget 5 %",
    options: (_w, history) => ({ hedge: { afterMs: 'p95', max: 2, budget: 0.05, history } }),
  },
  {
    name: "hedge 'p95' + quorum exit",
    options: (w, history) => ({
      hedge: { afterMs: 'p95', history },
      quorum: { count: w - Math.floor(w / 100), exit: 'early' },
    }),
  },
  {
    name: "hedge 'p96', max 2",
    options: (_w, history) => ({ hedge: { afterMs: 'p96', max: 2, history } }),
  },
];

type Stats = { p50: number; p99: number; p999: number; slowShare: number; extra: number };

/** Nearest-rank percentile of sorted values. */
const pct = (sorted: Float64Array, q: number): number =>
  sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

async function row(width: number, config: Config, rng: Rng): Promise<Stats> {
  const clock = new VirtualClock({ autoAdvance: false });
  const history = new HedgeHistory({ size: 1000 });
  const servers = Array.from({ length: width }, (_, i) => i);
  const call = (_server: number, ctx: { signal: AbortSignal }): Promise<number> => {
    const ms = sampleMixtureLatency(LATENCY, rng);
    return clock.sleep(ms, ctx.signal).then(() => ms);
  };
  const options = { clock, ...config.options(width, history) };
  const times = new Float64Array(FANOUTS);
  let primaries = 0;
  let hedges = 0;
  for (let i = 0; i < WARMUP + FANOUTS; i++) {
    const p0 = history.primaries;
    const h0 = history.hedges;
    const result = await clock.run(fanOut(servers, call, options).result);
    if (i < WARMUP) continue;
    times[i - WARMUP] = result.elapsedMs;
    primaries += options.hedge === undefined ? width : history.primaries - p0;
    hedges += history.hedges - h0;
  }
  times.sort();
  let slow = 0;
  for (const t of times) if (t >= 1000) slow++;
  return {
    p50: pct(times, 0.5),
    p99: pct(times, 0.99),
    p999: pct(times, 0.999),
    slowShare: slow / FANOUTS,
    extra: hedges / primaries,
  };
}

const ms = (x: number): string => `${x < 100 ? x.toFixed(1) : x.toFixed(0)} ms`;
const pc = (x: number): string => `${(100 * x).toFixed(2)} %`;

console.log(
  `The Tail at Scale in virtual time: seed ${SEED}, ${FANOUTS} fan-outs per row (+${WARMUP} warm-up), ` +
    `latency: 99 % lognormal median 10 ms σ 0.5, 1 % Pareto scale 1000 ms shape 3`,
);
console.log(
  `\n${'fan-out'.padEnd(8)}${'config'.padEnd(33)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'p99.9'.padStart(10)}` +
    `${'≥ 1 s'.padStart(10)}${'extra req'.padStart(11)}`,
);
const results = new Map<string, Stats>();
const t0 = performance.now();
for (const width of WIDTHS) {
  for (const config of CONFIGS) {
    const s = await row(width, config, createRng(SEED).fork(`${config.name}/${width}`));
    results.set(`${width}/${config.name}`, s);
    console.log(
      `${(width + '-way').padEnd(8)}${config.name.padEnd(33)}${ms(s.p50).padStart(10)}${ms(s.p99).padStart(10)}` +
        `${ms(s.p999).padStart(10)}${pc(s.slowShare).padStart(10)}${pc(s.extra).padStart(11)}`,
    );
  }
}

const base = results.get(`100/${CONFIGS[0]!.name}`)!;
console.log('\nBeside the paper (Dean & Barroso 2013):');
console.log(
  `- 1-in-100 slow servers, 100-way fan-out: slow (≥ 1 s) 63 % of the time (1 - 0.99^100). Here: ${pc(base.slowShare)}.`,
);
console.log(
  `- BigTable, hedge after 10 ms (≈ p95): p99.9 1,800 ms → 74 ms (24× lower) for 2 % more requests. Here, 100-way:`,
);
for (const config of CONFIGS.slice(1)) {
  const s = results.get(`100/${config.name}`)!;
  const gain = base.p999 / s.p999;
  const goal = gain >= 10 && s.extra <= 0.05;
  console.log(
    `  ${config.name.padEnd(33)} p99.9 ${ms(base.p999)} → ${ms(s.p999)} (${gain.toFixed(1)}× lower) for ${pc(s.extra)} more requests: ` +
      `goal (≥ 10× lower p99.9, ≤ 5 % extra) ${goal ? 'met' : 'NOT met'}`,
  );
}
console.log(
  `\n(${((performance.now() - t0) / 1000).toFixed(1)} s of wall time; every figure above is virtual time)`,
);
