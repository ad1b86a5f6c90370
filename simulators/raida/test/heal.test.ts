import { describe, expect, it } from 'vitest';

import {
  buildRequest,
  decodeResponse,
  encodeValidateTicketPayload,
  fixAn,
  interpretGrades,
  interpretTicket,
  interpretValidateTicket,
  RAIDA_COUNT,
  Status,
  TICKET_LIFETIME_MS,
  type Token,
} from '@fanout/raida';

import {
  createCluster,
  installTokens,
  mintTokens,
  RaidaServer,
  tokenOn,
  type MintedToken,
} from '../src/index.js';
import { createRng } from '@fanout/sim';
import { detect, fix, getTicket } from './helpers.js';
import { seededRng } from './rng.js';

/** 25 wired servers holding `count` minted tokens; the client's wallet holds the minted ANs. */
function network(seed: number, count = 3) {
  const rng = seededRng(seed);
  const servers = createCluster({ rng });
  const minted = mintTokens(rng, count, { den: 1, firstSn: 1000 });
  installTokens(servers, minted);
  return { rng, servers, minted };
}

const frack = (s: RaidaServer, m: MintedToken) =>
  s.installToken({ den: m.den, sn: m.sn, an: new Uint8Array(16).fill(0x55) });

/** The client side of healing: tickets from every RAIDA except `skip`, for the tokens the client holds. */
function collectTickets(
  servers: readonly RaidaServer[],
  minted: readonly MintedToken[],
  rng: ReturnType<typeof seededRng>,
  now = 0,
  skip: ReadonlySet<number> = new Set(),
) {
  const tickets: number[] = new Array<number>(RAIDA_COUNT).fill(0);
  for (const s of servers) {
    if (skip.has(s.id)) continue;
    const tokens = minted.map((m) => tokenOn(m, s.id));
    const r = interpretTicket(getTicket(s, tokens, rng, now), tokens.length);
    expect(r.ok).toBe(true);
    if (r.ok && r.ticket !== null) tickets[s.id] = r.ticket;
  }
  return tickets;
}

describe('get-ticket + fix heal a fracked token', () => {
  it('RAIDA 7 heals token 0 and RAIDA 3 heals token 2; the new AN equals the client-side MD5', () => {
    const { rng, servers, minted } = network(11);
    const [m0, m1, m2] = minted as [MintedToken, MintedToken, MintedToken];
    const s7 = servers[7] as RaidaServer;
    const s3 = servers[3] as RaidaServer;
    frack(s7, m0);
    frack(s3, m2);

    // detect shows the fracks
    expect(
      interpretGrades(
        detect(
          s7,
          minted.map((m) => tokenOn(m, 7)),
          rng,
        ),
        3,
      ),
    ).toMatchObject({ pass: [false, true, true] });
    expect(
      interpretGrades(
        detect(
          s3,
          minted.map((m) => tokenOn(m, 3)),
          rng,
        ),
        3,
      ),
    ).toMatchObject({ pass: [true, true, false] });

    // get-ticket on a fracked RAIDA: 243 + bitfield + ticket for the passing ones
    const t7 = interpretTicket(
      getTicket(
        s7,
        minted.map((m) => tokenOn(m, 7)),
        rng,
      ),
      3,
    );
    expect(t7).toMatchObject({ ok: true, status: 243, pass: [false, true, true] });
    expect(t7.ok && t7.ticket).not.toBe(0);

    const tickets = collectTickets(servers, minted, rng);
    expect(tickets.filter((t) => t !== 0).length).toBe(25);

    // fix on RAIDA 7 for token 0: 23 other RAIDA vouch (3 had it too), + own vote = 25 > 13
    const pg7 = rng(16);
    const r7 = interpretGrades(fix(s7, { coins: [{ den: m0.den, sn: m0.sn }], pg: pg7, tickets }, rng), 1);
    expect(r7).toEqual({ ok: true, status: 241, pass: [true] });
    const an7 = fixAn(7, m0.den, m0.sn, pg7);
    expect(s7.getAn(m0.den, m0.sn)).toEqual(an7);
    expect(detect(s7, [{ den: m0.den, sn: m0.sn, an: an7 }], rng).status).toBe(241);
    expect(detect(s7, [tokenOn(m0, 7)], rng).status).toBe(242);

    // fix on RAIDA 3 for tokens 1 and 2 at once (token 1 was fine there; fixing re-keys it too)
    const pg3 = rng(16);
    const r3 = interpretGrades(
      fix(s3, { coins: [m1, m2].map((m) => ({ den: m.den, sn: m.sn })), pg: pg3, tickets }, rng),
      2,
    );
    expect(r3).toEqual({ ok: true, status: 241, pass: [true, true] });
    expect(s3.getAn(m2.den, m2.sn)).toEqual(fixAn(3, m2.den, m2.sn, pg3));
    expect(s3.getAn(m1.den, m1.sn)).toEqual(fixAn(3, m1.den, m1.sn, pg3));
    // other RAIDA are untouched
    expect(
      detect(
        servers[0] as RaidaServer,
        minted.map((m) => tokenOn(m, 0)),
        rng,
      ).status,
    ).toBe(241);
  });

  it('needs strictly more than 13 votes: 12 peer tickets fail, 13 pass', () => {
    const { rng, servers, minted } = network(12, 1);
    const m = minted[0] as MintedToken;
    const s0 = servers[0] as RaidaServer;
    frack(s0, m);
    const coins = [{ den: m.den, sn: m.sn }];
    const all = collectTickets(servers, minted, rng);
    const only = (k: number) => all.map((t, i) => (i >= 1 && i <= k ? t : 0));

    const before = s0.getAn(m.den, m.sn);
    expect(interpretGrades(fix(s0, { coins, pg: rng(16), tickets: only(12) }, rng), 1)).toMatchObject({
      status: 242,
      pass: [false],
    });
    expect(s0.getAn(m.den, m.sn)).toEqual(before);

    // tickets 1-12 are now claimed by RAIDA 0: fresh ones are needed
    const fresh = collectTickets(servers, minted, rng);
    const pg = rng(16);
    const thirteen = fresh.map((t, i) => (i >= 1 && i <= 13 ? t : 0));
    expect(interpretGrades(fix(s0, { coins, pg, tickets: thirteen }, rng), 1)).toMatchObject({
      status: 241,
      pass: [true],
    });
    expect(s0.getAn(m.den, m.sn)).toEqual(fixAn(0, m.den, m.sn, pg));
  });

  it('a ticket can be claimed once per RAIDA: replaying the same fix fails', () => {
    const { rng, servers, minted } = network(13, 1);
    const m = minted[0] as MintedToken;
    const s9 = servers[9] as RaidaServer;
    frack(s9, m);
    const tickets = collectTickets(servers, minted, rng);
    const coins = [{ den: m.den, sn: m.sn }];
    expect(fix(s9, { coins, pg: rng(16), tickets }, rng).status).toBe(241);
    expect(fix(s9, { coins, pg: rng(16), tickets }, rng).status).toBe(242);

    // and on the wire, the peer says 44 (claimed already) to the same claimant, 250 to another
    const peer = servers[1] as RaidaServer;
    const ask = (claimant: number) =>
      decodeResponse(
        peer.handle(
          buildRequest(
            'validateTicket',
            encodeValidateTicketPayload({ raidaId: claimant, ticket: tickets[1] ?? 0 }),
            { raidaId: 1, echo: 0, rng },
          ).bytes,
        ) as Uint8Array,
      );
    expect(ask(9).status).toBe(Status.TICKET_CLAIMED_ALREADY);
    expect(interpretValidateTicket(ask(10))).toEqual({ ok: true, coins });
    expect(ask(30).status).toBe(Status.WRONG_RAIDA);
    expect(
      decodeResponse(
        peer.handle(
          buildRequest('validateTicket', encodeValidateTicketPayload({ raidaId: 2, ticket: 12345 }), {
            raidaId: 1,
            echo: 0,
            rng,
          }).bytes,
        ) as Uint8Array,
      ).status,
    ).toBe(Status.NO_TICKET_FOUND);
  });

  it('with ticketLifetimeMs (a server that runs check_tickets) tickets expire after it', () => {
    const rng = seededRng(14);
    const servers = createCluster({ rng, ticketLifetimeMs: TICKET_LIFETIME_MS });
    const minted = mintTokens(rng, 1, { den: 1, firstSn: 1000 });
    installTokens(servers, minted);
    const m = minted[0] as MintedToken;
    const s5 = servers[5] as RaidaServer;
    frack(s5, m);
    const tickets = collectTickets(servers, minted, rng, 1_000);
    const coins = [{ den: m.den, sn: m.sn }];
    expect(servers[1]?.liveTickets(1_000 + TICKET_LIFETIME_MS)).toBe(1);
    expect(servers[1]?.liveTickets(1_000 + TICKET_LIFETIME_MS + 1)).toBe(0);
    expect(fix(s5, { coins, pg: rng(16), tickets }, rng, 1_000 + TICKET_LIFETIME_MS + 1).status).toBe(242);
  });

  it('without peers, fix only has its own vote and fails; get-ticket with no passing token gives no ticket', () => {
    const rng = seededRng(15);
    const s = new RaidaServer(2, { rng });
    const [m] = mintTokens(rng, 1) as [MintedToken];
    s.installToken(tokenOn(m, 2));
    expect(fix(s, { coins: [m], pg: rng(16), tickets: new Array<number>(25).fill(1) }, rng).status).toBe(242);
    const res = getTicket(s, [{ ...tokenOn(m, 2), an: new Uint8Array(16) }], rng);
    expect(interpretTicket(res, 1)).toEqual({ ok: true, status: 242, pass: [false], ticket: null });
    expect(res.bodySize).toBe(0);
    const ok = interpretTicket(getTicket(s, [tokenOn(m, 2)], rng), 1);
    expect(ok).toMatchObject({ ok: true, status: 241, pass: [true] });
  });

  it('a full ticket pool answers 42', () => {
    const rng = seededRng(16);
    const s = new RaidaServer(0, { ticketPoolSize: 2 });
    const [m] = mintTokens(rng, 1) as [MintedToken];
    const t: Token = tokenOn(m, 0);
    s.installToken(t);
    expect(getTicket(s, [t], rng).status).toBe(241);
    expect(getTicket(s, [t], rng).status).toBe(241);
    expect(getTicket(s, [t], rng).status).toBe(Status.NO_TICKET_SLOT);
    // Tickets never expire (raidax-server never calls check_tickets): still full a day later.
    expect(getTicket(s, [t], rng, 86_400_000).status).toBe(Status.NO_TICKET_SLOT);
    const expiring = new RaidaServer(0, { ticketPoolSize: 1, ticketLifetimeMs: TICKET_LIFETIME_MS });
    expiring.installToken(t);
    expect(getTicket(expiring, [t], rng).status).toBe(241);
    expect(getTicket(expiring, [t], rng).status).toBe(Status.NO_TICKET_SLOT);
    expect(getTicket(expiring, [t], rng, TICKET_LIFETIME_MS + 1).status).toBe(241);
  });
});

describe('cluster streams and volatile state', () => {
  it('each server draws ticket ids from its own stream (servers/raida-<id>): one server never shifts another', () => {
    const ticketsOf3 = (warmUp0: number): number => {
      const servers = createCluster({ rng: createRng(9).fork('servers') });
      const minted = mintTokens(seededRng(1), 1, { den: 1, firstSn: 1 });
      installTokens(servers, minted);
      const rng = seededRng(2);
      for (let k = 0; k < warmUp0; k++) getTicket(servers[0]!, [tokenOn(minted[0]!, 0)], rng);
      const t = interpretTicket(getTicket(servers[3]!, [tokenOn(minted[0]!, 3)], rng), 1);
      if (!t.ok || t.ticket === null) throw new Error(`no ticket: status ${t.status}`);
      return t.ticket;
    };
    expect(ticketsOf3(0)).toBe(ticketsOf3(5));
  });

  it('loseVolatileState forgets tickets (in memory in the C server) but keeps the AN table', () => {
    const { rng, servers, minted } = network(3, 1);
    const s = servers[2]!;
    const t = interpretTicket(getTicket(s, [tokenOn(minted[0]!, 2)], rng), 1);
    expect(t.ok && t.ticket !== null).toBe(true);
    expect(s.liveTickets(0)).toBe(1);
    s.loseVolatileState();
    expect(s.liveTickets(0)).toBe(0);
    expect(s.getAn(minted[0]!.den, minted[0]!.sn)).toEqual(minted[0]!.ans[2]);
  });
});
