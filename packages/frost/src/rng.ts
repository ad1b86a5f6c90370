/**
 * Randomness source injected into every operation that needs it, so that a seeded simulation run
 * is reproducible byte for byte.
 */

/** Returns `n` random bytes (n ≥ 0). Must be a CSPRNG outside simulations. */
export type Rng = (n: number) => Uint8Array;

/**
 * Adapt an {@link Rng} to the `(bytesLength?: number) => Uint8Array` shape that @noble expects
 * (default length 32 bytes, as in `randomBytes`).
 */
export function nobleRng(rng: Rng): (bytesLength?: number) => Uint8Array {
  return (bytesLength = 32) => {
    const out = rng(bytesLength);
    if (out.length !== bytesLength) {
      throw new RangeError(`rng returned ${out.length} bytes, ${bytesLength} requested`);
    }
    return out;
  };
}
