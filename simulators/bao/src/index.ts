/**
 * @fanout/sim-bao — a fake OpenBao server with the popsigner `secp256k1` plugin API: real
 * secp256k1 keys and signatures (@noble/curves), per-namespace key storage, token auth, health
 * switches, fault hooks (latency, errors, sealed, 429, reset, hang, lost reply, forged signature),
 * request counters, a binding into the sim kit's SimNetwork; the live HTTP server is in `@fanout/sim-bao/live`.
 */
export * from './app.js';
export * from './crypto.js';
export * from './faults.js';
export * from './network.js';
export * from './rng.js';
export { KeyStore, type KeyEntry } from './store.js';
