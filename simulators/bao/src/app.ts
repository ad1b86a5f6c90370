/**
 * A fake OpenBao server with the popsigner `secp256k1` secrets plugin mounted, as a hono app.
 *
 * Protocol sources: popsigner plugin/secp256k1/path_keys.go, path_sign.go, path_import.go,
 * path_export.go (routes, fields, error texts), OpenBao HTTP API docs (response envelope,
 * `{"errors":[...]}`, `/v1/sys/health` codes, empty LIST → 404), and the fact that OpenBao turns
 * every plugin error response into HTTP 400 (so a missing key is 400 "key not found", not 404).
 *
 * In simulation `sim.fetch` / `sim.app.fetch` is called in-process with a VirtualClock; the live
 * starter (src/live/server.ts) serves the same app on 127.0.0.1.
 */
import { realClock, type Clock, type FetchLike } from '@fanout/core';
import { Hono, type Context } from 'hono';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import {
  compressedPublicKey,
  cosmosAddress,
  ethAddress,
  forgeSignature,
  generatePrivateKey,
  hashInput,
  isValidPrivateKey,
  signDigest,
  type HashAlgorithm,
  type OutputFormat,
} from './crypto.js';
import {
  BAO_ROUTES,
  BaoConnectionResetError,
  noFaults,
  type BaoFaultAction,
  type BaoFaultHooks,
  type BaoRequestInfo,
  type BaoRoute,
  type ForgeKind,
} from './faults.js';
import { seededRng, type Rng } from './rng.js';
import { KeyStore, type KeyEntry } from './store.js';

/** Options of {@link createBaoApp}. Every field is optional. */
export interface BaoAppOptions {
  /** Time source for `created_at`, health `server_time_utc` and fault latency. Default realClock. */
  clock?: Clock;
  /** Byte source for private keys (48 bytes per key). Default `seededRng(seed)`. */
  rng?: Rng;
  /** Seed for the default rng. Default 0. */
  seed?: string | number;
  /** Accepted tokens (`X-Vault-Token` or `Authorization: Bearer`). Default `['root']`. */
  tokens?: readonly string[];
  /** Status for a missing key: 400 (OpenBao's real behaviour, default) or 404. Body `{"errors":["key not found"]}` either way. */
  missingKeyStatus?: 400 | 404;
  /** Mount path of the plugin. Default 'secp256k1'. */
  mount?: string;
  /** Fault hooks consulted per request. Default: no faults. */
  faults?: BaoFaultHooks;
  /** Wall time (Unix ms) that clock time 0 stands for, used to render `created_at`. Default 1735689600000 (2025-01-01T00:00:00Z). */
  epochMs?: number;
  /** Initial switches. Defaults: sealed false, standby false, initialized true. */
  sealed?: boolean;
  standby?: boolean;
  initialized?: boolean;
  /**
   * Called with hono's `env` when a `reset` fault fires, before the handler rejects. The live
   * starter uses it to reset the TCP socket; in-process it is not needed.
   */
  onConnectionReset?: (env: unknown) => void;
}

/** Request counters (a snapshot). */
export interface BaoCounters {
  /** Requests received. */
  readonly total: number;
  readonly byRoute: Readonly<Record<BaoRoute, number>>;
  /** Responses sent, by HTTP status. */
  readonly byStatus: Readonly<Record<number, number>>;
  /** Requests that ended without a response (reset fault, or aborted while pending). */
  readonly dropped: number;
  /** Fault actions applied (latency alone is not counted). */
  readonly faults: number;
  /** Requests being handled right now (latency and hangs included). */
  readonly inFlight: number;
  /** Highest `inFlight` seen since creation or the last {@link BaoSimulator.resetCounters}. */
  readonly peakInFlight: number;
}

/** Fetch-like signature of {@link BaoSimulator.fetch} (@fanout/core's FetchLike). */
export type BaoFetch = FetchLike;

/** The simulator: the hono app plus its controls. */
export interface BaoSimulator {
  /** The hono app. `app.fetch(request, env?)` is the fetch handler. */
  readonly app: Hono;
  /**
   * `fetch`-compatible wrapper around `app.fetch` (builds a Request from `input`/`init`).
   * Rejects with {@link BaoConnectionResetError} on a `reset` fault, and with the request
   * signal's reason when a pending request is aborted.
   */
  readonly fetch: BaoFetch;
  /** A snapshot of the counters. */
  counters(): BaoCounters;
  /** Zero every counter; `peakInFlight` restarts from the current `inFlight`. */
  resetCounters(): void;
  /** Replace the fault hooks (undefined = no faults). */
  setFaults(hooks: BaoFaultHooks | undefined): void;
  /** Seal/unseal: while sealed every API request is 503 and health is 503. */
  setSealed(sealed: boolean): void;
  /** Standby switch: health answers 429 (requests are still served, as a standby forwards them). */
  setStandby(standby: boolean): void;
  /** Initialised switch: while false health answers 501 and every API request 503. */
  setInitialized(initialized: boolean): void;
  /** Key names in `namespace` ('' = root), sorted (inspection for tests). */
  keyNames(namespace?: string): string[];
  /**
   * Public facts of every key in `namespace` ('' = root), sorted by name: what a scenario oracle
   * compares the client's view with. Bypasses the network, hooks, auth and counters; never includes
   * private keys.
   */
  keyInfo(namespace?: string): BaoPublicKeyInfo[];
}

/** Public facts of one stored key (see {@link BaoSimulator.keyInfo}). */
export interface BaoPublicKeyInfo {
  readonly name: string;
  /** 33-byte compressed public key (a copy). */
  readonly publicKey: Uint8Array;
  readonly exportable: boolean;
  readonly imported: boolean;
}

/** Key names the plugin routes accept: framework.GenericNameRegex, `\w(([\w-.@]+)?\w)?`. */
const KEY_NAME = /^\w(?:[\w.@-]*\w)?$/;
/** Go's base64.StdEncoding alphabet with mandatory padding. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const boolField = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true');
const strField = z.string();

const createBody = z.object({ exportable: boolField.optional() });
const signBody = z.object({
  input: strField.optional(),
  prehashed: boolField.optional(),
  hash_algorithm: strField.optional(),
  output_format: strField.optional(),
});
const importBody = z.object({ ciphertext: strField.optional(), exportable: boolField.optional() });

/** Thrown inside handlers to answer with an error envelope. */
class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly errors: string[],
    readonly headers: Record<string, string> = {},
  ) {
    super(errors.join('; '));
  }
}

function decodeBase64(s: string): Uint8Array | undefined {
  if (!BASE64.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64'));
}

const toBase64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** `X-Vault-Namespace` normalised: surrounding slashes and spaces trimmed. */
function namespaceOf(headers: Headers): string {
  return (headers.get('x-vault-namespace') ?? '').trim().replace(/^\/+|\/+$/g, '');
}

/** Token from `X-Vault-Token`, else from `Authorization: Bearer <token>`. */
function tokenOf(headers: Headers): string | undefined {
  const t = headers.get('x-vault-token');
  if (t !== null && t !== '') return t;
  const auth = headers.get('authorization');
  const m = auth === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth);
  return m?.[1];
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Map a request to its {@link BaoRoute} and key name (used for counters and fault hooks; the
 * hono routes below serve the same shapes).
 */
export function classifyBaoRoute(
  method: string,
  url: URL,
  mount = 'secp256k1',
): { route: BaoRoute; keyName: string | undefined } {
  const m = method.toUpperCase();
  const path = url.pathname;
  if (path === '/v1/sys/health')
    return { route: m === 'GET' || m === 'HEAD' ? 'health' : 'unknown', keyName: undefined };
  const base = `/v1/${mount}/`;
  if (!path.startsWith(base)) return { route: 'unknown', keyName: undefined };
  const parts = path.slice(base.length).split('/');
  const unknown = { route: 'unknown' as const, keyName: undefined };
  const [head, rawName, tail, ...rest] = parts;
  if (rest.length > 0) return unknown;
  if (head === 'keys' && (rawName === undefined || rawName === '') && tail === undefined) {
    if (m === 'LIST' || (m === 'GET' && url.searchParams.get('list') === 'true'))
      return { route: 'keys.list', keyName: undefined };
    return unknown;
  }
  if (rawName === undefined || rawName === '') return unknown;
  const keyName = safeDecode(rawName);
  if (keyName === undefined) return unknown;
  if (head === 'keys' && tail === 'import')
    return m === 'POST' || m === 'PUT' ? { route: 'keys.import', keyName } : unknown;
  if (tail !== undefined) return unknown;
  if (head === 'keys') {
    if (m === 'POST' || m === 'PUT') return { route: 'keys.create', keyName };
    if (m === 'GET') return { route: 'keys.read', keyName };
    if (m === 'DELETE') return { route: 'keys.delete', keyName };
    return unknown;
  }
  if (head === 'sign') return m === 'POST' || m === 'PUT' ? { route: 'sign', keyName } : unknown;
  if (head === 'export') return m === 'GET' ? { route: 'export', keyName } : unknown;
  return unknown;
}

/** RFC 3339 without fractional seconds, like Go's `time.RFC3339` in UTC. */
function rfc3339(unixMs: number): string {
  return new Date(Math.floor(unixMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Create the simulator.
 *
 * Routes (mount `secp256k1`, all under the OpenBao envelope `{request_id, lease_id:"",
 * renewable:false, lease_duration:0, data, wrap_info:null, warnings:null, auth:null}`):
 * - `POST|PUT /v1/secp256k1/keys/:name {"exportable"}` → data{name, public_key (33-byte hex),
 *   address (hex RIPEMD160(SHA256(pub))), eth_address, exportable, created_at, imported:false};
 *   400 "key already exists" for a duplicate.
 * - `GET /v1/secp256k1/keys/:name` → the same data; missing → 400 (or `missingKeyStatus`) "key not found".
 * - `LIST /v1/secp256k1/keys` or `GET …/keys?list=true` → data{keys (sorted), key_info{name → metadata}};
 *   no keys → 404 `{"errors":[]}` (OpenBao's empty-list behaviour).
 * - `DELETE /v1/secp256k1/keys/:name` → 204 (also for a missing key, as the plugin does).
 * - `POST|PUT /v1/secp256k1/keys/:name/import {"ciphertext": base64 of the 32-byte key, exportable}`.
 * - `POST|PUT /v1/secp256k1/sign/:name {input: base64, prehashed, hash_algorithm: sha256|keccak256,
 *   output_format: cosmos|der}` → data{signature: base64, public_key: hex, key_version: 1};
 *   prehashed input must be exactly 32 bytes.
 * - `GET /v1/secp256k1/export/:name` → data{…metadata, keys{"1": base64 private key}}, exportable keys only
 *   (else 400 "key is not exportable").
 * - `GET|HEAD /v1/sys/health` → 200 active, 429 standby, 501 uninitialised, 503 sealed (no token
 *   needed; `standbyok`, `activecode`, `standbycode`, `sealedcode`, `uninitcode` query overrides).
 * Every other path: 404 "unsupported path" (405 "unsupported operation" for a wrong method).
 * Missing/unknown token → 403 "permission denied". Sealed → 503 "Vault is sealed".
 * Bad JSON or a field of the wrong type → 400. The server never throws on bad input.
 *
 * @throws RangeError when `missingKeyStatus` is not 400/404 or `tokens` is empty.
 */
export function createBaoApp(options: BaoAppOptions = {}): BaoSimulator {
  const clock = options.clock ?? realClock;
  const rng = options.rng ?? seededRng(options.seed ?? 0);
  const tokens = new Set(options.tokens ?? ['root']);
  if (tokens.size === 0) throw new RangeError('createBaoApp: tokens must not be empty');
  const missingKeyStatus = options.missingKeyStatus ?? 400;
  if (missingKeyStatus !== 400 && missingKeyStatus !== 404) {
    throw new RangeError(
      `createBaoApp: missingKeyStatus must be 400 or 404, got ${String(missingKeyStatus)}`,
    );
  }
  const mount = options.mount ?? 'secp256k1';
  const epochMs = options.epochMs ?? 1_735_689_600_000;
  let faults = options.faults ?? noFaults;
  let sealed = options.sealed ?? false;
  let standby = options.standby ?? false;
  let initialized = options.initialized ?? true;
  const store = new KeyStore();

  let seq = 0;
  const emptyRoutes = (): Record<BaoRoute, number> =>
    Object.fromEntries(BAO_ROUTES.map((r) => [r, 0])) as Record<BaoRoute, number>;
  let counts = {
    total: 0,
    byRoute: emptyRoutes(),
    byStatus: {} as Record<number, number>,
    dropped: 0,
    faults: 0,
  };
  let inFlight = 0;
  let peakInFlight = 0;

  const requestIds = new WeakMap<Request, string>();
  const requestId = (c: Context): string =>
    requestIds.get(c.req.raw) ?? '00000000-0000-4000-8000-000000000000';

  const envelope = (c: Context, data: unknown): Response =>
    c.json({
      request_id: requestId(c),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data,
      wrap_info: null,
      warnings: null,
      auth: null,
    });

  const fail = (status: number, ...errors: string[]): never => {
    throw new HttpError(status, errors);
  };

  const metadata = (e: KeyEntry): Record<string, unknown> => ({
    name: e.name,
    public_key: bytesToHex(e.publicKey),
    address: bytesToHex(cosmosAddress(e.publicKey)),
    eth_address: ethAddress(e.publicKey),
    exportable: e.exportable,
    created_at: rfc3339(epochMs + e.createdAtMs),
    imported: e.imported,
  });

  const keyName = (c: Context): string => {
    const name = c.req.param('name');
    if (name === undefined || !KEY_NAME.test(name)) fail(404, 'unsupported path');
    return name!;
  };

  const existing = (c: Context, name: string): KeyEntry =>
    store.get(namespaceOf(c.req.raw.headers), name) ?? fail(missingKeyStatus, 'key not found');

  async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
    const text = await c.req.text();
    let json: unknown = {};
    if (text.trim() !== '') {
      try {
        json = JSON.parse(text);
      } catch (e) {
        fail(400, `failed to parse JSON input: ${(e as Error).message}`);
      }
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json))
      fail(400, 'failed to parse JSON input: body must be a JSON object');
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      fail(400, `error converting input for field "${issue.path.join('.')}": ${issue.message}`);
    }
    return parsed.data as z.output<S>;
  }

  /** Sign requests whose answer a `forgeSignature` fault falsifies. */
  const forged = new WeakMap<Request, ForgeKind>();

  const applyAction = (
    c: Context,
    action: Exclude<BaoFaultAction, { type: 'dropReply' | 'forgeSignature' }>,
  ): Response | Promise<never> => {
    counts.faults++;
    switch (action.type) {
      case 'error':
        // Statuses that cannot carry a body (204, 205, 304) answer with none.
        if (action.status === 204 || action.status === 205 || action.status === 304)
          return c.body(null, action.status);
        return c.json({ errors: [action.message] }, action.status as 400);
      case 'sealed':
        return c.json({ errors: ['Vault is sealed'] }, 503);
      case 'rateLimited': {
        const s = action.retryAfterS ?? 1;
        return c.json({ errors: ['rate limit quota exceeded'] }, 429, { 'Retry-After': String(s) });
      }
      case 'reset':
        options.onConnectionReset?.(c.env);
        throw new BaoConnectionResetError(c.req.path);
      case 'hang': {
        const signal = c.req.raw.signal;
        return new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
    }
  };

  const app = new Hono();

  // Counters + fault hooks, around everything.
  app.use('*', async (c, next) => {
    const n = seq++;
    requestIds.set(c.req.raw, `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);
    const url = new URL(c.req.url);
    const { route, keyName: name } = classifyBaoRoute(c.req.method, url, mount);
    counts.total++;
    counts.byRoute[route]++;
    inFlight++;
    if (inFlight > peakInFlight) peakInFlight = inFlight;
    let answered = false;
    try {
      const info: BaoRequestInfo = {
        seq: n,
        route,
        method: c.req.method.toUpperCase(),
        path: url.pathname,
        keyName: name,
        namespace: namespaceOf(c.req.raw.headers),
        at: clock.now(),
      };
      let decision;
      try {
        decision = faults.decide(info);
      } catch (e) {
        c.res = c.json({ errors: [`fault hook failed: ${(e as Error).message}`] }, 500);
        answered = true;
        return;
      }
      const latency = decision?.latencyMs ?? 0;
      if (latency > 0) await clock.sleep(latency, c.req.raw.signal);
      const action = decision?.action;
      if (action?.type === 'dropReply') {
        // Handle for real (state changes stick), then lose the answer.
        counts.faults++;
        await next();
        options.onConnectionReset?.(c.env);
        throw new BaoConnectionResetError(c.req.path);
      }
      if (action?.type === 'forgeSignature') {
        if (route === 'sign') {
          counts.faults++;
          forged.set(c.req.raw, action.how);
        }
      } else if (action !== undefined) {
        c.res = await applyAction(c, action);
        answered = true;
        return;
      }
      await next();
      answered = true;
    } finally {
      inFlight--;
      if (answered) counts.byStatus[c.res.status] = (counts.byStatus[c.res.status] ?? 0) + 1;
      else counts.dropped++;
    }
  });

  // Health needs no token and works sealed.
  const health = (c: Context): Response => {
    const q = (k: string): number | undefined => {
      const v = c.req.query(k);
      const n = v === undefined ? NaN : Number(v);
      return Number.isInteger(n) && n >= 200 && n <= 599 ? n : undefined;
    };
    let status: number;
    if (!initialized) status = q('uninitcode') ?? 501;
    else if (sealed) status = q('sealedcode') ?? 503;
    else if (standby && c.req.query('standbyok') !== 'true') status = q('standbycode') ?? 429;
    else status = q('activecode') ?? 200;
    const bodyJson = {
      initialized,
      sealed,
      standby,
      performance_standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
      server_time_utc: Math.floor((epochMs + clock.now()) / 1000),
      version: '2.4.0+sim',
      cluster_name: 'fanout-sim-bao',
    };
    if (c.req.method === 'HEAD') return c.body(null, status as 200);
    return c.json(bodyJson, status as 200);
  };
  app.get('/v1/sys/health', health);

  // Initialised / sealed / token checks for every other path (unknown ones included).
  app.use('*', async (c, next) => {
    if (c.req.path === '/v1/sys/health') return next();
    if (!initialized) fail(503, 'Vault is not initialized');
    if (sealed) fail(503, 'Vault is sealed');
    const token = tokenOf(c.req.raw.headers);
    if (token === undefined || !tokens.has(token)) fail(403, 'permission denied');
    return next();
  });

  const base = `/v1/${mount}`;
  const knownShape = new RegExp(
    `^/v1/${mount.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(keys|sign|export)(/|$)`,
  );

  const list = (c: Context): Response => {
    const entries = store.list(namespaceOf(c.req.raw.headers));
    if (entries.length === 0) return c.json({ errors: [] }, 404);
    return envelope(c, {
      keys: entries.map((e) => e.name),
      key_info: Object.fromEntries(entries.map((e) => [e.name, metadata(e)])),
    });
  };
  app.on('LIST', [`${base}/keys`, `${base}/keys/`], list);
  app.get(`${base}/keys`, (c) =>
    c.req.query('list') === 'true' ? list(c) : fail(405, 'unsupported operation'),
  );
  app.get(`${base}/keys/`, (c) =>
    c.req.query('list') === 'true' ? list(c) : fail(405, 'unsupported operation'),
  );

  const create = async (c: Context): Promise<Response> => {
    const name = keyName(c);
    const { exportable = false } = await body(c, createBody);
    const ns = namespaceOf(c.req.raw.headers);
    if (store.has(ns, name)) fail(400, 'key already exists');
    const privateKey = generatePrivateKey(rng);
    const entry: KeyEntry = {
      name,
      privateKey,
      publicKey: compressedPublicKey(privateKey),
      exportable,
      imported: false,
      createdAtMs: clock.now(),
    };
    store.insert(ns, entry);
    return envelope(c, metadata(entry));
  };

  const importKey = async (c: Context): Promise<Response> => {
    const name = keyName(c);
    const { ciphertext, exportable = false } = await body(c, importBody);
    if (ciphertext === undefined || ciphertext === '') fail(400, 'missing ciphertext');
    const ns = namespaceOf(c.req.raw.headers);
    if (store.has(ns, name)) fail(400, 'key already exists');
    const privateKey = decodeBase64(ciphertext!) ?? fail(400, 'invalid ciphertext: not valid base64');
    if (privateKey.length !== 32)
      fail(400, `invalid secp256k1 key: private key must be 32 bytes, got ${privateKey.length}`);
    if (!isValidPrivateKey(privateKey)) fail(400, 'invalid secp256k1 key: scalar out of range');
    const entry: KeyEntry = {
      name,
      privateKey,
      publicKey: compressedPublicKey(privateKey),
      exportable,
      imported: true,
      createdAtMs: clock.now(),
    };
    store.insert(ns, entry);
    return envelope(c, metadata(entry));
  };

  app.on(['POST', 'PUT'], `${base}/keys/:name/import`, importKey);
  app.on(['POST', 'PUT'], `${base}/keys/:name`, create);
  app.get(`${base}/keys/:name`, (c) => envelope(c, metadata(existing(c, keyName(c)))));
  app.delete(`${base}/keys/:name`, (c) => {
    store.delete(namespaceOf(c.req.raw.headers), keyName(c));
    return c.body(null, 204);
  });

  app.on(['POST', 'PUT'], `${base}/sign/:name`, async (c) => {
    const name = keyName(c);
    const b = await body(c, signBody);
    if (b.input === undefined || b.input === '') fail(400, 'missing input');
    const input = decodeBase64(b.input!) ?? fail(400, 'invalid input: not valid base64');
    let digest: Uint8Array;
    if (b.prehashed === true) {
      if (input.length !== 32) fail(400, 'prehashed input must be 32 bytes');
      digest = input;
    } else {
      const algo = b.hash_algorithm ?? 'sha256';
      if (algo !== 'sha256' && algo !== 'keccak256') fail(400, `unsupported hash algorithm: ${algo}`);
      digest = hashInput(input, algo as HashAlgorithm);
    }
    const format = b.output_format === undefined || b.output_format === '' ? 'cosmos' : b.output_format;
    if (format !== 'cosmos' && format !== 'der') fail(400, `unsupported output format: ${format}`);
    const entry = existing(c, name);
    const how = forged.get(c.req.raw);
    const { signature, publicKey } =
      how === undefined
        ? {
            signature: signDigest(entry.privateKey, digest, format as OutputFormat),
            publicKey: entry.publicKey,
          }
        : forgeSignature(entry.privateKey, digest, format as OutputFormat, how);
    return envelope(c, {
      signature: toBase64(signature),
      public_key: bytesToHex(publicKey),
      key_version: 1,
    });
  });

  app.get(`${base}/export/:name`, (c) => {
    const entry = existing(c, keyName(c));
    if (!entry.exportable) fail(400, 'key is not exportable');
    return envelope(c, { ...metadata(entry), keys: { '1': toBase64(entry.privateKey) } });
  });

  app.notFound((c) => {
    const { route } = classifyBaoRoute(c.req.method, new URL(c.req.url), mount);
    // A known path shape with a method the route does not take is 405; anything else 404.
    const knownPath = route !== 'unknown' || knownShape.test(c.req.path);
    return c.json(
      { errors: [knownPath ? 'unsupported operation' : 'unsupported path'] },
      knownPath ? 405 : 404,
    );
  });

  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json({ errors: err.errors }, err.status as 400, err.headers);
    // Network-level outcomes leave the handler as rejections, like a real fetch would.
    if (err instanceof BaoConnectionResetError) throw err;
    if (c.req.raw.signal.aborted) throw c.req.raw.signal.reason;
    return c.json({ errors: [`internal error: ${err.message}`] }, 500);
  });

  const fetch: BaoFetch = (input, init) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    return Promise.resolve(app.fetch(request));
  };

  return {
    app,
    fetch,
    counters: () => ({
      total: counts.total,
      byRoute: { ...counts.byRoute },
      byStatus: { ...counts.byStatus },
      dropped: counts.dropped,
      faults: counts.faults,
      inFlight,
      peakInFlight,
    }),
    resetCounters() {
      counts = { total: 0, byRoute: emptyRoutes(), byStatus: {}, dropped: 0, faults: 0 };
      peakInFlight = inFlight;
    },
    setFaults(hooks) {
      faults = hooks ?? noFaults;
    },
    setSealed(v) {
      sealed = v;
    },
    setStandby(v) {
      standby = v;
    },
    setInitialized(v) {
      initialized = v;
    },
    keyNames: (namespace = '') => store.list(namespace).map((e) => e.name),
    keyInfo: (namespace = '') =>
      store.list(namespace).map((e) => ({
        name: e.name,
        publicKey: new Uint8Array(e.publicKey),
        exportable: e.exportable,
        imported: e.imported,
      })),
  };
}
