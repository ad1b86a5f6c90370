/**
 * Composing fault plans, in the spirit of Jepsen's nemesis packages (jepsen.nemesis.combined):
 * small pieces that say one thing each — "partition a minority", "every 10 s for 3 s", "crash
 * one node" — combined into the one plan a run uses. Every function here is pure and returns
 * validated data: the output is an ordinary {@link FaultPlan} (or its rules), so a composed plan
 * is saved, replayed, checked (`fanout plan check`) and shrunk like a hand-written one.
 *
 * - {@link combinePlans}: several plans into one (rules concatenated in order, groups and
 *   latencies merged; a conflict is an error, never a silent override).
 * - {@link periodic}: one fault repeated on a schedule (start, period, duration, count), as a
 *   nemesis's start/stop cycle; the rule may be built afresh for every cycle.
 * - {@link randomSubset}: a rule aimed at a random subset of candidate targets ('one',
 *   'minority', 'majority', 'all' or a count), drawn from a seeded stream the caller passes in.
 *
 * ```ts
 * const rng = createRng(seed).fork('nemesis');
 * const plan = combinePlans(base, {
 *   rules: periodic((cycle) => randomSubset({ fault: 'partition' }, { from: ids, count: 'minority', rng }), {
 *     startMs: 1000, periodMs: 10_000, durationMs: 3000, count: 5,
 *   }),
 * });
 * ```
 */
import {
  FaultPlanError,
  parseFaultPlan,
  type FaultPlan,
  type FaultPlanInput,
  type FaultRule,
} from './fault-plan.js';
import type { Rng } from './rng.js';

/** One rule as a person writes it (defaults may be left out). */
export type FaultRuleInput = NonNullable<FaultPlanInput['rules']>[number];

/** A composition got bad input; `field` names what was wrong (e.g. 'durationMs', 'plans.1.groups.edge'). */
export class ComposeError extends Error {
  override readonly name = 'ComposeError';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Combine plans into one: rules concatenated in argument order (rule order matters to the
 * injector's draws, so it is kept), named groups and per-target latencies merged, the default
 * latency taken from whichever plan sets one, descriptions joined with '; '.
 * @param plans plans as written or parsed; none gives the empty plan.
 * @returns the combined plan, validated (defaults filled in).
 * @throws ComposeError naming `plans.<i>` for a plan that does not validate (cause: its
 *   FaultPlanError), `plans.<i>.groups.<name>` for a group defined twice with other members,
 *   `plans.<i>.latency.default` / `plans.<i>.latency.perTarget.<id>` for two different latencies
 *   of the same thing.
 */
export function combinePlans(...plans: readonly (FaultPlan | FaultPlanInput)[]): FaultPlan {
  const groups: Record<string, string[]> = {};
  const perTarget: NonNullable<FaultPlan['latency']['perTarget']> = {};
  let latencyDefault: FaultPlan['latency']['default'];
  const rules: FaultRule[] = [];
  const descriptions: string[] = [];
  plans.forEach((input, i) => {
    let p: FaultPlan;
    try {
      p = parseFaultPlan(input);
    } catch (e) {
      if (e instanceof FaultPlanError) throw new ComposeError(`plans.${i}`, e.message, { cause: e });
      throw e;
    }
    if (p.description !== undefined && p.description !== '') descriptions.push(p.description);
    for (const [name, members] of Object.entries(p.groups)) {
      const prev = groups[name];
      if (prev !== undefined && !same([...prev].sort(), [...members].sort()))
        throw new ComposeError(
          `plans.${i}.groups.${name}`,
          `group "${name}" is already [${prev.join(', ')}] in an earlier plan, here [${members.join(', ')}]`,
        );
      groups[name] = prev ?? [...members];
    }
    if (p.latency.default !== undefined) {
      if (latencyDefault !== undefined && !same(latencyDefault, p.latency.default))
        throw new ComposeError(
          `plans.${i}.latency.default`,
          'an earlier plan sets another default latency (combine refuses to pick one)',
        );
      latencyDefault = p.latency.default;
    }
    for (const [id, spec] of Object.entries(p.latency.perTarget)) {
      const prev = perTarget[id];
      if (prev !== undefined && !same(prev, spec))
        throw new ComposeError(
          `plans.${i}.latency.perTarget.${id}`,
          `an earlier plan sets another latency for "${id}"`,
        );
      perTarget[id] = spec;
    }
    rules.push(...p.rules);
  });
  return parseFaultPlan({
    ...(descriptions.length > 0 && { description: descriptions.join('; ') }),
    groups,
    latency: { ...(latencyDefault !== undefined && { default: latencyDefault }), perTarget },
    rules,
  });
}

/**
 * Validate one rule on its own (its group, if any, is taken as defined: group names are checked
 * when the rule lands in a plan, e.g. by {@link combinePlans}).
 * @throws ComposeError(`${field}`) with the FaultPlanError's paths.
 */
function checkRule(rule: FaultRuleInput, field: string): FaultRule {
  const group = (rule as { group?: unknown }).group;
  try {
    return parseFaultPlan({
      ...(typeof group === 'string' && group !== '' && { groups: { [group]: [] } }),
      rules: [rule],
    }).rules[0]!;
  } catch (e) {
    if (!(e instanceof FaultPlanError)) throw e;
    const noWindow = e.issues.some((x) => x.path === 'plan.rules.0.window' && x.message === 'unknown field');
    throw new ComposeError(
      noWindow ? `${field}.fault` : field,
      noWindow
        ? `fault kind "${String(rule.fault)}" has no time window to repeat`
        : e.issues
            .map((x) => `${x.path.replace(/^plan\.rules\.0\.?/, '') || '(rule)'}: ${x.message}`)
            .join('; '),
      { cause: e },
    );
  }
}

/** When a {@link periodic} fault is active: cycle i covers [startMs + i·periodMs, + durationMs). */
export interface PeriodicSchedule {
  /** Start of the first cycle, ms from the start of the run (default 0). */
  readonly startMs?: number;
  /** Time from the start of one cycle to the start of the next, ms (> 0). */
  readonly periodMs: number;
  /** How long the fault is active in each cycle, ms (0 < durationMs <= periodMs). */
  readonly durationMs: number;
  /** Number of cycles (integer, 1..10 000). */
  readonly count: number;
}

/** Largest `count` of a {@link PeriodicSchedule}: plans stay a readable size. */
export const MAX_CYCLES = 10_000;

function checkSchedule(s: PeriodicSchedule): void {
  const start = s.startMs ?? 0;
  if (!(Number.isFinite(start) && start >= 0))
    throw new ComposeError('startMs', `must be a finite number of ms >= 0, got ${String(s.startMs)}`);
  if (!(Number.isFinite(s.periodMs) && s.periodMs > 0))
    throw new ComposeError('periodMs', `must be a finite number of ms > 0, got ${String(s.periodMs)}`);
  if (!(Number.isFinite(s.durationMs) && s.durationMs > 0 && s.durationMs <= s.periodMs))
    throw new ComposeError(
      'durationMs',
      `must be > 0 and <= periodMs (${s.periodMs}) so cycles do not overlap, got ${String(s.durationMs)}`,
    );
  if (!(Number.isInteger(s.count) && s.count >= 1 && s.count <= MAX_CYCLES))
    throw new ComposeError('count', `must be an integer in 1..${MAX_CYCLES}, got ${String(s.count)}`);
}

/**
 * Repeat a fault on a schedule: cycle i (0-based) is active during
 * `[startMs + i·periodMs, startMs + i·periodMs + durationMs)` ms. A windowed rule gets that
 * window (replacing its own); a `crash` rule crashes at the cycle's start and restarts after
 * `durationMs`. Pass a function to build each cycle's rule afresh (e.g. a new
 * {@link randomSubset} per cycle, as a Jepsen nemesis picks new targets each time it starts).
 * @param rule the rule, or `(cycle) => rule`, called once per cycle in order.
 * @returns `count` validated rules, in time order.
 * @throws ComposeError naming 'startMs', 'periodMs', 'durationMs' or 'count' for a bad schedule;
 *   `cycles.<i>.fault` for a fault kind without a time window; `cycles.<i>` for an invalid rule.
 */
export function periodic(
  rule: FaultRuleInput | ((cycle: number) => FaultRuleInput),
  schedule: PeriodicSchedule,
): FaultRule[] {
  checkSchedule(schedule);
  const start = schedule.startMs ?? 0;
  const out: FaultRule[] = [];
  for (let i = 0; i < schedule.count; i++) {
    const base = typeof rule === 'function' ? rule(i) : rule;
    const fromMs = start + i * schedule.periodMs;
    const timed: FaultRuleInput =
      base.fault === 'crash'
        ? { ...base, atMs: fromMs, restartAfterMs: schedule.durationMs }
        : ({ ...base, window: { fromMs, toMs: fromMs + schedule.durationMs } } as FaultRuleInput);
    out.push(checkRule(timed, `cycles.${i}`));
  }
  return out;
}

/** How many targets {@link randomSubset} picks out of n candidates. */
export type SubsetSize = number | 'one' | 'minority' | 'majority' | 'all';

/**
 * The number of targets a {@link SubsetSize} means among `n`: one = 1, majority = ⌊n/2⌋ + 1,
 * minority = n − majority (the largest group strictly smaller than half), all = n.
 * @throws ComposeError('count') when that is not in 1..n (e.g. the minority of 1 target).
 */
export function subsetSize(size: SubsetSize, n: number): number {
  const majority = Math.floor(n / 2) + 1;
  const k =
    size === 'one'
      ? 1
      : size === 'majority'
        ? majority
        : size === 'minority'
          ? n - majority
          : size === 'all'
            ? n
            : size;
  if (!(Number.isInteger(k) && k >= 1 && k <= n))
    throw new ComposeError(
      'count',
      `${typeof size === 'string' ? `the ${size} of ${n} target(s) is ${k}` : `got ${String(size)}`}: must pick 1..${n} target(s)`,
    );
  return k;
}

/** Where {@link randomSubset} picks from. */
export interface SubsetChoice {
  /** Candidate target ids (distinct, non-empty). */
  readonly from: readonly string[];
  /** How many to pick. */
  readonly count: SubsetSize;
  /** The seeded stream to draw from (e.g. `createRng(seed).fork('nemesis')`); it is advanced. */
  readonly rng: Rng;
}

/**
 * Aim `rule` at a random subset of `from`: the subset is a uniform draw of `count` distinct ids
 * (a Fisher–Yates shuffle of `rng`), listed in the order of `from`. The rule's own `targets` and
 * `group` are replaced.
 * @returns the validated rule.
 * @throws ComposeError('from') for no or repeated candidates, ComposeError('count') for a size
 *   outside 1..from.length, ComposeError('rule') for an invalid rule.
 */
export function randomSubset(rule: FaultRuleInput, choice: SubsetChoice): FaultRule {
  const { from, rng } = choice;
  if (from.length === 0) throw new ComposeError('from', 'no candidate targets');
  if (new Set(from).size !== from.length)
    throw new ComposeError('from', `candidate targets repeat: ${from.join(', ')}`);
  const k = subsetSize(choice.count, from.length);
  const chosen = new Set(rng.shuffle(from).slice(0, k));
  const { group: _group, ...rest } = rule as FaultRuleInput & { group?: string };
  return checkRule({ ...rest, targets: from.filter((id) => chosen.has(id)) } as FaultRuleInput, 'rule');
}
