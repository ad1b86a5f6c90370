/**
 * @fanout/scenarios/bao — the Bao system: a BaoKeyring (popsigner's keyring over OpenBao's
 * `secp256k1` plugin) against a simulated OpenBao, five scenarios, the parallel-worker demo
 * (`fanout bao demo`) and the stand-alone simulator (`fanout sim bao`).
 */
import { defineSystem } from '../kernel/system.js';
import { baoDemo } from './demo.js';
import { baoSim } from './live/sim.js';
import { baoScenarios } from './scenarios.js';

export * from './plan.js';
export * from './hooks.js';
export * from './oracle.js';
export * from './world.js';
export * from './workers.js';
export * from './messages.js';
export * from './checks/signing.js';
export * from './checks/create-batch.js';
export * from './checks/auth.js';
export * from './checks/signatures.js';
export * from './scenarios.js';
export * from './demo.js';

/** The Bao system module. */
const bao = defineSystem({
  name: 'bao',
  title: 'Bao keyring: secp256k1 keys in OpenBao for parallel Celestia workers',
  scenarios: baoScenarios,
  demo: baoDemo,
  sim: baoSim,
});
export default bao;
