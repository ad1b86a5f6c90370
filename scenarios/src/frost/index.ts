/**
 * @fanout/scenarios/frost — FROST threshold signing over a Hubert KV store on the scenario kernel:
 * the parties in a kernel World (world.ts), participant behaviours and Hubert faults as plan rules
 * (plan.ts), the oracle that reads them back (oracle.ts, timing.ts, timing-oracle.ts), four
 * scenarios, the demo (`fanout frost demo`) and the Hubert server as the stand-alone simulator
 * (`fanout sim frost`, also `fanout sim hubert` from hubert-system.ts).
 */
import { defineSystem } from '../kernel/system.js';
import { frostDemo } from './demo.js';
import { hubertSim } from './live/sim.js';
import { frostScenarios } from './scenarios.js';

export * from './plan.js';
export * from './timing.js';
export * from './timing-oracle.js';
export * from './oracle.js';
export * from './hubert-faults.js';
export * from './world.js';
export * from './fixture.js';
export * from './identities.js';
export * from './events.js';
export * from './scenarios.js';
export * from './demo.js';
export * as frostTools from './tools/index.js';

/** The FROST system module. */
const frost = defineSystem({
  name: 'frost',
  title: 'FROST threshold signing over a Hubert KV store',
  scenarios: frostScenarios,
  demo: frostDemo,
  sim: hubertSim,
});
export default frost;
