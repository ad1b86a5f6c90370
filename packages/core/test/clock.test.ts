/**
 * VirtualClock, the batched driver: every timer still fires in its own turn of promise work
 * (nextTick and microtask queues drained in between) while up to 64 timers share one event-loop
 * turn. Each case below is one way a batch could go wrong: a timer cleared or set by promise work
 * between two batched fires, a timer callback that clears or sets timers, run()/advance() stopping
 * in the middle of a batch, errors and step limits, autoAdvance off, restarting after idle.
 * The random-program properties are in clock.properties.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { VirtualClock, VirtualClockDeadlockError, VirtualClockStepLimitError } from '../src/index.js';

/** A promise chain of `depth` hops alternating process.nextTick, queueMicrotask and Promise.then. */
function deepChain(depth: number, done: () => void): void {
  let i = 0;
  const next = (): void => {
    if (i === depth) return done();
    const kind = i++ % 3;
    if (kind === 0) process.nextTick(next);
    else if (kind === 1) queueMicrotask(next);
    else void Promise.resolve().then(next);
  };
  next();
}

/** Let the event loop turn a few hundred times (another clock's 300 chained sleeps). */
async function spinEventLoop(): Promise<void> {
  const other = new VirtualClock();
  for (let i = 0; i < 300; i++) await other.sleep(1);
}

describe('VirtualClock (batched driver)', () => {
  test.each(['auto', 'run', 'runUntilIdle'] as const)(
    '%s: a timer cleared by promise work that runs between two fires at one instant does not fire',
    async (mode) => {
      const clock = new VirtualClock({ autoAdvance: mode === 'auto' });
      const fired: string[] = [];
      clock.setTimer(() => {
        fired.push('a');
        deepChain(100, () => clock.clearTimer(b)); // ends after a's turn, before b's
      }, 5);
      const b = clock.setTimer(() => fired.push('b'), 5);
      const done = new Promise<void>((resolve) =>
        clock.setTimer(() => {
          fired.push('c');
          resolve();
        }, 5),
      );
      if (mode === 'run') await clock.run(done);
      else if (mode === 'runUntilIdle') await clock.runUntilIdle();
      else await done;
      expect(fired).toEqual(['a', 'c']);
      expect(clock.pendingTimers).toBe(0);
      expect(clock.firedTimers).toBe(2);
    },
  );

  test('a timer set at the current instant by promise work fires after the ones already due, before later instants', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(() => {
      fired.push('a@1');
      deepChain(50, () => clock.setTimer(() => fired.push(`late@${clock.now()}`), 0));
    }, 1);
    clock.setTimer(() => fired.push('b@1'), 1);
    clock.setTimer(() => fired.push('c@2'), 2);
    await clock.sleep(3);
    expect(fired).toEqual(['a@1', 'b@1', 'late@1', 'c@2']);
  });

  test('a timer callback that clears the next due timer and sets one at the same instant', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(() => {
      fired.push('a');
      clock.clearTimer(b);
      clock.setTimer(() => fired.push('d'), 0);
    }, 7);
    const b = clock.setTimer(() => fired.push('b'), 7);
    clock.setTimer(() => fired.push('c'), 7);
    await clock.sleep(8);
    expect(fired).toEqual(['a', 'c', 'd']);
  });

  test('an abort listener run by a timer clears a sleep due at the same instant', async () => {
    const clock = new VirtualClock();
    const ctl = new AbortController();
    const seen: string[] = [];
    clock.setTimer(() => ctl.abort(new Error('stop')), 10);
    const slept = clock.sleep(10, ctl.signal).then(
      () => seen.push('slept'),
      (e: Error) => seen.push(`rejected ${e.message} at ${clock.now()}`),
    );
    await slept;
    expect(seen).toEqual(['rejected stop at 10']);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.firedTimers).toBe(1);
  });

  test('10,000 timers with ties fire in (due time, insertion) order, each after the previous one’s promise work', async () => {
    for (const mode of ['auto', 'runUntilIdle'] as const) {
      const clock = new VirtualClock({ autoAdvance: mode === 'auto' });
      let s = 7;
      const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
      const n = 10_000;
      const due = Array.from({ length: n }, () => Math.floor(rnd() * 500));
      const order: number[] = [];
      let running = 0;
      let overlaps = 0;
      let left = n;
      const all = new Promise<void>((resolve) =>
        due.forEach((ms, i) =>
          clock.setTimer(() => {
            if (running !== 0) overlaps++;
            order.push(i);
            running++;
            deepChain(i % 7, () => {
              running--;
              if (--left === 0) resolve();
            });
          }, ms),
        ),
      );
      if (mode === 'runUntilIdle') await clock.runUntilIdle();
      await all;
      const expected = due.map((ms, i) => [ms, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(order).toEqual(expected.map(([, i]) => i));
      expect(overlaps).toBe(0);
      expect(clock.now()).toBe(expected[n - 1]![0]);
      expect(clock.firedTimers).toBe(n);
    }
  });

  test('a chain of sleeps much longer than a batch completes in virtual time', async () => {
    const clock = new VirtualClock();
    for (let i = 0; i < 1000; i++) {
      await clock.sleep(2);
      await new Promise<void>((resolve) => deepChain(5, resolve));
    }
    expect(clock.now()).toBe(2000);
    expect(clock.firedTimers).toBe(1000);
  });

  test('run() stops as soon as the work settles, even with many timers due at that instant', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const work = new Promise<string>((resolve) => clock.setTimer(() => resolve('done'), 10));
    for (let i = 0; i < 200; i++) clock.setTimer(() => {}, 10);
    clock.setTimer(() => {}, 20);
    expect(await clock.run(work)).toBe('done');
    expect(clock.now()).toBe(10);
    expect(clock.firedTimers).toBe(1);
    expect(clock.pendingTimers).toBe(201);
  });

  test('run() detects a deadlock reached in the middle of a batch', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    for (let i = 1; i <= 10; i++) clock.setTimer(() => {}, i);
    const never = new Promise<void>(() => {});
    await expect(clock.run(never)).rejects.toBeInstanceOf(VirtualClockDeadlockError);
    expect(clock.firedTimers).toBe(10);
    expect(clock.now()).toBe(10);
  });

  test('advance(ms) stops at its boundary inside a batch and ends exactly there', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: number[] = [];
    for (let i = 1; i <= 200; i++) clock.setTimer(() => fired.push(clock.now()), i);
    await clock.advance(100.5);
    expect(fired).toHaveLength(100);
    expect(fired.at(-1)).toBe(100);
    expect(clock.now()).toBe(100.5);
    await clock.advance(0);
    expect(fired).toHaveLength(100);
    await clock.advance(99.5);
    expect(fired).toHaveLength(200);
    expect(clock.now()).toBe(200);
  });

  test('a throwing timer rejects runUntilIdle/advance/run and nothing more fires in that call', async () => {
    const boom = new Error('boom');
    for (const call of ['runUntilIdle', 'advance', 'run'] as const) {
      const clock = new VirtualClock({ autoAdvance: false });
      const fired: string[] = [];
      clock.setTimer(() => fired.push('a'), 1);
      clock.setTimer(() => {
        throw boom;
      }, 1);
      clock.setTimer(() => fired.push('c'), 1);
      clock.setTimer(() => fired.push('d'), 2);
      const p =
        call === 'runUntilIdle'
          ? clock.runUntilIdle()
          : call === 'advance'
            ? clock.advance(5)
            : clock.run(new Promise(() => {}));
      await expect(p).rejects.toBe(boom);
      await spinEventLoop(); // nothing fires later either: the rejected call has stopped
      expect(fired).toEqual(['a']);
      expect(clock.firedTimers).toBe(2);
      expect(clock.pendingTimers).toBe(2);
      await clock.runUntilIdle(); // the clock is still usable
      expect(fired).toEqual(['a', 'c', 'd']);
    }
  });

  test('an endless re-arming timer stops after exactly maxSteps fires', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const rearm = (): void => void clock.setTimer(rearm, 1);
    rearm();
    await expect(clock.runUntilIdle(150)).rejects.toBeInstanceOf(VirtualClockStepLimitError);
    expect(clock.firedTimers).toBe(150);
    await expect(clock.run(new Promise(() => {}), 70)).rejects.toBeInstanceOf(VirtualClockStepLimitError);
    expect(clock.firedTimers).toBe(220);
    expect(clock.now()).toBe(220);
  });

  test('autoAdvance off: no timer fires however long the event loop runs', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: number[] = [];
    for (let i = 0; i < 100; i++) clock.setTimer(() => fired.push(i), i);
    await spinEventLoop();
    expect(fired).toEqual([]);
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(100);
  });

  test('autoAdvance: the clock stops when idle and starts again when a timer is set later', async () => {
    const clock = new VirtualClock();
    await clock.sleep(5);
    expect(clock.pendingTimers).toBe(0);
    await spinEventLoop();
    expect(clock.now()).toBe(5);
    await clock.sleep(5);
    expect(clock.now()).toBe(10);
    expect(clock.firedTimers).toBe(2);
  });

  test('autoAdvance: a throwing timer is an uncaught exception and the clock keeps driving', async () => {
    const clock = new VirtualClock();
    const boom = new Error('boom');
    const saved = process.listeners('uncaughtException');
    const caught: unknown[] = [];
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', (e) => caught.push(e));
    const fired: number[] = [];
    try {
      clock.setTimer(() => {
        throw boom;
      }, 1);
      clock.setTimer(() => fired.push(clock.now()), 2);
      await spinEventLoop();
      clock.setTimer(() => fired.push(clock.now()), 3); // set after the throw: still driven
      await spinEventLoop();
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const l of saved) process.on('uncaughtException', l);
    }
    expect(caught).toEqual([boom]);
    expect(fired).toEqual([2, 5]);
    expect(clock.pendingTimers).toBe(0);
  });

  test('two clocks driving themselves in one process keep their own time', async () => {
    const a = new VirtualClock();
    const b = new VirtualClock({ start: 1000 });
    const seen: string[] = [];
    await Promise.all([
      (async () => {
        for (let i = 0; i < 200; i++) await a.sleep(3);
        seen.push(`a@${a.now()}`);
      })(),
      (async () => {
        for (let i = 0; i < 300; i++) await b.sleep(1);
        seen.push(`b@${b.now()}`);
      })(),
    ]);
    expect(seen.sort()).toEqual(['a@600', 'b@1300']);
  });
});
