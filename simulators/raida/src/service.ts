/**
 * Wiring fake RAIDA servers into the simulation kit: each server as a {@link DatagramService}
 * (with the fault hooks forceStatus and wrongSender, and the node behaviours of the plan's `behave`
 * rules), bound on the simulated network at 127.0.0.1:(portBase + id), the live network's layout
 * (raidax-server config.toml: port 50000 + id).
 */
import type { Clock, DatagramAddress } from '@fanout/core';
import { DEFAULT_PORT_BASE, RESPONSE_HEADER_SIZE } from '@fanout/raida';
import type { DatagramService, SimNetwork } from '@fanout/sim';
import type { HandleOptions, RaidaServer } from './server.js';

/** The target id fault plans use for RAIDA `id`: "raida-<id>". */
export function raidaTarget(id: number): string {
  return `raida-${id}`;
}

/**
 * The `behave` rule names a fake RAIDA knows (plan rule `{ fault: 'behave', targets: ['raida-3'],
 * behaviour: 'staleErrorReplies' }`, optionally with a `window`):
 * - `staleErrorReplies`: error replies carry the previous request's challenge (and, for header
 *   errors, its echo and group) as raidax-server's reused UDP slots do (net.c, protocol.c; see
 *   slot.ts). A client drops them as unmatched or badly signed: that RAIDA's vote becomes
 *   'noReply' where it would have been 'error'. A bad CRC (37) and command statuses are not stale.
 * Other names are ignored (they may belong to another simulator or to a scenario's own oracle).
 */
export const RAIDA_BEHAVIOURS = ['staleErrorReplies'] as const;

/** One of {@link RAIDA_BEHAVIOURS}. */
export type RaidaBehaviour = (typeof RAIDA_BEHAVIOURS)[number];

/** The active `behave` rules of a target now, as FaultInjector.behaviours returns them. */
export type BehaviourLookup = (target: string) => readonly { readonly behaviour: string }[];

/** The {@link HandleOptions} that the active behaviours `list` switch on. */
export function raidaHandleOptions(list: readonly { readonly behaviour: string }[]): HandleOptions {
  return { staleErrorReplies: list.some((b) => b.behaviour === 'staleErrorReplies') };
}

/**
 * A server as a datagram service. `now` for tickets comes from `clock`; `behaviours` (default:
 * none) is asked on every datagram, so a plan swapped at run time (FaultInjector.setPlan) takes
 * effect from the next one.
 * - forceStatus: {@link RaidaServer.forcedReply} — the reply the server would send with that status
 *   (stale under `staleErrorReplies` for a header error); null for a request too short to answer.
 * - wrongSender "raida-<k>": response byte 0 rewritten to k (a spoofed RAIDA id).
 * - crash with loseState: the server's tickets and UDP slot are lost ({@link RaidaServer.loseVolatileState}).
 */
export function raidaService(
  server: RaidaServer,
  clock: Clock,
  behaviours?: BehaviourLookup,
): DatagramService {
  const target = raidaTarget(server.id);
  const options = (): HandleOptions =>
    behaviours === undefined ? {} : raidaHandleOptions(behaviours(target));
  return {
    handle: (request) => server.handle(request, clock.now(), options()),
    forcedReply: (request, status) => server.forcedReply(request, status, options()),
    spoofSender: (reply, as) => {
      const out = reply.slice();
      const id = Number(as.replace(/^raida-/, ''));
      if (out.length >= RESPONSE_HEADER_SIZE && Number.isInteger(id) && id >= 0 && id <= 255) out[0] = id;
      return out;
    },
    onCrashLoseState: () => server.loseVolatileState(),
  };
}

/**
 * Bind every server on the simulated network at `host:(portBase + id)`, with the behaviours of the
 * network's plan (`net.injector.behaviours(target, net.elapsed())`, read per datagram).
 * @returns the 25 addresses, index = RAIDA id.
 */
export function bindRaidaCluster(
  net: SimNetwork,
  servers: readonly RaidaServer[],
  portBase = DEFAULT_PORT_BASE,
  host = '127.0.0.1',
): DatagramAddress[] {
  const behaviours: BehaviourLookup = (target) => net.injector.behaviours(target, net.elapsed());
  return servers.map((s) => {
    const address = { host, port: portBase + s.id };
    net.bindDatagram(address, raidaTarget(s.id), raidaService(s, net.clock, behaviours));
    return address;
  });
}
