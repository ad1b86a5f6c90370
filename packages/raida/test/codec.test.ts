import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  aes128Ctr,
  batchTokens,
  buildRequest,
  challengeValid,
  Command,
  crc32Of,
  decodeDetectPayload,
  decodeFindPayload,
  decodeFixPayload,
  decodeGetTicketPayload,
  decodePownPayload,
  decodeRequest,
  decodeResponse,
  decodeValidateTicketPayload,
  encodeDetectPayload,
  encodeFindPayload,
  encodeFixPayload,
  encodeGetTicketPayload,
  encodePownPayload,
  encodeRequest,
  encodeResponse,
  encodeValidateTicketPayload,
  fixAn,
  makeChallenge,
  maxTokensPerDatagram,
  RaidaDecodeError,
  RaidaEncodeError,
  requestSize,
  statusForRequestError,
  type CommandName,
  type RequestSpec,
} from '../src/index.js';
import { hex, seededRng } from './rng.js';

const tokenArb = fc.record({
  den: fc.integer({ min: -128, max: 127 }),
  sn: fc.integer({ min: 0, max: 0xffff_ffff }),
  an: fc.uint8Array({ minLength: 16, maxLength: 16 }),
});
const pownArb = fc.record({
  den: fc.integer({ min: -128, max: 127 }),
  sn: fc.integer({ min: 0, max: 0xffff_ffff }),
  an: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  pan: fc.uint8Array({ minLength: 16, maxLength: 16 }),
});
const coinArb = fc.record({
  den: fc.integer({ min: -128, max: 127 }),
  sn: fc.integer({ min: 0, max: 0xffff_ffff }),
});
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** A full request spec for `name` with a valid challenge. */
function spec(
  name: CommandName,
  payload: Uint8Array,
  raidaId: number,
  echo: number,
  seed: number,
): RequestSpec {
  const rng = seededRng(seed);
  return { raidaId, ...Command[name], echo, nonce: rng(6), challenge: makeChallenge(rng), payload };
}

describe('constants and batching', () => {
  it('fits 66 detect / 37 pown tokens in 1440 bytes, and not one more', () => {
    expect(maxTokensPerDatagram('detect')).toBe(66);
    expect(maxTokensPerDatagram('getTicket')).toBe(66);
    expect(maxTokensPerDatagram('pown')).toBe(37);
    expect(maxTokensPerDatagram('find')).toBe(37);
    expect(maxTokensPerDatagram('fix')).toBe(254);
    for (const c of ['detect', 'pown', 'getTicket', 'find', 'fix'] as const) {
      const n = maxTokensPerDatagram(c);
      expect(requestSize(c, n)).toBeLessThanOrEqual(1440);
      expect(requestSize(c, n + 1)).toBeGreaterThan(1440);
    }
    expect(() => maxTokensPerDatagram('echo')).toThrow(RaidaEncodeError);
    expect(() => maxTokensPerDatagram('detect', 60)).toThrow(RaidaEncodeError);
  });

  it('batches preserve order and every detect batch encodes within the budget', () => {
    fc.assert(
      fc.property(fc.array(tokenArb, { maxLength: 200 }), (tokens) => {
        const batches = batchTokens(tokens, 'detect');
        expect(batches.flat()).toEqual(tokens);
        expect(batches.length).toBe(Math.ceil(tokens.length / 66));
        for (const b of batches) {
          expect(b.length).toBeGreaterThan(0);
          const req = encodeRequest(spec('detect', encodeDetectPayload(b), 0, 0, 1));
          expect(req.length).toBeLessThanOrEqual(1440);
          expect(req.length).toBe(requestSize('detect', b.length));
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('challenge, CRC, MD5, AES', () => {
  it('CRC32 is the IEEE one (check value of "123456789")', () => {
    expect(crc32Of(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('challenge = 12 rng bytes + big-endian CRC32; any flipped byte breaks it', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 255 }),
        (seed, at, x) => {
          const c = makeChallenge(seededRng(seed));
          expect(c.length).toBe(16);
          expect(challengeValid(c)).toBe(true);
          const crc = crc32Of(c.subarray(0, 12));
          expect([...c.subarray(12)]).toEqual([
            crc >>> 24,
            (crc >>> 16) & 0xff,
            (crc >>> 8) & 0xff,
            crc & 0xff,
          ]);
          const bad = c.slice();
          bad[at] = (bad[at] ?? 0) ^ x;
          expect(challengeValid(bad)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('fix AN = MD5(raida_id ‖ den ‖ SN_BE32 ‖ PG) (vector from Python hashlib)', () => {
    const pg = Uint8Array.from({ length: 16 }, (_v, i) => i);
    expect(fixAn(7, -2, 0x01020304, pg)).toEqual(hex('0aabf6454590f7a0cb829b571dfbadfc'));
    expect(fixAn(8, -2, 0x01020304, pg)).not.toEqual(hex('0aabf6454590f7a0cb829b571dfbadfc'));
    expect(() => fixAn(25, 0, 1, pg)).toThrow(RaidaEncodeError);
    expect(() => fixAn(0, 0, 1, new Uint8Array(15))).toThrow(/pg/);
  });

  it('AES-128-CTR with IV = nonce8 ‖ 0^8 (vector from openssl enc -aes-128-ctr)', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const nonce = hex('a1a2a3a4a5a6a7a8');
    const pt = Uint8Array.from({ length: 36 }, (_v, i) => i);
    const ct = hex('3091b9b50aefe06e703da9b060db92a039c4f96b757f4964be04df8b6a2d3edca257c15c');
    expect(aes128Ctr(key, nonce, pt)).toEqual(ct);
    expect(aes128Ctr(key, nonce, ct)).toEqual(pt);
  });
});

describe('request header', () => {
  it('lays out the 32 bytes exactly per the reference table', () => {
    const challenge = makeChallenge(seededRng(9));
    const payload = encodeDetectPayload([{ den: -1, sn: 0xdeadbeef, an: new Uint8Array(16).fill(0xaa) }]);
    const b = encodeRequest({
      raidaId: 17,
      group: 1,
      command: 10,
      echo: 0xbeef,
      nonce: hex('010203040506'),
      challenge,
      payload,
    });
    expect(b.length).toBe(32 + 16 + 21 + 2);
    expect([...b.subarray(0, 8)]).toEqual([1, 0, 17, 0, 1, 10, 0, 6]);
    expect(b[16]).toBe(0);
    expect((b[22] ?? 0) * 256 + (b[23] ?? 0)).toBe(16 + 21 + 2);
    expect([...b.subarray(24, 30)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...b.subarray(30, 32)]).toEqual([0xbe, 0xef]);
    expect(b.subarray(32, 48)).toEqual(challenge);
    expect([...b.subarray(48, 53)]).toEqual([0xff, 0xde, 0xad, 0xbe, 0xef]);
    expect([...b.subarray(b.length - 2)]).toEqual([0x3e, 0x3e]);
  });

  it('refuses values that do not fit, naming the field', () => {
    const base = spec('echo', new Uint8Array(0), 0, 0, 1);
    expect(() => encodeRequest({ ...base, echo: 0x10000 })).toThrow(
      expect.objectContaining({ name: 'RaidaEncodeError', field: 'echo' }),
    );
    expect(() => encodeRequest({ ...base, nonce: new Uint8Array(5) })).toThrow(
      expect.objectContaining({ field: 'nonce' }),
    );
    expect(() => encodeRequest({ ...base, challenge: new Uint8Array(12) })).toThrow(
      expect.objectContaining({ field: 'challenge' }),
    );
    expect(() => encodeRequest({ ...base, encryption: 1 })).toThrow(
      expect.objectContaining({ field: 'key' }),
    );
    expect(() => encodeDetectPayload([{ den: 200, sn: 1, an: new Uint8Array(16) }])).toThrow(
      expect.objectContaining({ field: 'tokens[0].den' }),
    );
    expect(() => encodeFixPayload({ coins: [], pg: new Uint8Array(16), tickets: [1, 2] })).toThrow(
      expect.objectContaining({ field: 'tickets' }),
    );
  });
});

describe('round trips (encode → decode) for every command', () => {
  const roundTrip = (name: CommandName, payload: Uint8Array, raidaId: number, echo: number, seed: number) => {
    const s = spec(name, payload, raidaId, echo, seed);
    const d = decodeRequest(encodeRequest(s), { raidaId });
    expect(d.header).toMatchObject({
      version: 1,
      splitId: 0,
      raidaId,
      shard: 0,
      ...Command[name],
      coinId: 6,
      encryption: 0,
      echo,
    });
    expect(d.header.nonce).toEqual(s.nonce);
    expect(d.header.bodyLength).toBe(16 + payload.length + 2);
    expect(d.challenge).toEqual(s.challenge);
    expect(d.signature).toEqual(s.challenge);
    expect(d.payload).toEqual(payload);
    return d.payload;
  };
  const common = [
    fc.integer({ min: 0, max: 24 }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer(),
  ] as const;

  it('echo', () => {
    fc.assert(
      fc.property(
        ...common,
        (r, e, seed) => void expect(roundTrip('echo', new Uint8Array(0), r, e, seed).length).toBe(0),
      ),
      { numRuns: 50 },
    );
  });
  it('detect', () => {
    fc.assert(
      fc.property(fc.array(tokenArb, { minLength: 1, maxLength: 66 }), ...common, (tokens, r, e, seed) => {
        expect(decodeDetectPayload(roundTrip('detect', encodeDetectPayload(tokens), r, e, seed))).toEqual(
          tokens,
        );
      }),
      { numRuns: 60 },
    );
  });
  it('pown', () => {
    fc.assert(
      fc.property(fc.array(pownArb, { minLength: 1, maxLength: 37 }), ...common, (items, r, e, seed) => {
        expect(decodePownPayload(roundTrip('pown', encodePownPayload(items), r, e, seed))).toEqual(items);
      }),
      { numRuns: 60 },
    );
  });
  it('get-ticket', () => {
    fc.assert(
      fc.property(fc.array(tokenArb, { minLength: 1, maxLength: 66 }), ...common, (tokens, r, e, seed) => {
        expect(
          decodeGetTicketPayload(roundTrip('getTicket', encodeGetTicketPayload(tokens), r, e, seed)),
        ).toEqual(tokens);
      }),
      { numRuns: 60 },
    );
  });
  it('find', () => {
    fc.assert(
      fc.property(fc.array(pownArb, { minLength: 1, maxLength: 37 }), ...common, (items, r, e, seed) => {
        expect(decodeFindPayload(roundTrip('find', encodeFindPayload(items), r, e, seed))).toEqual(items);
      }),
      { numRuns: 60 },
    );
  });
  it('fix', () => {
    const fixArb = fc.record({
      coins: fc.array(coinArb, { minLength: 1, maxLength: 50 }),
      pg: bytes(16),
      tickets: fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: 25, maxLength: 25 }),
    });
    fc.assert(
      fc.property(fixArb, ...common, (fix, r, e, seed) => {
        expect(decodeFixPayload(roundTrip('fix', encodeFixPayload(fix), r, e, seed))).toEqual(fix);
      }),
      { numRuns: 60 },
    );
  });
  it('validate-ticket', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        ...common,
        (raidaId, ticket, r, e, seed) => {
          const p = roundTrip('validateTicket', encodeValidateTicketPayload({ raidaId, ticket }), r, e, seed);
          expect(decodeValidateTicketPayload(p)).toEqual({ raidaId, ticket });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('encryption type 1: body encrypted with the key AN, decoded with the same key; signature = challenge ⊕ AN', () => {
    fc.assert(
      fc.property(
        fc.array(tokenArb, { minLength: 1, maxLength: 20 }),
        tokenArb,
        fc.integer(),
        (tokens, key, seed) => {
          const payload = encodeDetectPayload(tokens);
          const built = buildRequest('detect', payload, {
            raidaId: 3,
            echo: 77,
            rng: seededRng(seed),
            encryption: 1,
            key,
          });
          // the wire does not show the plaintext payload
          expect(built.bytes.subarray(48, 48 + payload.length)).not.toEqual(payload);
          const d = decodeRequest(built.bytes, {
            raidaId: 3,
            keyLookup: (den, sn) => (den === key.den && sn === key.sn ? key.an : undefined),
          });
          expect(d.payload).toEqual(payload);
          expect(d.signature).toEqual(built.signature);
          expect(d.signature).toEqual(Uint8Array.from(built.challenge, (c, i) => c ^ (key.an[i] ?? 0)));
          expect(d.key).toEqual(key.an);
        },
      ),
      { numRuns: 40 },
    );
    const key = { den: 1, sn: 5, an: new Uint8Array(16).fill(1) };
    const built = buildRequest('echo', new Uint8Array(0), {
      raidaId: 0,
      echo: 1,
      rng: seededRng(1),
      encryption: 1,
      key,
    });
    const wrong = new Uint8Array(16).fill(2);
    expect(() => decodeRequest(built.bytes, { keyLookup: () => wrong })).toThrow(
      expect.objectContaining({ field: 'crc' }),
    );
    expect(() => decodeRequest(built.bytes, { keyLookup: () => undefined })).toThrow(
      expect.objectContaining({ field: 'encryptionKey' }),
    );
    expect(() => decodeRequest(built.bytes)).toThrow(expect.objectContaining({ field: 'encryption' }));
  });
});

describe('request decode errors name the field, and map to the server status', () => {
  const good = () =>
    encodeRequest(
      spec('detect', encodeDetectPayload([{ den: 0, sn: 1, an: new Uint8Array(16) }]), 4, 0x1234, 5),
    );
  const withByte = (at: number, v: number) => {
    const b = good();
    b[at] = v;
    return b;
  };
  const cases: [string, Uint8Array, string, number | null][] = [
    ['16 bytes', good().subarray(0, 16), 'header', null],
    ['31 bytes', good().subarray(0, 31), 'header', null],
    ['version 0', withByte(0, 0), 'version', 255],
    ['split 1', withByte(1, 1), 'splitId', 2],
    ['RAIDA id 5 at RAIDA 4', withByte(2, 5), 'raidaId', 3],
    ['group 16', withByte(4, 16), 'group', 5],
    ['shard 4', withByte(3, 4), 'shard', 4],
    ['command 1/99', withByte(5, 99), 'command', 6],
    ['coin id 7', withByte(7, 7), 'coinId', 7],
    ['encryption 2', withByte(16, 2), 'encryption', 27],
    ['encryption 1 without key lookup', withByte(16, 1), 'encryption', 27],
    ['body shorter than declared', good().subarray(0, good().length - 1), 'bodyLength', 16],
    ['bad terminator', withByte(good().length - 1, 0x3f), 'terminator', 33],
    ['bad CRC', withByte(32 + 3, 0), 'crc', 37],
  ];
  it.each(cases)('%s', (_label, b, field, status) => {
    let err: unknown;
    try {
      decodeRequest(b, { raidaId: 4 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RaidaDecodeError);
    const e = err as RaidaDecodeError;
    expect(e.name).toBe('RaidaDecodeError');
    expect(e.field).toBe(field);
    expect(e.message).toContain(field);
    expect(statusForRequestError(e)).toBe(status);
  });

  it('the good request itself decodes', () => {
    expect(decodeRequest(good(), { raidaId: 4 }).header.echo).toBe(0x1234);
  });

  it('checks in the server order (version before RAIDA id, group before shard)', () => {
    const b = good();
    b[0] = 9;
    b[2] = 9;
    expect(() => decodeRequest(b, { raidaId: 4 })).toThrow(expect.objectContaining({ field: 'version' }));
    const c = good();
    c[3] = 9;
    c[4] = 99;
    expect(() => decodeRequest(c, { raidaId: 4 })).toThrow(expect.objectContaining({ field: 'group' }));
  });

  it('payload decoders: too short → payload (16), not divisible → payloadCount (39), empty → body (36)', () => {
    const probe = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof RaidaDecodeError ? [e.field, statusForRequestError(e)] : ['other', null];
      }
      return ['none', null];
    };
    expect(probe(() => decodeDetectPayload(new Uint8Array(20)))).toEqual(['payload', 16]);
    expect(probe(() => decodeDetectPayload(new Uint8Array(22)))).toEqual(['payloadCount', 39]);
    expect(probe(() => decodeDetectPayload(new Uint8Array(0)))).toEqual(['body', 36]);
    expect(probe(() => decodePownPayload(new Uint8Array(36)))).toEqual(['payload', 16]);
    expect(probe(() => decodePownPayload(new Uint8Array(38)))).toEqual(['payloadCount', 39]);
    expect(probe(() => decodeFixPayload(new Uint8Array(120)))).toEqual(['payload', 16]);
    expect(probe(() => decodeFixPayload(new Uint8Array(122)))).toEqual(['payloadCount', 39]);
    expect(probe(() => decodeValidateTicketPayload(new Uint8Array(6)))).toEqual(['payload', 16]);
    expect(probe(() => decodeValidateTicketPayload(Uint8Array.of(25, 0, 0, 0, 1)))).toEqual([
      'ticketRaidaId',
      18,
    ]);
    expect(probe(() => decodeDetectPayload(new Uint8Array(42)))).toEqual(['none', null]);
  });

  it('arbitrary bytes either decode or throw RaidaDecodeError, never anything else', () => {
    const seedReq = good();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          // mostly-valid requests with a few bytes changed reach the deeper checks
          fc
            .array(fc.tuple(fc.nat({ max: seedReq.length - 1 }), fc.integer({ min: 0, max: 255 })), {
              maxLength: 4,
            })
            .map((muts) => {
              const b = seedReq.slice();
              for (const [i, v] of muts) b[i] = v;
              return b;
            }),
        ),
        (b) => {
          try {
            decodeRequest(b);
          } catch (e) {
            expect(e).toBeInstanceOf(RaidaDecodeError);
          }
          try {
            decodeResponse(b);
          } catch (e) {
            expect(e).toBeInstanceOf(RaidaDecodeError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('responses', () => {
  const respArb = fc.record({
    raidaId: fc.integer({ min: 0, max: 24 }),
    shard: fc.integer({ min: 0, max: 3 }),
    status: fc.integer({ min: 0, max: 255 }),
    group: fc.integer({ min: 0, max: 15 }),
    echo: fc.integer({ min: 0, max: 0xffff }),
    execMicros: fc.integer({ min: 0, max: 0xffff_ffff }),
    signature: bytes(16),
    body: fc.uint8Array({ maxLength: 80 }),
  });

  it('round-trips; no body means exactly 32 bytes; body size counts the terminator', () => {
    fc.assert(
      fc.property(respArb, (s) => {
        const b = encodeResponse(s);
        expect(b.length).toBe(s.body.length === 0 ? 32 : 32 + s.body.length + 2);
        const d = decodeResponse(b);
        expect(d).toEqual({ ...s, frameCount: 1, bodySize: s.body.length === 0 ? 0 : s.body.length + 2 });
        expect((b[9] ?? 0) * 65536 + (b[10] ?? 0) * 256 + (b[11] ?? 0)).toBe(d.bodySize);
      }),
      { numRuns: 100 },
    );
  });

  it('decode errors name the field', () => {
    const withBody = encodeResponse({
      raidaId: 1,
      status: 243,
      group: 1,
      echo: 2,
      signature: new Uint8Array(16),
      body: Uint8Array.of(5),
    });
    const field = (b: Uint8Array) => {
      try {
        decodeResponse(b);
        return 'none';
      } catch (e) {
        return (e as RaidaDecodeError).field;
      }
    };
    expect(field(withBody)).toBe('none');
    expect(field(withBody.subarray(0, 31))).toBe('response.header');
    expect(field(withBody.subarray(0, 34))).toBe('response.bodySize');
    const badTerm = withBody.slice();
    badTerm[34] = 0;
    expect(field(badTerm)).toBe('response.terminator');
    const extra = new Uint8Array(withBody.length + 1);
    extra.set(withBody);
    expect(field(extra)).toBe('response.length');
    const tiny = withBody.slice(0, 34);
    tiny[11] = 2;
    expect(field(tiny)).toBe('response.bodySize');
  });
});
