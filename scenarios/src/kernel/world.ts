/**
 * The World: everything a run lives in, owned by the runner. One clock, one seed, one effective
 * fault plan, one trace, and one edge where simulated parties are served: the in-process
 * SimNetwork (sim: virtual time, deterministic) or real sockets on 127.0.0.1 (live: wall time,
 * the same plan applied at each server's edge). A system's world (RAIDA cluster, DHT swarm, …)
 * is built on top of it and never makes its own clock, generator, plan or trace.
 */
import {
  VirtualClock,
  type Clock,
  type DatagramAddress,
  type DatagramTransport,
  type FetchHandler,
  type FetchLike,
} from '@fanout/core';
import type { FaultInjector } from '@fanout/sim';
import { SimNetwork, Trace, createRng, type DatagramService, type FaultPlan, type Rng } from '@fanout/sim';
import { PlanView } from './plan-view.js';
import type { Mode } from './types.js';

/** A world method was used in a tier that does not have it (e.g. `net` in live mode). */
export class WorldModeError extends Error {
  override readonly name = 'WorldModeError';
}

/** Where a world serves its parties: the simulated network, or real sockets (see live/edge.ts). */
export interface Edge {
  readonly clock: Clock;
  /** The plan's injector, shared by every party of the run (live: swappable with setPlan). */
  readonly injector: FaultInjector;
  /** The simulated network (sim only). */
  readonly net: SimNetwork | undefined;
  /** Serve datagrams as `target`; resolves to the address to send to. */
  serveDatagram(
    target: string,
    service: DatagramService,
    address?: DatagramAddress,
  ): Promise<DatagramAddress>;
  /** Serve HTTP as `target`; resolves to its base URL (`http://127.0.0.1:<port>`). */
  serveHttp(target: string, handler: FetchHandler, onCrashLoseState?: () => void): Promise<string>;
  /** A client datagram socket. */
  openDatagram(): Promise<DatagramTransport & { readonly address: DatagramAddress }>;
  /** A client fetch that reaches the served HTTP parties. */
  readonly fetch: FetchLike;
  close(): Promise<void>;
}

/** The sim edge: every party on one SimNetwork, on a VirtualClock. */
export class SimEdge implements Edge {
  readonly clock: VirtualClock;
  readonly net: SimNetwork;
  #nextPort = 20_000;

  constructor(plan: FaultPlan, rng: Rng, trace: Trace) {
    this.clock = new VirtualClock();
    this.net = new SimNetwork({ clock: this.clock, rng, plan, trace });
  }

  get injector(): FaultInjector {
    return this.net.injector;
  }

  get fetch(): FetchLike {
    return this.net.fetch;
  }

  async serveDatagram(
    target: string,
    service: DatagramService,
    address: DatagramAddress = { host: '127.0.0.1', port: this.#nextPort++ },
  ): Promise<DatagramAddress> {
    this.net.bindDatagram(address, target, service);
    return address;
  }

  async serveHttp(target: string, handler: FetchHandler, onCrashLoseState?: () => void): Promise<string> {
    const url = `http://127.0.0.1:${this.#nextPort++}`;
    this.net.bindHttp(url, target, handler, onCrashLoseState);
    return url;
  }

  async openDatagram(): Promise<DatagramTransport & { readonly address: DatagramAddress }> {
    return this.net.openDatagram();
  }

  async close(): Promise<void> {}
}

/** What {@link World} is built from (the runner fills it in). */
export interface WorldInit {
  readonly seed: number;
  readonly mode: Mode;
  /** The effective plan (already validated). */
  readonly plan: FaultPlan;
  /** Record a trace (the runner does in sim mode, unless it is a baseline twin). */
  readonly traced: boolean;
  /**
   * With `traced`: false keeps no trace line, only the hash (Trace keep 'none': runMany's runs,
   * which re-run a violating seed to keep its lines). Default true.
   */
  readonly traceLines?: boolean;
  /** The edge to use; built by the runner from the mode. */
  readonly edge: (plan: FaultPlan, rng: Rng, trace: Trace) => Edge | Promise<Edge>;
}

/**
 * One run's world. Build it with {@link createWorld}; the runner closes it after the run
 * (closing every party registered with {@link World.defer}, newest first).
 */
export class World {
  readonly seed: number;
  readonly mode: Mode;
  readonly clock: Clock;
  /**
   * The run's root random stream: fork one stream per consumer (`world.rng.fork('servers')`);
   * the fault injector uses 'network', the scenario's workload 'workload', the plan draw 'plan'.
   */
  readonly rng: Rng;
  /** The effective fault plan: what oracles must read their expectations from. */
  readonly plan: FaultPlan;
  /** Oracle queries over {@link plan}. */
  readonly view: PlanView;
  /** The run's trace (disabled in live mode and in baseline twins: check `trace.enabled`). */
  readonly trace: Trace;
  /** Clock time the world started, ms: the time base of the plan's windows. */
  readonly startedAt: number;
  readonly #edge: Edge;
  readonly #closers: (() => void | Promise<void>)[] = [];
  #closed = false;

  private constructor(init: WorldInit, edge: Edge, rng: Rng, trace: Trace) {
    this.seed = init.seed;
    this.mode = init.mode;
    this.plan = init.plan;
    this.view = new PlanView(init.plan);
    this.rng = rng;
    this.trace = trace;
    this.#edge = edge;
    this.clock = edge.clock;
    this.startedAt = edge.clock.now();
  }

  /** Build a world: its root stream `createRng(seed)`, its trace, its edge. */
  static async create(init: WorldInit): Promise<World> {
    const rng = createRng(init.seed);
    const trace = new Trace(
      !init.traced ? { enabled: false } : init.traceLines === false ? { keep: 'none' } : {},
    );
    const edge = await init.edge(init.plan, rng.fork('network'), trace);
    return new World(init, edge, rng, trace);
  }

  /** The plan's injector (shared by every party; live edges apply it at each server). */
  get injector(): FaultInjector {
    return this.#edge.injector;
  }

  /**
   * The simulated network.
   * @throws WorldModeError in live mode.
   */
  get net(): SimNetwork {
    const net = this.#edge.net;
    if (net === undefined) throw new WorldModeError('world.net exists in sim mode only');
    return net;
  }

  /** A fetch that reaches the HTTP parties served by this world (sim: through SimNetwork). */
  get fetch(): FetchLike {
    return this.#edge.fetch;
  }

  /** Ms since the world started (virtual in sim, wall in live): the plan's time base. */
  elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  /**
   * Sleep until `ms` of plan time (since the world started); resolves at once when already past.
   * @throws (rejects with) `signal.reason` when `signal` aborts first.
   */
  async sleepUntil(ms: number, signal?: AbortSignal): Promise<void> {
    const left = ms - this.elapsed();
    if (left > 0) await this.clock.sleep(left, signal);
  }

  /** Record one trace event at the current plan time (no-op when the trace is disabled). */
  record(kind: string, fields: Record<string, unknown> = {}): void {
    if (this.trace.enabled) this.trace.record({ ...fields, t: this.elapsed(), kind });
  }

  /**
   * Serve a datagram party as plan target `target` (sim: bound in SimNetwork at `address` or a
   * fresh one; live: a real UDP socket on 127.0.0.1 with the plan at its edge).
   * @returns the address clients send to.
   */
  serveDatagram(
    target: string,
    service: DatagramService,
    address?: DatagramAddress,
  ): Promise<DatagramAddress> {
    return this.#edge.serveDatagram(target, service, address);
  }

  /**
   * Serve an HTTP party (any fetch handler, e.g. a hono app's `fetch`) as plan target `target`.
   * `onCrashLoseState` runs when a crash rule with `loseState` strikes it.
   * @returns its base URL; reach it with {@link fetch}.
   */
  serveHttp(target: string, handler: FetchHandler, onCrashLoseState?: () => void): Promise<string> {
    return this.#edge.serveHttp(target, handler, onCrashLoseState);
  }

  /** A client datagram socket (closed with the world). */
  async openDatagram(): Promise<DatagramTransport & { readonly address: DatagramAddress }> {
    const t = await this.#edge.openDatagram();
    this.defer(() => t.close());
    return t;
  }

  /** Run `close` when the world closes (newest first). */
  defer(close: () => void | Promise<void>): void {
    this.#closers.push(close);
  }

  /** Close every deferred party, newest first, then the edge. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#closers.reverse()) await c();
    await this.#edge.close();
  }
}

/** The sim edge factory (see {@link WorldInit.edge}). */
export const simEdge: WorldInit['edge'] = (plan, rng, trace) => new SimEdge(plan, rng, trace);
