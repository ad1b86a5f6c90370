/**
 * Where the simulator's key material comes from. There is no generator of its own: randomness is
 * a {@link RandomBytes} the caller injects (a CSPRNG such as @noble/hashes `randomBytes` for a
 * server a real client uses), or, for simulations that must replay, the project's one seeded
 * generator: `rngBytesFn(createRng(seed).fork(BAO_KEY_STREAM))` from @fanout/sim.
 */
import type { RandomBytes } from '@fanout/core';
import { createRng, rngBytesFn } from '@fanout/sim';

/** Label of the seeded stream key material is drawn from (`createRng(seed).fork(BAO_KEY_STREAM)`). */
export const BAO_KEY_STREAM = 'sim-bao/keys';

/** Thrown when an injected RandomBytes returns something other than `n` bytes. */
export class BaoRngError extends Error {
  override readonly name = 'BaoRngError';
}

/**
 * The seeded key stream for `seed`: deterministic, so every key is predictable from the seed.
 * For simulations and tests only.
 * @param seed 32-bit unsigned integer (the project's seed type).
 * @throws InvalidSeedError (from @fanout/sim, field 'seed') for anything else.
 */
export function seededKeyRandom(seed: number): RandomBytes {
  return rngBytesFn(createRng(seed).fork(BAO_KEY_STREAM));
}

/**
 * Call `random(n)` and check the answer.
 * @throws BaoRngError when the result is not a Uint8Array of length `n`.
 */
export function drawBytes(random: RandomBytes, n: number): Uint8Array {
  const out = random(n);
  if (!(out instanceof Uint8Array) || out.length !== n) {
    throw new BaoRngError(
      `rng(${n}) returned ${out instanceof Uint8Array ? `${out.length} bytes` : typeof out}, expected ${n} bytes`,
    );
  }
  return out;
}
