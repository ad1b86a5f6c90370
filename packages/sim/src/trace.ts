/**
 * Run traces: an ordered record of what the simulation did (sends, deliveries, drops, faults,
 * timers, outcomes), rendered as canonical JSON Lines and summarised by a SHA-256 hash, so two
 * runs of the same seed can be compared byte for byte (madsim's MADSIM_TEST_CHECK_DETERMINISM,
 * TigerBeetle VOPR, FoundationDB simulation: see shared/reference/harness.md).
 *
 * Canonical form of one event (one line, no trailing spaces):
 * - object keys sorted by UTF-16 code unit (`Array.prototype.sort` default), at every depth;
 * - `undefined`, functions and symbols dropped from objects (rendered `null` inside arrays);
 * - Uint8Array / Buffer / ArrayBuffer rendered as lowercase hex strings;
 * - bigint rendered as its decimal string; NaN / ±Infinity as the strings "NaN", "Infinity", "-Infinity";
 *   -0 as 0;
 * - Map as an object (keys String()-ed, sorted), Set as an array, Error as {message, name};
 *   objects with toJSON() (Date...) through toJSON().
 */
import { createHash } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { validateSeed } from './rng.js';

/** Well-known event kinds; any other non-empty string is allowed too. */
export type TraceKind = 'send' | 'deliver' | 'drop' | 'fault' | 'timer' | 'outcome' | 'note' | (string & {});

/** One trace event: `t` is virtual time in ms (finite, >= 0), `kind` a non-empty string, plus any fields. */
export interface TraceEvent {
  t: number;
  kind: TraceKind;
  [field: string]: unknown;
}

/** Options of `new Trace(options)`. */
export interface TraceOptions {
  /**
   * Keep at most this many events in memory (a positive integer; default: keep all). Events beyond
   * it are still hashed, so `hash()` always covers the whole run; `discarded` counts the others.
   */
  maxEvents?: number;
  /**
   * Which events to keep when capped: the first `maxEvents` or the most recent (default 'last');
   * 'none' keeps no line at all: every event is still canonicalised and hashed, so `hash()` and
   * `total` are those of a full trace, but `lines()` is empty (runMany's runs: a violating seed is
   * run again with its lines kept). `maxEvents` must be absent with 'none'.
   */
  keep?: 'first' | 'last' | 'none';
  /** false makes `record` a no-op (see `Trace.noop`). Default true. */
  enabled?: boolean;
}

/** A trace operation got bad input; `field` names what was wrong ('t', 'kind', 'maxEvents', a field path...). */
export class TraceError extends Error {
  override readonly name: string = 'TraceError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`trace ${field}: ${message}`);
  }
}

/** `Trace.fromJSONL` could not read a line; `line` is 1-based. */
export class TraceParseError extends TraceError {
  override readonly name = 'TraceParseError';
  constructor(
    readonly line: number,
    field: string,
    message: string,
  ) {
    super(field, `line ${line}: ${message}`);
  }
}

/** The same seed produced two different trace hashes: the run is not deterministic. */
export class DeterminismError extends Error {
  override readonly name = 'DeterminismError';
  constructor(
    readonly seed: number,
    readonly firstHash: string,
    readonly secondHash: string,
  ) {
    super(
      `run is not deterministic: seed ${seed} gave trace hash ${firstHash} on the first run and ` +
        `${secondHash} on the second (look for Math.random, Date.now, global timers, ` +
        `iteration over unordered state, or state kept between runs)`,
    );
  }
}

/** Characters of JSONL buffered before they are fed to the hash. */
const HASH_CHUNK = 1 << 16;

/**
 * An ordered, hashable record of simulation events.
 *
 * Each `record`ed event is canonicalised to one JSON line at once (so mutating the object later
 * does not change the trace) and fed to an incremental SHA-256. `hash()` is therefore the
 * SHA-256 of the JSONL of *every* event recorded, equal to `sha256(toJSONL())` unless the cap
 * discarded some. A disabled trace (`Trace.noop`) does nothing in `record`; check `enabled`
 * before building expensive events in hot paths.
 */
export class Trace {
  /** A shared disabled trace: `record` costs one branch; `hash`/`toJSONL` throw. */
  static readonly noop: Trace = new Trace({ enabled: false });

  readonly enabled: boolean;
  private readonly maxEvents: number;
  private readonly keepLast: boolean;
  private kept: string[] = [];
  private keptStart = 0; // kept lines are kept[keptStart..]; compacted lazily (keep: 'last')
  private recorded = 0;
  // Node's native SHA-256, fed in chunks of up to HASH_CHUNK characters of JSONL (the digest is
  // the same as hashing line by line; fewer, larger updates are cheaper).
  private readonly hasher = createHash('sha256');
  private pending = '';

  /**
   * @throws TraceError('maxEvents') unless maxEvents is a positive integer (or when given with
   *   keep 'none'); TraceError('keep') for another value than 'first' / 'last' / 'none'.
   */
  constructor(options: TraceOptions = {}) {
    const { maxEvents, keep = 'last', enabled = true } = options;
    if (maxEvents !== undefined && !(Number.isSafeInteger(maxEvents) && maxEvents > 0)) {
      throw new TraceError('maxEvents', `must be a positive integer, got ${String(maxEvents)}`);
    }
    if (keep !== 'first' && keep !== 'last' && keep !== 'none')
      throw new TraceError('keep', `must be 'first', 'last' or 'none', got ${String(keep)}`);
    if (keep === 'none' && maxEvents !== undefined)
      throw new TraceError('maxEvents', `cannot be given with keep 'none' (no event is kept)`);
    this.enabled = enabled;
    this.maxEvents = keep === 'none' ? 0 : (maxEvents ?? Number.POSITIVE_INFINITY); // 0: keep 'none'
    this.keepLast = keep === 'last';
  }

  /**
   * Appends one event (no-op when disabled).
   * @throws TraceError('t') unless t is a finite number >= 0; TraceError('kind') unless kind is a
   *   non-empty string; TraceError(<path>) for a cyclic value.
   */
  record(event: TraceEvent): void {
    if (!this.enabled) return;
    if (event === null || typeof event !== 'object') throw new TraceError('event', 'must be an object');
    const { t, kind } = event;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
      throw new TraceError('t', `must be a finite number of ms >= 0, got ${String(t)}`);
    }
    if (typeof kind !== 'string' || kind === '')
      throw new TraceError('kind', `must be a non-empty string, got ${String(kind)}`);
    const line = canonicalJson(event);
    this.pending += line + '\n';
    if (this.pending.length >= HASH_CHUNK) this.flushHash();
    this.recorded++;
    if (this.kept.length - this.keptStart < this.maxEvents) {
      this.kept.push(line);
    } else if (this.keepLast) {
      this.kept.push(line);
      this.keptStart++;
      // Compact once the dead prefix is as large as the live part: amortised O(1) per event.
      if (this.keptStart >= this.maxEvents) {
        this.kept = this.kept.slice(this.keptStart);
        this.keptStart = 0;
      }
    }
  }

  /** Number of events recorded since creation (kept or not). */
  get total(): number {
    return this.recorded;
  }

  /** Number of events held in memory (<= maxEvents). */
  get size(): number {
    return this.kept.length - this.keptStart;
  }

  /** Number of recorded events not held because of `maxEvents`. */
  get discarded(): number {
    return this.recorded - this.size;
  }

  /** The kept events' canonical JSON lines, in order (no trailing newlines). */
  lines(): string[] {
    return this.kept.slice(this.keptStart);
  }

  /** The kept events as plain objects, parsed back from their canonical lines (bytes appear as hex strings). */
  events(): TraceEvent[] {
    return this.lines().map((l) => JSON.parse(l) as TraceEvent);
  }

  /**
   * The kept events as JSON Lines: each canonical line followed by '\n' ('' for no events).
   * @throws TraceError('enabled') on a disabled trace; TraceError('keep') on one that keeps no
   *   line (keep 'none': its JSONL would be empty, not the events its hash covers).
   */
  toJSONL(): string {
    this.assertEnabled('toJSONL');
    if (this.maxEvents === 0 && this.recorded > 0)
      throw new TraceError('keep', `toJSONL() has no lines to give: this trace keeps none (keep 'none')`);
    return this.lines()
      .map((l) => l + '\n')
      .join('');
  }

  /**
   * Lowercase hex SHA-256 (64 chars) of the JSONL of every event recorded so far (kept or
   * discarded). Can be called repeatedly while recording continues.
   * @throws TraceError('enabled') on a disabled trace (its hash would make any two runs look equal).
   */
  hash(): string {
    this.assertEnabled('hash');
    this.flushHash();
    return this.hasher.copy().digest('hex');
  }

  private flushHash(): void {
    if (this.pending === '') return;
    this.hasher.update(this.pending, 'utf8');
    this.pending = '';
  }

  /**
   * Reads JSON Lines (as written by `toJSONL`) into a new enabled, uncapped Trace. Blank lines and
   * a trailing '\r' per line are ignored; each event is re-canonicalised, so
   * `Trace.fromJSONL(t.toJSONL()).hash() === t.hash()` for an uncapped trace t.
   * @throws TraceParseError naming the 1-based line and the field ('json', 'event', 't', 'kind').
   */
  static fromJSONL(text: string): Trace {
    const trace = new Trace();
    const rows = text.split('\n');
    for (let i = 0; i < rows.length; i++) {
      const row = (rows[i] as string).replace(/\r$/, '');
      if (row.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(row) as unknown;
      } catch (err) {
        throw new TraceParseError(i + 1, 'json', `not valid JSON (${(err as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new TraceParseError(i + 1, 'event', 'must be a JSON object');
      }
      try {
        trace.record(value as TraceEvent);
      } catch (err) {
        if (err instanceof TraceError) throw new TraceParseError(i + 1, err.field, err.message);
        throw err;
      }
    }
    return trace;
  }

  private assertEnabled(op: string): void {
    if (!this.enabled) throw new TraceError('enabled', `${op}() is not available on a disabled trace`);
  }
}

/**
 * Canonical JSON text of `value` (rules in the module docstring): the same logical value always
 * gives the same string, whatever the key insertion order.
 * @throws TraceError(<path>) for a cyclic structure; TraceError('value') when the top-level value
 *   itself is undefined, a function or a symbol.
 */
export function canonicalJson(value: unknown): string {
  let out: string | undefined;
  try {
    // Fast path: no path strings are built; a cycle throws CYCLE and the slow path names it.
    out = canon(value, new Set<object>(), null);
  } catch (e) {
    if (e !== CYCLE) throw e;
    out = canon(value, new Set<object>(), '$');
  }
  if (out === undefined) throw new TraceError('value', `cannot render ${typeof value} as JSON`);
  return out;
}

/** Thrown by the fast path (path null) on a cycle; never escapes canonicalJson. */
const CYCLE = Symbol('cycle');

/** JSON.stringify(key) for object keys, cached: traces repeat a few dozen keys millions of times. */
const KEY_JSON = new Map<string, string>();
function keyJson(k: string): string {
  let j = KEY_JSON.get(k);
  if (j === undefined) {
    j = JSON.stringify(k);
    if (KEY_JSON.size < 4096) KEY_JSON.set(k, j);
  }
  return j;
}

function canon(v: unknown, seen: Set<object>, path: string | null): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : JSON.stringify(String(v));
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(v.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (v === null) return 'null';
  const o = v as object;
  if (o instanceof Uint8Array) return JSON.stringify(bytesToHex(o));
  if (o instanceof ArrayBuffer) return JSON.stringify(bytesToHex(new Uint8Array(o)));
  if (seen.has(o)) {
    if (path === null) throw CYCLE;
    throw new TraceError(path, 'cyclic value cannot be traced');
  }
  seen.add(o);
  try {
    if (ArrayBuffer.isView(o)) {
      // Other typed arrays: their numeric elements (DataView: its bytes).
      if (o instanceof DataView)
        return JSON.stringify(bytesToHex(new Uint8Array(o.buffer, o.byteOffset, o.byteLength)));
      return canon(Array.from(o as unknown as ArrayLike<number | bigint>), seen, path);
    }
    if (Array.isArray(o)) {
      return (
        '[' +
        o.map((item, i) => canon(item, seen, path === null ? null : `${path}[${i}]`) ?? 'null').join(',') +
        ']'
      );
    }
    if (o instanceof Set) return canon([...o], seen, path);
    if (o instanceof Map) {
      const obj: Record<string, unknown> = {};
      for (const [k, val] of o) obj[String(k)] = val;
      return canonObject(obj, seen, path);
    }
    if (o instanceof Error) return canonObject({ message: o.message, name: o.name }, seen, path);
    const toJSON = (o as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return canon((toJSON as () => unknown).call(o), seen, path);
    return canonObject(o as Record<string, unknown>, seen, path);
  } finally {
    seen.delete(o);
  }
}

/** Keys at most this many are sorted by insertion in place (Array.prototype.sort copies them). */
const INSERTION_SORT_MAX = 16;

/**
 * Sort distinct keys in UTF-16 code unit order, as `keys.sort()` does (its default comparison):
 * in place by insertion for a handful (an event's keys), else with `sort`.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > INSERTION_SORT_MAX) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > k; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = k;
  }
}

function canonObject(o: Record<string, unknown>, seen: Set<object>, path: string | null): string {
  let out = '{';
  let first = true;
  const keys = Object.keys(o);
  // Most events are built with their keys in order already: sort only when they are not.
  for (let i = 1; i < keys.length; i++)
    if (keys[i - 1]! > keys[i]!) {
      sortKeys(keys);
      break;
    }
  for (const key of keys) {
    const rendered = canon(o[key], seen, path === null ? null : `${path}.${key}`);
    if (rendered === undefined) continue;
    out += (first ? '' : ',') + keyJson(key) + ':' + rendered;
    first = false;
  }
  return out + '}';
}

/**
 * Runs `runOnce(seed)` twice, one after the other, and compares the trace hashes it returns
 * (madsim-style determinism check). Resolves to the hash when both agree.
 * @param runOnce runs the whole scenario from scratch for `seed` and returns its `trace.hash()`
 * @param seed 32-bit unsigned integer (InvalidSeedError otherwise)
 * @throws DeterminismError naming the seed and both hashes when they differ; errors of runOnce as is.
 */
export async function checkDeterminism(
  runOnce: (seed: number) => Promise<string> | string,
  seed: number,
): Promise<string> {
  validateSeed(seed);
  const first = await runOnce(seed);
  const second = await runOnce(seed);
  if (first !== second) throw new DeterminismError(seed, first, second);
  return first;
}
