/**
 * VirtualClock's rule "every pending promise work drains before the next timer fires", as
 * fast-check properties over random timer programs, in each way of driving the clock.
 *
 * A program is a set of timer specs. When a timer fires it records itself, runs some effects at
 * once, then starts a chain of promise work (process.nextTick, queueMicrotask, Promise.then and
 * await hops, up to hundreds deep) and runs more effects when the chain ends. Effects set timers
 * (plain ones or `sleep`s on an AbortSignal), clear timers, and abort controllers whose listeners
 * set timers in turn. A reference model runs the same program with the rule built in (the chain
 * finishes the moment the timer fires); the clock must produce the model's log, event for event,
 * and no timer may fire while a chain is still running. Every failing property prints its seed and
 * a replay line (assertProperty).
 */
import { setMaxListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { VirtualClock } from '../src/index.js';

const CONTROLLERS = 3;
/** Spawns beyond this many timers are ignored (by the clock run and by the model alike). */
const MAX_INSTANCES = 120;
/** A timer far after any program timer: in auto and run() modes it marks the end. */
const SENTINEL_MS = 1e9;

type Hop = 'tick' | 'micro' | 'then' | 'await';
type Effect =
  | { kind: 'spawn'; spec: number; sleepOn?: number } // set a timer running `spec` (or sleep on controller)
  | { kind: 'clear'; instance: number } // clear timer #instance: a no-op unless it is a live plain timer
  | { kind: 'abort'; ctl: number };
interface Spec {
  delay: number;
  hops: Hop[];
  now: Effect[]; // run inside the callback
  atEnd: Effect[]; // run when the promise chain ends
}
interface Program {
  specs: Spec[];
  roots: Array<{ spec: number; sleepOn?: number }>;
  /** Abort listeners registered before the roots are set: `abort` of `ctl` spawns `spec`. */
  listeners: Array<{ ctl: number; spec: number }>;
}
type Mode =
  { kind: 'auto' } | { kind: 'runUntilIdle' } | { kind: 'run' } | { kind: 'advance'; steps: number[] };

// ---------------------------------------------------------------------------------------------
// Arbitraries

const hop = fc.constantFrom<Hop>('tick', 'micro', 'then', 'await');
const hops = fc.oneof(
  { weight: 3, arbitrary: fc.array(hop, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.array(hop, { minLength: 30, maxLength: 300 }) },
);
const rawEffect = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('spawn' as const),
      to: fc.nat(),
      sleepOn: fc.option(fc.nat({ max: CONTROLLERS - 1 }), { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clear' as const), instance: fc.nat({ max: 10 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('abort' as const), ctl: fc.nat({ max: CONTROLLERS - 1 }) }),
  },
);
type RawEffect = typeof rawEffect extends fc.Arbitrary<infer T> ? T : never;

/** Spec i spawns only specs j > i, so every program ends. */
function effectsFor(i: number, n: number, raw: RawEffect[]): Effect[] {
  const out: Effect[] = [];
  for (const e of raw) {
    if (e.kind !== 'spawn') out.push(e);
    else if (i < n - 1) {
      const spec = i + 1 + (e.to % (n - i - 1));
      out.push(
        e.sleepOn === undefined ? { kind: 'spawn', spec } : { kind: 'spawn', spec, sleepOn: e.sleepOn },
      );
    }
  }
  return out;
}

const program: fc.Arbitrary<Program> = fc
  .record({
    specs: fc.array(
      fc.record({
        delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 12 })),
        hops,
        now: fc.array(rawEffect, { maxLength: 3 }),
        atEnd: fc.array(rawEffect, { maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 7 },
    ),
    roots: fc.array(
      fc.record({ to: fc.nat(), sleepOn: fc.option(fc.nat({ max: CONTROLLERS - 1 }), { nil: undefined }) }),
      { minLength: 1, maxLength: 6 },
    ),
    listeners: fc.array(fc.record({ ctl: fc.nat({ max: CONTROLLERS - 1 }), to: fc.nat() }), { maxLength: 3 }),
  })
  .map(({ specs, roots, listeners }) => {
    const n = specs.length;
    return {
      specs: specs.map((s, i) => ({
        delay: s.delay,
        hops: s.hops,
        now: effectsFor(i, n, s.now),
        atEnd: effectsFor(i, n, s.atEnd),
      })),
      roots: roots.map((r) =>
        r.sleepOn === undefined ? { spec: r.to % n } : { spec: r.to % n, sleepOn: r.sleepOn },
      ),
      listeners: listeners.map((l) => ({ ctl: l.ctl, spec: l.to % n })),
    };
  });

const mode: fc.Arbitrary<Mode> = fc.oneof(
  fc.constant({ kind: 'auto' as const }),
  fc.constant({ kind: 'runUntilIdle' as const }),
  fc.constant({ kind: 'run' as const }),
  fc
    .array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 8 })
    .map((steps) => ({ kind: 'advance' as const, steps })),
);

// ---------------------------------------------------------------------------------------------
// The reference model: the same program, with "the chain ends when its timer fires" built in.

interface ModelRun {
  log: string[];
  fired: number;
  lastAt: number;
}

function model(p: Program): ModelRun {
  interface T {
    at: number;
    seq: number;
    inst: number;
    spec: number;
    live: boolean;
    sleepOn?: number;
  }
  const heap: T[] = [];
  const byInst = new Map<number, T>();
  const aborted = new Array<boolean>(CONTROLLERS).fill(false);
  type L = { spawn: number } | { sleeper: T };
  const listeners: L[][] = Array.from({ length: CONTROLLERS }, () => []);
  const log: string[] = [];
  let now = 0;
  let seq = 0;
  let instances = 0;
  let fired = 0;

  const spawn = (spec: number, sleepOn?: number): void => {
    if (instances >= MAX_INSTANCES) return;
    const inst = instances++;
    if (sleepOn !== undefined && aborted[sleepOn]) {
      log.push(`a${inst}@${now}`); // sleep() on an aborted signal rejects at once
      return;
    }
    const t: T = { at: now + p.specs[spec]!.delay, seq: seq++, inst, spec, live: true };
    if (sleepOn !== undefined) {
      t.sleepOn = sleepOn;
      listeners[sleepOn]!.push({ sleeper: t });
    }
    heap.push(t);
    byInst.set(inst, t);
  };
  const apply = (e: Effect): void => {
    if (e.kind === 'spawn') spawn(e.spec, e.sleepOn);
    else if (e.kind === 'clear') {
      const t = byInst.get(e.instance);
      if (t !== undefined && t.sleepOn === undefined) t.live = false;
    } else if (!aborted[e.ctl]) {
      aborted[e.ctl] = true;
      const ls = listeners[e.ctl]!;
      listeners[e.ctl] = [];
      for (const l of ls) {
        if ('spawn' in l) spawn(l.spawn);
        else {
          l.sleeper.live = false;
          log.push(`a${l.sleeper.inst}@${now}`);
        }
      }
    }
  };

  for (const l of p.listeners) listeners[l.ctl]!.push({ spawn: l.spec });
  for (const r of p.roots) spawn(r.spec, r.sleepOn);
  for (;;) {
    let best = -1;
    for (let i = 0; i < heap.length; i++) {
      const t = heap[i]!;
      if (!t.live) continue;
      const b = heap[best];
      if (b === undefined || t.at < b.at || (t.at === b.at && t.seq < b.seq)) best = i;
    }
    if (best < 0) break;
    const t = heap.splice(best, 1)[0]!;
    t.live = false;
    if (t.sleepOn !== undefined) {
      const ls = listeners[t.sleepOn]!;
      ls.splice(
        ls.findIndex((l) => 'sleeper' in l && l.sleeper === t),
        1,
      );
    }
    now = t.at;
    fired++;
    log.push(`f${t.inst}@${now}`);
    const spec = p.specs[t.spec]!;
    spec.now.forEach(apply);
    spec.atEnd.forEach(apply);
  }
  return { log, fired, lastAt: now };
}

// ---------------------------------------------------------------------------------------------
// The same program on a VirtualClock.

/** Run `hops` one after the other (each hop queues the next), then `done`. */
function chain(hopList: readonly Hop[], done: () => void): void {
  let i = 0;
  const next = (): void => {
    if (i === hopList.length) return done();
    switch (hopList[i++]!) {
      case 'tick':
        process.nextTick(next);
        break;
      case 'micro':
        queueMicrotask(next);
        break;
      case 'then':
        void Promise.resolve().then(next);
        break;
      case 'await':
        void (async () => {
          await undefined;
          next();
        })();
        break;
    }
  };
  next();
}

interface ClockRun {
  log: string[];
  /** Fires seen while an earlier timer's promise chain was still running. */
  violations: string[];
}

function start(p: Program, clock: VirtualClock): ClockRun {
  const ctls = Array.from({ length: CONTROLLERS }, () => new AbortController());
  for (const c of ctls) setMaxListeners(0, c.signal); // programs may sleep on one signal many times
  const handles = new Map<number, ReturnType<VirtualClock['setTimer']>>();
  const log: string[] = [];
  const violations: string[] = [];
  let running = 0; // promise chains started and not finished
  let instances = 0;

  const fire = (inst: number, spec: Spec): void => {
    if (running !== 0)
      violations.push(`timer #${inst} fired at t=${clock.now()} with ${running} chain(s) running`);
    log.push(`f${inst}@${clock.now()}`);
    spec.now.forEach(apply);
    running++;
    chain(spec.hops, () => {
      running--;
      spec.atEnd.forEach(apply);
    });
  };
  const spawn = (specIndex: number, sleepOn?: number): void => {
    if (instances >= MAX_INSTANCES) return;
    const inst = instances++;
    const spec = p.specs[specIndex]!;
    if (sleepOn === undefined) {
      handles.set(
        inst,
        clock.setTimer(() => fire(inst, spec), spec.delay),
      );
    } else {
      clock.sleep(spec.delay, ctls[sleepOn]!.signal).then(
        () => fire(inst, spec),
        () => log.push(`a${inst}@${clock.now()}`),
      );
    }
  };
  function apply(e: Effect): void {
    if (e.kind === 'spawn') spawn(e.spec, e.sleepOn);
    else if (e.kind === 'clear') {
      const h = handles.get(e.instance);
      if (h !== undefined) clock.clearTimer(h);
    } else ctls[e.ctl]!.abort(new Error(`abort ${e.ctl}`));
  }

  for (const l of p.listeners) ctls[l.ctl]!.signal.addEventListener('abort', () => spawn(l.spec));
  for (const r of p.roots) spawn(r.spec, r.sleepOn);
  return { log, violations };
}

async function drive(
  p: Program,
  m: Mode,
): Promise<{ run: ClockRun; clock: VirtualClock; sentinel: boolean }> {
  const clock = new VirtualClock({ autoAdvance: m.kind === 'auto' });
  const run = start(p, clock);
  if (m.kind === 'auto' || m.kind === 'run') {
    const end = new Promise<void>((resolve) => clock.setTimer(resolve, SENTINEL_MS));
    await (m.kind === 'auto' ? end : clock.run(end));
    return { run, clock, sentinel: true };
  }
  if (m.kind === 'advance') {
    const expected = model(p);
    let until = 0;
    for (const step of m.steps) {
      await clock.advance(step);
      until += step;
      // advance(ms) fires exactly the timers due by the new time, and ends there.
      expect(clock.now()).toBe(until);
      const due = expected.log.filter((e) => e.startsWith('f') && Number(e.split('@')[1]) <= until).length;
      expect(run.log.filter((e) => e.startsWith('f'))).toHaveLength(due);
    }
  }
  await clock.runUntilIdle();
  return { run, clock, sentinel: false };
}

describe('VirtualClock: promise work drains before the next timer fires (properties)', () => {
  test('any timer program gives the reference log in every driving mode, and no timer fires while a promise chain is running', async () => {
    await assertProperty(
      fc.asyncProperty(program, mode, async (p, m) => {
        const expected = model(p);
        const { run, clock, sentinel } = await drive(p, m);
        expect(run.violations).toEqual([]);
        expect(run.log).toEqual(expected.log);
        expect(clock.pendingTimers).toBe(0);
        expect(clock.firedTimers).toBe(expected.fired + (sentinel ? 1 : 0));
        const advanced = m.kind === 'advance' ? m.steps.reduce((a, b) => a + b, 0) : 0;
        expect(clock.now()).toBe(sentinel ? SENTINEL_MS : Math.max(expected.lastAt, advanced));
      }),
      { numRuns: 300 },
    );
  });

  test('timers due at one instant, each starting a deep nextTick/microtask chain: each fires only after the previous chain ended', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 150 }),
        fc.array(hop, { minLength: 1, maxLength: 200 }),
        fc.constantFrom('auto' as const, 'run' as const, 'runUntilIdle' as const),
        async (timers, hopList, kind) => {
          const p: Program = {
            specs: [{ delay: 5, hops: hopList, now: [], atEnd: [] }],
            roots: Array.from({ length: timers }, () => ({ spec: 0 })),
            listeners: [],
          };
          const { run } = await drive(p, { kind });
          expect(run.violations).toEqual([]);
          expect(run.log).toEqual(model(p).log);
        },
      ),
      { numRuns: 60 },
    );
  });
});
