/**
 * A bounded memo for pure text parsers (same text ⇒ same result): a Map that drops its oldest
 * entry once it holds `capacity` entries, and ignores texts longer than `maxKeyLength` (so a few
 * huge values cannot pin memory). Failures are never memoised.
 */
export class TextMemo<V> {
  readonly #map = new Map<string, V>();

  /** @throws RangeError when `capacity` or `maxKeyLength` is not a positive integer. */
  constructor(
    readonly capacity: number,
    readonly maxKeyLength: number,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    if (!Number.isSafeInteger(maxKeyLength) || maxKeyLength < 1)
      throw new RangeError(`maxKeyLength must be a positive integer, got ${maxKeyLength}`);
  }

  /** The value memoised for `text` (undefined for none, or a text that is not a string). */
  get(text: unknown): V | undefined {
    return typeof text === 'string' ? this.#map.get(text) : undefined;
  }

  /** Memoise `value` for `text` (a no-op for a text over `maxKeyLength`). */
  set(text: string, value: V): void {
    if (text.length > this.maxKeyLength) return;
    if (!this.#map.has(text) && this.#map.size >= this.capacity) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
    this.#map.set(text, value);
  }
}
