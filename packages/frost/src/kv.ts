/**
 * The slice of the Hubert KvStore contract (BlockchainCommons hubert-rust v0.5.0, src/kv_store.rs)
 * that FROST over Hubert uses, as a structural interface: `@fanout/sim-hubert`'s in-process stores
 * and its `HubertHttpClient` satisfy it, and so does any test double.
 *
 * Values are `ur:envelope/...` texts; a sealed FROST message travels as an envelope leaf
 * ({@link sealedToEnvelopeUr} / {@link sealedFromEnvelopeUr}).
 */

/** Options of {@link FrostKv.get}. */
export interface FrostKvGetOptions {
  /** Poll until this many seconds passed, then return null (Hubert default 30 s). */
  readonly timeoutSeconds?: number;
  /** Abort the polling: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/** Options of {@link FrostKv.put}. */
export interface FrostKvPutOptions {
  /** Abort the put: the promise rejects with `signal.reason` (stored or not is then unknown). */
  readonly signal?: AbortSignal;
}

/** A write-once key/value store keyed by ARID text (`ur:arid/...`), holding envelope texts. */
export interface FrostKv {
  /**
   * Store `envelope` under `arid` (write-once).
   * @param ttlSeconds time to live, s (optional; the server defaults to 86400).
   * @param options.signal aborts the put (the coordinator's per-participant timeout, Ctrl-C).
   * @returns a text receipt.
   * @throws an error named `AlreadyExistsError` when the ARID already holds a value; transport or
   *   server errors otherwise; `signal.reason` when aborted.
   */
  put(arid: string, envelope: string, ttlSeconds?: number, options?: FrostKvPutOptions): Promise<string>;
  /**
   * Poll until a value appears under `arid`.
   * @returns the `ur:envelope/...` text, or null once `timeoutSeconds` passed (not an error).
   * @throws transport/server errors; `signal.reason` when aborted.
   */
  get(arid: string, options?: FrostKvGetOptions): Promise<string | null>;
}

/** Whether `error` is Hubert's write-once refusal (`"<ur:arid> already exists"`), matched by name. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof Error && error.name === 'AlreadyExistsError';
}

/**
 * Put errors that a retry cannot fix, matched by name: the value is too large for the backend
 * (`ValueTooLargeError`: Mainline's `Value size N exceeds DHT limit of 1000 bytes`;
 * `EnvelopeTooLargeError`: IPFS) or the input was rejected (`InvalidAridError`,
 * `InvalidEnvelopeError`, `HubertArgumentError`). Transport and 5xx errors are not permanent.
 */
export function isPermanentPutError(error: unknown): boolean {
  return error instanceof Error && PERMANENT_PUT_ERRORS.has(error.name);
}

const PERMANENT_PUT_ERRORS: ReadonlySet<string> = new Set([
  'ValueTooLargeError',
  'EnvelopeTooLargeError',
  'InvalidAridError',
  'InvalidEnvelopeError',
  'HubertArgumentError',
]);
