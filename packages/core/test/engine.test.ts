import { getEventListeners } from 'node:events';
import { describe, expect, test, vi } from 'vitest';
import {
  AttemptTimeoutError,
  CancelledError,
  DeadlineExceededError,
  FanOutOptionError,
  TargetRejectedError,
  VirtualClock,
  VirtualClockDeadlockError,
  fanOut,
  realClock,
  type CallContext,
  type FanOutEvent,
  type FanOutOptions,
} from '../src/index.js';

describe('fanOut: option validation names the option', () => {
  const cases: [string, Omit<FanOutOptions<number, number>, 'clock'>, string][] = [
    ['concurrency 0', { concurrency: 0 }, 'concurrency'],
    ['concurrency 1.5', { concurrency: 1.5 }, 'concurrency'],
    ['negative timeout', { timeoutMs: -1 }, 'timeoutMs'],
    ['NaN timeout', { timeoutMs: NaN }, 'timeoutMs'],
    ['negative deadline', { deadlineMs: -5 }, 'deadlineMs'],
    ['quorum too large', { quorum: { count: 4 } }, 'quorum.count'],
    ['quorum 0', { quorum: { count: 0 } }, 'quorum.count'],
    ['quorum neither', { quorum: {} }, 'quorum'],
    ['quorum exit', { quorum: { count: 1, exit: 'soon' as 'early' } }, 'quorum.exit'],
    ['retry attempts 0', { retry: { attempts: 0 } }, 'retry.attempts'],
    ['retry backoff', { retry: { attempts: 2, backoffMs: -1 } }, 'retry.backoffMs'],
    ['hedge after 0', { hedge: { afterMs: 0 } }, 'hedge.afterMs'],
    ['hedge max 0', { hedge: { afterMs: 5, max: 0 } }, 'hedge.max'],
    ['duplicate keys', { key: () => 'same' }, 'key'],
    ['concurrency -1', { concurrency: -1 }, 'concurrency'],
    ['hedge afterMs -1', { hedge: { afterMs: -1 } }, 'hedge.afterMs'],
    ['deadline 0', { deadlineMs: 0 }, 'deadlineMs'],
    ['timeout -5', { timeoutMs: -5 }, 'timeoutMs'],
    ['retry backoff alias negative', { retry: { attempts: 2, backoff: -1 } }, 'retry.backoff'],
    ['retry backoff alias NaN', { retry: { attempts: 2, backoff: NaN } }, 'retry.backoff'],
    [
      'retry backoff and backoffMs both',
      { retry: { attempts: 2, backoff: 5, backoffMs: 5 } },
      'retry.backoff',
    ],
  ];
  test.each(cases)('%s', (_name, options, option) => {
    try {
      fanOut([1, 2, 3], (x) => x, { ...options, clock: realClock });
      expect.unreachable('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(FanOutOptionError);
      expect((e as FanOutOptionError).option).toBe(option);
      expect((e as Error).message).toContain(option);
    }
  });
  test('duplicate key message names both targets', () => {
    expect(() => fanOut(['a', 'b', 'a'], (x) => x, { clock: realClock })).toThrow(
      /duplicate id "a" for targets 0 and 2/,
    );
  });
  test('a repeat before a bad key is reported first; a bad key with no repeat before it as itself', () => {
    const boom = new Error('key failed');
    const key = (t: string): string => {
      if (t === 'throw') throw boom;
      return t === 'number' ? (7 as unknown as string) : t;
    };
    const run = (targets: string[]) => () => fanOut(targets, (x) => x, { key, clock: realClock });
    expect(run(['a', 'b', 'b', 'throw'])).toThrow(/duplicate id "b" for targets 1 and 2/);
    expect(run(['a', 'b', 'b', 'number'])).toThrow(/duplicate id "b" for targets 1 and 2/);
    expect(run(['a', 'throw', 'a'])).toThrow(boom);
    expect(run(['a', 'number', 'a'])).toThrow(/must return a string, got number for target 1/);
    // The lowest repeat wins, whichever id repeats.
    expect(run(['x', 'y', 'z', 'y', 'x'])).toThrow(/duplicate id "y" for targets 1 and 3/);
  });
});

describe('fanOut: odd calls still give one outcome each', () => {
  test('sync throw, non-promise value, never-settling call with a timeout', async () => {
    const clock = new VirtualClock();
    const r = await fanOut(
      ['throws', 'plain', 'never', 'thenable'],
      (t): unknown => {
        if (t === 'throws') throw new Error('boom');
        if (t === 'plain') return 42;
        if (t === 'thenable') return { then: (ok: (v: number) => void) => ok(5) };
        return new Promise(() => {});
      },
      { clock, timeoutMs: 100 },
    );
    expect(r.outcomes.map((o) => o.status)).toEqual(['failed', 'fulfilled', 'timedOut', 'fulfilled']);
    const never = r.byId.get('never')!;
    expect(never.status === 'timedOut' && never.reason).toBe('timeout');
    expect(never.status === 'timedOut' && never.error).toBeInstanceOf(AttemptTimeoutError);
    expect(
      r.byId.get('thenable')!.status === 'fulfilled' && (r.byId.get('thenable') as { value: number }).value,
    ).toBe(5);
    expect(r.elapsedMs).toBe(100);
    expect(clock.pendingTimers).toBe(0);
  });

  test('empty targets resolve at once', async () => {
    const r = await fanOut([], () => 1, { clock: realClock });
    expect(r.outcomes).toEqual([]);
    expect(r.quorumMet).toBe(false);
  });

  test('rejections are classified and never retried; classify can be customised', async () => {
    let calls = 0;
    const r = await fanOut(
      ['a', 'b'],
      (t) => {
        calls++;
        return Promise.reject(
          t === 'a'
            ? new TargetRejectedError('Busy right now')
            : Object.assign(new Error('403'), { status: 403 }),
        );
      },
      {
        clock: realClock,
        retry: { attempts: 3 },
        classify: (e) =>
          e instanceof TargetRejectedError || (e as { status?: number }).status === 403
            ? 'rejected'
            : 'failed',
      },
    );
    expect(r.outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(2);
  });
});

describe('fanOut: retry backoff, retry and deadline events', () => {
  const brief = (events: FanOutEvent<unknown, unknown>[]) =>
    events.map((e) =>
      e.type === 'retry'
        ? `retry@${e.at}:${e.id}#${e.attempt}+${e.delayMs}`
        : e.type === 'attempt'
          ? `attempt@${e.at}:${e.id}#${e.attempt}`
          : e.type === 'settled'
            ? `settled@${e.at}:${e.id}=${e.outcome.status}`
            : e.type === 'deadline'
              ? `deadline@${e.at}:${e.pending}`
              : `${e.type}@${e.at}`,
    );

  test('retry and deadline events: type@at sequence', async () => {
    // 'a' fails at +10, is retried after a 5 ms backoff and answers 20 ms later; 'b' hangs until
    // the 100 ms deadline; 'c' fails twice (attempts: 2) and ends failed.
    const clock = new VirtualClock({ start: 1000 });
    const events: FanOutEvent<string, string>[] = [];
    const r = await fanOut(
      ['a', 'b', 'c'],
      (t, { attempt, signal }): Promise<string> => {
        if (t === 'b') return new Promise(() => {});
        if (t === 'a' && attempt === 2) return clock.sleep(20, signal).then(() => 'A');
        return clock.sleep(t === 'a' ? 10 : 30, signal).then(() => {
          throw new Error(`${t} down`);
        });
      },
      { clock, deadlineMs: 100, retry: { attempts: 2, backoff: 5 }, onEvent: (e) => events.push(e) },
    );
    expect(brief(events as FanOutEvent<unknown, unknown>[])).toEqual([
      'started@1000',
      'attempt@1000:a#1',
      'attempt@1000:b#1',
      'attempt@1000:c#1',
      'retry@1010:a#2+5',
      'attempt@1015:a#2',
      'retry@1030:c#2+5',
      // Both due at 1035: a's answer timer was set (at 1015) before c's backoff timer (at 1030).
      'settled@1035:a=fulfilled',
      'attempt@1035:c#2',
      'settled@1065:c=failed',
      'deadline@1100:1',
      'settled@1100:b=timedOut',
      'done@1100',
    ]);
    const retry = events.find((e) => e.type === 'retry')!;
    expect(retry.type === 'retry' && (retry.error as Error).message).toBe('a down');
    expect(r.outcomes.map((o) => o.attempts)).toEqual([2, 1, 2]);
    expect(clock.pendingTimers).toBe(0);
  });

  test('backoff as a function of the retry number (1-based); backoffMs is the same option', async () => {
    for (const retry of [
      { attempts: 4, backoff: (n: number) => n * 100 },
      { attempts: 4, backoffMs: (n: number) => n * 100 },
    ]) {
      const clock = new VirtualClock();
      const events: FanOutEvent<string, never>[] = [];
      const r = await fanOut(['x'], () => Promise.reject(new Error('down')), {
        clock,
        retry,
        onEvent: (e) => events.push(e),
      });
      expect(brief(events as FanOutEvent<unknown, unknown>[])).toEqual([
        'started@0',
        'attempt@0:x#1',
        'retry@0:x#2+100',
        'attempt@100:x#2',
        'retry@100:x#3+200',
        'attempt@300:x#3',
        'retry@300:x#4+300',
        'attempt@600:x#4',
        'settled@600:x=failed',
        'done@600',
      ]);
      expect(r.outcomes[0]!.attempts).toBe(4);
    }
  });
});

describe('fanOut: result.byId', () => {
  test('keyed: a read-only map view in target order, whatever the completion order', async () => {
    const clock = new VirtualClock();
    const r = await fanOut([30, 10, 20], (ms, { signal }) => clock.sleep(ms, signal).then(() => ms * 2), {
      clock,
      key: (ms) => `k${ms}`,
    });
    expect(r.completionOrder).toEqual(['k10', 'k20', 'k30']);
    expect(r.byId.size).toBe(3);
    expect([...r.byId.keys()]).toEqual(['k30', 'k10', 'k20']);
    expect([...r.byId.values()]).toEqual(r.outcomes);
    expect([...r.byId]).toEqual(r.outcomes.map((o) => [o.id, o]));
    expect([...r.byId.entries()]).toEqual(r.outcomes.map((o) => [o.id, o]));
    expect(r.byId.get('k10')).toBe(r.outcomes[1]);
    expect(r.byId.has('k20')).toBe(true);
    expect(r.byId.get('k40')).toBeUndefined();
    expect(r.byId.has('k40')).toBe(false);
    const seen: string[] = [];
    r.byId.forEach((o, id, map) => {
      expect(map).toBe(r.byId);
      expect(o.id).toBe(id);
      seen.push(id);
    });
    expect(seen).toEqual(['k30', 'k10', 'k20']);
    expect(new Map(r.byId).get('k30')).toBe(r.outcomes[0]);
  });

  test('index ids: exactly "0".."N-1" are found, nothing else', async () => {
    const r = await fanOut([5, 6, 7], (x) => x, { clock: realClock });
    expect([...r.byId.keys()]).toEqual(['0', '1', '2']);
    expect(r.byId.get('2')).toBe(r.outcomes[2]);
    for (const bad of ['3', '-1', '01', '1.0', '1e0', ' 1', '', 'x']) {
      expect(r.byId.get(bad)).toBeUndefined();
      expect(r.byId.has(bad)).toBe(false);
    }
  });

  test('string targets are their own ids', async () => {
    const r = await fanOut(['a', 'b'], (x) => x.toUpperCase(), { clock: realClock });
    expect(r.byId.get('b')!.status === 'fulfilled' && r.byId.get('b')!.index).toBe(1);
    expect(r.byId.get('1')).toBeUndefined();
  });
});

describe('fanOut: cancellation, leaks and progress', () => {
  test('an external signal cancels in-flight and queued targets, fires their signals, and its listener is removed', async () => {
    const clock = new VirtualClock();
    const ctl = new AbortController();
    const signals: AbortSignal[] = [];
    const run = fanOut(
      [10, 20, 30, 40],
      (ms, { signal }) => {
        signals.push(signal);
        return clock.sleep(ms, signal);
      },
      { clock, signal: ctl.signal, concurrency: 2 },
    );
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(1);
    clock.setTimer(() => ctl.abort(new Error('Ctrl-C')), 15);
    const r = await run;
    expect(r.outcomes.map((o) => o.status)).toEqual(['fulfilled', 'cancelled', 'cancelled', 'cancelled']);
    expect(r.outcomes[1]!.status === 'cancelled' && r.outcomes[1]!.reason).toBe('aborted');
    expect(r.outcomes[3]!.attempts).toBe(0); // never started
    expect(r.outcomes[3]!.startedAt).toBeUndefined();
    expect(signals.slice(1).every((s) => s.aborted)).toBe(true);
    expect(signals[1]!.reason).toBeInstanceOf(CancelledError);
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  test('a run that completes normally removes its listener from an external signal that never fired', async () => {
    // {once: true} only removes a listener when the signal fires: this checks the engine's own cleanup.
    const clock = new VirtualClock();
    const ctl = new AbortController();
    const run = fanOut([10, 20, 30], (ms, { signal }) => clock.sleep(ms, signal), {
      clock,
      signal: ctl.signal,
      concurrency: 2,
      timeoutMs: 25,
    });
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(1);
    const r = await run;
    expect(r.outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'timedOut']);
    expect(ctl.signal.aborted).toBe(false);
    expect(getEventListeners(ctl.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  test('an already-aborted signal cancels everything without calling', async () => {
    let calls = 0;
    const r = await fanOut([1, 2], () => calls++, { signal: AbortSignal.abort(), clock: realClock });
    expect(calls).toBe(0);
    expect(r.cancelled).toHaveLength(2);
  });

  test('run.abort() cancels the rest', async () => {
    const clock = new VirtualClock();
    const run = fanOut([5, 50], (ms, { signal }) => clock.sleep(ms, signal), { clock });
    clock.setTimer(() => run.abort(), 6);
    const r = await run;
    expect(r.outcomes.map((o) => o.status)).toEqual(['fulfilled', 'cancelled']);
  });

  test('for await yields outcomes progressively, in completion order', async () => {
    const clock = new VirtualClock();
    const seen: [string, number][] = [];
    for await (const o of fanOut([30, 10, 20], (ms, { signal }) => clock.sleep(ms, signal).then(() => ms), {
      clock,
    })) {
      seen.push([o.id, clock.now()]);
    }
    expect(seen).toEqual([
      ['1', 10],
      ['2', 20],
      ['0', 30],
    ]);
  });

  test('events carry the clock timestamp, in a sensible order', async () => {
    const clock = new VirtualClock({ start: 1000 });
    const events: FanOutEvent<number, void>[] = [];
    await fanOut([20, 400], (ms, { signal }) => clock.sleep(ms, signal), {
      clock,
      hedge: { afterMs: 100 },
      quorum: { count: 1, exit: 'all' },
      onEvent: (e) => events.push(e),
    });
    const brief = events.map((e) => `${e.type}@${e.at}`);
    expect(brief).toEqual([
      'started@1000',
      'attempt@1000',
      'attempt@1000',
      'settled@1020',
      'quorum-met@1020',
      'hedge@1100',
      'attempt@1100',
      'settled@1400',
      'done@1400',
    ]);
  });

  test('canProceed and quorum with a predicate', async () => {
    const r = await fanOut([1, 2, 3, 4], (x) => (x % 2 ? x : Promise.reject(new Error('even'))), {
      quorum: { predicate: (v) => v.failed >= 2, exit: 'early' },
      clock: realClock,
    });
    expect(r.quorumMet).toBe(true);
    expect(r.canProceed(2)).toBe(true);
    expect(r.canProceed(3)).toBe(false);
  });

  test('a throwing onEvent listener does not break the run', async () => {
    const r = await fanOut([1, 2], (x) => x, {
      clock: realClock,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    expect(r.fulfilled).toHaveLength(2);
  });
});

describe('VirtualClock', () => {
  test('600 s of simulated latency finishes at once, deterministically', async () => {
    const clock = new VirtualClock();
    const r = await fanOut(
      Array.from({ length: 100 }, (_, i) => (i + 1) * 6000),
      (ms, { signal }) => clock.sleep(ms, signal),
      { clock },
    );
    expect(r.elapsedMs).toBe(600_000);
    expect(clock.now()).toBe(600_000);
  });

  test('manual mode: advance fires due timers in order; runUntilIdle drains; run detects deadlock', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b@20'), 20);
    clock.setTimer(() => fired.push('a@10'), 10);
    const h = clock.setTimer(() => fired.push('cleared'), 15);
    clock.clearTimer(h);
    clock.setTimer(() => fired.push('c@20'), 20);
    await clock.advance(15);
    expect(fired).toEqual(['a@10']);
    expect(clock.now()).toBe(15);
    await clock.runUntilIdle();
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(20);
    await expect(clock.run(new Promise(() => {}))).rejects.toBeInstanceOf(VirtualClockDeadlockError);
    const v = await clock.run(clock.sleep(1000).then(() => 'done'));
    expect(v).toBe('done');
    expect(clock.now()).toBe(1020);
  });

  test('sleep rejects with the signal reason and clears its timer', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const ctl = new AbortController();
    const p = clock.sleep(100, ctl.signal);
    expect(clock.pendingTimers).toBe(1);
    ctl.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pendingTimers).toBe(0);
    await expect(clock.advance(-1)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('fanOut: the clock is required', () => {
  test('no clock is a FanOutOptionError naming clock (code under the simulated clock never falls back to the real one)', () => {
    expect(() => fanOut([1], (x) => x, {} as FanOutOptions<number, number>)).toThrow(FanOutOptionError);
    expect(() => fanOut([1], (x) => x, {} as FanOutOptions<number, number>)).toThrow(/clock/);
  });
});

describe("the engine's own reasons carry no stack trace", () => {
  const frames = (e: Error) => (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));

  test('CancelledError, AttemptTimeoutError and DeadlineExceededError: no frames; Error.stackTraceLimit is left as it was', () => {
    const before = Error.stackTraceLimit;
    for (const e of [
      new CancelledError('quorum'),
      new CancelledError('hedge-lost'),
      new AttemptTimeoutError(50),
      new DeadlineExceededError(1000),
    ]) {
      expect(frames(e), e.name).toEqual([]);
      expect(e.message.length).toBeGreaterThan(0);
    }
    expect(Error.stackTraceLimit).toBe(before);
    // Errors a caller causes or throws keep theirs.
    expect(frames(new FanOutOptionError('concurrency', 'must be a positive integer')).length).toBeGreaterThan(
      0,
    );
    expect(frames(new TargetRejectedError('Busy right now')).length).toBeGreaterThan(0);
  });

  test('the reason a fan-out gives on quorum is one of them', async () => {
    const clock = new VirtualClock();
    const reasons: unknown[] = [];
    await fanOut(
      [10, 20, 30, 1000],
      (ms, { signal }) => {
        signal.addEventListener('abort', () => reasons.push(signal.reason));
        return clock.sleep(ms, signal);
      },
      { clock, quorum: { count: 2 } },
    );
    expect(reasons).toHaveLength(2);
    for (const r of reasons) {
      expect(r).toBeInstanceOf(CancelledError);
      expect(frames(r as Error)).toEqual([]);
    }
  });
});

describe('CallContext as an AbortHook (cancellation without an AbortSignal)', () => {
  /**
   * A quorum of 1 over two calls: target 'a' answers at 10 ms, so 'b' is aborted (reason 'quorum').
   * `setup` sees each call's context; returns the context of 'b'.
   */
  async function quorumRun(setup: (ctx: CallContext, target: string) => void): Promise<CallContext> {
    const clock = new VirtualClock();
    let ctxB: CallContext | undefined;
    await clock.run(() =>
      fanOut(
        ['a', 'b'],
        (t, ctx) => {
          if (t === 'b') ctxB = ctx;
          setup(ctx, t);
          return clock.sleep(t === 'a' ? 10 : 1_000).then(() => t);
        },
        { clock, quorum: { count: 1 } },
      ),
    );
    return ctxB!;
  }

  test('listeners get the abort reason once; aborted and reason match what the signal says', async () => {
    const seen: unknown[] = [];
    const ctxB = await quorumRun((ctx, t) => {
      if (t !== 'b') return;
      expect(ctx.aborted).toBe(false);
      expect(ctx.reason).toBeUndefined();
      const listener = (reason: unknown): void => void seen.push(reason);
      ctx.onAbort(listener);
      ctx.onAbort(listener); // added once
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect((seen[0] as CancelledError).reason).toBe('quorum');
    expect(ctxB.aborted).toBe(true);
    expect(ctxB.reason).toBe(seen[0]);
    // The signal, read only now, is already aborted with the same reason.
    expect(ctxB.signal.aborted).toBe(true);
    expect(ctxB.signal.reason).toBe(seen[0]);
  });

  test('offAbort removes a listener; one added after the abort is never called', async () => {
    const calls: string[] = [];
    const ctxB = await quorumRun((ctx, t) => {
      if (t !== 'b') return;
      const gone = (): void => void calls.push('removed');
      ctx.onAbort(gone);
      ctx.onAbort(() => calls.push('kept'));
      ctx.offAbort(gone);
    });
    expect(calls).toEqual(['kept']);
    ctxB.onAbort(() => calls.push('late'));
    await Promise.resolve();
    expect(calls).toEqual(['kept']);
  });

  test("the signal's own listeners run first, then the hook's, in the order added", async () => {
    const order: string[] = [];
    await quorumRun((ctx, t) => {
      if (t !== 'b') return;
      ctx.onAbort(() => order.push('hook 1'));
      ctx.signal.addEventListener('abort', () => order.push('signal'));
      ctx.onAbort(() => order.push('hook 2'));
    });
    expect(order).toEqual(['signal', 'hook 1', 'hook 2']);
  });

  test('a throwing listener does not stop the others and is rethrown from a microtask', async () => {
    const rethrown: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => void rethrown.push(fn));
    const order: string[] = [];
    try {
      await quorumRun((ctx, t) => {
        if (t !== 'b') return;
        ctx.onAbort(() => {
          throw new Error('listener failed');
        });
        ctx.onAbort(() => order.push('after'));
      });
    } finally {
      spy.mockRestore();
    }
    expect(order).toEqual(['after']);
    expect(rethrown).toHaveLength(1);
    expect(() => rethrown[0]!()).toThrow('listener failed');
  });

  test('using only the hook creates no AbortController', async () => {
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      let aborted = 0;
      await quorumRun((ctx) => ctx.onAbort(() => aborted++));
      expect(aborted).toBe(1);
      expect(made).toBe(0);
      await quorumRun((ctx) => void ctx.signal);
      expect(made).toBe(2);
    } finally {
      globalThis.AbortController = Original;
    }
  });
});
