/**
 * The timing half of the FROST oracle: how long participant pN may take to answer one request
 * under the effective plan, and what in the plan can keep its messages from arriving at all.
 *
 * One answer, from the start of the coordinator's collect, crosses: the coordinator's put of the
 * request (coordinator link + pN's store), pN's read (a poll interval + two polls over pN's link,
 * store and store-get), pN's think time, pN's reply put (pN's link + store) and the coordinator's
 * read (a poll interval + two polls). Each leg is bounded by the plan's latency, delay and reorder
 * rules ({@link exchangeBounds}). Faults add to that ({@link hazardsOf}):
 * - a finite outage (a crash with restart, a partition or pause window, drops or forced statuses in
 *   a window) adds its length, one retry pause, one exchange and — when requests vanish rather
 *   than fail fast — one per-request timeout of the Hubert client;
 * - a probabilistic fault (probability p < 1) is retried: `k` failures in a row, k the least with
 *   p^k < {@link TAIL_PROBABILITY} (the kernel's convention for impossible tails), on each of the
 *   {@link EXCHANGES_PER_ANSWER} exchanges an answer needs;
 * - a fault without end (no restart, no window end), a lost write (`dropRequest` on `store:pN`), a
 *   Hubert crash that loses its data, or damaged replies can lose a message for good;
 * - a rule kind not modelled here counts as a possible loss (any outcome accepted), never as harmless.
 * The bounds are conservative: an oracle that finds an answer near the timeout accepts both a
 * success and a timeout, and says so.
 */
import { latencyBounds, strongest, WHOLE_RUN, type Certainty, type PlanView } from '../kernel/plan-view.js';
import type { FaultRule } from '@fanout/sim';
import {
  COORDINATOR,
  HUBERT,
  LATE_BY_MS,
  participantTarget,
  possibleActs,
  storeGetTarget,
  storeTarget,
  windowCover,
  type Act,
  type InboundStep,
  type PossibleActs,
} from './plan.js';

/** A run of consecutive transient failures less likely than this is treated as impossible. */
export const TAIL_PROBABILITY = 2e-9;
/** Exchanges one answer needs (request put, participant read, reply put, coordinator read). */
export const EXCHANGES_PER_ANSWER = 4;
/** Per-request timeout of the Hubert clients when the plan's latencies allow it, ms. */
export const MIN_REQUEST_TIMEOUT_MS = 60_000;

/** The world's timing parameters the oracle needs (all ms). */
export interface TimingParams {
  /** The coordinator's per-participant timeout. */
  readonly timeoutMs: number;
  /** Poll interval of every Hubert client. */
  readonly pollIntervalMs: number;
  /** Pause before a get or put is retried (coordinator and agents). */
  readonly retryIntervalMs: number;
  /** Per-request timeout of every Hubert client (Infinity: none). */
  readonly requestTimeoutMs: number;
  /** Parallel rounds (false: sequential, one participant at a time). */
  readonly parallel: boolean;
}

/** Certainty that a rule with a probability and a window fires on an exchange during the run. */
function fires(rule: {
  probability?: number;
  window?: { fromMs: number; toMs?: number | undefined };
}): Certainty {
  const p = rule.probability ?? 1;
  const w = windowCover(rule.window, WHOLE_RUN);
  if (p === 0 || w === 'never') return 'never';
  return p === 1 && w === 'always' ? 'always' : 'maybe';
}

/**
 * Bounds of one exchange with `target`, ms: its latency plus delay and reorder rules that may fire
 * (`[min, max]`, max may be Infinity). Pauses are outages ({@link hazardsOf}), not latency.
 */
export function exchangeBounds(view: PlanView, target: string): readonly [number, number] {
  let [lo, hi] = latencyBounds(view.latencyOf(target));
  for (const r of view.rulesOf(target, 'delay')) {
    const c = fires(r);
    const [dl, dh] = latencyBounds(r.latency);
    if (c === 'always') lo += dl;
    if (c !== 'never') hi += dh;
  }
  for (const r of view.rulesOf(target, 'reorder')) if (fires(r) !== 'never') hi += r.maxExtraMs;
  return [lo, hi];
}

/**
 * The Hubert clients' per-request timeout for a plan over `participants`, ms: 60 s, or twice the
 * slowest store + link exchange plus 10 s when that is longer (so a slow but working Hubert is
 * never taken for a lost request); Infinity when a latency is unbounded.
 */
export function requestTimeoutOf(view: PlanView, participants: number): number {
  const ids = Array.from({ length: participants }, (_, i) => i);
  const store = Math.max(
    0,
    ...ids.map((i) => exchangeBounds(view, storeTarget(i))[1] + exchangeBounds(view, storeGetTarget(i))[1]),
  );
  const link = Math.max(
    exchangeBounds(view, COORDINATOR)[1],
    ...ids.map((i) => exchangeBounds(view, participantTarget(i))[1]),
  );
  const worst = store + link;
  return Number.isFinite(worst) ? Math.max(MIN_REQUEST_TIMEOUT_MS, 2 * worst + 10_000) : Infinity;
}

/** What one plan rule can do to one participant's messages. */
export interface Hazard {
  /** Index of the rule in the plan. */
  readonly rule: number;
  readonly target: string;
  /** 'delay': time only; 'lost': a message may never arrive; 'damage': a reply may be unreadable. */
  readonly effect: 'delay' | 'lost' | 'damage';
  /** For 'lost' and 'damage': certainty that it happens. */
  readonly certainty: Certainty;
  /** Extra time it may add to one answer, ms. */
  readonly extraMs: number;
  readonly why: string;
}

/** The least k with p^k < TAIL_PROBABILITY (consecutive failures worth expecting), 0 for p = 0. */
export function tailRetries(p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return Infinity;
  return Math.ceil(Math.log(TAIL_PROBABILITY) / Math.log(p));
}

/** Costs of one failed exchange and of one outage of `lengthMs`, ms. */
function costs(t: TimingParams, opHi: number, vanishes: boolean) {
  const perFailure = (vanishes ? t.requestTimeoutMs : opHi) + t.retryIntervalMs + opHi;
  return { perFailure, outage: (lengthMs: number) => lengthMs + perFailure };
}

type Window = { fromMs: number; toMs?: number | undefined } | undefined;

/** A fault that blocks exchanges with `target` while it fires (drops, forced statuses, partition, pause). */
function blocking(
  i: number,
  target: string,
  rule: { probability?: number; window?: Window },
  vanishes: boolean,
  t: TimingParams,
  opHi: number,
  name: string,
): Omit<Hazard, 'rule'> {
  const c = costs(t, opHi, vanishes);
  const p = rule.probability ?? 1;
  const to = rule.window?.toMs;
  const windowed = to === undefined ? Infinity : c.outage(to - (rule.window?.fromMs ?? 0));
  if (p < 1) {
    const extraMs = Math.min(windowed, tailRetries(p) * c.perFailure * EXCHANGES_PER_ANSWER);
    return { target, effect: 'delay', certainty: 'maybe', extraMs, why: `${name} (p ${p}) on ${target}` };
  }
  if (to !== undefined)
    return {
      target,
      effect: 'delay',
      certainty: 'maybe',
      extraMs: windowed,
      why: `${name} window on ${target}`,
    };
  const certainty = windowCover(rule.window, WHOLE_RUN);
  return {
    target,
    effect: 'lost',
    certainty,
    extraMs: Infinity,
    why: `${name} on ${target} for good (p${i + 1})`,
  };
}

/** What `rule` does to participant `i` through `target` (undefined: nothing; a crash losing data: two effects). */
function hazardOf(
  i: number,
  rule: FaultRule,
  target: string,
  t: TimingParams,
  opHi: number,
): Omit<Hazard, 'rule'> | readonly Omit<Hazard, 'rule'>[] | undefined {
  const link = target === COORDINATOR || target === participantTarget(i);
  const store = target === storeTarget(i);
  const storeGet = target === storeGetTarget(i);
  switch (rule.fault) {
    case 'crash': {
      if (!link && target !== HUBERT) return undefined;
      if (rule.restartAfterMs === undefined)
        return {
          target,
          effect: 'lost',
          certainty: rule.atMs === 0 ? 'always' : 'maybe',
          extraMs: Infinity,
          why: `${target} down from ${rule.atMs} ms for good`,
        };
      const down: Omit<Hazard, 'rule'> = {
        target,
        effect: 'delay',
        certainty: 'maybe',
        extraMs: costs(t, opHi, false).outage(rule.restartAfterMs),
        why: `${target} down ${rule.restartAfterMs} ms`,
      };
      if (!(target === HUBERT && rule.loseState)) return down;
      // a restart that lost the data: down for a while, and unread values are gone
      return [
        down,
        { target, effect: 'lost', certainty: 'maybe', extraMs: 0, why: `${HUBERT} crash loses its data` },
      ];
    }
    case 'partition':
      return link ? blocking(i, target, { window: rule.window }, true, t, opHi, 'partition') : undefined;
    case 'pause': {
      if (!link && !store) return undefined;
      const to = rule.window.toMs;
      if (to === undefined) return blocking(i, target, { window: rule.window }, true, t, opHi, 'pause');
      return {
        target,
        effect: 'delay',
        certainty: 'maybe',
        extraMs: to - rule.window.fromMs,
        why: `pause on ${target}`,
      };
    }
    case 'dropRequest':
      if (store)
        return {
          target,
          effect: 'lost',
          certainty: fires(rule),
          extraMs: 0,
          why: `lost writes on ${target}`,
        };
      return link ? blocking(i, target, rule, true, t, opHi, 'dropRequest') : undefined;
    case 'dropReply':
      return link ? blocking(i, target, rule, false, t, opHi, 'dropReply') : undefined;
    case 'forceStatus':
      return link || store || storeGet
        ? blocking(i, target, rule, false, t, opHi, `status ${rule.status}`)
        : undefined;
    case 'corrupt':
    case 'truncate':
      return link
        ? { target, effect: 'damage', certainty: fires(rule), extraMs: 0, why: `${rule.fault} on ${target}` }
        : undefined;
    case 'delay':
    case 'reorder':
      return undefined; // latency: exchangeBounds
    case 'duplicateReply':
    case 'wrongSender':
    case 'behave':
      return undefined; // nothing to HTTP exchanges; behaviours are read by possibleActs
    default:
      // A kind this oracle does not model: any outcome is possible (never taken for harmless).
      return target === HUBERT
        ? undefined // the server process takes crash rules only (plan.ts refuses others naming it)
        : {
            target,
            effect: 'lost',
            certainty: 'maybe',
            extraMs: Infinity,
            why: `${(rule as { fault: string }).fault} on ${target} (not modelled: any outcome accepted)`,
          };
  }
}

/** Everything in the plan that touches participant `i`'s messages (see the module docstring). */
export function hazardsOf(view: PlanView, i: number, t: TimingParams): Hazard[] {
  const targets = [COORDINATOR, participantTarget(i), storeTarget(i), storeGetTarget(i), HUBERT];
  const opHi = exchangeHi(view, i);
  const out: Hazard[] = [];
  view.plan.rules.forEach((rule, k) => {
    for (const target of targets) {
      if (!view.applies(rule, target)) continue;
      const h = hazardOf(i, rule, target, t, opHi);
      for (const x of h === undefined ? [] : Array.isArray(h) ? h : [h]) out.push({ rule: k, ...x });
    }
  });
  return out;
}

/** The slowest single exchange of participant `i` (link, store, store-get), ms. */
function exchangeHi(view: PlanView, i: number): number {
  const link = Math.max(exchangeBounds(view, COORDINATOR)[1], exchangeBounds(view, participantTarget(i))[1]);
  return link + exchangeBounds(view, storeTarget(i))[1] + exchangeBounds(view, storeGetTarget(i))[1];
}

/**
 * Upper bound of the time from the start of a collect to participant `i`'s answer reaching the
 * coordinator, without think time and faults, ms (see the module docstring).
 */
export function answerBaseMs(view: PlanView, i: number, t: TimingParams): number {
  const c = exchangeBounds(view, COORDINATOR)[1];
  const p = exchangeBounds(view, participantTarget(i))[1];
  const s = exchangeBounds(view, storeTarget(i))[1];
  const g = exchangeBounds(view, storeGetTarget(i))[1];
  const requestPut = c + s;
  const participantRead = t.pollIntervalMs + 2 * (p + s + g);
  const replyPut = p + s;
  const coordinatorRead = t.pollIntervalMs + 2 * (c + s + g);
  return requestPut + participantRead + replyPut + coordinatorRead;
}

/** The oracle's view of one participant answering one request. */
export interface AnswerOutlook {
  readonly acts: PossibleActs;
  /** Upper bound of the answer time (honest acts), ms; Infinity when unbounded. */
  readonly hiMs: number;
  /** Certainty that the answer is useless: a deviation, too late, or lost. */
  readonly fails: Certainty;
  /** Certainty that messages of this participant are lost or damaged for good. */
  readonly lost: Certainty;
  /** Certainty that an honest act of this participant still misses the timeout. */
  readonly late: Certainty;
  /** Whether the coordinator may read a damaged reply of this participant (and blame it). */
  readonly damaged: boolean;
  /** Human summary, e.g. 'busy@signInvite; answer ≤ 412.0 s'. */
  readonly why: string;
}

/** How long before its collect starts a participant may already read request `step`, ms. */
function earlyReadMs(view: PlanView, step: InboundStep, participants: number, t: TimingParams): number {
  if (step === 'dkgInvite' || step === 'signInvite') return 0; // followed once the invitations are stored
  const c = exchangeBounds(view, COORDINATOR)[1];
  return Math.max(
    0,
    ...Array.from({ length: participants }, (_, j) => {
      const extra = hazardsOf(view, j, t).reduce((a, h) => a + (h.effect === 'delay' ? h.extraMs : 0), 0);
      return c + exchangeBounds(view, storeTarget(j))[1] + extra;
    }),
  );
}

/**
 * The outlook of participant `i` answering request `step` in a world of `participants` (see the
 * module docstring for the bounds).
 */
export function answerOutlook(
  view: PlanView,
  i: number,
  step: InboundStep,
  participants: number,
  t: TimingParams,
): AnswerOutlook {
  const acts = possibleActs(view, participantTarget(i), step);
  const hazards = hazardsOf(view, i, t);
  const extra = hazards.reduce((a, h) => a + (h.effect === 'delay' ? h.extraMs : 0), 0);
  const hiMs = acts.thinkMs[1] + answerBaseMs(view, i, t) + extra;
  const lost = strongest(hazards.filter((h) => h.effect !== 'delay').map((h) => h.certainty));
  const damaged = hazards.some((h) => h.effect === 'damage' && h.certainty !== 'never');
  const late: Certainty = acts.thinkMs[0] >= t.timeoutMs ? 'always' : hiMs >= t.timeoutMs ? 'maybe' : 'never';
  const lateAct: Certainty =
    t.parallel && LATE_BY_MS + acts.thinkMs[0] >= earlyReadMs(view, step, participants, t)
      ? 'always'
      : 'maybe';
  const failsOf = (a: Act): Certainty => (a === 'accept' ? late : a === 'late' ? lateAct : 'always');
  const perAct = [...acts.acts].map(failsOf);
  const fromActs: Certainty = perAct.every((c) => c === 'always')
    ? 'always'
    : perAct.every((c) => c === 'never')
      ? 'never'
      : 'maybe';
  const notes = [
    acts.why,
    `answer ≤ ${Number.isFinite(hiMs) ? `${(hiMs / 1000).toFixed(1)} s` : '∞'}`,
    ...hazards.map((h) => h.why),
  ].filter((s) => s !== '');
  return { acts, hiMs, fails: strongest([fromActs, lost]), lost, late, damaged, why: notes.join('; ') };
}
