/**
 * Shared machinery of the in-process simulated stores: input canonicalisation, the fault hooks,
 * the crash/restart persistence model, and the upstream polling loop of `get`.
 */
import type { Clock } from '@fanout/core';
import { HubertArgumentError, HubertServerError, HubertUnavailableError } from '../errors.js';
import { latencyOf, noFaults, type HubertFaults, type HubertOp } from '../faults.js';
import type { GetOptions, GetTimeoutOrOptions, KvStore, PutOptions } from '../kv-store.js';
import { canonicalAridUr, decodeEnvelopeUr, envelopeCborToUr } from '../ur.js';
import { KvVolume, type StoredEntry } from '../volume.js';

/** Default `get` timeout, s (hubert-rust: `timeout_seconds.unwrap_or(30)`). */
export const DEFAULT_GET_TIMEOUT_SECONDS = 30;

/** Options common to every simulated store. */
export interface SimKvStoreOptions {
  /** Time source for polling, latency and TTL (a VirtualClock in simulation). */
  clock: Clock;
  /** Fault hooks (default {@link noFaults}). May be replaced later via `store.faults = ...`. */
  faults?: HubertFaults;
  /**
   * What the store believes the time is, for TTL expiry and stored-at times (default `clock`).
   * Give it a target's skewed clock (`net.clockFor(target)` / `skewedClock(...)` from @fanout/sim)
   * to run the store under a clockSkew / clockStrobe fault; polling, latency and fault hooks stay
   * on `clock`.
   */
  wallClock?: Pick<Clock, 'now'>;
  /** Durable storage (default: a fresh {@link KvVolume}). Share one to model a restart on the same disk. */
  volume?: KvVolume;
}

/** Options of {@link SimKvStore.recover} / {@link SimKvStore.restart}. */
export interface RestartOptions {
  /** Lose every stored value (wiped disk / memory-only process). Default false: acknowledged puts survive. */
  loseData?: boolean;
}

/** What a single check under an ARID found. */
export type LookupResult = StoredEntry | 'missing' | 'expired';

/**
 * Validate a `get` timeout in seconds (undefined → 30) and return it in ms.
 * @throws HubertArgumentError('timeoutSeconds') for a negative or non-finite value.
 */
export function timeoutMsOf(timeoutSeconds: number | undefined): number {
  const s = timeoutSeconds ?? DEFAULT_GET_TIMEOUT_SECONDS;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) {
    throw new HubertArgumentError('timeoutSeconds', `must be a finite number >= 0, got ${String(s)}`);
  }
  return s * 1000;
}

/**
 * Normalise `get`'s second argument: a number is upstream's `timeout_seconds`
 * (`get(arid, 10)` = `get(arid, { timeoutSeconds: 10 })`); undefined → `{}`.
 * @throws HubertArgumentError('options') for anything else (null, a string, ...).
 */
export function getOptionsOf(options: GetTimeoutOrOptions | undefined): GetOptions {
  if (options === undefined) return {};
  if (typeof options === 'number') return { timeoutSeconds: options };
  if (typeof options !== 'object' || options === null)
    throw new HubertArgumentError(
      'options',
      `must be a number of seconds or GetOptions, got ${String(options)}`,
    );
  return options;
}

/**
 * Validate a put TTL in seconds (undefined allowed).
 * @throws HubertArgumentError('ttlSeconds') unless a safe integer >= 0 (upstream: u64).
 */
export function checkTtl(ttlSeconds: number | undefined): void {
  if (ttlSeconds === undefined) return;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) {
    throw new HubertArgumentError('ttlSeconds', `must be an integer >= 0, got ${String(ttlSeconds)}`);
  }
}

/**
 * Base class of the in-process stores (memory, server, mainline, IPFS).
 *
 * Every operation: canonicalise the ARID / envelope text (invalid → InvalidAridError /
 * InvalidEnvelopeError, before any effect), fail if down, wait the fault latency, fail if down,
 * then act. A put with no latency has no await between its write-once check and its write, so
 * concurrent puts to one ARID are atomic unless a subclass yields on purpose (mainline race).
 */
export abstract class SimKvStore implements KvStore {
  /** Backend name, e.g. 'memory', 'server', 'mainline', 'ipfs'. */
  abstract readonly kind: string;
  /** The store's clock (polling, latency, fault hooks). */
  readonly clock: Clock;
  /** What the store reads as the time of day (TTL expiry, stored-at); `clock` unless skewed. */
  readonly wallClock: Pick<Clock, 'now'>;
  /** The durable storage (see {@link KvVolume}). */
  readonly volume: KvVolume;
  /** Fault hooks; replace at any time. */
  faults: HubertFaults;
  /** Poll interval of `get`, ms; null = a single check, no polling (IPFS). */
  protected abstract readonly pollIntervalMs: number | null;
  /** Whether a get that finds an expired entry returns null at once (MemoryKv) or keeps polling (server over HTTP). */
  protected readonly expiredEndsGet: boolean = true;
  /** When a number, `exists` is `get(arid, {timeoutSeconds: n}) !== null` (upstream ServerKv: 1 s). */
  protected readonly existsViaGetSeconds: number | null = null;
  #crashed = false;

  constructor(options: SimKvStoreOptions) {
    this.clock = options.clock;
    this.wallClock = options.wallClock ?? options.clock;
    this.faults = options.faults ?? noFaults;
    this.volume = options.volume ?? new KvVolume();
  }

  /** Whether the store is up (not crashed and not down by fault). */
  get isUp(): boolean {
    return !this.#crashed && !(this.faults.isDown?.(this.clock.now()) ?? false);
  }

  /**
   * Store `envelope` under `arid`, write-once. See {@link KvStore.put}.
   * @throws InvalidAridError / InvalidEnvelopeError / HubertArgumentError('ttlSeconds') for bad input;
   *   AlreadyExistsError (`"<ur:arid> already exists"`); HubertUnavailableError when down;
   *   HubertServerError for an injected `{status}` fault; backend errors (e.g. ValueTooLargeError).
   */
  async put(arid: string, envelope: string, ttlSeconds?: number, options: PutOptions = {}): Promise<string> {
    const key = canonicalAridUr(arid);
    const cbor = decodeEnvelopeUr(envelope);
    checkTtl(ttlSeconds);
    options.signal?.throwIfAborted();
    await this.enter('put', key, options.signal);
    const decision = this.faults.beforePut?.(key, this.clock.now()) ?? 'ok';
    if (typeof decision === 'object')
      throw new HubertServerError(decision.status, decision.body ?? 'Injected fault');
    return this.writeEntry(key, cbor, ttlSeconds, decision !== 'lose');
  }

  /**
   * Poll until a value appears under `arid` (upstream loop: check; found → return; past the
   * deadline → null; else sleep one poll interval). With `timeoutSeconds: 0` it checks once.
   * @returns the lowercase `ur:envelope/...` text, or null at the deadline (`timeoutSeconds`, default 30 s).
   * @throws InvalidAridError, HubertArgumentError('timeoutSeconds'), HubertUnavailableError when
   *   down at a poll, HubertServerError for an injected `beforeGet` fault, or `signal.reason`
   *   when aborted.
   */
  async get(arid: string, timeoutOrOptions?: GetTimeoutOrOptions): Promise<string | null> {
    const key = canonicalAridUr(arid);
    const options = getOptionsOf(timeoutOrOptions);
    const timeoutMs = timeoutMsOf(options.timeoutSeconds);
    const { signal } = options;
    signal?.throwIfAborted();
    const start = this.clock.now();
    await this.enter('get', key, signal);
    this.assertUp();
    const fault = this.faults.beforeGet?.(key, this.clock.now()) ?? 'ok';
    if (typeof fault === 'object') throw new HubertServerError(fault.status, fault.body ?? 'Injected fault');
    for (;;) {
      signal?.throwIfAborted();
      this.assertUp();
      const found = this.lookup(key);
      if (typeof found === 'object') return envelopeCborToUr(found.envelopeCbor);
      if (found === 'expired' && this.expiredEndsGet) return null;
      if (this.pollIntervalMs === null) return null;
      if (this.clock.now() - start >= timeoutMs) return null;
      await this.clock.sleep(this.pollIntervalMs, signal);
    }
  }

  /**
   * Whether a live (unexpired) value is stored under `arid`.
   * @throws InvalidAridError; HubertUnavailableError when down.
   */
  async exists(arid: string): Promise<boolean> {
    const key = canonicalAridUr(arid);
    if (this.existsViaGetSeconds !== null) {
      return (await this.get(key, { timeoutSeconds: this.existsViaGetSeconds })) !== null;
    }
    await this.enter('exists', key);
    return typeof this.lookup(key) === 'object';
  }

  /**
   * The value under `arid` now, without faults, latency or expiry side effects (for tests,
   * invariants and traces). Expired entries read as null.
   * @throws InvalidAridError.
   */
  peek(arid: string): string | null {
    const e = this.volume.get(canonicalAridUr(arid));
    if (e === undefined || (e.expiresAtMs !== null && this.wallClock.now() >= e.expiresAtMs)) return null;
    return envelopeCborToUr(e.envelopeCbor);
  }

  /**
   * Drop the value under `arid` (a fault plan's "this entry was lost").
   * @returns whether a value was there.
   * @throws InvalidAridError.
   */
  drop(arid: string): boolean {
    return this.volume.delete(canonicalAridUr(arid));
  }

  /** Crash: until {@link recover}, every operation (and pending get polls) fail with HubertUnavailableError. */
  crash(): void {
    this.#crashed = true;
  }

  /** Come back after {@link crash}; keeps the volume unless `loseData`. */
  recover(options: RestartOptions = {}): void {
    if (options.loseData === true) this.volume.wipe();
    this.#crashed = false;
  }

  /** Crash and immediately recover (a process restart). Acknowledged puts survive unless `loseData`. */
  restart(options: RestartOptions = {}): void {
    this.crash();
    this.recover(options);
  }

  /** Check once under `key` (canonical), removing an expired entry lazily. */
  protected lookup(key: string): LookupResult {
    const e = this.volume.get(key);
    if (e === undefined) return 'missing';
    if (e.expiresAtMs !== null && this.wallClock.now() >= e.expiresAtMs) {
      this.volume.delete(key);
      return 'expired';
    }
    return e;
  }

  /**
   * Backend write: validate (size, write-once), then store unless `commit` is false (lost write).
   * @param key canonical ARID text. @param cbor untagged envelope CBOR. @returns the receipt text.
   */
  protected abstract writeEntry(
    key: string,
    cbor: Uint8Array,
    ttlSeconds: number | undefined,
    commit: boolean,
  ): Promise<string> | string;

  /** @throws HubertUnavailableError when crashed or down by fault. */
  protected assertUp(): void {
    if (this.#crashed) throw new HubertUnavailableError(`${this.kind} store is down (crashed)`);
    if (this.faults.isDown?.(this.clock.now()) ?? false)
      throw new HubertUnavailableError(`${this.kind} store is down`);
  }

  /** Down check, fault latency (no await when 0), down check again. */
  protected async enter(op: HubertOp, key: string, signal?: AbortSignal): Promise<void> {
    this.assertUp();
    const ms = latencyOf(this.faults, op, key, this.clock.now());
    if (ms > 0) {
      await this.clock.sleep(ms, signal);
      this.assertUp();
    }
  }
}
