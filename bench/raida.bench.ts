/**
 * RAIDA benchmarks, side by side in one process.
 *
 *   pnpm bench:raida
 *
 * 1. Live, loopback UDP: 25 fake RAIDA (real sockets on 127.0.0.1) at 50 ms ± 10 ms (normal),
 *    detect 60 tokens with 1, 5, 25 and 50 requests in flight at once (seed 003's worker-count
 *    table: 25, 5, 1 and 1 round trips), median of several runs, beside the seed's expectation;
 *    the speedup of 25 workers over 1, and their wall time / slowest needed reply (the overhead
 *    of the fan-out).
 * 2. Sim mode: scenario runs per second (virtual time, full scenario including world build),
 *    without the sequential twin (baseline 'none'; that comparison world exists only for the
 *    summary's speedup column and doubles a detect run's work) and, for reference, with it ('all').
 *    Goal (issue 3): ≥ 2,000 runs/s.
 *
 *   pnpm bench:raida [--quick] [--sim-only | --live-only]
 */
import { realClock } from '@fanout/core';
import { openUdpTransport } from '@fanout/core/live';
import { RaidaClient } from '@fanout/raida';
import { createCluster, installTokens, mintTokens } from '@fanout/sim-raida';
import { startLiveRaidaCluster } from '@fanout/sim-raida/live';
import { createRng, parseFaultPlan, rngBytesFn } from '@fanout/sim';

const quick = process.argv.includes('--quick');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Seed 003 ("Parallel Requests", Performance Considerations): expected detect time per number of
 * workers, in round trips (RTT) to one RAIDA.
 */
const SEED_WORKERS: readonly { workers: number; rtts: number; note: string }[] = [
  { workers: 1, rtts: 25, note: 'Avoid (serial)' },
  { workers: 5, rtts: 5, note: 'Minimal parallelism' },
  { workers: 25, rtts: 1, note: 'Optimal' },
  { workers: 50, rtts: 1, note: 'Diminishing returns' },
];

async function live(): Promise<void> {
  const rng = createRng(7);
  const servers = createCluster({ rng: rng.fork('servers') });
  const coins = mintTokens(rngBytesFn(rng.fork('mint')), 60, { firstSn: 1 });
  installTokens(servers, coins);
  const plan = parseFaultPlan({ latency: { default: { kind: 'normal', meanMs: 50, sdMs: 10 } } });
  const cluster = await startLiveRaidaCluster({ servers, plan, rng: rng.fork('net') });
  const transport = await openUdpTransport();
  // `concurrency` = requests in flight at once (the seed's "workers"); 50 > 25 RAIDA caps at 25.
  const client = (concurrency: number) =>
    new RaidaClient({
      transport,
      rng: rngBytesFn(rng.fork(`client-${concurrency}`)),
      clock: realClock,
      addresses: cluster.addresses,
      timeoutMs: 2000,
      concurrency,
    });
  const reps = quick ? 3 : 7;
  const wall = new Map<number, number[]>();
  const rtt: number[] = [];
  const overhead: number[] = [];
  try {
    for (const { workers } of SEED_WORKERS) {
      const c = client(workers);
      const runs: number[] = [];
      try {
        await c.detect(coins); // warm-up
        for (let i = 0; i < reps; i++) {
          const t0 = realClock.now();
          const r = await c.detect(coins);
          const ms = realClock.now() - t0;
          runs.push(ms);
          if (r.tokens.some((t) => t.grade !== 'authentic'))
            throw new Error('bench world broken: a coin is not authentic');
          const durations = r.raida.outcomes.map((o) => o.durationMs);
          rtt.push(...durations);
          if (workers === 25) overhead.push(ms / Math.max(...durations));
        }
      } finally {
        c.close();
      }
      wall.set(workers, runs);
    }
  } finally {
    await transport.close();
    await cluster.close();
  }
  const oneRtt = median(rtt);
  console.log(
    '\nLive UDP on 127.0.0.1: 25 RAIDA at 50 ms ± 10 ms, detect 60 tokens (one datagram per RAIDA),',
  );
  console.log(
    `median of ${reps} runs per row; RTT = median round trip to one RAIDA over all runs = ${oneRtt.toFixed(1)} ms`,
  );
  const rows = [
    ['workers', 'seed 003 expects', 'seed note', 'measured median', 'in RTT', 'runs (ms)'],
    ...SEED_WORKERS.map(({ workers, rtts, note }) => {
      const runs = wall.get(workers)!;
      const m = median(runs);
      return [
        String(workers),
        `${rtts} × RTT`,
        note,
        `${m.toFixed(1)} ms`,
        (m / oneRtt).toFixed(2),
        runs.map((x) => x.toFixed(0)).join(', '),
      ];
    }),
  ];
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  for (const r of rows) console.log(`  | ${r.map((c, k) => c.padEnd(widths[k]!)).join(' | ')} |`);
  const seq = median(wall.get(1)!);
  const par = median(wall.get(25)!);
  console.log(`  speedup 25 workers vs 1: ${(seq / par).toFixed(1)}×   (goal ≥ 20×)`);
  console.log(
    `  25 workers: wall / slowest needed reply: median ${median(overhead).toFixed(3)}   (goal ≤ 1.05)`,
  );
}

const SIM_GOAL_RUNS_PER_S = 2000;

/**
 * Sim mode through the scenario kernel. Imported lazily: @fanout/scenarios is another team's
 * moving target, and the live half must run without it.
 */
async function sim(): Promise<void> {
  console.log(
    `\nSim mode (virtual time): full scenario runs per second, one process, runs one after another (goal ≥ ${SIM_GOAL_RUNS_PER_S.toLocaleString('en')}/s)`,
  );
  const { runMany } = await import('@fanout/scenarios');
  const { raidaScenarios } = await import('@fanout/scenarios/raida');
  const runs = quick ? 50 : 200;
  const rate = async (s: (typeof raidaScenarios)[number], twin: boolean) => {
    const baseline = twin ? 'all' : 'none';
    await runMany(s, { mode: 'sim', seed: 1, runs: 10, baseline, wallNow: () => realClock.now() }); // warm-up
    const c0 = process.cpuUsage();
    const r = await runMany(s, { mode: 'sim', seed: 1000, runs, baseline, wallNow: () => realClock.now() });
    const cpu = process.cpuUsage(c0);
    // Per CPU-second too: on a shared machine wall time also counts the other processes' turns.
    return {
      perS: runs / (r.wallMs / 1000),
      perCpuS: runs / ((cpu.user + cpu.system) / 1e6),
      violated: r.checksViolated,
    };
  };
  const all: number[] = [];
  for (const s of raidaScenarios) {
    const solo = await rate(s, false);
    const twin = await rate(s, true);
    all.push(solo.perS);
    console.log(
      `  ${s.name.padEnd(28)} ${solo.perS.toFixed(0).padStart(6)} runs/s (${solo.perCpuS.toFixed(0)} per CPU-s)   with sequential twin ${twin.perS.toFixed(0).padStart(5)} runs/s   (${runs} runs each, ${solo.violated + twin.violated} violations)`,
    );
  }
  const worst = Math.min(...all);
  console.log(
    `  slowest scenario ${worst.toFixed(0)} runs/s: goal ≥ ${SIM_GOAL_RUNS_PER_S}/s ${worst >= SIM_GOAL_RUNS_PER_S ? 'met' : 'NOT met'}`,
  );
}

console.log(`node ${process.version}${quick ? ' (quick)' : ''}`);
if (!process.argv.includes('--sim-only')) await live();
if (!process.argv.includes('--live-only')) await sim();
