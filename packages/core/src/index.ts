/**
 * @fanout/core — the fan-out engine: send one call to N targets, gather one terminal outcome per
 * target, keyed by id, with per-attempt timeouts, an overall deadline, quorum early exit,
 * retries, hedged requests, progress events, and a Clock that can be real or virtual.
 */
export * from './clock.js';
export * from './errors.js';
export * from './types.js';
export * from './hedge-history.js';
export { fanOut, type FanOutCall } from './fan-out.js';
import './shape-anchor.js';
export * from './transport.js';
