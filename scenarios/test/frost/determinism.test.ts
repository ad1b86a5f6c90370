/**
 * FROST determinism (sim): the same seed gives the same trace hash, run twice from scratch by the
 * kernel's check; another seed another hash. The trace holds the network, the agents' steps and
 * the coordinator's decisions ('outcome' events), so a change in any of them shows.
 */
import { describe, expect, test } from 'vitest';
import { checkDeterminism, runScenario } from '../../src/kernel/index.js';
import { frostScenarios } from '../../src/frost/scenarios.js';

describe('FROST determinism (sim)', () => {
  test.each(frostScenarios.map((s) => [s.name, s] as const))(
    '%s: the same seed gives the same trace hash; another seed another',
    async (name, s) => {
      const report = await checkDeterminism(s, { seeds: name === 'frost.no-hol' ? [1, 2] : [1] });
      expect(report.mismatches).toEqual([]);
      const a = await runScenario(s, { seed: 1 });
      const b = await runScenario(s, { seed: 6 });
      expect(a.traceHash).toMatch(/^[0-9a-f]{64}$/);
      expect(a.traceHash).not.toBe(b.traceHash);
      expect(a.trace!.events().some((e) => e.kind === 'outcome')).toBe(true);
    },
  );
});
