/**
 * Live tier: the Bao scenarios over real HTTP on 127.0.0.1 (the simulator on an ephemeral port,
 * the fault plan at its socket edge, hooks behind it), wall-clock time. Guarantees only: the live
 * bounds inside the scenarios are loose (seed 001's), no other timing is asserted.
 */
import { describe, expect, test } from 'vitest';
import { baoScenarios, runBaoDemo } from '../../src/legacy.js';

describe('Bao scenarios, live over HTTP on 127.0.0.1', () => {
  test.each(baoScenarios.map((s) => [s.name, s] as const))(
    '%s keeps its guarantees',
    async (_name, scenario) => {
      const r = await scenario.run({ seed: 1, mode: 'live', options: scenario.defaults });
      for (const g of r.guarantees) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
      expect(r.traceHash).toBeUndefined();
    },
  );

  test('the demo creates the parallel workers and signs a batch through the pooled undici client', async () => {
    const items: string[] = [];
    const report = await runBaoDemo({
      workers: 4,
      mode: 'live',
      seed: 1,
      signs: 8,
      signLatencyMs: 20,
      onProgress: (e) =>
        void (e.type === 'item' && e.status !== 'started' && items.push(`${e.phase} ${e.label} ${e.status}`)),
    });
    expect(report.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(report.accounts.map((a) => a.name)).toEqual([
      'default',
      'parallel-worker-1',
      'parallel-worker-2',
      'parallel-worker-3',
    ]);
    expect(report.accounts.every((a) => /^[0-9a-f]{40}$/.test(a.address))).toBe(true);
    expect(report).toMatchObject({ createFailed: [], signs: 8, signed: 8, verified: 8, signFailed: 0 });
    expect(report.peakInFlight).toBeGreaterThan(1);
    expect(items.filter((i) => i.startsWith('create'))).toHaveLength(4);
    expect(items.filter((i) => i.startsWith('sign') && i.endsWith('ok'))).toHaveLength(8);
  });
});
