/**
 * Live Hubert HTTP server on a real socket (wall time): the hono app of src/http/app.ts served
 * through @hono/node-server's request listener on a node:http server. Binds 127.0.0.1 by default
 * (as upstream); pass `port: 0` for an ephemeral port.
 *
 * In front of the app sits the raw-request edge of upstream's axum router (src/http/route.ts):
 * node:http hands over the request-target exactly as sent (`/put/../get`, `/%2e%2e/get`,
 * `http://evil/put/../get`, `*`), which a fetch `Request` would normalise (WHATWG URL) and hono
 * would percent-decode. The edge routes on that raw target: unknown paths get axum's empty 404, a
 * wrong method its empty 405 with `allow`, and only requests for `/health`, `/put`, `/get` reach
 * the app, rewritten to that path. The app itself reads bodies under the 2 MiB limit
 * (src/http/body.ts), so a huge chunked put is cut off at the limit with 413.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { realClock } from '@fanout/core';
import { createHubertApp, type HubertAppOptions } from '../http/app.js';
import { routeRequest } from '../http/route.js';
import type { KvStore } from '../kv-store.js';
import { createServerKvStore } from '../stores/memory.js';

/** Upstream default port (hubert-rust ServerConfig::default). */
export const HUBERT_DEFAULT_PORT = 45678;

/** Options of {@link startHubertServer}. */
export interface StartHubertServerOptions extends HubertAppOptions {
  /** TCP port; 0 = ephemeral. Default 45678. */
  port?: number;
  /** Bind address. Default '127.0.0.1'. */
  host?: string;
  /** Backing store. Default: `createServerKvStore({ clock: realClock })` (in-memory, TTL ≤ 86400 s). */
  store?: KvStore;
}

/** A running live server. */
export interface RunningHubertServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The bound port. */
  port: number;
  /** The backing store. */
  store: KvStore;
  /** Stop listening and close open connections. */
  close(): Promise<void>;
}

/** The Host the edge hands to the app (upstream ignores Host; @hono/node-server validates it). */
const APP_HOST = 'hubert.local';

/**
 * An empty answer as axum's fallbacks give it: `content-length: 0`, no content type. When the
 * request body was not read (hyper then closes rather than drain it), the connection is closed.
 */
function answerEmpty(req: IncomingMessage, res: ServerResponse, status: number, allow?: string): void {
  const headers: Record<string, string> = { 'content-length': '0' };
  if (allow !== undefined) headers.allow = allow;
  if (!req.complete) headers.connection = 'close';
  res.writeHead(status, headers).end();
}

/**
 * The node:http request listener: axum's routing on the raw request-target, then the hono app.
 * @param app the hono app's fetch handler.
 */
export function hubertRequestListener(
  app: ReturnType<typeof createHubertApp>,
): (req: IncomingMessage, res: ServerResponse) => void {
  // overrideGlobalObjects false: keep the process's global Request / Response, so the app's
  // BufferedResponse replies stay `instanceof Response` (@fanout/sim live/http-service.ts).
  const toApp = getRequestListener(app.fetch, { hostname: APP_HOST, overrideGlobalObjects: false });
  return (req, res) => {
    const route = routeRequest(req.method ?? '', req.url ?? '');
    if (route.kind === 'not-found') return answerEmpty(req, res, 404);
    if (route.kind === 'method-not-allowed') return answerEmpty(req, res, 405, route.allow);
    req.url = route.path;
    req.headers.host = APP_HOST;
    void toApp(req, res);
  };
}

/**
 * Start the Hubert HTTP server.
 * @returns once listening: its URL, port, store and `close()`.
 * @throws (rejects with) the listen error, e.g. EADDRINUSE.
 */
export function startHubertServer(options: StartHubertServerOptions = {}): Promise<RunningHubertServer> {
  const host = options.host ?? '127.0.0.1';
  const store = options.store ?? createServerKvStore({ clock: realClock });
  const server = createServer(hubertRequestListener(createHubertApp(store, options)));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? HUBERT_DEFAULT_PORT, host, () => {
      server.off('error', reject);
      const info = server.address() as AddressInfo;
      const urlHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${urlHost}:${info.port}`,
        port: info.port,
        store,
        close: () =>
          new Promise<void>((done, fail) => {
            server.closeAllConnections();
            server.close((err) => (err ? fail(err) : done()));
          }),
      });
    });
  });
}
