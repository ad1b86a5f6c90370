/**
 * Byzantine trainer behaviours, selected by the fault plan's `behave` rules
 * (`{ fault: 'behave', targets: ['trainer-3'], behaviour: 'sign-flip', window?, params? }`), so a
 * saved plan replays them and an oracle reads them from the plan. Several active rules apply in
 * plan order. Names and parameters:
 *
 * | behaviour     | params (default)     | what the trainer sends instead of its honest update            | caught as    |
 * |---------------|----------------------|-----------------------------------------------------------------|--------------|
 * | 'sign-flip'   | factor (1)           | −factor · delta                                                  | dissimilar   |
 * | 'scale'       | factor (10)          | factor · delta (same direction, larger)                          | norm-outlier |
 * | 'noise'       | sd (1)               | a delta of N(0, sd²) draws (pure noise, honest training skipped) | dissimilar   |
 * | 'stale'       | lag (1)              | trained on the model `lag` versions older it kept, labelled with that version (none kept: the task's model, labelled version − lag, or + lag at version < lag) | stale |
 * | 'replay'      | —                    | its previous update's delta under a fresh id, this round, this version | replay |
 * | 'duplicate'   | —                    | its previous update verbatim (same update id, old round)         | duplicate    |
 * | 'wrong-shape' | drop (1)             | the delta without its last `drop` values                         | wrong-shape  |
 * | 'nan'         | index (0)            | delta[index] = NaN (null on the JSON wire)                        | non-finite   |
 *
 * 'replay' and 'duplicate' need an earlier update: a trainer with none yet (its first task, or
 * after a crash that lost its state) answers honestly and notes `replay-first` / `duplicate-first`
 * in its history. Unknown names are ignored and noted as `unknown:<name>`.
 */
import type { Rng } from '@fanout/sim';

/** Behaviour names this simulator knows. */
export const BEHAVIOURS = [
  'sign-flip',
  'scale',
  'noise',
  'stale',
  'replay',
  'duplicate',
  'wrong-shape',
  'nan',
] as const;
export type BehaviourName = (typeof BEHAVIOURS)[number];

/** One active `behave` rule, as `FaultInjector.behaviours` returns it. */
export interface ActiveBehaviour {
  readonly behaviour: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A fault-plan rule (input form) that makes `targets` behave as `behaviour`. */
export function behaveRule(
  behaviour: BehaviourName,
  targets: readonly string[],
  params: Record<string, unknown> = {},
  window?: { fromMs?: number; toMs?: number },
): {
  fault: 'behave';
  behaviour: string;
  targets: string[];
  params: Record<string, unknown>;
  window?: { fromMs?: number; toMs?: number };
} {
  return {
    fault: 'behave',
    behaviour,
    targets: [...targets],
    params,
    ...(window === undefined ? {} : { window }),
  };
}

/** The update a trainer is about to send (mutable while behaviours apply). */
export interface OutgoingUpdate {
  updateId: string;
  nodeId: string;
  round: number;
  modelVersion: number;
  numSamples: number;
  delta: number[];
  trainLoss: number | null;
}

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/**
 * Apply the value-changing behaviours ('sign-flip', 'scale', 'noise', 'wrong-shape', 'nan') to
 * `u` in place. ('stale', 'replay', 'duplicate' change what is trained or sent; the trainer
 * handles them.) Returns the names applied.
 */
export function applyValueBehaviours(
  u: OutgoingUpdate,
  active: readonly ActiveBehaviour[],
  rng: Rng,
): string[] {
  const applied: string[] = [];
  for (const b of active) {
    switch (b.behaviour) {
      case 'sign-flip': {
        const f = num(b.params.factor, 1);
        u.delta = u.delta.map((v) => -f * v);
        break;
      }
      case 'scale': {
        const f = num(b.params.factor, 10);
        u.delta = u.delta.map((v) => f * v);
        break;
      }
      case 'noise': {
        const sd = Math.max(0, num(b.params.sd, 1));
        u.delta = u.delta.map(() => rng.normal(0, sd));
        break;
      }
      case 'wrong-shape': {
        const drop = Math.max(1, Math.floor(num(b.params.drop, 1)));
        u.delta = u.delta.slice(0, Math.max(0, u.delta.length - drop));
        break;
      }
      case 'nan': {
        const i = Math.min(Math.max(0, Math.floor(num(b.params.index, 0))), Math.max(0, u.delta.length - 1));
        if (u.delta.length > 0) u.delta[i] = NaN;
        break;
      }
      default:
        continue;
    }
    applied.push(b.behaviour);
  }
  return applied;
}
