import { sha1 } from '@noble/hashes/legacy.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Outbox key derivation (nocdem/dna-messenger dht/shared/dht_offline_queue.c
 * `dht_generate_outbox_key`, `make_outbox_base_key`) and OpenDHT's key hashing
 * (`dht::InfoHash::get(key, key_len)` in dht/core/dht_context.cpp; `Hash<20>::get` in
 * opendht include/opendht/infohash.h computes `crypto::hash(data, len, out, 20)`, i.e. SHA-1
 * of the bytes for a 20-byte InfoHash).
 */

/** A fingerprint: 128 lowercase hex chars (SHA3-512 of the identity's public key, printed with "%02x"). */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{128}$/;

/** A fingerprint argument was not 128 lowercase hex characters. `field` names the argument. */
export class FingerprintError extends Error {
  override readonly name = 'FingerprintError';
  constructor(
    readonly field: string,
    readonly value: unknown,
  ) {
    super(
      `${field} must be a fingerprint of 128 lowercase hex characters, got ${
        typeof value === 'string'
          ? `${value.length} chars ${JSON.stringify(value.slice(0, 16))}…`
          : typeof value
      }`,
    );
  }
}

/**
 * Throw unless `fp` is a fingerprint. Uppercase is refused on purpose: the key is a hash of the
 * text, and upstream prints fingerprints in lowercase, so an uppercase one would derive another key.
 * @throws FingerprintError naming `field`.
 */
export function assertFingerprint(fp: unknown, field = 'fingerprint'): asserts fp is string {
  if (typeof fp !== 'string' || !FINGERPRINT_PATTERN.test(fp)) throw new FingerprintError(field, fp);
}

/**
 * The text an outbox key is derived from: `"<sender_fp>:outbox:<recipient_fp>"`.
 * @throws FingerprintError ('sender' | 'recipient').
 */
export function outboxBaseKey(senderFp: string, recipientFp: string): string {
  assertFingerprint(senderFp, 'sender');
  assertFingerprint(recipientFp, 'recipient');
  return `${senderFp}:outbox:${recipientFp}`;
}

/**
 * The 64-byte outbox key: SHA3-512 of {@link outboxBaseKey} (upstream `dht_generate_outbox_key`).
 * @throws FingerprintError ('sender' | 'recipient').
 */
export function outboxKey(senderFp: string, recipientFp: string): Uint8Array {
  return sha3_512(utf8ToBytes(outboxBaseKey(senderFp, recipientFp)));
}

/**
 * OpenDHT's 20-byte InfoHash of an application key: SHA-1 of the key bytes
 * (`dht::InfoHash::get(key, key_len)`).
 */
export function dhtInfoHash(key: Uint8Array): Uint8Array {
  return sha1(key);
}

/**
 * Where an outbox lives in the DHT: SHA-1(SHA3-512("<sender>:outbox:<recipient>")), 20 bytes.
 * @throws FingerprintError ('sender' | 'recipient').
 */
export function outboxInfoHash(senderFp: string, recipientFp: string): Uint8Array {
  return dhtInfoHash(outboxKey(senderFp, recipientFp));
}

/**
 * The 64-byte watermark key (dht_offline_queue.h `dht_generate_watermark_key`):
 * SHA3-512(`"<recipient_fp>:watermark:<sender_fp>"`). Its value upstream is an 8-byte
 * big-endian seq: the highest message seq the recipient has received from the sender.
 * @throws FingerprintError ('recipient' | 'sender').
 */
export function watermarkKey(recipientFp: string, senderFp: string): Uint8Array {
  assertFingerprint(recipientFp, 'recipient');
  assertFingerprint(senderFp, 'sender');
  return sha3_512(utf8ToBytes(`${recipientFp}:watermark:${senderFp}`));
}

/**
 * Key of chunk `index` in upstream's newer chunked layer (dht/shared/dht_chunked.c
 * `dht_chunked_make_key`): the first 32 bytes of SHA3-512(`"<base_key>:chunk:<index>"`).
 * Newer upstream versions publish the outbox through that layer under
 * `chunkKey(outboxBaseKey(s, r), i)` instead of {@link outboxKey}; the chunk framing itself
 * (header, content hash) is NOT implemented here.
 * @throws RangeError for an index that is not a u32.
 */
export function chunkKey(baseKey: string, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff)
    throw new RangeError(`chunk index must be a u32, got ${index}`);
  return sha3_512(utf8ToBytes(`${baseKey}:chunk:${index}`)).slice(0, 32);
}
