/**
 * @fanout/core vs Promise.allSettled, p-map, p-limit and p-queue, side by side in one process.
 *
 *   pnpm bench            (from the repository root)
 *   pnpm bench -- --quick (fewer repetitions)
 *
 * Scenario A: 100,000 already-resolved tasks, concurrency 64 (Promise.allSettled has no limit).
 * Every fanOut row runs with keyed outcomes on: a `key` function and `result.byId` read in the timed block.
 * Scenario B: 10,000 tasks with 0-5 ms latency (seeded, identical for every library), concurrency 64,
 *             plus the unlimited variants of fanOut and Promise.allSettled.
 * Each cell is the median of several runs after warm-up; ratios are against Promise.allSettled
 * (unlimited) and against p-map (same concurrency). Wall-clock timing is the point here, so this
 * file is outside the determinism lint rule (bench/ is not simulation code).
 */
import { fanOut, realClock } from '@fanout/core';
import pLimit from 'p-limit';
import pMap from 'p-map';
import PQueue from 'p-queue';

const quick = process.argv.includes('--quick');
const REPS_A = quick ? 5 : 9;
const REPS_B = quick ? 3 : 5;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function measure(reps: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

type Row = { name: string; ms: number };

/**
 * Keyed outcomes on: every fanOut row passes a key function (ids 't0', 't1', …: checked for
 * duplicates up front) and reads `byId` inside the timed block, so building the id map is measured.
 */
const key = (_x: number, i: number): string => 't' + i;

async function scenarioA(): Promise<Row[]> {
  const N = 100_000;
  const C = 64;
  const items = Array.from({ length: N }, (_, i) => i);
  const task = (x: number): Promise<number> => Promise.resolve(x);
  const rows: Row[] = [];
  rows.push({
    name: 'Promise.allSettled (no limit)',
    ms: await measure(REPS_A, () => Promise.allSettled(items.map(task))),
  });
  rows.push({
    name: 'fanOut (c=64, keyed, byId)',
    ms: await measure(
      REPS_A,
      async () => (await fanOut(items, task, { concurrency: C, key, clock: realClock })).byId.size,
    ),
  });
  rows.push({
    name: 'fanOut (no limit, keyed, byId)',
    ms: await measure(REPS_A, async () => (await fanOut(items, task, { key, clock: realClock })).byId.size),
  });
  rows.push({
    name: 'p-map 7 (c=64)',
    ms: await measure(REPS_A, () => pMap(items, task, { concurrency: C })),
  });
  rows.push({
    name: 'p-limit 7 (c=64)',
    ms: await measure(REPS_A, () => {
      const limit = pLimit(C);
      return Promise.allSettled(items.map((x) => limit(() => task(x))));
    }),
  });
  rows.push({
    name: 'p-queue 9 (c=64)',
    ms: await measure(REPS_A, () => {
      const q = new PQueue({ concurrency: C });
      return q.addAll(items.map((x) => () => task(x)));
    }),
  });
  return rows;
}

async function scenarioB(): Promise<Row[]> {
  const N = 10_000;
  const C = 64;
  const rnd = seeded(42);
  const lat = Array.from({ length: N }, () => Math.floor(rnd() * 6)); // 0..5 ms
  const task = (ms: number): Promise<number> => new Promise((r) => setTimeout(r, ms, ms));
  const rows: Row[] = [];
  rows.push({
    name: 'Promise.allSettled (no limit)',
    ms: await measure(REPS_B, () => Promise.allSettled(lat.map(task))),
  });
  rows.push({
    name: 'fanOut (no limit, keyed, byId)',
    ms: await measure(REPS_B, async () => (await fanOut(lat, task, { key, clock: realClock })).byId.size),
  });
  rows.push({
    name: 'fanOut (c=64, keyed, byId)',
    ms: await measure(
      REPS_B,
      async () => (await fanOut(lat, task, { concurrency: C, key, clock: realClock })).byId.size,
    ),
  });
  rows.push({ name: 'p-map 7 (c=64)', ms: await measure(REPS_B, () => pMap(lat, task, { concurrency: C })) });
  rows.push({
    name: 'p-limit 7 (c=64)',
    ms: await measure(REPS_B, () => {
      const limit = pLimit(C);
      return Promise.allSettled(lat.map((x) => limit(() => task(x))));
    }),
  });
  rows.push({
    name: 'p-queue 9 (c=64)',
    ms: await measure(REPS_B, () => {
      const q = new PQueue({ concurrency: C });
      return q.addAll(lat.map((x) => () => task(x)));
    }),
  });
  return rows;
}

function print(title: string, rows: Row[]): void {
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

console.log(
  `node ${process.version}, ${quick ? 'quick' : 'full'} run; medians of ${REPS_A} (A) / ${REPS_B} (B) runs after 2 warm-ups`,
);
print('A: 100,000 already-resolved tasks', await scenarioA());
print('B: 10,000 tasks, 0-5 ms latency (seeded)', await scenarioB());
