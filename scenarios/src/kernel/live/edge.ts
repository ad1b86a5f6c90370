/**
 * The live edge of a world: parties served on real sockets on 127.0.0.1 (ephemeral ports), on
 * wall time, with the run's fault plan applied at each server's edge by one shared injector
 * (so a fault-control API can swap the plan for all of them at once). Clients use a real UDP
 * socket and the platform's fetch.
 */
import {
  realClock,
  type DatagramAddress,
  type DatagramTransport,
  type FetchHandler,
  type FetchLike,
} from '@fanout/core';
import { openUdpTransport } from '@fanout/core/live';
import { FaultInjector, type DatagramService, type FaultPlan, type Rng, type Trace } from '@fanout/sim';
import { startHttpService, startUdpService } from '@fanout/sim/live';
import type { Edge } from '../world.js';

/** Real sockets on 127.0.0.1, wall time (see the module docstring). */
export class LiveEdge implements Edge {
  readonly clock = realClock;
  readonly net = undefined;
  readonly injector: FaultInjector;
  readonly fetch: FetchLike = (input, init) => fetch(input, init);
  readonly #startedAt = realClock.now();
  readonly #trace: Trace;
  readonly #closers: (() => Promise<void>)[] = [];

  constructor(plan: FaultPlan, rng: Rng, trace: Trace) {
    this.injector = new FaultInjector(plan, rng);
    this.#trace = trace;
  }

  async serveDatagram(
    target: string,
    service: DatagramService,
    address?: DatagramAddress,
  ): Promise<DatagramAddress> {
    const h = await startUdpService({
      target,
      service,
      host: '127.0.0.1',
      port: address?.port ?? 0,
      injector: this.injector,
      clock: this.clock,
      startedAt: this.#startedAt,
      trace: this.#trace.enabled ? this.#trace : undefined,
    });
    this.#closers.push(() => h.close());
    return h.address;
  }

  async serveHttp(target: string, handler: FetchHandler, onCrashLoseState?: () => void): Promise<string> {
    const h = await startHttpService({
      target,
      handler,
      injector: this.injector,
      clock: this.clock,
      startedAt: this.#startedAt,
      ...(onCrashLoseState !== undefined && { onCrashLoseState }),
    });
    this.#closers.push(() => h.close());
    return h.url;
  }

  async openDatagram(): Promise<DatagramTransport & { readonly address: DatagramAddress }> {
    return openUdpTransport();
  }

  async close(): Promise<void> {
    for (const c of this.#closers.reverse()) await c();
  }
}

/** The live edge factory for {@link WorldInit.edge}. */
export const liveEdge = (plan: FaultPlan, rng: Rng, trace: Trace): LiveEdge => new LiveEdge(plan, rng, trace);
