import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  MESSAGE_FIXED_BYTES,
  OutboxDecodeError,
  OutboxEncodeError,
  OutboxLimitError,
  decodeOutbox,
  encodeOutbox,
  type OutboxMessageInit,
} from '../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const FP_A = 'a'.repeat(128);
const FP_B = 'b'.repeat(128);

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

// Built by hand, field by field, from the C writer in dht_offline_queue.c (htonl/htons, each
// length immediately followed by its bytes) — independent of encodeOutbox.
const V2_VECTOR = [
  '00000001', // count = 1
  '444e4120', // magic "DNA "
  '02', // version 2
  '0102030405060708', // seq_num
  '0000000065000000', // timestamp 0x65000000
  '0000000065093a80', // expiry = timestamp + 604800
  '0003',
  '616263', // sender_len 3, "abc"
  '0002',
  '6465', // recipient_len 2, "de"
  '00000004',
  'deadbeef', // ciphertext_len 4, bytes
].join('');
const V2_MESSAGE: OutboxMessageInit = {
  seq: 0x0102030405060708n,
  timestamp: 0x65000000n,
  expiry: 0x65000000n + 604800n,
  sender: 'abc',
  recipient: 'de',
  ciphertext: unhex('deadbeef'),
};

describe('byte layout (upstream v2 writer, v1 reader compat)', () => {
  test('encodes the hand-built v2 vector exactly, and decodes it back', () => {
    const bytes = unhex(V2_VECTOR);
    expect(bytes.length).toBe(4 + MESSAGE_FIXED_BYTES[2] + 3 + 2 + 4);
    expect(hex(encodeOutbox([V2_MESSAGE]))).toBe(hex(bytes));
    expect(decodeOutbox(bytes)).toEqual([{ ...V2_MESSAGE, version: 2 }]);
  });

  test('reads a version-1 message (no seq field) as seq 0 and can write it back', () => {
    const v1 = unhex('00000001 444e4120 01 0000000000000064 00000000000000c8 0001 78 0001 79 00000000');
    expect(decodeOutbox(v1)).toEqual([
      {
        version: 1,
        seq: 0n,
        timestamp: 100n,
        expiry: 200n,
        sender: 'x',
        recipient: 'y',
        ciphertext: new Uint8Array(0),
      },
    ]);
    expect(hex(encodeOutbox(decodeOutbox(v1)))).toBe(hex(v1));
  });

  test('an empty outbox is just a zero count', () => {
    expect(hex(encodeOutbox([]))).toBe('00000000');
    expect(decodeOutbox(unhex('00000000'))).toEqual([]);
  });
});

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const identity = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\0'));
const message: fc.Arbitrary<OutboxMessageInit> = fc.oneof(
  fc.record({
    version: fc.constant(2 as const),
    seq: u64,
    timestamp: u64,
    expiry: u64,
    sender: identity,
    recipient: identity,
    ciphertext: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    version: fc.constant(1 as const),
    seq: fc.constant(0n),
    timestamp: u64,
    expiry: u64,
    sender: identity,
    recipient: identity,
    ciphertext: fc.uint8Array({ maxLength: 300 }),
  }),
);
const outbox = fc.array(message, { maxLength: 6 });
/** Small payloads: the truncation property tries every offset, so structure matters, not size. */
const smallOutbox = fc.array(
  message.map((m) => ({ ...m, ciphertext: m.ciphertext.subarray(0, 24) })),
  { maxLength: 4 },
);

describe('round trip (properties)', () => {
  test('decode(encode(messages)) returns the messages', () => {
    fc.assert(
      fc.property(outbox, (msgs) => {
        const decoded = decodeOutbox(encodeOutbox(msgs));
        expect(decoded).toEqual(msgs.map((m) => ({ ...m, version: m.version ?? 2 })));
      }),
      { numRuns: 150 },
    );
  });

  test('encode(decode(bytes)) returns the same bytes', () => {
    fc.assert(
      fc.property(outbox, (msgs) => {
        const bytes = encodeOutbox(msgs);
        expect(hex(encodeOutbox(decodeOutbox(bytes)))).toBe(hex(bytes));
      }),
      { numRuns: 100 },
    );
  });

  test('a sender or recipient starting with U+FEFF (a BOM) survives the round trip byte for byte (found by the fuzzer)', () => {
    const msg = { ...V2_MESSAGE, sender: '\uFEFFabc', recipient: '\uFEFF' };
    const bytes = encodeOutbox([msg]);
    const [back] = decodeOutbox(bytes);
    expect(back).toMatchObject({ sender: '\uFEFFabc', recipient: '\uFEFF' });
    expect(hex(encodeOutbox(decodeOutbox(bytes)))).toBe(hex(bytes));
  });

  test('every truncation of a valid outbox is an OutboxDecodeError (truncated), at every offset', () => {
    fc.assert(
      fc.property(smallOutbox, (msgs) => {
        const bytes = encodeOutbox(msgs);
        const wrong: string[] = [];
        for (let cut = 0; cut < bytes.length; cut++) {
          let err: unknown;
          try {
            decodeOutbox(bytes.subarray(0, cut));
          } catch (e) {
            err = e;
          }
          if (!(err instanceof OutboxDecodeError) || err.kind !== 'truncated' || err.offset > cut)
            wrong.push(`cut ${cut}: ${String(err)}`);
        }
        expect(wrong).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  test('arbitrary bytes and mutated outboxes never throw anything but OutboxDecodeError', () => {
    const mutated = fc
      .tuple(
        outbox,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      )
      .map(([msgs, edits]) => {
        const b = encodeOutbox(msgs);
        for (const [at, v] of edits) b[at % b.length] = v;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (bytes) => {
        try {
          const out = decodeOutbox(bytes);
          expect(Array.isArray(out)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(OutboxDecodeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('malformed values: typed errors naming field and offset', () => {
  const good = encodeOutbox([V2_MESSAGE]);
  const withByte = (at: number, v: number): Uint8Array => {
    const b = good.slice();
    b[at] = v;
    return b;
  };

  test.each([
    ['bad magic', () => decodeOutbox(withByte(4, 0x45)), 'magic', 4, 'invalid'],
    ['unknown version', () => decodeOutbox(withByte(8, 3)), 'version', 8, 'invalid'],
    ['count over the cap', () => decodeOutbox(unhex('000003e9')), 'count', 0, 'limit'],
    ['trailing bytes', () => decodeOutbox(new Uint8Array([...good, 0])), 'trailing', good.length, 'trailing'],
    ['sender not UTF-8', () => decodeOutbox(withByte(35, 0xff)), 'sender', 35, 'invalid'],
    ['NUL in recipient', () => decodeOutbox(withByte(40, 0)), 'recipient', 40, 'invalid'],
    ['count says 2, one message', () => decodeOutbox(withByte(3, 2)), 'magic', good.length, 'truncated'],
    ['value over 64 KiB', () => decodeOutbox(new Uint8Array(65537)), 'value', 0, 'limit'],
  ] as const)('%s', (_name, run, field, offset, kind) => {
    const e = catchError(run);
    expect(e).toBeInstanceOf(OutboxDecodeError);
    expect(e).toMatchObject({ name: 'OutboxDecodeError', field, offset, kind });
  });

  test('ciphertext_len over 10 MiB is refused before reading the bytes (as upstream)', () => {
    const b = unhex(
      '00000001 444e4120 02 0000000000000000 0000000000000000 0000000000000000 0000 0000 00a00001',
    );
    expect(catchError(() => decodeOutbox(b))).toMatchObject({
      field: 'ciphertext_len',
      offset: 37,
      kind: 'limit',
      messageIndex: 0,
    });
    // At exactly 10 MiB the length is accepted and the (missing) bytes are what is wrong.
    b[b.length - 1] = 0;
    expect(catchError(() => decodeOutbox(b))).toMatchObject({
      field: 'ciphertext',
      offset: 41,
      kind: 'truncated',
    });
  });

  test('trailing bytes are accepted when asked (upstream ignores them)', () => {
    expect(decodeOutbox(new Uint8Array([...good, 1, 2]), { allowTrailingBytes: true }).length).toBe(1);
  });
});

describe('encoder caps and field checks', () => {
  const msg = (ct: number, extra: Partial<OutboxMessageInit> = {}): OutboxMessageInit => ({
    seq: 1n,
    timestamp: 1n,
    expiry: 2n,
    sender: FP_A,
    recipient: FP_B,
    ciphertext: new Uint8Array(ct),
    ...extra,
  });

  test('a value of exactly 64 KiB encodes; one byte more is OutboxLimitError(valueBytes) with the exact size', () => {
    const fits = 65536 - 4 - MESSAGE_FIXED_BYTES[2] - 256;
    expect(encodeOutbox([msg(fits)]).length).toBe(65536);
    const e = catchError(() => encodeOutbox([msg(fits + 1)]));
    expect(e).toBeInstanceOf(OutboxLimitError);
    expect(e).toMatchObject({ limit: 'valueBytes', actual: 65537, max: 65536 });
  });

  test('1000 messages encode, 1001 is OutboxLimitError(messages)', () => {
    const many = Array.from({ length: 1000 }, () => msg(0, { sender: 's', recipient: 'r' }));
    const bytes = encodeOutbox(many, { maxValueBytes: 1 << 20 });
    expect(decodeOutbox(bytes, { maxValueBytes: 1 << 20 }).length).toBe(1000);
    expect(catchError(() => encodeOutbox([...many, many[0]!], { maxValueBytes: 1 << 20 }))).toMatchObject({
      name: 'OutboxLimitError',
      limit: 'messages',
      actual: 1001,
      max: 1000,
    });
  });

  test('ciphertext cap per message', () => {
    expect(catchError(() => encodeOutbox([msg(1), msg(11)], { maxCiphertextBytes: 10 }))).toMatchObject({
      limit: 'ciphertextBytes',
      actual: 11,
      max: 10,
      messageIndex: 1,
    });
  });

  test.each([
    ['seq over u64', { seq: 1n << 64n }, 'seq'],
    ['negative timestamp', { timestamp: -1n }, 'timestamp'],
    ['expiry as number', { expiry: 5 as unknown as bigint }, 'expiry'],
    ['version 1 with a seq', { version: 1, seq: 3n }, 'seq'],
    ['version 3', { version: 3 as unknown as 2 }, 'version'],
    ['NUL in sender', { sender: 'a\0b' }, 'sender'],
    ['recipient over 65,535 bytes', { recipient: 'r'.repeat(65536) }, 'recipient'],
    ['ciphertext not bytes', { ciphertext: [1, 2] as unknown as Uint8Array }, 'ciphertext'],
  ] as const)('%s → OutboxEncodeError', (_name, extra, field) => {
    const e = catchError(() =>
      encodeOutbox([msg(1), msg(1, extra as Partial<OutboxMessageInit>)], { maxValueBytes: 1 << 20 }),
    );
    expect(e).toBeInstanceOf(OutboxEncodeError);
    expect(e).toMatchObject({ field, messageIndex: 1 });
  });

  test('bad caps are refused', () => {
    expect(catchError(() => encodeOutbox([], { maxMessages: -1 }))).toMatchObject({
      name: 'OutboxEncodeError',
      field: 'limits',
    });
  });
});
