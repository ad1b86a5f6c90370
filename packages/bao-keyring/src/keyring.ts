/**
 * BaoKeyring: a Cosmos-style keyring whose private keys live in OpenBao (popsigner
 * bao_keyring.go), with the batch operations of seed 001 (CreateBatch / SignBatch for Celestia's
 * parallel workers) running through `fanOut` from @fanout/core.
 *
 * Thread safety (seed 001 §3.3): safe for concurrent use. Requests share only the client's
 * connection pool; operations on the same uid (create, delete, import, refresh) are serialised in
 * call order by a per-uid lock, so interleaved creates/deletes never leave the local metadata and
 * the server disagreeing; signs never take the lock, so a slow key never delays another key.
 */
import { fanOut, type Clock, type FanOutEvent } from '@fanout/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/curves/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BAO_KEY_NAME, type BaoClient, type BaoKeyInfo } from './client.js';
import {
  BaoKeyExistsError,
  BaoKeyNotExportableError,
  BaoResponseError,
  BaoSignatureInvalidError,
  BaoValidationError,
  BatchPartialFailureError,
  classifyBaoError,
} from './errors.js';
import { KeyMetadataStore, KeyedMutex, type KeyMetadata } from './store.js';

/** A key as the keyring hands it out (a frozen copy of its metadata). */
export type KeyRecord = KeyMetadata;

/** Options of {@link BaoKeyring}. */
export interface BaoKeyringOptions {
  client: BaoClient;
  /** Local metadata store. Default: a fresh in-memory store. */
  store?: KeyMetadataStore;
  /** Clock of the batch fan-outs. Default: the client's clock. */
  clock?: Clock;
  /** Namespace for keys created without one. Default: the client's namespace (''). */
  namespace?: string;
}

/** Options of {@link BaoKeyring.create}. */
export interface CreateKeyOptions {
  /** Whether Bao may export the private key later. Default false. */
  exportable?: boolean;
  namespace?: string;
  signal?: AbortSignal;
}

/** Result of {@link BaoKeyring.sign}. */
export interface SignOutput {
  /** 64-byte R‖S, low-S, verified locally against `publicKey` over SHA-256(signBytes). */
  readonly signature: Uint8Array;
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
}

/** Options of {@link BaoKeyring.createBatch} (seed 001 CreateBatchOptions). */
export interface CreateBatchOptions {
  /** Key name prefix; keys are `${prefix}-1` … `${prefix}-${count}`. Non-empty. */
  prefix: string;
  /** Number of keys, integer 1..100. */
  count: number;
  namespace?: string;
  exportable?: boolean;
  /** Creates in flight at most (integer ≥ 1). Default: all at once. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Progress: the fan-out's events (target = uid, index = position), synchronous, clock time in ms. Must not throw. */
  onEvent?: (event: FanOutEvent<string, KeyRecord>) => void;
}

/** One item of a batch create. */
export interface CreateBatchItem {
  readonly uid: string;
  readonly key: KeyRecord | undefined;
  readonly error: unknown;
  /** Clock time the item settled, ms. */
  readonly settledAt: number;
  /** Time from its request's start to its settlement, ms (0 when it never started). */
  readonly durationMs: number;
}

/** Result of {@link BaoKeyring.createBatch}: index i is `${prefix}-${i + 1}`. */
export interface CreateBatchResult {
  readonly items: readonly CreateBatchItem[];
  /** Created keys (undefined where that item failed). */
  readonly keys: readonly (KeyRecord | undefined)[];
  /** Per-item errors (undefined where that item succeeded). */
  readonly errors: readonly unknown[];
}

/** One request of {@link BaoKeyring.signBatch} (seed 001 SignRequest). */
export interface SignRequest {
  readonly uid: string;
  /** Sign bytes (SHA-256 is applied before sending, as for {@link BaoKeyring.sign}). */
  readonly msg: Uint8Array;
}

/** One result of {@link BaoKeyring.signBatch}: exactly one of `signature`/`error` is set. */
export interface SignResult {
  readonly uid: string;
  readonly signature: Uint8Array | undefined;
  readonly publicKey: Uint8Array | undefined;
  readonly error: unknown;
  /** Clock time the item settled, ms. */
  readonly settledAt: number;
  /** Time from its request's start to its settlement, ms (0 when it never started). */
  readonly durationMs: number;
}

/** Options of {@link BaoKeyring.signBatch}. */
export interface SignBatchOptions {
  /** Signs in flight at most (integer ≥ 1). Default: all at once. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Progress: the fan-out's events (target = the request, index = its position), synchronous, clock time in ms. Must not throw. */
  onEvent?: (event: FanOutEvent<SignRequest, SignOutput>) => void;
}

const MAX_BATCH = 100;

/** Hex RIPEMD160(SHA256(compressed pubkey)): the Cosmos address bytes (popsigner crypto.go deriveCosmosAddress). */
export function addressOf(publicKey: Uint8Array): string {
  return bytesToHex(ripemd160(sha256(publicKey)));
}

function checkUid(uid: unknown, field = 'uid'): string {
  if (typeof uid !== 'string' || !BAO_KEY_NAME.test(uid)) {
    throw new BaoValidationError(
      field,
      `"${String(uid)}" is not a valid key name (letters, digits, _ . @ -, starting and ending with a letter/digit/_)`,
    );
  }
  return uid;
}

function checkConcurrency(c: unknown): number | undefined {
  if (c === undefined) return undefined;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 1)
    throw new BaoValidationError('concurrency', `must be an integer >= 1, got ${String(c)}`);
  return c;
}

/** Keyring over a {@link BaoClient}. See the module comment for its concurrency guarantees. */
export class BaoKeyring {
  readonly #client: BaoClient;
  readonly #store: KeyMetadataStore;
  readonly #clock: Clock;
  readonly #namespace: string | undefined;
  readonly #locks = new KeyedMutex();

  /**
   * @param options `client` (required), `store` (default: fresh in-memory), `clock` for the batch
   *   fan-outs (default: the client's), `namespace` for new keys (default: the client's).
   */
  constructor(options: BaoKeyringOptions) {
    this.#client = options.client;
    this.#store = options.store ?? new KeyMetadataStore();
    this.#clock = options.clock ?? options.client.clock;
    this.#namespace = options.namespace;
  }

  /** The local metadata store. */
  get store(): KeyMetadataStore {
    return this.#store;
  }

  /** The effective namespace of a call: explicit, else the keyring's, else the client's. */
  #ns(namespace: string | undefined): { namespace: string } {
    return { namespace: namespace ?? this.#namespace ?? this.#client.namespace };
  }

  /** Metadata from server info, checking the server's address against the public key. */
  #toMeta(uid: string, info: BaoKeyInfo, namespace: string): KeyMetadata {
    const address = addressOf(info.publicKey);
    if (info.address !== address) {
      throw new BaoResponseError(
        'data.address',
        `server sent ${info.address}, but RIPEMD160(SHA256(public_key)) is ${address}`,
      );
    }
    return {
      uid,
      name: info.name === '' ? uid : info.name,
      publicKey: info.publicKey,
      address,
      exportable: info.exportable,
      namespace,
    };
  }

  /**
   * Create a key in Bao and record its metadata (a.k.a. NewAccount).
   * @throws BaoValidationError('uid'); BaoKeyExistsError when the uid is in the local store or
   *   Bao says "key already exists"; BaoResponseError for an inconsistent answer; the client's errors.
   */
  async create(uid: string, options: CreateKeyOptions = {}): Promise<KeyRecord> {
    checkUid(uid);
    return this.#locks.run(uid, async () => {
      if (this.#store.has(uid)) throw new BaoKeyExistsError(uid);
      const ns = this.#ns(options.namespace);
      const info = await this.#client.createKey(uid, {
        exportable: options.exportable ?? false,
        ...ns,
        ...signalOf(options.signal),
      });
      const meta = this.#toMeta(uid, info, ns.namespace);
      await this.#store.put(meta);
      return this.#store.get(uid)!;
    });
  }

  /** Alias of {@link create} (the Cosmos keyring's NewAccount). */
  newAccount(uid: string, options: CreateKeyOptions = {}): Promise<KeyRecord> {
    return this.create(uid, options);
  }

  /**
   * The key's record: from the local store, else read from Bao (and then stored).
   * @throws BaoKeyNotFoundError when Bao does not have it either; BaoValidationError('uid').
   */
  async get(uid: string, options: { namespace?: string; signal?: AbortSignal } = {}): Promise<KeyRecord> {
    checkUid(uid);
    const local = this.#store.get(uid);
    if (local !== undefined) return local;
    return this.#locks.run(uid, async () => {
      const again = this.#store.get(uid);
      if (again !== undefined) return again;
      const ns = this.#ns(options.namespace);
      const info = await this.#client.getKey(uid, { ...ns, ...signalOf(options.signal) });
      await this.#store.put(this.#toMeta(uid, info, ns.namespace));
      return this.#store.get(uid)!;
    });
  }

  /** Every locally known key, sorted by uid. */
  list(): KeyRecord[] {
    return this.#store.list();
  }

  /**
   * Reconcile the local store with Bao's key list for one namespace: keys on the server are
   * (re)recorded from `key_info` (or read one by one when the server sent none); local keys of that
   * namespace that the server no longer has are dropped.
   * @returns the records of that namespace, sorted by uid.
   */
  async refresh(options: { namespace?: string; signal?: AbortSignal } = {}): Promise<KeyRecord[]> {
    const ns = this.#ns(options.namespace);
    const call = { ...ns, ...signalOf(options.signal) };
    const { keys, keyInfo } = await this.#client.listKeys(call);
    const present = new Set(keys);
    await Promise.all(
      keys.map((uid) =>
        this.#locks.run(uid, async () => {
          const info = keyInfo.get(uid) ?? (await this.#client.getKey(uid, call));
          await this.#store.put(this.#toMeta(uid, info, ns.namespace));
        }),
      ),
    );
    const space = ns.namespace;
    await Promise.all(
      this.#store
        .list()
        .filter((m) => m.namespace === space && !present.has(m.uid))
        .map((m) => this.#locks.run(m.uid, () => this.#store.delete(m.uid))),
    );
    return this.#store.list().filter((m) => m.namespace === space);
  }

  /**
   * Delete the key in Bao (idempotent there) and drop its metadata.
   * @throws BaoValidationError('uid'); the client's errors (metadata is kept when the delete failed).
   */
  async delete(uid: string, options: { namespace?: string; signal?: AbortSignal } = {}): Promise<void> {
    checkUid(uid);
    await this.#locks.run(uid, async () => {
      const meta = this.#store.get(uid);
      const ns = meta === undefined ? this.#ns(options.namespace) : { namespace: meta.namespace };
      await this.#client.deleteKey(uid, { ...ns, ...signalOf(options.signal) });
      await this.#store.delete(uid);
    });
  }

  /**
   * Sign `signBytes`: SHA-256 locally, sent prehashed (`output_format` cosmos), then verified
   * locally against the key's public key before it is returned.
   * @returns 64-byte R‖S and the 33-byte public key.
   * @throws BaoSignatureInvalidError when the signature is not 64 bytes, the server reports another
   *   public key, or the signature does not verify (low-S enforced); BaoKeyNotFoundError; the client's errors.
   */
  async sign(
    uid: string,
    signBytes: Uint8Array,
    options: { signal?: AbortSignal } = {},
  ): Promise<SignOutput> {
    if (!(signBytes instanceof Uint8Array)) throw new BaoValidationError('signBytes', 'must be a Uint8Array');
    const meta = this.#store.get(checkUid(uid)) ?? (await this.get(uid, signalOf(options.signal)));
    const digest = sha256(signBytes);
    const res = await this.#client.sign(uid, digest, {
      prehashed: true,
      outputFormat: 'cosmos',
      namespace: meta.namespace,
      ...signalOf(options.signal),
    });
    const sig = res.signature;
    if (sig.length !== 64)
      throw new BaoSignatureInvalidError(uid, `expected 64 bytes (R||S), got ${sig.length}`);
    if (res.publicKey !== undefined && !equalBytes(res.publicKey, meta.publicKey)) {
      throw new BaoSignatureInvalidError(
        uid,
        `server signed with public key ${bytesToHex(res.publicKey)}, expected ${bytesToHex(meta.publicKey)}`,
      );
    }
    let ok = false;
    try {
      ok = secp256k1.verify(sig, digest, meta.publicKey, { prehash: false, lowS: true });
    } catch {
      ok = false;
    }
    if (!ok)
      throw new BaoSignatureInvalidError(uid, 'signature does not verify against the key (or is not low-S)');
    return { signature: sig, publicKey: new Uint8Array(meta.publicKey) };
  }

  /**
   * Import a raw 32-byte private key into Bao under `uid` and record it.
   * @throws BaoValidationError ('uid' / 'privateKey'); BaoKeyExistsError; BaoResponseError when
   *   Bao reports a public key that does not belong to `privateKey`.
   */
  async import(uid: string, privateKey: Uint8Array, options: CreateKeyOptions = {}): Promise<KeyRecord> {
    checkUid(uid);
    if (
      !(privateKey instanceof Uint8Array) ||
      privateKey.length !== 32 ||
      !secp256k1.utils.isValidSecretKey(privateKey)
    ) {
      throw new BaoValidationError('privateKey', 'must be 32 bytes forming a valid secp256k1 scalar');
    }
    const expected = secp256k1.getPublicKey(privateKey, true);
    return this.#locks.run(uid, async () => {
      if (this.#store.has(uid)) throw new BaoKeyExistsError(uid);
      const ns = this.#ns(options.namespace);
      const info = await this.#client.importKey(uid, privateKey, {
        exportable: options.exportable ?? false,
        ...ns,
        ...signalOf(options.signal),
      });
      if (!equalBytes(info.publicKey, expected))
        throw new BaoResponseError('data.public_key', 'does not match the imported private key');
      await this.#store.put(this.#toMeta(uid, info, ns.namespace));
      return this.#store.get(uid)!;
    });
  }

  /**
   * Export the private key of an exportable key.
   * @returns the 32-byte private key (latest version).
   * @throws BaoKeyNotExportableError when local metadata says it is not exportable (no request is
   *   sent); BaoRequestError when Bao refuses; BaoResponseError when the exported key does not
   *   match the recorded public key.
   */
  async export(uid: string, options: { namespace?: string; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const meta = await this.get(uid, options);
    if (!meta.exportable) throw new BaoKeyNotExportableError(uid);
    const { latest } = await this.#client.exportKey(uid, {
      namespace: meta.namespace,
      ...signalOf(options.signal),
    });
    if (!equalBytes(secp256k1.getPublicKey(latest, true), meta.publicKey)) {
      throw new BaoResponseError('data.keys', 'exported private key does not match the recorded public key');
    }
    return latest;
  }

  /**
   * Create `${prefix}-1` … `${prefix}-${count}` concurrently (seed 001 CreateBatch), through fanOut.
   * @returns per-item results when every item succeeded.
   * @throws BaoValidationError('prefix' | 'count' | 'concurrency') before any request;
   *   BatchPartialFailureError naming every failed uid, carrying the full {@link CreateBatchResult}.
   */
  async createBatch(options: CreateBatchOptions): Promise<CreateBatchResult> {
    const { prefix, count } = options;
    if (typeof prefix !== 'string' || prefix === '')
      throw new BaoValidationError('prefix', 'is required (non-empty string)');
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_BATCH) {
      throw new BaoValidationError(
        'count',
        `must be an integer between 1 and ${MAX_BATCH}, got ${String(count)}`,
      );
    }
    checkUid(`${prefix}-1`, 'prefix');
    const concurrency = checkConcurrency(options.concurrency);
    const uids = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
    const run = fanOut(
      uids,
      (uid, ctx) =>
        this.create(uid, {
          signal: ctx.signal,
          ...(options.exportable === undefined ? {} : { exportable: options.exportable }),
          ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
        }),
      {
        clock: this.#clock,
        classify: classifyBaoError,
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
      },
    );
    const result = await run;
    const items: CreateBatchItem[] = result.outcomes.map((o) => {
      const when = { settledAt: o.settledAt, durationMs: o.durationMs };
      return o.status === 'fulfilled'
        ? { uid: o.id, key: o.value, error: undefined, ...when }
        : { uid: o.id, key: undefined, error: o.error, ...when };
    });
    const batch: CreateBatchResult = {
      items,
      keys: items.map((i) => i.key),
      errors: items.map((i) => i.error),
    };
    const failed = items.filter((i) => i.key === undefined);
    if (failed.length > 0) {
      throw new BatchPartialFailureError(
        failed.map((i) => i.uid),
        failed.map((i) => i.error),
        batch,
      );
    }
    return batch;
  }

  /**
   * Sign every request concurrently (seed 001 SignBatch), through fanOut: result i belongs to
   * request i whatever the completion order; failures are per item and never thrown.
   * @throws BaoValidationError('requests' | 'concurrency') for malformed input (before any request).
   */
  async signBatch(requests: readonly SignRequest[], options: SignBatchOptions = {}): Promise<SignResult[]> {
    if (!Array.isArray(requests)) throw new BaoValidationError('requests', 'must be an array');
    requests.forEach((r, i) => {
      if (r === null || typeof r !== 'object' || typeof r.uid !== 'string')
        throw new BaoValidationError(`requests[${i}].uid`, 'must be a string');
      if (!(r.msg instanceof Uint8Array))
        throw new BaoValidationError(`requests[${i}].msg`, 'must be a Uint8Array');
    });
    const concurrency = checkConcurrency(options.concurrency);
    if (requests.length === 0) return [];
    const run = fanOut(requests, (r, ctx) => this.sign(r.uid, r.msg, { signal: ctx.signal }), {
      key: (_, i) => String(i),
      clock: this.#clock,
      classify: classifyBaoError,
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    });
    const result = await run;
    return result.outcomes.map((o) => {
      const when = { settledAt: o.settledAt, durationMs: o.durationMs };
      return o.status === 'fulfilled'
        ? {
            uid: o.target.uid,
            signature: o.value.signature,
            publicKey: o.value.publicKey,
            error: undefined,
            ...when,
          }
        : { uid: o.target.uid, signature: undefined, publicKey: undefined, error: o.error, ...when };
    });
  }
}

function signalOf(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
