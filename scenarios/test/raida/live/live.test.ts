/**
 * Live tier: the same RAIDA scenarios over real UDP sockets on 127.0.0.1 (25 server sockets, one
 * client socket), fault plan applied at each server's edge, wall-clock time. Guarantees only; no
 * timing assertion on the shared machine's wall clock (live no-hol checks that the slow RAIDA
 * were cancelled, not how many ms the decision took).
 */
import { describe, expect, test } from 'vitest';
import { runScenario } from '../../../src/kernel/index.js';
import { raidaScenarios, SLOW_MS_LIVE } from '../../../src/raida/scenarios.js';

describe('RAIDA scenarios, live over UDP on 127.0.0.1', () => {
  test.each(raidaScenarios.map((s) => [s.name, s] as const))(
    '%s keeps its guarantees',
    async (_name, scenario) => {
      for (const seed of [1, 2]) {
        const r = await runScenario(scenario, { seed, mode: 'live' });
        for (const g of r.guarantees) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
        expect(r.traceHash).toBeUndefined();
        // Tier default: the live no-hol run uses the live slow latency, not the sim one.
        if (scenario.name === 'raida.no-hol') expect(r.options['slowMs']).toBe(SLOW_MS_LIVE);
      }
    },
  );
});
