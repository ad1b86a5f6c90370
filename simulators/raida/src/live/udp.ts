/**
 * Live tier: the fake RAIDA servers as real UDP sockets on 127.0.0.1, one per RAIDA, with the
 * fault plan applied at each socket's edge (on wall time) and its `behave` rules (RAIDA_BEHAVIOURS,
 * e.g. staleErrorReplies) applied by the servers, windows measured from the same time origin.
 */
import { realClock, type Clock, type DatagramAddress } from '@fanout/core';
import { DEFAULT_PORT_BASE } from '@fanout/raida';
import {
  createRng,
  FaultInjector,
  NO_FAULTS,
  type FaultPlan,
  type NetworkStats,
  type Rng,
  type TraceSink,
} from '@fanout/sim';
import { startUdpService, type UdpServiceHandle } from '@fanout/sim/live';
import type { RaidaServer } from '../server.js';
import { raidaService, raidaTarget, type BehaviourLookup } from '../service.js';

export interface LiveRaidaOptions {
  servers: readonly RaidaServer[];
  host?: string;
  /** RAIDA i listens on portBase + i; 0 (default in tests) = 25 ephemeral ports. Use 50000 for the live layout. */
  portBase?: number;
  plan?: FaultPlan;
  /** Root stream for fault draws (each RAIDA forks "faults:raida-<id>"). */
  rng?: Rng;
  trace?: TraceSink;
  clock?: Clock;
  /** Time origin of the plan for every server, `clock` ms. Default: when this call starts. */
  startedAt?: number;
}

export interface LiveRaidaCluster {
  /** Address of RAIDA i at index i. */
  readonly addresses: DatagramAddress[];
  readonly stats: readonly NetworkStats[];
  close(): Promise<void>;
}

/**
 * Start one UDP socket per server.
 * @throws the first bind error (EADDRINUSE with a fixed portBase); sockets already bound are closed.
 */
export async function startLiveRaidaCluster(o: LiveRaidaOptions): Promise<LiveRaidaCluster> {
  const clock = o.clock ?? realClock;
  const rng = o.rng ?? createRng(0);
  const base = o.portBase ?? 0;
  const startedAt = o.startedAt ?? clock.now(); // one time origin for all 25 (plan windows, crashes)
  // behaviours() draws nothing, so a separate injector over the same plan answers what the edges' would.
  const injector = new FaultInjector(o.plan ?? NO_FAULTS, rng);
  const behaviours: BehaviourLookup = (target) => injector.behaviours(target, clock.now() - startedAt);
  const handles: UdpServiceHandle[] = [];
  try {
    for (const s of o.servers) {
      handles.push(
        await startUdpService({
          target: raidaTarget(s.id),
          service: raidaService(s, clock, behaviours),
          host: o.host ?? '127.0.0.1',
          port: base === 0 ? 0 : base + s.id,
          plan: o.plan,
          rng,
          trace: o.trace,
          clock,
          startedAt,
        }),
      );
    }
  } catch (e) {
    await Promise.all(handles.map((h) => h.close()));
    throw e;
  }
  return {
    addresses: handles.map((h) => h.address),
    stats: handles.map((h) => h.stats),
    close: async () => {
      await Promise.all(handles.map((h) => h.close()));
    },
  };
}

export { DEFAULT_PORT_BASE };
