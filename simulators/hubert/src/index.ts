/**
 * @fanout/sim-hubert — Hubert (BlockchainCommons hubert-rust v0.5.0) for fanout-lab:
 * UR/CBOR helpers for ARIDs and envelopes, deterministic in-process KvStore backends (memory,
 * server, mainline, IPFS, hybrid) with fault hooks and a crash/restart persistence model, the
 * byte-exact Hubert HTTP server as a hono app, a fetch-based HTTP client; the live server is in `@fanout/sim-hubert/live`.
 */
export * from './kv-store.js';
export * from './errors.js';
export * from './ur.js';
export * from './envelope-check.js';
export * from './faults.js';
export * from './volume.js';
export * from './stores/base.js';
export * from './stores/memory.js';
export * from './stores/mainline.js';
export * from './stores/ipfs.js';
export * from './stores/hybrid.js';
export * from './http/rust-text.js';
export * from './http/app.js';
export * from './http/client.js';
