import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { InvalidSeedError, createRng } from '../src/rng.js';
import { writeTraceFile } from '../src/io/replay.js';
import {
  DeterminismError,
  Trace,
  TraceError,
  TraceParseError,
  canonicalJson,
  checkDeterminism,
  type TraceEvent,
} from '../src/trace.js';

const sha = (s: string) => bytesToHex(sha256(utf8ToBytes(s)));

function traceOf(events: TraceEvent[], options?: ConstructorParameters<typeof Trace>[0]): Trace {
  const t = new Trace(options);
  for (const e of events) t.record(e);
  return t;
}

describe('canonical JSON', () => {
  test('keys sorted at every depth, whatever the insertion order', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } })).toBe(
      '{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ kind: 'send', t: 5, to: 'r1' })).toBe(
      canonicalJson({ to: 'r1', t: 5, kind: 'send' }),
    );
    expect(canonicalJson({ B: 1, a: 2, _: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"B":1,"_":3,"a":2}');
  });

  test('property: keys in the order of Array.prototype.sort, few keys or many, any UTF-16', async () => {
    // Events have a handful of keys (sorted in place by insertion), other objects may have many.
    const key = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.string({ maxLength: 3 }),
      fc.nat(30).map(String),
    );
    await assertProperty(
      fc.property(fc.dictionary(key, fc.integer(), { maxKeys: 40 }), (o) => {
        const expected = `{${Object.keys(o)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`)
          .join(',')}}`;
        expect(canonicalJson(o)).toBe(expected);
      }),
    );
  });

  test('bytes as hex, bigint as string, undefined dropped, specials rendered', () => {
    expect(canonicalJson({ b: new Uint8Array([0, 1, 0xab, 0xff]) })).toBe('{"b":"0001abff"}');
    expect(canonicalJson({ b: Buffer.from([0xde, 0xad]) })).toBe('{"b":"dead"}');
    expect(canonicalJson({ b: new Uint8Array([1, 2, 3, 4]).buffer })).toBe('{"b":"01020304"}');
    expect(canonicalJson({ n: 12345678901234567890n })).toBe('{"n":"12345678901234567890"}');
    expect(canonicalJson({ a: undefined, b: 1, f: () => 1 })).toBe('{"b":1}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    expect(canonicalJson({ x: Number.NaN, y: Number.NEGATIVE_INFINITY, z: -0 })).toBe(
      '{"x":"NaN","y":"-Infinity","z":0}',
    );
    expect(
      canonicalJson({
        m: new Map<unknown, unknown>([
          ['b', 1],
          [2, 'x'],
        ]),
        s: new Set([3, 1]),
      }),
    ).toBe('{"m":{"2":"x","b":1},"s":[3,1]}');
    expect(canonicalJson({ e: new TypeError('boom') })).toBe('{"e":{"message":"boom","name":"TypeError"}}');
    expect(canonicalJson({ u: new Uint16Array([1, 513]) })).toBe('{"u":[1,513]}');
    expect(canonicalJson('é"\n')).toBe(JSON.stringify('é"\n'));
  });

  test('cycles are a TraceError naming the path; repeated (non-cyclic) references are fine', () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = { back: o };
    expect(() => canonicalJson(o)).toThrow(TraceError);
    expect(() => canonicalJson(o)).toThrow(/\$\.self\.back/);
    const shared = { x: 1 };
    expect(canonicalJson({ p: shared, q: shared })).toBe('{"p":{"x":1},"q":{"x":1}}');
    expect(() => canonicalJson(undefined)).toThrow(TraceError);
  });
});

describe('Trace', () => {
  const events: TraceEvent[] = [
    { t: 0, kind: 'send', to: 'r0', bytes: new Uint8Array([1, 2]) },
    { t: 12.5, kind: 'deliver', to: 'r0', seq: 1n },
    { t: 13, kind: 'drop', to: 'r1', reason: undefined },
    { t: 40, kind: 'outcome', id: 'r0', status: 'fulfilled' },
  ];

  test('toJSONL: one canonical line per event, in order, newline-terminated', () => {
    const t = traceOf(events);
    expect(t.toJSONL()).toBe(
      '{"bytes":"0102","kind":"send","t":0,"to":"r0"}\n' +
        '{"kind":"deliver","seq":"1","t":12.5,"to":"r0"}\n' +
        '{"kind":"drop","t":13,"to":"r1"}\n' +
        '{"id":"r0","kind":"outcome","status":"fulfilled","t":40}\n',
    );
    expect(new Trace().toJSONL()).toBe('');
    expect(t.size).toBe(4);
    expect(t.total).toBe(4);
    expect(t.events()[0]).toEqual({ bytes: '0102', kind: 'send', t: 0, to: 'r0' });
  });

  test('hash is the SHA-256 hex of the JSONL; same events → same hash', () => {
    const a = traceOf(events);
    expect(a.hash()).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash()).toBe(sha(a.toJSONL()));
    expect(new Trace().hash()).toBe(sha(''));
    // Same logical events with other key orders and a fresh Uint8Array: same hash.
    const reordered = events.map((e) => Object.fromEntries(Object.entries(e).reverse()) as TraceEvent);
    expect(traceOf(reordered).hash()).toBe(a.hash());
    // hash() can be called mid-run and recording continues.
    const b = new Trace();
    b.record(events[0]!);
    const mid = b.hash();
    for (const e of events.slice(1)) b.record(e);
    expect(mid).not.toBe(b.hash());
    expect(b.hash()).toBe(a.hash());
  });

  test('property: changing one field of one event changes the hash', () => {
    fc.assert(
      fc.property(fc.nat({ max: events.length - 1 }), fc.integer({ min: 1, max: 1000 }), (i, delta) => {
        const changed = events.map((e, k) => (k === i ? { ...e, t: e.t + delta } : e));
        expect(traceOf(changed).hash()).not.toBe(traceOf(events).hash());
      }),
      { numRuns: 50 },
    );
    const flipped = events.map((e, k) => (k === 0 ? { ...e, bytes: new Uint8Array([1, 3]) } : e));
    expect(traceOf(flipped).hash()).not.toBe(traceOf(events).hash());
    const swapped = [events[1]!, events[0]!, ...events.slice(2)];
    expect(traceOf(swapped).hash()).not.toBe(traceOf(events).hash());
  });

  test('events are captured at record time (later mutation does not leak in)', () => {
    const e: TraceEvent = { t: 1, kind: 'note', text: 'before' };
    const t = new Trace();
    t.record(e);
    const h = t.hash();
    e.text = 'after';
    expect(t.hash()).toBe(h);
    expect(t.events()[0]?.text).toBe('before');
  });

  test('JSONL round trip: fromJSONL(toJSONL()) gives the same text and hash', () => {
    const a = traceOf(events);
    const b = Trace.fromJSONL(a.toJSONL());
    expect(b.toJSONL()).toBe(a.toJSONL());
    expect(b.hash()).toBe(a.hash());
    // Non-canonical input (other key order, CRLF, blank lines) is canonicalised.
    const c = Trace.fromJSONL('{"t":1,"kind":"note","z":1,"a":2}\r\n\n{"kind":"timer","t":2}\n');
    expect(c.toJSONL()).toBe('{"a":2,"kind":"note","t":1,"z":1}\n{"kind":"timer","t":2}\n');
  });

  test('property: round trip of arbitrary JSON-ish events', () => {
    const field = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
    );
    const eventArb = fc
      .tuple(
        fc.nat({ max: 1e6 }),
        fc.constantFrom('send', 'deliver', 'drop', 'fault', 'custom'),
        fc.dictionary(fc.string({ maxLength: 5 }), field, { maxKeys: 4 }),
      )
      .map(([t, kind, extra]) => ({ ...extra, t, kind }) as TraceEvent);
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 15 }), (evs) => {
        const a = traceOf(evs);
        const b = Trace.fromJSONL(a.toJSONL());
        expect(b.toJSONL()).toBe(a.toJSONL());
        expect(b.hash()).toBe(a.hash());
        expect(b.size).toBe(evs.length);
      }),
      { numRuns: 100 },
    );
  });

  test('fromJSONL names the bad line and field', () => {
    const bad: [string, number, string][] = [
      ['{"t":0,"kind":"a"}\nnot json\n', 2, 'json'],
      ['[1,2]\n', 1, 'event'],
      ['{"t":0,"kind":"a"}\n{"t":-1,"kind":"a"}\n', 2, 't'],
      ['{"t":"5","kind":"a"}\n', 1, 't'],
      ['{"t":5}\n', 1, 'kind'],
      ['{"t":5,"kind":""}\n', 1, 'kind'],
    ];
    for (const [text, line, field] of bad) {
      let caught: unknown;
      try {
        Trace.fromJSONL(text);
      } catch (e) {
        caught = e;
      }
      expect(caught, text).toBeInstanceOf(TraceParseError);
      expect((caught as TraceParseError).line).toBe(line);
      expect((caught as TraceParseError).field).toBe(field);
      expect((caught as Error).message).toContain(`line ${line}`);
    }
  });

  test('record validates t and kind', () => {
    const t = new Trace();
    expect(() => t.record({ t: -1, kind: 'x' })).toThrow(/trace t:/);
    expect(() => t.record({ t: Number.NaN, kind: 'x' })).toThrow(TraceError);
    expect(() => t.record({ t: 0, kind: '' })).toThrow(/trace kind:/);
    expect(() => t.record({ t: 0, kind: 3 as unknown as string })).toThrow(TraceError);
    expect(t.total).toBe(0);
  });

  test('writeTraceFile writes the JSONL to disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-trace-'));
    try {
      const path = join(dir, 'run.jsonl');
      const t = traceOf(events);
      writeTraceFile(path, t);
      const text = readFileSync(path, 'utf8');
      expect(text).toBe(t.toJSONL());
      expect(Trace.fromJSONL(text).hash()).toBe(t.hash());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('capped traces', () => {
  const many: TraceEvent[] = Array.from({ length: 25 }, (_, i) => ({ t: i, kind: 'timer', i }));

  test("keep 'last' (default): holds the most recent events, hash covers all", () => {
    const full = traceOf(many);
    const capped = traceOf(many, { maxEvents: 4 });
    expect(capped.size).toBe(4);
    expect(capped.total).toBe(25);
    expect(capped.discarded).toBe(21);
    expect(capped.events().map((e) => e.i)).toEqual([21, 22, 23, 24]);
    expect(capped.hash()).toBe(full.hash());
    expect(capped.hash()).not.toBe(sha(capped.toJSONL()));
  });

  test("keep 'first': holds the first events, hash covers all", () => {
    const capped = traceOf(many, { maxEvents: 3, keep: 'first' });
    expect(capped.events().map((e) => e.i)).toEqual([0, 1, 2]);
    expect(capped.hash()).toBe(traceOf(many).hash());
  });

  test('property: for any cap, last-kept is the suffix and the hash is the uncapped one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.nat({ max: 25 }), (cap, n) => {
        const evs = many.slice(0, n);
        const t = traceOf(evs, { maxEvents: cap });
        expect(t.lines()).toEqual(
          traceOf(evs)
            .lines()
            .slice(Math.max(0, n - cap)),
        );
        expect(t.hash()).toBe(traceOf(evs).hash());
      }),
      { numRuns: 100 },
    );
  });

  test("keep 'none': hashes and counts every event, keeps no line, refuses to write JSONL", () => {
    fc.assert(
      fc.property(fc.nat({ max: 25 }), (n) => {
        const evs = many.slice(0, n);
        const t = traceOf(evs, { keep: 'none' });
        expect(t.lines()).toEqual([]);
        expect(t.size).toBe(0);
        expect(t.total).toBe(n);
        expect(t.discarded).toBe(n);
        expect(t.hash()).toBe(traceOf(evs).hash());
        if (n > 0) expect(() => t.toJSONL()).toThrow(/trace keep: toJSONL\(\) has no lines/);
        else expect(t.toJSONL()).toBe('');
      }),
      { numRuns: 30 },
    );
  });

  test('bad options are TraceErrors naming the option', () => {
    expect(() => new Trace({ keep: 'none', maxEvents: 3 })).toThrow(
      /trace maxEvents: cannot be given with keep 'none'/,
    );
    expect(() => new Trace({ maxEvents: 0 })).toThrow(/trace maxEvents:/);
    expect(() => new Trace({ maxEvents: 1.5 })).toThrow(TraceError);
    expect(() => new Trace({ keep: 'middle' as 'first' })).toThrow(/trace keep:/);
  });
});

describe('disabled trace', () => {
  test('records nothing, and refuses to produce a (vacuous) hash or JSONL', () => {
    const t = Trace.noop;
    expect(t.enabled).toBe(false);
    t.record({ t: 0, kind: 'send' });
    t.record({ t: -5, kind: '' }); // not even validated: costs one branch
    expect(t.total).toBe(0);
    expect(t.size).toBe(0);
    expect(() => t.hash()).toThrow(/disabled/);
    expect(() => t.toJSONL()).toThrow(TraceError);
    expect(new Trace({ enabled: false }).enabled).toBe(false);
  });
});

describe('checkDeterminism', () => {
  /** A toy scenario: every draw comes from the seed. */
  async function deterministicRun(seed: number): Promise<string> {
    const rng = createRng(seed);
    const trace = new Trace();
    for (let i = 0; i < 20; i++) {
      const target = rng.fork(`t${i % 3}`);
      trace.record({ t: i * 10, kind: 'send', to: `t${i % 3}`, nonce: target.bytes(4) });
    }
    await Promise.resolve();
    return trace.hash();
  }

  test('passes a deterministic run and returns its hash', async () => {
    const h = await checkDeterminism(deterministicRun, 42);
    expect(h).toBe(await deterministicRun(42));
    expect(h).not.toBe(await deterministicRun(43));
  });

  test('catches a run that depends on state outside the seed, naming both hashes', async () => {
    let counter = 0;
    const leaky = async (seed: number) => {
      counter++;
      const trace = new Trace();
      trace.record({ t: 0, kind: 'note', seed, counter });
      return trace.hash();
    };
    let caught: unknown;
    try {
      await checkDeterminism(leaky, 7);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DeterminismError);
    const err = caught as DeterminismError;
    expect(err.name).toBe('DeterminismError');
    expect(err.seed).toBe(7);
    expect(err.firstHash).not.toBe(err.secondHash);
    expect(err.message).toContain(err.firstHash);
    expect(err.message).toContain(err.secondHash);
    expect(err.message).toContain('seed 7');
    expect(counter).toBe(2);
  });

  test('accepts a synchronous runOnce, validates the seed, and propagates run errors', async () => {
    await expect(checkDeterminism(() => 'abc', 1)).resolves.toBe('abc');
    await expect(checkDeterminism(() => 'abc', -1)).rejects.toBeInstanceOf(InvalidSeedError);
    await expect(
      checkDeterminism(() => {
        throw new RangeError('scenario broke');
      }, 1),
    ).rejects.toThrow('scenario broke');
  });
});
