/**
 * The systems not yet on the scenario kernel (FROST), as they were: their worlds,
 * scenarios and demos on the old framework. Removed once each system is ported.
 */
export * from './framework.js';
export * from './runner.js';
export * from './frost/world.js';
export * from './frost/scenarios.js';
export * from './frost/demo.js';
import type { Scenario } from './framework.js';
import { frostScenarios } from './frost/scenarios.js';

/** Every scenario, by name: one spread per system. */
export const scenarios: ReadonlyMap<string, Scenario> = new Map([...frostScenarios].map((s) => [s.name, s]));
