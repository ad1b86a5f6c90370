/**
 * Live tier: the Prime scenarios with every trainer a real HTTP server on 127.0.0.1 (the plan at
 * each server's edge, one shared injector), wall time. Guarantees only: no assertion on wall-clock
 * timing (prime.no-hol checks the slow trainer was cancelled, not how many ms the round took).
 */
import { describe, expect, test } from 'vitest';
import { runScenario } from '../../../src/kernel/index.js';
import { primeScenarios } from '../../../src/prime/scenarios.js';
import { expectHeld } from '../helpers.js';

describe('Prime scenarios, live over HTTP on 127.0.0.1', () => {
  test.each(primeScenarios.map((s) => [s.name, s] as const))('%s keeps its guarantees', async (_name, s) => {
    const r = await runScenario(s, { seed: 1, mode: 'live' });
    expectHeld(r);
    expect(r.traceHash).toBeUndefined();
  });
});
