/**
 * @fanout/sim-bao/live — the Bao simulator on a real HTTP listener (127.0.0.1), with the fault plan
 * applied at its edge and a TCP front that accepts the `LIST` method.
 */
export { startBaoServer, type BaoServerHandle, type BaoServerOptions } from './server.js';
export { ListMethodRewriter, MAX_HEAD_BYTES, withListQuery } from './list-front.js';
