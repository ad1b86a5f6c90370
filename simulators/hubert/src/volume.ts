/**
 * Persistence model: a {@link KvVolume} is the durable storage behind a simulated store. A put
 * is written to the volume before it is acknowledged, so a crash/restart keeps every
 * acknowledged put (the default) unless the restart is told to lose data (`loseData: true`,
 * e.g. a server whose disk was wiped, or the upstream in-memory server, which loses all on restart).
 * Share one volume between two store instances to model "the same disk, a new process".
 */

/** One stored value. */
export interface StoredEntry {
  /** Untagged envelope CBOR (the `ur:envelope` body). */
  readonly envelopeCbor: Uint8Array;
  /** Expiry time on the store's clock, ms; null = never expires. */
  readonly expiresAtMs: number | null;
  /** When it was stored, ms on the store's clock. */
  readonly storedAtMs: number;
}

/** Durable key → entry map, keyed by canonical `ur:arid/...` text. */
export class KvVolume {
  readonly #entries = new Map<string, StoredEntry>();

  /** The entry under `arid`, expired or not (no expiry logic here). */
  get(arid: string): StoredEntry | undefined {
    return this.#entries.get(arid);
  }
  /** Whether an entry exists under `arid` (expired or not). */
  has(arid: string): boolean {
    return this.#entries.has(arid);
  }
  /** Write (or overwrite) the entry under `arid`. */
  set(arid: string, entry: StoredEntry): void {
    this.#entries.set(arid, entry);
  }
  /** Remove the entry under `arid`; returns whether one was there. */
  delete(arid: string): boolean {
    return this.#entries.delete(arid);
  }
  /** Lose everything (a wiped disk / a memory-only server restarting). */
  wipe(): void {
    this.#entries.clear();
  }
  /** Number of entries (expired ones included until removed). */
  get size(): number {
    return this.#entries.size;
  }
  /** Canonical ARID texts currently held, in insertion order. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}
