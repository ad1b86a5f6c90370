/**
 * The Hubert HTTP server as a hono app (byte-exact with hubert-rust v0.5.0 src/server/server.rs).
 * `createHubertApp(store).fetch` is a plain fetch handler: the simulated network calls it
 * in-process, and src/live/server.ts serves it on a real socket.
 *
 * Routes:
 * - `GET /health` → 200 `{"server":"hubert","version":"<ver>","status":"ok"}` (application/json).
 * - `POST /put`, body `ur:arid\nur:envelope[\n<ttl>]` → 200 `OK`; 400 `Invalid UTF-8` |
 *   `Expected at least 2 lines: ur:arid and ur:envelope` | `Invalid ur:arid` | `Invalid ur:envelope` |
 *   `Invalid TTL`; 409 `<ur:arid> already exists`.
 * - `POST /get`, body `ur:arid` (trimmed) → 200 `<ur:envelope>`; 404 `Not found`; 400
 *   `Invalid UTF-8` | `Expected ur:arid` | `Invalid ur:arid`.
 * Text responses carry `content-type: text/plain; charset=utf-8` (axum's for a String body).
 * Unknown paths → 404 with an empty body; a wrong method on a known path → 405, empty body, `allow`.
 */
import { Hono } from 'hono';
import { AlreadyExistsError, HubertServerError, HubertUnavailableError } from '../errors.js';
import type { KvStore } from '../kv-store.js';
import { SERVER_MAX_TTL_SECONDS } from '../stores/memory.js';
import { canonicalAridUr, canonicalEnvelopeUr } from '../ur.js';
import { decodeUtf8Strict, parseRustU64, rustLines, rustTrim } from './rust-text.js';

/** hubert-rust crate version reported by `/health` by default. */
export const HUBERT_VERSION = '0.5.0';
/** axum's default request body limit (DefaultBodyLimit: 2 MiB). */
export const DEFAULT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Options of {@link createHubertApp}. */
export interface HubertAppOptions {
  /** Version string in `/health`. Default '0.5.0'. */
  version?: string;
  /** TTL default and clamp, s (ServerConfig.max_ttl). Default 86400. */
  maxTtlSeconds?: number;
  /** Larger bodies get 413 `Failed to buffer the request body: length limit exceeded`. Default 2 MiB. */
  bodyLimitBytes?: number;
  /**
   * 409 body. 'store' (default): the store's AlreadyExists text `<ur:arid> already exists`
   * (upstream SQLite storage). 'upstream-memory': `ARID already exists`, which upstream's
   * in-memory server storage answers.
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
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

function methodNotAllowed(allow: string): Response {
  return new Response(null, { status: 405, headers: { allow } });
}

/** Body bytes, or null when larger than `limit`. */
async function readBody(request: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (Number.isFinite(declared) && declared > limit) return null;
  const bytes = new Uint8Array(await request.arrayBuffer());
  return bytes.length > limit ? null : bytes;
}

const TOO_LARGE = (): Response => text(413, 'Failed to buffer the request body: length limit exceeded');

/**
 * Build the Hubert HTTP app over `store` (any {@link KvStore}; typically `createServerKvStore`).
 * The server never polls: `/get` calls `store.get(arid, { timeoutSeconds: 0 })` (one check), and
 * `/put` passes the effective TTL (`ttl` clamped to `maxTtlSeconds`, or `maxTtlSeconds` when absent).
 * Store errors map to: AlreadyExistsError → 409; HubertServerError → its status and body (injected
 * faults); HubertUnavailableError → 503 `Service Unavailable`; any other put error → 409 with its
 * message (upstream turns every storage error into Conflict); any other get error → 500.
 * @returns the hono app; use `app.fetch` as a {@link FetchHandler}.
 */
export function createHubertApp(store: KvStore, options: HubertAppOptions = {}): Hono {
  const version = options.version ?? HUBERT_VERSION;
  const maxTtl = BigInt(options.maxTtlSeconds ?? SERVER_MAX_TTL_SECONDS);
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const conflictText = options.conflictText ?? 'store';
  const app = new Hono();

  const storeFailure = (e: unknown, fallbackStatus: number): Response => {
    if (e instanceof AlreadyExistsError)
      return text(409, conflictText === 'upstream-memory' ? 'ARID already exists' : e.message);
    if (e instanceof HubertServerError) return text(e.status, e.body);
    if (e instanceof HubertUnavailableError) return text(503, 'Service Unavailable');
    return text(fallbackStatus, e instanceof Error ? e.message : 'Internal Server Error');
  };

  app.get(
    '/health',
    () =>
      new Response(JSON.stringify({ server: 'hubert', version, status: 'ok' }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      }),
  );

  app.post('/put', async (c) => {
    const bytes = await readBody(c.req.raw, limit);
    if (bytes === null) return TOO_LARGE();
    const body = decodeUtf8Strict(bytes);
    if (body === null) return text(400, 'Invalid UTF-8');
    const lines = rustLines(body);
    if (lines.length < 2) return text(400, 'Expected at least 2 lines: ur:arid and ur:envelope');
    let arid: string;
    try {
      arid = canonicalAridUr(lines[0]!);
    } catch {
      return text(400, 'Invalid ur:arid');
    }
    let envelope: string;
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
    try {
      await store.put(arid, envelope, Number(ttl));
    } catch (e) {
      return storeFailure(e, 409);
    }
    return text(200, 'OK');
  });

  app.post('/get', async (c) => {
    const bytes = await readBody(c.req.raw, limit);
    if (bytes === null) return TOO_LARGE();
    const body = decodeUtf8Strict(bytes);
    if (body === null) return text(400, 'Invalid UTF-8');
    const aridText = rustTrim(body);
    if (aridText === '') return text(400, 'Expected ur:arid');
    let arid: string;
    try {
      arid = canonicalAridUr(aridText);
    } catch {
      return text(400, 'Invalid ur:arid');
    }
    let found: string | null;
    try {
      found = await store.get(arid, { timeoutSeconds: 0 });
    } catch (e) {
      return storeFailure(e, 500);
    }
    return found === null ? text(404, 'Not found') : text(200, found);
  });

  app.all('/put', () => methodNotAllowed('POST'));
  app.all('/get', () => methodNotAllowed('POST'));
  app.all('/health', () => methodNotAllowed('GET,HEAD'));
  app.notFound(() => new Response(null, { status: 404 }));
  app.onError(() => text(500, 'Internal Server Error'));
  return app;
}
