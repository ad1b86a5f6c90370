/**
 * @fanout/sim-dht — a transport-agnostic DHT simulator: Kademlia nodes (k-bucket routing table,
 * 20-byte ids) with OpenDHT value semantics (several values per key, id + seq replacement,
 * per-value TTL, 64 KiB values, storage cap, listen), iterative lookups (alpha 3, k 8), and a
 * deterministic swarm builder with churn and faulty nodes — over an in-process transport (fast
 * unit tests), over the sim kit's SimNetwork (virtual time, fault plans) or, via
 * `@fanout/sim-dht/live`, over real UDP sockets on 127.0.0.1.
 */
export * from './datagram.js';
export * from './errors.js';
export * from './fragment.js';
export * from './ids.js';
export * from './messages.js';
export * from './node.js';
export * from './rng.js';
export * from './searches.js';
export * from './storage.js';
export * from './swarm.js';
export * from './transport.js';
export * from './wire.js';
