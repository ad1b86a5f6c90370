/**
 * What every Prime scenario shares: the test seams (a deliberately broken coordinator, to show the
 * guarantees catch it), building the parties with the progress board and trace wired in, running a
 * round as the tier and the sequential baseline want it, and recording the coordinator's decision
 * in the trace (so a change in decisions changes the trace hash even when the traffic is the same).
 */
import {
  deltaDigest,
  type AggregationRuleInput,
  type Coordinator,
  type CoordinatorConfigInput,
  type CoordinatorEvent,
  type RoundOptions,
  type RoundReport,
} from '@fanout/prime';
import type { RunContext } from '../kernel/define.js';
import type { Mode } from '../kernel/types.js';
import { forwardCoordinatorEvents } from './events.js';
import { buildPrimeWorld, type PrimeParties, type PrimeWorldSpec } from './world.js';

/** Test seams of the Prime scenarios; the defaults are the production behaviour. */
export interface PrimeScenarioSeams {
  /**
   * Rewrites the coordinator config of every world of scenario `scenario` (e.g. minNodesForRound 1,
   * FedAvg instead of the robust rule). The oracle keeps reading the scenario's own options.
   */
  readonly configure?: (config: CoordinatorConfigInput, scenario: string) => CoordinatorConfigInput;
  /** Rewrites the options of every round (e.g. no early close). */
  readonly roundOptions?: (options: RoundOptions, scenario: string) => RoundOptions;
}

/** A Prime scenario's run context (types erased). */
export type Ctx = RunContext<Record<string, unknown>, string>;

/** Wall-clock allowance of live oracles, ms (0 in sim, where time is exact). */
export function slackOf(mode: Mode): number {
  return mode === 'live' ? 250 : 0;
}

/**
 * Build the parties of `ctx.world` for scenario `name`: the seams' config, coordinator events to
 * the board (`ctx.fanOutEvents`, one listener per round) and to `also`.
 */
export function buildFor(
  ctx: Ctx,
  seams: PrimeScenarioSeams,
  name: string,
  spec: PrimeWorldSpec,
  also?: (e: CoordinatorEvent) => void,
): Promise<PrimeParties> {
  const config = seams.configure?.(spec.config ?? {}, name) ?? spec.config ?? {};
  return buildPrimeWorld(ctx.world, {
    ...spec,
    config,
    onEvent: forwardCoordinatorEvents((command, labels) => ctx.fanOutEvents(command, labels), also),
  });
}

/** Round options as the run wants them: the sequential twin asks one trainer at a time, without early close. */
export function roundOptionsFor(
  ctx: Ctx,
  seams: PrimeScenarioSeams,
  name: string,
  options: RoundOptions = {},
): RoundOptions {
  const base: RoundOptions = ctx.sequential
    ? { ...options, signal: ctx.signal, concurrency: 1, closeAfter: undefined }
    : { ...options, signal: ctx.signal };
  const o = seams.roundOptions?.(base, name) ?? base;
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as RoundOptions;
}

/** The coordinator's decision on a round as an 'outcome' trace event. */
export function recordRound(ctx: Ctx, step: string, r: RoundReport): void {
  ctx.outcome(step, {
    round: r.round,
    status: r.status,
    reason: r.reason ?? null,
    accepted: [...r.acceptedUpdateIds],
    rejected: r.detections.map((d) => `${d.nodeId}:${d.reason}`),
    outcomes: [...r.outcomes.values()].map((o) => `${o.nodeId}:${o.status}`),
    aggregate: r.aggregate === undefined ? null : deltaDigest(r.aggregate).slice(0, 16),
  });
}

/**
 * Run one round on `coordinator` (options through {@link roundOptionsFor}) and record it.
 * @returns the report and the model before and after.
 */
export async function runRoundFor(
  ctx: Ctx,
  seams: PrimeScenarioSeams,
  name: string,
  coordinator: Coordinator,
  options: RoundOptions = {},
): Promise<{ report: RoundReport; before: Float64Array; after: Float64Array }> {
  const before = coordinator.params;
  const report = await coordinator.runRound(roundOptionsFor(ctx, seams, name, options));
  recordRound(ctx, 'round', report);
  return { report, before, after: coordinator.params };
}

/** Plan time (ms since the world started) of a coordinator clock time. */
export function planTime(ctx: Ctx, clockMs: number): number {
  return clockMs - ctx.world.startedAt;
}

/** Aggregation rules a scenario or the demo may name. */
export const RULES = ['fedavg', 'median', 'trimmed-mean', 'krum', 'multi-krum'] as const;
export type RuleName = (typeof RULES)[number];

/** The rule input for `name`: trimmed mean trims β = `byzantineTolerance`, Krum's f is left to its default. */
export function ruleInput(name: RuleName, byzantineTolerance: number): AggregationRuleInput {
  return name === 'trimmed-mean' ? { kind: name, trim: byzantineTolerance } : { kind: name };
}
