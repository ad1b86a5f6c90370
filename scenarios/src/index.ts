/**
 * @fanout/scenarios — scenario definitions run by `fanout run` and by the property suites.
 */
export * from './framework.js';
export * from './runner.js';
export * from './raida/world.js';
export * from './raida/scenarios.js';
export * from './bao/world.js';
export * from './bao/scenarios.js';
export * from './bao/demo.js';
export * from './dht/world.js';
export * from './dht/scenarios.js';
export * from './frost/world.js';
export * from './frost/scenarios.js';
export * from './frost/demo.js';
import type { Scenario } from './framework.js';
import { raidaScenarios } from './raida/scenarios.js';
import { baoScenarios } from './bao/scenarios.js';
import { dhtScenarios } from './dht/scenarios.js';
import { frostScenarios } from './frost/scenarios.js';

/** Every scenario, by name: one spread per system. */
export const scenarios: ReadonlyMap<string, Scenario> = new Map(
  [...raidaScenarios, ...baoScenarios, ...dhtScenarios, ...frostScenarios].map((s) => [s.name, s]),
);
