/**
 * Shrinking: a violation found on a deliberately broken RAIDA client (grading with quorum − 1)
 * shrinks to a plan of at most 2 rules that still violates the same guarantee, replays to the
 * same trace hash, and holds for the correct client; the shrink is deterministic and bounded.
 * On a small synthetic scenario, every pass does its part: rules dropped and merged, targets
 * cut, windows narrowed, probabilities lowered, options back toward their minimum or default,
 * the chosen guarantee kept (not another one).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { fanOut } from '@fanout/core';
import { gradeVotes, QUORUM, RaidaClient, type Coin, type GradeReport } from '@fanout/raida';
import type { FaultPlanInput } from '@fanout/sim';
import {
  ShrinkError,
  defineScenario,
  httpService,
  loadReplay,
  runMany,
  runScenario,
  shrinkRun,
  type RunResult,
} from '../../src/kernel/index.js';
import { shrinkRun as fromPackage } from '../../src/index.js';
import { createRaidaScenarios, raidaScenarios } from '../../src/raida/scenarios.js';

/** Grades every token with quorum − 1: 12 passes and no fail become "authentic". */
class QuorumMinusOneClient extends RaidaClient {
  override async detect(coins: readonly Coin[]): Promise<GradeReport> {
    const r = await super.detect(coins);
    return { ...r, tokens: r.tokens.map((t) => ({ ...t, grade: gradeVotes(t.votes, QUORUM - 1) })) };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fanout-shrink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const violated = (r: RunResult): string[] => r.guarantees.filter((g) => !g.held).map((g) => g.name);

describe('shrinking the broken RAIDA client’s violation (issue: "Done when")', () => {
  const [broken] = createRaidaScenarios({ makeClient: (o) => new QuorumMinusOneClient(o) });
  const correct = raidaScenarios[0]!;

  test('found by runMany, shrunk to <= 2 rules; same guarantee violated; replays to the same hash; the correct client holds on it; deterministic', async () => {
    const summary = await runMany(broken!, { seed: 1, runs: 40, replayDir: dir, baseline: 'none' });
    const failure = summary.failures.find((f) => f.guarantee === 'grades-match-oracle')!;
    expect(failure).toBeDefined();
    const { file, options } = loadReplay(failure.replayFile!);
    expect(file.plan.rules.length).toBeGreaterThan(2);

    const steps: string[] = [];
    const shrunk = await shrinkRun(broken!, {
      seed: file.seed,
      plan: file.plan,
      options,
      maxRuns: 150,
      onStep: (s) => steps.push(s.pass),
    });
    expect(shrunk.guarantee).toBe('grades-match-oracle');
    expect(shrunk.plan.rules.length).toBeLessThanOrEqual(2);
    expect(shrunk.after.rules).toBe(shrunk.plan.rules.length);
    expect(shrunk.before.rules).toBe(file.plan.rules.length);
    expect(shrunk.runs).toBeLessThanOrEqual(150);
    expect(steps.length).toBe(shrunk.steps.length);
    expect(violated(shrunk.result)).toContain('grades-match-oracle');
    expect(shrunk.initial.traceHash).toBe(file.traceHash);

    // Replaying the minimal plan and options reproduces the violation and the trace hash.
    const again = await runScenario(broken!, { seed: file.seed, plan: shrunk.plan, options: shrunk.options });
    expect(again.traceHash).toBe(shrunk.result.traceHash);
    expect(violated(again)).toContain('grades-match-oracle');
    // The fault is the client's: the correct one holds on the minimal plan.
    const fixed = await runScenario(correct, { seed: file.seed, plan: shrunk.plan, options: shrunk.options });
    expect(violated(fixed)).toEqual([]);

    // Deterministic: the same input shrinks to the same output in the same number of runs.
    const twice = await fromPackage(broken!, { seed: file.seed, plan: file.plan, options, maxRuns: 150 });
    expect(twice.plan).toEqual(shrunk.plan);
    expect(twice.runs).toBe(shrunk.runs);
    expect(twice.steps).toEqual(shrunk.steps);
  }, 120_000);
});

/**
 * n HTTP endpoints, asked twice (at 0 and at 2000 ms) with a 1000 ms timeout per attempt.
 * 'most-answer': in the second round at least n − 2 endpoints answered; 'fast': the second
 * round decided within 500 ms. `label` changes nothing (an option to put back to default).
 */
const fragile = defineScenario({
  name: 'demo.fragile',
  title: 'two rounds of n endpoints',
  options: z.object({
    n: z.number().int().min(1).max(20).default(8),
    label: z.string().default('x'),
  }),
  guarantees: ['most-answer', 'fast'] as const,
  async run(ctx) {
    const { n } = ctx.options;
    const eps = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        httpService(ctx.world, () => new Response(String(i)), { target: `ep-${i}` }),
      ),
    );
    const round = () =>
      fanOut(eps, async (ep, { signal }) => (await ctx.world.fetch(ep.url, { signal })).text(), {
        key: (ep) => ep.target,
        clock: ctx.world.clock,
        timeoutMs: 1000,
      });
    await round();
    await ctx.world.sleepUntil(2000, ctx.signal);
    const second = await round();
    ctx.outcome('second', { answered: second.fulfilled.length });
    ctx.check('most-answer', second.fulfilled.length >= n - 2, `${second.fulfilled.length} of ${n} answered`);
    ctx.check('fast', second.elapsedMs <= 500, `second round took ${second.elapsedMs} ms`);
  },
});

/** Faults 5 endpoints in the second round (violating most-answer) and slows one (violating fast). */
const noisy: FaultPlanInput = {
  description: 'noisy',
  groups: { left: ['ep-0', 'ep-1'], unused: ['ep-7'] },
  latency: {
    default: { kind: 'constant', ms: 10 },
    perTarget: { 'ep-5': { kind: 'constant', ms: 20 }, 'ep-6': { kind: 'constant', ms: 30 } },
  },
  rules: [
    { fault: 'partition', group: 'left', window: { fromMs: 1500, toMs: 9000 } },
    {
      fault: 'dropRequest',
      targets: ['ep-2', 'ep-3'],
      probability: 0.9,
      window: { fromMs: 0, toMs: 20_000 },
    },
    { fault: 'crash', targets: ['ep-4'], atMs: 1000, restartAfterMs: 8000 },
    { fault: 'delay', targets: ['ep-7'], latency: { kind: 'constant', ms: 700 } },
    { fault: 'duplicateReply', targets: ['ep-5', 'ep-6'] },
  ],
};

describe('shrinkRun on a synthetic scenario', () => {
  test('the initial run violates both guarantees', async () => {
    const r = await runScenario(fragile, { seed: 3, plan: noisy, options: { n: 8, label: 'y' } });
    expect(violated(r)).toEqual(['most-answer', 'fast']);
  });

  test('most-answer: one rule, 3 targets, its window narrowed around t = 2000, options down to n = 4 and label back to default', async () => {
    const r = await shrinkRun(fragile, {
      seed: 3,
      plan: noisy,
      options: { n: 8, label: 'y' },
      guarantee: 'most-answer',
    });
    expect(r.exhausted).toBe(false);
    expect(r.guarantee).toBe('most-answer');
    expect(r.before).toEqual({ rules: 5, targets: 10, options: 1 });
    expect(r.plan.rules).toHaveLength(1);
    const [rule] = r.plan.rules;
    expect(rule).toMatchObject({ fault: 'partition', targets: ['ep-1', 'ep-2', 'ep-3'] });
    // The second round asks at t = 2000: the partition need only cover its requests.
    const w = (rule as { window: { fromMs: number; toMs: number } }).window;
    expect(w.fromMs).toBeGreaterThanOrEqual(1990);
    expect(w.fromMs).toBeLessThanOrEqual(2000);
    expect(w.toMs).toBeLessThanOrEqual(2010);
    // ep-1..3 must exist: n stops at 4 (targets are cut, never renamed).
    expect(r.options).toEqual({ n: 4, label: 'x' });
    expect(r.after).toEqual({ rules: 1, targets: 3, options: 1 });
    expect(r.plan.groups).toEqual({});
    expect(r.plan.latency).toEqual({ perTarget: {} });
    const passes = new Set(r.steps.map((s) => s.pass));
    for (const p of [
      'drop-rules',
      'merge-rules',
      'fewer-targets',
      'drop-latency',
      'narrow-windows',
      'options',
      'drop-groups',
      'describe',
    ])
      expect(passes, p).toContain(p);
    expect(violated(r.result)).toContain('most-answer');
    expect(r.plan.description).toBe('minimal plan for most-answer, shrunk from: noisy');
    const again = await runScenario(fragile, { seed: 3, plan: r.plan, options: r.options });
    expect(again.traceHash).toBe(r.result.traceHash);
  }, 60_000);

  test('fast: keeps the violation of "fast" (the slow endpoint), not the other one', async () => {
    const r = await shrinkRun(fragile, { seed: 3, plan: noisy, options: { n: 8 }, guarantee: 'fast' });
    expect(violated(r.result)).toContain('fast');
    expect(violated(r.result)).not.toContain('most-answer');
    expect(r.plan.rules).toEqual([
      { fault: 'delay', targets: ['ep-7'], probability: 1, latency: { kind: 'constant', ms: 700 } },
    ]);
    expect(r.options['n']).toBe(8); // ep-7 is needed
  }, 60_000);

  test('windows narrow and probabilities drop when the rules that carry them are what matters', async () => {
    const plan: FaultPlanInput = {
      rules: [
        {
          fault: 'dropRequest',
          targets: ['ep-0', 'ep-1', 'ep-2'],
          probability: 0.9,
          window: { fromMs: 0, toMs: 10_000 },
        },
        { fault: 'crash', targets: ['ep-3'], atMs: 0, restartAfterMs: 10_000 },
      ],
    };
    const options = { n: 4 };
    expect(violated(await runScenario(fragile, { seed: 11, plan, options }))).toContain('most-answer');
    const r = await shrinkRun(fragile, { seed: 11, plan, options, guarantee: 'most-answer', maxRuns: 300 });
    const passes = r.steps.map((s) => s.pass);
    expect(passes).toContain('narrow-windows');
    for (const rule of r.plan.rules) {
      const w =
        rule.fault === 'crash'
          ? { fromMs: rule.atMs, toMs: rule.atMs + rule.restartAfterMs! }
          : (rule as { window: { fromMs: number; toMs: number } }).window;
      // Every remaining window still covers the second round's requests (t = 2000) and is narrower.
      expect(w.fromMs).toBeLessThanOrEqual(2000);
      expect(w.toMs).toBeGreaterThan(2000);
      expect(w.toMs - w.fromMs).toBeLessThan(10_000 / 8);
      const p = (rule as { probability?: number }).probability;
      if (p !== undefined) expect(p).toBeLessThan(0.9);
    }
    expect(passes).toContain('lower-probabilities');
    const again = await runScenario(fragile, { seed: 11, plan: r.plan, options: r.options });
    expect(again.traceHash).toBe(r.result.traceHash);
  }, 60_000);

  test('a rule naming every target is written out from the trace and cut down', async () => {
    const plan: FaultPlanInput = { rules: [{ fault: 'partition', window: { fromMs: 1999, toMs: 2001 } }] };
    const r = await shrinkRun(fragile, { seed: 1, plan, options: { n: 5 }, guarantee: 'most-answer' });
    expect(r.plan.rules).toHaveLength(1);
    expect(r.plan.rules[0]!.targets).toHaveLength(3);
    expect(r.steps[0]!.change).toContain('every target →');
  }, 60_000);

  test('bounded: never more runs than maxRuns, and says the search was cut short', async () => {
    const r = await shrinkRun(fragile, { seed: 3, plan: noisy, options: { n: 8 }, maxRuns: 6 });
    expect(r.runs).toBeLessThanOrEqual(6);
    expect(r.exhausted).toBe(true);
    expect(violated(r.result)).toContain(r.guarantee);
  });

  test('refuses what it cannot shrink, naming the field', async () => {
    const base = { seed: 3, plan: noisy, options: { n: 8 } };
    await expect(shrinkRun(fragile, { ...base, mode: 'live' })).rejects.toMatchObject({
      name: 'ShrinkError',
      field: 'mode',
    });
    await expect(shrinkRun(fragile, { ...base, maxRuns: 0 })).rejects.toMatchObject({ field: 'maxRuns' });
    await expect(shrinkRun(fragile, { ...base, guarantee: 'nope' })).rejects.toMatchObject({
      field: 'guarantee',
    });
    await expect(shrinkRun(fragile, { ...base, plan: {} })).rejects.toBeInstanceOf(ShrinkError);
    await expect(shrinkRun(fragile, { ...base, plan: {} })).rejects.toMatchObject({ field: 'plan' });
  });
});
