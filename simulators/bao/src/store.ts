/**
 * In-memory key storage of the simulated plugin, one map per `X-Vault-Namespace`.
 * Mirrors popsigner plugin/secp256k1 keyEntry (private key, compressed public key, exportable,
 * created_at, imported). Private keys stay inside this module's entries; only the export path of
 * an exportable key hands one out.
 */

/** One stored key. `privateKey` is 32 bytes, `publicKey` 33 bytes (compressed). */
export interface KeyEntry {
  readonly name: string;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly exportable: boolean;
  readonly imported: boolean;
  /** Clock time of creation/import, ms. */
  readonly createdAtMs: number;
}

/** Keys per namespace ('' = root). Plain synchronous maps: one request's handler never interleaves with another's mid-update. */
export class KeyStore {
  readonly #spaces = new Map<string, Map<string, KeyEntry>>();

  #space(namespace: string, create: boolean): Map<string, KeyEntry> | undefined {
    let space = this.#spaces.get(namespace);
    if (space === undefined && create) {
      space = new Map();
      this.#spaces.set(namespace, space);
    }
    return space;
  }

  /** The entry, or undefined when `name` does not exist in `namespace`. */
  get(namespace: string, name: string): KeyEntry | undefined {
    return this.#space(namespace, false)?.get(name);
  }

  /** True when `name` exists in `namespace`. */
  has(namespace: string, name: string): boolean {
    return this.get(namespace, name) !== undefined;
  }

  /** Store `entry` under its name; returns false (and stores nothing) when the name is taken. */
  insert(namespace: string, entry: KeyEntry): boolean {
    const space = this.#space(namespace, true)!;
    if (space.has(entry.name)) return false;
    space.set(entry.name, entry);
    return true;
  }

  /** Remove `name`; returns whether it existed. */
  delete(namespace: string, name: string): boolean {
    return this.#space(namespace, false)?.delete(name) ?? false;
  }

  /** Entries of `namespace`, sorted by name (code-unit order, like Vault's storage list). */
  list(namespace: string): KeyEntry[] {
    const space = this.#space(namespace, false);
    if (space === undefined) return [];
    return [...space.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
