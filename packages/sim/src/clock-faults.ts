/**
 * Clock faults: what a target's handlers see as "now" (Jepsen's clock nemesis: bump and strobe).
 *
 * - `clockSkew {offsetMs}`: while its window is open, the target's clock reads `offsetMs` ahead
 *   (negative: behind) of the true time (Jepsen `bump`).
 * - `clockStrobe {deltaMs, periodMs}`: while its window is open, the target's clock flips between
 *   `+deltaMs` and the true time every `periodMs`, starting with `+deltaMs` at the window's start
 *   (Jepsen `strobe`: "flip the clock back and forth between now and now + delta every period").
 *
 * Offsets of every active rule add up. A skewed clock changes only `now()`: timers and sleeps keep
 * their durations (a wall-clock jump does not change how long a monotonic timer takes), so a
 * simulator reads the skewed clock where it reads the time of day (TTL expiry, created_at,
 * timestamps) and keeps its timers where they are.
 */
import type { Clock, TimerHandle } from '@fanout/core';

/** The fields of a clock rule that decide its offset (a `clockSkew` or `clockStrobe` rule). */
export type ClockRuleLike =
  | { fault: 'clockSkew'; window?: { fromMs: number; toMs?: number | undefined }; offsetMs: number }
  | {
      fault: 'clockStrobe';
      window?: { fromMs: number; toMs?: number | undefined };
      deltaMs: number;
      periodMs: number;
    };

/**
 * The offset, ms, that one clock rule adds to its targets' clocks at plan time `t` (ms since the
 * run started): 0 outside the window; `offsetMs` for a skew; `deltaMs` in the even periods of a
 * strobe (counted from the window's start, default 0) and 0 in the odd ones.
 */
export function clockRuleOffset(rule: ClockRuleLike, t: number): number {
  const from = rule.window?.fromMs ?? 0;
  const to = rule.window?.toMs ?? Infinity;
  if (t < from || t >= to) return 0;
  if (rule.fault === 'clockSkew') return rule.offsetMs;
  return Math.floor((t - from) / rule.periodMs) % 2 === 0 ? rule.deltaMs : 0;
}

/** Something that knows a target's clock offset at plan time `t` (a FaultInjector does). */
export interface ClockOffsetSource {
  /** Offset, ms, added to `target`'s clock at plan time `t` (ms since the run started). */
  clockOffsetMs(target: string, t: number): number;
}

/** Options of {@link skewedClock}. */
export interface SkewedClockOptions {
  /** The true clock (a VirtualClock in simulation, realClock at a live edge). */
  clock: Clock;
  /** Where the offsets come from (the run's FaultInjector; its plan is read at every `now()`). */
  offsets: ClockOffsetSource;
  /** The fault-plan target whose clock this is. */
  target: string;
  /** `clock` time, ms, of plan time 0 (the run's start: SimNetwork's creation, a live edge's startedAt). */
  startedAt: number;
}

/**
 * The clock `target` believes in: `now()` is the true `clock.now()` plus the plan's clock offset
 * for `target` at that instant (an exact passthrough when no clock rule applies); `sleep`,
 * `setTimer` and `clearTimer` are the true clock's, unchanged. Reads the plan at every call, so a
 * plan swapped at run time (`injector.setPlan`) takes effect at once.
 */
export function skewedClock(o: SkewedClockOptions): Clock {
  const { clock, offsets, target, startedAt } = o;
  return {
    now: () => {
      const now = clock.now();
      const offset = offsets.clockOffsetMs(target, now - startedAt);
      return offset === 0 ? now : now + offset;
    },
    sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal),
    setTimer: (fn: () => void, ms: number): TimerHandle => clock.setTimer(fn, ms),
    clearTimer: (handle: TimerHandle) => clock.clearTimer(handle),
  };
}
