/**
 * Prime guarantees as fast-check properties, in sim mode (virtual time, deterministic): arbitrary
 * trainer faults, Byzantine behaviours, latencies, silences and coordinator crashes are written
 * into a fault plan, the scenario runs against it, every guarantee must hold, and an expectation
 * computed here from the arbitrary values themselves (not through PlanView) must match — so the
 * plan → oracle reading is checked too. Failures print the seed, the shrunk counterexample and a
 * replay line (assertProperty).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { checkDeterminism, runScenario } from '../../src/kernel/index.js';
import { trainerFaultRules, type TrainerFault } from '../../src/prime/plan.js';
import { primeScenarios } from '../../src/prime/scenarios.js';
import { COORDINATOR, trainerId } from '../../src/prime/world.js';
import { expectHeld, plan, scenario } from './helpers.js';

const faultArb = fc.constantFrom<TrainerFault>(
  'honest',
  'honest',
  'honest',
  'crash',
  'partition',
  'dropReply',
  'error',
  'slow',
  'nan',
  'wrong-shape',
  'stale',
);
const REJECTED: readonly TrainerFault[] = ['nan', 'wrong-shape', 'stale'];

describe('Prime properties (sim)', () => {
  test('round quorum: commits iff ≥ minNodesForRound valid updates (that agree) arrive before the deadline; never from fewer; aggregate = aggregateOf(accepted)', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(faultArb, { minLength: 3, maxLength: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom('fedavg', 'median', 'trimmed-mean', 'krum'),
        async (seed, faults, minNodes, rule) => {
          const deadlineMs = 5000;
          const p = plan(trainerFaultRules(faults, deadlineMs * 3), {
            default: { kind: 'normal', meanMs: 40, sdMs: 10 },
          });
          const r = await runScenario(scenario('prime.round-quorum'), {
            seed,
            plan: p,
            options: { trainers: faults.length, minNodes, deadlineMs, rule },
          });
          expectHeld(r);
          const valid = faults.filter((f) => f === 'honest').length;
          const rejected = faults.filter((f) => REJECTED.includes(f)).length;
          // Krum needs n > 2f + 2 updates (f ≥ 0: at least 3; Blanchard et al. 2017).
          const commits =
            faults.length >= minNodes &&
            valid >= minNodes &&
            valid / (valid + rejected) >= 0.66 &&
            (rule !== 'krum' || valid >= 3);
          expect(r.facts['status']).toBe(commits ? 'committed' : 'failed');
          if (commits) expect(r.facts['accepted']).toBe(valid);
        },
      ),
      { numRuns: 30 },
    );
  });

  test('Byzantine: flagged in every round; commits iff ≤ ⌊0.33·n⌋ Byzantine; robust aggregate within its bound; accuracy improves', async () => {
    const behaviour = fc.oneof(
      fc.record({
        behaviour: fc.constant('sign-flip'),
        params: fc.record({ factor: fc.integer({ min: 1, max: 5 }) }),
      }),
      fc.record({
        behaviour: fc.constant('scale'),
        params: fc.record({ factor: fc.constantFrom(-10, -3, 3, 5, 10) }),
      }),
      fc.record({ behaviour: fc.constant('noise'), params: fc.record({ sd: fc.constantFrom(0.5, 1, 2) }) }),
    );
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 4 }),
        fc.array(behaviour, { minLength: 4, maxLength: 4 }),
        fc.constantFrom('median', 'trimmed-mean', 'krum', 'multi-krum'),
        async (seed, byz, behaviours, rule) => {
          const rules = byz.map((i, k) => ({
            fault: 'behave' as const,
            targets: [trainerId(i)],
            behaviour: behaviours[k]!.behaviour,
            params: behaviours[k]!.params,
          }));
          const r = await runScenario(scenario('prime.byzantine'), {
            seed,
            plan: plan(rules, { default: { kind: 'normal', meanMs: 30, sdMs: 5 } }),
            options: { rule, rounds: 2 },
          });
          expectHeld(r);
          expect(r.facts['screened']).toBe(
            Array(2)
              .fill(byz.length <= 3 ? 'committed' : 'failed')
              .join(','),
          );
        },
      ),
      { numRuns: 12 },
    );
  });

  test('no head-of-line blocking: the round is decided at the needed-th fastest answer, exactly; a 10× slower trainer is cancelled', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc
          .array(fc.integer({ min: 1, max: 200 }), { minLength: 3, maxLength: 12 })
          .chain((lat) =>
            fc.tuple(
              fc.constant(lat),
              fc.integer({ min: 0, max: lat.length - 1 }),
              fc.integer({ min: 1, max: lat.length - 1 }),
            ),
          ),
        async ([lat, slow, needed]) => {
          const computeMs = 100;
          const maxFast = Math.max(...lat.filter((_, i) => i !== slow));
          const ms = lat.map((x, i) => (i === slow ? 10 * (computeMs + maxFast) - computeMs : x));
          const p = plan([], {
            perTarget: Object.fromEntries(ms.map((x, i) => [trainerId(i), { kind: 'constant', ms: x }])),
          });
          const r = await runScenario(scenario('prime.no-hol'), {
            seed: 1,
            plan: p,
            options: { trainers: lat.length, needed, computeMs },
          });
          expectHeld(r);
          expect(r.facts['decidedMs']).toBe([...ms].sort((a, b) => a - b)[needed - 1]! + computeMs);
        },
      ),
      { numRuns: 25 },
    );
  });

  test('heartbeats: silent trainers expire within timeout + interval, are never selected, come back when they answer again', async () => {
    const silence = fc.record({
      trainer: fc.integer({ min: 0, max: 5 }),
      kind: fc.constantFrom('partition', 'crash'),
      fromMs: fc.integer({ min: 0, max: 20_000 }),
      lengthMs: fc.option(fc.integer({ min: 1_000, max: 25_000 }), { nil: undefined }),
    });
    await assertProperty(
      fc.asyncProperty(fc.array(silence, { maxLength: 3 }), async (silences) => {
        const rules = silences.map((s) =>
          s.kind === 'partition'
            ? {
                fault: 'partition' as const,
                targets: [trainerId(s.trainer)],
                window: {
                  fromMs: s.fromMs,
                  ...(s.lengthMs === undefined ? {} : { toMs: s.fromMs + s.lengthMs }),
                },
              }
            : {
                fault: 'crash' as const,
                targets: [trainerId(s.trainer)],
                atMs: s.fromMs,
                ...(s.lengthMs === undefined ? {} : { restartAfterMs: s.lengthMs }),
              },
        );
        const r = await runScenario(scenario('prime.heartbeat'), {
          seed: 3,
          plan: plan(rules, { default: { kind: 'constant', ms: 20 } }),
          options: { horizonMs: 40_000 },
        });
        expectHeld(r);
      }),
      { numRuns: 10 },
    );
  });

  test('no update lost: across a coordinator crash and restart at any time, every accepted update counted once, resends rejected', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 800 }),
        fc.integer({ min: 1, max: 600 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }),
        fc.constantFrom('duplicate', 'replay'),
        async (seed, atMs, restartAfterMs, resenders, behaviour) => {
          const r = await runScenario(scenario('prime.no-update-lost'), {
            seed,
            plan: plan(
              [
                { fault: 'crash', targets: [COORDINATOR], atMs, restartAfterMs },
                ...resenders.map((i) => ({
                  fault: 'behave' as const,
                  targets: [trainerId(i)],
                  behaviour,
                  params: {},
                })),
              ],
              { default: { kind: 'normal', meanMs: 40, sdMs: 8 } },
            ),
          });
          expectHeld(r);
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('determinism', () => {
  test.each(primeScenarios.map((s) => [s.name, s] as const))(
    '%s: the same seed gives the same trace hash',
    async (_n, s) => {
      const report = await checkDeterminism(s, { seeds: [1, 2] });
      expect(report.mismatches).toEqual([]);
      const a = await runScenario(s, { seed: 1 });
      const b = await runScenario(s, { seed: 2 });
      expect(a.traceHash).toMatch(/^[0-9a-f]{64}$/);
      expect(a.traceHash).not.toBe(b.traceHash);
    },
  );
});
