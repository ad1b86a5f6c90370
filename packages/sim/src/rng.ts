/**
 * Seeded random streams for the simulation.
 *
 * One run has one root seed (a 32-bit unsigned integer). Every consumer of randomness (each
 * target's latencies, each fault decision, nonces, keys...) takes its own *stream*, named by a
 * label: `createRng(seed).fork('raida/7')`. A stream's state is derived from (root seed, label
 * path) by SHA-256 (@noble/hashes) — never from the parent's current position — so
 *
 * - adding a target (a new label) does not shift any other target's draws, and
 * - the order in which streams are created, or interleaved while drawing, does not matter.
 *
 * The generator is pure-rand 8's xoroshiro128+ (the PRNG behind fast-check), seeded with the
 * first 16 bytes of the digest as its full 128-bit state.
 */
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { sha256 } from '@noble/hashes/sha2.js';

/** Largest valid seed: seeds are 32-bit unsigned integers, 0 ..= 0xFFFF_FFFF. */
export const MAX_SEED = 0xffff_ffff;

/** Domain separator hashed in front of every stream derivation (bump it to change all streams). */
const DOMAIN = new TextEncoder().encode('fanout-lab/sim/rng/v1');

/** A seed was not a 32-bit unsigned integer (or a string that parses to one). */
export class InvalidSeedError extends Error {
  override readonly name = 'InvalidSeedError';
  /** Always 'seed': the field that was wrong. */
  readonly field = 'seed';
  constructor(readonly value: unknown) {
    super(`seed must be an integer in 0..${MAX_SEED} (32-bit unsigned), got ${describeValue(value)}`);
  }
}

/** An argument to an Rng method was out of range; `field` names it (e.g. 'max', 'p', 'n', 'label'). */
export class RngArgumentError extends Error {
  override readonly name = 'RngArgumentError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`rng argument '${field}': ${message}`);
  }
}

/**
 * A seeded random stream. All draws are deterministic given (root seed, label path) and the
 * sequence of calls made on this instance.
 */
export interface Rng {
  /** The root seed (uint32) this stream descends from. */
  readonly seed: number;
  /** Labels from the root to this stream ([] for the root stream itself). */
  readonly path: readonly string[];
  /** Next 32-bit unsigned integer, uniform in 0 ..= 0xFFFF_FFFF. Consumes 1 draw. */
  nextU32(): number;
  /** Uniform float in [0, 1) with 53 random bits. Consumes 2 draws. */
  float(): number;
  /** Uniform integer in [min, max], both inclusive. Throws RngArgumentError unless both are safe integers with min <= max. */
  int(min: number, max: number): number;
  /** true with probability p (0 ..= 1). Throws RngArgumentError for p outside [0, 1] or NaN. */
  bool(p: number): boolean;
  /** n random bytes (n a non-negative integer). Consumes ceil(n / 4) draws. */
  bytes(n: number): Uint8Array;
  /** One element chosen uniformly. Throws RngArgumentError on an empty array. */
  pick<T>(items: readonly T[]): T;
  /** A uniformly shuffled copy (Fisher–Yates); the input is not modified. */
  shuffle<T>(items: readonly T[]): T[];
  /** Normally distributed number (Box–Muller). sd must be finite and >= 0. Consumes 4 draws. */
  normal(mean: number, sd: number): number;
  /**
   * An independent stream for `label`, derived from (root seed, this.path + label) only: it does
   * not depend on how much this stream has been drawn, nor on other forks. Each call returns a
   * fresh generator at the start of that stream, so keep the instance to continue drawing.
   */
  fork(label: string): Rng;
}

/**
 * Checks that `seed` is a 32-bit unsigned integer and returns it.
 * @throws InvalidSeedError otherwise (NaN, fractions, negatives, > 0xFFFF_FFFF, non-numbers).
 */
export function validateSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new InvalidSeedError(seed);
  }
  return seed;
}

/**
 * Parses a seed written by a person or a replay file: a decimal ("1234") or hex ("0x4d2") string,
 * or a number. Surrounding whitespace is ignored.
 * @throws InvalidSeedError when the text is not a 32-bit unsigned integer.
 */
export function parseSeed(input: string | number): number {
  if (typeof input === 'number') return validateSeed(input);
  const text = input.trim();
  if (/^[0-9]+$/.test(text)) return validateSeed(Number(text));
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return validateSeed(Number.parseInt(text.slice(2), 16));
  throw new InvalidSeedError(input);
}

/**
 * The 128-bit xoroshiro128+ state (4 signed 32-bit words) of the stream at `path` under `seed`:
 * SHA-256(domain ‖ seed as u32 big-endian ‖ for each label: byte length as u32 big-endian ‖ UTF-8),
 * first 16 bytes. The length prefix makes paths unambiguous: ['a','b'] ≠ ['a/b'] ≠ ['ab'].
 * Exposed for tests and tooling; most code wants `createRng(seed).fork(label)`.
 * @throws InvalidSeedError for a bad seed; RngArgumentError('label') for a non-string label.
 */
export function deriveStreamState(seed: number, path: readonly string[]): [number, number, number, number] {
  validateSeed(seed);
  let len = DOMAIN.length + 4;
  const parts: Uint8Array[] = [];
  for (const label of path) {
    if (typeof label !== 'string')
      throw new RngArgumentError('label', `must be a string, got ${describeValue(label)}`);
    const bytes = labelBytes(label);
    parts.push(bytes);
    len += 4 + bytes.length;
  }
  if (msg.length < len) msg = new Uint8Array(Math.max(len, msg.length * 2));
  msg.set(DOMAIN, 0);
  let at = DOMAIN.length;
  at = putU32(seed, at);
  for (const bytes of parts) {
    at = putU32(bytes.length, at);
    msg.set(bytes, at);
    at += bytes.length;
  }
  // @noble/hashes' SHA-256 (JS): for these few dozen bytes it avoids node:crypto's per-call native
  // round trips (create, update per part, digest; a run forks ~100 streams). Same digest.
  const digest = sha256(msg.subarray(0, len));
  const dv = new DataView(digest.buffer, digest.byteOffset, 16);
  const state: [number, number, number, number] = [
    dv.getInt32(0),
    dv.getInt32(4),
    dv.getInt32(8),
    dv.getInt32(12),
  ];
  // xoroshiro must not start from the all-zero state (it would stay there); 2^-128 odds, handled anyway.
  if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) state[1] = 1;
  return state;
}

/** The message buffer of {@link deriveStreamState}, reused (grown when a path needs more). */
let msg = new Uint8Array(256);

function putU32(v: number, at: number): number {
  msg[at] = v >>> 24;
  msg[at + 1] = v >>> 16;
  msg[at + 2] = v >>> 8;
  msg[at + 3] = v;
  return at + 4;
}

/** UTF-8 of labels, cached: runs fork the same few hundred labels over and over. */
const LABEL_BYTES = new Map<string, Uint8Array>();
const LABEL_CACHE_MAX = 4096;
const utf8 = new TextEncoder();

function labelBytes(label: string): Uint8Array {
  let b = LABEL_BYTES.get(label);
  if (b === undefined) {
    b = utf8.encode(label);
    if (LABEL_BYTES.size < LABEL_CACHE_MAX) LABEL_BYTES.set(label, b);
  }
  return b;
}

/**
 * The seeded generator: a stream of xoroshiro128+ (pure-rand 8) whose state comes from
 * `deriveStreamState(seed, path)`. Not thread-safe, not meant to be shared between consumers:
 * give each consumer its own `fork(label)`.
 */
export class SeededRng implements Rng {
  readonly seed: number;
  readonly path: readonly string[];
  private readonly gen: RandomGenerator;

  /**
   * @param seed root seed, 32-bit unsigned integer (throws InvalidSeedError otherwise)
   * @param path labels from the root stream (default [] = the root stream)
   */
  constructor(seed: number, path: readonly string[] = []) {
    this.seed = validateSeed(seed);
    this.path = Object.freeze([...path]);
    this.gen = xoroshiro128plusFromState(deriveStreamState(this.seed, this.path));
  }

  nextU32(): number {
    return this.gen.next() >>> 0;
  }

  float(): number {
    return uniformFloat64(this.gen);
  }

  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min))
      throw new RngArgumentError('min', `must be a safe integer, got ${describeValue(min)}`);
    if (!Number.isSafeInteger(max))
      throw new RngArgumentError('max', `must be a safe integer, got ${describeValue(max)}`);
    if (min > max) throw new RngArgumentError('max', `must be >= min (${min}), got ${max}`);
    return uniformInt(this.gen, min, max);
  }

  bool(p: number): boolean {
    if (!(p >= 0 && p <= 1))
      throw new RngArgumentError('p', `must be a probability in [0, 1], got ${describeValue(p)}`);
    return this.float() < p;
  }

  bytes(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RngArgumentError('n', `must be a non-negative integer, got ${describeValue(n)}`);
    }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let word = this.gen.next();
      for (let k = 0; k < 4 && i + k < n; k++) {
        out[i + k] = word & 0xff;
        word >>>= 8;
      }
    }
    return out;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RngArgumentError('items', 'cannot pick from an empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  normal(mean: number, sd: number): number {
    if (!Number.isFinite(mean))
      throw new RngArgumentError('mean', `must be finite, got ${describeValue(mean)}`);
    if (!(Number.isFinite(sd) && sd >= 0))
      throw new RngArgumentError('sd', `must be finite and >= 0, got ${describeValue(sd)}`);
    // Box–Muller (cosine branch only, no cached second value: every call costs the same 4 draws).
    const u1 = 1 - this.float(); // (0, 1]: log is finite
    const u2 = this.float();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return mean + sd * z;
  }

  fork(label: string): SeededRng {
    if (typeof label !== 'string')
      throw new RngArgumentError('label', `must be a string, got ${describeValue(label)}`);
    return new SeededRng(this.seed, [...this.path, label]);
  }
}

/**
 * The root stream for `seed` (a 32-bit unsigned integer). Fork it per consumer:
 * `const rng = createRng(seed); const r7 = rng.fork('raida/7');`
 * @throws InvalidSeedError for a bad seed.
 */
export function createRng(seed: number): SeededRng {
  return new SeededRng(seed);
}

/**
 * Adapts an Rng to the `rng: (n: number) => Uint8Array` shape other packages inject
 * (nonces, ARIDs, keys). Each call draws from `rng`'s stream: fork a dedicated stream for it.
 * The returned function throws RngArgumentError('n') for a negative or fractional n.
 */
export function rngBytesFn(rng: Rng): (n: number) => Uint8Array {
  return (n: number) => rng.bytes(n);
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  return String(v);
}
