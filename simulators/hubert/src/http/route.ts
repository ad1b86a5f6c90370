/**
 * How hubert-rust's router picks a handler for a request line, reproduced so that the simulator
 * answers every request target as upstream does. Upstream (server.rs `Server::run`) is an axum
 * `Router` with `/health` GET, `/put` POST and `/get` POST; axum matches `req.uri().path()`
 * verbatim (axum src/routing/path_router.rs `call_with_state`: `self.node.at(parts.uri.path())`):
 * no percent-decoding, no dot-segment removal, no slash merging, case-sensitive. For an
 * absolute-form target (`POST http://host/get`) the `http` crate's `Uri::path()` is the path
 * after the authority, so that request IS routed to `/get`. A known path with another method
 * gets axum's 405 (with `allow`, e.g. `GET,HEAD` for a `get` route); anything else axum's 404.
 * Pure: no I/O.
 */

/** The request paths upstream serves. */
export type HubertPath = '/health' | '/put' | '/get';

/** What the router does with a request. */
export type RouteDecision =
  | { kind: 'handler'; path: HubertPath }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string };

/** Allowed methods per path, in axum's `allow` order (a `get` route also serves HEAD). */
const ROUTES: Readonly<Record<HubertPath, readonly string[]>> = {
  '/health': ['GET', 'HEAD'],
  '/put': ['POST'],
  '/get': ['POST'],
};

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The path axum routes on for an HTTP/1.1 request-target as received (`http` crate
 * `Uri::path()`): origin-form `/a/b?q#f` → `/a/b`; absolute-form `http://h/a?q` → `/a` (empty →
 * `/`); the asterisk form `*` → `*`; anything else (authority form) → ``.
 * @param target the raw request-target (node:http `IncomingMessage.url`), undecoded.
 */
export function routingPath(target: string): string {
  const cut = (s: string): string => s.split(/[?#]/, 1)[0]!;
  if (target.startsWith('/')) return cut(target);
  if (target === '*') return '*';
  const absolute = ABSOLUTE_FORM.exec(target);
  if (absolute !== null) return cut(target.slice(absolute[0].length)) || '/';
  return '';
}

/**
 * Route `method` + raw `target` as upstream's axum router does (see the module comment).
 * @returns the handler's path, `not-found` (axum: 404, empty body) or `method-not-allowed`
 *   with the `allow` header value (axum: 405, empty body).
 */
export function routeRequest(method: string, target: string): RouteDecision {
  const path = routingPath(target);
  if (!Object.hasOwn(ROUTES, path)) return { kind: 'not-found' };
  const allowed = ROUTES[path as HubertPath];
  if (!allowed.includes(method)) return { kind: 'method-not-allowed', allow: allowed.join(',') };
  return { kind: 'handler', path: path as HubertPath };
}
