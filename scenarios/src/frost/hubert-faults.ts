/**
 * The plan's store and server targets inside a FROST world's Hubert (see plan.ts for the target
 * vocabulary): per-ARID store faults (`store:pN`, `store-get:pN`) through the stores' fault hooks,
 * the `hubert` crash rules (503 while down, data wiped at a crash with `loseState`), the backends,
 * and — for the in-process backends, sim only — each party's link faults applied per exchange.
 */
import type { Clock } from '@fanout/core';
import type { FrostKv } from '@fanout/frost';
import { rngBytesFn, type FaultInjector, type Rng } from '@fanout/sim';
import {
  HubertRequestTimeoutError,
  HubertServerError,
  HubertUnavailableError,
  HybridKvStore,
  MainlineKvStore,
  canonicalAridUr,
  createMemoryKvStore,
  createServerKvStore,
  type GetOptions,
  type HubertFaults,
  type KvStore,
  type KvVolume,
  type PutOptions,
} from '@fanout/sim-hubert';
import { HUBERT } from './plan.js';

/**
 * Which Hubert backend holds the messages (hubert-rust v0.5.0 storage backends):
 * - `server` (default): the Hubert HTTP server (byte-exact API) over its in-memory store; every
 *   party talks HTTP to it (sim: over the simulated network; live: real sockets on 127.0.0.1);
 * - `memory`: hubert's in-process MemoryKv (500 ms polls), shared by the parties;
 * - `mainline`: a BEP-44 Mainline DHT model (1000-byte values, no TTL): as upstream's
 *   MainlineDhtKv, a larger value is neither split nor referenced, the put fails;
 * - `hybrid`: small values in the DHT, larger ones in IPFS behind a DHT reference envelope.
 * The in-process backends are sim only.
 */
export type FrostBackend = 'server' | 'memory' | 'mainline' | 'hybrid';

/** Every backend, in documentation order. */
export const FROST_BACKENDS: readonly FrostBackend[] = ['server', 'memory', 'mainline', 'hybrid'];

/** A put acknowledged but never stored (plan `dropRequest` on `store:pN`). */
export interface LostPut {
  readonly arid: string;
  readonly party: string;
  /** Plan time, ms. */
  readonly at: number;
}

/** Hubert fault hooks driven by the plan's `store:pN` and `store-get:pN` targets. */
export class PlanStoreFaults implements HubertFaults {
  /** Canonical ARID → owning participant target (p1…). */
  readonly owners = new Map<string, string>();
  /** Puts acknowledged but never stored, in order. */
  readonly lostPuts: LostPut[] = [];
  readonly #pendingPut = new Map<string, { lose: boolean; status?: { status: number; body?: string } }>();
  readonly #pendingGet = new Map<string, { status: number; body?: string }>();

  /** @param elapsed plan time now, ms. */
  constructor(
    readonly injector: FaultInjector,
    readonly elapsed: () => number,
  ) {}

  /** Attribute `arid` (any ARID text) to participant target `target`; non-ARIDs are ignored. */
  own(arid: string, target: string): void {
    try {
      this.owners.set(canonicalAridUr(arid), target);
    } catch {
      // not an ARID: nothing to attribute
    }
  }

  extraLatencyMs(op: 'put' | 'get' | 'exists', arid: string): number {
    const who = this.owners.get(arid);
    if (who === undefined) return 0;
    const d = this.injector.decide(`store:${who}`, this.elapsed());
    if (op === 'put') {
      const f = d.forceStatus;
      this.#pendingPut.set(arid, {
        lose: d.dropRequest,
        ...(f === undefined
          ? {}
          : { status: { status: f.status, ...(f.message === undefined ? {} : { body: f.message }) } }),
      });
    }
    const hold = Number.isFinite(d.holdMs) ? d.holdMs : 0;
    let extra = 0;
    if (op === 'get') {
      const g = this.injector.decide(`store-get:${who}`, this.elapsed());
      extra = g.latencyMs + g.extraReplyMs + (Number.isFinite(g.holdMs) ? g.holdMs : 0);
      if (g.forceStatus !== undefined)
        this.#pendingGet.set(arid, {
          status: g.forceStatus.status,
          ...(g.forceStatus.message === undefined ? {} : { body: g.forceStatus.message }),
        });
      else this.#pendingGet.delete(arid);
    }
    return d.latencyMs + d.extraReplyMs + hold + extra;
  }

  beforePut(arid: string): 'ok' | 'lose' | { status: number; body?: string } {
    const d = this.#pendingPut.get(arid);
    this.#pendingPut.delete(arid);
    if (d === undefined) return 'ok';
    if (d.status !== undefined) return d.status;
    if (d.lose) this.lostPuts.push({ arid, party: this.owners.get(arid) ?? 'unknown', at: this.elapsed() });
    return d.lose ? 'lose' : 'ok';
  }

  beforeGet(arid: string): 'ok' | { status: number; body?: string } {
    const d = this.#pendingGet.get(arid);
    this.#pendingGet.delete(arid);
    return d ?? 'ok';
  }
}

/** The store as the parties see it, recording which ARIDs' values were read at least once. */
export class ReadRecordingKv implements KvStore {
  /** Canonical ARIDs read at least once. */
  readonly read = new Set<string>();
  constructor(readonly inner: KvStore) {}
  put(arid: string, envelope: string, ttlSeconds?: number, options?: PutOptions): Promise<string> {
    return this.inner.put(arid, envelope, ttlSeconds, options);
  }
  async get(arid: string, options?: GetOptions | number): Promise<string | null> {
    const v = await this.inner.get(arid, options);
    if (v !== null) this.read.add(canonicalAridUr(arid));
    return v;
  }
  exists(arid: string): Promise<boolean> {
    return this.inner.exists(arid);
  }
}

/** A data wipe of Hubert (a crash with `loseState`) with the values nobody had read yet. */
export interface Wipe {
  /** Plan time, ms. */
  readonly at: number;
  readonly unread: readonly string[];
}

/**
 * The plan's `hubert` crash rules as a probe "is Hubert down now?" that also wipes the data once
 * per crash with `loseState` that has struck (`wipe`).
 */
export function hubertDownProbe(
  injector: FaultInjector,
  elapsed: () => number,
  wipe: () => void,
): () => boolean {
  const wiped = new Set<number>();
  return () => {
    const t = elapsed();
    injector.crashesOf(HUBERT).forEach((c, i) => {
      if (c.loseState && c.atMs <= t && !wiped.has(i)) {
        wiped.add(i);
        wipe();
      }
    });
    return injector.crashState(HUBERT, t).down;
  };
}

/** A store that fails every operation with HubertUnavailableError while `down()` (the HTTP app answers 503). */
export class CrashableKv implements KvStore {
  constructor(
    readonly inner: KvStore,
    readonly down: () => boolean,
  ) {}
  #check(): void {
    if (this.down()) throw new HubertUnavailableError('the Hubert server is down (crash rule)');
  }
  async put(arid: string, envelope: string, ttlSeconds?: number, options?: PutOptions): Promise<string> {
    this.#check();
    return this.inner.put(arid, envelope, ttlSeconds, options);
  }
  async get(arid: string, options?: GetOptions | number): Promise<string | null> {
    this.#check();
    return this.inner.get(arid, options);
  }
  async exists(arid: string): Promise<boolean> {
    this.#check();
    return this.inner.exists(arid);
  }
}

/** What {@link EdgeKv} needs besides the store. */
export interface EdgeKvOptions {
  readonly party: string;
  readonly injector: FaultInjector;
  /** Plan time now, ms. */
  readonly elapsed: () => number;
  readonly clock: Clock;
  /** The Hubert clients' per-request timeout, ms. */
  readonly requestTimeoutMs: number;
  /** Whether Hubert is down now (the `hubert` crash rules). */
  readonly hubertDown: () => boolean;
  /** Records one exchange in the run's trace. */
  readonly record: (kind: string, fields: Record<string, unknown>) => void;
}

/**
 * One party's access to an in-process backend (memory, mainline, hybrid; sim only), with that
 * party's link faults applied per exchange: half the sampled latency each way; partition,
 * crashed link, dropped request or a pause without end → HubertRequestTimeoutError after the
 * per-request timeout; a dropped reply → the operation ran but the caller sees
 * HubertUnavailableError; forceStatus → HubertServerError; Hubert down → HubertUnavailableError.
 */
export class EdgeKv implements FrostKv {
  constructor(
    readonly store: KvStore,
    readonly o: EdgeKvOptions,
  ) {}

  async #exchange<T>(op: '/put' | '/get', fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    signal?.throwIfAborted();
    const { injector, party, clock } = this.o;
    const d = injector.decide(party, this.o.elapsed());
    this.o.record('send', { to: party, path: op, latencyMs: d.latencyMs, fired: d.fired });
    if (d.unreachable !== undefined || d.dropRequest || d.holdMs === Infinity) {
      await clock.sleep(this.o.requestTimeoutMs, signal);
      throw new HubertRequestTimeoutError(op, this.o.requestTimeoutMs);
    }
    await clock.sleep(d.latencyMs / 2 + d.holdMs, signal);
    if (this.o.hubertDown()) throw new HubertUnavailableError('ECONNREFUSED: the Hubert store is down');
    if (d.forceStatus !== undefined)
      throw new HubertServerError(d.forceStatus.status, d.forceStatus.message ?? 'Injected fault');
    const value = await fn();
    await clock.sleep(d.latencyMs / 2 + d.extraReplyMs, signal);
    if (d.dropReply) throw new HubertUnavailableError('reply lost');
    this.o.record('reply', { from: party, path: op });
    return value;
  }

  put(arid: string, envelope: string, ttlSeconds?: number, options: PutOptions = {}): Promise<string> {
    return this.#exchange('/put', () => this.store.put(arid, envelope, ttlSeconds, options), options.signal);
  }

  get(arid: string, options: GetOptions = {}): Promise<string | null> {
    return this.#exchange('/get', () => this.store.get(arid, options), options.signal);
  }
}

/**
 * The storage of `backend` on `clock` with the plan's store faults, and its volumes (what a
 * `loseState` crash wipes).
 * @param rng the stream for the hybrid backend's reference ARIDs.
 */
export function backendStore(
  backend: FrostBackend,
  clock: Clock,
  faults: HubertFaults,
  rng: Rng,
): { store: KvStore; volumes: KvVolume[] } {
  if (backend === 'hybrid') {
    const hybrid = new HybridKvStore({ clock, faults, rng: rngBytesFn(rng) });
    return { store: hybrid, volumes: [hybrid.dht.volume, hybrid.ipfs.volume] };
  }
  const s =
    backend === 'server'
      ? createServerKvStore({ clock, faults })
      : backend === 'memory'
        ? createMemoryKvStore({ clock, faults })
        : new MainlineKvStore({ clock, faults });
  return { store: s, volumes: [s.volume] };
}
