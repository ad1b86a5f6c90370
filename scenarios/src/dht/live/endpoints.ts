/**
 * Live DHT node endpoints with a SHARED fault injector: each node on its own real UDP socket on
 * 127.0.0.1, serving requests through the sim kit's `serveDatagramWithFaults` with the one
 * injector of the run (the kernel LiveEdge's, which the fault-control API swaps plans on) and
 * sending its own requests from the same socket, as a real DHT node does; frames over 8 KiB are
 * fragmented (simulators/dht fragment.ts).
 *
 * Workaround: simulators/dht `liveUdpEndpoints` builds its own FaultInjector from a plan and
 * cannot take one (nor a shared plan time origin). With an `injector?: FaultInjector` and
 * `startedAt?: number` option there (as `startUdpService` has), this module reduces to one call.
 * The kernel's `LiveEdge.serveDatagram` cannot serve a DHT node either: a node must send from the
 * socket it serves on (peers learn its address from a request's source).
 */
import dgram from 'node:dgram';
import { addressKey, type Clock, type DatagramAddress } from '@fanout/core';
import {
  serveDatagramWithFaults,
  wipeOnCrash,
  type FaultInjector,
  type NetworkStats,
  type TraceSink,
} from '@fanout/sim';
import {
  DEFAULT_FRAGMENT_BYTES,
  Reassembler,
  fragmentFrame,
  peekFrame,
  type EndpointFactory,
} from '@fanout/sim-dht';

/** Options of {@link sharedInjectorEndpoints}. */
export interface SharedInjectorEndpointsOptions {
  /** The run's one injector (plan swappable with `setPlan`). */
  readonly injector: FaultInjector;
  /** Wall clock (realClock). */
  readonly clock: Clock;
  /** Plan time origin, `clock` ms (the world's start), so "crash at 500 ms" is one instant for every node. */
  readonly startedAt: number;
  /** Port of the node serving as `target` (`dht-<i>`); 0 or absent: ephemeral. */
  readonly portOf?: (target: string) => number;
  readonly trace?: TraceSink;
}

/** A live endpoint factory with its counters. */
export interface SharedInjectorEndpoints {
  readonly open: EndpointFactory;
  /** Edge counters summed over all sockets (requests seen, delivered, dropped, replies sent). */
  readonly stats: NetworkStats;
}

/**
 * Endpoints for DatagramDhtNetwork on real UDP sockets (see the module docstring).
 * @returns `open` (binds one socket per node on 127.0.0.1; rejects with the bind error) and stats.
 */
export function sharedInjectorEndpoints(o: SharedInjectorEndpointsOptions): SharedInjectorEndpoints {
  const stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, replies: 0 };
  const open: EndpointFactory = async (target, service) => {
    const clock = o.clock;
    const reassembler = new Reassembler({ clock });
    const socket = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(o.portOf?.(target) ?? 0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => {
      // ICMP port unreachable and friends: a lost datagram, as UDP promises nothing.
    });
    const listeners = new Set<(bytes: Uint8Array, from: DatagramAddress) => void>();
    let closed = false;
    let messageId = 0;
    const seen = { lastSeenT: -1 };
    const sendFrame = (to: DatagramAddress, frame: Uint8Array): void => {
      for (const part of fragmentFrame(frame, messageId++ >>> 0, DEFAULT_FRAGMENT_BYTES))
        socket.send(part, to.port, to.host);
    };
    const elapsed = (): number => clock.now() - o.startedAt;
    const record = (kind: string, fields: Record<string, unknown>): void =>
      o.trace?.record({ t: elapsed(), kind, ...fields });
    socket.on('message', (msg, rinfo) => {
      const from = { host: rinfo.address, port: rinfo.port };
      const frame = reassembler.accept(
        new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
        addressKey(from),
      );
      if (frame === undefined) return;
      if (peekFrame(frame)?.kind !== 'request') {
        for (const l of [...listeners]) l(frame, from);
        return;
      }
      stats.sent++;
      serveDatagramWithFaults({
        clock,
        injector: o.injector,
        target,
        service,
        request: frame,
        from,
        t: elapsed(),
        elapsed,
        record,
        stats,
        beforeHandle: (t) =>
          wipeOnCrash(o.injector, target, seen, t, service.onCrashLoseState?.bind(service), record),
        sendReply: (payload) => {
          if (closed) return;
          stats.replies++;
          sendFrame(from, payload);
        },
      });
    });
    const a = socket.address();
    return {
      address: { host: a.address, port: a.port },
      transport: {
        send: (to, bytes) => {
          if (closed) throw new Error('UDP socket is closed');
          sendFrame(to, bytes);
        },
        onMessage: (listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        close: async () => {},
      },
      close: () =>
        new Promise<void>((resolve) => {
          if (closed) return resolve();
          closed = true;
          listeners.clear();
          reassembler.close();
          socket.close(() => resolve());
        }),
    };
  };
  return { open, stats };
}
