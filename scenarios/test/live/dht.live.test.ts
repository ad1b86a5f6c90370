/**
 * Live tier: the DHT offline-queue scenarios over real UDP sockets on 127.0.0.1 (one socket per
 * DHT node, fault plan applied at each node's edge), wall-clock time. Guarantees only (one seed
 * each, to stay fast on a shared machine); no timing assertion on the wall clock.
 */
import { describe, expect, test } from 'vitest';
import { dhtScenarios } from '../../src/legacy.js';

describe('DHT scenarios, live over UDP on 127.0.0.1', () => {
  test('all five DHT scenarios are registered for live mode', () => {
    expect(dhtScenarios.map((s) => s.name)).toEqual([
      'dht.no-loss',
      'dht.no-hol',
      'dht.ordering',
      'dht.churn-partition',
      'dht.coalescing',
    ]);
    for (const s of dhtScenarios) expect(s.modes).toContain('live');
  });

  test.each(dhtScenarios.map((s) => [s.name, s] as const))(
    '%s keeps its guarantees',
    async (_name, scenario) => {
      const r = await scenario.run({ seed: 1, mode: 'live', options: scenario.defaults });
      // every declared guarantee was checked, and held
      expect(r.guarantees.map((g) => g.name).sort()).toEqual([...scenario.guarantees].sort());
      for (const g of r.guarantees) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
      expect(r.facts?.lookups).toBeGreaterThan(0);
      expect(r.traceHash).toBeUndefined();
    },
  );
});
