/**
 * Local key metadata ((namespace, uid) → name, public key, address, exportable) and a per-key lock.
 * Keys are separate per `X-Vault-Namespace` in Bao, so the same uid may exist in several namespaces
 * with different keys: every lookup takes the namespace ('' = root / the client's default).
 *
 * The Go keyring keeps this in BaoStore behind a sync.RWMutex (popsigner bao_store.go). Here the
 * in-memory map is updated synchronously (JavaScript runs one callback at a time, so a single
 * update cannot interleave with another), and optional persistence is written by one writer loop
 * that always saves the latest full snapshot: concurrent puts/deletes can never overwrite each
 * other's update (no read-modify-write across an await).
 */
import { BaoStoreError } from './errors.js';

/** Metadata of one key. `publicKey` is the 33-byte compressed key. */
export interface KeyMetadata {
  /** Keyring id; also the key's name in Bao. */
  readonly uid: string;
  /** Name of the key in Bao (equal to `uid` for keys this keyring creates). */
  readonly name: string;
  readonly publicKey: Uint8Array;
  /** Hex of RIPEMD160(SHA256(publicKey)), 40 lowercase hex chars. */
  readonly address: string;
  readonly exportable: boolean;
  /** `X-Vault-Namespace` the key lives in ('' = root / client default). */
  readonly namespace: string;
}

/** Where snapshots go. `save` receives every record, sorted by namespace then uid; it may be slow and async. */
export interface MetadataPersistence {
  save(records: readonly KeyMetadata[]): Promise<void>;
}

const copy = (m: KeyMetadata): KeyMetadata => Object.freeze({ ...m, publicKey: new Uint8Array(m.publicKey) });

/**
 * The map key of (namespace, uid): unambiguous for any strings (JSON of the pair), so 'a' + 'b/c'
 * never collides with 'a/b' + 'c'. Also the lock key the keyring uses.
 */
export function namespacedKey(namespace: string, uid: string): string {
  return JSON.stringify([namespace, uid]);
}

const byNamespaceThenUid = (a: KeyMetadata, b: KeyMetadata): number =>
  a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;

interface Waiter {
  version: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Metadata store keyed by (namespace, uid), safe under concurrent use. Records handed out are
 * frozen copies. `namespace` arguments default to '' (root).
 */
export class KeyMetadataStore {
  readonly #records = new Map<string, KeyMetadata>();
  readonly #persistence: MetadataPersistence | undefined;
  #version = 0;
  #writing = false;
  #waiters: Waiter[] = [];

  /** @param options.persistence optional snapshot writer; @param options.initial records to start with. */
  constructor(options: { persistence?: MetadataPersistence; initial?: readonly KeyMetadata[] } = {}) {
    this.#persistence = options.persistence;
    for (const r of options.initial ?? []) this.#records.set(namespacedKey(r.namespace, r.uid), copy(r));
  }

  /** Number of records. */
  get size(): number {
    return this.#records.size;
  }

  /** The record of `uid` in `namespace` (default '' = root), or undefined. */
  get(uid: string, namespace = ''): KeyMetadata | undefined {
    const r = this.#records.get(namespacedKey(namespace, uid));
    return r === undefined ? undefined : copy(r);
  }

  /** True when `uid` has a record in `namespace` (default '' = root). */
  has(uid: string, namespace = ''): boolean {
    return this.#records.has(namespacedKey(namespace, uid));
  }

  /** The record whose address (hex, case-insensitive) matches, or undefined. */
  getByAddress(address: string): KeyMetadata | undefined {
    const want = address.toLowerCase();
    for (const r of this.#records.values()) if (r.address === want) return copy(r);
    return undefined;
  }

  /**
   * Records sorted by namespace, then uid.
   * @param namespace only this namespace's records; omitted: every namespace.
   */
  list(namespace?: string): KeyMetadata[] {
    const all = [...this.#records.values()];
    return (namespace === undefined ? all : all.filter((r) => r.namespace === namespace))
      .sort(byNamespaceThenUid)
      .map(copy);
  }

  /**
   * Insert or replace the record of (`meta.namespace`, `meta.uid`). The in-memory update is immediate.
   * @returns a promise that resolves once a snapshot containing this update is persisted
   *   (at once without persistence).
   * @throws (rejects with) BaoStoreError when that snapshot's save failed.
   */
  put(meta: KeyMetadata): Promise<void> {
    this.#records.set(namespacedKey(meta.namespace, meta.uid), copy(meta));
    return this.#persist();
  }

  /**
   * Remove `uid` of `namespace` (default '' = root). The in-memory update is immediate; see
   * {@link put} for the returned promise.
   * @returns whether a record existed.
   */
  async delete(uid: string, namespace = ''): Promise<boolean> {
    const existed = this.#records.delete(namespacedKey(namespace, uid));
    if (existed) await this.#persist();
    return existed;
  }

  /** Resolves once every update so far is persisted (or its save failed). */
  async flush(): Promise<void> {
    if (this.#persistence === undefined || !this.#writing) return;
    await new Promise<void>((resolve) =>
      this.#waiters.push({ version: this.#version, resolve, reject: () => resolve() }),
    );
  }

  #persist(): Promise<void> {
    if (this.#persistence === undefined) return Promise.resolve();
    const version = ++this.#version;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ version, resolve, reject }));
    if (!this.#writing) void this.#writeLoop(this.#persistence);
    return done;
  }

  /** One writer: save the latest snapshot until nothing newer is pending. */
  async #writeLoop(persistence: MetadataPersistence): Promise<void> {
    this.#writing = true;
    try {
      for (;;) {
        const version = this.#version;
        let error: unknown;
        try {
          await persistence.save(this.list());
        } catch (e) {
          error = new BaoStoreError(`saving key metadata failed: ${(e as Error)?.message ?? String(e)}`, {
            cause: e,
          });
        }
        const settled = this.#waiters.filter((w) => w.version <= version);
        this.#waiters = this.#waiters.filter((w) => w.version > version);
        for (const w of settled) {
          if (error === undefined) w.resolve();
          else w.reject(error);
        }
        if (this.#version === version) return;
      }
    } finally {
      this.#writing = false;
    }
  }
}

/**
 * Per-key mutual exclusion: `run(key, fn)` runs `fn` after every earlier `run` on the same key
 * settled, in call order; different keys run concurrently.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Run `fn` exclusively for `key`. Resolves/rejects with `fn`'s outcome. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get busyKeys(): number {
    return this.#tails.size;
  }
}
