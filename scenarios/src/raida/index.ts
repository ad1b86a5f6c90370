/**
 * @fanout/scenarios/raida — the RAIDA system: 25 fake RAIDA servers, the RaidaClient grading coins
 * by a 13-of-25 quorum, five scenarios and the stand-alone simulator (`fanout sim raida`).
 */
import { defineSystem } from '../kernel/system.js';
import { raidaSim } from './live/sim.js';
import { raidaScenarios } from './scenarios.js';

export * from './plan.js';
export * from './oracle.js';
export * from './world.js';
export * from './scenarios.js';

/** The RAIDA system module. */
const raida = defineSystem({
  name: 'raida',
  title: 'RAIDA: 25 UDP servers, 13 must agree',
  scenarios: raidaScenarios,
  sim: raidaSim,
});
export default raida;
