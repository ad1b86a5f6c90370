/**
 * RAIDA benchmarks, side by side in one process.
 *
 *   pnpm bench:raida
 *
 * 1. Live, loopback UDP: 25 fake RAIDA (real sockets on 127.0.0.1) at 50 ms ± 10 ms (normal),
 *    detect 60 tokens: parallel (all 25 at once) vs sequential (one RAIDA at a time), median of
 *    several runs; and parallel wall time / slowest needed reply (the overhead of the fan-out).
 * 2. Sim mode: scenario runs per second (virtual time, full scenario including world build),
 *    without the sequential twin (option sequential: false; that comparison world exists only for
 *    the summary's speedup column and doubles a detect run's work) and, for reference, with it.
 *    Goal (issue 3): ≥ 2,000 runs/s.
 *
 *   pnpm bench:raida [--quick] [--sim-only]
 */
import { realClock } from '@fanout/core';
import { openUdpTransport } from '@fanout/core/live';
import { RaidaClient } from '@fanout/raida';
import { createCluster, installTokens, mintTokens } from '@fanout/sim-raida';
import { startLiveRaidaCluster } from '@fanout/sim-raida/live';
import { createRng, parseFaultPlan, rngBytesFn } from '@fanout/sim';
import { raidaScenarios, runMany } from '@fanout/scenarios';

const quick = process.argv.includes('--quick');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function live(): Promise<void> {
  const rng = createRng(7);
  const servers = createCluster({ rng: rng.fork('servers') });
  const coins = mintTokens(rngBytesFn(rng.fork('mint')), 60, { firstSn: 1 });
  installTokens(servers, coins);
  const plan = parseFaultPlan({ latency: { default: { kind: 'normal', meanMs: 50, sdMs: 10 } } });
  const cluster = await startLiveRaidaCluster({ servers, plan, rng: rng.fork('net') });
  const transport = await openUdpTransport();
  const client = (concurrency: number) =>
    new RaidaClient({
      transport,
      rng: rngBytesFn(rng.fork(`client-${concurrency}`)),
      addresses: cluster.addresses,
      timeoutMs: 2000,
      concurrency,
    });
  const par = client(25);
  const seq = client(1);
  const reps = quick ? 3 : 7;
  const parMs: number[] = [];
  const seqMs: number[] = [];
  const overhead: number[] = [];
  try {
    await par.detect(coins); // warm-up
    for (let i = 0; i < reps; i++) {
      const t0 = realClock.now();
      const r = await par.detect(coins);
      const wall = realClock.now() - t0;
      parMs.push(wall);
      const slowest = Math.max(...r.raida.outcomes.map((o) => o.durationMs));
      overhead.push(wall / slowest);
      if (r.tokens.some((t) => t.grade !== 'authentic'))
        throw new Error('bench world broken: a coin is not authentic');
      const t1 = realClock.now();
      await seq.detect(coins);
      seqMs.push(realClock.now() - t1);
    }
  } finally {
    par.close();
    seq.close();
    await transport.close();
    await cluster.close();
  }
  console.log(
    '\nLive UDP on 127.0.0.1: 25 RAIDA at 50 ms ± 10 ms, detect 60 tokens (one datagram per RAIDA)',
  );
  console.log(
    `  parallel   median ${median(parMs).toFixed(1)} ms   (runs: ${parMs.map((x) => x.toFixed(0)).join(', ')})`,
  );
  console.log(
    `  sequential median ${median(seqMs).toFixed(1)} ms   (runs: ${seqMs.map((x) => x.toFixed(0)).join(', ')})`,
  );
  console.log(
    `  speedup parallel vs sequential: ${(median(seqMs) / median(parMs)).toFixed(1)}×   (goal ≥ 20×)`,
  );
  console.log(
    `  parallel wall / slowest needed reply: median ${median(overhead).toFixed(3)}   (goal ≤ 1.05)`,
  );
}

const SIM_GOAL_RUNS_PER_S = 2000;

async function sim(): Promise<void> {
  console.log(
    `\nSim mode (virtual time): full scenario runs per second, one process, runs one after another (goal ≥ ${SIM_GOAL_RUNS_PER_S.toLocaleString('en')}/s)`,
  );
  const runs = quick ? 50 : 200;
  const rate = async (s: (typeof raidaScenarios)[number], sequential: boolean) => {
    const options = { sequential };
    await runMany(s, { mode: 'sim', seed: 1, runs: 10, options, wallNow: () => realClock.now() }); // warm-up
    const c0 = process.cpuUsage();
    const r = await runMany(s, { mode: 'sim', seed: 1000, runs, options, wallNow: () => realClock.now() });
    const cpu = process.cpuUsage(c0);
    // Per CPU-second too: on a shared machine wall time also counts the other processes' turns.
    return {
      perS: runs / (r.wallMs / 1000),
      perCpuS: runs / ((cpu.user + cpu.system) / 1e6),
      violated: r.violated,
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
await sim();
