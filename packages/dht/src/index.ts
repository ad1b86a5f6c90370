/**
 * @fanout/dht — DNA Messenger offline outboxes on a DHT: the byte-compatible outbox codec
 * (v1 + v2 messages), outbox key derivation (SHA3-512 → OpenDHT SHA-1 InfoHash), signed
 * values with OpenDHT `putSigned` semantics (ed25519), the sender-side queue helper, and the
 * parallel retrieval client (fanOut over every contact's outbox).
 */
export * from './codec.js';
export * from './keys.js';
export * from './outbox.js';
export * from './signed.js';
export { SIGNATURE_MEMO, signingKey, type SigningKey } from '@fanout/signing-key';
export * from './client.js';
