/**
 * The Hubert HTTP server as a hono app (byte-exact with hubert-rust v0.5.0 src/server/server.rs).
 * `createHubertApp(store).fetch` is a plain fetch handler: the simulated network calls it
 * in-process, and src/live/server.ts serves it on a real socket.
 *
 * Routes (server.rs `Server::run`; routing as axum, see ./route.ts):
 * - `GET /health` (and HEAD) → 200 `{"server":"hubert","status":"ok","version":"<ver>"}`,
 *   `text/plain; charset=utf-8` (server.rs 179-187 `handle_health`: `(StatusCode::OK, String)`
 *   of `serde_json::to_string`, whose map keeps keys sorted).
 * - `POST /put`, body `ur:arid\nur:envelope[\n<ttl>]` → 200 `OK`; 400 `Invalid UTF-8` |
 *   `Expected at least 2 lines: ur:arid and ur:envelope` | `Invalid ur:arid` | `Invalid ur:envelope` |
 *   `Invalid TTL`; 409 with the storage error text, e.g. `<ur:arid> already exists`.
 * - `POST /get`, body `ur:arid` (trimmed) → 200 `<ur:envelope>`; 404 `Not found`; 400
 *   `Invalid UTF-8` | `Expected ur:arid` | `Invalid ur:arid`.
 * - A body over the limit (2 MiB) → 413 `Failed to buffer the request body: length limit exceeded`.
 * Text responses carry `content-type: text/plain; charset=utf-8` (axum's for a String body).
 * Unknown paths → 404, a wrong method on a known path → 405 with `allow`: both with an empty body
 * and no content type (axum's fallbacks).
 */
import { BufferedResponse } from '@fanout/sim';
import { Hono } from 'hono';
import { HubertServerError, HubertUnavailableError } from '../errors.js';
import type { KvStore } from '../kv-store.js';
import { SERVER_MAX_TTL_SECONDS } from '../stores/memory.js';
import { canonicalAridUr, canonicalEnvelopeUr } from '../ur.js';
import { BODY_TOO_LARGE_TEXT, DEFAULT_BODY_LIMIT_BYTES, readBodyLimited } from './body.js';
import { routeRequest } from './route.js';
import { decodeUtf8Strict, parseRustU64, rustLines, rustTrim } from './rust-text.js';

export { DEFAULT_BODY_LIMIT_BYTES } from './body.js';

/** hubert-rust crate version reported by `/health` by default. */
export const HUBERT_VERSION = '0.5.0';

/** Options of {@link createHubertApp}. */
export interface HubertAppOptions {
  /** Version string in `/health`. Default '0.5.0'. */
  version?: string;
  /** TTL default and clamp, s (ServerConfig.max_ttl). Default 86400. */
  maxTtlSeconds?: number;
  /** Larger bodies get 413 `Failed to buffer the request body: length limit exceeded`. Default 2 MiB. */
  bodyLimitBytes?: number;
  /**
   * 409 body on a write-once conflict. Both values give `<ur:arid> already exists`: in v0.5.0
   * the in-memory server storage is `MemoryKv` (server/server_kv.rs), whose AlreadyExists error
   * reads `{arid} already exists` (memory_kv.rs 81, error.rs 5), as SQLite storage does.
   * (`ARID already exists` is the text of an earlier server.rs, before storage went through ServerKv.)
   * @deprecated kept for compatibility; it no longer changes anything.
   */
  conflictText?: 'store' | 'upstream-memory';
}

/** A fetch handler: what the simulated network and the live server call. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * A text/plain response with `status` and `body` (axum `(StatusCode, String)`). The headers
 * object must be fresh per response: @hono/node-server writes content-length into it.
 */
function text(status: number, body: string): Response {
  // A BufferedResponse (@fanout/sim): a client reading it with text() gets the string itself,
  // without the body stream undici would build.
  return new BufferedResponse(body, {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)), // kept on a HEAD answer too
    },
  });
}

/** axum's 404 fallback: empty body, no content type. */
function notFound(): Response {
  return new Response(null, { status: 404, headers: { 'content-length': '0' } });
}

/** axum's 405 fallback: empty body, no content type, `allow`. */
function methodNotAllowed(allow: string): Response {
  return new Response(null, { status: 405, headers: { allow, 'content-length': '0' } });
}

/** The body text, or the error response axum / the handler gives (413, 400). */
async function bodyText(request: Request, limit: number): Promise<string | Response> {
  const read = await readBodyLimited(request, limit);
  if (!read.ok)
    return read.reason === 'too-large'
      ? text(413, BODY_TOO_LARGE_TEXT)
      : text(400, `Failed to buffer the request body: ${read.detail}`); // axum UnknownBodyError
  return decodeUtf8Strict(read.bytes) ?? text(400, 'Invalid UTF-8');
}

/** The raw path and query of a fetch Request (WHATWG-parsed, percent escapes kept). */
function targetOf(request: Request): string {
  const url = new URL(request.url);
  return url.pathname + url.search;
}

/** A parsed `/put`: canonical ARID and envelope texts and the effective TTL, s. */
interface PutRequest {
  arid: string;
  envelope: string;
  ttlSeconds: number;
}

/**
 * Parse a `/put` body as server.rs `handle_put` does (lines, ARID, envelope, optional TTL, in
 * that order; TTL clamped to `maxTtl`, `maxTtl` when absent).
 * @returns the request, or the 400 response upstream gives.
 */
function parsePut(body: string, maxTtl: bigint): PutRequest | Response {
  const lines = rustLines(body);
  if (lines.length < 2) return text(400, 'Expected at least 2 lines: ur:arid and ur:envelope');
  let arid: string;
  let envelope: string;
  try {
    arid = canonicalAridUr(lines[0]!);
  } catch {
    return text(400, 'Invalid ur:arid');
  }
  try {
    envelope = canonicalEnvelopeUr(lines[1]!);
  } catch {
    return text(400, 'Invalid ur:envelope');
  }
  let ttl = maxTtl;
  if (lines.length > 2) {
    const requested = parseRustU64(lines[2]!);
    if (requested === null) return text(400, 'Invalid TTL');
    if (requested < ttl) ttl = requested;
  }
  return { arid, envelope, ttlSeconds: Number(ttl) };
}

/**
 * Parse a `/get` body as server.rs `handle_get` does (Rust `trim`, then the ARID).
 * @returns the canonical ARID text, or the 400 response upstream gives.
 */
function parseGet(body: string): string | Response {
  const aridText = rustTrim(body);
  if (aridText === '') return text(400, 'Expected ur:arid');
  try {
    return canonicalAridUr(aridText);
  } catch {
    return text(400, 'Invalid ur:arid');
  }
}

/**
 * The answer to a store error that is an injected fault, or null for a real storage failure.
 * HubertServerError (a `{status}` fault) → that status and body; HubertUnavailableError (store
 * down / crashed) → 503 `Service Unavailable`. Upstream has neither (docs/frost.md, deviations).
 */
function faultAnswer(e: unknown): Response | null {
  if (e instanceof HubertServerError) return text(e.status, e.body);
  if (e instanceof HubertUnavailableError) return text(503, 'Service Unavailable');
  return null;
}

/**
 * Build the Hubert HTTP app over `store` (any {@link KvStore}; typically `createServerKvStore`).
 * The server never polls: `/get` calls `store.get(arid, { timeoutSeconds: 0 })` (one check), and
 * `/put` passes the effective TTL (`ttl` clamped to `maxTtlSeconds`, or `maxTtlSeconds` when absent).
 * Store errors: a failed put → 409 with the error's text (server.rs 235 `map_err(Conflict)`; an
 * AlreadyExistsError reads `<ur:arid> already exists`); a failed get → 404 `Not found`
 * (server_kv.rs 62/67 `.ok().flatten()`); except injected faults (see {@link faultAnswer}).
 * Input never gets a 500: body errors are 413/400, routing is decided before any handler.
 * @returns the hono app; use `app.fetch` as a {@link FetchHandler}.
 */
export function createHubertApp(store: KvStore, options: HubertAppOptions = {}): Hono {
  const maxTtl = BigInt(options.maxTtlSeconds ?? SERVER_MAX_TTL_SECONDS);
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  // serde_json's Map is a BTreeMap: keys come out sorted.
  const health = JSON.stringify({
    server: 'hubert',
    status: 'ok',
    version: options.version ?? HUBERT_VERSION,
  });
  const app = new Hono();

  app.use(async (c, next) => {
    const route = routeRequest(c.req.method, targetOf(c.req.raw));
    if (route.kind === 'not-found') return notFound();
    if (route.kind === 'method-not-allowed') return methodNotAllowed(route.allow);
    await next();
  });

  app.get('/health', () => text(200, health));

  app.post('/put', async (c) => {
    const body = await bodyText(c.req.raw, limit);
    if (body instanceof Response) return body;
    const put = parsePut(body, maxTtl);
    if (put instanceof Response) return put;
    try {
      await store.put(put.arid, put.envelope, put.ttlSeconds);
    } catch (e) {
      return faultAnswer(e) ?? text(409, e instanceof Error ? e.message : String(e));
    }
    return text(200, 'OK');
  });

  app.post('/get', async (c) => {
    const body = await bodyText(c.req.raw, limit);
    if (body instanceof Response) return body;
    const arid = parseGet(body);
    if (arid instanceof Response) return arid;
    let found: string | null;
    try {
      found = await store.get(arid, { timeoutSeconds: 0 });
    } catch (e) {
      return faultAnswer(e) ?? text(404, 'Not found');
    }
    return found === null ? text(404, 'Not found') : text(200, found);
  });

  app.notFound(notFound);
  app.onError(() => text(500, 'Internal Server Error'));
  return app;
}
