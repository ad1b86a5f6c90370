/**
 * @fanout/sim-prime — simulated trainer nodes for @fanout/prime (honest and Byzantine, real SGD on
 * their shard, compute time on the Clock), the coordinator's HTTP API, their binding on the sim
 * kit's SimNetwork, and a ready-made virtual-time world. The live tier (real HTTP servers on
 * 127.0.0.1) is in `@fanout/sim-prime/live`.
 */
export * from './behaviours.js';
export * from './trainer.js';
export * from './coordinator-app.js';
export * from './network.js';
export * from './world.js';
export * from './register.js';
