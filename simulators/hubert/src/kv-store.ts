/**
 * The Hubert KvStore contract (BlockchainCommons hubert-rust v0.5.0, src/kv_store.rs), as seen by
 * clients such as the FROST coordinator. Implemented by the in-process backends of this package
 * (memory, server, mainline, hybrid) and by the HTTP client that talks to the Hubert HTTP server.
 */

/** A 32-byte ARID (Apparently Random Identifier). Text form `ur:arid/...` (CBOR tag 40012). */
export type AridBytes = Uint8Array;

/** Options of {@link KvStore.get}. */
export interface GetOptions {
  /** Give up after this many seconds and return null (default 30). */
  timeoutSeconds?: number;
  /** Abort the polling early: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options of {@link KvStore.put} (besides the TTL). */
export interface PutOptions {
  /**
   * Abort the put: the promise rejects with `signal.reason`. Whether the value was stored is then
   * unknown (write-once makes a retry safe: AlreadyExists on a retry means it was).
   */
  signal?: AbortSignal;
}

/**
 * `get`'s second argument: the upstream form `get(arid, timeoutSeconds?)` (hubert-rust
 * `KvStore::get(arid, timeout_seconds)`), or options.
 */
export type GetTimeoutOrOptions = number | GetOptions;

/**
 * Write-once key-value store keyed by ARID, holding envelopes.
 * Values are UR envelope strings (`ur:envelope/...`, CBOR tag 200).
 */
export interface KvStore {
  /**
   * Store `envelope` under `arid`. Write-once.
   * @param ttlSeconds time to live, s (backends without TTL ignore it; server: default 86400, clamped to 86400).
   * @returns a text receipt.
   * @throws AlreadyExistsError with message `"<ur:arid> already exists"` on a second put.
   */
  put(arid: string, envelope: string, ttlSeconds?: number, options?: PutOptions): Promise<string>;
  /**
   * Poll until a value appears under `arid` (1000 ms between polls for server/mainline, 500 ms for memory).
   * @param options seconds to wait (upstream's `timeout_seconds`, default 30) or {@link GetOptions}.
   * @returns the `ur:envelope/...` string, or null when `timeoutSeconds` passes first (not an error).
   */
  get(arid: string, options?: GetTimeoutOrOptions): Promise<string | null>;
  /** Whether a value is stored under `arid` now. */
  exists(arid: string): Promise<boolean>;
}
