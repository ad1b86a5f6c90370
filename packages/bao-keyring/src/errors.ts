/**
 * Typed errors of @fanout/bao-keyring. Each has a stable `name`.
 *
 * HTTP mapping (popsigner bao_client.go / errors.go, OpenBao API docs): 403 → {@link BaoAuthError};
 * 400 or 404 whose errors say "not found", and 404 with empty `errors` on a key route →
 * {@link BaoKeyNotFoundError} (OpenBao reports a missing plugin key as 400, a path with nothing
 * stored as 404 `{"errors":[]}`); 400 "already exists" → {@link BaoKeyExistsError}; other 4xx →
 * {@link BaoRequestError}; 503 → {@link BaoSealedError}; 429, other 5xx and network failures →
 * {@link BaoUnavailableError} (timeouts: {@link BaoTimeoutError}).
 */

/** Options shared by the Bao errors. */
export interface BaoErrorDetails {
  /** HTTP status, when there was a response. */
  status?: number;
  /** The server's `errors[]`, verbatim. */
  errors?: readonly string[];
  cause?: unknown;
}

/** Base class of every error raised by a Bao request. */
export class BaoError extends Error {
  override readonly name: string = 'BaoError';
  readonly status: number | undefined;
  readonly errors: readonly string[];
  constructor(message: string, details: BaoErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.errors = details.errors ?? [];
  }
}

/** 403: missing or invalid token (`permission denied`). */
export class BaoAuthError extends BaoError {
  override readonly name: string = 'BaoAuthError';
}

/** A 4xx other than 403 (validation failure, unsupported path, …), with the server's `errors[]`. */
export class BaoRequestError extends BaoError {
  override readonly name: string = 'BaoRequestError';
}

/** The key does not exist (HTTP 400 or 404 with "key not found", or 404 with empty `errors` on a key route). */
export class BaoKeyNotFoundError extends BaoRequestError {
  override readonly name: string = 'BaoKeyNotFoundError';
  constructor(
    readonly keyName: string,
    details: BaoErrorDetails = {},
  ) {
    super(`key not found: ${keyName}`, details);
  }
}

/** The key already exists (server 400 "key already exists", or already in the local store). */
export class BaoKeyExistsError extends BaoRequestError {
  override readonly name: string = 'BaoKeyExistsError';
  constructor(
    readonly keyName: string,
    details: BaoErrorDetails = {},
  ) {
    super(`key already exists: ${keyName}`, details);
  }
}

/** The key is not exportable (known from local metadata; no request was sent). */
export class BaoKeyNotExportableError extends BaoRequestError {
  override readonly name: string = 'BaoKeyNotExportableError';
  constructor(readonly keyName: string) {
    super(`key is not exportable: ${keyName}`);
  }
}

/** 503: the server is sealed (or not initialised). */
export class BaoSealedError extends BaoError {
  override readonly name: string = 'BaoSealedError';
}

/** Network failure, 429 or a 5xx other than 503: worth retrying later. */
export class BaoUnavailableError extends BaoError {
  override readonly name: string = 'BaoUnavailableError';
  /** From a `Retry-After` header (seconds → ms), when the server sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: BaoErrorDetails & { retryAfterMs?: number } = {}) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** The request did not complete within `timeoutMs` (the client's AbortSignal fired). */
export class BaoTimeoutError extends BaoUnavailableError {
  override readonly name: string = 'BaoTimeoutError';
  constructor(
    readonly timeoutMs: number,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path} timed out after ${timeoutMs} ms`);
  }
}

/** A 2xx answer whose body is not what the API promises; `field` names the offending field. */
export class BaoResponseError extends BaoError {
  override readonly name: string = 'BaoResponseError';
  constructor(
    readonly field: string,
    message: string,
    details: BaoErrorDetails = {},
  ) {
    super(`malformed Bao response, ${field}: ${message}`, details);
  }
}

/** A signature that is not 64 bytes, does not verify, or came with another key's public key. */
export class BaoSignatureInvalidError extends BaoError {
  override readonly name: string = 'BaoSignatureInvalidError';
  constructor(
    readonly keyName: string,
    readonly reason: string,
  ) {
    super(`invalid signature from key ${keyName}: ${reason}`);
  }
}

/** Bad input to a client/keyring call, caught before any request; `field` names it. */
export class BaoValidationError extends Error {
  override readonly name = 'BaoValidationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Local metadata persistence failed; the in-memory store still holds the update. */
export class BaoStoreError extends Error {
  override readonly name = 'BaoStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Some items of a batch failed. `failed` names every failed key (uid), in input order; `result`
 * holds the per-item results (successes included).
 */
export class BatchPartialFailureError<R = unknown> extends Error {
  override readonly name = 'BatchPartialFailureError';
  constructor(
    readonly failed: readonly string[],
    readonly errors: readonly unknown[],
    readonly result: R,
  ) {
    super(
      `batch partial failure: ${failed.length} failed: ${failed
        .map(
          (uid, i) =>
            `${uid}: ${errors[i] instanceof Error ? (errors[i] as Error).message : String(errors[i])}`,
        )
        .join('; ')}`,
    );
  }
}

/**
 * fan-out classification: the server (or our checks) said no → 'rejected' (not worth a retry);
 * transport, sealed, unavailable or anything else → 'failed'.
 */
export function classifyBaoError(error: unknown): 'rejected' | 'failed' {
  return error instanceof BaoRequestError ||
    error instanceof BaoAuthError ||
    error instanceof BaoValidationError
    ? 'rejected'
    : 'failed';
}
