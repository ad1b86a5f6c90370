/**
 * Simulated IPFS store (hubert-rust src/ipfs/kv.rs, IpfsKv): IPNS publish-once names, values up
 * to 10 MiB, and a get that returns null at once when nothing is published (no polling).
 */
import { AlreadyExistsError, EnvelopeTooLargeError, HubertArgumentError } from '../errors.js';
import { aridFromUr, taggedEnvelopeSize, toHex } from '../ur.js';
import { SimKvStore, type SimKvStoreOptions } from './base.js';

/** IPFS envelope limit, bytes (hubert-rust IpfsKv::new `max_envelope_size: 10 * 1024 * 1024`). */
export const IPFS_MAX_ENVELOPE_BYTES = 10 * 1024 * 1024;

/** Options of {@link IpfsKvStore}. */
export interface IpfsKvStoreOptions extends SimKvStoreOptions {
  /** Size limit, bytes of tagged envelope CBOR. Default 10 MiB. */
  maxEnvelopeBytes?: number;
}

/**
 * IPFS-like store. put: size > limit → EnvelopeTooLargeError (`Envelope size N exceeds practical
 * limit`); write-once (AlreadyExistsError); TTL ignored (upstream maps it to an IPNS record
 * lifetime, which this simulation does not expire). get: one check, null when absent.
 */
export class IpfsKvStore extends SimKvStore {
  readonly kind = 'ipfs';
  protected readonly pollIntervalMs = null;
  /** Size limit, bytes. */
  readonly maxEnvelopeBytes: number;

  /** @throws HubertArgumentError for a bad limit. */
  constructor(options: IpfsKvStoreOptions) {
    super(options);
    this.maxEnvelopeBytes = options.maxEnvelopeBytes ?? IPFS_MAX_ENVELOPE_BYTES;
    if (!Number.isSafeInteger(this.maxEnvelopeBytes) || this.maxEnvelopeBytes < 0) {
      throw new HubertArgumentError(
        'maxEnvelopeBytes',
        `must be an integer >= 0, got ${this.maxEnvelopeBytes}`,
      );
    }
  }

  protected writeEntry(
    key: string,
    cbor: Uint8Array,
    _ttlSeconds: number | undefined,
    commit: boolean,
  ): string {
    const size = taggedEnvelopeSize(cbor);
    if (size > this.maxEnvelopeBytes) throw new EnvelopeTooLargeError(size);
    if (this.volume.has(key)) throw new AlreadyExistsError(key);
    if (commit)
      this.volume.set(key, { envelopeCbor: cbor, expiresAtMs: null, storedAtMs: this.wallClock.now() });
    return `ipfs://${toHex(aridFromUr(key))}`;
  }
}
