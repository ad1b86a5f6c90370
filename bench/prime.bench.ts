/**
 * Prime benchmarks, side by side in one process.
 *
 *   pnpm bench:prime [--quick] [--sim-only | --live-only]
 *
 * 1. Round time, parallel vs sequential, over 10 / 50 / 200 trainers: one training round of the
 *    @fanout/prime coordinator (synthetic data, full-batch local steps, compute 100 ms sim / 20 ms
 *    live per task) with every trainer at once, and with one trainer at a time (`concurrency: 1`,
 *    the kernel's sequential baseline). Sim: virtual ms (exact) and the wall ms it took to compute;
 *    live: trainers are real HTTP servers on 127.0.0.1, wall ms.
 * 2. The cost of each aggregation rule per update: `aggregateOf` over n = 10 / 50 / 200 updates of
 *    d = 15 (this model) and d = 10 000 parameters, µs per update (median of several calls).
 */
import { realClock } from '@fanout/core';
import { createWorld } from '@fanout/scenarios';
import { createRng } from '@fanout/sim';
// @fanout/prime and the Prime scenario module are reached through the scenarios package's sources
// (bench/package.json does not list @fanout/prime; see docs/prime.md).
import { aggregateOf, type AggregationRuleInput } from '@fanout/prime';
import { buildPrimeWorld } from '@fanout/scenarios/prime';

const quick = process.argv.includes('--quick');
const simOnly = process.argv.includes('--sim-only');
const liveOnly = process.argv.includes('--live-only');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  for (const r of rows) console.log(`  | ${r.map((c, k) => c.padEnd(widths[k]!)).join(' | ')} |`);
}

/** One round with `concurrency` (undefined: all at once) in a fresh world; ms on the world's clock and wall ms. */
async function roundTime(
  mode: 'sim' | 'live',
  trainers: number,
  concurrency: number | undefined,
): Promise<{ clockMs: number; wallMs: number; accepted: number }> {
  const plan =
    mode === 'sim' ? { latency: { default: { kind: 'normal' as const, meanMs: 50, sdMs: 10 } } } : {};
  const world = await createWorld({ seed: 7, mode, plan, traced: false });
  try {
    const parties = await buildPrimeWorld(world, {
      trainers,
      computeMs: mode === 'sim' ? 100 : 20,
      config: {
        minNodesForRound: 3,
        maxNodesPerRound: trainers,
        taskTimeoutMs: 600_000,
        roundDeadlineMs: 1_200_000,
        detection: { enabled: false },
      },
    });
    const w0 = realClock.now();
    const r = await parties.coordinator.runRound(concurrency === undefined ? {} : { concurrency });
    return {
      clockMs: r.closedAt - r.startedAt,
      wallMs: realClock.now() - w0,
      accepted: r.acceptedUpdateIds.length,
    };
  } finally {
    await world.close();
  }
}

async function rounds(mode: 'sim' | 'live'): Promise<void> {
  const sizes = quick ? [10, 50] : [10, 50, 200];
  const reps = mode === 'live' ? (quick ? 1 : 3) : 1;
  const rows = [
    [
      'trainers',
      `parallel (${mode === 'sim' ? 'virtual ' : ''}ms)`,
      `sequential (${mode === 'sim' ? 'virtual ' : ''}ms)`,
      'speedup',
      ...(mode === 'sim' ? ['wall ms parallel', 'wall ms sequential'] : []),
    ],
  ];
  for (const n of sizes) {
    const par: { clockMs: number; wallMs: number }[] = [];
    const seq: { clockMs: number; wallMs: number }[] = [];
    for (let i = 0; i < reps; i++) {
      const a = await roundTime(mode, n, undefined);
      const b = await roundTime(mode, n, 1);
      if (a.accepted !== n || b.accepted !== n)
        throw new Error(`bench world broken: ${a.accepted}/${b.accepted} of ${n}`);
      par.push(a);
      seq.push(b);
    }
    const p = median(par.map((x) => x.clockMs));
    const s = median(seq.map((x) => x.clockMs));
    rows.push([
      String(n),
      p.toFixed(1),
      s.toFixed(1),
      `${(s / p).toFixed(1)}×`,
      ...(mode === 'sim'
        ? [median(par.map((x) => x.wallMs)).toFixed(0), median(seq.map((x) => x.wallMs)).toFixed(0)]
        : []),
    ]);
  }
  console.log(
    mode === 'sim'
      ? '\nRound time, sim (virtual time; compute 100 ms a task, round trip 50 ± 10 ms):'
      : `\nRound time, live (HTTP on 127.0.0.1, wall time; compute 20 ms a task; median of ${reps}):`,
  );
  printTable(rows);
}

function aggregationCost(): void {
  const rules: [string, AggregationRuleInput][] = [
    ['fedavg', { kind: 'fedavg' }],
    ['median', { kind: 'median' }],
    ['trimmed-mean β 0.33', { kind: 'trimmed-mean', trim: 0.33 }],
    ['krum', { kind: 'krum' }],
    ['multi-krum', { kind: 'multi-krum' }],
  ];
  const rng = createRng(11);
  for (const d of [15, 10_000]) {
    const sizes = quick ? [10, 50] : [10, 50, 200];
    const rows = [['rule', ...sizes.map((n) => `n = ${n} (µs/update)`)]];
    const sets = sizes.map((n) =>
      Array.from({ length: n }, () => ({
        numSamples: 100,
        delta: Float64Array.from({ length: d }, () => rng.normal(0, 1)),
      })),
    );
    for (const [name, rule] of rules) {
      const cells = sets.map((updates) => {
        const n = updates.length;
        const budgetMs = quick ? 100 : 400;
        const times: number[] = [];
        const t0 = realClock.now();
        while (times.length < 3 || (realClock.now() - t0 < budgetMs && times.length < 200)) {
          const t = realClock.now();
          aggregateOf(updates, rule, 0.33);
          times.push(realClock.now() - t);
        }
        return ((1000 * median(times)) / n).toFixed(2);
      });
      rows.push([name, ...cells]);
    }
    console.log(`\nAggregation cost per update, d = ${d} parameters (median of repeated aggregateOf calls):`);
    printTable(rows);
  }
}

if (!liveOnly) await rounds('sim');
if (!simOnly) await rounds('live');
if (!liveOnly) aggregationCost();
