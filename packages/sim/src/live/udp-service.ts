/**
 * Live tier: a real UDP server on 127.0.0.1 serving a {@link DatagramService}, with the same
 * fault plan applied at its edge (on wall time) as the simulated network applies in virtual time.
 */
import dgram from 'node:dgram';
import { realClock, type Clock, type DatagramAddress } from '@fanout/core';
import { skewedClock } from '../clock-faults.js';
import { FaultInjector, NO_FAULTS, type FaultPlan } from '../fault-plan.js';
import {
  serveDatagramWithFaults,
  wipeOnCrash,
  type DatagramService,
  type NetworkStats,
  type TraceSink,
} from '../network.js';
import { createRng, type Rng } from '../rng.js';

export interface UdpServiceOptions {
  target: string;
  service: DatagramService;
  host?: string;
  /** 0 (default) = ephemeral. */
  port?: number;
  plan?: FaultPlan;
  rng?: Rng;
  /**
   * The injector to apply (shared by every service of a run, and swappable at run time through
   * `injector.setPlan`); when given, `plan` and `rng` are ignored.
   */
  injector?: FaultInjector;
  trace?: TraceSink;
  clock?: Clock;
  /**
   * Time origin of the plan's windows and crash times, in `clock` ms (default: this service's bind
   * time). Give all services of one run the same value so "crash at 500 ms" means the same
   * instant for each of them.
   */
  startedAt?: number;
  /**
   * The plan target a datagram comes from, when its sender is one (e.g. a map from the addresses
   * of the run's other services); `linkPartition` rules between it and `target` then apply.
   * Default: none (a client).
   */
  sourceOf?: (from: DatagramAddress) => string | undefined;
}

/** A running live UDP service. */
export interface UdpServiceHandle {
  readonly address: DatagramAddress;
  readonly stats: NetworkStats;
  /**
   * The clock this target believes in (`clock`, with `now()` moved by the plan's clockSkew /
   * clockStrobe rules for `target`): give it to the service where it reads the time of day.
   */
  readonly clock: Clock;
  close(): Promise<void>;
}

/**
 * Bind a UDP socket and serve `service` on it until `close()`. The plan is applied at the edge on
 * `clock` time since `startedAt`, crash with `loseState` included (`service.onCrashLoseState`).
 * @throws the bind error (EADDRINUSE, EACCES).
 */
export async function startUdpService(o: UdpServiceOptions): Promise<UdpServiceHandle> {
  const clock = o.clock ?? realClock;
  const t0 = o.startedAt ?? clock.now();
  const injector = o.injector ?? new FaultInjector(o.plan ?? NO_FAULTS, o.rng ?? createRng(0));
  const stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, replies: 0 };
  const socket = dgram.createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {});
  let closed = false;
  const seen = { lastSeenT: -1 };
  const record = (kind: string, fields: Record<string, unknown>): void =>
    o.trace?.record({ t: clock.now() - t0, kind, ...fields });
  socket.on('message', (msg, rinfo) => {
    stats.sent++;
    const from = { host: rinfo.address, port: rinfo.port };
    serveDatagramWithFaults({
      clock,
      injector,
      target: o.target,
      service: o.service,
      request: new Uint8Array(msg),
      from,
      t: clock.now() - t0,
      source: o.sourceOf?.(from),
      elapsed: () => clock.now() - t0,
      record,
      stats,
      // Crash with loseState: wipe the service's volatile state when it is next reached (as SimNetwork does).
      beforeHandle: (t) =>
        wipeOnCrash(injector, o.target, seen, t, o.service.onCrashLoseState?.bind(o.service), record),
      sendReply: (payload) => {
        if (closed) return;
        stats.replies++;
        socket.send(payload, from.port, from.host);
      },
    });
  });
  const a = socket.address();
  return {
    address: { host: a.address, port: a.port },
    stats,
    clock: skewedClock({ clock, offsets: injector, target: o.target, startedAt: t0 }),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
