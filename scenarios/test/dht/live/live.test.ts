/**
 * Live tier: the DHT offline-queue scenarios over real UDP sockets on 127.0.0.1 (one socket per
 * DHT node, the world's one fault injector at every node's edge), wall-clock time. Guarantees
 * and outcomes only (one seed each, to stay fast on a shared machine); no wall-clock bound.
 */
import { describe, expect, test } from 'vitest';
import { runScenario } from '../../../src/kernel/index.js';
import { dhtScenarios } from '../../../src/dht/index.js';
import { violations } from '../helpers.js';

describe('DHT scenarios, live over UDP on 127.0.0.1', () => {
  test('all five DHT scenarios are registered for live mode, names unchanged', () => {
    expect(dhtScenarios.map((s) => s.name)).toEqual([
      'dht.no-loss',
      'dht.no-hol',
      'dht.ordering',
      'dht.churn-partition',
      'dht.coalescing',
    ]);
    for (const s of dhtScenarios) expect(s.tiers).toContain('live');
  });

  test.each(dhtScenarios.map((s) => [s.name, s] as const))(
    '%s keeps its guarantees',
    async (name, scenario) => {
      const r = await runScenario(scenario, { seed: 1, mode: 'live' });
      // every declared guarantee was checked, and held
      expect(r.guarantees.map((g) => g.name)).toEqual([...scenario.guarantees]);
      expect(violations(r)).toBe('');
      expect(r.facts['lookups']).toBeGreaterThan(0);
      expect(r.traceHash).toBeUndefined();
      // Tier defaults: the live runs use the live sizes.
      expect(r.options['nodes']).toBe(50);
      if (name === 'dht.no-hol') expect(r.options['slowMs']).toBe(1000);
    },
  );
});
