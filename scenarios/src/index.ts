/**
 * @fanout/scenarios — scenario definitions run by `fanout run` and by the property suites.
 */
export * from './framework.js';
export * from './runner.js';
export * from './raida/world.js';
export * from './raida/scenarios.js';
import type { Scenario } from './framework.js';
import { raidaScenarios } from './raida/scenarios.js';

/** Every scenario, by name: one spread per system. */
export const scenarios: ReadonlyMap<string, Scenario> = new Map([...raidaScenarios].map((s) => [s.name, s]));
