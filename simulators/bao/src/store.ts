/**
 * In-memory key storage of the simulated plugin, one map per storage space: a plugin mount in a
 * namespace (namespace path + mount path, e.g. 'team-a/secp256k1/'), as each mount of OpenBao has
 * its own storage view. Mirrors popsigner plugin/secp256k1 keyEntry (private key, compressed
 * public key, exportable, created_at, imported). Private keys stay inside this module's entries;
 * only the export path of an exportable key hands one out.
 */
import type { BaoKeyPair } from './keys.js';

/** One stored key. `privateKey` is 32 bytes, `publicKey` 33 bytes (compressed): those of `pair`. */
export interface KeyEntry {
  readonly name: string;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The key pair (addresses and signatures computed once; see keys.ts). */
  readonly pair: BaoKeyPair;
  readonly exportable: boolean;
  readonly imported: boolean;
  /** Clock time of creation/import, ms. */
  readonly createdAtMs: number;
}

/** Keys per storage space. Plain synchronous maps: one request's handler never interleaves with another's mid-update. */
export class KeyStore {
  readonly #spaces = new Map<string, Map<string, KeyEntry>>();

  #space(space: string, create: boolean): Map<string, KeyEntry> | undefined {
    let keys = this.#spaces.get(space);
    if (keys === undefined && create) {
      keys = new Map();
      this.#spaces.set(space, keys);
    }
    return keys;
  }

  /** The entry, or undefined when `name` does not exist in `space`. */
  get(space: string, name: string): KeyEntry | undefined {
    return this.#space(space, false)?.get(name);
  }

  /** True when `name` exists in `space`. */
  has(space: string, name: string): boolean {
    return this.get(space, name) !== undefined;
  }

  /** Store `entry` under its name; returns false (and stores nothing) when the name is taken. */
  insert(space: string, entry: KeyEntry): boolean {
    const keys = this.#space(space, true)!;
    if (keys.has(entry.name)) return false;
    keys.set(entry.name, entry);
    return true;
  }

  /** Remove `name`; returns whether it existed. */
  delete(space: string, name: string): boolean {
    return this.#space(space, false)?.delete(name) ?? false;
  }

  /** Entries of `space`, sorted by name (code-unit order, like Vault's storage list). */
  list(space: string): KeyEntry[] {
    const keys = this.#space(space, false);
    if (keys === undefined) return [];
    return [...keys.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
