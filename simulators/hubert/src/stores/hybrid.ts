/**
 * Simulated hybrid store (hubert-rust src/hybrid/kv.rs, HybridKv): envelopes whose tagged CBOR is
 * ≤ 1000 bytes go to the DHT; larger ones go to IPFS under a fresh ARID, and the DHT gets a small
 * reference envelope pointing at it.
 */
import type { Clock } from '@fanout/core';
import { HubertArgumentError, HybridContentNotFoundError } from '../errors.js';
import type { HubertFaults } from '../faults.js';
import type { GetTimeoutOrOptions, KvStore, PutOptions } from '../kv-store.js';
import {
  aridToUr,
  canonicalAridUr,
  decodeEnvelopeUr,
  envelopeCborToUr,
  newArid,
  parseReferenceEnvelope,
  referenceEnvelopeToUr,
  taggedEnvelopeSize,
  type Rng,
} from '../ur.js';
import { checkTtl, getOptionsOf, timeoutMsOf, type RestartOptions } from './base.js';
import { IpfsKvStore } from './ipfs.js';
import { DHT_MAX_VALUE_BYTES, MainlineKvStore } from './mainline.js';

/** Options of {@link HybridKvStore}. */
export interface HybridKvStoreOptions {
  /** Clock for the parts it creates. */
  clock: Clock;
  /** Seeded randomness for the fresh IPFS reference ARIDs. */
  rng: Rng;
  /** Faults for the parts it creates (each part can be given its own instead). */
  faults?: HubertFaults;
  /** Time of day for the parts it creates (see SimKvStoreOptions.wallClock). Default `clock`. */
  wallClock?: Pick<Clock, 'now'>;
  /** The DHT part (default: a new {@link MainlineKvStore}). */
  dht?: MainlineKvStore;
  /** The IPFS part (default: a new {@link IpfsKvStore}). */
  ipfs?: IpfsKvStore;
  /** Envelopes up to this many bytes of tagged CBOR go to the DHT. Default 1000. */
  dhtSizeLimit?: number;
}

/**
 * Hybrid store.
 * - put ≤ limit: `dht.put` → receipt `Stored in DHT at ARID: <ur:arid>`.
 * - put > limit: a fresh reference ARID from `rng`; `ipfs.put(ref, envelope)`; then
 *   `dht.put(arid, referenceEnvelope)` → receipt `Stored in IPFS (ref: <ref>) via DHT at ARID: <arid>`.
 * - get: `dht.get(arid, options)`; null → null; a reference → `ipfs.get(ref, options)`, and a
 *   missing IPFS part throws HybridContentNotFoundError (`Referenced IPFS content not found`).
 * - exists: the DHT part only (a reference counts).
 * The reference envelope is our clear-text simplification (see `referenceEnvelopeToUr`).
 */
export class HybridKvStore implements KvStore {
  readonly kind = 'hybrid';
  /** The DHT part. */
  readonly dht: MainlineKvStore;
  /** The IPFS part. */
  readonly ipfs: IpfsKvStore;
  /** DHT size limit, bytes. */
  readonly dhtSizeLimit: number;
  readonly #rng: Rng;

  /** @throws HubertArgumentError for a bad `dhtSizeLimit`. */
  constructor(options: HybridKvStoreOptions) {
    this.#rng = options.rng;
    const parts = {
      clock: options.clock,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.wallClock ? { wallClock: options.wallClock } : {}),
    };
    this.dht = options.dht ?? new MainlineKvStore(parts);
    this.ipfs = options.ipfs ?? new IpfsKvStore(parts);
    this.dhtSizeLimit = options.dhtSizeLimit ?? DHT_MAX_VALUE_BYTES;
    if (!Number.isSafeInteger(this.dhtSizeLimit) || this.dhtSizeLimit < 0) {
      throw new HubertArgumentError('dhtSizeLimit', `must be an integer >= 0, got ${this.dhtSizeLimit}`);
    }
  }

  /**
   * Store `envelope` under `arid` (write-once via the DHT part).
   * @throws InvalidAridError / InvalidEnvelopeError / HubertArgumentError for bad input; the parts'
   *   errors (AlreadyExistsError, ValueTooLargeError, EnvelopeTooLargeError, HubertUnavailableError, ...).
   */
  async put(arid: string, envelope: string, ttlSeconds?: number, options: PutOptions = {}): Promise<string> {
    const key = canonicalAridUr(arid);
    const cbor = decodeEnvelopeUr(envelope);
    checkTtl(ttlSeconds);
    const size = taggedEnvelopeSize(cbor);
    if (size <= this.dhtSizeLimit) {
      await this.dht.put(key, envelopeCborToUr(cbor), ttlSeconds, options);
      return `Stored in DHT at ARID: ${key}`;
    }
    const refBytes = newArid(this.#rng);
    const ref = aridToUr(refBytes);
    await this.ipfs.put(ref, envelopeCborToUr(cbor), ttlSeconds, options);
    await this.dht.put(key, referenceEnvelopeToUr(refBytes, size), ttlSeconds, options);
    return `Stored in IPFS (ref: ${ref}) via DHT at ARID: ${key}`;
  }

  /**
   * Get through the DHT part, following a reference into the IPFS part.
   * @returns the envelope text, or null when the DHT part timed out.
   * @throws HybridContentNotFoundError when the referenced IPFS content is missing; the parts' errors.
   */
  async get(arid: string, timeoutOrOptions?: GetTimeoutOrOptions): Promise<string | null> {
    const options = getOptionsOf(timeoutOrOptions);
    timeoutMsOf(options.timeoutSeconds);
    const found = await this.dht.get(arid, options);
    if (found === null) return null;
    const ref = parseReferenceEnvelope(decodeEnvelopeUr(found));
    if (ref === null) return found;
    const refUr = aridToUr(ref.arid);
    const actual = await this.ipfs.get(refUr, options);
    if (actual === null) throw new HybridContentNotFoundError(refUr);
    return actual;
  }

  /** Whether the DHT part holds `arid` (hubert-rust: "references count as existing"). */
  exists(arid: string): Promise<boolean> {
    return this.dht.exists(arid);
  }

  /** Crash both parts. */
  crash(): void {
    this.dht.crash();
    this.ipfs.crash();
  }

  /** Recover both parts (see {@link SimKvStore.recover}). */
  recover(options: RestartOptions = {}): void {
    this.dht.recover(options);
    this.ipfs.recover(options);
  }

  /** Restart both parts (see {@link SimKvStore.restart}). */
  restart(options: RestartOptions = {}): void {
    this.dht.restart(options);
    this.ipfs.restart(options);
  }
}
