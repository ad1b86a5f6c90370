/**
 * The composition layer: composed plans are valid plans, and they do what they say when the
 * real FaultInjector applies them — combined plans fault a target exactly when one of their
 * parts does, a periodic fault is active exactly in its cycles, a random subset is a subset of
 * the asked size that the injector (and only for it) applies the rule to, drawn from the seed.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import {
  ComposeError,
  combinePlans,
  periodic,
  randomSubset,
  subsetSize,
  type FaultRuleInput,
  type SubsetSize,
} from '../src/compose.js';
import { FaultInjector, parseFaultPlan, type FaultPlan, type FaultPlanInput } from '../src/fault-plan.js';
import { createRng } from '../src/rng.js';

const IDS = ['t0', 't1', 't2', 't3', 't4', 't5'];
const injector = (plan: FaultPlan) => new FaultInjector(plan, createRng(1).fork('network'));
const partitioned = (plan: FaultPlan, target: string, t: number): boolean =>
  injector(plan).decide(target, t).unreachable !== undefined;

/** A window, or none. */
const windowArb = fc.option(
  fc
    .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 1000 }))
    .map(([fromMs, len]) => ({ fromMs, toMs: fromMs + len })),
  { nil: undefined },
);

/** Deterministic (draw-free) rules: partitions and crashes on some of IDS or a group. */
const ruleArb = (groups: readonly string[]): fc.Arbitrary<FaultRuleInput> =>
  fc.oneof(
    fc.record({
      fault: fc.constant('partition' as const),
      targets: fc.subarray(IDS, { minLength: 1 }),
      window: windowArb,
    }),
    fc.record({
      fault: fc.constant('crash' as const),
      targets: fc.subarray(IDS, { minLength: 1 }),
      atMs: fc.integer({ min: 0, max: 1000 }),
      restartAfterMs: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
    }),
    ...(groups.length === 0
      ? []
      : [
          fc.record({
            fault: fc.constant('partition' as const),
            group: fc.constantFrom(...groups),
            window: windowArb,
          }),
        ]),
  );

/** A plan with its own group names (prefixed so parts never clash) and per-target latencies. */
const planArb = (part: number): fc.Arbitrary<FaultPlanInput> =>
  fc
    .record({
      groups: fc.dictionary(
        fc.constantFrom('a', 'b').map((g) => `p${part}-${g}`),
        fc.subarray(IDS, { minLength: 1 }),
      ),
      perTarget: fc.dictionary(
        fc.constantFrom(...IDS.filter((_, i) => i % 3 === part % 3)),
        fc.integer({ min: 0, max: 500 }).map((ms) => ({ kind: 'constant' as const, ms })),
      ),
    })
    .chain(({ groups, perTarget }) =>
      fc.array(ruleArb(Object.keys(groups)), { maxLength: 4 }).map((rules) => ({
        description: `part ${part}`,
        groups,
        latency: { perTarget },
        rules,
      })),
    );

describe('combinePlans', () => {
  test('property: the combination is a valid plan whose rules are the parts’ in order, and it faults a target at t exactly when one part does', async () => {
    await assertProperty(
      fc.property(
        fc
          .integer({ min: 0, max: 3 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => planArb(i)))),
        fc.constantFrom(...IDS),
        fc.integer({ min: 0, max: 2100 }),
        (parts, target, t) => {
          const combined = combinePlans(...parts);
          expect(parseFaultPlan(combined)).toEqual(combined);
          const parsed = parts.map((p) => parseFaultPlan(p));
          expect(combined.rules).toEqual(parsed.flatMap((p) => p.rules));
          for (const p of parsed)
            for (const [g, m] of Object.entries(p.groups)) expect(combined.groups[g]).toEqual(m);
          const expected = parsed.some((p) => partitioned(p, target, t));
          expect(partitioned(combined, target, t)).toBe(expected);
          const latency = parsed.map((p) => p.latency.perTarget[target]).find((l) => l !== undefined);
          expect(injector(combined).latencyFor(target)).toEqual(latency);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a group or latency defined twice differently is an error naming the path; the same twice is fine', () => {
    const a = { groups: { edge: ['t0', 't1'] } };
    expect(combinePlans(a, { groups: { edge: ['t1', 't0'] } }).groups).toEqual({ edge: ['t0', 't1'] });
    expect(() => combinePlans(a, { groups: { edge: ['t2'] } })).toThrow(
      expect.objectContaining({ name: 'ComposeError', field: 'plans.1.groups.edge' }),
    );
    const lat = (ms: number) => ({ latency: { default: { kind: 'constant' as const, ms } } });
    expect(combinePlans(lat(5), lat(5)).latency.default).toEqual({ kind: 'constant', ms: 5 });
    expect(() => combinePlans(lat(5), {}, lat(6))).toThrow(
      expect.objectContaining({ field: 'plans.2.latency.default' }),
    );
    expect(() => combinePlans({}, { rules: [{ fault: 'partition', group: 'nope' }] })).toThrow(
      expect.objectContaining({ field: 'plans.1' }),
    );
    expect(combinePlans()).toEqual(parseFaultPlan({}));
  });
});

const scheduleArb = fc
  .record({
    startMs: fc.integer({ min: 0, max: 500 }),
    periodMs: fc.integer({ min: 1, max: 300 }),
    count: fc.integer({ min: 1, max: 8 }),
  })
  .chain((s) => fc.integer({ min: 1, max: s.periodMs }).map((durationMs) => ({ ...s, durationMs })));

/** Whether t falls in a cycle of `s`: the schedule's definition, written independently. */
function inCycle(
  s: { startMs: number; periodMs: number; durationMs: number; count: number },
  t: number,
): boolean {
  if (t < s.startMs) return false;
  const i = Math.floor((t - s.startMs) / s.periodMs);
  return i < s.count && t - s.startMs - i * s.periodMs < s.durationMs;
}

describe('periodic', () => {
  test('property: count valid rules; a periodic partition, crash or pause is active at t exactly in a cycle', async () => {
    await assertProperty(
      fc.property(
        scheduleArb,
        fc.constantFrom<FaultRuleInput>(
          { fault: 'partition', targets: ['t0'] },
          { fault: 'crash', targets: ['t0'], atMs: 0 },
          { fault: 'pause', targets: ['t0'], window: { fromMs: 0 } },
        ),
        fc.integer({ min: 0, max: 3500 }),
        (s, rule, t) => {
          const rules = periodic(rule, s);
          expect(rules).toHaveLength(s.count);
          const plan = parseFaultPlan({ rules });
          const activeAt = (x: number): boolean => {
            const d = injector(plan).decide('t0', x);
            return rule.fault === 'pause' ? d.holdMs > 0 : d.unreachable !== undefined;
          };
          expect(activeAt(t)).toBe(inCycle(s, t));
          // Every cycle's edges exactly: its first and last ms in, the ms before and after.
          for (let i = 0; i < s.count; i++) {
            const from = s.startMs + i * s.periodMs;
            for (const x of [from - 1, from, from + s.durationMs - 1, from + s.durationMs])
              if (x >= 0) expect(activeAt(x), `t=${x}`).toBe(inCycle(s, x));
          }
          expect(partitioned(plan, 't1', t)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a function builds each cycle’s rule afresh, in cycle order', () => {
    const rules = periodic((i) => ({ fault: 'dropReply', targets: [IDS[i]!], probability: 0.5 }), {
      periodMs: 100,
      durationMs: 10,
      count: 3,
    });
    expect(rules.map((r) => [r.targets, 'window' in r && r.window])).toEqual([
      [['t0'], { fromMs: 0, toMs: 10 }],
      [['t1'], { fromMs: 100, toMs: 110 }],
      [['t2'], { fromMs: 200, toMs: 210 }],
    ]);
  });

  test.each([
    [{ periodMs: 0, durationMs: 1, count: 1 }, 'periodMs'],
    [{ periodMs: 10, durationMs: 11, count: 1 }, 'durationMs'],
    [{ periodMs: 10, durationMs: 0, count: 1 }, 'durationMs'],
    [{ periodMs: 10, durationMs: 5, count: 0 }, 'count'],
    [{ periodMs: 10, durationMs: 5, count: 1.5 }, 'count'],
    [{ startMs: -1, periodMs: 10, durationMs: 5, count: 1 }, 'startMs'],
  ])('schedule %j is refused naming %s', (s, field) => {
    expect(() => periodic({ fault: 'partition' }, s)).toThrow(expect.objectContaining({ field }));
  });

  test('an invalid rule is refused naming its cycle and the bad field', () => {
    const bad = { fault: 'dropReply', probability: 2 } as FaultRuleInput;
    const schedule = { periodMs: 10, durationMs: 5, count: 2 };
    expect(() => periodic(bad, schedule)).toThrow(expect.objectContaining({ field: 'cycles.0' }));
    expect(() => periodic(bad, schedule)).toThrow(/probability/);
  });
});

const sizeArb: fc.Arbitrary<SubsetSize> = fc.oneof(
  fc.constantFrom<SubsetSize>('one', 'minority', 'majority', 'all'),
  fc.integer({ min: 1, max: 6 }),
);

describe('randomSubset', () => {
  test('property: a subset of the asked size, in candidate order, the same for the same seed, and the injector applies the rule to it and only to it', async () => {
    await assertProperty(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1 }),
        sizeArb,
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (from, size, seed) => {
          let k: number;
          try {
            k = subsetSize(size, from.length);
          } catch (e) {
            expect(e).toBeInstanceOf(ComposeError);
            expect(() =>
              randomSubset({ fault: 'partition' }, { from, count: size, rng: createRng(seed) }),
            ).toThrow(expect.objectContaining({ field: 'count' }));
            return;
          }
          const pick = () =>
            randomSubset({ fault: 'partition', group: 'ignored' } as FaultRuleInput, {
              from,
              count: size,
              rng: createRng(seed).fork('nemesis'),
            });
          const rule = pick();
          const targets = rule.targets!;
          expect(targets).toHaveLength(k);
          expect(new Set(targets).size).toBe(k);
          expect(targets).toEqual(from.filter((id) => targets.includes(id)));
          expect('group' in rule && rule.group).toBeFalsy();
          expect(pick()).toEqual(rule);
          const plan = parseFaultPlan({ rules: [rule] });
          for (const id of IDS) expect(partitioned(plan, id, 0)).toBe(targets.includes(id));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('sizes: one, minority, majority, all', () => {
    expect([1, 2, 3, 4, 5].map((n) => subsetSize('majority', n))).toEqual([1, 2, 2, 3, 3]);
    expect([3, 4, 5, 6].map((n) => subsetSize('minority', n))).toEqual([1, 1, 2, 2]);
    expect(() => subsetSize('minority', 1)).toThrow(/minority of 1 target\(s\) is 0/);
    expect(subsetSize('all', 4)).toBe(4);
    expect(subsetSize('one', 4)).toBe(1);
  });

  test('every candidate is picked for some seed (the draw is not stuck)', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 64; seed++) {
      const rule = randomSubset({ fault: 'partition' }, { from: IDS, count: 'one', rng: createRng(seed) });
      for (const t of rule.targets!) seen.add(t);
    }
    expect([...seen].sort()).toEqual(IDS);
  });

  test('bad candidates are refused naming "from"', () => {
    const rng = createRng(1);
    expect(() => randomSubset({ fault: 'partition' }, { from: [], count: 'one', rng })).toThrow(
      expect.objectContaining({ field: 'from' }),
    );
    expect(() => randomSubset({ fault: 'partition' }, { from: ['a', 'a'], count: 'one', rng })).toThrow(
      expect.objectContaining({ field: 'from' }),
    );
  });
});

describe('composed', () => {
  test('a fresh minority partitioned in every cycle, combined with a base plan', () => {
    const rng = createRng(7).fork('nemesis');
    const plan = combinePlans(
      { latency: { default: { kind: 'constant', ms: 5 } } },
      {
        rules: periodic(
          () => randomSubset({ fault: 'partition' }, { from: IDS.slice(0, 5), count: 'minority', rng }),
          { startMs: 100, periodMs: 1000, durationMs: 300, count: 3 },
        ),
      },
    );
    expect(plan.rules).toHaveLength(3);
    expect(plan.latency.default).toEqual({ kind: 'constant', ms: 5 });
    for (const [i, r] of plan.rules.entries()) {
      expect(r.targets).toHaveLength(2);
      const at = 100 + i * 1000;
      for (const id of r.targets!) {
        expect(partitioned(plan, id, at)).toBe(true);
        expect(partitioned(plan, id, at - 1)).toBe(false);
        expect(partitioned(plan, id, at + 300)).toBe(false);
      }
    }
  });
});
