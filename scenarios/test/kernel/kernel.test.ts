/**
 * The kernel's own contract, on small synthetic scenarios: guarantee bookkeeping (declared,
 * undeclared, missing, thrown), options through the schema, plans drawn or given, the baseline
 * twin, streaming runMany with shards and replay files, the determinism check, and PlanView.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { fanOut } from '@fanout/core';
import { FaultPlanError, parseFaultPlan } from '@fanout/sim';
import {
  OptionsError,
  PlanView,
  ScenarioDefinitionError,
  checkDeterminism,
  defineScenario,
  httpService,
  latencyBounds,
  loadReplay,
  runMany,
  runScenario,
  shardRuns,
  type RunResult,
} from '../../src/kernel/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fanout-kernel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** N HTTP endpoints answering their index after a plan-given latency; the client takes the first k. */
const firstK = defineScenario({
  name: 'demo.first-k',
  title: 'the first k of n endpoints',
  options: z.object({
    n: z.number().int().min(1).max(50).default(5),
    k: z.number().int().min(1).default(3),
  }),
  guarantees: ['k-answers', 'one-outcome-per-endpoint'] as const,
  plan: ({ rng, options }) => ({
    latency: {
      default: { kind: 'constant', ms: 10 },
      perTarget: { [`ep-${rng.int(0, options.n - 1)}`]: { kind: 'constant', ms: 5000 } },
    },
  }),
  async run(ctx) {
    const { n, k } = ctx.options;
    const eps = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        httpService(ctx.world, () => new Response(String(i)), { target: `ep-${i}` }),
      ),
    );
    const result = await fanOut(
      eps,
      async (ep, { signal }) => Number(await (await ctx.world.fetch(ep.url, { signal })).text()),
      {
        key: (ep) => ep.target,
        clock: ctx.world.clock,
        concurrency: ctx.sequential ? 1 : undefined,
        quorum: ctx.sequential ? undefined : { count: k, exit: 'early' },
        onEvent: ctx.fanOutEvents('quote'),
      },
    );
    ctx.latency(result.elapsedMs);
    ctx.outcome('quote', { got: result.fulfilled.map((o) => o.value) });
    ctx.check('k-answers', result.fulfilled.length >= k, `${result.fulfilled.length} answers`);
    ctx.check('one-outcome-per-endpoint', result.outcomes.length === n);
  },
});

describe('defineScenario', () => {
  test('refuses malformed definitions, naming the field', () => {
    const base = { title: 't', guarantees: ['a'] as const, run: async () => {} };
    expect(() => defineScenario({ ...base, name: 'NoDot' })).toThrow(ScenarioDefinitionError);
    expect(() => defineScenario({ ...base, name: 'x.y', guarantees: [] })).toThrow(/at least one guarantee/);
    expect(() => defineScenario({ ...base, name: 'x.y', guarantees: ['a', 'a'] as const })).toThrow(
      /declared twice/,
    );
    expect(() => defineScenario({ ...base, name: 'x.y', defaultRuns: { sim: 0 } })).toThrow(/default runs/);
  });
});

/** Hedged and retried requests: ep-0 is slow (hedged after 100 ms), ep-1 fails its first call. */
const hedgedRetried = defineScenario({
  name: 'demo.hedged-retried',
  title: 'a hedged request and a retried one',
  guarantees: ['all-answer'] as const,
  plan: () => ({
    latency: { default: { kind: 'constant', ms: 10 }, perTarget: { 'ep-0': { kind: 'constant', ms: 400 } } },
  }),
  async run(ctx) {
    let ep1Calls = 0;
    const eps = await Promise.all(
      [0, 1, 2].map((i) =>
        httpService(
          ctx.world,
          () =>
            i === 1 && ep1Calls++ === 0 ? new Response('busy', { status: 503 }) : new Response(String(i)),
          { target: `ep-${i}` },
        ),
      ),
    );
    const result = await fanOut(
      eps,
      async (ep, { signal }) => {
        const res = await ctx.world.fetch(ep.url, { signal });
        if (!res.ok) throw new Error(`${ep.target}: ${res.status}`);
        return Number(await res.text());
      },
      {
        key: (ep) => ep.target,
        clock: ctx.world.clock,
        retry: { attempts: 2, backoff: 5 },
        hedge: { afterMs: 100, max: 1 },
        onEvent: ctx.fanOutEvents('quote'),
      },
    );
    ctx.check('all-answer', result.fulfilled.length === 3);
  },
});

describe('traced fan-out decisions', () => {
  test('retries and hedged requests are trace events on their target; a run without them has none', async () => {
    const r = await runScenario(hedgedRetried, { seed: 1 });
    expect(r.held).toBe(true);
    const timers = r.trace!.events().filter((e) => e.kind === 'timer');
    expect(timers).toContainEqual(
      expect.objectContaining({ decision: 'retry', target: 'ep-1', attempt: 2, delayMs: 5 }),
    );
    expect(timers).toContainEqual(expect.objectContaining({ decision: 'hedge', target: 'ep-0', t: 100 }));
    const plain = await runScenario(firstK, { seed: 3 });
    const decisions = plain.trace!.events().map((e) => e.decision);
    expect(decisions).not.toContain('retry');
    expect(decisions).not.toContain('hedge');
  });
});

/** A scenario that keeps state between runs (its trace counts its calls); guarantee g is `held`. */
function leakyScenario(name: string, held: boolean) {
  let calls = 0;
  return defineScenario({
    name,
    title: 'state kept between runs',
    guarantees: ['g'] as const,
    async run(ctx) {
      ctx.world.record('note', { calls: calls++ });
      ctx.check('g', held, held ? undefined : 'always');
    },
  });
}

describe('runScenario', () => {
  test('a run reports every declared guarantee, its decision time in virtual ms, a trace hash and the plan it used', async () => {
    const r = await runScenario(firstK, { seed: 3 });
    expect(r.guarantees.map((g) => [g.name, g.held])).toEqual([
      ['k-answers', true],
      ['one-outcome-per-endpoint', true],
    ]);
    expect(r.latencyMs).toBe(10);
    expect(r.traceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(r.plan.latency.perTarget)).toHaveLength(1);
    const kinds = new Set(r.trace!.events().map((e) => e.kind));
    for (const k of ['send', 'deliver', 'reply', 'timer', 'outcome']) expect(kinds).toContain(k);
  });

  test('options are parsed through the schema; a bad one names its path', async () => {
    const r = await runScenario(firstK, { seed: 1, options: { n: 7 } });
    expect(r.options).toEqual({ n: 7, k: 3 });
    await expect(runScenario(firstK, { seed: 1, options: { n: 0 } })).rejects.toThrow(OptionsError);
    await expect(runScenario(firstK, { seed: 1, options: { n: 0 } })).rejects.toThrow(
      /demo\.first-k options: n: /,
    );
    await expect(runScenario(firstK, { seed: 1, options: { n: 'x' } })).rejects.toThrow(/n: /);
  });

  test('a given plan replaces the drawn one; a bad plan is refused before any world exists', async () => {
    const plan = parseFaultPlan({ latency: { default: { kind: 'constant', ms: 30 } } });
    const r = await runScenario(firstK, { seed: 3, plan });
    expect(r.latencyMs).toBe(30);
    await expect(
      runScenario(firstK, { seed: 3, plan: { rules: [{ fault: 'nope' }] } as never }),
    ).rejects.toThrow(FaultPlanError);
  });

  test('the kernel flags a run that throws, leaves a guarantee unchecked, or reports an undeclared one', async () => {
    const bad = defineScenario({
      name: 'demo.bad',
      title: 'misbehaving',
      options: z.object({ how: z.enum(['throw', 'skip', 'extra', 'twice']) }),
      guarantees: ['a', 'b'] as const,
      async run(ctx) {
        if (ctx.options.how === 'throw') throw new Error('boom');
        ctx.check('a', true);
        if (ctx.options.how === 'extra') (ctx.check as (n: string, h: boolean) => void)('c', true);
        if (ctx.options.how === 'twice') {
          ctx.check('b', false, 'first');
          ctx.check('b', true);
        } else if (ctx.options.how !== 'skip') ctx.check('b', true);
      },
    });
    const thrown = await runScenario(bad, { seed: 1, options: { how: 'throw' } });
    expect(thrown.held).toBe(false);
    expect(thrown.guarantees.map((g) => g.name)).toEqual(['a', 'b', 'ran-to-completion']);
    expect(thrown.guarantees[2]!.detail).toContain('boom');
    const skipped = await runScenario(bad, { seed: 1, options: { how: 'skip' } });
    expect(skipped.guarantees[1]).toEqual({ name: 'b', held: false, detail: 'never checked by the run' });
    const extra = await runScenario(bad, { seed: 1, options: { how: 'extra' } });
    expect(extra.guarantees.at(-1)).toMatchObject({ name: 'declared-guarantees', held: false });
    const twice = await runScenario(bad, { seed: 1, options: { how: 'twice' } });
    expect(twice.guarantees[1]).toEqual({ name: 'b', held: false, detail: 'first' });
  });

  test('the baseline twin runs the same workload one target at a time and never changes the trace hash', async () => {
    const plain = await runScenario(firstK, { seed: 3 });
    const withTwin = await runScenario(firstK, { seed: 3, baseline: true });
    expect(withTwin.traceHash).toBe(plain.traceHash);
    // 4 endpoints at 10 ms and one at 5000 ms, one at a time: 5040 ms against 10 ms.
    expect(withTwin.sequentialMs).toBe(5040);
  });

  test('live: the same scenario over real HTTP on 127.0.0.1, no trace', async () => {
    const r = await runScenario(firstK, { seed: 3, mode: 'live', options: { n: 3, k: 2 }, plan: {} });
    expect(r.held).toBe(true);
    expect(r.traceHash).toBeUndefined();
  });
});

describe('runMany', () => {
  test('streams: counts, percentiles, baseline sample, failures with replay + trace files that reload', async () => {
    const flaky = defineScenario({
      name: 'demo.flaky',
      title: 'violates on odd seeds',
      guarantees: ['even'] as const,
      async run(ctx) {
        await ctx.world.clock.sleep(ctx.seed);
        ctx.world.record('note', { seed: ctx.seed });
        ctx.check('even', ctx.seed % 2 === 0, `seed ${ctx.seed}`);
      },
    });
    const seen: number[] = [];
    const s = await runMany(flaky, {
      seed: 10,
      runs: 20,
      replayDir: dir,
      onRun: ({ result }) => seen.push(result.seed),
    });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, k) => 10 + k));
    expect([s.runs, s.runsHeld, s.runsViolated, s.failureCount]).toEqual([20, 10, 10, 10]);
    expect(s.p50Ms).toBe(19);
    expect(s.baselineRuns).toBe(2); // runs 0 and 10 of 20
    const f = s.failures[0]!;
    expect(f.replayFile).toBe(`${dir}/demo.flaky-sim-11.json`);
    const loaded = loadReplay(f.replayFile!);
    expect([loaded.file.seed, loaded.mode, loaded.file.violation]).toEqual([11, 'sim', 'even: seed 11']);
    expect(f.traceFile).toBe(`${dir}/demo.flaky-sim-11.trace.jsonl`);
  });

  test('runs keep only their trace hash; a violating seed is run again for its lines, whose file matches the hash', async () => {
    const odd = defineScenario({
      name: 'demo.odd',
      title: 'violates on odd seeds, after some traced events',
      guarantees: ['even'] as const,
      async run(ctx) {
        for (let i = 0; i < 5; i++) {
          await ctx.world.clock.sleep(1 + ctx.rng.int(0, 9));
          ctx.world.record('note', { i, seed: ctx.seed });
        }
        ctx.check('even', ctx.seed % 2 === 0);
      },
    });
    const results: RunResult[] = [];
    const s = await runMany(odd, {
      seed: 4,
      runs: 4,
      replayDir: dir,
      baseline: 'all',
      onRun: ({ result }) => results.push(result),
    });
    // the re-run of a violating seed has no twin: its result keeps the first run's figure
    expect(results.map((r) => r.sequentialMs !== undefined)).toEqual([true, true, true, true]);
    expect(s.failures.map((f) => [f.seed, f.guarantee])).toEqual([
      [5, 'even'],
      [7, 'even'],
    ]);
    for (const r of results) {
      const alone = await runScenario(odd, { seed: r.seed });
      expect(r.traceHash).toBe(alone.traceHash);
      expect(r.trace!.total).toBe(alone.trace!.total);
      // held runs: no line kept; violating runs: every line (the re-run's)
      expect(r.trace!.size).toBe(r.held ? 0 : alone.trace!.total);
    }
    const f = s.failures[0]!;
    const text = readFileSync(f.traceFile!, 'utf8');
    expect(createHash('sha256').update(text).digest('hex')).toBe(loadReplay(f.replayFile!).file.traceHash);
    expect(text.trim().split('\n')).toHaveLength(5);
  });

  test("a violating seed whose re-run gives another trace hash is a 'deterministic' failure", async () => {
    const leaky = leakyScenario('demo.leaky-violation', false);
    const s = await runMany(leaky, { seed: 1, runs: 1, replayDir: false });
    expect(s.failures.map((f) => f.guarantee)).toEqual(['g', 'deterministic']);
    expect(s.failures[1]!.detail).toMatch(
      /trace hash [0-9a-f]{64}, the same seed run again for its trace file [0-9a-f]{64}/,
    );
    expect(s.failureCount).toBe(2);
  });

  test('shards split the runs without overlap and cover them all', () => {
    const a = shardRuns(10, { index: 1, count: 3 });
    const b = shardRuns(10, { index: 2, count: 3 });
    const c = shardRuns(10, { index: 3, count: 3 });
    expect([...a, ...b, ...c].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, k) => k));
  });
});

describe('checkDeterminism', () => {
  test('identical hashes for a deterministic scenario; a mismatch for one that leaks state between runs', async () => {
    expect((await checkDeterminism(firstK, { seeds: [1, 2, 3] })).mismatches).toEqual([]);
    const leaky = leakyScenario('demo.leaky', true);
    const r = await checkDeterminism(leaky, { seeds: [5] });
    expect(r.mismatches.map((m) => m.seed)).toEqual([5]);
  });
});

describe('PlanView', () => {
  const view = new PlanView(
    parseFaultPlan({
      groups: { g: ['b'] },
      latency: {
        default: { kind: 'normal', meanMs: 50, sdMs: 10 },
        perTarget: { c: { kind: 'constant', ms: 900 } },
      },
      rules: [
        { fault: 'partition', targets: ['a'] },
        { fault: 'dropReply', group: 'g', probability: 0.5 },
        { fault: 'crash', targets: ['c'], atMs: 100, restartAfterMs: 100 },
        { fault: 'behave', targets: ['d'], behaviour: 'stale', window: { fromMs: 0, toMs: 50 } },
        { fault: 'delay', targets: ['e'], latency: { kind: 'uniform', minMs: 10, maxMs: 20 } },
      ],
    }),
  );
  test('certainties per target and interval', () => {
    expect(view.unreachable('a')).toBe('always');
    expect(view.silent('b')).toBe('maybe');
    expect(view.unreachable('c', { fromMs: 0, toMs: 50 })).toBe('never');
    expect(view.unreachable('c', { fromMs: 120, toMs: 150 })).toBe('always');
    expect(view.unreachable('c', { fromMs: 50, toMs: 150 })).toBe('maybe');
    expect(view.behaves('d', 'stale', { fromMs: 0, toMs: 10 })).toBe('always');
    expect(view.behaves('d', 'stale')).toBe('maybe');
    expect(view.behaves('a', 'stale')).toBe('never');
    expect(view.replyDelayBounds('e')).toEqual([10, 130]);
    expect(view.replyDelayBounds('c')).toEqual([900, 900]);
    expect(latencyBounds({ kind: 'pareto', scaleMs: 5, shape: 1 })).toEqual([5, Infinity]);
  });
});
