import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  DhtEditRefusedError,
  DhtStorageFullError,
  DhtValueTooLargeError,
  MAX_VALUE_BYTES,
  ValueStore,
  commonPrefixBits,
  compareDistance,
  idFromHex,
  toHex,
  xorDistance,
  type DhtValue,
} from '../src/index.js';

const key = idFromHex('00112233445566778899aabbccddeeff00112233');
const val = (id: bigint, seq: number, data: number[] | Uint8Array, owner?: Uint8Array): DhtValue =>
  owner === undefined
    ? { id, seq, data: Uint8Array.from(data) }
    : { id, seq, data: Uint8Array.from(data), owner, signature: new Uint8Array(64) };

describe('ids', () => {
  const id20 = fc.uint8Array({ minLength: 20, maxLength: 20 });
  test('compareDistance agrees with lexicographic order of the XOR distance', () => {
    fc.assert(
      fc.property(id20, id20, id20, (t, a, b) => {
        const da = toHex(xorDistance(a, t));
        const db = toHex(xorDistance(b, t));
        const c = compareDistance(t, a, b);
        expect(Math.sign(c)).toBe(da < db ? -1 : da > db ? 1 : 0);
        expect(Math.sign(compareDistance(t, b, a))).toBe(-Math.sign(c));
      }),
      { numRuns: 200 },
    );
  });
  test('commonPrefixBits counts shared leading bits', () => {
    const a = idFromHex('ff00000000000000000000000000000000000000');
    expect(commonPrefixBits(a, a)).toBe(160);
    expect(commonPrefixBits(a, idFromHex('fe00000000000000000000000000000000000000'))).toBe(7);
    expect(commonPrefixBits(a, idFromHex('7f00000000000000000000000000000000000000'))).toBe(0);
    expect(commonPrefixBits(a, idFromHex('ff00000000000000000000000000000000000001'))).toBe(159);
  });
  test('idFromHex rejects wrong input', () => {
    expect(() => idFromHex('00')).toThrow(TypeError);
    expect(() => idFromHex('zz112233445566778899aabbccddeeff00112233')).toThrow(TypeError);
  });
});

describe('ValueStore (OpenDHT value semantics)', () => {
  test('several values per key, ordered by id; a higher seq for the same id replaces', () => {
    const s = new ValueStore();
    expect(s.put(key, val(2n, 0, [2]), 1000, 0).kind).toBe('stored');
    expect(s.put(key, val(1n, 0, [1]), 1000, 0).kind).toBe('stored');
    const r = s.put(key, val(1n, 5, [9]), 1000, 0);
    expect(r.kind).toBe('replaced');
    expect(r.kind === 'replaced' && r.previous.seq).toBe(0);
    expect(s.get(key, 1).map((v) => [v.id, v.seq, [...v.data]])).toEqual([
      [1n, 5, [9]],
      [2n, 0, [2]],
    ]);
  });

  test('lower seq, same-seq conflict and owner change are refused with the reason', () => {
    const s = new ValueStore();
    const alice = new Uint8Array(32).fill(1);
    const bob = new Uint8Array(32).fill(2);
    s.put(key, val(1n, 3, [1], alice), 1000, 0);
    const refuse = (v: DhtValue): string => {
      try {
        s.put(key, v, 1000, 0);
        return 'accepted';
      } catch (e) {
        expect(e).toBeInstanceOf(DhtEditRefusedError);
        return (e as DhtEditRefusedError).reason;
      }
    };
    expect(refuse(val(1n, 2, [1], alice))).toBe('lower-seq');
    expect(refuse(val(1n, 3, [7], alice))).toBe('conflict');
    expect(refuse(val(1n, 9, [1], bob))).toBe('owner-mismatch');
    expect(refuse(val(1n, 9, [1]))).toBe('owner-mismatch');
    expect(s.put(key, val(1n, 3, [1], alice), 1000, 0).kind).toBe('refreshed');
    expect(s.get(key, 0)[0]!.seq).toBe(3);
  });

  test('a verify hook refuses values it rejects (bad-signature)', () => {
    const s = new ValueStore({ verifyValue: (_k, v) => v.data[0] === 1 });
    expect(s.put(key, val(1n, 0, [1]), 1000, 0).kind).toBe('stored');
    expect(() => s.put(key, val(2n, 0, [0]), 1000, 0)).toThrow(
      expect.objectContaining({ name: 'DhtEditRefusedError', reason: 'bad-signature' }),
    );
  });

  test('value size limit: exactly 64 KiB is accepted, one byte more is a DhtValueTooLargeError', () => {
    const s = new ValueStore();
    expect(MAX_VALUE_BYTES).toBe(65536);
    expect(s.put(key, val(1n, 0, new Uint8Array(65536)), 1000, 0).kind).toBe('stored');
    let err: unknown;
    try {
      s.put(key, val(2n, 0, new Uint8Array(65537)), 1000, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DhtValueTooLargeError);
    expect(err).toMatchObject({ size: 65537, max: 65536, field: 'value.data' });
  });

  test('storage cap: a put that would exceed it is refused; replacing frees the old bytes', () => {
    const s = new ValueStore({ maxStorageBytes: 100 });
    s.put(key, val(1n, 0, new Uint8Array(60)), 1000, 0); // 76 bytes counted
    expect(s.usedBytes).toBe(76);
    expect(() => s.put(key, val(2n, 0, new Uint8Array(20)), 1000, 0)).toThrow(DhtStorageFullError);
    expect(s.put(key, val(1n, 1, new Uint8Array(80)), 1000, 0).kind).toBe('replaced');
    expect(s.usedBytes).toBe(96);
  });

  test('TTL: values vanish at expiresAt; sweep returns them and frees the bytes', () => {
    const s = new ValueStore();
    s.put(key, val(1n, 0, [1]), 500, 1000);
    s.put(key, val(2n, 0, [2]), 900, 1000);
    expect(s.nextExpiry).toBe(1500);
    expect(s.get(key, 1499).length).toBe(2);
    expect(s.get(key, 1500).map((v) => v.id)).toEqual([2n]);
    expect(s.sweep(1499)).toEqual([]);
    const swept = s.sweep(1500);
    expect(swept.length).toBe(1);
    expect(swept[0]!.values.map((v) => v.id)).toEqual([1n]);
    expect(s.nextExpiry).toBe(1900);
    expect(s.size).toBe(1);
    s.sweep(5000);
    expect(s.size).toBe(0);
    expect(s.usedBytes).toBe(0);
  });

  test('fault modes: stale keeps the first version, drop stores nothing', () => {
    const s = new ValueStore();
    s.put(key, val(1n, 1, [1]), 1000, 0);
    expect(s.put(key, val(1n, 2, [2]), 1000, 0, 'stale').kind).toBe('ignored');
    expect(s.get(key, 0)[0]!.seq).toBe(1);
    expect(s.put(key, val(3n, 0, [3]), 1000, 0, 'drop').kind).toBe('ignored');
    expect(s.get(key, 0).length).toBe(1);
  });
});
