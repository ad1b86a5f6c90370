/**
 * One run of one scenario: options through the schema, the effective plan (given, or drawn from
 * the seed), the world, the run, the guarantee bookkeeping, the trace hash, and optionally the
 * sequential baseline twin.
 *
 * The sequential baseline, defined once here for every scenario: the same seed, the same
 * effective plan and the same options in a fresh twin world (untraced, so it never changes the
 * run's trace hash), with `ctx.sequential = true`, under which a scenario runs its workload one
 * target at a time (concurrency 1, no early exit). Speedup = twin decision time / run decision
 * time, both on the world's clock. A twin re-runs the real client rather than summing observed
 * durations, because early exit, cancellation and retries make a sum of the parallel run's
 * durations a different quantity from what a sequential client would take.
 */
import type { FanOutEvent } from '@fanout/core';
import { createRng, parseFaultPlan, type FaultPlan, type FaultPlanInput } from '@fanout/sim';
import type { RunContext, Scenario } from './define.js';
import { parseOptions } from './options.js';
import type { GuaranteeCheck, Mode, RunResult, ScenarioEvent } from './types.js';
import { World, simEdge, type WorldInit } from './world.js';

/** Options of {@link runScenario}. */
export interface RunOptions {
  /** uint32 seed of the run. */
  readonly seed: number;
  /** Tier (default 'sim'). */
  readonly mode?: Mode;
  /** Scenario options as a user gives them (parsed through the scenario's schema). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Run with this plan instead of the one the seed draws (`--plan`, a replay file). */
  readonly plan?: FaultPlan | FaultPlanInput;
  /** Also run the sequential baseline twin (see the module docstring). Default false. */
  readonly baseline?: boolean;
  /** Progress events (phases, fan-out events) of the run (never of the twin). */
  readonly onEvent?: (event: ScenarioEvent) => void;
  /** Interrupts the run (passed to the scenario as `ctx.signal`). */
  readonly signal?: AbortSignal;
  /**
   * Wall-clock reader for `wallMs` (injected: the kernel runs under the determinism rule; the
   * CLI passes the real clock). Default: none (wallMs 0).
   */
  readonly wallNow?: () => number;
  /**
   * false: the run's trace is hashed (traceHash as always) but keeps no line, so `trace` has none
   * and a run holds less memory (runMany: it runs a violating seed again to keep them). Default true.
   */
  readonly traceLines?: boolean;
}

/** Names of the checks the kernel itself adds when a run misbehaves. */
export const KERNEL_CHECKS = {
  ranToCompletion: 'ran-to-completion',
  declared: 'declared-guarantees',
  /** runMany: a violating seed run again (for its trace lines) gave another trace hash. */
  deterministic: 'deterministic',
} as const;

interface Collected {
  checks: Map<string, GuaranteeCheck>;
  undeclared: string[];
  latency: number | undefined;
  facts: Record<string, string | number>;
}

/**
 * The effective plan of a run: `given` when present, else what the scenario draws for the seed.
 * @throws FaultPlanError (from @fanout/sim) naming every bad path of an invalid plan.
 */
export function effectivePlan(
  scenario: Scenario,
  seed: number,
  mode: Mode,
  options: Record<string, unknown>,
  given?: FaultPlan | FaultPlanInput,
): FaultPlan {
  if (given !== undefined) return parseFaultPlan(given);
  return parseFaultPlan(scenario.plan({ seed, mode, options, rng: createRng(seed).fork('plan') }));
}

/**
 * The resolved options of `scenario` for `mode` (live defaults, then the user's).
 * @throws OptionsError naming every bad option.
 */
export function resolveOptions(
  scenario: Scenario,
  mode: Mode,
  user?: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  // Memoised per (scenario, mode, user options object): runMany passes one object to every run,
  // and parsing it through zod each run was a visible share of a cheap run. The result is frozen
  // (deeply), so no run can change what the next one is given.
  const key = user ?? NO_USER_OPTIONS;
  let byUser = resolved.get(scenario);
  if (byUser === undefined) resolved.set(scenario, (byUser = new WeakMap()));
  let byMode = byUser.get(key);
  if (byMode === undefined) byUser.set(key, (byMode = {}));
  const hit = byMode[mode];
  if (hit !== undefined) return hit;
  const input = { ...(mode === 'live' ? scenario.liveDefaults : {}), ...key };
  const parsed = parseOptions(scenario.options, input, `${scenario.name} options`) as Record<string, unknown>;
  return (byMode[mode] = deepFreeze(parsed));
}

const NO_USER_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({});
const resolved = new WeakMap<Scenario, WeakMap<object, Partial<Record<Mode, Record<string, unknown>>>>>();

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

async function edgeFor(mode: Mode): Promise<WorldInit['edge']> {
  if (mode === 'sim') return simEdge;
  // Loaded only for live runs: sim runs never touch sockets.
  const { liveEdge } = await import('./live/edge.js');
  return liveEdge;
}

/**
 * A world outside any scenario (tests, benchmarks, a user's own harness): the tier's edge, the
 * plan validated, traced in sim unless told otherwise. Close it when done.
 * @throws FaultPlanError for a bad plan; the bind error of a live edge.
 */
export async function createWorld(o: {
  readonly seed: number;
  readonly mode?: Mode;
  readonly plan?: FaultPlan | FaultPlanInput;
  readonly traced?: boolean;
}): Promise<World> {
  const mode = o.mode ?? 'sim';
  return World.create({
    seed: o.seed,
    mode,
    plan: parseFaultPlan(o.plan ?? {}),
    traced: o.traced ?? mode === 'sim',
    edge: await edgeFor(mode),
  });
}

function makeContext(
  scenario: Scenario,
  world: World,
  options: Record<string, unknown>,
  sequential: boolean,
  signal: AbortSignal,
  onEvent: ((e: ScenarioEvent) => void) | undefined,
  out: Collected,
): RunContext<Record<string, unknown>, string> {
  const declared = new Set(scenario.guarantees);
  return {
    seed: world.seed,
    mode: world.mode,
    options,
    world,
    rng: world.rng.fork('workload'),
    sequential,
    signal,
    check(name, held, detail) {
      if (!declared.has(name)) {
        out.undeclared.push(name);
        return;
      }
      const prev = out.checks.get(name);
      if (prev !== undefined && !prev.held) return;
      out.checks.set(name, detail === undefined ? { name, held } : { name, held, detail });
    },
    latency(ms) {
      out.latency = ms;
    },
    fact(name, value) {
      out.facts[name] = value;
    },
    outcome(step, fields) {
      world.record('outcome', { ...fields, step });
    },
    phase(name) {
      onEvent?.({ type: 'phase', name });
    },
    fanOutEvents(command, labels) {
      return (e: FanOutEvent<unknown, unknown>) => {
        if (world.trace.enabled) traceTimer(world, command, e);
        onEvent?.(
          labels === undefined
            ? { type: 'fanout', command, event: e }
            : { type: 'fanout', command, event: e, labels },
        );
      };
    },
  };
}

/**
 * The client's timer decisions as 'timer' trace events (replies are already network events):
 * quorum met, deadline, a target timed out or cancelled, and a retry (`attempt`: the attempt it
 * schedules, `delayMs`: its backoff) or a hedged request (`attempt`) for a target. Retries and
 * hedges are traced only when they happen, so a run without them keeps its trace hash.
 */
function traceTimer(world: World, command: string, e: FanOutEvent<unknown, unknown>): void {
  if (e.type === 'quorum-met' || e.type === 'deadline') world.record('timer', { command, decision: e.type });
  else if (e.type === 'settled' && (e.outcome.status === 'timedOut' || e.outcome.status === 'cancelled'))
    world.record('timer', { command, decision: e.outcome.status, target: e.id });
  else if (e.type === 'retry')
    world.record('timer', {
      command,
      decision: 'retry',
      target: e.id,
      attempt: e.attempt,
      delayMs: e.delayMs,
    });
  else if (e.type === 'hedge')
    world.record('timer', { command, decision: 'hedge', target: e.id, attempt: e.attempt });
}

/** Run `scenario.run` in a fresh world; returns what it reported, or the error it threw. */
async function once(
  scenario: Scenario,
  init: { seed: number; mode: Mode; plan: FaultPlan; traced: boolean; traceLines?: boolean },
  options: Record<string, unknown>,
  sequential: boolean,
  signal: AbortSignal,
  onEvent: ((e: ScenarioEvent) => void) | undefined,
): Promise<{ out: Collected; world: World; error: unknown }> {
  const out: Collected = { checks: new Map(), undeclared: [], latency: undefined, facts: {} };
  const world = await World.create({ ...init, edge: await edgeFor(init.mode) });
  let error: unknown;
  try {
    await scenario.run(makeContext(scenario, world, options, sequential, signal, onEvent, out));
    out.latency ??= world.elapsed();
  } catch (e) {
    error = e;
  } finally {
    await world.close();
  }
  return { out, world, error };
}

function describeError(e: unknown): string {
  return e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
}

/** The declared checks in declaration order, then the kernel's own violations. */
function finalChecks(scenario: Scenario, out: Collected, error: unknown): GuaranteeCheck[] {
  const list: GuaranteeCheck[] = scenario.guarantees.map(
    (name) =>
      out.checks.get(name) ?? {
        name,
        held: false,
        detail: error === undefined ? 'never checked by the run' : 'not reached: the run threw',
      },
  );
  if (error !== undefined)
    list.push({ name: KERNEL_CHECKS.ranToCompletion, held: false, detail: describeError(error) });
  if (out.undeclared.length > 0)
    list.push({
      name: KERNEL_CHECKS.declared,
      held: false,
      detail: `reported undeclared guarantee(s): ${[...new Set(out.undeclared)].join(', ')}`,
    });
  return list;
}

/**
 * Run `scenario` once (see the module docstring for the baseline).
 * @returns the run's result; a run that throws is a result with a violated 'ran-to-completion'.
 * @throws OptionsError for bad options, FaultPlanError for a bad plan (before any world exists).
 */
export async function runScenario(scenario: Scenario, o: RunOptions): Promise<RunResult> {
  const mode = o.mode ?? 'sim';
  const wallNow = o.wallNow ?? (() => 0);
  const t0 = wallNow();
  const options = resolveOptions(scenario, mode, o.options);
  const plan = effectivePlan(scenario, o.seed, mode, options, o.plan);
  const signal = o.signal ?? new AbortController().signal;
  const traced = mode === 'sim';
  const init = { seed: o.seed, mode, plan, traced, traceLines: o.traceLines !== false };
  const main = await once(scenario, init, options, false, signal, o.onEvent);
  let sequentialMs: number | undefined;
  if (o.baseline === true && scenario.baseline && main.error === undefined) {
    const twin = await once(
      scenario,
      { seed: o.seed, mode, plan, traced: false },
      options,
      true,
      signal,
      undefined,
    );
    if (twin.error === undefined) sequentialMs = twin.out.latency;
  }
  const guarantees = finalChecks(scenario, main.out, main.error);
  const trace = traced ? main.world.trace : undefined;
  return {
    scenario: scenario.name,
    seed: o.seed,
    mode,
    guarantees,
    held: guarantees.every((g) => g.held),
    latencyMs: main.out.latency ?? NaN,
    ...(sequentialMs !== undefined && { sequentialMs }),
    ...(trace !== undefined && { traceHash: trace.hash(), trace }),
    plan,
    options,
    facts: main.out.facts,
    wallMs: wallNow() - t0,
  };
}
