/**
 * @fanout/sim — the simulation kit every simulator uses: seeded RNG streams, latency models,
 * fault plans, the simulated network (virtual time), live edges (real UDP/HTTP on 127.0.0.1 with
 * the same plan), traces with a stable hash, and replay files.
 */
export * from './rng.js';
export * from './latency.js';
export * from './trace.js';
export * from './fault-plan.js';
export * from './network.js';
export * from './replay.js';
export * from './live/udp-service.js';
export * from './live/http-service.js';
