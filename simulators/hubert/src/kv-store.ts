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
  put(arid: string, envelope: string, ttlSeconds?: number): Promise<string>;
  /**
   * Poll until a value appears under `arid` (1000 ms between polls for server/mainline, 500 ms for memory).
   * @returns the `ur:envelope/...` string, or null when `timeoutSeconds` passes first (not an error).
   */
  get(arid: string, options?: GetOptions): Promise<string | null>;
  /** Whether a value is stored under `arid` now. */
  exists(arid: string): Promise<boolean>;
}
