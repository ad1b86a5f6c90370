import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  aes128Ctr,
  buildRequest,
  Command,
  decodeResponse,
  encodeDetectPayload,
  encodeRequest,
  interpretFind,
  decodeModernResponse,
  interpretGrades,
  ivNonce,
  makeChallenge,
  RaidaDecodeError,
  SNS_PER_DENOMINATION,
  Status,
  writeU32,
  type Token,
} from '@fanout/raida';

import { installTokens, mintTokens, RaidaServer, tokenOn } from '../src/index.js';
import { call, detect, find, pown } from './helpers.js';
import { seededRng } from './rng.js';

const ID = 4;

function setup(seed = 1, count = 20) {
  const rng = seededRng(seed);
  const server = new RaidaServer(ID);
  const minted = mintTokens(rng, count);
  installTokens([server], minted);
  const tokens = minted.map((m) => tokenOn(m, ID));
  return { rng, server, minted, tokens };
}

const corrupt = (t: Token): Token => ({ ...t, an: t.an.map((b) => b ^ 0xff) });

/** A reply in the 32-byte layout, or else the 48-byte one (encryption types other than 0-2). */
function decodeEither(bytes: Uint8Array): { raidaId: number; status: number } {
  try {
    return decodeResponse(bytes);
  } catch (e) {
    if (!(e instanceof RaidaDecodeError)) throw e;
    return decodeModernResponse(bytes);
  }
}

/** A good detect request for `server`, as bytes we can mutate. */
function goodDetect(
  tokens: readonly Token[],
  seed = 7,
  echo = 0x0102,
): { bytes: Uint8Array; challenge: Uint8Array } {
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

describe('header and body validation (status per the reference table), then keeps serving', () => {
  const { server, tokens, rng } = setup();
  const base = goodDetect(tokens.slice(0, 2)).bytes;
  const mut = (f: (b: Uint8Array) => Uint8Array | void): Uint8Array => {
    const b = base.slice();
    return f(b) ?? b;
  };
  const set = (at: number, v: number) => mut((b) => void (b[at] = v));
  const cases: [string, Uint8Array, number][] = [
    ['version 0 → 255', set(0, 0), 255],
    ['split id 1 → 2', set(1, 1), 2],
    ['wrong RAIDA id → 3', set(2, ID + 1), 3],
    ['shard 4 → 4', set(3, 4), 4],
    ['group 16 → 5', set(4, 16), 5],
    ['unknown command 1/99 → 6', set(5, 99), 6],
    ['group 7 has no command 0 → 6', mut((b) => void ((b[4] = 7), (b[5] = 0))), 6],
    ['coin id 5 → 7', set(7, 5), 7],
    ['encryption type 2 (not implemented) → 27', set(16, 2), 27],
    ['body shorter than declared → 16', base.slice(0, base.length - 3), 16],
    ['bad terminator → 33', set(base.length - 2, 0), 33],
    ['bad CRC → 37', set(32 + 15, (base[32 + 15] ?? 0) ^ 1), 37],
    ['body length 1 → 16', mut((b) => void ((b[22] = 0), (b[23] = 1))), 16],
    [
      'detect payload of 20 bytes → 16',
      buildRequest('detect', new Uint8Array(20), { raidaId: ID, echo: 1, rng }).bytes,
      16,
    ],
    [
      'detect payload of 22 bytes → 39',
      buildRequest('detect', new Uint8Array(22), { raidaId: ID, echo: 1, rng }).bytes,
      39,
    ],
    ['detect without a body → 36', mut((b) => b.slice(0, 32).fill(0, 22, 24)), 36],
    // SN 0 has a record (an AN nobody knows): the body decrypts to garbage and its CRC fails.
    ['type 1 keyed by an unminted in-range token → 37', mut((b) => b.fill(0, 17, 22).fill(1, 16, 17)), 37],
    // SN 1 024 000 has no page file: get_page_by_sn_lock → NULL → ERROR_INVALID_ENCRYPTION.
    [
      'type 1 keyed by a token past the page range → 34',
      mut((b) => void (b.fill(0, 17, 22).fill(1, 16, 17), writeU32(b, 18, SNS_PER_DENOMINATION))),
      34,
    ],
  ];

  it.each(cases)('%s', (_label, bytes, status) => {
    const before = server.stats.byStatus[status] ?? 0;
    const out = server.handle(bytes);
    expect(out).not.toBeNull();
    const reply = out as Uint8Array;
    expect(reply.length).toBe(32);
    const res = decodeResponse(reply);
    expect(res.status).toBe(status);
    expect(res.raidaId).toBe(ID);
    expect(res.bodySize).toBe(0);
    expect(server.stats.byStatus[status]).toBe(before + 1);
    // still serving
    const ok = detect(server, tokens.slice(0, 3), rng);
    expect(ok.status).toBe(Status.ALL_PASS);
  });

  it('error replies copy the echo bytes of the request', () => {
    const res = decodeResponse(server.handle(set(7, 5)) as Uint8Array);
    expect(res.status).toBe(7);
    expect(res.echo).toBe(0x0102);
  });

  it('error reply signatures follow protocol.c: zeros before the challenge is read, the received challenge for a bad CRC', () => {
    const sig = (bytes: Uint8Array) => decodeResponse(server.handle(bytes) as Uint8Array).signature;
    const zero = new Uint8Array(16);
    expect(sig(set(2, ID + 1))).toEqual(zero); // 3: header error
    expect(sig(set(7, 5))).toEqual(zero); // 7: header error
    expect(sig(base.slice(0, base.length - 3))).toEqual(zero); // 16: length
    expect(sig(set(base.length - 2, 0))).toEqual(zero); // 33: terminator (checked before the copy)
    const badCrc = set(32 + 15, (base[32 + 15] ?? 0) ^ 1);
    expect(sig(badCrc)).toEqual(badCrc.slice(32, 48)); // 37: challenge_hash already copied
  });

  it('drops datagrams too short to carry a header (net.c): < 17 bytes, or < 48 for an unknown encryption type', () => {
    const before = server.stats.dropped;
    expect(server.handle(new Uint8Array(0))).toBeNull();
    expect(server.handle(base.subarray(0, 16))).toBeNull();
    expect(server.handle(base.subarray(0, 31))).toBeNull();
    const type3 = base.slice(0, 40);
    type3[16] = 3;
    expect(server.handle(type3)).toBeNull();
    expect(server.stats.dropped).toBe(before + 4);
    expect(detect(server, tokens.slice(0, 1), rng).status).toBe(Status.ALL_PASS);
  });

  it('a request longer than the 1440-byte receive buffer is truncated and answered 16', () => {
    const big = buildRequest('detect', encodeDetectPayload(new Array<Token>(67).fill(tokens[0] as Token)), {
      raidaId: ID,
      echo: 1,
      rng,
    });
    expect(big.bytes.length).toBeGreaterThan(1440);
    expect(decodeResponse(server.handle(big.bytes) as Uint8Array).status).toBe(16);
    const fits = buildRequest('detect', encodeDetectPayload(new Array<Token>(66).fill(tokens[0] as Token)), {
      raidaId: ID,
      echo: 1,
      rng,
    });
    expect(decodeResponse(server.handle(fits.bytes) as Uint8Array).status).toBe(241);
  });

  it('echo with no body at all still answers 250', () => {
    const b = buildRequest('echo', new Uint8Array(0), { raidaId: ID, echo: 5, rng }).bytes.slice(0, 32);
    b[22] = 0;
    b[23] = 0;
    const res = decodeResponse(server.handle(b) as Uint8Array);
    expect(res.status).toBe(250);
  });

  it('random garbage never throws; the server answers or drops, then still serves', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
              minLength: 1,
              maxLength: 5,
            })
            .map((muts) => {
              const b = base.slice();
              for (const [i, v] of muts) b[i] = v;
              return b;
            }),
        ),
        (garbage) => {
          const out = server.handle(garbage);
          if (out !== null) expect(decodeEither(out).raidaId).toBe(ID);
        },
      ),
      { numRuns: 300 },
    );
    expect(detect(server, tokens.slice(0, 2), rng).status).toBe(Status.ALL_PASS);
  });
});

describe('commands', () => {
  it('echo → 250, exactly 32 bytes, signature = the challenge', () => {
    const { server, rng } = setup();
    const req = buildRequest('echo', new Uint8Array(0), { raidaId: ID, echo: 0xabcd, rng });
    const out = server.handle(req.bytes) as Uint8Array;
    expect(out.length).toBe(32);
    const res = decodeResponse(out);
    expect(res).toMatchObject({
      status: 250,
      raidaId: ID,
      echo: 0xabcd,
      group: 0,
      frameCount: 1,
      bodySize: 0,
    });
    expect(res.signature).toEqual(req.challenge);
  });

  it('detect: 241 all pass, 242 all fail, unknown SN fails', () => {
    const { server, tokens, rng } = setup();
    expect(detect(server, tokens, rng).status).toBe(241);
    expect(detect(server, tokens.map(corrupt), rng).status).toBe(242);
    const unknown = { den: 0, sn: 99_999, an: new Uint8Array(16) };
    const res = detect(server, [tokens[0] as Token, unknown], rng);
    expect(interpretGrades(res, 2)).toEqual({ ok: true, status: 243, pass: [true, false] });
  });

  it('detect 243 bitfield is right for N = 1, 8, 9, 17 and random patterns', () => {
    const { server, tokens, rng } = setup(3, 20);
    for (const n of [1, 8, 9, 17]) {
      // fail exactly the last token
      const pick = tokens.slice(0, n).map((t, i) => (i === n - 1 ? corrupt(t) : t));
      const g = interpretGrades(detect(server, pick, rng), n);
      expect(g).toEqual({ ok: true, status: n === 1 ? 242 : 243, pass: pick.map((_t, i) => i !== n - 1) });
    }
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), (want) => {
        const pick = want.map((p, i) => (p ? (tokens[i] as Token) : corrupt(tokens[i] as Token)));
        const res = detect(server, pick, rng);
        const status = want.every(Boolean) ? 241 : want.some(Boolean) ? 243 : 242;
        expect(res.status).toBe(status);
        expect(res.body.length).toBe(status === 243 ? Math.ceil(want.length / 8) : 0);
        expect(interpretGrades(res, want.length)).toEqual({ ok: true, status, pass: want });
      }),
      { numRuns: 60 },
    );
  });

  it('pown sets AN := PAN and is not idempotent (resend → 242); find tells AN from PAN', () => {
    const { server, tokens, rng } = setup();
    const items = tokens.slice(0, 3).map((t, i) => ({ ...t, pan: new Uint8Array(16).fill(i + 1) }));
    expect(interpretFind(find(server, items, rng), 3)).toMatchObject({
      status: 209,
      found: ['an', 'an', 'an'],
    });
    expect(pown(server, items, rng).status).toBe(241);
    expect(server.getAn(items[0]?.den ?? 0, items[0]?.sn ?? 0)).toEqual(new Uint8Array(16).fill(1));
    // the lost-reply retry: same request again now fails everywhere
    expect(pown(server, items, rng).status).toBe(242);
    expect(detect(server, items, rng).status).toBe(242);
    expect(
      detect(
        server,
        items.map((t) => ({ ...t, an: t.pan })),
        rng,
      ).status,
    ).toBe(241);
    // find resolves the limbo: the RAIDA holds the PAN
    expect(interpretFind(find(server, items, rng), 3)).toMatchObject({
      status: 210,
      found: ['pan', 'pan', 'pan'],
    });
    const junk = items.map((t) => ({
      ...t,
      an: new Uint8Array(16).fill(0xee),
      pan: new Uint8Array(16).fill(0xdd),
    }));
    expect(find(server, junk, rng).status).toBe(208);
    const mixed = [items[0], { ...(tokens[5] as Token), pan: new Uint8Array(16) }, junk[2]] as typeof items;
    const res = find(server, mixed, rng);
    expect(res.status).toBe(211);
    expect([...res.body]).toEqual([2, 1, 0]);
    expect(interpretFind(res, 3)).toMatchObject({ found: ['pan', 'an', 'neither'] });
  });

  it('pown 243: only the matching tokens change', () => {
    const { server, tokens, rng } = setup();
    const items = [
      { ...(tokens[0] as Token), pan: new Uint8Array(16).fill(9) },
      { ...corrupt(tokens[1] as Token), pan: new Uint8Array(16).fill(8) },
    ];
    expect(interpretGrades(pown(server, items, rng), 2)).toEqual({
      ok: true,
      status: 243,
      pass: [true, false],
    });
    expect(server.getAn(0, tokens[0]?.sn ?? 0)).toEqual(new Uint8Array(16).fill(9));
    expect(server.getAn(0, tokens[1]?.sn ?? 0)).toEqual(tokens[1]?.an);
  });

  it('encryption type 1: keyed by a token AN, reply body encrypted the same way; fracked key → 37', () => {
    const { server, tokens, rng } = setup();
    const key = tokens[0] as Token;
    const pick = [tokens[1] as Token, corrupt(tokens[2] as Token)];
    const req = buildRequest('detect', encodeDetectPayload(pick), {
      raidaId: ID,
      echo: 3,
      rng,
      encryption: 1,
      key,
    });
    const res = decodeResponse(server.handle(req.bytes) as Uint8Array);
    expect(res.status).toBe(243);
    expect(res.signature).toEqual(req.signature);
    // the body is encrypted: decrypt with the key AN and nonce ‖ echo
    expect(res.body.length).toBe(1);
    expect(res.body[0]).not.toBe(0b01);
    expect(aes128Ctr(key.an, ivNonce(req.nonce, 3), res.body)).toEqual(Uint8Array.of(0b01));
    // key token fracked on this RAIDA → CRC of the decrypted challenge fails → 37
    const stale = buildRequest('detect', encodeDetectPayload(pick), {
      raidaId: ID,
      echo: 3,
      rng,
      encryption: 1,
      key: corrupt(key),
    });
    expect(decodeResponse(server.handle(stale.bytes) as Uint8Array).status).toBe(37);
    // switched off → 27
    const plain = new RaidaServer(ID, { acceptEncryption1: false });
    plain.installToken(key);
    expect(decodeResponse(plain.handle(req.bytes) as Uint8Array).status).toBe(27);
  });

  it('counters: requests, answered, dropped, errors, by status and command', () => {
    const { server, tokens, rng } = setup();
    detect(server, tokens.slice(0, 2), rng);
    detect(server, tokens.slice(0, 2).map(corrupt), rng);
    server.handle(new Uint8Array(5));
    const bad = goodDetect(tokens.slice(0, 1)).bytes;
    bad[7] = 1;
    server.handle(bad);
    call(server, 'echo', new Uint8Array(0), rng);
    expect(server.stats).toEqual({
      requests: 5,
      answered: 4,
      dropped: 1,
      errors: 1,
      byStatus: { 241: 1, 242: 1, 7: 1, 250: 1 },
      byCommand: { detect: 2, echo: 1 },
    });
    server.resetStats();
    expect(server.stats.requests).toBe(0);
  });

  it('execution time comes from the option (no clock)', () => {
    const { tokens, rng } = setup();
    const s = new RaidaServer(ID, { execMicros: (g, c) => g * 1000 + c });
    s.installToken(tokens[0] as Token);
    expect(detect(s, [tokens[0] as Token], rng).execMicros).toBe(1010);
  });

  it('rejects a bad id at construction', () => {
    expect(() => new RaidaServer(25)).toThrow(
      expect.objectContaining({ name: 'RaidaEncodeError', field: 'id' }),
    );
  });
});
