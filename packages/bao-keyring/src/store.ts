/**
 * Local key metadata (uid → name, public key, address, exportable, namespace) and a per-key lock.
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

/** Where snapshots go. `save` receives every record, sorted by uid; it may be slow and async. */
export interface MetadataPersistence {
  save(records: readonly KeyMetadata[]): Promise<void>;
}

const copy = (m: KeyMetadata): KeyMetadata => Object.freeze({ ...m, publicKey: new Uint8Array(m.publicKey) });

interface Waiter {
  version: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Metadata store, safe under concurrent use. Records handed out are frozen copies. */
export class KeyMetadataStore {
  readonly #records = new Map<string, KeyMetadata>();
  readonly #persistence: MetadataPersistence | undefined;
  #version = 0;
  #writing = false;
  #waiters: Waiter[] = [];

  /** @param options.persistence optional snapshot writer; @param options.initial records to start with. */
  constructor(options: { persistence?: MetadataPersistence; initial?: readonly KeyMetadata[] } = {}) {
    this.#persistence = options.persistence;
    for (const r of options.initial ?? []) this.#records.set(r.uid, copy(r));
  }

  /** Number of records. */
  get size(): number {
    return this.#records.size;
  }

  /** The record for `uid`, or undefined. */
  get(uid: string): KeyMetadata | undefined {
    const r = this.#records.get(uid);
    return r === undefined ? undefined : copy(r);
  }

  /** True when `uid` has a record. */
  has(uid: string): boolean {
    return this.#records.has(uid);
  }

  /** The record whose address (hex, case-insensitive) matches, or undefined. */
  getByAddress(address: string): KeyMetadata | undefined {
    const want = address.toLowerCase();
    for (const r of this.#records.values()) if (r.address === want) return copy(r);
    return undefined;
  }

  /** Every record, sorted by uid. */
  list(): KeyMetadata[] {
    return [...this.#records.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0)).map(copy);
  }

  /**
   * Insert or replace the record of `meta.uid`. The in-memory update is immediate.
   * @returns a promise that resolves once a snapshot containing this update is persisted
   *   (at once without persistence).
   * @throws (rejects with) BaoStoreError when that snapshot's save failed.
   */
  put(meta: KeyMetadata): Promise<void> {
    this.#records.set(meta.uid, copy(meta));
    return this.#persist();
  }

  /**
   * Remove `uid`. The in-memory update is immediate; see {@link put} for the returned promise.
   * @returns whether a record existed.
   */
  async delete(uid: string): Promise<boolean> {
    const existed = this.#records.delete(uid);
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
