/**
 * @fanout/sim-prime/live — trainers and the coordinator as real HTTP servers on 127.0.0.1, with the
 * fault plan applied at their edge (startHttpService from @fanout/sim/live). Wall time by default.
 */
export * from './trainer-server.js';
export * from './coordinator-server.js';
