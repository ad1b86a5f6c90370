/**
 * BaoKeyring: a Cosmos-style keyring whose private keys live in OpenBao (popsigner
 * bao_keyring.go), with the batch operations of seed 001 (CreateBatch / SignBatch for Celestia's
 * parallel workers) running through `fanOut` from @fanout/core.
 *
 * Keys are per namespace (`X-Vault-Namespace`), as in Bao: a key is identified by (namespace, uid),
 * and every per-key call takes `namespace` (default: the keyring's, else the client's).
 *
 * Thread safety (seed 001 §3.3): safe for concurrent use. Requests share only the client's
 * connection pool; operations on the same (namespace, uid) (create, delete, import, refresh) are
 * serialised in call order by a per-key lock, so interleaved creates/deletes never leave the local
 * metadata and the server disagreeing; signs never take the lock, so a slow key never delays
 * another key.
 */
import { fanOut, type Clock, type FanOutEvent } from '@fanout/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/curves/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BAO_KEY_NAME, type BaoClient, type BaoKeyInfo } from './client.js';
import { compressedPublicKeyOf, verifiesLowS } from './crypto-memo.js';
import {
  BaoKeyExistsError,
  BaoKeyNotExportableError,
  BaoResponseError,
  BaoSignatureInvalidError,
  BaoValidationError,
  BatchPartialFailureError,
  classifyBaoError,
} from './errors.js';
import { KeyMetadataStore, KeyedMutex, namespacedKey, type KeyMetadata } from './store.js';

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

/** Options of the per-key calls that only read ({@link BaoKeyring.get}, `has`, `delete`, `export`). */
export interface KeyCallOptions {
  /** Namespace of the key. Default: the keyring's, else the client's. */
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
  /**
   * What to do with a name that already exists (Bao's 400 "key already exists", or already in the
   * local store): 'fail' (default) reports it as a failed item (BaoKeyExistsError); 'adopt' reads
   * the existing key from Bao (GET, never a create or an import, so it is never overwritten),
   * records it and reports the item as succeeded with `adopted: true`. For reruns of a batch.
   */
  existing?: 'fail' | 'adopt';
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
  /** True when the key already existed and was read, not created (only with `existing: 'adopt'`). */
  readonly adopted: boolean;
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
  /** Namespace of the key. Default: the keyring's, else the client's. */
  readonly namespace?: string;
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
   * @param options.namespace where the key lives (default: the keyring's, else the client's); the
   *   same uid may exist independently in several namespaces.
   * @throws BaoValidationError('uid'); BaoKeyExistsError when (namespace, uid) is in the local store
   *   (no request sent) or Bao says "key already exists"; BaoResponseError for an inconsistent
   *   answer; the client's errors.
   */
  async create(uid: string, options: CreateKeyOptions = {}): Promise<KeyRecord> {
    checkUid(uid);
    const ns = this.#ns(options.namespace);
    return this.#locks.run(namespacedKey(ns.namespace, uid), async () => {
      if (this.#store.has(uid, ns.namespace)) throw new BaoKeyExistsError(uid);
      const info = await this.#client.createKey(uid, {
        exportable: options.exportable ?? false,
        ...ns,
        ...signalOf(options.signal),
      });
      const meta = this.#toMeta(uid, info, ns.namespace);
      await this.#store.put(meta);
      return this.#store.get(uid, ns.namespace)!;
    });
  }

  /**
   * Record a key that already exists in Bao: read it (GET, never create/import, so it is never
   * replaced) and store its metadata, replacing a local record of the same (namespace, uid).
   * @throws BaoKeyNotFoundError when Bao does not have it; BaoResponseError; the client's errors.
   */
  async #adopt(uid: string, options: CreateKeyOptions): Promise<KeyRecord> {
    const ns = this.#ns(options.namespace);
    return this.#locks.run(namespacedKey(ns.namespace, uid), async () => {
      const info = await this.#client.getKey(uid, { ...ns, ...signalOf(options.signal) });
      await this.#store.put(this.#toMeta(uid, info, ns.namespace));
      return this.#store.get(uid, ns.namespace)!;
    });
  }

  /** Alias of {@link create} (the Cosmos keyring's NewAccount). */
  newAccount(uid: string, options: CreateKeyOptions = {}): Promise<KeyRecord> {
    return this.create(uid, options);
  }

  /**
   * The record of (namespace, uid): from the local store, else read from Bao in that namespace
   * (and then stored).
   * @param options.namespace default: the keyring's, else the client's.
   * @throws BaoKeyNotFoundError when Bao does not have it either; BaoValidationError('uid').
   */
  async get(uid: string, options: KeyCallOptions = {}): Promise<KeyRecord> {
    checkUid(uid);
    const ns = this.#ns(options.namespace);
    const local = this.#store.get(uid, ns.namespace);
    if (local !== undefined) return local;
    return this.#locks.run(namespacedKey(ns.namespace, uid), async () => {
      const again = this.#store.get(uid, ns.namespace);
      if (again !== undefined) return again;
      const info = await this.#client.getKey(uid, { ...ns, ...signalOf(options.signal) });
      await this.#store.put(this.#toMeta(uid, info, ns.namespace));
      return this.#store.get(uid, ns.namespace)!;
    });
  }

  /**
   * Whether (namespace, uid) is known locally (no request).
   * @param options.namespace default: the keyring's, else the client's.
   */
  has(uid: string, options: { namespace?: string } = {}): boolean {
    return this.#store.has(uid, this.#ns(options.namespace).namespace);
  }

  /**
   * Locally known keys, sorted by namespace then uid (no request).
   * @param options.namespace only that namespace; omitted: every namespace.
   */
  list(options: { namespace?: string } = {}): KeyRecord[] {
    return this.#store.list(options.namespace);
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
        this.#locks.run(namespacedKey(ns.namespace, uid), async () => {
          const info = keyInfo.get(uid) ?? (await this.#client.getKey(uid, call));
          await this.#store.put(this.#toMeta(uid, info, ns.namespace));
        }),
      ),
    );
    const space = ns.namespace;
    await Promise.all(
      this.#store
        .list(space)
        .filter((m) => !present.has(m.uid))
        .map((m) => this.#locks.run(namespacedKey(space, m.uid), () => this.#store.delete(m.uid, space))),
    );
    return this.#store.list(space);
  }

  /**
   * Delete (namespace, uid) in Bao (idempotent there) and drop its metadata; the same uid in other
   * namespaces is untouched.
   * @param options.namespace default: the keyring's, else the client's.
   * @throws BaoValidationError('uid'); the client's errors (metadata is kept when the delete failed).
   */
  async delete(uid: string, options: KeyCallOptions = {}): Promise<void> {
    checkUid(uid);
    const ns = this.#ns(options.namespace);
    await this.#locks.run(namespacedKey(ns.namespace, uid), async () => {
      await this.#client.deleteKey(uid, { ...ns, ...signalOf(options.signal) });
      await this.#store.delete(uid, ns.namespace);
    });
  }

  /**
   * Sign `signBytes`: SHA-256 locally, sent prehashed (`output_format` cosmos), then verified
   * locally against the key's public key before it is returned.
   * @param options.namespace of the key (default: the keyring's, else the client's).
   * @returns 64-byte R‖S and the 33-byte public key.
   * @throws BaoSignatureInvalidError when the signature is not 64 bytes, the server reports another
   *   public key, or the signature does not verify (low-S enforced); BaoKeyNotFoundError; the client's errors.
   */
  async sign(uid: string, signBytes: Uint8Array, options: KeyCallOptions = {}): Promise<SignOutput> {
    if (!(signBytes instanceof Uint8Array)) throw new BaoValidationError('signBytes', 'must be a Uint8Array');
    const ns = this.#ns(options.namespace);
    const meta =
      this.#store.get(checkUid(uid), ns.namespace) ??
      (await this.get(uid, { ...ns, ...signalOf(options.signal) }));
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
    if (!verifiesLowS(sig, digest, meta.publicKey))
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
    const expected = compressedPublicKeyOf(privateKey);
    const ns = this.#ns(options.namespace);
    return this.#locks.run(namespacedKey(ns.namespace, uid), async () => {
      if (this.#store.has(uid, ns.namespace)) throw new BaoKeyExistsError(uid);
      const info = await this.#client.importKey(uid, privateKey, {
        exportable: options.exportable ?? false,
        ...ns,
        ...signalOf(options.signal),
      });
      if (!equalBytes(info.publicKey, expected))
        throw new BaoResponseError('data.public_key', 'does not match the imported private key');
      await this.#store.put(this.#toMeta(uid, info, ns.namespace));
      return this.#store.get(uid, ns.namespace)!;
    });
  }

  /**
   * Export the private key of an exportable key.
   * @returns the 32-byte private key (latest version).
   * @throws BaoKeyNotExportableError when local metadata says it is not exportable (no request is
   *   sent); BaoRequestError when Bao refuses; BaoResponseError when the exported key does not
   *   match the recorded public key.
   */
  async export(uid: string, options: KeyCallOptions = {}): Promise<Uint8Array> {
    const meta = await this.get(uid, options);
    if (!meta.exportable) throw new BaoKeyNotExportableError(uid);
    const { latest } = await this.#client.exportKey(uid, {
      namespace: meta.namespace,
      ...signalOf(options.signal),
    });
    if (!equalBytes(compressedPublicKeyOf(latest), meta.publicKey)) {
      throw new BaoResponseError('data.keys', 'exported private key does not match the recorded public key');
    }
    return latest;
  }

  /**
   * Create `${prefix}-1` … `${prefix}-${count}` concurrently (seed 001 CreateBatch), through fanOut,
   * in `namespace` (default: the keyring's, else the client's).
   * @returns per-item results when every item succeeded (with `existing: 'adopt'`, names that
   *   already existed count as succeeded, `adopted: true`).
   * @throws BaoValidationError('prefix' | 'count' | 'concurrency' | 'existing') before any request;
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
    const existing = options.existing ?? 'fail';
    if (existing !== 'fail' && existing !== 'adopt')
      throw new BaoValidationError('existing', `must be 'fail' or 'adopt', got ${String(existing)}`);
    const uids = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
    const adopted = new Set<string>();
    const run = fanOut(
      uids,
      async (uid, ctx) => {
        const opts: CreateKeyOptions = {
          signal: ctx.signal,
          ...(options.exportable === undefined ? {} : { exportable: options.exportable }),
          ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
        };
        try {
          return await this.create(uid, opts);
        } catch (e) {
          if (existing !== 'adopt' || !(e instanceof BaoKeyExistsError)) throw e;
          const rec = await this.#adopt(uid, opts);
          adopted.add(uid);
          return rec;
        }
      },
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
        ? { uid: o.id, key: o.value, error: undefined, adopted: adopted.has(o.id), ...when }
        : { uid: o.id, key: undefined, error: o.error, adopted: false, ...when };
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
      if (r.namespace !== undefined && typeof r.namespace !== 'string')
        throw new BaoValidationError(`requests[${i}].namespace`, 'must be a string when given');
    });
    const concurrency = checkConcurrency(options.concurrency);
    if (requests.length === 0) return [];
    const sign = (r: SignRequest, signal: AbortSignal): Promise<SignOutput> =>
      this.sign(r.uid, r.msg, r.namespace === undefined ? { signal } : { signal, namespace: r.namespace });
    const run = fanOut(requests, (r, ctx) => sign(r, ctx.signal), {
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
