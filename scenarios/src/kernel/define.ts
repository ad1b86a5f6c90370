/**
 * defineScenario: a named workload, the fault plan a seed draws, the guarantees every run must
 * report, and the run itself. The runner (run.ts) owns everything else: seeds, the world's
 * lifecycle, the effective plan, the trace, replay and trace files, the sequential baseline and
 * the determinism check.
 *
 * ```ts
 * export default defineScenario({
 *   name: 'oracle.quorum',
 *   title: 'median of the first k quotes, never held up by a slow endpoint',
 *   options: z.object({ endpoints: z.number().int().min(1).default(7) }),
 *   guarantees: ['median-of-first-k', 'no-hol'] as const,
 *   plan: ({ rng, options }) => ({ rules: [...] }),
 *   async run({ world, options, check }) { ...; check('no-hol', ok, 'why'); },
 * });
 * ```
 */
import type { FanOutEvent } from '@fanout/core';
import type { FaultPlanInput, Rng } from '@fanout/sim';
import type { z } from 'zod';
import { noOptions, type OptionsSchema } from './options.js';
import type { Mode } from './types.js';
import type { World } from './world.js';

/** What `plan()` is given: everything a seed determines before the world exists. */
export interface PlanContext<O> {
  readonly seed: number;
  readonly mode: Mode;
  readonly options: O;
  /** The plan's own stream (`createRng(seed).fork('plan')`): draw faults from it. */
  readonly rng: Rng;
}

/** What `run()` is given. */
export interface RunContext<O, G extends string> {
  readonly seed: number;
  readonly mode: Mode;
  readonly options: O;
  readonly world: World;
  /** The workload's own stream (`world.rng.fork('workload')`). */
  readonly rng: Rng;
  /**
   * True in the sequential baseline twin: run the same workload one target at a time
   * (concurrency 1, no early exit), so the runner can report the parallel speedup. The twin's
   * checks are ignored; only its decision time ({@link latency}) is used.
   */
  readonly sequential: boolean;
  /** Aborted when the run is interrupted (Ctrl-C); pass it to the client under test. */
  readonly signal: AbortSignal;
  /**
   * Report a guarantee. Only declared names are accepted (the types say so; an undeclared name
   * at run time is a violation of 'declared-guarantees'). Checking a guarantee twice keeps the
   * first violation: it holds only if every check held.
   */
  check(name: G, held: boolean, detail?: string): void;
  /** The client's decision time, ms on `world.clock` (default: the world's elapsed time at the end). */
  latency(ms: number): void;
  /** A fact for summaries (counts, grades…). */
  fact(name: string, value: string | number): void;
  /**
   * Record what the client decided as an 'outcome' trace event (sim), so that a change in the
   * client's decisions changes the trace hash even when the traffic is identical.
   */
  outcome(step: string, fields: Record<string, unknown>): void;
  /** A progress phase for the display. */
  phase(name: string): void;
  /**
   * A fan-out `onEvent` listener for `command`: forwards each event to the progress display and
   * records the client's timer decisions (quorum met, deadline, targets timed out or cancelled) as
   * 'timer' trace events.
   */
  fanOutEvents(command: string, labels?: readonly string[]): (event: FanOutEvent<unknown, unknown>) => void;
}

/** Runs per tier when the user gives no count. */
export interface DefaultRuns {
  readonly sim?: number;
  readonly live?: number;
}

/** What a scenario module declares. */
export interface ScenarioSpec<S extends OptionsSchema, G extends readonly string[]> {
  /** Dotted name, `<system>.<scenario>` (e.g. 'raida.no-hol'). */
  readonly name: string;
  /** One line for `fanout list`. */
  readonly title: string;
  /** Options schema: types, ranges, defaults and descriptions, written once. */
  readonly options?: S;
  /** Option defaults that differ in the live tier (applied before parsing, under user options). */
  readonly liveDefaults?: Partial<z.input<S>>;
  /** Every guarantee a run reports (use `as const`). */
  readonly guarantees: G;
  /** Tiers the scenario runs in (default both). */
  readonly tiers?: readonly Mode[];
  /** Runs per tier by default (100 sim, 3 live when omitted). */
  readonly defaultRuns?: DefaultRuns;
  /**
   * Whether the sequential baseline means something for this scenario (default true): when
   * false, the runner never runs a twin.
   */
  readonly baseline?: boolean;
  /** The fault plan a seed draws (default: no faults). The runner validates it. */
  plan?(ctx: PlanContext<z.output<S>>): FaultPlanInput;
  /** One run: build the system's parties in `ctx.world`, run the client, check the guarantees. */
  run(ctx: RunContext<z.output<S>, G[number]>): Promise<void>;
}

/** A scenario as the runner sees it (types erased). */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly options: OptionsSchema;
  readonly liveDefaults: Readonly<Record<string, unknown>>;
  readonly guarantees: readonly string[];
  readonly tiers: readonly Mode[];
  readonly defaultRuns: Required<DefaultRuns>;
  readonly baseline: boolean;
  plan(ctx: PlanContext<Record<string, unknown>>): FaultPlanInput;
  run(ctx: RunContext<Record<string, unknown>, string>): Promise<void>;
}

/** A scenario definition was malformed; `field` names what was wrong. */
export class ScenarioDefinitionError extends Error {
  override readonly name = 'ScenarioDefinitionError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

/**
 * Declare a scenario (see the module docstring).
 * @throws ScenarioDefinitionError for a name that is not `<system>.<name>` in lowercase, no or
 *   duplicate guarantees, no tiers, or a default run count below 1.
 */
export function defineScenario<
  S extends OptionsSchema = typeof noOptions,
  const G extends readonly string[] = readonly string[],
>(spec: ScenarioSpec<S, G>): Scenario {
  if (!NAME.test(spec.name))
    throw new ScenarioDefinitionError(
      'name',
      `scenario name must look like "system.name" (lowercase), got "${spec.name}"`,
    );
  if (spec.guarantees.length === 0)
    throw new ScenarioDefinitionError('guarantees', `${spec.name}: declare at least one guarantee`);
  if (new Set(spec.guarantees).size !== spec.guarantees.length)
    throw new ScenarioDefinitionError('guarantees', `${spec.name}: a guarantee is declared twice`);
  const tiers = spec.tiers ?? ['sim', 'live'];
  if (tiers.length === 0) throw new ScenarioDefinitionError('tiers', `${spec.name}: no tier`);
  const defaultRuns = { sim: spec.defaultRuns?.sim ?? 100, live: spec.defaultRuns?.live ?? 3 };
  if (!(defaultRuns.sim >= 1 && defaultRuns.live >= 1))
    throw new ScenarioDefinitionError('defaultRuns', `${spec.name}: default runs must be >= 1`);
  return {
    name: spec.name,
    title: spec.title,
    options: spec.options ?? noOptions,
    liveDefaults: (spec.liveDefaults ?? {}) as Record<string, unknown>,
    guarantees: [...spec.guarantees],
    tiers,
    defaultRuns,
    baseline: spec.baseline ?? true,
    plan: (ctx) => (spec.plan === undefined ? {} : spec.plan(ctx as never)),
    run: (ctx) => spec.run(ctx as never),
  };
}

/** Whether `x` looks like a {@link Scenario} (for modules loaded from a user's config). */
export function isScenario(x: unknown): x is Scenario {
  const s = x as Partial<Scenario> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.name === 'string' &&
    typeof s.run === 'function' &&
    typeof s.plan === 'function' &&
    Array.isArray(s.guarantees)
  );
}
