/**
 * Live tier: each DHT node on its own real UDP socket on 127.0.0.1 (ephemeral port), serving
 * requests through the sim kit's `serveDatagramWithFaults` — the same fault plan (per-node
 * latency, loss, partitions, crashes) applied at the node's edge on wall time as SimNetwork
 * applies in virtual time — and sending its own requests from the same socket, as a real DHT
 * node does. Frames over 8 KiB are fragmented (fragment.ts), so a 64 KiB value crosses UDP; each
 * socket's reassembly buffers are bounded in total (`reassemblyBytes`, default 8 MiB).
 */
import dgram from 'node:dgram';
import { addressKey, realClock, type Clock, type DatagramAddress } from '@fanout/core';
import {
  createRng,
  FaultInjector,
  NO_FAULTS,
  serveDatagramWithFaults,
  skewedClock,
  type DatagramService,
  type FaultPlan,
  type NetworkStats,
  type Rng,
  type TraceSink,
} from '@fanout/sim';
import type { EndpointFactory, NodeEndpoint } from '../datagram.js';
import { DEFAULT_FRAGMENT_BYTES, DEFAULT_REASSEMBLY_BYTES, Reassembler, fragmentFrame } from '../fragment.js';
import { peekFrame } from '../wire.js';

/** Options of {@link liveUdpEndpoints}. */
export interface LiveUdpEndpointsOptions {
  /** Fault plan applied at every node's edge (targets named by the network, e.g. "dht-7"). */
  readonly plan?: FaultPlan;
  /** Root stream for fault draws (each target forks "faults:<target>"). Default createRng(0). */
  readonly rng?: Rng;
  readonly trace?: TraceSink;
  /** Default realClock. */
  readonly clock?: Clock;
  /** Default '127.0.0.1'. */
  readonly host?: string;
  /** Fragment payload bytes (default 8192). */
  readonly fragmentBytes?: number;
  /**
   * Fragment bytes one socket holds for incomplete messages, over all senders (integer ≥ 65,536,
   * default {@link DEFAULT_REASSEMBLY_BYTES} = 8 MiB); see {@link Reassembler}.
   */
  readonly reassemblyBytes?: number;
}

/** A live endpoint factory with its shared counters. */
export interface LiveUdpEndpoints {
  readonly open: EndpointFactory;
  /** Edge counters summed over all sockets (requests seen, delivered, dropped, replies sent). */
  readonly stats: NetworkStats;
  /** Sockets currently open. */
  readonly openSockets: () => number;
}

/**
 * A factory of live UDP endpoints: one socket per node, bound on `host` with an ephemeral port.
 * @returns `open` for DatagramDhtNetwork, plus shared stats.
 * @throws FragmentError('maxBufferedBytes') (from the first `open`) for an invalid reassemblyBytes.
 */
export function liveUdpEndpoints(o: LiveUdpEndpointsOptions = {}): LiveUdpEndpoints {
  const clock = o.clock ?? realClock;
  const t0 = clock.now();
  const injector = new FaultInjector(o.plan ?? NO_FAULTS, o.rng ?? createRng(0));
  const stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, replies: 0 };
  const fragmentBytes = o.fragmentBytes ?? DEFAULT_FRAGMENT_BYTES;
  let open = 0;
  /** Bound address → fault-plan target: a request's source, for linkPartition rules between nodes. */
  const targets = new Map<string, string>();
  const factory = async (target: string, service: DatagramService): Promise<NodeEndpoint> => {
    // Built before the socket, so an invalid option throws with nothing to clean up.
    const reassembler = new Reassembler({
      clock,
      maxBufferedBytes: o.reassemblyBytes ?? DEFAULT_REASSEMBLY_BYTES,
    });
    const socket = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, o.host ?? '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    open++;
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      // the OS may cap it; not fatal
    }
    socket.on('error', () => {
      // ICMP port unreachable and friends: a lost datagram, as UDP promises nothing.
    });
    const listeners = new Set<(bytes: Uint8Array, from: DatagramAddress) => void>();
    let closed = false;
    let messageId = 0;
    let lastSeenT = -1;
    const sendFrame = (to: DatagramAddress, frame: Uint8Array): void => {
      for (const part of fragmentFrame(frame, messageId++ >>> 0, fragmentBytes))
        socket.send(part, to.port, to.host);
    };
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
        injector,
        target,
        service,
        request: frame,
        from,
        t: clock.now() - t0,
        source: targets.get(addressKey(from)),
        elapsed: () => clock.now() - t0,
        record: (kind, fields) => o.trace?.record({ t: clock.now() - t0, kind, ...fields }),
        stats,
        beforeHandle: (t) => {
          for (const c of injector.crashesOf(target))
            if (c.loseState && c.atMs > lastSeenT && c.atMs <= t) service.onCrashLoseState?.();
          lastSeenT = t;
        },
        sendReply: (payload) => {
          if (closed) return;
          stats.replies++;
          sendFrame(from, payload);
        },
      });
    });
    const a = socket.address();
    const address = { host: a.address, port: a.port };
    targets.set(addressKey(address), target);
    return {
      address,
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
          open--;
          targets.delete(addressKey(address));
          listeners.clear();
          reassembler.close();
          socket.close(() => resolve());
        }),
    };
  };
  // Each node reads its fault-plan target's clock (clockSkew / clockStrobe rules, on `clock` time
  // since this factory was made).
  const clockFor = (target: string): Clock =>
    skewedClock({ clock, offsets: injector, target, startedAt: t0 });
  return { open: Object.assign(factory, { clockFor }), stats, openSockets: () => open };
}
