/**
 * Simulated Mainline DHT store (hubert-rust src/mainline/kv.rs, MainlineDhtKv): BEP-44 mutable
 * items with seq=1, no TTL, values limited to 1000 bytes of envelope CBOR, and write-once by
 * check-then-put — which is not atomic on a real DHT, so two writers can race.
 */
import { AlreadyExistsError, HubertArgumentError, ValueTooLargeError } from '../errors.js';
import { aridFromUr, taggedEnvelopeSize, toHex } from '../ur.js';
import { SimKvStore, type SimKvStoreOptions } from './base.js';
import { SERVER_POLL_INTERVAL_MS } from './memory.js';

/** DHT value limit, bytes of tagged envelope CBOR (hubert-rust MainlineDhtKv::new `max_value_size: 1000`). */
export const DHT_MAX_VALUE_BYTES = 1000;

/** Options of {@link MainlineKvStore}. */
export interface MainlineKvStoreOptions extends SimKvStoreOptions {
  /** Size limit, bytes of tagged envelope CBOR. Default 1000. (The error text always says 1000, as upstream.) */
  maxValueBytes?: number;
  /** Poll interval of `get`, ms. Default 1000. */
  pollIntervalMs?: number;
  /**
   * Time between the write-once check and the write when {@link HubertFaults.writeOnceRace}
   * says so, ms. Default 0 (still a yield on the Clock, enough for writers started together).
   */
  raceWindowMs?: number;
}

/**
 * Mainline DHT store.
 * - put: size = `taggedEnvelopeSize` (envelope `to_cbor_data()`, tag 200 included) > limit →
 *   ValueTooLargeError `Value size N exceeds DHT limit of 1000 bytes` (checked first); then the
 *   write-once check (AlreadyExistsError); TTL ignored; receipt `dht://<hex of the ARID>` (upstream
 *   prints the derived BEP-44 public key, which we do not derive).
 * - Race: when `faults.writeOnceRace(arid)` is true the check and the write are separated by
 *   `raceWindowMs` on the Clock; concurrent writers then all succeed and the last write wins.
 * - get: polls every 1000 ms; entries never expire.
 */
export class MainlineKvStore extends SimKvStore {
  readonly kind = 'mainline';
  protected readonly pollIntervalMs: number;
  /** Size limit, bytes. */
  readonly maxValueBytes: number;
  /** Race window, ms. */
  readonly raceWindowMs: number;

  /** @throws HubertArgumentError for a bad limit, poll interval or race window. */
  constructor(options: MainlineKvStoreOptions) {
    super(options);
    this.maxValueBytes = options.maxValueBytes ?? DHT_MAX_VALUE_BYTES;
    this.pollIntervalMs = options.pollIntervalMs ?? SERVER_POLL_INTERVAL_MS;
    this.raceWindowMs = options.raceWindowMs ?? 0;
    if (!Number.isSafeInteger(this.maxValueBytes) || this.maxValueBytes < 0) {
      throw new HubertArgumentError('maxValueBytes', `must be an integer >= 0, got ${this.maxValueBytes}`);
    }
    if (!Number.isFinite(this.pollIntervalMs) || this.pollIntervalMs <= 0) {
      throw new HubertArgumentError('pollIntervalMs', `must be > 0, got ${this.pollIntervalMs}`);
    }
    if (!Number.isFinite(this.raceWindowMs) || this.raceWindowMs < 0) {
      throw new HubertArgumentError('raceWindowMs', `must be >= 0, got ${this.raceWindowMs}`);
    }
  }

  protected async writeEntry(
    key: string,
    cbor: Uint8Array,
    _ttlSeconds: number | undefined,
    commit: boolean,
  ): Promise<string> {
    const size = taggedEnvelopeSize(cbor);
    if (size > this.maxValueBytes) throw new ValueTooLargeError(size);
    if (this.volume.has(key)) throw new AlreadyExistsError(key);
    if (this.faults.writeOnceRace?.(key, this.clock.now()) ?? false) {
      await this.clock.sleep(this.raceWindowMs);
      this.assertUp();
    }
    const now = this.wallClock.now();
    if (commit) this.volume.set(key, { envelopeCbor: cbor, expiresAtMs: null, storedAtMs: now });
    return `dht://${toHex(aridFromUr(key))}`;
  }
}
