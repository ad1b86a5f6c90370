/** Wiring 25 fake RAIDA servers in-process so fix (2/80) can validate tickets with its peers. */

import {
  buildRequest,
  decodeResponse,
  encodeValidateTicketPayload,
  interpretValidateTicket,
  RAIDA_COUNT,
  RaidaDecodeError,
} from '@fanout/raida';
import type { RandomBytes } from '@fanout/core';

import { rngBytesFn, type Rng as StreamRng } from '@fanout/sim';
import { RaidaServer, type RaidaServerOptions, type TicketPeers } from './server.js';
import { raidaTarget } from './service.js';

/**
 * A peer hook that sends a real validate-ticket (2/50) datagram to `servers[peerId].handle(…, now)`
 * and decodes the reply — the server-to-server leg of fix, over the codec but without sockets.
 * Returns `null` for a missing server, a dropped or undecodable reply, or a refusal (43, 44, …).
 * `rng` supplies the nonce and challenge of each validate request.
 */
export function inProcessPeers(servers: readonly (RaidaServer | undefined)[], rng: RandomBytes): TicketPeers {
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
    // cmd_fix asks its peers over TCP: a fresh connection, not the peer's reused UDP slot.
    const bytes = peer.handle(req.bytes, ctx.now, { freshConnection: true });
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
  /**
   * Source of ticket ids and of validate-ticket nonces/challenges. A seeded stream
   * (`createRng(seed).fork('servers')`) is forked per server: server i draws its ticket ids from
   * `fork('raida-<i>')` and the validate-ticket leg from `fork('peers')`, so one server's draws
   * never shift another's. A plain byte function is shared by all 25 (simple unit tests only).
   */
  readonly rng: RandomBytes | StreamRng;
}

/**
 * Creates 25 servers (ids 0-24) with empty tables, wired to each other through {@link inProcessPeers}.
 */
export function createCluster(options: ClusterOptions): RaidaServer[] {
  const { rng, ...shared } = options;
  const servers: RaidaServer[] = [];
  const stream = typeof rng === 'function' ? undefined : rng;
  const peers = inProcessPeers(
    servers,
    stream === undefined ? (rng as RandomBytes) : lazyFork(stream, 'peers'),
  );
  for (let id = 0; id < RAIDA_COUNT; id++) {
    const own = stream === undefined ? (rng as RandomBytes) : lazyFork(stream, raidaTarget(id));
    servers.push(new RaidaServer(id, { ...shared, rng: own, peers }));
  }
  return servers;
}

/**
 * `rngBytesFn(stream.fork(label))`, forked at the first draw: most runs never draw a ticket id,
 * and a fork's state depends only on (seed, path), so forking late draws exactly the same bytes.
 */
function lazyFork(stream: StreamRng, label: string): RandomBytes {
  let f: RandomBytes | undefined;
  return (n) => (f ??= rngBytesFn(stream.fork(label)))(n);
}
