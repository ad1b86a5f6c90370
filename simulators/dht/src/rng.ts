import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** Injected randomness: returns `n` random bytes. Same contract across fanout-lab. */
export type Rng = (n: number) => Uint8Array;

/**
 * Deterministic byte stream for simulations (NOT for keys or anything secret): SHA-256 in
 * counter mode over the seed, i.e. block i = SHA-256(utf8("fanout-sim-dht-rng") ‖ seed ‖ u32be(i)).
 * The same seed always yields the same bytes, across platforms.
 * @param seed any string or number (numbers are used through their decimal text).
 */
export function seededRng(seed: string | number): Rng {
  const prefix = utf8ToBytes(`fanout-sim-dht-rng:${String(seed)}:`);
  let counter = 0;
  let block = new Uint8Array(0);
  let pos = 0;
  const next = (): void => {
    const input = new Uint8Array(prefix.length + 4);
    input.set(prefix);
    new DataView(input.buffer).setUint32(prefix.length, counter++);
    block = sha256(input);
    pos = 0;
  };
  return (n: number): Uint8Array => {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`rng(n): n must be an integer >= 0, got ${n}`);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (pos >= block.length) next();
      out[i] = block[pos++]!;
    }
    return out;
  };
}

/** Uniform-ish integer in [0, n) from 4 rng bytes (modulo bias negligible for small n). */
export function rngInt(rng: Rng, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`rngInt: n must be a positive integer, got ${n}`);
  const b = rng(4);
  return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) % n;
}
