/**
 * A Bao world: one simulated OpenBao server with the popsigner `secp256k1` plugin, a fault plan at
 * its network edge, fault hooks behind it, and a BaoKeyring client — in the sim kit's SimNetwork
 * (virtual time, deterministic) or over real HTTP on 127.0.0.1 (live, wall time, same plan at the
 * server's socket edge).
 *
 * The oracle side of a world is independent of the client under test: `oracleKeys()` reads the
 * server's own key table in-process (no network, no hooks, no auth), `verify()` checks signatures
 * with the simulator's crypto, and the wire log records what every HTTP exchange of the client
 * actually returned (status, or a network failure / abort), as seen on the wire.
 */
import { realClock, VirtualClock, type Clock, type FetchLike } from '@fanout/core';
import { BaoClient, BaoKeyring } from '@fanout/bao-keyring';
import {
  bindBaoSimulator,
  classifyBaoRoute,
  hashInput,
  ruleFaults,
  verifyCosmosSignature,
  type BaoFaultRule,
  type BaoPublicKeyInfo,
  type BaoRoute,
  type BaoSimulator,
} from '@fanout/sim-bao';
import { startBaoServer } from '@fanout/sim-bao/live';
import {
  SimNetwork,
  Trace,
  createRng,
  parseFaultPlan,
  rngBytesFn,
  type FaultPlan,
  type FaultPlanInput,
  type LatencySpec,
  type Rng,
} from '@fanout/sim';
import type { Mode } from '../framework.js';

/** What a world is made of. Everything but seed and mode is optional. */
export interface BaoWorldSpec {
  seed: number;
  mode: Mode;
  /** Round-trip network latency of the server (the plan's `latency.default`). Default: none. */
  latency?: LatencySpec;
  /** Plan rules (target 'bao'; see `baoPlanRules` from @fanout/sim-bao). */
  rules?: FaultPlanInput['rules'];
  /** Replaces the derived plan entirely (replay). */
  plan?: FaultPlan;
  /** Simulator fault hooks: what a plan cannot express (per key / per route, forged signatures). */
  hooks?: readonly BaoFaultRule[];
  /** Tokens the server accepts. Default ['root']. */
  tokens?: readonly string[];
  /** Token of the world's client. Default 'root'. */
  token?: string;
  /** Client per-request timeout, ms. Default: sim 30 000 (popsigner's), live 2 000. */
  timeoutMs?: number;
  /** Keep response bodies in the wire log (auth checks). Default false. */
  captureBodies?: boolean;
  /**
   * false: no wire log; live clients then use BaoClient's own pooled undici fetch (the production
   * path, used by the demo and the benchmark). Default true.
   */
  wire?: boolean;
}

/** One HTTP exchange of a world's client, as seen on the wire. */
export interface WireRecord {
  readonly seq: number;
  /** World time the exchange began / ended, ms. */
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

/** A running world. Close it when done. */
export interface BaoWorld {
  readonly mode: Mode;
  /** World clock: virtual in sim; wall time since the world started in live. */
  readonly clock: Clock;
  readonly plan: FaultPlan;
  /** Network trace (sim only; disabled in live). */
  readonly trace: Trace;
  /** Stream for the scenario's own draws (fork of the seed's root, label 'scenario'). */
  readonly rng: Rng;
  /** The simulator (switches, counters, inspection). */
  readonly sim: BaoSimulator;
  /** Base URL the clients use. */
  readonly address: string;
  readonly client: BaoClient;
  readonly keyring: BaoKeyring;
  /** Every exchange of every client of this world, in completion order (empty with `wire: false`). */
  readonly wire: WireRecord[];
  /** World time, ms. */
  elapsed(): number;
  /** Another client of the same server (e.g. with a bad token), sharing the wire log. */
  newClient(options?: { token?: string; timeoutMs?: number }): BaoClient;
  /** The server's key table (oracle view), sorted by name. */
  oracleKeys(namespace?: string): BaoPublicKeyInfo[];
  /** True when `signature` is a valid low-S R‖S of SHA-256(`msg`) by `publicKey` (oracle check). */
  verify(publicKey: Uint8Array, msg: Uint8Array, signature: Uint8Array | undefined): boolean;
  /** Wait until world time `ms` (virtual: jump; live: sleep). */
  waitUntil(ms: number): Promise<void>;
  /** Raw fetch to the server through the world's transport (plan applied), for requests the client cannot make. */
  rawFetch: FetchLike;
  close(): Promise<void>;
}

/** Client timeouts: popsigner's 30 s in simulation (virtual, free); short on real sockets. */
export const BAO_SIM_TIMEOUT_MS = 30_000;
export const BAO_LIVE_TIMEOUT_MS = 2_000;

/** The plan a spec stands for (pure, JSON-serialisable). */
export function baoPlanFor(spec: BaoWorldSpec): FaultPlan {
  if (spec.plan !== undefined) return spec.plan;
  return parseFaultPlan({
    description: `bao world, seed ${spec.seed}`,
    ...(spec.latency === undefined ? {} : { latency: { default: spec.latency } }),
    rules: spec.rules ?? [],
  });
}

/** A clock whose time 0 is the moment it was made (live worlds: world-relative wall time). */
function offsetClock(base: Clock): Clock {
  const t0 = base.now();
  return {
    now: () => base.now() - t0,
    sleep: (ms, signal) => base.sleep(ms, signal),
    setTimer: (fn, ms) => base.setTimer(fn, ms),
    clearTimer: (h) => base.clearTimer(h),
  };
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

/**
 * Build a world. Sim: VirtualClock, SimNetwork with the plan, the simulator bound at
 * http://127.0.0.1:8200 as target 'bao'. Live: the simulator on an ephemeral 127.0.0.1 port with
 * the plan at its socket edge. The seed fixes the server's keys, the plan's draws and the hooks' draws.
 */
export async function buildBaoWorld(spec: BaoWorldSpec): Promise<BaoWorld> {
  const root = createRng(spec.seed);
  const plan = baoPlanFor(spec);
  const trace = new Trace({ enabled: spec.mode === 'sim' });
  const hookRng = root.fork('hooks');
  const faults = ruleFaults(spec.hooks ?? [], { random: () => hookRng.float() });
  const appOptions = {
    rng: rngBytesFn(root.fork('bao-keys')),
    faults,
    ...(spec.tokens === undefined ? {} : { tokens: spec.tokens }),
  };
  const timeoutMs = spec.timeoutMs ?? (spec.mode === 'sim' ? BAO_SIM_TIMEOUT_MS : BAO_LIVE_TIMEOUT_MS);
  const useWire = spec.wire ?? true;

  let clock: Clock;
  let sim: BaoSimulator;
  let address: string;
  let transport: FetchLike | undefined;
  let closeServer: () => Promise<void>;
  if (spec.mode === 'sim') {
    const vclock = new VirtualClock();
    clock = vclock;
    const net = new SimNetwork({ clock: vclock, rng: root.fork('network'), plan, trace });
    const bound = bindBaoSimulator(net, appOptions);
    sim = bound.sim;
    address = bound.origin;
    transport = bound.fetch;
    closeServer = async () => {};
  } else {
    clock = offsetClock(realClock);
    const h = await startBaoServer({ ...appOptions, clock, plan, planRng: root.fork('network') });
    sim = h.sim;
    address = h.url;
    transport = useWire ? (input, init) => fetch(input, init) : undefined;
    closeServer = () => h.close();
  }

  const wire: WireRecord[] = [];
  let seq = 0;
  const logged: FetchLike | undefined =
    transport === undefined || !useWire
      ? transport
      : async (input, init) => {
          const { url, method, headers } = describeInput(input, init);
          const { route, keyName } = classifyBaoRoute(method, url);
          const base = {
            seq: seq++,
            startedAt: clock.now(),
            method,
            path: url.pathname + url.search,
            route,
            key: keyName,
            token: headers.get('x-vault-token') ?? undefined,
          };
          let res: Response;
          try {
            res = await transport!(input, init);
          } catch (e) {
            const aborted = init?.signal?.aborted === true;
            wire.push({ ...base, endedAt: clock.now(), outcome: aborted ? 'aborted' : 'network-error' });
            throw e;
          }
          const body = spec.captureBodies === true ? await res.clone().text() : undefined;
          wire.push({
            ...base,
            endedAt: clock.now(),
            outcome: res.status,
            ...(body === undefined ? {} : { body }),
          });
          return res;
        };

  const clients: BaoClient[] = [];
  const newClient = (o: { token?: string; timeoutMs?: number } = {}): BaoClient => {
    const c = new BaoClient({
      address,
      token: o.token ?? spec.token ?? 'root',
      clock,
      timeoutMs: o.timeoutMs ?? timeoutMs,
      ...(logged === undefined ? {} : { fetch: logged }),
    });
    clients.push(c);
    return c;
  };
  const client = newClient();
  const keyring = new BaoKeyring({ client });

  return {
    mode: spec.mode,
    clock,
    plan,
    trace,
    rng: root.fork('scenario'),
    sim,
    address,
    client,
    keyring,
    wire,
    elapsed: () => clock.now(),
    newClient,
    oracleKeys: (namespace = '') => sim.keyInfo(namespace),
    verify: (publicKey, msg, signature) =>
      signature !== undefined && verifyCosmosSignature(publicKey, hashInput(msg, 'sha256'), signature),
    waitUntil: async (ms) => {
      const left = ms - clock.now();
      if (left > 0) await clock.sleep(left);
    },
    rawFetch: logged ?? ((input, init) => fetch(input, init)),
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
      await closeServer();
    },
  };
}
