/**
 * Typed errors of @fanout/sim-hubert. Each has a stable `name`; where a protocol text is
 * byte-exact, the source (BlockchainCommons hubert-rust v0.5.0) is named on the class.
 */

/**
 * A second put to an ARID that already holds a value (write-once).
 * Message exactly `"<ur:arid> already exists"` (hubert-rust src/error.rs `Error::AlreadyExists`).
 */
export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExistsError';
  /** @param arid the canonical (lowercase) `ur:arid/...` text. */
  constructor(readonly arid: string) {
    super(`${arid} already exists`);
  }
}

/** Which UR text was bad. */
export type UrField = 'arid' | 'envelope';

/** A `ur:arid` / `ur:envelope` text could not be decoded. `field` names which; `reason` says why. */
export class InvalidUrError extends Error {
  override readonly name: string = 'InvalidUrError';
  constructor(
    readonly field: UrField,
    readonly reason: string,
  ) {
    super(`Invalid ur:${field}: ${reason}`);
  }
}

/** A `ur:arid/...` text (or 32-byte ARID) was invalid: bad scheme/type, bytewords, CRC, CBOR or length. */
export class InvalidAridError extends InvalidUrError {
  override readonly name = 'InvalidAridError';
  constructor(reason: string) {
    super('arid', reason);
  }
}

/** A `ur:envelope/...` text was invalid: bad scheme/type, bytewords, CRC, CBOR or envelope structure. */
export class InvalidEnvelopeError extends InvalidUrError {
  override readonly name = 'InvalidEnvelopeError';
  constructor(reason: string) {
    super('envelope', reason);
  }
}

/**
 * Mainline DHT put of an envelope whose CBOR (tagged #200) is larger than the DHT limit.
 * Message exactly `Value size N exceeds DHT limit of 1000 bytes` (hubert-rust src/mainline/error.rs;
 * the text always says 1000, whatever the configured limit).
 */
export class ValueTooLargeError extends Error {
  override readonly name = 'ValueTooLargeError';
  /** @param size the envelope's tagged CBOR length in bytes. */
  constructor(readonly size: number) {
    super(`Value size ${size} exceeds DHT limit of 1000 bytes`);
  }
}

/**
 * IPFS put of an envelope larger than the IPFS limit (10 MiB by default).
 * Message `Envelope size N exceeds practical limit` (hubert-rust src/ipfs/error.rs).
 */
export class EnvelopeTooLargeError extends Error {
  override readonly name = 'EnvelopeTooLargeError';
  constructor(readonly size: number) {
    super(`Envelope size ${size} exceeds practical limit`);
  }
}

/**
 * Hybrid get found a reference envelope in the DHT but the IPFS part is missing.
 * Message exactly `Referenced IPFS content not found` (hubert-rust src/hybrid/error.rs).
 */
export class HybridContentNotFoundError extends Error {
  override readonly name = 'HybridContentNotFoundError';
  constructor(readonly referenceArid: string) {
    super('Referenced IPFS content not found');
  }
}

/**
 * The store answered with a failure status: an injected fault (`{status}` from
 * {@link HubertFaults.beforePut}) in-process, or a non-200/404/409 HTTP response seen by the client.
 * Message `Server error: <body>` (hubert-rust src/server/error.rs `Error::General`).
 */
export class HubertServerError extends Error {
  override readonly name = 'HubertServerError';
  /**
   * @param status HTTP status code (e.g. 400, 500, 503).
   * @param body the response body text.
   */
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`Server error: ${body}`);
  }
}

/**
 * The store cannot be reached: crashed / down in-process, or the HTTP request itself failed
 * (connection refused, reset). Message `Network error: <detail>` (hubert-rust src/server/error.rs).
 */
export class HubertUnavailableError extends Error {
  override readonly name: string = 'HubertUnavailableError';
  constructor(
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Network error: ${detail}`, options);
  }
}

/**
 * One HTTP request to the Hubert server got no complete response within the client's
 * `requestTimeoutMs` (a request swallowed by a partition, a hung server). A kind of
 * {@link HubertUnavailableError}, so callers that retry on unavailability retry on it too.
 * Message `Network error: no response to POST <path> within <ms> ms`.
 */
export class HubertRequestTimeoutError extends HubertUnavailableError {
  override readonly name: string = 'HubertRequestTimeoutError';
  /**
   * @param path the request path (`/put`, `/get`).
   * @param timeoutMs the client's per-request timeout, ms.
   */
  constructor(
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`no response to POST ${path} within ${timeoutMs} ms`);
  }
}

/** A get returned text that is not a valid `ur:envelope` (hubert-rust server/kv.rs `GetError::ParseError`). */
export class HubertParseError extends Error {
  override readonly name = 'HubertParseError';
  constructor(readonly detail: string) {
    super(`Parse error: ${detail}`);
  }
}

/** An option or argument of this package was out of range. `argument` names it (e.g. 'timeoutSeconds'). */
export class HubertArgumentError extends Error {
  override readonly name = 'HubertArgumentError';
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
  }
}
