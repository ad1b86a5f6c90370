/**
 * OpenBao's response forms, byte for byte where it matters to a client.
 *
 * - Bodies are Go `encoding/json` Encoder output: HTML-safe escaping of `<`, `>`, `&`, U+2028 and
 *   U+2029, and a trailing newline (openbao http/handler.go respondOk, sdk/logical/response_util.go
 *   RespondError both use json.NewEncoder(w).Encode).
 * - Errors are `{"errors":[...]}` (RespondError); a nil error is `{"errors":[]}`.
 * - Errors that reach the HTTP layer as a go-multierror are rendered by its default formatter:
 *   `1 error occurred:\n\t* <msg>\n\n` (hashicorp/go-multierror ListFormatFunc); vault/request_handling.go
 *   appends route errors (unsupported path / operation) to such a multierror.
 * - 204 still carries `Content-Type: application/json` (respondOk sets it before WriteHeader).
 */
import { BufferedResponse } from '@fanout/sim';

/**
 * Thrown inside the request pipeline to answer with an error envelope. `errors` may be empty. It
 * is control flow (every refusal of every request throws one) and never leaves the simulator as
 * itself, so it is built without capturing a stack trace (`stack` is just the name and message).
 */
export class BaoHttpError extends Error {
  override readonly name = 'BaoHttpError';
  constructor(
    readonly status: number,
    readonly errors: readonly string[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(errors.length === 0 ? `HTTP ${status}` : errors.join('; '));
    Error.stackTraceLimit = limit;
  }
}

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * JSON text as Go's json.Encoder writes it: JSON.stringify, HTML-safe escapes, then "\n".
 * Object keys keep their insertion order: build maps with {@link sortedObject} where Go would
 * encode a map (Go sorts map keys).
 */
export function goJson(value: unknown): string {
  return `${JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!)}\n`;
}

/** A copy of `o` with its own keys in sorted (code-unit) order, as Go encodes a map[string]… */
export function sortedObject<T>(o: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

/**
 * Go net/http's bufferBeforeChunkingSize (bytes): a handler that finishes having written at most
 * this much gets a computed Content-Length; a longer body is sent chunked, without one
 * (net/http server.go, chunkWriter.writeHeader).
 */
export const GO_BUFFER_BEFORE_CHUNKING = 2048;

const UTF8 = new TextEncoder();

/**
 * A JSON response (`Content-Type: application/json`), with the Content-Length Go's net/http
 * computes for a body of at most {@link GO_BUFFER_BEFORE_CHUNKING} bytes.
 */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const bytes = UTF8.encode(goJson(body));
  const h: Record<string, string> = { 'Content-Type': 'application/json', ...headers };
  if (bytes.length <= GO_BUFFER_BEFORE_CHUNKING) h['Content-Length'] = String(bytes.length);
  return new BufferedResponse(bytes, { status, headers: h });
}

/** `{"errors":[...]}` with `status`. */
export function errorResponse(
  status: number,
  errors: readonly string[],
  headers: Readonly<Record<string, string>> = {},
): Response {
  return jsonResponse(status, { errors }, { ...headers });
}

/** 204 No Content with `Content-Type: application/json`, as respondOk(w, nil). */
export function noContent(): Response {
  return new Response(null, { status: 204, headers: { 'Content-Type': 'application/json' } });
}

/**
 * go-multierror's default rendering of `errs`: `1 error occurred:\n\t* a\n\n`, or
 * `2 errors occurred:\n\t* a\n\t* b\n\n`.
 */
export function multiErrorText(...errs: string[]): string {
  const head = errs.length === 1 ? '1 error occurred:' : `${errs.length} errors occurred:`;
  return `${head}\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}

/** logical.ErrUnsupportedPath as it reaches the client (404). */
export const UNSUPPORTED_PATH = (): BaoHttpError =>
  new BaoHttpError(404, [multiErrorText('unsupported path')]);
/** logical.ErrUnsupportedOperation as it reaches the client (405). */
export const UNSUPPORTED_OPERATION = (): BaoHttpError =>
  new BaoHttpError(405, [multiErrorText('unsupported operation')]);
