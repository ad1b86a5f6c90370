/**
 * Trainer faults and Byzantine behaviours as fault-plan rules, and how the Prime oracle reads them
 * back. A scenario draws what each trainer does from its seed and turns it into rules
 * ({@link trainerFaultRules}, {@link byzantineRules}); the oracle never looks at the draws again:
 * it asks the effective plan (oracle.ts), so a hand-edited plan gives an honest verdict.
 *
 * Behaviour names are @fanout/sim-prime's (simulators/prime/src/behaviours.ts): value behaviours
 * 'sign-flip' {factor}, 'scale' {factor}, 'noise' {sd} are caught by screening; structural ones
 * 'nan', 'wrong-shape', 'stale', 'replay', 'duplicate' are rejected on arrival (checkUpdate).
 */
import type { FaultPlanInput, Rng } from '@fanout/sim';
import type { PrimeData } from './world.js';
import { trainerId } from './world.js';

type Rules = NonNullable<FaultPlanInput['rules']>;

/** What one trainer does in a round-quorum run (each becomes plan rules). */
export type TrainerFault =
  | 'honest'
  | 'crash' // down for the whole run: connection refused
  | 'partition' // unreachable: the task times out
  | 'dropReply' // trains, but the answer is lost
  | 'error' // answers HTTP 500 instead of an update
  | 'slow' // honest, but answers after the round's deadline
  | 'nan' // behave 'nan': a NaN in the delta (rejected on arrival: non-finite)
  | 'wrong-shape' // behave 'wrong-shape' (rejected on arrival)
  | 'stale'; // behave 'stale': labelled with another model version (rejected on arrival)

/** Faults that keep a trainer's update from counting. */
export const NO_VALID_UPDATE: readonly TrainerFault[] = [
  'crash',
  'partition',
  'dropReply',
  'error',
  'slow',
  'nan',
  'wrong-shape',
  'stale',
];

/** Behaviours rejected on arrival, before screening (checkUpdate in @fanout/prime update.ts). */
export const STRUCTURAL: ReadonlySet<string> = new Set(['nan', 'wrong-shape', 'stale']);

/** Behaviours that resend an earlier update (rejected once the coordinator has seen the original). */
export const RESENDING: ReadonlySet<string> = new Set(['replay', 'duplicate']);

/**
 * Plan rules realising `faults` (trainer i at index i); a slow trainer's answers are delayed by
 * `slowMs` (give more than the round's deadline).
 */
export function trainerFaultRules(faults: readonly TrainerFault[], slowMs: number): Rules {
  const rules: Rules = [];
  const targetsOf = (f: TrainerFault): string[] => faults.flatMap((x, i) => (x === f ? [trainerId(i)] : []));
  const add = (f: TrainerFault, rule: Record<string, unknown>): void => {
    const targets = targetsOf(f);
    if (targets.length > 0) rules.push({ ...rule, targets } as never);
  };
  add('crash', { fault: 'crash', atMs: 0 });
  add('partition', { fault: 'partition' });
  add('dropReply', { fault: 'dropReply' });
  add('error', { fault: 'forceStatus', status: 500 });
  add('slow', { fault: 'delay', latency: { kind: 'constant', ms: slowMs } });
  for (const b of ['nan', 'wrong-shape', 'stale'] as const)
    add(b, { fault: 'behave', behaviour: b, params: {} });
  return rules;
}

/** A one-line description of trainer faults for the plan's `description`. */
export function describeFaults(faults: readonly string[]): string {
  const odd = faults.map((f, i) => (f === 'honest' ? '' : `${i}=${f}`)).filter(Boolean);
  return `trainers: ${odd.join(' ') || 'all honest'}`;
}

/** One Byzantine trainer's behaviour, as a `behave` rule carries it. */
export interface ByzantineBehaviour {
  readonly behaviour: 'sign-flip' | 'scale' | 'noise';
  readonly params: Readonly<Record<string, number>>;
}

/** A value behaviour drawn from `rng`: sign-flip ×{1,2,5}, scale ×{−10,−3,5,10}, noise sd {0.5,1,2}. */
export function drawByzantine(rng: Rng): ByzantineBehaviour {
  switch (rng.pick(['sign-flip', 'scale', 'noise'] as const)) {
    case 'sign-flip':
      return { behaviour: 'sign-flip', params: { factor: rng.pick([1, 2, 5]) } };
    case 'scale':
      return { behaviour: 'scale', params: { factor: rng.pick([-10, -3, 5, 10]) } };
    case 'noise':
      return { behaviour: 'noise', params: { sd: rng.pick([0.5, 1, 2]) } };
  }
}

/** `behave` rules for Byzantine trainers: `byIndex` maps trainer index → behaviour. */
export function byzantineRules(byIndex: ReadonlyMap<number, ByzantineBehaviour>): Rules {
  return [...byIndex].map(([i, b]) => ({
    fault: 'behave' as const,
    targets: [trainerId(i)],
    behaviour: b.behaviour,
    params: { ...b.params },
  }));
}

/** A one-line description of Byzantine behaviours. */
export function describeByzantine(byIndex: ReadonlyMap<number, ByzantineBehaviour>): string {
  const parts = [...byIndex].map(
    ([i, b]) =>
      `${i}=${b.behaviour}(${Object.entries(b.params)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
  );
  return `Byzantine trainers: ${parts.join(' ') || 'none'}`;
}

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/**
 * Whether screening surely catches a value behaviour ('always'), or may let it through ('maybe'),
 * on `data` with the world's thresholds, given that Byzantine updates are fewer than half of those
 * screened (the median reference and the median norm are then the honest ones').
 *
 * Synthetic, full batch (cosine of honest updates to the median ≥ 0.93, norm ratios within
 * 0.9–1.1; docs/prime.md): a flipped direction (sign-flip with factor > 0, scale with factor < 0)
 * has cosine ≤ −0.93 < 0.8; scale ≥ 3 has a norm ratio ≥ 2.7 > 2; noise (sd ≥ 0.5 per coordinate
 * of 15) has a norm 15–40× an honest update's. Iris (similarity threshold 0, honest norm ratios
 * 0.6–1.66): a flipped direction is caught (honest cosines are > 0), scale only from ×10, noise
 * from sd 0.5 (by its norm).
 */
export function surelyScreened(
  data: PrimeData,
  behaviour: string,
  params: Readonly<Record<string, unknown>>,
): boolean {
  const factor =
    behaviour === 'sign-flip'
      ? -num(params['factor'], 1)
      : behaviour === 'scale'
        ? num(params['factor'], 10)
        : 1;
  if (behaviour === 'sign-flip' || behaviour === 'scale') {
    if (factor < 0) return true;
    return data === 'synthetic' ? factor >= 3 : factor >= 10;
  }
  if (behaviour === 'noise') return num(params['sd'], 1) >= 0.5;
  return false;
}
