/**
 * OpenBao's request pipeline for `/v1/…` (everything but health), in OpenBao's order:
 *
 * 0. A sealed (or uninitialised) server answers 503 before reading anything: on an HA server
 *    (integrated storage) http/handler.go handleRequestForwarding asks core.Leader(), which
 *    fails with ErrSealed first.
 * 1. HTTP layer (openbao http/logical.go buildLogicalRequestNoAuth): the method picks the
 *    operation (GET → read, or list with `?list=true` (strconv.ParseBool; a bad value is 400
 *    `{"errors":[]}`); LIST → list; POST/PUT → update; PATCH → patch, which needs
 *    `Content-Type: application/merge-patch+json` (else 415); DELETE → delete; HEAD → header;
 *    any other method 405 `{"errors":[]}`); list paths get a trailing '/'; the body is read within
 *    the size limit (413) and parsed (400) — all before the token is looked at.
 * 2. Core (vault/request_handling.go switchedLockHandleRequest, handleCancelableRequest):
 *    namespace resolution → 404 "namespace not found"; a write to
 *    a path ending in '/' → 400; the token → 403 "permission denied" (an unknown or missing token
 *    is a plain ErrPermissionDenied: fetchACLTokenEntryAndEntity); routing (vault/router.go):
 *    `sys/…` to the sys endpoints, else the longest mount of the namespace, or 404 `no handler for
 *    route "<path>". route entry not found.`
 * 3. The plugin (plugin.ts), and the response: data in the envelope
 *    `{request_id, lease_id, renewable, lease_duration, data, wrap_info, warnings, auth}`, no data
 *    → 204 (404 `{"errors":[]}` for a read or list: sdk/logical/response_util.go RespondErrorCommon).
 */
import { readBodyText, parseJsonData, queryData, type RequestData } from './body.js';
import { requestToken } from './auth.js';
import type { ForgeKind } from './faults.js';
import type { NamespaceRegistry } from './namespaces.js';
import type { Secp256k1Plugin } from './plugin.js';
import { BaoHttpError, errorResponse, jsonResponse, noContent } from './respond.js';
import { handleSys, type LogicalResult, type Operation } from './sys.js';

const PARSE_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const PARSE_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/**
 * The operation for `method` and the query (no body involved).
 * @returns the operation and whether the path becomes a list path (trailing '/').
 * @throws BaoHttpError 400 `{"errors":[]}` for a `list` value strconv.ParseBool refuses, 405 for
 *   a method OpenBao does not map.
 */
export function operationOf(method: string, query: URLSearchParams): { operation: Operation; list: boolean } {
  switch (method) {
    case 'GET': {
      const v = query.get('list');
      if (v === null || v === '' || PARSE_FALSE.includes(v)) return { operation: 'read', list: false };
      if (PARSE_TRUE.includes(v)) return { operation: 'list', list: true };
      throw new BaoHttpError(400, []);
    }
    case 'LIST':
      return { operation: 'list', list: true };
    case 'POST':
    case 'PUT':
      return { operation: 'update', list: false };
    case 'PATCH':
      return { operation: 'patch', list: false };
    case 'DELETE':
      return { operation: 'delete', list: false };
    case 'HEAD':
      return { operation: 'header', list: false };
    default:
      throw new BaoHttpError(405, []);
  }
}

/** Decode `/v1/<rest>` into the logical path (Go's URL.Path is percent-decoded, %2F included). */
export function logicalPath(pathname: string): string | undefined {
  if (!pathname.startsWith('/v1/')) return undefined;
  try {
    return decodeURIComponent(pathname.slice(4));
  } catch {
    throw new BaoHttpError(400, []);
  }
}

/** What the pipeline needs from the server. */
export interface LogicalDeps {
  readonly registry: NamespaceRegistry;
  readonly plugin: Secp256k1Plugin;
  readonly tokens: ReadonlySet<string>;
  readonly maxRequestBytes: number;
  /** Current switches. */
  state(): { readonly sealed: boolean; readonly initialized: boolean };
}

/** The request data of a request whose operation is known (body or query). */
async function requestData(
  request: Request,
  operation: Operation,
  list: boolean,
  query: URLSearchParams,
  limit: number,
): Promise<RequestData | undefined> {
  if (operation === 'update') return parseJsonData(await readBodyText(request, limit));
  if (operation === 'patch') {
    const raw = request.headers.get('content-type') ?? '';
    const type = raw.split(';')[0]!.trim().toLowerCase();
    if (type === '') throw new BaoHttpError(400, ['mime: no media type']);
    if (type !== 'application/merge-patch+json')
      throw new BaoHttpError(415, [
        `PATCH requires Content-Type of application/merge-patch+json, provided ${type}`,
      ]);
    return parseJsonData(await readBodyText(request, limit));
  }
  // GET removes `list` only once it selected the list operation (a `list=false` stays data).
  return queryData(query, list && request.method.toUpperCase() === 'GET' ? ['list'] : []);
}

/** Route an authorised request in `namespace` to sys or the plugin mount. */
function route(
  deps: LogicalDeps,
  namespace: string,
  path: string,
  operation: Operation,
  data: RequestData | undefined,
  forge: ForgeKind | undefined,
): LogicalResult {
  if (path.startsWith('sys/')) return handleSys(deps.registry, namespace, path.slice(4), operation, data);
  const mount = deps.registry.findMount(namespace, path);
  if (mount === undefined)
    throw new BaoHttpError(404, [`no handler for route "${path}". route entry not found.`]);
  return deps.plugin.handle(namespace + mount.mount, mount.rest, operation, data, forge);
}

/**
 * Serve one `/v1/…` request (see the module docs for the order of checks).
 * @param requestId the envelope's request_id.
 * @param forge a `forgeSignature` fault to apply to a sign answer.
 * @param parsed `request.url` already parsed (default: parsed here).
 * @returns the response; never throws for bad input (BaoHttpError becomes its error response;
 *   anything else propagates to the caller's error handler).
 */
export async function serveLogical(
  deps: LogicalDeps,
  request: Request,
  requestId: string,
  forge?: ForgeKind,
  parsed?: URL,
): Promise<Response> {
  try {
    const url = parsed ?? new URL(request.url);
    const rel = logicalPath(url.pathname);
    if (rel === undefined) return errorResponse(404, []);
    const { sealed, initialized } = deps.state();
    if (!initialized) throw new BaoHttpError(503, ['Vault is not initialized']);
    if (sealed) throw new BaoHttpError(503, ['Vault is sealed']);
    const { operation, list } = operationOf(request.method.toUpperCase(), url.searchParams);
    const data = await requestData(request, operation, list, url.searchParams, deps.maxRequestBytes);
    const resolved = deps.registry.resolve(request.headers.get('x-vault-namespace') ?? '', rel);
    if (resolved === undefined) throw new BaoHttpError(404, ['namespace not found']);
    const path = list && !resolved.path.endsWith('/') ? `${resolved.path}/` : resolved.path;
    if (path.endsWith('/') && (operation === 'update' || operation === 'patch'))
      throw new BaoHttpError(400, ["cannot write to a path ending in '/'"]);
    const token = requestToken(request.headers);
    if (token === undefined || !deps.tokens.has(token)) throw new BaoHttpError(403, ['permission denied']);
    const result = route(deps, resolved.namespace, path, operation, data, forge);
    if (result === null) {
      return operation === 'read' || operation === 'list' || operation === 'header'
        ? errorResponse(404, [])
        : noContent();
    }
    return jsonResponse(200, {
      request_id: requestId,
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: result.data,
      wrap_info: null,
      warnings: result.warnings.length === 0 ? null : result.warnings,
      auth: null,
    });
  } catch (e) {
    if (e instanceof BaoHttpError) return errorResponse(e.status, e.errors, e.headers);
    throw e;
  }
}
