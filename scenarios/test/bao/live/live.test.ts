/**
 * Live tier: the Bao scenarios over real HTTP on 127.0.0.1 (the simulator served by the kernel's
 * live edge, the fault plan at its socket edge, the plan's Bao behaviours behind it), wall-clock
 * time; and the demo through BaoClient's pooled undici fetch. Guarantees, outcomes and order only:
 * no wall-clock bound is asserted here (the scenarios' own live checks are structural or seed
 * 001's loose bounds).
 */
import { describe, expect, test } from 'vitest';
import { runScenario, type ScenarioEvent } from '../../../src/kernel/index.js';
import { runBaoDemo } from '../../../src/bao/demo.js';
import { baoScenarios } from '../../../src/bao/scenarios.js';

describe('Bao scenarios, live over HTTP on 127.0.0.1', () => {
  test.each(baoScenarios.map((s) => [s.name, s] as const))(
    '%s keeps its guarantees',
    async (_name, scenario) => {
      // bao.no-hol's live check is an order (fast keys before the slow one): a slow key at 2 s
      // instead of seed 001's 500 ms keeps a loaded machine's CPU stalls from reordering it.
      const options = scenario.name === 'bao.no-hol' ? { slowMs: 2_000 } : {};
      const r = await runScenario(scenario, { seed: 1, mode: 'live', options });
      for (const g of r.guarantees) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
      expect(r.traceHash).toBeUndefined();
      // Tier defaults: seed 001's live shape.
      if (scenario.name === 'bao.no-hol') expect(r.options).toMatchObject({ workers: 4, signsPerKey: 1 });
      if (scenario.name === 'bao.create-batch-faults') expect(r.options).toMatchObject({ timeoutMs: 300 });
    },
  );

  test('the demo creates the parallel workers and signs a batch through the pooled undici client', async () => {
    const events: ScenarioEvent[] = [];
    const { result, report } = await runBaoDemo(
      { workers: 4, mode: 'live', seed: 1, signs: 8, signLatency: 20 },
      { onEvent: (e) => void events.push(e) },
    );
    expect(result.held).toBe(true);
    expect(report!.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(report!.accounts.map((a) => a.name)).toEqual([
      'default',
      'parallel-worker-1',
      'parallel-worker-2',
      'parallel-worker-3',
    ]);
    expect(report!.accounts.every((a) => /^[0-9a-f]{40}$/.test(a.address))).toBe(true);
    expect(report).toMatchObject({ createFailed: [], signs: 8, signed: 8, verified: 8, signFailed: 0 });
    expect(report!.peakInFlight).toBeGreaterThan(1);
    // The twin ran (8 × 20 ms is small enough live) and signed one at a time.
    expect(result.sequentialMs).toBeDefined();
    const settled = events.filter((e) => e.type === 'fanout' && e.event.type === 'settled');
    expect(settled.filter((e) => e.type === 'fanout' && e.command === 'createBatch')).toHaveLength(3);
    expect(settled.filter((e) => e.type === 'fanout' && e.command === 'signBatch')).toHaveLength(8);
  });
});
