/**
 * The 48-byte response layout (protocol.c get_response_header for encryption types other than
 * 0-2) and the statuses that never carry the challenge of the request they answer.
 */
import { describe, expect, it } from 'vitest';

import {
  decodeModernResponse,
  encodeModernResponse,
  isPreChallengeStatus,
  MODERN_RESPONSE_HEADER_SIZE,
  RaidaDecodeError,
  RaidaEncodeError,
} from '../src/index.js';

describe('48-byte modern response header', () => {
  it('round-trips every field at its offset; a body gets the terminator', () => {
    const nonce = Uint8Array.from({ length: 22 }, (_, i) => i + 1);
    const bytes = encodeModernResponse({
      raidaId: 7,
      status: 27,
      group: 2,
      encryption: 4,
      execMicros: 0x01020304,
      keyDen: -3,
      keySn: 0xa0b0c0d0,
      nonce,
      echo: 0xbeef,
    });
    expect(bytes.length).toBe(MODERN_RESPONSE_HEADER_SIZE);
    expect([bytes[0], bytes[2], bytes[3], bytes[16], bytes[17]]).toEqual([7, 27, 2, 4, 0xfd]);
    expect([...bytes.subarray(4, 8)]).toEqual([1, 2, 3, 4]);
    expect([...bytes.subarray(46, 48)]).toEqual([0xbe, 0xef]);
    expect(decodeModernResponse(bytes)).toEqual({
      raidaId: 7,
      shard: 0,
      status: 27,
      group: 2,
      execMicros: 0x01020304,
      bodySize: 0,
      encryption: 4,
      keyDen: -3,
      keySn: 0xa0b0c0d0,
      nonce,
      echo: 0xbeef,
      body: new Uint8Array(0),
    });
    const withBody = encodeModernResponse({
      raidaId: 1,
      status: 241,
      group: 1,
      encryption: 5,
      body: Uint8Array.of(9, 8, 7),
    });
    expect(withBody.length).toBe(48 + 3 + 2);
    expect(decodeModernResponse(withBody)).toMatchObject({ bodySize: 5, body: Uint8Array.of(9, 8, 7) });
  });

  it('rejects bad input with a typed error naming the field', () => {
    expect(() => decodeModernResponse(new Uint8Array(47))).toThrow(
      expect.objectContaining({ name: 'RaidaDecodeError', field: 'response.header' }),
    );
    const ok = encodeModernResponse({
      raidaId: 1,
      status: 241,
      group: 1,
      encryption: 5,
      body: Uint8Array.of(1),
    });
    expect(() => decodeModernResponse(ok.subarray(0, ok.length - 1))).toThrow(
      expect.objectContaining({ field: 'response.bodySize' }),
    );
    expect(() => decodeModernResponse(Uint8Array.of(...ok, 0))).toThrow(
      expect.objectContaining({ field: 'response.length' }),
    );
    const badEnd = ok.slice();
    badEnd[badEnd.length - 1] = 0;
    expect(() => decodeModernResponse(badEnd)).toThrow(RaidaDecodeError);
    expect(() =>
      encodeModernResponse({ raidaId: 1, status: 1, group: 1, encryption: 3, nonce: new Uint8Array(5) }),
    ).toThrow(expect.objectContaining({ name: 'RaidaEncodeError', field: 'nonce' }));
    expect(() => encodeModernResponse({ raidaId: 1, status: 1, group: 1, encryption: 256 })).toThrow(
      RaidaEncodeError,
    );
  });
});

describe('isPreChallengeStatus (statuses sent before the challenge is copied)', () => {
  it('header and terminator errors yes; 16 (also a command status), 37 (copied first) and outcomes no', () => {
    for (const s of [255, 2, 3, 4, 5, 6, 7, 25, 27, 33, 34]) expect(isPreChallengeStatus(s)).toBe(true);
    for (const s of [16, 37, 36, 39, 40, 42, 160, 241, 242, 243, 250, 208, 211])
      expect(isPreChallengeStatus(s)).toBe(false);
  });
});
