/**
 * The Bao oracle's reading of the effective plan: what the plan lets one request to the Bao
 * server do — when it can settle, and whether it must succeed, may fail or must fail — from the
 * network rules on target `bao` (PlanView) and the Bao behaviours (plan.ts). Scenarios never
 * re-derive their expectations from the seed: a hand-edited plan (a rule removed, a window
 * widened) moves the expectation exactly as it moves the run.
 *
 * Where the plan is not certain (a probability below 1, a window over part of the interval,
 * damaged replies), both outcomes are allowed and the expectation says so in `why`.
 */
import type { BaoRoute } from '@fanout/sim-bao';
import type { FaultPlan } from '@fanout/sim';
import { strongest, type Certainty, type Interval, type PlanView } from '../kernel/plan-view.js';
import { BAO, behaviourMatches, parseBaoBehaviour } from './plan.js';

/** What the plan lets one request do. */
export interface RequestExpectation {
  /**
   * Time from sending the request to its settling, ms, `[min, max]`, capped at the client's
   * timeout (a slower answer is never seen: the request settles, failed, at the timeout). When the
   * plan may disturb the exchange (no answer, a forced status, a failure the server is told to
   * produce), `[0, max(max, client timeout)]`: anything up to the client's timeout.
   */
  readonly settleMs: readonly [number, number];
  /** Whether the request fails: 'never' (it must succeed), 'maybe', 'always' (it must fail). */
  readonly fails: Certainty;
  /** What the plan does to it, for details ('clean', 'maybe silent', 'keyError sealed', …). */
  readonly why: string;
}

/** One request, as the oracle asks about it. */
export interface RequestQuery {
  readonly route: BaoRoute;
  /** Key name of key-scoped routes. */
  readonly key?: string;
  /**
   * Which request this is for (route, key) in the run, 1-based (for `keyError` rules with
   * `times`). Undefined: unknown (a `times` rule is then only 'maybe').
   */
  readonly nth?: number;
  /** Plan time during which the request is in flight. */
  readonly at: Interval;
  /** The client's per-request timeout, ms. */
  readonly timeoutMs: number;
}

type Window = { readonly fromMs: number; readonly toMs?: number | undefined } | undefined;

/** Certainty that `w` is open over the whole of `at` (PlanView's rule, for one rule). */
export function windowCertainty(w: Window, at: Interval): Certainty {
  if (w === undefined) return 'always';
  const to = w.toMs ?? Infinity;
  if (to <= at.fromMs || w.fromMs >= at.toMs) return 'never';
  return w.fromMs <= at.fromMs && to >= at.toMs ? 'always' : 'maybe';
}

/** Server-side effects of the behaviours on one request: latency bounds and failure certainty. */
function behaviourEffects(
  view: PlanView,
  q: RequestQuery,
): { lo: number; hi: number; fails: Certainty[]; disturbs: Certainty[]; why: string[] } {
  const out = { lo: 0, hi: 0, fails: [] as Certainty[], disturbs: [] as Certainty[], why: [] as string[] };
  for (const r of view.rulesOf(BAO, 'behave')) {
    const b = parseBaoBehaviour(r);
    if (!behaviourMatches(b, q.route, q.key)) continue;
    let c = windowCertainty(r.window, q.at);
    if (c === 'never') continue;
    if (b.latencyMs > 0) {
      if (c === 'always') out.lo += b.latencyMs;
      out.hi += b.latencyMs;
    }
    if (b.action === undefined) continue;
    if (b.times !== undefined) {
      if (q.nth !== undefined && q.nth > b.times) continue;
      if (q.nth === undefined) c = 'maybe';
    }
    out.fails.push(c);
    // A forged answer comes as fast as an honest one; every other action replaces the answer.
    if (b.behaviour !== 'forge') out.disturbs.push(c);
    out.why.push(`${c === 'always' ? '' : 'maybe '}${b.behaviour} ${b.kind ?? ''}`.trim());
  }
  return out;
}

/**
 * What the effective plan lets one request to the Bao server do (see {@link RequestExpectation}).
 * @throws BaoBehaviourError for a malformed Bao behaviour in the plan.
 */
export function expectRequest(view: PlanView, q: RequestQuery): RequestExpectation {
  const [netLo, netHi] = view.replyDelayBounds(BAO, q.at);
  const b = behaviourEffects(view, q);
  const silent = view.silent(BAO, q.at);
  const forced = view.forcedStatus(BAO, q.at);
  const damaged = view.damagesReplies(BAO, q.at);
  const why = [...b.why];
  if (silent !== 'never') why.push(`${silent === 'always' ? '' : 'maybe '}silent`);
  if (forced !== undefined)
    why.push(`${forced.certainty === 'always' ? '' : 'maybe '}forced status ${forced.status}`);
  if (damaged !== 'never') why.push('maybe damaged reply');
  const lo = netLo + b.lo;
  const hi = netHi + b.hi;
  // An answer that comes no sooner than the client's timeout is never seen (BaoClient aborts).
  const late: Certainty = lo >= q.timeoutMs ? 'always' : hi >= q.timeoutMs ? 'maybe' : 'never';
  if (late !== 'never')
    why.push(`${late === 'always' ? '' : 'maybe '}slower than the ${q.timeoutMs} ms timeout`);
  const fails = strongest([
    ...b.fails,
    silent,
    forced?.certainty ?? 'never',
    damaged === 'never' ? 'never' : 'maybe',
    late,
  ]);
  const disturbed = strongest([...b.disturbs, silent, forced?.certainty ?? 'never']);
  const settleMs: readonly [number, number] =
    disturbed !== 'never'
      ? [0, Math.max(hi, q.timeoutMs)]
      : [Math.min(lo, q.timeoutMs), Math.min(hi, q.timeoutMs)];
  return { settleMs, fails, why: why.length === 0 ? 'clean' : why.join(', ') };
}

/**
 * The plan time after which every fault of the plan that ends has ended: the latest finite
 * window end or crash restart (0 when none). Faults without an end never end; the oracle keeps
 * expecting them.
 */
export function quietPoint(plan: FaultPlan): number {
  let quiet = 0;
  for (const r of plan.rules) {
    const end =
      r.fault === 'crash'
        ? r.restartAfterMs === undefined
          ? undefined
          : r.atMs + r.restartAfterMs
        : 'window' in r
          ? r.window?.toMs
          : undefined;
    if (end !== undefined) quiet = Math.max(quiet, end);
  }
  return quiet;
}

/** Whether the plan may disturb any request to the Bao server during `at` (behaviours aside). */
export function networkDisturbed(view: PlanView, at: Interval): Certainty {
  const forced = view.forcedStatus(BAO, at);
  return strongest([
    view.silent(BAO, at),
    forced?.certainty ?? 'never',
    view.damagesReplies(BAO, at) === 'never' ? 'never' : 'maybe',
  ]);
}
