/** Wiring 25 fake RAIDA servers in-process so fix (2/80) can validate tickets with its peers. */

import {
  buildRequest,
  decodeResponse,
  encodeValidateTicketPayload,
  interpretValidateTicket,
  RAIDA_COUNT,
  RaidaDecodeError,
  type Rng,
} from '@fanout/raida';

import { RaidaServer, type RaidaServerOptions, type TicketPeers } from './server.js';

/**
 * A peer hook that sends a real validate-ticket (2/50) datagram to `servers[peerId].handle(…, now)`
 * and decodes the reply — the server-to-server leg of fix, over the codec but without sockets.
 * Returns `null` for a missing server, a dropped or undecodable reply, or a refusal (43, 44, …).
 * `rng` supplies the nonce and challenge of each validate request.
 */
export function inProcessPeers(servers: readonly (RaidaServer | undefined)[], rng: Rng): TicketPeers {
  return (peerId, ticket, ctx) => {
    const peer = servers[peerId];
    if (peer === undefined) return null;
    const req = buildRequest(
      'validateTicket',
      encodeValidateTicketPayload({ raidaId: ctx.claimant, ticket }),
      {
        raidaId: peerId,
        echo: ctx.claimant,
        rng,
        coinId: peer.coinId,
      },
    );
    const bytes = peer.handle(req.bytes, ctx.now);
    if (bytes === null) return null;
    try {
      const reply = interpretValidateTicket(decodeResponse(bytes));
      return reply.ok ? reply.coins : null;
    } catch (e) {
      if (e instanceof RaidaDecodeError) return null;
      throw e;
    }
  };
}

/** Options of {@link createCluster}: server options shared by all servers, plus the rng. */
export interface ClusterOptions extends Omit<RaidaServerOptions, 'peers' | 'table' | 'rng'> {
  /** Source of ticket ids and of validate-ticket nonces/challenges. */
  readonly rng: Rng;
}

/**
 * Creates 25 servers (ids 0-24) with empty tables, wired to each other through {@link inProcessPeers}.
 */
export function createCluster(options: ClusterOptions): RaidaServer[] {
  const servers: RaidaServer[] = [];
  const peers = inProcessPeers(servers, options.rng);
  for (let id = 0; id < RAIDA_COUNT; id++) servers.push(new RaidaServer(id, { ...options, peers }));
  return servers;
}
