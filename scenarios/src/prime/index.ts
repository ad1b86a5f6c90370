/**
 * @fanout/scenarios prime — the Prime system (seed 004, a federated-training coordinator): the
 * coordinator of @fanout/prime fanning rounds out to @fanout/sim-prime trainers; five scenarios
 * (round quorum, Byzantine trainers, no head-of-line blocking, heartbeats, no update lost across a
 * coordinator crash), the demo (`fanout prime demo`) and the stand-alone simulator (`fanout sim prime`).
 */
import { defineSystem } from '../kernel/system.js';
import { primeDemo } from './demo.js';
import { primeSim } from './live/sim.js';
import { primeScenarios } from './scenarios.js';

/** The Prime system module. */
const prime = defineSystem({
  name: 'prime',
  title: 'Prime: a federated-training coordinator fanning out rounds to trainer nodes',
  scenarios: primeScenarios,
  demo: primeDemo,
  sim: primeSim,
});
export default prime;

export * from './world.js';
export * from './plan.js';
export * from './oracle.js';
export * from './events.js';
export * from './kit.js';
export * from './scenarios.js';
export { primeDemo, type PrimeDemoOptions } from './demo.js';
export { primeSim } from './live/sim.js';
