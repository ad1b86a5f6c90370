/** The AN table one fake RAIDA holds: (den, SN) → 16-byte AN. */

import { AN_SIZE, RaidaEncodeError, type CoinId } from '@fanout/raida';

const keyOf = (den: number, sn: number): string => `${den}/${sn}`;

/**
 * One RAIDA's authenticity numbers. ANs are copied on the way in and out of {@link get} and
 * {@link set}, so callers cannot mutate the table through a returned array; the server's own hot
 * paths (detect, find, key lookup) read the stored AN in place through {@link peek}.
 */
export class TokenTable {
  readonly #ans = new Map<string, { readonly coin: CoinId; an: Uint8Array }>();

  /** The AN of (den, sn), or `undefined` when this RAIDA does not know the token. */
  get(den: number, sn: number): Uint8Array | undefined {
    return this.#ans.get(keyOf(den, sn))?.an.slice();
  }

  /**
   * The stored AN of (den, sn) itself, not a copy (or `undefined`): for comparisons and keys
   * inside the server, which never write to it. Use {@link get} to hand an AN out.
   */
  peek(den: number, sn: number): Uint8Array | undefined {
    return this.#ans.get(keyOf(den, sn))?.an;
  }

  /** Sets the AN of (den, sn). @throws RaidaEncodeError when `an` is not 16 bytes. */
  set(den: number, sn: number, an: Uint8Array): void {
    if (!(an instanceof Uint8Array) || an.length !== AN_SIZE)
      throw new RaidaEncodeError('an', `must be ${AN_SIZE} bytes`);
    this.#ans.set(keyOf(den, sn), { coin: { den, sn }, an: an.slice() });
  }

  /** True when the table holds (den, sn). */
  has(den: number, sn: number): boolean {
    return this.#ans.has(keyOf(den, sn));
  }

  /** Removes (den, sn); true when it was present. */
  delete(den: number, sn: number): boolean {
    return this.#ans.delete(keyOf(den, sn));
  }

  /** Number of tokens held. */
  get size(): number {
    return this.#ans.size;
  }

  /** The tokens held, in insertion order. */
  coins(): CoinId[] {
    return [...this.#ans.values()].map((e) => e.coin);
  }
}
