/**
 * @fanout/sim-raida — fake RAIDA servers as pure handlers (bytes in, bytes out; no sockets, no
 * clock), their AN tables and page range, the reused connection slot behind stale error replies,
 * ticket pools, seeding helpers, in-process wiring of 25 servers for fix, and the sim-network
 * service with the plan behaviours it knows.
 */
export * from './table.js';
export * from './pages.js';
export * from './slot.js';
export * from './tickets.js';
export * from './mint.js';
export * from './server.js';
export * from './cluster.js';
export * from './service.js';
