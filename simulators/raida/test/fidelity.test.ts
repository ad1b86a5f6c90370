/**
 * Fidelity to raidax-server where the fake server used to differ: the page range of the AN table
 * (db.h), tickets that never expire (check_tickets is never called), the compiled receive buffer,
 * reply sizes with a body, the 48-byte reply layout for encryption types other than 0-2
 * (protocol.c get_response_header), and error replies from the reused UDP slot (net.c, protocol.c;
 * plan behaviour `staleErrorReplies`).
 */
import { describe, expect, it } from 'vitest';

import {
  buildRequest,
  Command,
  COMPILED_DATAGRAM_BUFFER,
  DATAGRAM_BUDGET,
  decodeModernResponse,
  decodeResponse,
  encodeDetectPayload,
  encodeGetTicketPayload,
  encodeRequest,
  encodeValidateTicketPayload,
  interpretGrades,
  interpretTicket,
  makeChallenge,
  MODERN_RESPONSE_HEADER_SIZE,
  RaidaEncodeError,
  SNS_PER_DENOMINATION,
  Status,
  writeU16,
  writeU32,
  type Token,
} from '@fanout/raida';

import {
  createCluster,
  installTokens,
  mintTokens,
  pageRecord,
  RaidaServer,
  tokenOn,
  type MintedToken,
} from '../src/index.js';
import { detect, find, fix, getTicket, pown } from './helpers.js';
import { seededRng } from './rng.js';

const ID = 4;
const LAST_SN = SNS_PER_DENOMINATION - 1; // 1 023 999

function setup(seed = 1, count = 4) {
  const rng = seededRng(seed);
  const server = new RaidaServer(ID);
  const minted = mintTokens(rng, count);
  installTokens([server], minted);
  const tokens = minted.map((m) => tokenOn(m, ID));
  return { rng, server, minted, tokens };
}

const pownItem = (t: Token) => ({ ...t, pan: new Uint8Array(16).fill(7) });

describe('page range: 1000 pages × 1024 records per denomination -8..6 (db.h, db.c get_page_by_sn_lock)', () => {
  it('SNS_PER_DENOMINATION is 1 024 000; pageRecord knows the range and the uint16 page wrap', () => {
    expect(SNS_PER_DENOMINATION).toBe(1_024_000);
    expect(pageRecord(0, LAST_SN)).toBe(LAST_SN);
    expect(pageRecord(0, SNS_PER_DENOMINATION)).toBeNull();
    expect(pageRecord(6, 0)).toBe(0);
    expect(pageRecord(7, 0)).toBeNull();
    expect(pageRecord(-8, 1)).toBe(1);
    expect(pageRecord(-9, 1)).toBeNull();
    // page_no = (uint16_t)(sn / 1024): 65 536 pages later the numbering starts again.
    expect(pageRecord(0, 65_536 * 1024 + 5)).toBe(5);
    expect(pageRecord(0, 65_536 * 1024 + 1000 * 1024)).toBeNull();
  });

  it('detect and pown: a token past the range fails (242 alone, 243 beside a good token)', () => {
    const { server, tokens, rng } = setup();
    const past: Token = { den: 0, sn: SNS_PER_DENOMINATION, an: new Uint8Array(16) };
    expect(detect(server, [past], rng).status).toBe(Status.ALL_FAIL);
    expect(interpretGrades(detect(server, [tokens[0]!, past], rng), 2)).toMatchObject({
      status: Status.MIXED,
      pass: [true, false],
    });
    expect(pown(server, [pownItem(past)], rng).status).toBe(Status.ALL_FAIL);
  });

  it('get-ticket, find and fix answer 40 for the whole request when one SN is past the range', () => {
    const { server, tokens, rng } = setup();
    const past: Token = { den: 0, sn: SNS_PER_DENOMINATION, an: new Uint8Array(16) };
    expect(getTicket(server, [past], rng).status).toBe(Status.INVALID_SN_OR_DENOMINATION);
    expect(getTicket(server, [past, tokens[0]!], rng).status).toBe(Status.INVALID_SN_OR_DENOMINATION);
    expect(find(server, [pownItem(tokens[0]!), pownItem(past)], rng).status).toBe(
      Status.INVALID_SN_OR_DENOMINATION,
    );
    const fixOf = (coins: { den: number; sn: number }[]) =>
      fix(server, { coins, pg: rng(16), tickets: new Array<number>(25).fill(0) }, rng).status;
    expect(fixOf([{ den: 0, sn: SNS_PER_DENOMINATION }])).toBe(Status.INVALID_SN_OR_DENOMINATION);
    expect(fixOf([tokens[0]!, { den: 0, sn: 0xffff_ffff }])).toBe(Status.INVALID_SN_OR_DENOMINATION);
    // A denomination without page files behaves the same.
    expect(getTicket(server, [{ ...tokens[0]!, den: 7 }], rng).status).toBe(
      Status.INVALID_SN_OR_DENOMINATION,
    );
    expect(detect(server, [{ ...tokens[0]!, den: 7 }], rng).status).toBe(Status.ALL_FAIL);
  });

  it('the last SN in range is an ordinary never-installed token: 242, 208, fix without votes 242', () => {
    const { server, rng } = setup();
    const last: Token = { den: 0, sn: LAST_SN, an: new Uint8Array(16) };
    expect(getTicket(server, [last], rng).status).toBe(Status.ALL_FAIL);
    expect(find(server, [pownItem(last)], rng).status).toBe(Status.FIND_NEITHER);
    expect(detect(server, [last], rng).status).toBe(Status.ALL_FAIL);
    expect(
      fix(server, { coins: [last], pg: rng(16), tickets: new Array<number>(25).fill(0) }, rng).status,
    ).toBe(Status.ALL_FAIL);
  });

  it('get-ticket: a passing coin before the out-of-range one has already taken a ticket slot, which stays taken', () => {
    const { server, tokens, rng } = setup();
    expect(server.liveTickets(0)).toBe(0);
    const past: Token = { den: 0, sn: SNS_PER_DENOMINATION, an: new Uint8Array(16) };
    expect(getTicket(server, [tokens[0]!, past], rng).status).toBe(Status.INVALID_SN_OR_DENOMINATION);
    expect(server.liveTickets(0)).toBe(1);
  });

  it('an SN whose uint16 page number wraps reads the record of the small SN', () => {
    const { server, tokens, rng } = setup();
    const t = tokens[0]!;
    const alias: Token = { ...t, sn: 65_536 * 1024 + t.sn };
    expect(detect(server, [alias], rng).status).toBe(Status.ALL_PASS);
  });

  it('installToken refuses a token the C server has no record for (RaidaEncodeError, field sn)', () => {
    const s = new RaidaServer(0);
    const an = new Uint8Array(16);
    expect(() => s.installToken({ den: 0, sn: SNS_PER_DENOMINATION, an })).toThrow(
      expect.objectContaining({ name: 'RaidaEncodeError', field: 'sn' }),
    );
    expect(() => s.installToken({ den: 9, sn: 1, an })).toThrow(RaidaEncodeError);
    expect(s.getAn(0, SNS_PER_DENOMINATION)).toBeUndefined();
  });
});

describe('tickets never expire (raidax-server defines 300 s but never calls check_tickets)', () => {
  it('a ticket still validates a day later, and fix an hour later heals', () => {
    const rng = seededRng(21);
    const servers = createCluster({ rng });
    const minted = mintTokens(rng, 1, { den: 1, firstSn: 1000 });
    installTokens(servers, minted);
    const m = minted[0] as MintedToken;
    const s5 = servers[5]!;
    s5.installToken({ den: m.den, sn: m.sn, an: new Uint8Array(16).fill(0x55) });
    const tickets = new Array<number>(25).fill(0);
    for (const s of servers) {
      if (s.id === 5) continue;
      const r = interpretTicket(getTicket(s, [tokenOn(m, s.id)], rng, 0), 1);
      if (r.ok && r.ticket !== null) tickets[s.id] = r.ticket;
    }
    expect(servers[1]!.liveTickets(86_400_000)).toBe(1);
    const pg = rng(16);
    expect(fix(s5, { coins: [m], pg, tickets }, rng, 3_600_000).status).toBe(Status.ALL_PASS);
    expect(servers[2]!.validateTicket(9, tickets[2]!, 86_400_000)).toMatchObject({ ok: true });
  });
});

describe('receive buffer and reply sizes', () => {
  it('the compiled default buffer is 1024 bytes (config.h); config.toml raises it to 1440', () => {
    expect(COMPILED_DATAGRAM_BUFFER).toBe(1024);
    expect(DATAGRAM_BUDGET).toBe(1440);
    const { tokens, rng } = setup(2, 1);
    const many = new Array<Token>(50).fill(tokens[0]!); // 16 + 50 × 21 + 2 = 1068-byte body
    const req = buildRequest('detect', encodeDetectPayload(many), { raidaId: ID, echo: 1, rng });
    expect(req.bytes.length).toBeGreaterThan(1024);
    const small = new RaidaServer(ID, { receiveBuffer: COMPILED_DATAGRAM_BUFFER });
    small.installToken(tokens[0]!);
    expect(decodeResponse(small.handle(req.bytes)!).status).toBe(Status.INVALID_PACKET_LENGTH);
    const big = new RaidaServer(ID);
    big.installToken(tokens[0]!);
    expect(decodeResponse(big.handle(req.bytes)!).status).toBe(Status.ALL_PASS);
  });

  it('get-ticket 241 is 38 bytes (4-byte ticket + terminator); validate-ticket 250 is 32 + 5n + 2', () => {
    const { server, tokens, rng } = setup(3, 2);
    const req = buildRequest('getTicket', encodeGetTicketPayload(tokens), { raidaId: ID, echo: 2, rng });
    const reply = server.handle(req.bytes)!;
    expect(reply.length).toBe(38);
    const ticket = interpretTicket(decodeResponse(reply), 2);
    if (!ticket.ok || ticket.ticket === null) throw new Error('no ticket');
    const v = buildRequest(
      'validateTicket',
      encodeValidateTicketPayload({ raidaId: 1, ticket: ticket.ticket }),
      {
        raidaId: ID,
        echo: 3,
        rng,
      },
    );
    const vr = server.handle(v.bytes)!;
    expect(decodeResponse(vr).status).toBe(Status.SUCCESS);
    expect(vr.length).toBe(32 + 5 * 2 + 2); // 44
  });
});

/** A detect request for `server` with a chosen echo, as bytes we can edit. */
function detectBytes(tokens: readonly Token[], seed: number, echo: number) {
  const rng = seededRng(seed);
  const challenge = makeChallenge(rng);
  const bytes = encodeRequest({
    raidaId: ID,
    ...Command.detect,
    echo,
    nonce: rng(6),
    challenge,
    payload: encodeDetectPayload(tokens),
  });
  return { bytes, challenge };
}

/** `bytes` as a 48-byte-header request of encryption type `type` (header bytes 32-47 appended). */
function modernRequest(bytes: Uint8Array, type: number, fill: (b: Uint8Array) => void = () => {}) {
  const out = new Uint8Array(bytes.length + 16);
  out.set(bytes.subarray(0, 32), 0);
  out.set(bytes.subarray(32), 48);
  out[16] = type;
  fill(out);
  return out;
}

describe('encryption types other than 0, 1, 2 are answered in the 48-byte layout (protocol.c get_response_header)', () => {
  it('type 3: status 27, group and encryption type echoed, nothing else', () => {
    const { server, tokens } = setup();
    const req = modernRequest(detectBytes(tokens.slice(0, 1), 5, 0x0102).bytes, 3);
    const out = server.handle(req)!;
    expect(out.length).toBe(MODERN_RESPONSE_HEADER_SIZE);
    expect(decodeModernResponse(out)).toMatchObject({
      raidaId: ID,
      status: Status.INVALID_ENCRYPTION_CODE,
      group: 1,
      encryption: 3,
      bodySize: 0,
      keyDen: 0,
      keySn: 0,
      echo: 0,
    });
  });

  it('types 4 and 5 (refused here with 27): key den/SN of bytes 19-23 and the request bytes 46-47 come back', () => {
    const { server, tokens } = setup();
    for (const type of [4, 5]) {
      const req = modernRequest(detectBytes(tokens.slice(0, 1), 6, 1).bytes, type, (b) => {
        b[19] = 0xfe; // den -2
        writeU32(b, 20, 123_456);
        writeU16(b, 46, 0xbeef);
      });
      expect(decodeModernResponse(server.handle(req)!)).toMatchObject({
        status: Status.INVALID_ENCRYPTION_CODE,
        encryption: type,
        keyDen: -2,
        keySn: 123_456,
        echo: 0xbeef,
      });
    }
  });

  it('the 22 response nonce bytes come from the server rng when it has one', () => {
    const { tokens } = setup();
    const s = new RaidaServer(ID, { rng: seededRng(99) });
    const res = decodeModernResponse(s.handle(modernRequest(detectBytes(tokens, 7, 1).bytes, 3))!);
    expect(res.nonce).toEqual(seededRng(99)(22));
  });
});

describe('staleErrorReplies: error replies from the reused UDP slot (net.c get_udp_ci_from_pool)', () => {
  const stale = { staleErrorReplies: true };
  const dec = (b: Uint8Array | null) => decodeResponse(b!);

  it('a header error carries the previous request’s echo and challenge; length/terminator errors this echo with the previous challenge; a bad CRC its own', () => {
    const { server, tokens } = setup();
    const a = detectBytes(tokens.slice(0, 2), 11, 0x1111);
    expect(dec(server.handle(a.bytes, 0, stale))).toMatchObject({ status: 241, echo: 0x1111 });

    // B: wrong coin id → 7. Group (set before the coin check) is B's; echo and challenge are A's.
    const b = detectBytes(tokens.slice(0, 1), 12, 0x2222).bytes;
    b[4] = 2; // find (2/60): a real command, so the group check passes and the group is set
    b[5] = 60;
    b[7] = 9;
    const rb = dec(server.handle(b, 0, stale));
    expect(rb).toMatchObject({ status: 7, echo: 0x1111, group: 2 });
    expect(rb.signature).toEqual(a.challenge);

    // C: version 0 → 255: nothing of C is in the slot; the group is still B's.
    const c = detectBytes(tokens.slice(0, 1), 13, 0x3333).bytes;
    c[0] = 0;
    const rc = dec(server.handle(c, 0, stale));
    expect(rc).toMatchObject({ status: 255, echo: 0x1111, group: 2 });
    expect(rc.signature).toEqual(a.challenge);

    // D: bad terminator → 33: the header passed (echo, group are D's), the challenge was not copied.
    const d = detectBytes(tokens.slice(0, 1), 14, 0x4444).bytes;
    d[d.length - 1] = 0;
    const rd = dec(server.handle(d, 0, stale));
    expect(rd).toMatchObject({ status: 33, echo: 0x4444, group: 1 });
    expect(rd.signature).toEqual(a.challenge);

    // E: bad CRC → 37 carries E's own challenge (copied before the check) and echo.
    const e = detectBytes(tokens.slice(0, 1), 15, 0x5555);
    e.bytes[47] = (e.bytes[47] ?? 0) ^ 1;
    const re = dec(server.handle(e.bytes, 0, stale));
    expect(re).toMatchObject({ status: 37, echo: 0x5555 });
    expect(re.signature).toEqual(e.bytes.slice(32, 48));

    // F: wrong RAIDA id → 3 now carries E's echo and (bad) challenge.
    const f = detectBytes(tokens.slice(0, 1), 16, 0x6666).bytes;
    f[2] = ID + 1;
    const rf = dec(server.handle(f, 0, stale));
    expect(rf).toMatchObject({ status: 3, echo: 0x5555 });
    expect(rf.signature).toEqual(e.bytes.slice(32, 48));
  });

  it('without the behaviour the same sequence gets the idealised fresh slot: own echo, 16 zero bytes', () => {
    const { server, tokens } = setup();
    server.handle(detectBytes(tokens.slice(0, 2), 11, 0x1111).bytes);
    const b = detectBytes(tokens.slice(0, 1), 12, 0x2222).bytes;
    b[7] = 9;
    const rb = dec(server.handle(b));
    expect(rb).toMatchObject({ status: 7, echo: 0x2222 });
    expect(rb.signature).toEqual(new Uint8Array(16));
  });

  it('a slot that never served a request answers a header error with echo 0, group 0 and zeros', () => {
    const { server, tokens } = setup();
    const b = detectBytes(tokens.slice(0, 1), 12, 0x2222).bytes;
    b[0] = 9;
    const r = dec(server.handle(b, 0, stale));
    expect(r).toMatchObject({ status: 255, echo: 0, group: 0 });
    expect(r.signature).toEqual(new Uint8Array(16));
  });

  it('a request without a body is signed with the previous challenge', () => {
    const { server, tokens, rng } = setup();
    const a = detectBytes(tokens.slice(0, 1), 11, 0x1111);
    server.handle(a.bytes, 0, stale);
    const echo = buildRequest('echo', new Uint8Array(0), { raidaId: ID, echo: 5, rng }).bytes.slice(0, 32);
    echo[22] = 0;
    echo[23] = 0;
    const r = dec(server.handle(echo, 0, stale));
    expect(r).toMatchObject({ status: 250, echo: 5 });
    expect(r.signature).toEqual(a.challenge);
  });

  it('after a type-3 request the slot answers the next header error in the 48-byte layout', () => {
    const { server, tokens } = setup();
    server.handle(modernRequest(detectBytes(tokens, 7, 1).bytes, 3), 0, stale);
    const b = detectBytes(tokens.slice(0, 1), 12, 0x2222).bytes;
    b[1] = 1; // split id → 2, before the encryption type is read
    const out = server.handle(b, 0, stale)!;
    expect(out.length).toBe(MODERN_RESPONSE_HEADER_SIZE);
    expect(decodeModernResponse(out)).toMatchObject({ status: 2, encryption: 3 });
  });

  it('forced statuses (fault plan forceStatus) are answered from the level where the server emits them', () => {
    const { server, tokens } = setup();
    const a = detectBytes(tokens.slice(0, 1), 11, 0x1111);
    server.handle(a.bytes, 0, stale);
    const b = detectBytes(tokens.slice(0, 1), 12, 0x2222);
    // 7 (header): stale echo and challenge.
    const r7 = dec(server.forcedReply(b.bytes, 7, stale));
    expect(r7).toMatchObject({ status: 7, echo: 0x1111 });
    expect(r7.signature).toEqual(a.challenge);
    // 37 and command statuses: the request's own echo and challenge.
    for (const status of [37, 42, 160]) {
      const r = dec(server.forcedReply(b.bytes, status, stale));
      expect(r).toMatchObject({ status, echo: 0x2222 });
      expect(r.signature).toEqual(b.challenge);
    }
    // Without the behaviour: a forced header error is unsigned (zeros) with the request's echo.
    const d7 = dec(server.forcedReply(b.bytes, 7));
    expect(d7).toMatchObject({ status: 7, echo: 0x2222 });
    expect(d7.signature).toEqual(new Uint8Array(16));
    expect(server.forcedReply(b.bytes.subarray(0, 16), 7)).toBeNull();
  });

  it('server-to-server requests (fresh connection) do not touch the UDP slot; a crash with state loss zeroes it', () => {
    const { server, tokens } = setup();
    const a = detectBytes(tokens.slice(0, 1), 11, 0x1111);
    server.handle(a.bytes, 0, stale);
    server.handle(detectBytes(tokens.slice(0, 1), 12, 0x2222).bytes, 0, { freshConnection: true });
    const b = detectBytes(tokens.slice(0, 1), 13, 0x3333).bytes;
    b[7] = 9;
    expect(dec(server.handle(b, 0, stale)).signature).toEqual(a.challenge);
    server.loseVolatileState();
    expect(dec(server.handle(b, 0, stale))).toMatchObject({ echo: 0, signature: new Uint8Array(16) });
  });

  it('the slot follows every UDP request, so switching the behaviour on mid-run is stale at once', () => {
    const { server, tokens } = setup();
    const a = detectBytes(tokens.slice(0, 1), 11, 0x1111);
    server.handle(a.bytes); // behaviour off
    const b = detectBytes(tokens.slice(0, 1), 12, 0x2222).bytes;
    b[7] = 9;
    expect(dec(server.handle(b, 0, stale)).signature).toEqual(a.challenge);
  });

  it('a good request still gets its own echo and challenge under the behaviour', () => {
    const { server, tokens } = setup();
    server.handle(detectBytes(tokens.slice(0, 1), 11, 0x1111).bytes, 0, stale);
    const g = detectBytes(tokens, 12, 0x2222);
    const r = dec(server.handle(g.bytes, 0, stale));
    expect(r).toMatchObject({ status: 241, echo: 0x2222 });
    expect(r.signature).toEqual(g.challenge);
  });
});
