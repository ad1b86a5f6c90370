/**
 * @fanout/frost — the cryptographic and message layer of FROST over Hubert:
 * FROST(Ed25519, SHA-512) over @noble/curves (RFC 9591), XID-style identities, sealed
 * (signed + encrypted + expiring) CBOR messages, the message schemas of the DKG and signing flows,
 * a pure participant state machine and pure coordinator round functions; and, over a Hubert
 * KvStore, the coordinator commands with parallel (fanOut) or sequential rounds, participant
 * agents, whole DKG/signing flows and a progress display model.
 */
export * from './agent.js';
export * from './ciphersuite.js';
export * from './coordinator.js';
export * from './errors.js';
export * from './flow.js';
export * from './frost-coordinator.js';
export * from './identity.js';
export * from './kv.js';
export * from './messages.js';
export * from './participant.js';
export * from './progress.js';
export * from './rng.js';
export * from './rounds.js';
export * from './sealed.js';
export * from './ur.js';
export * from './wire.js';
export { encodeCbor, decodeCbor } from './cbor.js';
export { parseOrThrow } from './schema.js';
