/**
 * @fanout/sim/live — the live tier of the simulation kit: real UDP and HTTP servers on 127.0.0.1
 * with the same fault plan applied at their edge as the simulated network applies in virtual time.
 * Kept out of the main entry so that code running under the simulated clock never loads sockets.
 */
export * from './udp-service.js';
export * from './http-service.js';
export * from './fault-control-server.js';
export * from './http-edge.js';
