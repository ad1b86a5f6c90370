/**
 * The DHT system on the scenario kernel: DNA Messenger offline outboxes on a simulated OpenDHT
 * swarm — five scenarios (dht.no-loss, dht.no-hol, dht.ordering, dht.churn-partition,
 * dht.coalescing), the end-to-end demo (`fanout dht demo`) and the stand-alone simulator
 * (`fanout sim dht`). See docs/dht.md.
 */
import { defineSystem } from '../kernel/system.js';
import { dhtDemo } from './demo.js';
import { dhtSim } from './live/sim.js';
import { dhtScenarios } from './scenarios.js';

export * from './ids.js';
export * from './plan.js';
export * from './contacts.js';
export * from './world.js';
export * from './oracle.js';
export * from './discovery.js';
export * from './scenario-kit.js';
export * from './no-hol.js';
export * from './churn.js';
export * from './scenarios.js';
export * from './demo.js';

/** The DHT system module. */
const dht = defineSystem({
  name: 'dht',
  title: 'DHT offline messages: a recipient fetching 100 contacts’ outboxes',
  scenarios: dhtScenarios,
  demo: dhtDemo,
  sim: dhtSim,
});
export default dht;
