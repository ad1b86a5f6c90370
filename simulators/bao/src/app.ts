/**
 * A fake OpenBao server with the popsigner `secp256k1` secrets plugin mounted, as a hono app.
 *
 * What it serves and in which order is in logical.ts (OpenBao's request pipeline), plugin.ts (the
 * plugin's routes), health.ts, sys.ts (namespaces and mounts), namespaces.ts, auth.ts (token
 * sources), body.ts (size limit) and respond.ts (OpenBao's response forms); deliberate deviations
 * are listed in docs/bao.md. This module wires them together with the simulator's own machinery:
 * fault hooks and counters around every request, switches, and the oracle view of the keys.
 *
 * In simulation `sim.fetch` / `sim.app.fetch` is called in-process with a VirtualClock; the live
 * starter (src/live/server.ts) serves the same app on 127.0.0.1.
 */
import type { Clock, FetchLike, RandomBytes } from '@fanout/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { DEFAULT_MAX_REQUEST_BYTES } from './body.js';
import { CounterSet, type BaoCounters } from './counters.js';
import {
  BaoConnectionResetError,
  noFaults,
  type BaoFaultAction,
  type BaoFaultHooks,
  type BaoRequestInfo,
  type BaoRoute,
  type ForgeKind,
} from './faults.js';
import { healthResponse } from './health.js';
import { logicalPath, operationOf, serveLogical, type LogicalDeps } from './logical.js';
import { NamespaceRegistry, canonicalMount, canonicalNamespace } from './namespaces.js';
import { generatePrivateKey } from './crypto.js';
import { BaoKeyPair, type BaoKeySource } from './keys.js';
import { classifyPluginPath, createSecp256k1Plugin } from './plugin.js';
import { seededKeyRandom } from './random.js';
import { errorResponse } from './respond.js';
import { KeyStore } from './store.js';

export type { BaoCounters } from './counters.js';

/**
 * Options of {@link createBaoApp}. `clock` is required, and exactly one of `rng` / `seed` /
 * `keys`: the simulator never picks a time source or a key generator for its caller.
 */
export interface BaoAppOptions {
  /** Time source for `created_at`, health `server_time_utc` and fault latency. */
  clock: Clock;
  /**
   * What the server believes the time is, for `created_at` and health `server_time_utc`
   * (default `clock`). A target's skewed clock (`net.clockFor(target)` / `skewedClock(...)` from
   * @fanout/sim) runs the server under a clockSkew / clockStrobe fault; fault latency and the
   * hooks' `at` stay on `clock`.
   */
  wallClock?: Pick<Clock, 'now'>;
  /**
   * Random bytes for private keys (48 per key). For a server a real client talks to, a CSPRNG
   * (e.g. `randomBytes` from @noble/hashes/utils). Exclusive with `seed` and `keys`.
   */
  rng?: RandomBytes;
  /**
   * Seed (32-bit unsigned integer) of a deterministic key stream, `createRng(seed).fork(BAO_KEY_STREAM)`
   * from @fanout/sim: every private key is predictable from the seed. Simulations and tests only.
   */
  seed?: number;
  /**
   * Key pairs by name instead of drawn: the pair of the nth creation of a name in a storage space
   * (e.g. {@link derivedKeySource}, whose keys are predictable from its label and may be shared
   * by many servers). Simulations and tests only. Exclusive with `rng` and `seed`.
   */
  keys?: BaoKeySource;
  /** Accepted tokens (`X-Vault-Token` or `Authorization: Bearer `). Default `['root']`. */
  tokens?: readonly string[];
  /** Namespaces that exist from the start (created in order, parents first), each with the plugin mounted. */
  namespaces?: readonly string[];
  /** Largest request body, bytes (OpenBao's max_request_size). Default 32 MiB. */
  maxRequestBytes?: number;
  /** Status for a missing key: 400 (OpenBao's real behaviour, default) or 404. Body `{"errors":["key not found"]}` either way. */
  missingKeyStatus?: 400 | 404;
  /** Mount path of the plugin in the root namespace (and in namespaces created with the plugin). Default 'secp256k1'. */
  mount?: string;
  /** Fault hooks consulted per request. Default: no faults. */
  faults?: BaoFaultHooks;
  /** Wall time (Unix ms) that clock time 0 stands for, used to render `created_at`. Default 1735689600000 (2025-01-01T00:00:00Z). */
  epochMs?: number;
  /** Cluster name in health; the cluster_id is derived from it. Default 'fanout-sim-bao'. */
  clusterName?: string;
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

/** A {@link createBaoApp} option that cannot be used; `field` names it. */
export class BaoOptionError extends RangeError {
  override readonly name = 'BaoOptionError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`createBaoApp: ${field}: ${message}`);
  }
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
  /**
   * Create a namespace (as `sys/namespaces/:path` would), by default with the plugin mounted at
   * the app's mount path. Its parent must exist.
   * @returns the canonical path, e.g. 'team-a/'.
   * @throws BaoNamespaceError('path') for a name OpenBao refuses (root, spaces, reserved names, missing parent).
   */
  createNamespace(path: string, options?: { mountPlugin?: boolean }): string;
  /** Canonical paths of every namespace, sorted ('' = root, first). */
  namespaces(): string[];
  /** Key names in `namespace` ('' = root; any spelling OpenBao canonicalises), sorted (inspection for tests). */
  keyNames(namespace?: string): string[];
  /**
   * Public facts of every key in `namespace` ('' = root), sorted by name: what a scenario oracle
   * compares the client's view with. Bypasses the network, hooks, auth and counters; never includes
   * private keys. An unknown namespace has no keys.
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

/**
 * Map a request to its {@link BaoRoute} and key name by its path alone (root namespace, plugin at
 * `mount`): what a client-side wire log can tell. The server itself also resolves namespaces.
 */
export function classifyBaoRoute(
  method: string,
  url: URL,
  mount = 'secp256k1',
): { route: BaoRoute; keyName: string | undefined } {
  const m = method.toUpperCase();
  if (url.pathname === '/v1/sys/health')
    return { route: m === 'GET' || m === 'HEAD' ? 'health' : 'unknown', keyName: undefined };
  try {
    const rel = logicalPath(url.pathname);
    if (rel === undefined) return { route: 'unknown', keyName: undefined };
    const { operation, list } = operationOf(m, url.searchParams);
    const path = list && !rel.endsWith('/') ? `${rel}/` : rel;
    if (path.startsWith('sys/')) return { route: 'sys', keyName: undefined };
    const base = canonicalMount(mount);
    if (!path.startsWith(base)) return { route: 'unknown', keyName: undefined };
    return classifyPluginPath(path.slice(base.length), operation);
  } catch {
    return { route: 'unknown', keyName: undefined };
  }
}

/** A UUID-shaped id derived from `label` (stable per cluster name; no randomness drawn). */
function stableUuid(label: string): string {
  const h = bytesToHex(sha256(utf8ToBytes(label)));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The options of {@link createBaoApp}, checked and with their defaults. */
interface AppConfig {
  readonly clock: Clock;
  readonly wallClock: Pick<Clock, 'now'>;
  /** The pair of a key created now as `name` in storage space `space` (see PluginDeps.newKey). */
  readonly newKey: (space: string, name: string) => BaoKeyPair;
  readonly tokens: ReadonlySet<string>;
  readonly missingKeyStatus: 400 | 404;
  readonly maxRequestBytes: number;
  readonly mount: string;
  readonly epochMs: number;
  readonly clusterName: string;
}

/**
 * How the server makes the pair of a new key: drawn from `rng` / the seed's stream (48 bytes per
 * key, in creation order), or asked from `keys` with the count of creations of that name in that
 * storage space (1 for the first; a name deleted and created again gets the next pair).
 * @throws InvalidSeedError for a bad seed.
 */
function keyMaker(options: BaoAppOptions): (space: string, name: string) => BaoKeyPair {
  const source = options.keys;
  if (source !== undefined) {
    const created = new Map<string, number>();
    return (space, name) => {
      const id = `${space}\u0000${name}`;
      const nth = (created.get(id) ?? 0) + 1;
      created.set(id, nth);
      return source(space, name, nth);
    };
  }
  const random = options.rng ?? seededKeyRandom(options.seed!);
  return () => new BaoKeyPair(generatePrivateKey(random));
}

/** Check the options and fill in defaults. @throws BaoOptionError / InvalidSeedError (see createBaoApp). */
function configure(options: BaoAppOptions): AppConfig {
  if ((options as { clock?: Clock }).clock === undefined)
    throw new BaoOptionError('clock', 'required (a VirtualClock in simulation, realClock for a live server)');
  const given = (['rng', 'seed', 'keys'] as const).filter((k) => options[k] !== undefined);
  if (given.length > 1)
    throw new BaoOptionError(
      given[0]!,
      `pass ${given.join(' or ')}, not ${given.length === 2 ? 'both' : 'all three'}`,
    );
  if (given.length === 0)
    throw new BaoOptionError(
      'rng',
      'required: rng (a RandomBytes; a CSPRNG for a server real clients use), seed (a predictable stream for simulations) or keys (a key source)',
    );
  const newKey = keyMaker(options);
  const tokens = new Set(options.tokens ?? ['root']);
  if (tokens.size === 0) throw new BaoOptionError('tokens', 'must not be empty');
  const missingKeyStatus = options.missingKeyStatus ?? 400;
  if (missingKeyStatus !== 400 && missingKeyStatus !== 404)
    throw new BaoOptionError('missingKeyStatus', `must be 400 or 404, got ${String(missingKeyStatus)}`);
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  if (!Number.isSafeInteger(maxRequestBytes) || maxRequestBytes <= 0)
    throw new BaoOptionError('maxRequestBytes', `must be a positive integer, got ${String(maxRequestBytes)}`);
  const mount = canonicalMount(options.mount ?? 'secp256k1');
  if (mount === '' || mount.startsWith('sys/'))
    throw new BaoOptionError('mount', `cannot mount the plugin at "${options.mount ?? ''}"`);
  return {
    clock: options.clock,
    wallClock: options.wallClock ?? options.clock,
    newKey,
    tokens,
    missingKeyStatus,
    maxRequestBytes,
    mount,
    epochMs: options.epochMs ?? 1_735_689_600_000,
    clusterName: options.clusterName ?? 'fanout-sim-bao',
  };
}

/** What the fault hooks see of a request: route, key name and namespace, resolved the way the server will. */
function describeRequest(
  registry: NamespaceRegistry,
  request: Request,
  url: URL,
): Pick<BaoRequestInfo, 'route' | 'keyName' | 'namespace'> {
  const header = request.headers.get('x-vault-namespace') ?? '';
  const method = request.method.toUpperCase();
  const unknown = {
    route: 'unknown' as const,
    keyName: undefined,
    namespace: canonicalNamespace(header).replace(/\/$/, ''),
  };
  if (url.pathname === '/v1/sys/health')
    return { ...unknown, route: method === 'GET' || method === 'HEAD' ? 'health' : 'unknown' };
  try {
    const rel = logicalPath(url.pathname);
    if (rel === undefined) return unknown;
    const { operation, list } = operationOf(method, url.searchParams);
    const resolved = registry.resolve(header, rel);
    if (resolved === undefined) return unknown;
    const namespace = resolved.namespace.replace(/\/$/, '');
    const path = list && !resolved.path.endsWith('/') ? `${resolved.path}/` : resolved.path;
    if (path.startsWith('sys/')) return { route: 'sys', keyName: undefined, namespace };
    const hit = registry.findMount(resolved.namespace, path);
    if (hit === undefined) return { ...unknown, namespace };
    return { ...classifyPluginPath(hit.rest, operation), namespace };
  } catch {
    return unknown;
  }
}

/**
 * The answer of a fault action that replaces the handler (error, sealed, 429, reset, hang).
 * @throws BaoConnectionResetError for `reset` (after `onReset`); a hang rejects with the request
 *   signal's reason once it aborts.
 */
function faultAnswer(
  action: Exclude<BaoFaultAction, { type: 'dropReply' | 'forgeSignature' }>,
  c: Context,
  onReset: ((env: unknown) => void) | undefined,
): Response | Promise<never> {
  switch (action.type) {
    case 'error':
      // Statuses that cannot carry a body (204, 205, 304) answer with none.
      if (action.status === 204 || action.status === 205 || action.status === 304)
        return new Response(null, { status: action.status });
      return errorResponse(action.status, [action.message]);
    case 'sealed':
      return errorResponse(503, ['Vault is sealed']);
    case 'rateLimited':
      return errorResponse(429, ['rate limit quota exceeded'], {
        'Retry-After': String(action.retryAfterS ?? 1),
      });
    case 'reset':
      onReset?.(c.env);
      throw new BaoConnectionResetError(c.req.path);
    case 'hang': {
      const signal = c.req.raw.signal;
      return new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
  }
}

/**
 * Put the headers OpenBao puts on every response (http/handler.go wrapGenericHandler) on `c.res`:
 * `Cache-Control: no-store`, and a non-empty `X-Vault-Namespace` echoed as received. In place: the
 * responses this app builds have mutable headers (and assigning `c.res` again would make hono copy
 * the response); one whose headers cannot change is replaced by a copy that has them.
 */
function addCommonHeaders(c: Context, namespaceHeader: string | undefined): void {
  const put = (res: Response): void => {
    res.headers.set('Cache-Control', 'no-store');
    if (namespaceHeader !== undefined && namespaceHeader !== '')
      res.headers.set('X-Vault-Namespace', namespaceHeader);
  };
  try {
    put(c.res);
  } catch {
    const out = new Response(c.res.body, c.res);
    put(out);
    c.res = out;
  }
}

/** What {@link aroundEveryRequest} works with. */
interface AroundDeps {
  readonly registry: NamespaceRegistry;
  readonly counters: CounterSet;
  readonly clock: Clock;
  /** The current fault hooks. */
  faults(): BaoFaultHooks;
  /** Where the request_id of each request is kept. */
  readonly requestIds: WeakMap<Request, string>;
  /** Where a `forgeSignature` decision for a sign request is kept. */
  readonly forged: WeakMap<Request, ForgeKind>;
  /** Where the parsed URL of each request is kept (parsed once, read by the handler). */
  readonly urls: WeakMap<Request, URL>;
  readonly onConnectionReset: ((env: unknown) => void) | undefined;
}

/**
 * The middleware around every request: request id, counters, the fault hooks' decision (latency on
 * the clock, then an action: replace the answer, drop the reply after handling, or mark a sign
 * answer for forging), and the common headers on whatever is answered.
 */
function aroundEveryRequest(d: AroundDeps): MiddlewareHandler {
  let seq = 0;
  return async (c, next) => {
    const n = seq++;
    d.requestIds.set(c.req.raw, `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);
    const url = new URL(c.req.url);
    d.urls.set(c.req.raw, url);
    const described = describeRequest(d.registry, c.req.raw, url);
    d.counters.begin(described.route);
    let answered = false;
    try {
      const info: BaoRequestInfo = {
        seq: n,
        method: c.req.method.toUpperCase(),
        path: url.pathname,
        at: d.clock.now(),
        ...described,
      };
      let decision;
      try {
        decision = d.faults().decide(info);
      } catch (e) {
        c.res = errorResponse(500, [`fault hook failed: ${(e as Error).message}`]);
        answered = true;
        return;
      }
      const latency = decision?.latencyMs ?? 0;
      if (latency > 0) await d.clock.sleep(latency, c.req.raw.signal);
      const action = decision?.action;
      if (action?.type === 'dropReply') {
        // Handle for real (state changes stick), then lose the answer.
        d.counters.fault();
        await next();
        d.onConnectionReset?.(c.env);
        throw new BaoConnectionResetError(c.req.path);
      }
      if (action?.type === 'forgeSignature') {
        if (described.route === 'sign') {
          d.counters.fault();
          d.forged.set(c.req.raw, action.how);
        }
      } else if (action !== undefined) {
        d.counters.fault();
        c.res = await faultAnswer(action, c, d.onConnectionReset);
        answered = true;
        return;
      }
      await next();
      answered = true;
    } finally {
      if (answered) addCommonHeaders(c, c.req.header('x-vault-namespace'));
      d.counters.end(answered ? c.res.status : undefined);
    }
  };
}

/**
 * Create the simulator. Routes, order of checks and texts: see logical.ts, plugin.ts, health.ts
 * and sys.ts. The server never throws on bad input.
 * @throws BaoOptionError for a missing clock, none (or more than one) of rng / seed / keys, empty `tokens`, a
 *   `missingKeyStatus` other than 400/404, a `maxRequestBytes` that is not a positive integer, or
 *   an empty or `sys` mount; InvalidSeedError for a bad seed; BaoNamespaceError for a bad
 *   entry of `namespaces`.
 */
export function createBaoApp(options: BaoAppOptions): BaoSimulator {
  const config = configure(options);
  const { clock, mount } = config;
  const clusterId = stableUuid(`fanout/sim-bao/cluster/${config.clusterName}`);
  let faults = options.faults ?? noFaults;
  let sealed = options.sealed ?? false;
  let standby = options.standby ?? false;
  let initialized = options.initialized ?? true;

  const registry = new NamespaceRegistry();
  registry.mount('', mount);
  const createNamespace = (path: string, o: { mountPlugin?: boolean } = {}): string => {
    const ns = registry.create(path);
    if (o.mountPlugin ?? true) registry.mount(ns, mount);
    return ns;
  };
  for (const ns of options.namespaces ?? []) createNamespace(ns);
  const store = new KeyStore();
  const plugin = createSecp256k1Plugin({ ...config, store });
  const deps: LogicalDeps = { ...config, registry, plugin, state: () => ({ sealed, initialized }) };
  const counters = new CounterSet();
  const requestIds = new WeakMap<Request, string>();
  /** Sign requests whose answer a `forgeSignature` fault falsifies. */
  const forged = new WeakMap<Request, ForgeKind>();
  const urls = new WeakMap<Request, URL>();

  const app = new Hono();

  // Counters + fault hooks + common headers, around everything.
  app.use(
    '*',
    aroundEveryRequest({
      registry,
      counters,
      clock,
      faults: () => faults,
      requestIds,
      forged,
      urls,
      onConnectionReset: options.onConnectionReset,
    }),
  );

  app.all('*', async (c) => {
    const raw = c.req.raw;
    const url = urls.get(raw) ?? new URL(raw.url);
    if (url.pathname !== '/v1/sys/health')
      return serveLogical(
        deps,
        raw,
        requestIds.get(raw) ?? '00000000-0000-4000-8000-000000000000',
        forged.get(raw),
        url,
      );
    if ((raw.headers.get('x-vault-namespace') ?? '') !== '')
      return errorResponse(400, ['operation unavailable in namespaces']);
    return healthResponse(raw.method.toUpperCase(), url.searchParams, {
      initialized,
      sealed,
      standby,
      serverTimeUtc: Math.floor((config.epochMs + config.wallClock.now()) / 1000),
      version: '2.4.0+sim',
      clusterName: config.clusterName,
      clusterId,
    });
  });

  app.onError((err, c) => {
    // Network-level outcomes leave the handler as rejections, like a real fetch would.
    if (err instanceof BaoConnectionResetError) throw err;
    if (c.req.raw.signal.aborted) throw c.req.raw.signal.reason;
    return errorResponse(500, [`internal error: ${err.message}`]);
  });

  const fetch: BaoFetch = (input, init) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    return Promise.resolve(app.fetch(request));
  };
  const space = (namespace: string): string => canonicalNamespace(namespace) + mount;

  return {
    app,
    fetch,
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(),
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
    createNamespace,
    namespaces: () => registry.list(),
    keyNames: (namespace = '') => store.list(space(namespace)).map((e) => e.name),
    keyInfo: (namespace = '') =>
      store.list(space(namespace)).map((e) => ({
        name: e.name,
        publicKey: new Uint8Array(e.publicKey),
        exportable: e.exportable,
        imported: e.imported,
      })),
  };
}
