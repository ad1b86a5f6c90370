/**
 * @fanout/sim — the simulation kit every simulator uses: seeded RNG streams, latency models,
 * fault plans, the simulated network (virtual time) and traces with a stable hash. The live
 * edges (real sockets) are in `@fanout/sim/live`, replay and trace files in `@fanout/sim/replay`.
 */
export * from './rng.js';
export * from './latency.js';
export * from './mixture-latency.js';
export * from './trace.js';
export * from './fault-plan.js';
export * from './network.js';
export * from './fault-control.js';
export * from './compose.js';
export * from './clock-faults.js';
export * from './burst-loss.js';
export * from './swizzle.js';
export * from './http-toxics.js';
export * from './buffered-response.js';
export * from './buffered-request.js';
