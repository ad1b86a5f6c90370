/**
 * In-memory Hubert stores: the `memory` backend (hubert-rust src/memory_kv.rs, MemoryKv) and the
 * `server` backend (what a client sees through ServerKv against the Hubert HTTP server with its
 * in-memory storage, src/server/server.rs + src/server/kv.rs), as one class with two presets.
 */
import { AlreadyExistsError, HubertArgumentError } from '../errors.js';
import { SimKvStore, type SimKvStoreOptions } from './base.js';

/** Server TTL default and maximum, s (hubert-rust ServerConfig::default `max_ttl: 86400`). */
export const SERVER_MAX_TTL_SECONDS = 86_400;
/** Poll interval of MemoryKv / SqliteKv `get`, ms (hubert-rust src/memory_kv.rs). */
export const MEMORY_POLL_INTERVAL_MS = 500;
/** Poll interval of ServerKv / mainline / IPFS `get`, ms (hubert-rust src/server/kv.rs). */
export const SERVER_POLL_INTERVAL_MS = 1000;

/** Options of {@link MemoryKvStore}. */
export interface MemoryKvStoreOptions extends SimKvStoreOptions {
  /** Backend name in errors/traces. Default 'memory'. */
  kind?: string;
  /** Poll interval of `get`, ms. Default 500 (memory). */
  pollIntervalMs?: number;
  /** TTL used when a put gives none, s; null = never expires. Default 86400 (as the server). */
  defaultTtlSeconds?: number | null;
  /** TTLs above this are clamped, s; null = no clamp. Default 86400 (as the server). */
  maxTtlSeconds?: number | null;
  /** A get that meets an expired entry returns null at once (MemoryKv) instead of polling on. Default true. */
  expiredEndsGet?: boolean;
  /** When set, `exists` is a get with this timeout, s (ServerKv uses 1). Default null: a direct check. */
  existsViaGetSeconds?: number | null;
  /** Receipt text of a successful put. Default 'Stored in memory' (MemoryKv). */
  receipt?: string;
}

/** `options` without its undefined-valued keys (so they do not override preset defaults). */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkNullableSeconds(name: string, v: number | null): void {
  if (v !== null && (!Number.isSafeInteger(v) || v < 0))
    throw new HubertArgumentError(name, `must be null or an integer >= 0, got ${String(v)}`);
}

/**
 * Write-once in-memory store with TTL, polling get, faults and the crash/restart volume model.
 *
 * - put: fails with AlreadyExistsError (`"<ur:arid> already exists"`) when ANY entry is held under
 *   the ARID — like upstream, an expired entry blocks a new put until a get/exists removed it
 *   (expired entries are cleaned lazily). TTL: `ttl ?? defaultTtlSeconds`, clamped to `maxTtlSeconds`;
 *   an entry expires when `now >= storedAt + ttl*1000`.
 * - get: checks every `pollIntervalMs` until found or `timeoutSeconds` passed → null.
 */
export class MemoryKvStore extends SimKvStore {
  readonly kind: string;
  protected readonly pollIntervalMs: number;
  protected override readonly expiredEndsGet: boolean;
  protected override readonly existsViaGetSeconds: number | null;
  /** TTL for puts without one, s (null: never expires). */
  readonly defaultTtlSeconds: number | null;
  /** TTL clamp, s (null: none). */
  readonly maxTtlSeconds: number | null;
  readonly #receipt: string;

  /** @throws HubertArgumentError for a bad poll interval or TTL option. */
  constructor(options: MemoryKvStoreOptions) {
    super(options);
    this.kind = options.kind ?? 'memory';
    this.pollIntervalMs = options.pollIntervalMs ?? MEMORY_POLL_INTERVAL_MS;
    if (!Number.isFinite(this.pollIntervalMs) || this.pollIntervalMs <= 0) {
      throw new HubertArgumentError('pollIntervalMs', `must be > 0, got ${this.pollIntervalMs}`);
    }
    this.defaultTtlSeconds =
      options.defaultTtlSeconds === undefined ? SERVER_MAX_TTL_SECONDS : options.defaultTtlSeconds;
    this.maxTtlSeconds = options.maxTtlSeconds === undefined ? SERVER_MAX_TTL_SECONDS : options.maxTtlSeconds;
    checkNullableSeconds('defaultTtlSeconds', this.defaultTtlSeconds);
    checkNullableSeconds('maxTtlSeconds', this.maxTtlSeconds);
    this.expiredEndsGet = options.expiredEndsGet ?? true;
    this.existsViaGetSeconds = options.existsViaGetSeconds ?? null;
    this.#receipt = options.receipt ?? 'Stored in memory';
  }

  /** The TTL a put with `ttlSeconds` gets, s (null: never expires). */
  effectiveTtlSeconds(ttlSeconds: number | undefined): number | null {
    const ttl = ttlSeconds ?? this.defaultTtlSeconds;
    if (ttl === null) return null;
    return this.maxTtlSeconds !== null && ttl > this.maxTtlSeconds ? this.maxTtlSeconds : ttl;
  }

  protected writeEntry(
    key: string,
    cbor: Uint8Array,
    ttlSeconds: number | undefined,
    commit: boolean,
  ): string {
    if (this.volume.has(key)) throw new AlreadyExistsError(key);
    const now = this.wallClock.now();
    const ttl = this.effectiveTtlSeconds(ttlSeconds);
    if (commit)
      this.volume.set(key, {
        envelopeCbor: cbor,
        expiresAtMs: ttl === null ? null : now + ttl * 1000,
        storedAtMs: now,
      });
    return this.#receipt;
  }
}

/**
 * The `memory` backend: poll 500 ms; TTL default/clamp 86400 s as the server (pass
 * `defaultTtlSeconds: null, maxTtlSeconds: null` for upstream MemoryKv, which keeps entries
 * without a TTL forever and does not clamp); an expired entry ends a get at once.
 */
export function createMemoryKvStore(options: MemoryKvStoreOptions): MemoryKvStore {
  return new MemoryKvStore({ kind: 'memory', ...definedOnly(options), clock: options.clock });
}

/**
 * The `server` backend, as a client of the Hubert HTTP server sees it: poll 1000 ms; TTL default
 * 86400 s, clamped to 86400 s (every entry expires); an expired entry reads as "not found" so a
 * get polls on to its deadline; `exists` is a 1-second get; receipt 'Stored successfully'
 * (hubert-rust src/server/server.rs ServerState::put, src/server/kv.rs).
 */
export function createServerKvStore(options: MemoryKvStoreOptions): MemoryKvStore {
  return new MemoryKvStore({
    kind: 'server',
    pollIntervalMs: SERVER_POLL_INTERVAL_MS,
    defaultTtlSeconds: SERVER_MAX_TTL_SECONDS,
    maxTtlSeconds: SERVER_MAX_TTL_SECONDS,
    expiredEndsGet: false,
    existsViaGetSeconds: 1,
    receipt: 'Stored successfully',
    ...definedOnly(options),
    clock: options.clock,
  });
}
