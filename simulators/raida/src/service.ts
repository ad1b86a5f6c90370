/**
 * Wiring fake RAIDA servers into the simulation kit: each server as a {@link DatagramService}
 * (with the fault hooks forceStatus and wrongSender), bound on the simulated network at
 * 127.0.0.1:(portBase + id), the live network's layout (raidax-server config.toml: port 50000 + id).
 */
import type { Clock, DatagramAddress } from '@fanout/core';
import {
  CHALLENGE_SIZE,
  DEFAULT_PORT_BASE,
  REQUEST_HEADER_SIZE,
  RESPONSE_HEADER_SIZE,
  encodeResponse,
  readRequestHeader,
} from '@fanout/raida';
import type { DatagramService, SimNetwork } from '@fanout/sim';
import type { RaidaServer } from './server.js';

/** The target id fault plans use for RAIDA `id`: "raida-<id>". */
export function raidaTarget(id: number): string {
  return `raida-${id}`;
}

/**
 * A server as a datagram service. `now` for tickets comes from `clock`.
 * - forceStatus: an error reply with that status, carrying the request's echo and challenge
 *   (a well-formed reply the client must treat as an error vote); null for a request too short to answer.
 * - wrongSender "raida-<k>": response byte 0 rewritten to k (a spoofed RAIDA id).
 * - crash with loseState: the server's in-memory tickets are lost ({@link RaidaServer.loseVolatileState}).
 */
export function raidaService(server: RaidaServer, clock: Clock): DatagramService {
  return {
    handle: (request) => server.handle(request, clock.now()),
    forcedReply: (request, status) => {
      if (request.length < REQUEST_HEADER_SIZE + CHALLENGE_SIZE) return null;
      try {
        const h = readRequestHeader(request);
        return encodeResponse({
          raidaId: server.id,
          status,
          group: h.group,
          echo: h.echo,
          signature: request.slice(REQUEST_HEADER_SIZE, REQUEST_HEADER_SIZE + CHALLENGE_SIZE),
        });
      } catch {
        return null;
      }
    },
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
 * Bind every server on the simulated network at `host:(portBase + id)`.
 * @returns the 25 addresses, index = RAIDA id.
 */
export function bindRaidaCluster(
  net: SimNetwork,
  servers: readonly RaidaServer[],
  portBase = DEFAULT_PORT_BASE,
  host = '127.0.0.1',
): DatagramAddress[] {
  return servers.map((s) => {
    const address = { host, port: portBase + s.id };
    net.bindDatagram(address, raidaTarget(s.id), raidaService(s, net.clock));
    return address;
  });
}
