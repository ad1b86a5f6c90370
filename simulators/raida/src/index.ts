/**
 * @fanout/sim-raida — fake RAIDA servers as pure handlers (bytes in, bytes out; no sockets, no
 * clock), their AN tables, seeding helpers, and in-process wiring of 25 servers for fix.
 */
export * from './table.js';
export * from './mint.js';
export * from './server.js';
export * from './cluster.js';
export * from './service.js';
