/**
 * Request data as OpenBao builds it (openbao http/logical.go buildLogicalRequestNoAuth):
 * - POST/PUT/PATCH bodies are JSON objects, read through http.MaxBytesReader with the listener's
 *   max_request_size (default 32 MiB, http/handler.go DefaultMaxRequestSize); a body over the
 *   limit is 413 `failed to parse JSON input: http: request body too large` (parseJSONRequest +
 *   sdk/logical/response_util.go AdjustErrorStatusCode), with `Connection: close` as net/http
 *   adds after MaxBytesReader trips; an empty body is no data;
 * - GET, DELETE, LIST and HEAD take their data from the query string (parseQuery: `help` skipped,
 *   a repeated parameter becomes a list).
 * The body is read chunk by chunk and reading stops at the limit: an oversized body is never held
 * in memory, and a declared Content-Length over the limit is refused before reading anything.
 */
import { BufferedRequest } from '@fanout/sim';
import { BaoHttpError } from './respond.js';

/** OpenBao's default max_request_size, bytes (32 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** Request data: what the framework's FieldData sees as Raw. */
export type RequestData = Record<string, unknown>;

const utf8 = new TextDecoder();

const tooLarge = (): BaoHttpError =>
  new BaoHttpError(413, ['failed to parse JSON input: http: request body too large'], {
    Connection: 'close',
  });

/**
 * Read the request body as text, at most `limit` bytes.
 * @throws BaoHttpError 413 when the declared Content-Length or the bytes read exceed `limit`
 *   (the stream is cancelled there, the rest is never read).
 */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) throw tooLarge();
  if (request instanceof BufferedRequest && !request.bodyUsed) {
    // The simulated network's request holds its body whole: check its size, then read it at once.
    if (request.byteLength > limit) throw tooLarge();
    return request.text();
  }
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      void reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
}

/** Go's name for the JSON kind that cannot be decoded into map[string]interface{}. */
function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  return 'bool';
}

/**
 * Parse a JSON body into request data. Empty / white-space-only text and `null` are no data.
 * @throws BaoHttpError 400 `failed to parse JSON input: …` for text that is not JSON, or JSON that
 *   is not an object (Go: `json: cannot unmarshal array into Go value of type map[string]interface {}`).
 *   Syntax-error wording is V8's, not Go's.
 */
export function parseJsonData(text: string): RequestData | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BaoHttpError(400, [`failed to parse JSON input: ${(e as Error).message}`]);
  }
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BaoHttpError(400, [
      `failed to parse JSON input: json: cannot unmarshal ${goKind(value)} into Go value of type map[string]interface {}`,
    ]);
  }
  return value as RequestData;
}

/**
 * Query parameters as request data (http/handler.go parseQuery): `help` skipped, `skip` names
 * removed too (e.g. `list` once it selected the list operation), one value → string, several →
 * list. No parameters → undefined.
 */
export function queryData(params: URLSearchParams, skip: readonly string[] = []): RequestData | undefined {
  const data: RequestData = {};
  for (const key of new Set(params.keys())) {
    if (key === 'help' || skip.includes(key)) continue;
    const all = params.getAll(key);
    data[key] = all.length === 1 ? all[0] : all;
  }
  return Object.keys(data).length === 0 ? undefined : data;
}
