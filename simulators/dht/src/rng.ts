import type { RandomBytes } from '@fanout/core';
import { createRng, rngBytesFn } from '@fanout/sim';

/**
 * Randomness in @fanout/sim-dht is always injected as a {@link RandomBytes} (`(n) => Uint8Array`
 * from @fanout/core), drawn from the project's one seeded generator (`createRng(seed).fork(label)`
 * with `rngBytesFn`, @fanout/sim). This module only adapts it.
 */

/**
 * Random bytes for the seed string/number `seed` — a thin adapter over the project's generator:
 * `rngBytesFn(createRng(0).fork(`sim-dht:${seed}`))` (same seed, same bytes; NOT for secrets).
 * @deprecated Inject `rngBytesFn(createRng(seed).fork(label))` from @fanout/sim instead. Kept
 *   exported for existing callers (scenarios/test/dht.property.test.ts).
 * @throws RngArgumentError('n') from the returned function for a negative or fractional n.
 */
export function seededRng(seed: string | number): RandomBytes {
  return rngBytesFn(createRng(0).fork(`sim-dht:${String(seed)}`));
}

/**
 * Integer in [0, n) from 4 random bytes (big-endian u32 modulo n; the bias is negligible for the
 * small n used here: list indexes).
 * @throws RangeError when n is not a positive integer.
 */
export function rngInt(rng: RandomBytes, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`rngInt: n must be a positive integer, got ${n}`);
  const b = rng(4);
  return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) % n;
}
