/**
 * The vocabulary of the scenario kernel: tiers, guarantee checks, progress events and the result
 * of one run. A scenario declares its guarantees once; the runner checks that every run reports
 * each of them, in both tiers.
 */
import type { FanOutEvent } from '@fanout/core';
import type { FaultPlan, Trace } from '@fanout/sim';

/** `sim`: in-process, virtual time, deterministic. `live`: real sockets on 127.0.0.1, wall time. */
export type Mode = 'sim' | 'live';

/** Every tier, in documentation order. */
export const MODES: readonly Mode[] = ['sim', 'live'];

/** One guarantee as checked by one run. */
export interface GuaranteeCheck {
  readonly name: string;
  readonly held: boolean;
  /** What went wrong (or a short confirmation), for people. */
  readonly detail?: string;
}

/**
 * Progress from inside a run, for a progress display: a named phase, or one event of a fan-out
 * (`command` names the fan-out, e.g. 'detect', 'dkgRound1', 'signBatch').
 */
export type ScenarioEvent =
  | { readonly type: 'phase'; readonly name: string }
  | {
      readonly type: 'fanout';
      readonly command: string;
      readonly event: FanOutEvent<unknown, unknown>;
      /** Display names of the fan-out's targets by index (default: their ids). */
      readonly labels?: readonly string[];
    };

/** What one run of a scenario produced. */
export interface RunResult {
  readonly scenario: string;
  readonly seed: number;
  readonly mode: Mode;
  /**
   * One check per declared guarantee, in declaration order; a run that threw, left a declared
   * guarantee unchecked or reported an undeclared one carries a violated kernel check
   * ('ran-to-completion', 'declared-guarantees') after them.
   */
  readonly guarantees: readonly GuaranteeCheck[];
  /** True when every check held. */
  readonly held: boolean;
  /** The client's decision time, ms on the world's clock (virtual in sim, wall in live). */
  readonly latencyMs: number;
  /**
   * The same run's decision time in the sequential baseline (the kernel's one definition: the
   * same seed, plan and workload in a fresh twin world, one target at a time), ms; undefined
   * when no baseline was run.
   */
  readonly sequentialMs?: number;
  /** SHA-256 of the run's trace (sim only). */
  readonly traceHash?: string;
  /**
   * The whole trace (sim only); the runner keeps it only for violating runs. A run made with
   * `traceLines: false` (runMany's) keeps no line, only the hash; runMany hands `onRun` the
   * re-run of a violating seed, with its lines.
   */
  readonly trace?: Trace;
  /** The effective fault plan of the run (drawn from the seed, or given). */
  readonly plan: FaultPlan;
  /** The scenario options the run used, after defaults. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Free-form facts for summaries (counts, grades, …). */
  readonly facts: Readonly<Record<string, string | number>>;
  /** Wall time the run took, ms (both tiers; for runs per second). */
  readonly wallMs: number;
}
