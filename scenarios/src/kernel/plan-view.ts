/**
 * What the effective fault plan does to each target, for oracles.
 *
 * An oracle must take its expectations from the plan the run actually used (drawn from the seed,
 * given with `--plan`, or hand-edited in a replay file), never re-derive them from the seed: then
 * removing a rule or widening a window changes the verdict exactly as it changes the run.
 * A {@link PlanView} answers per target and time interval with a {@link Certainty}: 'always'
 * (a rule with probability 1 whose window covers the interval), 'never' (no rule can fire) or
 * 'maybe' (a probabilistic rule, or a window that covers only part of the interval). Oracles
 * treat 'maybe' as "either outcome is right" and say so in their detail.
 */
import {
  clockRuleOffset,
  linkCuts,
  swizzleBounds,
  type FaultPlan,
  type FaultRule,
  type LatencySpec,
} from '@fanout/sim';

/** How sure the plan is about an effect during an interval. */
export type Certainty = 'always' | 'never' | 'maybe';

/** A time interval in plan time (ms since the world started), `toMs` exclusive (Infinity: open). */
export interface Interval {
  readonly fromMs: number;
  readonly toMs: number;
}

/** The whole run. */
export const WHOLE_RUN: Interval = { fromMs: 0, toMs: Infinity };

/** The most certain of a list ('always' > 'maybe' > 'never'). */
export function strongest(list: readonly Certainty[]): Certainty {
  if (list.includes('always')) return 'always';
  return list.includes('maybe') ? 'maybe' : 'never';
}

type WindowOf = { fromMs: number; toMs?: number | undefined } | undefined;

/** Certainty that a window is active over the whole interval ('maybe' when it overlaps part). */
function windowCover(w: WindowOf, at: Interval): Certainty {
  if (w === undefined) return 'always';
  const to = w.toMs ?? Infinity;
  if (to <= at.fromMs || w.fromMs >= at.toMs) return 'never';
  return w.fromMs <= at.fromMs && to >= at.toMs ? 'always' : 'maybe';
}

/** Certainty that a probabilistic rule fires on an exchange in the interval. */
function ruleFires(rule: { probability?: number; window?: WindowOf }, at: Interval): Certainty {
  const p = rule.probability ?? 1;
  const w = windowCover(rule.window, at);
  if (p === 0 || w === 'never') return 'never';
  return p === 1 && w === 'always' ? 'always' : 'maybe';
}

/** Standard deviations beyond which oracles treat a normal or lognormal draw as impossible (~2e-9). */
export const TAIL_SDS = 6;

/**
 * Practical bounds of a latency spec, ms: `[min, max]`. Normal and lognormal draws beyond
 * {@link TAIL_SDS} standard deviations are treated as impossible (probability about 2·10⁻⁹ per
 * draw); an uncapped Pareto tail is unbounded (max Infinity). Jitter widens both ends by ±jitterMs
 * (clamped at 0). From the sampling rules of packages/sim/src/latency.ts.
 */
export function latencyBounds(spec: LatencySpec | undefined): readonly [number, number] {
  if (spec === undefined) return [0, 0];
  const j = spec.jitterMs ?? 0;
  let lo: number;
  let hi: number;
  switch (spec.kind) {
    case 'constant':
      lo = hi = spec.ms;
      break;
    case 'uniform':
      lo = spec.minMs;
      hi = spec.maxMs;
      break;
    case 'pareto':
      lo = spec.scaleMs;
      hi = spec.capMs ?? Infinity;
      break;
    case 'normal':
      lo = spec.meanMs - TAIL_SDS * spec.sdMs;
      hi = spec.meanMs + TAIL_SDS * spec.sdMs;
      break;
    case 'lognormal':
      lo = spec.medianMs * Math.exp(-TAIL_SDS * spec.sigma);
      hi = spec.medianMs * Math.exp(TAIL_SDS * spec.sigma);
      break;
  }
  return [Math.max(0, lo - j), hi + j];
}

/** Oracle queries over one effective plan. Pure: it reads the plan, draws nothing. */
export class PlanView {
  constructor(readonly plan: FaultPlan) {}

  /** Whether `rule` names `target` (by id or group; a rule naming neither names every target). */
  applies(rule: Pick<FaultRule, 'targets' | 'group'>, target: string): boolean {
    if (rule.targets === undefined && rule.group === undefined) return true;
    if (rule.targets?.includes(target) === true) return true;
    return rule.group !== undefined && this.plan.groups[rule.group]?.includes(target) === true;
  }

  /** The rules of kind `fault` that name `target`, in plan order. */
  rulesOf<K extends FaultRule['fault']>(target: string, fault: K): Extract<FaultRule, { fault: K }>[] {
    return this.plan.rules.filter(
      (r): r is Extract<FaultRule, { fault: K }> => r.fault === fault && this.applies(r, target),
    );
  }

  /** Whether any rule at all names `target` explicitly or by group (rules naming everyone count). */
  touched(target: string): boolean {
    return this.plan.rules.some((r) => this.applies(r, target)) || target in this.plan.latency.perTarget;
  }

  /**
   * Whether `target` cannot be reached during `at`: a partition window or a crash (down from
   * atMs until atMs + restartAfterMs).
   */
  unreachable(target: string, at: Interval = WHOLE_RUN): Certainty {
    const parts = this.rulesOf(target, 'partition').map((r) => windowCover(r.window, at));
    const crashes = this.rulesOf(target, 'crash').map((r) =>
      windowCover(
        { fromMs: r.atMs, toMs: r.restartAfterMs === undefined ? undefined : r.atMs + r.restartAfterMs },
        at,
      ),
    );
    const pauses = this.rulesOf(target, 'pause').map((r) =>
      r.window.toMs === undefined
        ? windowCover(r.window, at)
        : windowCover(r.window, at) === 'never'
          ? 'never'
          : 'maybe',
    );
    return strongest([...parts, ...crashes, ...pauses]);
  }

  /** Whether requests to `target` during `at` are lost before it sees them. */
  dropsRequests(target: string, at: Interval = WHOLE_RUN): Certainty {
    return strongest(this.rulesOf(target, 'dropRequest').map((r) => ruleFires(r, at)));
  }

  /** Whether `target`'s replies during `at` are lost after it handled the request. */
  dropsReplies(target: string, at: Interval = WHOLE_RUN): Certainty {
    return strongest(this.rulesOf(target, 'dropReply').map((r) => ruleFires(r, at)));
  }

  /**
   * Whether an exchange with `target` during `at` gets no reply at all: unreachable, request or
   * reply dropped.
   */
  silent(target: string, at: Interval = WHOLE_RUN): Certainty {
    return strongest([
      this.unreachable(target, at),
      this.dropsRequests(target, at),
      this.dropsReplies(target, at),
    ]);
  }

  /** The status a `forceStatus` rule answers instead of the target, with its certainty. */
  forcedStatus(
    target: string,
    at: Interval = WHOLE_RUN,
  ): { status: number; certainty: Certainty } | undefined {
    for (const r of this.rulesOf(target, 'forceStatus')) {
      const c = ruleFires(r, at);
      if (c !== 'never') return { status: r.status, certainty: c };
    }
    return undefined;
  }

  /** The target id a `wrongSender` rule makes `target`'s replies claim, with its certainty. */
  spoofsAs(target: string, at: Interval = WHOLE_RUN): { as: string; certainty: Certainty } | undefined {
    for (const r of this.rulesOf(target, 'wrongSender')) {
      const c = ruleFires(r, at);
      if (c !== 'never') return { as: r.as, certainty: c };
    }
    return undefined;
  }

  /** Whether replies are damaged (corrupt or truncate rules) during `at`. */
  damagesReplies(target: string, at: Interval = WHOLE_RUN): Certainty {
    return strongest([
      ...this.rulesOf(target, 'corrupt').map((r) => ruleFires(r, at)),
      ...this.rulesOf(target, 'truncate').map((r) => ruleFires(r, at)),
    ]);
  }

  /** The latency spec of `target` (per-target override, else the default; undefined: none). */
  latencyOf(target: string): LatencySpec | undefined {
    return this.plan.latency.perTarget[target] ?? this.plan.latency.default;
  }

  /**
   * Bounds of the time from sending a request to `target` to its (first) reply, ms, when the
   * reply comes at all: round-trip latency plus delay and reorder rules that may fire (their
   * upper bounds), plus pause holds. `[min, max]`; max may be Infinity.
   */
  replyDelayBounds(target: string, at: Interval = WHOLE_RUN): readonly [number, number] {
    let [lo, hi] = latencyBounds(this.latencyOf(target));
    for (const r of this.rulesOf(target, 'delay')) {
      const c = ruleFires(r, at);
      const [dl, dh] = latencyBounds(r.latency);
      if (c === 'always') lo += dl;
      if (c !== 'never') hi += dh;
    }
    for (const r of this.rulesOf(target, 'reorder')) if (ruleFires(r, at) !== 'never') hi += r.maxExtraMs;
    for (const r of this.rulesOf(target, 'pause'))
      if (windowCover(r.window, at) !== 'never') hi += (r.window.toMs ?? Infinity) - r.window.fromMs;
    return [lo, hi];
  }

  /** The `behave` rules naming `target` and active at `t` (undefined: any time), in plan order. */
  behaviours(target: string, t?: number): { behaviour: string; params: Record<string, unknown> }[] {
    return this.rulesOf(target, 'behave')
      .filter((r) => t === undefined || windowCover(r.window, { fromMs: t, toMs: t + 1e-9 }) !== 'never')
      .map((r) => ({ behaviour: r.behaviour, params: r.params }));
  }

  /** Whether `target` has behaviour `name` over the whole of `at` ('maybe': part of it). */
  behaves(target: string, name: string, at: Interval = WHOLE_RUN): Certainty {
    return strongest(
      this.rulesOf(target, 'behave')
        .filter((r) => r.behaviour === name)
        .map((r) => windowCover(r.window, at)),
    );
  }

  /** Crash rules of `target`: `{atMs, restartAfterMs, loseState}`. */
  crashesOf(target: string): { atMs: number; restartAfterMs: number | undefined; loseState: boolean }[] {
    return this.rulesOf(target, 'crash').map((r) => ({
      atMs: r.atMs,
      restartAfterMs: r.restartAfterMs,
      loseState: r.loseState,
    }));
  }

  // ---- the newer kinds (docs/fault-plans-new-kinds.md) ------------------------------------------

  /**
   * What `target`'s clock is off by at plan time `t` (ms): the sum of the clockSkew and
   * clockStrobe offsets active then, ms (exact: clock rules draw nothing).
   */
  clockOffsetMs(target: string, t: number): number {
    let offset = 0;
    for (const r of this.plan.rules)
      if ((r.fault === 'clockSkew' || r.fault === 'clockStrobe') && this.applies(r, target))
        offset += clockRuleOffset(r, t);
    return offset;
  }

  /**
   * Whether `target` reads a skewed time during `at`: 'always' when a clockSkew with a non-zero
   * offset covers the interval, 'maybe' when a clock rule covers part of it or a strobe applies
   * (it flips back to the true time every other period).
   */
  clockSkewed(target: string, at: Interval = WHOLE_RUN): Certainty {
    const skews = this.rulesOf(target, 'clockSkew')
      .filter((r) => r.offsetMs !== 0)
      .map((r) => windowCover(r.window, at));
    const strobes = this.rulesOf(target, 'clockStrobe')
      .filter((r) => r.deltaMs !== 0)
      .map((r) => (windowCover(r.window, at) === 'never' ? 'never' : 'maybe'));
    return strongest([...skews, ...strobes]);
  }

  /**
   * Whether `target` is held by a swizzle-clog during `at` (its traffic waits until it unclogs):
   * 'always' when the interval lies between its clog time and the first unclog of its rule (sure
   * whatever the seed), 'maybe' when it overlaps the time until the rule's last unclog (the unclog
   * order comes from the seed), else 'never'.
   */
  clogged(target: string, at: Interval = WHOLE_RUN): Certainty {
    return strongest(
      this.rulesOf(target, 'swizzleClog').map((r) => {
        const b = swizzleBounds(r, this.plan.groups, target);
        if (b === undefined) return 'never';
        if (windowCover({ fromMs: b.clogAtMs, toMs: b.firstUnclogMs }, at) === 'always') return 'always';
        return windowCover({ fromMs: b.clogAtMs, toMs: b.lastUnclogMs }, at) === 'never' ? 'never' : 'maybe';
      }),
    );
  }

  /**
   * Whether messages from party `from` to party `to` are lost to a linkPartition during `at`
   * (undefined party: a client, not a plan target).
   */
  linkCut(from: string | undefined, to: string | undefined, at: Interval = WHOLE_RUN): Certainty {
    return strongest(
      this.plan.rules
        .filter((r): r is Extract<FaultRule, { fault: 'linkPartition' }> => r.fault === 'linkPartition')
        .filter((r) => linkCuts(r, this.plan.groups, from, to))
        .map((r) => windowCover(r.window, at)),
    );
  }

  /**
   * Whether requests from `source` (default: a client) reach `target` but its replies are lost
   * during `at`: an asymmetric partition (or an outbound linkPartition), so the target may act on
   * a request whose sender never hears back.
   */
  repliesCut(target: string, at: Interval = WHOLE_RUN, source?: string): Certainty {
    const replies = this.linkCut(target, source, at);
    const requests = this.linkCut(source, target, at);
    return requests === 'always' ? 'never' : replies;
  }

  /**
   * Whether a Gilbert–Elliott burstLoss rule may lose `target`'s messages during `at`: 'always'
   * when a rule losing in both states covers the interval, 'maybe' for any other rule that can
   * lose, 'never' without one.
   */
  burstLoss(target: string, at: Interval = WHOLE_RUN): Certainty {
    return strongest(
      this.rulesOf(target, 'burstLoss').map((r) => {
        const w = windowCover(r.window, at);
        if (w === 'never' || (r.lossInGood === 0 && (r.lossInBad === 0 || r.pGoodToBad === 0)))
          return 'never';
        return w === 'always' && r.lossInGood === 1 && r.lossInBad === 1 ? 'always' : 'maybe';
      }),
    );
  }

  /**
   * The HTTP connection toxics that may act on `target`'s exchanges during `at`, each with its
   * certainty: `[{kind, certainty}]` for bandwidth, slicer, limitData, slowClose, timeout and
   * resetPeer rules (in plan order, 'never' left out).
   */
  httpToxics(target: string, at: Interval = WHOLE_RUN): { kind: string; certainty: Certainty }[] {
    const kinds = ['bandwidth', 'slicer', 'limitData', 'slowClose', 'timeout', 'resetPeer'] as const;
    return this.plan.rules
      .filter((r) => (kinds as readonly string[]).includes(r.fault) && this.applies(r, target))
      .map((r) => ({
        kind: r.fault,
        certainty: ruleFires(r as { probability?: number; window?: WindowOf }, at),
      }))
      .filter((x) => x.certainty !== 'never');
  }

  /**
   * Whether an exchange with `target` during `at` may get no reply in time, counting the newer
   * kinds as well as {@link silent}: link partitions between `source` (default: a client) and the
   * target either way, Gilbert–Elliott loss, timeout / resetPeer toxics (swallowed request or
   * reply), and swizzle clogs (held until the unclog, which may come after the caller gives up).
   */
  silentOrHeld(target: string, at: Interval = WHOLE_RUN, source?: string): Certainty {
    const swallowing = this.httpToxics(target, at)
      .filter((x) => x.kind === 'timeout' || x.kind === 'resetPeer')
      .map((x) => x.certainty);
    return strongest([
      this.silent(target, at),
      this.linkCut(source, target, at),
      this.linkCut(target, source, at),
      this.burstLoss(target, at),
      this.clogged(target, at),
      ...swallowing,
    ]);
  }
}
