/**
 * Byte-level mutations as fast-check arbitraries, so that every mutated input is generated from
 * the run's seed (replayable with `--seed` / `--path`) and shrinks towards fewer and simpler edits.
 *
 * An edit names its position as an unbounded natural number taken modulo the input's length at
 * apply time, so one edit list applies to any base and shrinking never produces an out-of-range
 * edit. The operations are the usual ones of mutation fuzzers (AFL's havoc stage): bit flips,
 * byte sets, "interesting" values (0, 0xff, 0x7f, 0x80, u16/u32 boundaries), insertion and
 * deletion of ranges, duplication of a range, truncation, splicing with another corpus entry and
 * insertion of dictionary tokens (magic strings of the format under test).
 */
import fc from 'fast-check';

/** One edit of a byte string (see the module comment for how positions are read). */
export type ByteEdit =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'interesting'; readonly at: number; readonly value: readonly number[] }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly len: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly len: number; readonly to: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'splice'; readonly at: number; readonly other: Uint8Array; readonly from: number }
  | { readonly op: 'token'; readonly at: number; readonly token: Uint8Array; readonly overwrite: boolean };

/** Byte patterns that sit on boundaries (lengths, counts, signs), in big-endian order. */
export const INTERESTING: readonly (readonly number[])[] = [
  [0x00],
  [0x01],
  [0x7f],
  [0x80],
  [0xff],
  [0x00, 0x00],
  [0x00, 0x01],
  [0x7f, 0xff],
  [0x80, 0x00],
  [0xff, 0xfe],
  [0xff, 0xff],
  [0x00, 0x00, 0x00, 0x00],
  [0x00, 0x00, 0x00, 0x01],
  [0x00, 0x00, 0x03, 0xe8],
  [0x7f, 0xff, 0xff, 0xff],
  [0x80, 0x00, 0x00, 0x00],
  [0xff, 0xff, 0xff, 0xff],
];

/** Options of {@link byteEditArb}. */
export interface ByteEditOptions {
  /** Other inputs to splice from (default none: no splice edits). */
  readonly corpus?: readonly Uint8Array[];
  /** Tokens of the format to insert or overwrite with (default none). */
  readonly dictionary?: readonly Uint8Array[];
  /** Longest run of random bytes an insert adds, bytes. Default 64. */
  readonly maxInsert?: number;
}

const pos = fc.nat();

/**
 * Bytes from a 32-bit seed (xorshift32): generating long random arrays byte by byte through
 * fast-check costs ~1 µs per byte, this costs nanoseconds; the length and the seed still shrink.
 */
export function expandBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Random byte strings of 0..maxLength bytes (short ones more often), cheap to generate. */
export function randomBytesArb(maxLength: number, minLength = 0): fc.Arbitrary<Uint8Array> {
  const length = fc.oneof(
    fc.integer({ min: minLength, max: Math.min(maxLength, Math.max(minLength, 40)) }),
    fc.integer({ min: minLength, max: maxLength }),
  );
  return fc.tuple(length, fc.integer()).map(([n, seed]) => expandBytes(seed, n));
}

/** One random {@link ByteEdit} (see the module comment). */
export function byteEditArb(o: ByteEditOptions = {}): fc.Arbitrary<ByteEdit> {
  const maxInsert = o.maxInsert ?? 64;
  const edits: fc.Arbitrary<ByteEdit>[] = [
    fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('set' as const), at: pos, value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('interesting' as const), at: pos, value: fc.constantFrom(...INTERESTING) }),
    fc.record({
      op: fc.constant('insert' as const),
      at: pos,
      bytes: randomBytesArb(maxInsert, 1),
    }),
    fc.record({ op: fc.constant('delete' as const), at: pos, len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({
      op: fc.constant('duplicate' as const),
      at: pos,
      len: fc.integer({ min: 1, max: 64 }),
      to: pos,
    }),
    fc.record({ op: fc.constant('truncate' as const), at: pos }),
  ];
  if (o.corpus !== undefined && o.corpus.length > 0)
    edits.push(
      fc.record({
        op: fc.constant('splice' as const),
        at: pos,
        other: fc.constantFrom(...o.corpus),
        from: pos,
      }),
    );
  if (o.dictionary !== undefined && o.dictionary.length > 0)
    edits.push(
      fc.record({
        op: fc.constant('token' as const),
        at: pos,
        token: fc.constantFrom(...o.dictionary),
        overwrite: fc.boolean(),
      }),
    );
  return fc.oneof(...edits);
}

/** Position `at` read modulo `n + extra` (0 when the range is empty). */
function wrap(at: number, n: number, extra = 0): number {
  const m = n + extra;
  return m === 0 ? 0 : at % m;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Apply one edit to `b`; returns a new array (the input is never changed). */
export function applyEdit(b: Uint8Array, e: ByteEdit): Uint8Array {
  const n = b.length;
  switch (e.op) {
    case 'flip': {
      if (n === 0) return b.slice();
      const out = b.slice();
      const i = wrap(e.at, n);
      out[i] = out[i]! ^ (1 << e.bit);
      return out;
    }
    case 'set': {
      if (n === 0) return Uint8Array.of(e.value);
      const out = b.slice();
      out[wrap(e.at, n)] = e.value;
      return out;
    }
    case 'interesting': {
      const out = b.slice();
      const i = wrap(e.at, n);
      for (let k = 0; k < e.value.length && i + k < n; k++) out[i + k] = e.value[k]!;
      return n === 0 ? Uint8Array.from(e.value) : out;
    }
    case 'insert': {
      const i = wrap(e.at, n, 1);
      return cat(b.subarray(0, i), e.bytes, b.subarray(i));
    }
    case 'delete': {
      const i = wrap(e.at, n);
      return cat(b.subarray(0, i), b.subarray(Math.min(n, i + e.len)));
    }
    case 'duplicate': {
      if (n === 0) return b.slice();
      const i = wrap(e.at, n);
      const part = b.slice(i, Math.min(n, i + e.len));
      const to = wrap(e.to, n, 1);
      return cat(b.subarray(0, to), part, b.subarray(to));
    }
    case 'truncate':
      return b.slice(0, wrap(e.at, n, 1));
    case 'splice': {
      const i = wrap(e.at, n, 1);
      const j = wrap(e.from, e.other.length, 1);
      return cat(b.subarray(0, i), e.other.subarray(j));
    }
    case 'token': {
      const i = wrap(e.at, n, 1);
      if (!e.overwrite) return cat(b.subarray(0, i), e.token, b.subarray(i));
      return cat(b.subarray(0, i), e.token, b.subarray(Math.min(n, i + e.token.length)));
    }
  }
}

/** Apply `edits` in order. */
export function applyEdits(b: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let out = b;
  for (const e of edits) out = applyEdit(out, e);
  return out === b ? b.slice() : out;
}

/** Options of {@link bytesInput}. */
export interface BytesInputOptions extends ByteEditOptions {
  /** Valid inputs of the format (at least one). */
  readonly corpus: readonly Uint8Array[];
  /** Longest purely random input, bytes. Default 2048. */
  readonly maxRandom?: number;
  /** Most edits applied to one corpus entry. Default 8. */
  readonly maxEdits?: number;
}

/**
 * Inputs for a byte decoder: 1 in 8 a corpus entry as is, 2 in 8 purely random bytes (short ones
 * more often), 5 in 8 a corpus entry with 1..maxEdits edits.
 * @throws RangeError when the corpus is empty.
 */
export function bytesInput(o: BytesInputOptions): fc.Arbitrary<Uint8Array> {
  if (o.corpus.length === 0) throw new RangeError('bytesInput: the corpus is empty');
  const maxRandom = o.maxRandom ?? 2048;
  const edit = byteEditArb({ ...o, corpus: o.corpus });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...o.corpus).map((b) => b.slice()) },
    { weight: 2, arbitrary: randomBytesArb(maxRandom) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.constantFrom(...o.corpus), fc.array(edit, { minLength: 1, maxLength: o.maxEdits ?? 8 }))
        .map(([base, edits]) => applyEdits(base, edits)),
    },
  );
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of each string: a dictionary for {@link byteEditArb}. */
export function dictionary(...tokens: string[]): Uint8Array[] {
  return tokens.map((t) => utf8.encode(t));
}

/**
 * Text inputs: {@link bytesInput} over the UTF-8 bytes of `corpus`, decoded back as UTF-8 (invalid
 * sequences become U+FFFD), plus arbitrary Unicode strings.
 */
export function textInput(o: {
  readonly corpus: readonly string[];
  readonly dictionary?: readonly string[];
  readonly maxEdits?: number;
}): fc.Arbitrary<string> {
  const bytes = bytesInput({
    corpus: o.corpus.map((s) => utf8.encode(s)),
    dictionary: dictionary(...(o.dictionary ?? [])),
    maxRandom: 512,
    ...(o.maxEdits === undefined ? {} : { maxEdits: o.maxEdits }),
  });
  const decoder = new TextDecoder();
  return fc.oneof(
    { weight: 6, arbitrary: bytes.map((b) => decoder.decode(b)) },
    // Any code points, lone surrogates included (fc.string's 'binary' unit builds a 1.1M-entry
    // table on first use: seconds per worker).
    {
      weight: 1,
      arbitrary: fc
        .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 120 })
        .map((cps) => String.fromCodePoint(...cps)),
    },
  );
}
