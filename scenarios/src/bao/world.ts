/**
 * The Bao parties of a world: one simulated OpenBao with the popsigner `secp256k1` plugin, served
 * by the kernel's World as plan target `bao` (SimNetwork in sim, a real HTTP listener on
 * 127.0.0.1 live, the plan at its edge either way), its fault hooks driven by the plan's Bao
 * behaviours (plan.ts, hooks.ts), and a BaoKeyring client.
 *
 * The oracle side is independent of the client under test: `oracleKeys()` reads the server's own
 * key table in-process (no network, hooks or auth), `verify()` checks signatures by the
 * simulator's rule (`verifyCosmosSignature`, computed by OpenSSL: checks/openssl-verify.ts), and the wire log records what each HTTP exchange of the world's clients
 * actually returned (status, or a network failure / abort).
 */
import type { FetchLike } from '@fanout/core';
import { BaoClient, BaoKeyring, type BaoKeyringOptions } from '@fanout/bao-keyring';
import {
  classifyBaoRoute,
  createBaoApp,
  derivedKeySource,
  hashInput,
  type BaoPublicKeyInfo,
  type BaoRoute,
  type BaoSimulator,
} from '@fanout/sim-bao';
import { LRUCache } from 'lru-cache';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BufferedResponse, rngBytesFn } from '@fanout/sim';
import type { World } from '../kernel/world.js';
import { verifyCosmosMessage } from './checks/openssl-verify.js';
import { verifyingKeys, type VerifyingKeys } from './checks/verifying-keys.js';
import { behaviourHooks } from './hooks.js';
import { BAO, parseBaoBehaviour } from './plan.js';

/** Client timeouts: popsigner's 30 s in simulation (virtual, free); short on real sockets. */
export const BAO_SIM_TIMEOUT_MS = 30_000;
export const BAO_LIVE_TIMEOUT_MS = 2_000;

/** What a Bao world holds besides the plan. Everything is optional. */
export interface BaoWorldSpec {
  /** Tokens the server accepts. Default ['root']. */
  readonly tokens?: readonly string[];
  /** Token of the world's client. Default 'root'. */
  readonly token?: string;
  /** Client per-request timeout, ms. Default: sim 30 000 (popsigner's), live 2 000. */
  readonly timeoutMs?: number;
  /** Namespaces that exist from the start, each with the plugin mounted. */
  readonly namespaces?: readonly string[];
  /**
   * Draw the server's keys from the seed (`world.rng.fork('bao-keys')`: another seed, other
   * keys), as the demo does, instead of the process-wide keys derived from their names
   * ({@link BAO_DERIVED_KEYS}). Default false.
   */
  readonly seededKeys?: boolean;
  /** Keep response bodies in the wire log (auth checks). Default false. */
  readonly captureBodies?: boolean;
  /**
   * Live only: the clients use BaoClient's own pooled undici fetch (the production path, used by
   * the demo) instead of the world's fetch; there is then no wire log. Default false.
   */
  readonly pooled?: boolean;
  /**
   * Test seam: builds every keyring instead of `new BaoKeyring(options)` (e.g. a deliberately
   * broken subclass, to show that the guarantees and the trace hash catch it).
   */
  readonly makeKeyring?: (options: BaoKeyringOptions) => BaoKeyring;
}

/** One HTTP exchange of a world's client, as seen on the wire. */
export interface WireRecord {
  readonly seq: number;
  /** Plan time the exchange began / ended, ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly method: string;
  readonly path: string;
  readonly route: BaoRoute;
  /** Key name for key-scoped routes. */
  readonly key: string | undefined;
  /** `X-Vault-Token` sent, if any. */
  readonly token: string | undefined;
  /** HTTP status, or how the exchange failed without one. */
  readonly outcome: number | 'network-error' | 'aborted';
  /** Response body (only with `captureBodies`). */
  readonly body?: string;
}

/** The Bao side of a world. */
export interface BaoParties {
  /** The simulator (counters, switches, inspection). */
  readonly sim: BaoSimulator;
  /** Base URL the clients use. */
  readonly address: string;
  readonly client: BaoClient;
  readonly keyring: BaoKeyring;
  /** Every exchange of every client of this world, in completion order (empty when pooled). */
  readonly wire: WireRecord[];
  /** The clients' per-request timeout, ms. */
  readonly timeoutMs: number;
  /** Another client of the same server (e.g. with a bad token), sharing the wire log. */
  newClient(options?: { token?: string; timeoutMs?: number }): BaoClient;
  /** A keyring over `client`, built like the world's (the test seam included). */
  newKeyring(client: BaoClient): BaoKeyring;
  /** The server's key table (oracle view), sorted by name. */
  oracleKeys(namespace?: string): BaoPublicKeyInfo[];
  /** The server's public keys by name (oracle view). */
  oraclePubs(namespace?: string): Map<string, Uint8Array>;
  /** True when `signature` is a valid low-S R‖S of SHA-256(`msg`) by `publicKey` (oracle check). */
  verify(publicKey: Uint8Array, msg: Uint8Array, signature: Uint8Array | undefined): boolean;
  /**
   * The public keys `signature` of SHA-256(`msg`) verifies for, by the rule of `verify`, found by
   * key recovery (checks/verifying-keys.ts): for asking about many keys at once.
   */
  verifyingKeys(msg: Uint8Array, signature: Uint8Array | undefined): VerifyingKeys;
  /** Raw fetch to the server through the world (plan applied, logged), for requests the client cannot make. */
  readonly rawFetch: FetchLike;
}

function describeInput(
  input: string | URL | Request,
  init: RequestInit | undefined,
): { url: URL; method: string; headers: Headers } {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  return { url, method, headers };
}

/** `fetch` wrapped to append one {@link WireRecord} per exchange to `wire` (plan time from `now`). */
function loggedFetch(fetch: FetchLike, wire: WireRecord[], now: () => number, bodies: boolean): FetchLike {
  let seq = 0;
  return async (input, init) => {
    const { url, method, headers } = describeInput(input, init);
    const { route, keyName } = classifyBaoRoute(method, url);
    const base = {
      seq: seq++,
      startedAt: now(),
      method,
      path: url.pathname + url.search,
      route,
      key: keyName,
      token: headers.get('x-vault-token') ?? undefined,
    };
    let res: Response;
    try {
      res = await fetch(input, init);
    } catch (e) {
      const aborted = init?.signal?.aborted === true;
      wire.push({ ...base, endedAt: now(), outcome: aborted ? 'aborted' : 'network-error' });
      throw e;
    }
    if (!bodies) {
      wire.push({ ...base, endedAt: now(), outcome: res.status });
      return res;
    }
    // Read the body once (as the client would), log it, and hand the client the same status,
    // headers and bytes: cheaper than teeing the stream with clone().
    // (A BufferedResponse has a body; asking it for `body` would build the stream it saves.)
    const hasBody = res instanceof BufferedResponse || res.body !== null;
    const bytes = await res.arrayBuffer();
    wire.push({ ...base, endedAt: now(), outcome: res.status, body: utf8.decode(bytes) });
    const head = { status: res.status, statusText: res.statusText, headers: res.headers };
    return hasBody ? new BufferedResponse(new Uint8Array(bytes), head) : new Response(null, head);
  };
}

const utf8 = new TextDecoder();

/**
 * Label of the keys every Bao world of the process shares (unless `seededKeys`): the key of the
 * nth creation of a name in a namespace is derived from (label, namespace, name, nth) — see
 * `derivedKeySource` of @fanout/sim-bao — so it is the same in every run and its public key,
 * addresses and signatures are computed once per process.
 */
export const BAO_DERIVED_KEYS = 'fanout/scenarios/bao/keys/v1';

/** The process-wide key source of the Bao worlds (see {@link BAO_DERIVED_KEYS}). */
const sharedKeys = derivedKeySource(BAO_DERIVED_KEYS);

/**
 * Build the Bao parties in `world`: the simulator on the world's clock with the process-wide
 * derived keys (or, with `seededKeys`, keys drawn from `world.rng.fork('bao-keys')`), its hooks
 * reading the plan's Bao behaviours from the world's injector at each request, served as target
 * `bao`, and the client.
 * @throws BaoBehaviourError for a malformed Bao behaviour in the plan (before anything is served);
 *   BaoOptionError / BaoNamespaceError for bad spec fields; the listen error live.
 */
export async function buildBaoWorld(world: World, spec: BaoWorldSpec = {}): Promise<BaoParties> {
  for (const b of world.view.behaviours(BAO)) parseBaoBehaviour(b);
  const sim = createBaoApp({
    clock: world.clock,
    ...(spec.seededKeys === true ? { rng: rngBytesFn(world.rng.fork('bao-keys')) } : { keys: sharedKeys }),
    faults: behaviourHooks(() => world.injector.behaviours(BAO, world.elapsed())),
    ...(spec.tokens === undefined ? {} : { tokens: spec.tokens }),
    ...(spec.namespaces === undefined ? {} : { namespaces: spec.namespaces }),
  });
  const address = await world.serveHttp(BAO, (request) => sim.fetch(request));
  const timeoutMs = spec.timeoutMs ?? (world.mode === 'sim' ? BAO_SIM_TIMEOUT_MS : BAO_LIVE_TIMEOUT_MS);
  const pooled = world.mode === 'live' && spec.pooled === true;
  const wire: WireRecord[] = [];
  const fetch = pooled
    ? undefined
    : loggedFetch(world.fetch, wire, () => world.elapsed(), spec.captureBodies === true);
  const newClient = (o: { token?: string; timeoutMs?: number } = {}): BaoClient => {
    const c = new BaoClient({
      address,
      token: o.token ?? spec.token ?? 'root',
      clock: world.clock,
      timeoutMs: o.timeoutMs ?? timeoutMs,
      ...(fetch === undefined ? {} : { fetch }),
    });
    world.defer(() => c.close());
    return c;
  };
  const newKeyring = (client: BaoClient): BaoKeyring =>
    spec.makeKeyring?.({ client }) ?? new BaoKeyring({ client });
  const client = newClient();
  const oracleKeys = (namespace = ''): BaoPublicKeyInfo[] => sim.keyInfo(namespace);
  return {
    sim,
    address,
    client,
    keyring: newKeyring(client),
    wire,
    timeoutMs,
    newClient,
    newKeyring,
    oracleKeys,
    oraclePubs: (namespace = '') => new Map(oracleKeys(namespace).map((k) => [k.name, k.publicKey])),
    verify: oracleVerify,
    verifyingKeys: (msg, signature) => verifyingKeys(hashInput(msg, 'sha256'), signature),
    rawFetch: fetch ?? world.fetch,
  };
}

/** Oracle verifications the process remembers (about 300 bytes each). */
export const ORACLE_VERIFY_MEMO = 16_384;

const oracleVerdicts = new LRUCache<string, boolean>({ max: ORACLE_VERIFY_MEMO });

/**
 * The oracle's signature check (the plugin's own cosmos verification, independent of the keyring
 * under test), remembered process-wide: a run's checks verify the same (key, message, signature)
 * several times (keyed-to-requests, every-signature-verifies, no-cross-verification), and runs
 * with the same keys and messages verify the same triples again. Verification is a pure function
 * of (public key, SHA-256 of the message, signature) and the memo key holds all their bytes, so a
 * remembered answer is the one a new verification would give: nothing is weakened. A new one is
 * computed by OpenSSL with noble's rules (checks/openssl-verify.ts: `verifyCosmosSignature`'s verdict).
 */
function oracleVerify(publicKey: Uint8Array, msg: Uint8Array, signature: Uint8Array | undefined): boolean {
  if (signature === undefined) return false;
  const digest = hashInput(msg, 'sha256');
  const key = `${bytesToHex(publicKey)}:${bytesToHex(digest)}:${bytesToHex(signature)}`;
  const known = oracleVerdicts.get(key);
  if (known !== undefined) return known;
  const ok = verifyCosmosMessage(publicKey, msg, signature);
  oracleVerdicts.set(key, ok);
  return ok;
}
