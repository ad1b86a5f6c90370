/**
 * Deterministic byte source for the Bao simulator (key generation).
 *
 * The simulator never reads a global random source: private keys come from an injected
 * `rng(n)`. When none is given, {@link seededRng} derives one from a seed so that the same seed
 * always yields the same keys, in the same order.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/** A source of `n` random bytes. Must return a fresh Uint8Array of exactly `n` bytes. */
export type Rng = (n: number) => Uint8Array;

/** Thrown when an injected rng returns something other than `n` bytes. */
export class BaoRngError extends Error {
  override readonly name = 'BaoRngError';
}

/**
 * A deterministic byte stream: block i = SHA-256(utf8(String(seed)) ‖ u32be(i)), concatenated.
 * Not a CSPRNG for production secrets; it exists so simulations replay byte for byte.
 * @param seed any string or number; equal seeds give equal streams.
 * @returns an {@link Rng}; each call consumes the next `n` bytes of the stream.
 * @throws RangeError from the returned function when `n` is not an integer ≥ 0.
 */
export function seededRng(seed: string | number): Rng {
  const prefix = utf8ToBytes(`fanout/sim-bao/${String(seed)}`);
  let counter = 0;
  let buffer = new Uint8Array(0);
  return (n: number): Uint8Array => {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`rng(n): n must be an integer >= 0, got ${n}`);
    while (buffer.length < n) {
      const ctr = new Uint8Array(4);
      new DataView(ctr.buffer).setUint32(0, counter++);
      buffer = concatBytes(buffer, sha256(concatBytes(prefix, ctr)));
    }
    const out = buffer.slice(0, n);
    buffer = buffer.slice(n);
    return out;
  };
}

/**
 * Call `rng(n)` and check the answer.
 * @throws BaoRngError when the result is not a Uint8Array of length `n`.
 */
export function drawBytes(rng: Rng, n: number): Uint8Array {
  const out = rng(n);
  if (!(out instanceof Uint8Array) || out.length !== n) {
    throw new BaoRngError(
      `rng(${n}) returned ${out instanceof Uint8Array ? `${out.length} bytes` : typeof out}, expected ${n} bytes`,
    );
  }
  return out;
}
