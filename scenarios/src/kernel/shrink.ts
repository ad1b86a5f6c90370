/**
 * Shrinking a violating run to a minimal one, by delta debugging (Zeller & Hildebrandt's ddmin,
 * the idea behind the shrinkers of fast-check and Hypothesis) over the data a run is made of: its
 * fault plan and its scenario options. The seed stays fixed; every candidate is run for real and
 * kept only when the SAME guarantee is still violated (and, if the original run completed, the
 * candidate completes too), so the result is always a genuine counterexample, replayable as is.
 *
 * Passes, repeated in this order until a whole round changes nothing or the run budget is spent:
 * 1. drop-rules — ddmin over the plan's rules;
 * 2. merge-rules — move one rule's targets into another rule and drop the first (fewer rules,
 *    same targets faulted, possibly by a simpler fault);
 * 3. fewer-targets — ddmin over each rule's targets (a group, or "every target" as seen in the
 *    first run's trace, is first written out as explicit ids);
 * 4. drop-latency — ddmin over per-target latencies, then the default latency;
 * 5. narrow-windows — raise the start and lower the end of each bounded window (crash: atMs and
 *    restartAfterMs), by binary search on a grid of at most {@link WINDOW_GRID} points;
 * 6. lower-probabilities — binary search of each random rule's probability (p < 1) down to
 *    1/100 steps (a certain rule stays certain: lowering it only hides which exchange mattered);
 * 7. options — through the scenario's option schema ({@link describeOptions}): integers toward
 *    their minimum (binary search), other options back to their default (an optional one
 *    without default is removed);
 * 8. drop-groups — named groups no rule uses any more.
 * Last, when anything changed, the plan's description says it was shrunk (verified by a run too:
 * the trace of the minimal run is the trace of the plan exactly as returned).
 * Each candidate is validated first (plan schema, option schema); invalid ones cost no run.
 * Runs are deterministic (sim), candidates are tried in a fixed order and results are
 * memoised, so the same input always shrinks to the same output in the same number of runs.
 */
import {
  FaultPlanError,
  parseFaultPlan,
  type FaultPlan,
  type FaultPlanInput,
  type FaultRule,
} from '@fanout/sim';
import type { Scenario } from './define.js';
import { describeOptions, OptionsError, type OptionInfo, type OptionsSchema } from './options.js';
import { KERNEL_CHECKS, resolveOptions, runScenario } from './run.js';
import type { Mode, RunResult } from './types.js';

/** Runs a shrink makes at most by default (the first run included). */
export const DEFAULT_SHRINK_RUNS = 200;

/** Points of the grid on which a window edge is searched (about log2 of it runs per edge). */
export const WINDOW_GRID = 64;

/** Probabilities are lowered in steps of 1/PROBABILITY_STEPS. */
export const PROBABILITY_STEPS = 100;

/** The shrinking passes, in the order they run (see the module docstring). */
export type ShrinkPass =
  | 'drop-rules'
  | 'merge-rules'
  | 'fewer-targets'
  | 'drop-latency'
  | 'narrow-windows'
  | 'lower-probabilities'
  | 'options'
  | 'drop-groups'
  | 'describe';

/** How big a counterexample is. */
export interface ShrinkSize {
  /** Rules in the plan. */
  readonly rules: number;
  /**
   * Target ids the plan names: summed over rules (a group counts its members; a rule naming
   * every target counts 0), plus per-target latency entries.
   */
  readonly targets: number;
  /** Scenario options whose value differs from the schema's default (absent optional: none). */
  readonly options: number;
}

/** One accepted simplification. */
export interface ShrinkStep {
  readonly pass: ShrinkPass;
  /** What changed, for people, e.g. 'dropped 3 rule(s): dropRequest#1, crash#4, partition#5'. */
  readonly change: string;
  /** Runs made when it was found (the first run included). */
  readonly run: number;
  /** Size after the step. */
  readonly size: ShrinkSize;
}

/** Options of {@link shrinkRun}. */
export interface ShrinkOptions {
  /** uint32 seed of the violating run (kept fixed). */
  readonly seed: number;
  /** Tier; only 'sim' (deterministic) can be shrunk. Default 'sim'. */
  readonly mode?: Mode;
  /** Scenario options of the violating run (parsed through the scenario's schema). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The violating run's effective plan. */
  readonly plan: FaultPlan | FaultPlanInput;
  /** The guarantee that must stay violated (default: the first violated one of the first run). */
  readonly guarantee?: string;
  /** Most runs to make, the first included (integer >= 1; default {@link DEFAULT_SHRINK_RUNS}). */
  readonly maxRuns?: number;
  /** Called with each accepted simplification as it is found. */
  readonly onStep?: (step: ShrinkStep) => void;
  /** Stops the search (the best counterexample so far is returned). */
  readonly signal?: AbortSignal;
}

/** What {@link shrinkRun} found. */
export interface ShrinkResult {
  readonly scenario: string;
  readonly seed: number;
  /** The guarantee kept violated. */
  readonly guarantee: string;
  /** The minimal plan and options (equal to the input when nothing could be removed). */
  readonly plan: FaultPlan;
  readonly options: Readonly<Record<string, unknown>>;
  /** The run of the minimal plan and options (with its trace and trace hash). */
  readonly result: RunResult;
  /** The first run (the input as given). */
  readonly initial: RunResult;
  readonly before: ShrinkSize;
  readonly after: ShrinkSize;
  /** Accepted simplifications, in order. */
  readonly steps: readonly ShrinkStep[];
  /** Runs made, the first included (<= maxRuns). */
  readonly runs: number;
  /**
   * True when the budget (or the signal) ran out before a whole round of passes changed nothing:
   * the result is a genuine counterexample but may not be minimal (raise maxRuns).
   */
  readonly exhausted: boolean;
}

/** Shrinking could not start; `field` names the input that was wrong ('mode', 'guarantee', 'maxRuns', 'plan'). */
export class ShrinkError extends Error {
  override readonly name: string = 'ShrinkError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The first run violates nothing (field 'plan'), or not the guarantee asked for ('guarantee'). */
export class NothingToShrinkError extends ShrinkError {
  override readonly name = 'NothingToShrinkError';
}

type Options = Readonly<Record<string, unknown>>;
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const label = (r: FaultRule, i: number): string => `${r.fault}#${i}`;

/** The ids a rule names (explicit targets plus its group's members), or undefined for every target. */
function namedTargets(plan: FaultPlan, rule: FaultRule): string[] | undefined {
  if (rule.targets === undefined && rule.group === undefined) return undefined;
  const ids = [...(rule.targets ?? []), ...(rule.group === undefined ? [] : (plan.groups[rule.group] ?? []))];
  return [...new Set(ids)];
}

/** A rule aimed at exactly `targets` (its group dropped). */
function withTargets(rule: FaultRule, targets: readonly string[]): FaultRule {
  const { group: _g, ...rest } = rule as FaultRule & { group?: string };
  return { ...rest, targets: [...targets] } as FaultRule;
}

/** A bounded time window of a rule: its window, or a crash's down time; undefined when open. */
function windowOf(rule: FaultRule): { from: number; to: number } | undefined {
  if (rule.fault === 'crash')
    return rule.restartAfterMs === undefined
      ? undefined
      : { from: rule.atMs, to: rule.atMs + rule.restartAfterMs };
  const w = (rule as { window?: { fromMs: number; toMs?: number } }).window;
  return w?.toMs === undefined ? undefined : { from: w.fromMs, to: w.toMs };
}

function setWindow(rule: FaultRule, from: number, to: number): FaultRule {
  if (rule.fault === 'crash') return { ...rule, atMs: from, restartAfterMs: to - from };
  return { ...rule, window: { fromMs: from, toMs: to } } as FaultRule;
}

/** The lowest value an integer option's schema allows (zod 4's `minValue`), if it says. */
function integerMinimum(schema: OptionsSchema, name: string): number | undefined {
  type Node = { _zod: { def: { type: string; innerType?: Node } }; minValue?: number | null };
  let t = schema.shape[name] as unknown as Node | undefined;
  while (t !== undefined && ['default', 'optional', 'nullable', 'prefault'].includes(t._zod.def.type))
    t = t._zod.def.innerType;
  return typeof t?.minValue === 'number' && Number.isFinite(t.minValue) ? t.minValue : undefined;
}

/**
 * The size of a counterexample (see {@link ShrinkSize}).
 * @param options resolved options (defaults filled in) of `scenario`.
 */
export function shrinkSize(scenario: Scenario, plan: FaultPlan, options: Options): ShrinkSize {
  const targets =
    plan.rules.reduce((n, r) => n + (namedTargets(plan, r)?.length ?? 0), 0) +
    Object.keys(plan.latency.perTarget).length;
  const changed = describeOptions(scenario.options).filter(
    (o: OptionInfo) => options[o.name] !== undefined && !same(options[o.name], o.default),
  ).length;
  return { rules: plan.rules.length, targets, options: changed };
}

/**
 * ddmin over `items`: the smallest sublist (order kept) for which `test` holds, found by removing
 * ever smaller chunks; `test(items)` is known to hold. At least `minLength` items are kept.
 */
async function ddmin<T>(
  items: readonly T[],
  minLength: number,
  test: (kept: readonly T[]) => Promise<boolean>,
  stop: () => boolean,
): Promise<readonly T[]> {
  let current = items;
  if (minLength === 0 && current.length > 0 && (await test([]))) return [];
  let n = 2;
  while (current.length >= 2 && !stop()) {
    const size = Math.ceil(current.length / n);
    let reduced = false;
    for (let at = 0; at < current.length && !stop(); at += size) {
      const complement = [...current.slice(0, at), ...current.slice(at + size)];
      if (complement.length < Math.max(minLength, 1) || complement.length === current.length) continue;
      if (await test(complement)) {
        current = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(n * 2, current.length);
    }
  }
  return current;
}

/** The search state: the best counterexample so far, the run budget and the memo of candidates. */
class Search {
  readonly steps: ShrinkStep[] = [];
  runs = 0;
  exhausted = false;
  best: { plan: FaultPlan; options: Options; result: RunResult };
  readonly #memo = new Map<string, boolean>();

  constructor(
    readonly scenario: Scenario,
    readonly o: {
      seed: number;
      guarantee: string;
      completed: boolean;
      maxRuns: number;
      signal: AbortSignal | undefined;
      onStep: ((s: ShrinkStep) => void) | undefined;
    },
    initial: RunResult,
  ) {
    this.runs = 1;
    this.best = { plan: initial.plan, options: initial.options, result: initial };
    this.#memo.set(this.#key(initial.plan, initial.options), true);
  }

  #key(plan: FaultPlan, options: Options): string {
    return JSON.stringify([plan, options]);
  }

  /** Whether the budget or the signal says stop. */
  stop = (): boolean => {
    if (this.runs >= this.o.maxRuns || this.o.signal?.aborted === true) this.exhausted = true;
    return this.exhausted;
  };

  /** Whether a run shows the same violation (see the module docstring). */
  #violates(r: RunResult): boolean {
    const g = r.guarantees.find((x) => x.name === this.o.guarantee);
    const threw = r.guarantees.some((x) => x.name === KERNEL_CHECKS.ranToCompletion && !x.held);
    return g !== undefined && !g.held && !(this.o.completed && threw);
  }

  /**
   * Try a candidate; when it still violates, it becomes the best and the step is recorded.
   * Invalid candidates, repeated ones and those past the budget cost no run (and fail).
   */
  async attempt(
    pass: ShrinkPass,
    change: string,
    plan: FaultPlanInput,
    options: Options = this.best.options,
  ): Promise<boolean> {
    let parsed: FaultPlan;
    let resolved: Options;
    try {
      parsed = parseFaultPlan(plan);
      resolved = resolveOptions(this.scenario, 'sim', options);
    } catch (e) {
      if (e instanceof FaultPlanError || e instanceof OptionsError) return false;
      throw e;
    }
    const key = this.#key(parsed, resolved);
    if (key === this.#key(this.best.plan, this.best.options)) return false;
    if (this.#memo.get(key) === false) return false;
    if (this.stop()) return false;
    this.runs++;
    const result = await runScenario(this.scenario, {
      seed: this.o.seed,
      mode: 'sim',
      plan: parsed,
      options: resolved,
      ...(this.o.signal !== undefined && { signal: this.o.signal }),
    });
    const ok = this.#violates(result);
    this.#memo.set(key, ok);
    if (!ok) return false;
    this.best = { plan: result.plan, options: result.options, result };
    const step = {
      pass,
      change,
      run: this.runs,
      size: shrinkSize(this.scenario, result.plan, result.options),
    };
    this.steps.push(step);
    this.o.onStep?.(step);
    return true;
  }

  /** The best plan with rule `i` replaced. */
  withRule(i: number, rule: FaultRule): FaultPlanInput {
    const rules = [...this.best.plan.rules];
    rules[i] = rule;
    return { ...this.best.plan, rules };
  }
}

async function dropRules(s: Search): Promise<void> {
  const all = s.best.plan.rules;
  await ddmin(
    all,
    0,
    (kept) => {
      const gone = all.flatMap((r, i) => (kept.includes(r) ? [] : [label(r, i)]));
      return s.attempt('drop-rules', `dropped ${gone.length} rule(s): ${gone.join(', ')}`, {
        ...s.best.plan,
        rules: [...kept],
      });
    },
    s.stop,
  );
}

/** Merge rule `i` (or every rule in `from`) into rule `into`, whose kind, window and probability win. */
async function mergeInto(s: Search, into: number, from: readonly number[]): Promise<boolean> {
  const plan = s.best.plan;
  const target = plan.rules[into]!;
  const ids = [...(namedTargets(plan, target) ?? [])];
  for (const i of from)
    for (const id of namedTargets(plan, plan.rules[i]!) ?? []) if (!ids.includes(id)) ids.push(id);
  const rules = plan.rules.flatMap((r, i) =>
    i === into ? [withTargets(r, ids)] : from.includes(i) ? [] : [r],
  );
  const names = from.map((i) => label(plan.rules[i]!, i)).join(', ');
  return s.attempt('merge-rules', `merged ${names} into ${label(target, into)}`, { ...plan, rules });
}

async function mergeRules(s: Search): Promise<void> {
  const named = (): number[] =>
    s.best.plan.rules.flatMap((r, i) => (namedTargets(s.best.plan, r) === undefined ? [] : [i]));
  // First everything into one rule, then pairs.
  for (let into = 0; into < s.best.plan.rules.length && !s.stop(); into++) {
    const others = named().filter((i) => i !== into);
    if (named().includes(into) && others.length > 1 && (await mergeInto(s, into, others))) return;
  }
  let merged = true;
  while (merged && !s.stop()) {
    merged = false;
    const list = named();
    for (const into of list) {
      for (const from of list) {
        if (from === into || s.stop()) continue;
        if (await mergeInto(s, into, [from])) {
          merged = true;
          break;
        }
      }
      if (merged) break;
    }
  }
}

async function fewerTargets(s: Search, universe: readonly string[]): Promise<void> {
  for (let i = 0; i < s.best.plan.rules.length && !s.stop(); i++) {
    const rule = s.best.plan.rules[i]!;
    let ids = namedTargets(s.best.plan, rule);
    if (ids === undefined || rule.group !== undefined) {
      // Write the group (or every target seen in the first run) out as ids: same faults, verified.
      ids ??= [...universe];
      if (ids.length === 0) continue;
      const said = rule.group === undefined ? 'every target' : `group "${rule.group}"`;
      if (
        !(await s.attempt(
          'fewer-targets',
          `${label(rule, i)}: ${said} → ${ids.join(', ')}`,
          s.withRule(i, withTargets(rule, ids)),
        ))
      )
        continue;
    }
    const before = ids;
    await ddmin(
      before,
      1,
      (kept) =>
        s.attempt(
          'fewer-targets',
          `${label(rule, i)}: targets ${before.length} → ${kept.length} (${kept.join(', ')})`,
          s.withRule(i, withTargets(rule, kept)),
        ),
      s.stop,
    );
  }
}

async function dropLatency(s: Search): Promise<void> {
  const entries = Object.entries(s.best.plan.latency.perTarget);
  await ddmin(
    entries,
    0,
    (kept) => {
      const gone = entries.filter((e) => !kept.includes(e)).map(([id]) => id);
      return s.attempt('drop-latency', `dropped the latency of ${gone.join(', ')}`, {
        ...s.best.plan,
        latency: { ...s.best.plan.latency, perTarget: Object.fromEntries(kept) },
      });
    },
    s.stop,
  );
  if (s.best.plan.latency.default !== undefined && !s.stop())
    await s.attempt('drop-latency', 'dropped the default latency (zero latency)', {
      ...s.best.plan,
      latency: { perTarget: s.best.plan.latency.perTarget },
    });
}

/**
 * Largest k in [0, n) for which `test(k)` holds, `test(0)` known to hold, by binary search
 * (exact when the predicate is monotone; always a k that was verified).
 */
async function largestHolding(
  n: number,
  test: (k: number) => Promise<boolean>,
  stop: () => boolean,
): Promise<number> {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi && !stop()) {
    const mid = Math.ceil((lo + hi) / 2);
    if (await test(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

async function narrowWindows(s: Search): Promise<void> {
  for (let i = 0; i < s.best.plan.rules.length && !s.stop(); i++) {
    const w0 = windowOf(s.best.plan.rules[i]!);
    if (w0 === undefined) continue;
    const edge = async (side: 'from' | 'to'): Promise<void> => {
      const rule = s.best.plan.rules[i]!;
      const w = windowOf(rule)!;
      const span = w.to - w.from;
      const steps = Math.min(WINDOW_GRID, Math.floor(span));
      if (steps < 2) return;
      const at = (k: number): number => Math.floor((k * span) / steps);
      await largestHolding(
        steps,
        (k) => {
          const [from, to] = side === 'from' ? [w.from + at(k), w.to] : [w.from, w.to - at(k)];
          const what = rule.fault === 'crash' ? 'down' : 'window';
          return s.attempt(
            'narrow-windows',
            `${label(rule, i)}: ${what} [${w.from}, ${w.to}) → [${from}, ${to}) ms`,
            s.withRule(i, setWindow(rule, from, to)),
          );
        },
        s.stop,
      );
    };
    await edge('from');
    await edge('to');
  }
}

async function lowerProbabilities(s: Search): Promise<void> {
  for (let i = 0; i < s.best.plan.rules.length && !s.stop(); i++) {
    const rule = s.best.plan.rules[i]!;
    const p = (rule as { probability?: number }).probability;
    if (p === undefined || p >= 1) continue;
    const top = Math.floor(p * PROBABILITY_STEPS - 1e-9);
    if (top < 1) continue;
    // Smallest k/STEPS in [1, top] that still violates; top + 1 stands for p itself (known to).
    let lo = 1;
    let hi = top + 1;
    while (lo < hi && !s.stop()) {
      const mid = Math.floor((lo + hi) / 2);
      const q = mid / PROBABILITY_STEPS;
      const ok = await s.attempt(
        'lower-probabilities',
        `${label(rule, i)}: probability ${p} → ${q}`,
        s.withRule(i, { ...rule, probability: q } as FaultRule),
      );
      if (ok) hi = mid;
      else lo = mid + 1;
    }
  }
}

async function shrinkOptions(s: Search): Promise<void> {
  const schema = s.scenario.options;
  for (const info of describeOptions(schema)) {
    if (s.stop()) return;
    const current = s.best.options[info.name];
    if (current === undefined) continue;
    const set = (v: unknown): Options => {
      const next: Record<string, unknown> = { ...s.best.options };
      if (v === undefined) delete next[info.name];
      else next[info.name] = v;
      return next;
    };
    if (info.kind === 'integer' && typeof current === 'number' && Number.isFinite(current)) {
      let lower = integerMinimum(schema, info.name) ?? 0;
      if (lower < 0 && current >= 0) lower = 0;
      // Smallest value in [lower, current) that still violates (current known to).
      let lo = Math.ceil(lower);
      let hi = current;
      while (lo < hi && !s.stop()) {
        const mid = Math.floor((lo + hi) / 2);
        const ok = await s.attempt(
          'options',
          `option ${info.name}: ${current} → ${mid}`,
          s.best.plan,
          set(mid),
        );
        if (ok) hi = mid;
        else lo = mid + 1;
      }
      continue;
    }
    if (info.default !== undefined && !same(current, info.default))
      await s.attempt(
        'options',
        `option ${info.name}: ${JSON.stringify(current)} → default ${JSON.stringify(info.default)}`,
        s.best.plan,
        set(info.default),
      );
    else if (info.default === undefined && info.optional)
      await s.attempt(
        'options',
        `option ${info.name}: ${JSON.stringify(current)} → not set`,
        s.best.plan,
        set(undefined),
      );
  }
}

async function dropGroups(s: Search): Promise<void> {
  const used = new Set(s.best.plan.rules.flatMap((r) => (r.group === undefined ? [] : [r.group])));
  const unused = Object.keys(s.best.plan.groups).filter((g) => !used.has(g));
  if (unused.length === 0) return;
  const groups = Object.fromEntries(Object.entries(s.best.plan.groups).filter(([g]) => used.has(g)));
  await s.attempt('drop-groups', `dropped unused group(s) ${unused.join(', ')}`, { ...s.best.plan, groups });
}

/** Target ids the first run talked to (trace fields `to` and `target`), sorted. */
function targetsSeen(r: RunResult): string[] {
  const ids = new Set<string>();
  for (const e of r.trace?.events() ?? [])
    for (const f of ['to', 'target'] as const) if (typeof e[f] === 'string') ids.add(e[f]);
  return [...ids].sort();
}

function checkInput(scenario: Scenario, o: ShrinkOptions): number {
  if ((o.mode ?? 'sim') !== 'sim')
    throw new ShrinkError('mode', `only sim runs can be shrunk (deterministic); got mode "${o.mode}"`);
  const maxRuns = o.maxRuns ?? DEFAULT_SHRINK_RUNS;
  if (!(Number.isInteger(maxRuns) && maxRuns >= 1))
    throw new ShrinkError('maxRuns', `maxRuns must be an integer >= 1, got ${String(o.maxRuns)}`);
  const known = [...scenario.guarantees, KERNEL_CHECKS.ranToCompletion, KERNEL_CHECKS.declared];
  if (o.guarantee !== undefined && !known.includes(o.guarantee))
    throw new ShrinkError(
      'guarantee',
      `${scenario.name} has no guarantee "${o.guarantee}" (it has ${scenario.guarantees.join(', ')})`,
    );
  return maxRuns;
}

/**
 * Shrink a violating run of `scenario` (see the module docstring): the same seed, ever smaller
 * plans and options, as long as the same guarantee stays violated.
 * @returns the minimal plan, options and run, the steps, and the sizes before and after.
 * @throws ShrinkError('mode') for a live run, ('maxRuns') for a budget below 1, ('guarantee') for
 *   a guarantee the scenario does not declare; NothingToShrinkError ('plan') when the first run
 *   violates nothing, ('guarantee') when it does not violate the one asked for; OptionsError /
 *   FaultPlanError for invalid options or plan.
 */
export async function shrinkRun(scenario: Scenario, o: ShrinkOptions): Promise<ShrinkResult> {
  const maxRuns = checkInput(scenario, o);
  const initial = await runScenario(scenario, {
    seed: o.seed,
    mode: 'sim',
    plan: o.plan,
    ...(o.options !== undefined && { options: o.options }),
    ...(o.signal !== undefined && { signal: o.signal }),
  });
  const violated = initial.guarantees.filter((g) => !g.held);
  const guarantee = o.guarantee ?? violated[0]?.name;
  if (guarantee === undefined)
    throw new NothingToShrinkError(
      'plan',
      `${scenario.name} seed ${o.seed}: every guarantee held, nothing to shrink`,
    );
  if (!violated.some((g) => g.name === guarantee))
    throw new NothingToShrinkError(
      'guarantee',
      `${scenario.name} seed ${o.seed}: "${guarantee}" held, nothing to shrink`,
    );
  const completed = !violated.some((g) => g.name === KERNEL_CHECKS.ranToCompletion);
  const s = new Search(
    scenario,
    { seed: o.seed, guarantee, completed, maxRuns, signal: o.signal, onStep: o.onStep },
    initial,
  );
  const universe = targetsSeen(initial);
  for (;;) {
    const before = JSON.stringify([s.best.plan, s.best.options]);
    await dropRules(s);
    await mergeRules(s);
    await fewerTargets(s, universe);
    await dropLatency(s);
    await narrowWindows(s);
    await lowerProbabilities(s);
    await shrinkOptions(s);
    await dropGroups(s);
    if (s.stop() || JSON.stringify([s.best.plan, s.best.options]) === before) break;
  }
  if (s.steps.length > 0) {
    const was = initial.plan.description;
    await s.attempt('describe', 'description says the plan was shrunk', {
      ...s.best.plan,
      description: `minimal plan for ${guarantee}${was ? `, shrunk from: ${was}` : ''}`,
    });
  }
  return {
    scenario: scenario.name,
    seed: o.seed,
    guarantee,
    plan: s.best.plan,
    options: s.best.options,
    result: s.best.result,
    initial,
    before: shrinkSize(scenario, initial.plan, initial.options),
    after: shrinkSize(scenario, s.best.plan, s.best.options),
    steps: s.steps,
    runs: s.runs,
    exhausted: s.exhausted,
  };
}
