/**
 * The timing guarantees of FROST, read from the effective plan: no head-of-line blocking with
 * quorum exit (frost.no-hol) and round time parallel ≈ the slowest participant, sequential ≈ the
 * sum (frost.round-time). Both bound virtual time from the plan's latencies; a plan whose other
 * faults make the bound meaningless is judged "not required" and says why.
 */
import type { PlanView } from '../kernel/plan-view.js';
import { COORDINATOR, participantTarget, storeGetTarget, storeTarget, type InboundStep } from './plan.js';
import { answerOutlook, exchangeBounds, hazardsOf, type TimingParams } from './timing.js';

/** What the plan says about a quorum-exit signing session with slow participants. */
export interface NoHolExpectation {
  /** Participants whose store latency is at least `slowMs` (0-based). */
  readonly slow: readonly number[];
  /** Certainly honest, untouched by any fault but latency, and fast. */
  readonly prompt: readonly number[];
  /** Bound of the whole session (invite → aggregate), ms: 9 fast exchanges + 5 polls + think. */
  readonly boundMs: number;
  /** The fastest possible reply of a slow participant's ARIDs, ms. */
  readonly slowestLoMs: number;
  /** Whether the guarantees apply: ≥ minSigners prompt participants, and the slow ones slower than the bound. */
  readonly required: boolean;
  readonly why: string;
}

/**
 * Read the no-HOL expectation (invite put 1 exchange; each round: the invitee reads (1 + a poll),
 * writes (1), the coordinator reads (1 + a poll); the signFinalize puts (1): 9 exchanges + 4 polls,
 * plus a poll of slack, plus the prompt participants' think times at both requests).
 */
export function noHolExpectation(
  view: PlanView,
  n: number,
  minSigners: number,
  t: TimingParams,
  slowMs: number,
): NoHolExpectation {
  const ids = Array.from({ length: n }, (_, i) => i);
  const store = ids.map((i) => exchangeBounds(view, storeTarget(i)));
  const slow = ids.filter((i) => store[i]![0] >= slowMs);
  const steps: InboundStep[] = ['signInvite', 'signRound2'];
  const clean = (i: number): boolean =>
    hazardsOf(view, i, t).length === 0 &&
    steps.every((s) => answerOutlook(view, i, s, n, t).fails === 'never');
  const prompt = ids.filter((i) => !slow.includes(i) && clean(i));
  const op = (i: number): number =>
    store[i]![1] +
    exchangeBounds(view, storeGetTarget(i))[1] +
    Math.max(exchangeBounds(view, COORDINATOR)[1], exchangeBounds(view, participantTarget(i))[1]);
  const opHi = Math.max(0, ...prompt.map(op));
  const think = (s: InboundStep): number =>
    Math.max(0, ...prompt.map((i) => answerOutlook(view, i, s, n, t).acts.thinkMs[1]));
  const boundMs = 9 * opHi + 5 * t.pollIntervalMs + think('signInvite') + think('signRound2');
  const slowestLoMs = Math.min(Infinity, ...slow.map((i) => store[i]![0]));
  const required = prompt.length >= minSigners && slow.length > 0 && slowestLoMs > boundMs;
  const why = required
    ? `${slow.length} participant(s) at ≥ ${slowMs} ms [${slow.map(participantTarget).join(', ')}], ` +
      `${prompt.length} prompt; bound ${boundMs.toFixed(0)} ms`
    : `not required: ${prompt.length} prompt participant(s) (need ${minSigners}), ${slow.length} slow, ` +
      `slowest reply ≥ ${slowestLoMs} ms vs bound ${boundMs.toFixed(0)} ms`;
  return { slow, prompt, boundMs, slowestLoMs, required, why };
}

/** Measured times of the DKG invite and round 1 in one coordinator mode, ms. */
export interface RoundTimes {
  readonly ok: boolean;
  readonly inviteMs: number;
  readonly collectMs: number;
  readonly sendMs: number;
}

/** What the plan says about one round of `n` participants. */
export interface RoundTimeBounds {
  /** Slowest participant's exchange bound (store + link), ms. */
  readonly maxHiMs: number;
  /** Sums of the participants' lower and upper bounds, ms. */
  readonly sumLoMs: number;
  readonly sumHiMs: number;
  /** Whether the plan is latency only (the bounds hold); else why not. */
  readonly applies: boolean;
  readonly why: string;
}

/** Read round-time bounds from the plan (latency of each participant's ARIDs and links). */
export function roundTimeBounds(view: PlanView, n: number): RoundTimeBounds {
  const ids = Array.from({ length: n }, (_, i) => i);
  const c = exchangeBounds(view, COORDINATOR);
  const per = ids.map((i) => {
    const s = exchangeBounds(view, storeTarget(i));
    const g = exchangeBounds(view, storeGetTarget(i));
    const p = exchangeBounds(view, participantTarget(i));
    return [s[0] + Math.min(c[0], p[0]), s[1] + g[1] + Math.max(c[1], p[1])] as const;
  });
  const rules = view.plan.rules.map((r) => r.fault);
  const applies = rules.length === 0;
  return {
    maxHiMs: Math.max(0, ...per.map((b) => b[1])),
    sumLoMs: per.reduce((a, b) => a + b[0], 0),
    sumHiMs: per.reduce((a, b) => a + b[1], 0),
    applies,
    why: applies
      ? 'latency only'
      : `not required: the plan has ${rules.join(', ')} rules (bounds hold for latency only)`,
  };
}

/** Whether parallel round times stay near the slowest participant (invite, send ≤ max; collect ≤ 2 max + a poll). */
export function parallelNearMax(b: RoundTimeBounds, r: RoundTimes, pollMs: number): boolean {
  return (
    r.ok &&
    r.inviteMs <= b.maxHiMs + 50 &&
    r.collectMs <= 2 * b.maxHiMs + pollMs + 50 &&
    r.sendMs <= b.maxHiMs + 50
  );
}

/** Whether sequential round times add up (invite, collect, send ≥ the sum; collect ≤ 2 sums + a poll each). */
export function sequentialNearSum(b: RoundTimeBounds, r: RoundTimes, n: number, pollMs: number): boolean {
  return (
    r.ok &&
    r.inviteMs >= b.sumLoMs &&
    r.sendMs >= b.sumLoMs &&
    r.collectMs >= b.sumLoMs &&
    r.collectMs <= 2 * b.sumHiMs + n * pollMs + 50
  );
}
