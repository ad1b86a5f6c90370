import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  decodeBitfield,
  decodeResponse,
  encodeBitfield,
  encodeFindResults,
  encodeResponse,
  interpretFind,
  interpretGrades,
  interpretTicket,
  interpretValidateTicket,
  encodeCoinList,
  RaidaDecodeError,
  type FindResult,
} from '../src/index.js';

const reply = (status: number, body?: Uint8Array) =>
  decodeResponse(
    encodeResponse({ raidaId: 2, status, group: 1, echo: 9, signature: new Uint8Array(16), body }),
  );

describe('MIXED bitfield (LSB-first, 1 = pass)', () => {
  it('N = 1', () => {
    expect([...encodeBitfield([true])]).toEqual([0x01]);
    expect(decodeBitfield(Uint8Array.of(0x01), 1)).toEqual([true]);
    expect(decodeBitfield(Uint8Array.of(0x00), 1)).toEqual([false]);
  });
  it('N = 8 fits one byte; token 7 is the top bit', () => {
    const pass = [false, false, false, false, false, false, false, true];
    expect([...encodeBitfield(pass)]).toEqual([0x80]);
    expect(decodeBitfield(Uint8Array.of(0x80), 8)).toEqual(pass);
    expect([...encodeBitfield(new Array<boolean>(8).fill(true))]).toEqual([0xff]);
  });
  it('N = 9 needs a second byte; token 8 is its low bit', () => {
    const pass = new Array<boolean>(9).fill(false);
    pass[8] = true;
    pass[0] = true;
    expect([...encodeBitfield(pass)]).toEqual([0x01, 0x01]);
    expect(decodeBitfield(Uint8Array.of(0x01, 0x01), 9)).toEqual(pass);
  });
  it('N = 17 needs three bytes', () => {
    const pass = Array.from({ length: 17 }, (_v, i) => i === 3 || i === 9 || i === 16);
    expect([...encodeBitfield(pass)]).toEqual([0x08, 0x02, 0x01]);
    expect(decodeBitfield(Uint8Array.of(0x08, 0x02, 0x01), 17)).toEqual(pass);
  });
  it('round-trips any N and rejects a wrong byte count', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 100 }), (pass) => {
        const b = encodeBitfield(pass);
        expect(b.length).toBe(Math.ceil(pass.length / 8));
        expect(decodeBitfield(b, pass.length)).toEqual(pass);
        pass.forEach((p, i) => expect(((b[i >> 3] ?? 0) & (1 << (i & 7))) !== 0).toBe(p));
      }),
      { numRuns: 100 },
    );
    expect(() => decodeBitfield(new Uint8Array(2), 17)).toThrow(
      expect.objectContaining({ field: 'response.body' }),
    );
  });
});

describe('interpreters', () => {
  it('grades: 241 / 242 / 243 + bitfield; error statuses are not ok', () => {
    expect(interpretGrades(reply(241), 3)).toEqual({ ok: true, status: 241, pass: [true, true, true] });
    expect(interpretGrades(reply(242), 2)).toEqual({ ok: true, status: 242, pass: [false, false] });
    expect(interpretGrades(reply(243, Uint8Array.of(0b101, 0)), 9)).toEqual({
      ok: true,
      status: 243,
      pass: [true, false, true, false, false, false, false, false, false],
    });
    expect(interpretGrades(reply(39), 2)).toEqual({ ok: false, status: 39 });
    expect(() => interpretGrades(reply(243, Uint8Array.of(1)), 9)).toThrow(RaidaDecodeError);
    expect(() => interpretGrades(reply(241, Uint8Array.of(1)), 1)).toThrow(
      expect.objectContaining({ field: 'response.body' }),
    );
  });

  it('get-ticket: 241 + ticket, 242 without ticket, 243 + bitfield + ticket', () => {
    expect(interpretTicket(reply(241, Uint8Array.of(0xde, 0xad, 0xbe, 0xef)), 2)).toEqual({
      ok: true,
      status: 241,
      pass: [true, true],
      ticket: 0xdeadbeef,
    });
    expect(interpretTicket(reply(242), 2)).toEqual({
      ok: true,
      status: 242,
      pass: [false, false],
      ticket: null,
    });
    expect(interpretTicket(reply(243, Uint8Array.of(0b10, 0, 0, 0, 7)), 2)).toEqual({
      ok: true,
      status: 243,
      pass: [false, true],
      ticket: 7,
    });
    expect(interpretTicket(reply(42), 2)).toEqual({ ok: false, status: 42 });
    expect(() => interpretTicket(reply(241, Uint8Array.of(1, 2, 3)), 2)).toThrow(
      expect.objectContaining({ field: 'response.body' }),
    );
    expect(() => interpretTicket(reply(243, Uint8Array.of(1, 0, 0, 0)), 2)).toThrow(RaidaDecodeError);
  });

  it('find: 209 / 210 / 208 / 211 + one byte per coin', () => {
    expect(interpretFind(reply(209), 2)).toEqual({ ok: true, status: 209, found: ['an', 'an'] });
    expect(interpretFind(reply(210), 1)).toEqual({ ok: true, status: 210, found: ['pan'] });
    expect(interpretFind(reply(208), 2)).toEqual({ ok: true, status: 208, found: ['neither', 'neither'] });
    const found: FindResult[] = ['an', 'pan', 'neither'];
    expect([...encodeFindResults(found)]).toEqual([1, 2, 0]);
    expect(interpretFind(reply(211, encodeFindResults(found)), 3)).toEqual({ ok: true, status: 211, found });
    expect(() => interpretFind(reply(211, Uint8Array.of(1, 3)), 2)).toThrow(
      expect.objectContaining({ field: 'response.body', offset: 33 }),
    );
    expect(() => interpretFind(reply(211, Uint8Array.of(1)), 2)).toThrow(RaidaDecodeError);
    expect(interpretFind(reply(16), 2)).toEqual({ ok: false, status: 16 });
  });

  it('validate-ticket: 250 + N × [den, SN]', () => {
    const coins = [
      { den: -3, sn: 1 },
      { den: 2, sn: 0xffff_ffff },
    ];
    expect(interpretValidateTicket(reply(250, encodeCoinList(coins)))).toEqual({ ok: true, coins });
    expect(interpretValidateTicket(reply(43))).toEqual({ ok: false, status: 43 });
    expect(() => interpretValidateTicket(reply(250, Uint8Array.of(1, 2, 3)))).toThrow(RaidaDecodeError);
  });
});
