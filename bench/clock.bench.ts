/**
 * VirtualClock side by side: the old clock (one timer per event-loop turn, a copy kept in
 * baseline/virtual-clock-v1.ts), the new batched clock from @fanout/core, and @sinonjs/fake-timers
 * driven by `tickAsync` and by `runAllAsync`, on the same workloads in one process.
 *
 *   pnpm bench:clock            (from the repository root, or `pnpm --filter @fanout/bench bench:clock`)
 *   pnpm bench:clock -- --quick (fewer repetitions)
 *
 * Workloads (timings, latencies and ids come from a seeded generator, identical for every driver):
 *   distinct   100,000 timers set up front at 100,000 distinct instants (a shuffled 1..100,000 ms)
 *   few        100,000 timers set up front at 10 instants (0, 100, …, 900 ms)
 *   chains     100 concurrent chains × 500 hops: `await clock.sleep(1–5 ms)` then a promise hop
 *   fan-out    `fanOut` from @fanout/core over 1,000 targets, latencies 1–5,000 ms slept on the
 *              clock, timeoutMs 4,000 (the slow fifth time out: their sleeps are aborted), 5 rounds
 *
 * Drivers: the two VirtualClocks driving themselves (autoAdvance, the default) and driven by
 * `run(work)` with autoAdvance off; fake-timers `createClock()` (no globals installed) behind the
 * same Clock interface, driven by `tickAsync(horizon)` or `runAllAsync()` once the work has started.
 * Every driver must yield the same order-sensitive hash of (id, virtual time) per workload, checked
 * before anything is timed: a driver that fires timers in another order, or at other times, fails
 * the bench. Each cell is the median of several runs after one warm-up, in wall ms and in CPU ms
 * (user + system, steadier than wall time on a shared machine). Wall-clock timing is the
 * point here, so this file is outside the determinism lint rule (bench/ is not simulation code).
 */
import { createClock as createFakeClock } from '@sinonjs/fake-timers';
import { fanOut, VirtualClock, type Clock, type TimerHandle } from '@fanout/core';
import { VirtualClock as VirtualClockV1 } from './baseline/virtual-clock-v1.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 7;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Order-sensitive 32-bit mix of (id, time) pairs: equal hashes ⇔ (almost surely) equal orders. */
const mix = (h: number, id: number, at: number): number =>
  Math.imul(Math.imul(h ^ id, 0x01000193) ^ at, 0x01000193) >>> 0;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

// ---------------------------------------------------------------------------------------------
// Workloads: each takes a Clock, sets its timers, and resolves with its order hash.

interface Workload {
  name: string;
  /** Timers the workload fires (for the µs/timer column). */
  timers: number;
  /** Virtual ms after which every timer has fired (what tickAsync is asked to advance). */
  horizonMs: number;
  work(clock: Clock): Promise<number>;
}

function upFront(name: string, delays: readonly number[]): Workload {
  return {
    name,
    timers: delays.length,
    horizonMs: Math.max(...delays) + 1,
    work: (clock) =>
      new Promise<number>((resolve) => {
        let h = 0;
        let left = delays.length;
        delays.forEach((ms, i) =>
          clock.setTimer(() => {
            h = mix(h, i, clock.now());
            if (--left === 0) resolve(h);
          }, ms),
        );
      }),
  };
}

function distinct(n: number): Workload {
  const rnd = seeded(1);
  const delays = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [delays[i], delays[j]] = [delays[j]!, delays[i]!];
  }
  return upFront(`distinct (${n / 1000}k timers, ${n / 1000}k instants)`, delays);
}

function few(n: number, instants: number): Workload {
  const rnd = seeded(2);
  const delays = Array.from({ length: n }, () => Math.floor(rnd() * instants) * 100);
  return upFront(`few (${n / 1000}k timers, ${instants} instants)`, delays);
}

function chains(k: number, hops: number): Workload {
  const rnd = seeded(3);
  const steps = Array.from({ length: k }, () =>
    Array.from({ length: hops }, () => 1 + Math.floor(rnd() * 5)),
  );
  return {
    name: `chains (${k} × ${hops} sleep + promise hop)`,
    timers: k * hops,
    horizonMs: hops * 5 + 1,
    async work(clock) {
      let h = 0;
      await Promise.all(
        steps.map(async (chain, c) => {
          for (const ms of chain) {
            await clock.sleep(ms);
            await Promise.resolve(); // the promise hop between two timers of a chain
            h = mix(h, c, clock.now());
          }
        }),
      );
      return h;
    },
  };
}

function fanOutWorkload(targets: number, rounds: number): Workload {
  const rnd = seeded(4);
  const ids = Array.from({ length: targets }, (_, i) => i);
  const latency = Array.from({ length: rounds }, () => ids.map(() => 1 + Math.floor(rnd() * 5000)));
  const timeoutMs = 4000;
  return {
    name: `fan-out (${targets} targets × ${rounds} rounds)`,
    timers: 0, // filled in by countTimers()
    horizonMs: rounds * (timeoutMs + 1),
    async work(clock) {
      let h = 0;
      for (let r = 0; r < rounds; r++) {
        const lat = latency[r]!;
        const result = await fanOut(
          ids,
          async (t, { signal }) => {
            await clock.sleep(lat[t]!, signal);
            h = mix(h, t, clock.now()); // completion order of the calls
            return t;
          },
          { clock, timeoutMs },
        );
        h = mix(h, result.fulfilled.length, result.timedOut.length);
      }
      return h;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Drivers: how a workload is run on each clock.

/** @sinonjs/fake-timers clock (created without touching globals) behind the project's Clock interface. */
function fakeClock(): { clock: Clock; fake: ReturnType<typeof createFakeClock> } {
  const fake = createFakeClock(0, 1e9); // loopLimit: far above any workload's timer count
  const clock: Clock = {
    now: () => fake.now,
    setTimer: (fn, ms) => fake.setTimeout(fn, Math.max(0, ms || 0)) as unknown as TimerHandle,
    clearTimer: (handle) => fake.clearTimeout(handle as unknown as Parameters<typeof fake.clearTimeout>[0]),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = (): void => {
          clock.clearTimer(handle);
          reject(signal!.reason);
        };
        const handle = clock.setTimer(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
  return { clock, fake };
}

interface Driver {
  name: string;
  run(w: Workload): Promise<{ hash: number; fired: number }>;
}

const drivers: Driver[] = [
  {
    name: 'old auto',
    async run(w) {
      const c = new VirtualClockV1();
      return { hash: await w.work(c), fired: c.firedTimers };
    },
  },
  {
    name: 'new auto',
    async run(w) {
      const c = new VirtualClock();
      return { hash: await w.work(c), fired: c.firedTimers };
    },
  },
  {
    name: 'old run()',
    async run(w) {
      const c = new VirtualClockV1({ autoAdvance: false });
      return { hash: await c.run(() => w.work(c)), fired: c.firedTimers };
    },
  },
  {
    name: 'new run()',
    async run(w) {
      const c = new VirtualClock({ autoAdvance: false });
      return { hash: await c.run(() => w.work(c)), fired: c.firedTimers };
    },
  },
  {
    name: 'fake tickAsync',
    async run(w) {
      const { clock, fake } = fakeClock();
      const done = w.work(clock);
      await fake.tickAsync(w.horizonMs);
      return { hash: await done, fired: -1 };
    },
  },
  {
    name: 'fake runAllAsync',
    async run(w) {
      const { clock, fake } = fakeClock();
      const done = w.work(clock);
      await fake.runAllAsync();
      return { hash: await done, fired: -1 };
    },
  },
];

// ---------------------------------------------------------------------------------------------

/** Medians per driver, in wall ms and in CPU ms (user + system: steadier on a shared machine). */
interface Medians {
  wall: Map<string, number>;
  cpu: Map<string, number>;
}

async function bench(w: Workload): Promise<Medians> {
  // Correctness first: every driver yields the same order hash (and the clocks the same count).
  const ref = await drivers[0]!.run(w);
  if (w.timers === 0) w.timers = ref.fired;
  for (const d of drivers) {
    const got = await d.run(w);
    if (got.hash !== ref.hash)
      throw new Error(`${w.name}: ${d.name} fired in another order (hash ${got.hash} ≠ ${ref.hash})`);
    if (got.fired !== -1 && got.fired !== ref.fired)
      throw new Error(`${w.name}: ${d.name} fired ${got.fired} timers, ${drivers[0]!.name} ${ref.fired}`);
  }
  const wall = new Map<string, number[]>(drivers.map((d) => [d.name, []]));
  const cpu = new Map<string, number[]>(drivers.map((d) => [d.name, []]));
  for (let rep = 0; rep < REPS; rep++) {
    // Round-robin, so machine noise spreads over every driver alike.
    for (const d of drivers) {
      (globalThis as { gc?: () => void }).gc?.();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await d.run(w);
      wall.get(d.name)!.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.get(d.name)!.push((c.user + c.system) / 1000);
    }
  }
  const med = (m: Map<string, number[]>): Map<string, number> =>
    new Map([...m].map(([name, xs]) => [name, median(xs)]));
  return { wall: med(wall), cpu: med(cpu) };
}

const workloads = [distinct(100_000), few(100_000, 10), chains(100, 500), fanOutWorkload(1000, 5)];
const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const W = 44;

function table(title: string, results: ReadonlyArray<[Workload, Map<string, number>]>): void {
  console.log(`\n${title}`);
  console.log(['workload'.padEnd(W), ...drivers.map((d) => d.name.padStart(17))].join(''));
  for (const [w, m] of results)
    console.log([w.name.padEnd(W), ...drivers.map((d) => fmt(m.get(d.name)!).padStart(17))].join(''));
  console.log(
    [
      'ratios (> 1×: the new clock is faster)'.padEnd(W),
      'timers'.padStart(8),
      'old/new auto'.padStart(14),
      'old/new run()'.padStart(15),
      'tickAsync/new'.padStart(15),
      'runAllAsync/new'.padStart(17),
      'µs/timer old'.padStart(14),
      'µs/timer new'.padStart(14),
    ].join(''),
  );
  for (const [w, m] of results) {
    const g = (n: string): number => m.get(n)!;
    console.log(
      [
        w.name.padEnd(W),
        String(w.timers).padStart(8),
        ratio(g('old auto'), g('new auto')).padStart(14),
        ratio(g('old run()'), g('new run()')).padStart(15),
        ratio(g('fake tickAsync'), g('new auto')).padStart(15),
        ratio(g('fake runAllAsync'), g('new auto')).padStart(17),
        ((g('old auto') * 1000) / w.timers).toFixed(2).padStart(14),
        ((g('new auto') * 1000) / w.timers).toFixed(2).padStart(14),
      ].join(''),
    );
  }
}

console.log(`VirtualClock bench: median of ${REPS} runs after a warm-up, node ${process.version}`);
console.log('every driver checked to fire each workload in the same order (same (id, virtual time) hash)');
const results: Array<[Workload, Medians]> = [];
for (const w of workloads) {
  results.push([w, await bench(w)]);
  process.stdout.write('.');
}
table(
  'wall ms (median)',
  results.map(([w, m]) => [w, m.wall]),
);
table(
  'CPU ms, user + system (median)',
  results.map(([w, m]) => [w, m.cpu]),
);
