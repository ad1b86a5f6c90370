/**
 * The Prime oracle: what the effective fault plan lets each trainer contribute to a round, whether
 * the round must commit, what its aggregate must be, how far a robust rule may stray from the
 * honest updates, and when a node must be active. Written from the plan (PlanView) and from
 * @fanout/prime's pure `aggregateOf`, never from what the coordinator reports about itself.
 *
 * A trainer's answer to a round's task is one of:
 * - 'valid': a well-formed update that passes screening (it counts);
 * - 'rejected': an update rejected on arrival (checkUpdate) or flagged by screening (it counts
 *   against consensus: agreement = used / (received + rejected on arrival));
 * - 'none': no update at all (crash, partition, lost reply, error status, too late).
 * Where the plan is not certain (a probability below 1, a window over part of the round, a delay
 * that may or may not pass the deadline, damaged replies), every answer it could lead to is allowed.
 */
import {
  aggregateOf,
  norm,
  squaredDistance,
  type AggregationRuleInput,
  type ModelUpdate,
  type ResolvedRule,
} from '@fanout/prime';
import { strongest, type Certainty, type Interval, type PlanView } from '../kernel/plan-view.js';
import type { PrimeData } from './world.js';
import { RESENDING, STRUCTURAL, surelyScreened } from './plan.js';

/** One trainer's possible answer to a round. */
export type Arrival = 'valid' | 'rejected' | 'none';

/** What the plan lets one trainer do in one round, and why (for violation details). */
export interface TrainerExpectation {
  readonly id: string;
  readonly can: ReadonlySet<Arrival>;
  readonly why: string;
}

/** What {@link expectTrainer} needs to know about the round. */
export interface RoundFrame {
  /** Plan time from the round's start to its limit (start + min(task timeout, deadline)). */
  readonly at: Interval;
  /** Compute time of a task, ms. */
  readonly computeMs: number;
  /** Extra allowance on reply times, ms (0 in sim; wall-clock noise live). */
  readonly slackMs: number;
  readonly data: PrimeData;
  /** Screening on (detection.enabled). */
  readonly screening: boolean;
  /** Byzantine (value-behaving) trainers are fewer than half of those answering. */
  readonly byzantineMinority: boolean;
  /** The trainer has answered an earlier task (so 'replay' / 'duplicate' resend it). */
  readonly answeredBefore: (id: string) => boolean | undefined;
}

/**
 * When `id`'s answer arrives relative to the round's limit: 'always' late, 'never' late, 'maybe'.
 * Answer time = compute + the plan's reply delay bounds (latency, delay rules, pauses).
 */
export function lateness(
  view: PlanView,
  id: string,
  f: Pick<RoundFrame, 'at' | 'computeMs' | 'slackMs'>,
): Certainty {
  const [lo, hi] = view.replyDelayBounds(id, f.at);
  const limit = f.at.toMs - f.at.fromMs;
  if (lo + f.computeMs > limit + f.slackMs) return 'always';
  return hi + f.computeMs + f.slackMs < limit ? 'never' : 'maybe';
}

/** The answer the trainer's behaviours make of an update that arrives, with reasons. */
function answerKinds(view: PlanView, id: string, f: RoundFrame): { can: Set<Arrival>; why: string[] } {
  const can = new Set<Arrival>();
  const why: string[] = [];
  let honest: Certainty = 'always';
  for (const b of view.behaviours(id)) {
    const c = view.behaves(id, b.behaviour, f.at);
    if (c === 'never') continue;
    let kinds: Arrival[];
    if (STRUCTURAL.has(b.behaviour)) kinds = ['rejected'];
    else if (RESENDING.has(b.behaviour)) {
      const before = f.answeredBefore(id);
      kinds = before === false ? ['valid'] : before === true ? ['rejected', 'valid'] : ['rejected', 'valid'];
    } else if (b.behaviour === 'sign-flip' || b.behaviour === 'scale' || b.behaviour === 'noise') {
      kinds = !f.screening
        ? ['valid']
        : f.byzantineMinority && surelyScreened(f.data, b.behaviour, b.params)
          ? ['rejected']
          : ['rejected', 'valid'];
    } else continue; // unknown behaviours: the trainer ignores them
    for (const k of kinds) can.add(k);
    why.push(`${c === 'maybe' ? 'maybe ' : ''}${b.behaviour}`);
    if (c === 'always' && !kinds.includes('valid')) honest = 'never';
    else if (c !== 'always' && honest === 'always') honest = 'maybe';
  }
  if (honest !== 'never') can.add('valid');
  if (why.length === 0) why.push('honest');
  return { can, why };
}

/**
 * What trainer `id` may contribute to a round (see the module docstring).
 */
export function expectTrainer(view: PlanView, id: string, f: RoundFrame): TrainerExpectation {
  const silent = view.silent(id, f.at);
  const forced = view.forcedStatus(id, f.at);
  const late = lateness(view, id, f);
  if (silent === 'always') return { id, can: new Set(['none']), why: 'silent' };
  if (forced?.certainty === 'always') return { id, can: new Set(['none']), why: `status ${forced.status}` };
  if (late === 'always') return { id, can: new Set(['none']), why: 'too late' };
  const { can, why } = answerKinds(view, id, f);
  if (silent === 'maybe') why.push('maybe silent');
  if (forced !== undefined) why.push(`maybe status ${forced.status}`);
  if (late === 'maybe') why.push('maybe too late');
  if (silent === 'maybe' || forced !== undefined || late === 'maybe') can.add('none');
  if (view.damagesReplies(id, f.at) !== 'never') {
    can.add('none');
    can.add('rejected');
    why.push('maybe damaged');
  }
  return { id, can, why: why.join(', ') };
}

/** What the consensus rule must decide for a round. */
export interface CommitExpectation {
  readonly must: 'commit' | 'fail' | 'either';
  /** Fewest and most valid updates the plan allows. */
  readonly minValid: number;
  readonly maxValid: number;
}

/**
 * Whether a round over `expected` (one per selected trainer) must commit: it commits iff at least
 * `minUpdates` (and `minAggregatable`) valid updates arrive and valid / (valid + rejected) ≥
 * `consensusThreshold`
 * (@fanout/prime round.ts `decide`). Every combination the trainers' allowed answers permit is
 * considered (a reachable-set walk over (valid, rejected) counts).
 */
export function expectCommit(
  expected: readonly TrainerExpectation[],
  o: {
    readonly minUpdates: number;
    readonly consensusThreshold: number;
    /**
     * Fewest valid updates the aggregation rule can aggregate (default 1): Krum and multi-Krum need
     * n > 2f + 2 with f ≥ 0, so at least 3 (Blanchard et al. 2017, §4); with fewer the round fails
     * 'aggregation-error' (@fanout/prime round.ts `decide`).
     */
    readonly minAggregatable?: number;
  },
): CommitExpectation {
  const minAggregatable = o.minAggregatable ?? 1;
  let reach = new Set<number>([0]);
  const K = expected.length + 1;
  for (const e of expected) {
    const next = new Set<number>();
    for (const key of reach) {
      const v = Math.floor(key / K);
      const r = key % K;
      if (e.can.has('valid')) next.add((v + 1) * K + r);
      if (e.can.has('rejected')) next.add(v * K + r + 1);
      if (e.can.has('none')) next.add(key);
    }
    reach = next;
  }
  let commit = false;
  let fail = false;
  let minValid = Infinity;
  let maxValid = 0;
  for (const key of reach) {
    const v = Math.floor(key / K);
    const r = key % K;
    minValid = Math.min(minValid, v);
    maxValid = Math.max(maxValid, v);
    const ok =
      expected.length >= o.minUpdates &&
      v >= o.minUpdates &&
      v / (v + r) >= o.consensusThreshold &&
      v >= minAggregatable;
    if (ok) commit = true;
    else fail = true;
  }
  return { must: commit && fail ? 'either' : commit ? 'commit' : 'fail', minValid, maxValid };
}

/** Fewest updates `rule` can aggregate: 3 for Krum and multi-Krum (n > 2f + 2, f ≥ 0), else 1. */
export function minAggregatable(rule: string): number {
  return rule === 'krum' || rule === 'multi-krum' ? 3 : 1;
}

/** Element-wise identity of two vectors (Object.is: NaN equals NaN, −0 differs from 0). */
function sameVector(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let q = 0; q < a.length; q++) if (!Object.is(a[q], b[q])) return false;
  return true;
}

/** What an aggregate check is given about one committed round. */
export interface CommittedRound {
  readonly acceptedUpdates: readonly ModelUpdate[];
  readonly aggregate: Float64Array | undefined;
  /** Model parameters before and after the commit. */
  readonly paramsBefore: Float64Array;
  readonly paramsAfter: Float64Array;
}

/**
 * The aggregate check: the committed aggregate is exactly `aggregateOf(accepted updates, rule)` —
 * with the rule the scenario configured, not the one the report names — and the model moved by
 * exactly that aggregate (params after = params before + aggregate, coordinate by coordinate).
 * @returns undefined when it held, else what was wrong.
 */
export function aggregateViolation(
  r: CommittedRound,
  rule: AggregationRuleInput,
  byzantineTolerance: number,
): string | undefined {
  if (r.aggregate === undefined) return 'committed without an aggregate';
  if (r.acceptedUpdates.length === 0) return 'committed with no accepted update';
  const want = aggregateOf(r.acceptedUpdates, rule, byzantineTolerance);
  if (!sameVector(want, r.aggregate))
    return `aggregate differs from ${rule.kind} of the ${r.acceptedUpdates.length} accepted updates (max |Δ| ${maxDiff(want, r.aggregate).toExponential(2)})`;
  const moved = Float64Array.from(r.paramsBefore, (v, q) => v + want[q]!);
  if (!sameVector(moved, r.paramsAfter)) return 'the model did not move by exactly the aggregate';
  return undefined;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let q = 0; q < a.length; q++) m = Math.max(m, Math.abs(a[q]! - b[q]!));
  return m;
}

/** The bound a robust rule keeps to the honest updates, when it applies. */
export interface RobustBound {
  /** Whether the rule's assumption holds (few enough Byzantine updates among those aggregated). */
  readonly applies: boolean;
  readonly held: boolean;
  /** The bound and the measured distance, for people. */
  readonly detail: string;
}

/**
 * How far a robust aggregate may be from the honest updates among those aggregated (`honest[i]`
 * says whether update i came from an honest trainer). Stated bounds:
 * - median (Yin et al. 2018, Def. 1), when Byzantine < half: every coordinate lies within the
 *   honest updates' range at that coordinate (the two middle order statistics are honest-bounded);
 * - trimmed mean with k = ⌊β·n⌋ ≥ Byzantine: every coordinate within the honest range (a kept
 *   value outside it would need k + 1 Byzantine values beyond it);
 * - Krum / multi-Krum (Blanchard et al. 2017) with n > 2f + 2 and Byzantine ≤ f:
 *   ‖aggregate − honest mean‖ ≤ (1 + √(n − f − 2)) · D, D the largest distance between two honest
 *   updates (a chosen update scores no more than an honest one, whose n − f − 2 nearest are honest
 *   and within D, so it lies within √(n − f − 2)·D of an honest update).
 * FedAvg and the plain mean have no bound: one update moves them arbitrarily far.
 * Comparisons allow a relative 1e-9 for floating-point rounding.
 */
export function robustBound(
  updates: readonly { readonly delta: ArrayLike<number> }[],
  honest: readonly boolean[],
  rule: ResolvedRule,
  aggregate: ArrayLike<number>,
): RobustBound {
  const n = updates.length;
  const h = updates.filter((_, i) => honest[i]);
  const b = n - h.length;
  if (h.length === 0) return { applies: false, held: true, detail: 'no honest update' };
  const eps = (x: number): number => 1e-9 * Math.max(1, Math.abs(x));
  switch (rule.kind) {
    case 'median':
    case 'trimmed-mean': {
      const tolerated = rule.kind === 'median' ? 2 * b < n : b <= rule.k;
      if (!tolerated)
        return {
          applies: false,
          held: true,
          detail: `${b} Byzantine of ${n}: beyond ${rule.kind === 'median' ? 'half' : `k = ${rule.k}`}, no bound`,
        };
      for (let q = 0; q < aggregate.length; q++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (const u of h) {
          lo = Math.min(lo, u.delta[q]!);
          hi = Math.max(hi, u.delta[q]!);
        }
        const v = aggregate[q]!;
        if (v < lo - eps(lo) || v > hi + eps(hi))
          return {
            applies: true,
            held: false,
            detail: `coordinate ${q} = ${v.toPrecision(4)} outside the honest range [${lo.toPrecision(4)}, ${hi.toPrecision(4)}] (${b} Byzantine of ${n})`,
          };
      }
      return {
        applies: true,
        held: true,
        detail: `within the honest range on every coordinate (${b} Byzantine of ${n})`,
      };
    }
    case 'krum':
    case 'multi-krum': {
      if (b > rule.f || n <= 2 * rule.f + 2)
        return { applies: false, held: true, detail: `${b} Byzantine of ${n}, f = ${rule.f}: no bound` };
      const mean = new Float64Array(aggregate.length);
      for (const u of h) for (let q = 0; q < mean.length; q++) mean[q]! += u.delta[q]! / h.length;
      let d2 = 0;
      for (let i = 0; i < h.length; i++)
        for (let j = i + 1; j < h.length; j++) d2 = Math.max(d2, squaredDistance(h[i]!.delta, h[j]!.delta));
      const bound = (1 + Math.sqrt(n - rule.f - 2)) * Math.sqrt(d2);
      const dist = Math.sqrt(squaredDistance(aggregate, mean));
      return {
        applies: true,
        held: dist <= bound + eps(bound),
        detail: `‖aggregate − honest mean‖ = ${dist.toPrecision(4)}, bound (1 + √${n - rule.f - 2})·D = ${bound.toPrecision(4)} (${b} Byzantine of ${n})`,
      };
    }
    default:
      return { applies: false, held: true, detail: `${rule.kind} has no robustness bound` };
  }
}

/** ‖a − b‖ / ‖b‖ (‖a‖ when b is zero): how far an aggregate is from the honest one, relatively. */
export function relativeDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = Math.sqrt(squaredDistance(a, b));
  const nb = norm(b);
  return nb === 0 ? d : d / nb;
}

/** What the heartbeat oracle needs. */
export interface HeartbeatFrame {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Longest reply time of a heartbeat that is answered, ms (below intervalMs, the heartbeat fan-out's timeout). */
  readonly replyMs: number;
  /** Extra allowance for wall-clock noise, ms (0 in sim). */
  readonly slackMs: number;
}

/**
 * Whether heartbeats sent to `id` during `at` go unanswered: the target is silent (partition,
 * crash, pause, dropped request or reply), answers with a forced status, damages its replies, or
 * answers later than the heartbeat timeout (`intervalMs`).
 */
export function heartbeatSilence(view: PlanView, id: string, at: Interval, intervalMs: number): Certainty {
  const [lo, hi] = view.replyDelayBounds(id, at);
  const late: Certainty = lo >= intervalMs ? 'always' : hi >= intervalMs ? 'maybe' : 'never';
  const damaged = view.damagesReplies(id, at) === 'never' ? 'never' : 'maybe';
  return strongest([view.silent(id, at), view.forcedStatus(id, at)?.certainty ?? 'never', damaged, late]);
}

/**
 * Whether node `id` must be active at plan time `t`, must be inactive, or either, given that the
 * coordinator heartbeats every node every intervalMs from time 0 (registration at 0 counts):
 * - inactive: unanswered ('always') for every heartbeat that could have been answered within the
 *   last heartbeatTimeoutMs, i.e. sent during [t − timeout − interval, t]: its last answer came at
 *   the latest one interval after it went silent, so it is inactive within timeout + interval;
 * - active: answered ('never' silent) for heartbeats sent during (t − timeout, t − reply time], an
 *   interval longer than one heartbeat period, so some heartbeat was answered within the timeout;
 *   or t within the timeout of the registration.
 */
export function expectActive(
  view: PlanView,
  id: string,
  t: number,
  f: HeartbeatFrame,
): 'active' | 'inactive' | 'either' {
  const silence = (at: Interval): Certainty => heartbeatSilence(view, id, at, f.intervalMs);
  const from = t - f.timeoutMs - f.intervalMs - f.slackMs;
  if (t >= f.timeoutMs + f.slackMs && silence({ fromMs: Math.max(0, from), toMs: t + 1 }) === 'always')
    return 'inactive';
  if (t < f.timeoutMs - f.slackMs) return 'active';
  const quiet = { fromMs: t - f.timeoutMs + f.slackMs, toMs: t - f.replyMs - f.slackMs };
  if (quiet.toMs - quiet.fromMs >= f.intervalMs + f.slackMs && silence(quiet) === 'never') return 'active';
  return 'either';
}
