/**
 * @fanout/core at scale vs Promise.allSettled and p-map (and the pre-change engine), side by side in
 * one process.
 *
 *   pnpm bench            (from the repository root)
 *   pnpm bench -- --quick (fewer repetitions; 1M targets once)
 *
 * Scale table: 1k, 10k, 100k and 1M already-resolved tasks. For each size and library: wall time
 * per target (median over interleaved rounds: every library runs once per round, so machine load
 * hits them alike) and bytes allocated per target (one run under v8.GCProfiler: heap growth plus
 * what every GC freed). Sizes below 100k run ⌈100k / N⌉ fan-outs back to back per sample.
 * Every fanOut row has keyed outcomes on: a `key` function and `result.byId` read in the timed
 * block. "fanOut v1" is the engine before the allocation work (bench/baseline/fan-out-v1.ts).
 * The "read all" table also walks every outcome (fanOut's are built on first read).
 * Scenario B: 10,000 tasks with 0-5 ms latency (seeded, identical for every library), c=64.
 * Wall-clock timing is the point here, so this file is outside the determinism lint rule.
 */
import { GCProfiler } from 'node:v8';
import { fanOut, realClock } from '@fanout/core';
import pLimit from 'p-limit';
import pMap from 'p-map';
import PQueue from 'p-queue';
import { fanOut as fanOutV1 } from './baseline/fan-out-v1.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 5;
const REPS_1M = quick ? 1 : 3;
const REPS_B = quick ? 3 : 5;
const C = 64;
const gc = (globalThis as { gc?: () => void }).gc;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Bytes allocated while `fn` runs: heap growth plus everything the GCs in between freed. */
async function allocatedBytes(fn: () => Promise<unknown>): Promise<number> {
  gc?.();
  const profiler = new GCProfiler();
  const before = process.memoryUsage().heapUsed;
  profiler.start();
  await fn();
  const after = process.memoryUsage().heapUsed;
  const stats = profiler.stop();
  let freed = 0;
  for (const g of stats.statistics)
    freed += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
  return after - before + freed;
}

const key = (_x: number, i: number): string => 't' + i;
const task = (x: number): Promise<number> => Promise.resolve(x);

type Lib = { name: string; run: (items: number[], readAll: boolean) => Promise<number> };

const countFulfilled = (outcomes: Iterable<{ status: string }>): number => {
  let k = 0;
  for (const o of outcomes) if (o.status === 'fulfilled') k++;
  return k;
};

const LIBS: Lib[] = [
  {
    name: 'Promise.allSettled (no limit)',
    run: async (items, readAll) => {
      const r = await Promise.allSettled(items.map(task));
      return readAll ? countFulfilled(r) : r.length;
    },
  },
  {
    name: 'fanOut (no limit, keyed, byId)',
    run: async (items, readAll) => {
      const r = await fanOut(items, task, { key, clock: realClock });
      return r.byId.size + (readAll ? countFulfilled(r.outcomes) : 0);
    },
  },
  {
    name: 'fanOut v1 (no limit, keyed, byId)',
    run: async (items, readAll) => {
      const r = await fanOutV1(items, task, { key, clock: realClock });
      return r.byId.size + (readAll ? countFulfilled(r.outcomes) : 0);
    },
  },
  {
    name: `fanOut (c=${C}, keyed, byId)`,
    run: async (items, readAll) => {
      const r = await fanOut(items, task, { key, concurrency: C, clock: realClock });
      return r.byId.size + (readAll ? countFulfilled(r.outcomes) : 0);
    },
  },
  {
    name: `fanOut v1 (c=${C}, keyed, byId)`,
    run: async (items, readAll) => {
      const r = await fanOutV1(items, task, { key, concurrency: C, clock: realClock });
      return r.byId.size + (readAll ? countFulfilled(r.outcomes) : 0);
    },
  },
  {
    name: `p-map 7 (c=${C})`,
    run: async (items, readAll) => {
      const r = await pMap(items, task, { concurrency: C });
      return readAll ? r.reduce((a, b) => a + (b >= 0 ? 1 : 0), 0) : r.length;
    },
  },
];

type Cell = { nsPerTarget: number; bytesPerTarget: number };

/** One size: interleaved rounds for time, then one allocation-measured run per library. */
async function size(n: number, reps: number, readAll: boolean): Promise<Cell[]> {
  const items = Array.from({ length: n }, (_, i) => i);
  const batch = Math.max(1, Math.ceil(100_000 / n));
  const once = async (lib: Lib): Promise<void> => {
    for (let b = 0; b < batch; b++) await lib.run(items, readAll);
  };
  for (const lib of LIBS) await once(lib); // warm-up
  const samples = LIBS.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    for (let l = 0; l < LIBS.length; l++) {
      gc?.();
      const t0 = performance.now();
      await once(LIBS[l]!);
      samples[l]!.push(((performance.now() - t0) * 1e6) / (n * batch));
    }
  }
  const cells: Cell[] = [];
  for (let l = 0; l < LIBS.length; l++) {
    const bytes = await allocatedBytes(() => once(LIBS[l]!));
    cells.push({ nsPerTarget: median(samples[l]!), bytesPerTarget: bytes / (n * batch) });
  }
  return cells;
}

function printScale(title: string, sizes: number[], table: Cell[][]): void {
  console.log(`\n${title}`);
  const head = sizes.map((n) => `${n >= 1e6 ? n / 1e6 + 'M' : n / 1e3 + 'k'}`.padStart(17)).join('');
  console.log(`${'ns/target · B/target'.padEnd(36)}${head}`);
  for (let l = 0; l < LIBS.length; l++) {
    const cells = table
      .map(
        (row) =>
          `${row[l]!.nsPerTarget.toFixed(0).padStart(7)} ·${row[l]!.bytesPerTarget.toFixed(0).padStart(5)} B`,
      )
      .map((s) => s.padStart(17))
      .join('');
    console.log(`${LIBS[l]!.name.padEnd(36)}${cells}`);
  }
  const ratio = (a: number, b: number): string =>
    table.map((row) => (row[a]!.nsPerTarget / row[b]!.nsPerTarget).toFixed(2).padStart(17)).join('');
  const bratio = (a: number, b: number): string =>
    table.map((row) => (row[a]!.bytesPerTarget / row[b]!.bytesPerTarget).toFixed(2).padStart(17)).join('');
  console.log(`${'time: fanOut ÷ allSettled'.padEnd(36)}${ratio(1, 0)}`);
  console.log(`${'time: fanOut v1 ÷ allSettled'.padEnd(36)}${ratio(2, 0)}`);
  console.log(`${`time: fanOut c=${C} ÷ p-map`.padEnd(36)}${ratio(3, 5)}`);
  console.log(`${`time: fanOut v1 c=${C} ÷ p-map`.padEnd(36)}${ratio(4, 5)}`);
  console.log(`${'bytes: fanOut ÷ fanOut v1'.padEnd(36)}${bratio(1, 2)}`);
  console.log(`${`bytes: fanOut c=${C} ÷ v1 c=${C}`.padEnd(36)}${bratio(3, 4)}`);
}

type Row = { name: string; ms: number };

async function measure(reps: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    gc?.();
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function scenarioB(): Promise<Row[]> {
  const N = 10_000;
  const rnd = seeded(42);
  const lat = Array.from({ length: N }, () => Math.floor(rnd() * 6)); // 0..5 ms
  const sleep = (ms: number): Promise<number> => new Promise((r) => setTimeout(r, ms, ms));
  const rows: Row[] = [];
  rows.push({
    name: 'Promise.allSettled (no limit)',
    ms: await measure(REPS_B, () => Promise.allSettled(lat.map(sleep))),
  });
  rows.push({
    name: `fanOut (c=${C}, keyed, byId)`,
    ms: await measure(
      REPS_B,
      async () => (await fanOut(lat, sleep, { concurrency: C, key, clock: realClock })).byId.size,
    ),
  });
  rows.push({
    name: `p-map 7 (c=${C})`,
    ms: await measure(REPS_B, () => pMap(lat, sleep, { concurrency: C })),
  });
  rows.push({
    name: `p-limit 7 (c=${C})`,
    ms: await measure(REPS_B, () => {
      const limit = pLimit(C);
      return Promise.allSettled(lat.map((x) => limit(() => sleep(x))));
    }),
  });
  rows.push({
    name: `p-queue 9 (c=${C})`,
    ms: await measure(REPS_B, () => {
      const q = new PQueue({ concurrency: C });
      return q.addAll(lat.map((x) => () => sleep(x)));
    }),
  });
  return rows;
}

function printRows(title: string, rows: Row[]): void {
  const base = rows.find((r) => r.name.startsWith('Promise.allSettled'))!.ms;
  const pmap = rows.find((r) => r.name.startsWith('p-map'))!.ms;
  console.log(`\n${title}`);
  console.log(
    `${'library'.padEnd(36)}${'median ms'.padStart(11)}${'× allSettled'.padStart(14)}${'× p-map'.padStart(10)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(36)}${r.ms.toFixed(1).padStart(11)}${(r.ms / base).toFixed(2).padStart(14)}${(r.ms / pmap).toFixed(2).padStart(10)}`,
    );
  }
}

if (gc === undefined) console.log('note: run with --expose-gc (pnpm bench does) for stable figures');
console.log(
  `node ${process.version}, ${quick ? 'quick' : 'full'} run; ${REPS} interleaved rounds (1M: ${REPS_1M}) after a warm-up`,
);
const sizes = [1_000, 10_000, 100_000, 1_000_000];
const table: Cell[][] = [];
for (const n of sizes) table.push(await size(n, n >= 1_000_000 ? REPS_1M : REPS, false));
printScale('A: already-resolved tasks, await + byId.size', sizes, table);
printScale('A2: the same at 100k, reading every outcome', [100_000], [await size(100_000, REPS, true)]);
printRows('B: 10,000 tasks, 0-5 ms latency (seeded)', await scenarioB());
