import {
  fanOut,
  type Clock,
  type FanOutEvent,
  type FanOutResult,
  type Outcome,
  type RetryOptions,
} from '@fanout/core';
import { decodeOutbox, type OutboxLimits, type OutboxMessage } from './codec.js';
import { assertFingerprint, outboxInfoHash } from './keys.js';
import { OutboxOwnerError, sameMessage } from './outbox.js';
import { OUTBOX_VALUE_ID, verifySignedValue, type SignedValue, type ValueVerifier } from './signed.js';

/**
 * Recipient side: parallel retrieval of offline messages from every contact's outbox (upstream
 * `dht_retrieve_queued_messages_from_contacts_parallel`, dna-messenger
 * dht/shared/dht_offline_queue.c, with its "future work" done), on @fanout/core's fanOut.
 *
 * Compared with upstream (shared/reference/dht.md, "Known defects"):
 * - every get runs until the k closest nodes answered and the NEWEST valid outbox value (highest
 *   seq among values that verify for the key and, when known, belong to the sender) is read —
 *   upstream stopped at the first value and could read a stale one;
 * - the overall deadline is absolute (fanOut's `deadlineMs`) — upstream restarted its timer on
 *   every loop pass;
 * - all per-call state lives in the call; late replies after a timeout land in an aborted lookup
 *   whose results nobody reads, and every result object is frozen — upstream's callbacks wrote
 *   into a context on a stack frame that had returned (use after free);
 * - overlapping retrievals share their lookups (one DHT get per outbox in flight, whatever the
 *   number of callers) instead of racing — upstream added a 400 ms debounce;
 * - and from upstream's future-work list: a concurrency limit (default 50), progressive results,
 *   early completion at a fraction of the contacts, and a cache of empty outboxes (10 min);
 * - upstream's "No retry logic: failed queries don't retry" (seed 002, "Current Limitations"):
 *   an opt-in `retry` of gets that failed or timed out (a get only reads, so it is idempotent).
 */

/** A DHT value as a get returns it (structurally a @fanout/sim-dht `DhtValue`). */
export interface DhtValueLike {
  readonly id: bigint;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly owner?: Uint8Array;
  readonly signature?: Uint8Array;
}

/** What a get reports (structurally a @fanout/sim-dht `GetResult`; only `values` is required). */
export interface DhtGetResultLike {
  /** Newest version of each value id found. */
  readonly values: readonly DhtValueLike[];
  /** Values the DHT itself dropped because they failed its verification (corrupt copies). */
  readonly rejected?: number;
  /**
   * Ids (20 bytes) of the nodes near the key that answered, closest first (up to k). Empty
   * (with no value) = nobody answered.
   */
  readonly closest?: readonly Uint8Array[];
  /**
   * Ids (20 bytes) of the nodes the lookup asked that did not answer (timeout, unavailable).
   * With `closest`, tells whether the likely holders of the key answered: see
   * {@link classifyOutbox}. Absent = unknown (then "nothing found" is 'not-found').
   */
  readonly failed?: readonly Uint8Array[];
  /** True when the lookup was cut short (its node stopped, or the signal aborted). */
  readonly aborted?: boolean;
}

/**
 * What the client needs from a DHT: an OpenDHT-style get that walks to the key and resolves
 * with the values found (a @fanout/sim-dht `DhtNode` fits as is). It should stop when `signal`
 * aborts. A reader node should verify values (`verifyValue`) so corrupt copies are dropped there.
 */
export interface DhtGetter {
  get(key: Uint8Array, options: { signal?: AbortSignal }): Promise<DhtGetResultLike>;
}

/** A contact to read from: its fingerprint, and optionally the ed25519 key its outbox must be signed by. */
export interface OutboxContact {
  readonly fingerprint: string;
  readonly owner?: Uint8Array;
}

/**
 * Per-contact outcome. Every contact gets exactly one:
 * - 'delivered': the newest valid outbox value holds unexpired messages (in `messages`);
 * - 'empty': an outbox value exists and verifies, but holds no unexpired message not yet seen;
 * - 'not-found': the lookup reached the nodes closest to the key, enough of the likely holders
 *   answered (`absenceQuorum`) and none holds an outbox value;
 * - 'malformed': values exist at the key but none is usable (see {@link MalformedReason});
 * - 'timeout': no usable answer in time (see {@link TimeoutReason}); retry later, never cached;
 * - 'error': the DHT get itself threw (the typed error is in `error`); never cached.
 */
export type ContactStatus = 'delivered' | 'empty' | 'not-found' | 'malformed' | 'timeout' | 'error';

/**
 * Why a contact timed out: its own query passed `queryTimeoutMs`; the whole retrieval passed
 * `deadlineMs`; no DHT node answered the lookup ('unreachable'); nodes answered but too few of
 * the likely holders of the key did, so absence cannot be concluded ('holders-unreachable', see
 * {@link classifyOutbox}); the retrieval completed early without it ('early-completion'); or
 * the caller aborted. (A get that throws is status 'error', not a timeout.)
 */
export type TimeoutReason =
  'query-timeout' | 'deadline' | 'unreachable' | 'holders-unreachable' | 'early-completion' | 'aborted';

/**
 * Why an outbox was malformed: the newest valid value does not decode ('decode',
 * OutboxDecodeError in `error`); values exist but none verifies for the key ('signature': corrupt
 * or forged copies, OutboxOwnerError('signature') in `error`); values verify but none is owned
 * by the expected sender key ('owner', OutboxOwnerError('owner') in `error`).
 */
export type MalformedReason = 'decode' | 'signature' | 'owner';

/** One contact's result, as yielded progressively and listed in the report. Frozen. */
export interface ContactResult {
  /** The contact's fingerprint. */
  readonly sender: string;
  /** Position in the `contacts` list. */
  readonly index: number;
  readonly status: ContactStatus;
  /** Set for 'timeout' and 'malformed'. */
  readonly reason?: TimeoutReason | MalformedReason;
  /**
   * The typed error behind a 'malformed' (OutboxDecodeError for 'decode', OutboxOwnerError for
   * 'signature' / 'owner'), an 'error' (what the get threw) or a 'timeout' (query-timeout, deadline).
   */
  readonly error?: unknown;
  /**
   * Unexpired messages, sorted by (seq, timestamp), exact duplicates removed, those at or below
   * the contact's watermark removed. Empty unless 'delivered'.
   */
  readonly messages: readonly OutboxMessage[];
  /** Sequence number of the outbox value read ('delivered' and 'empty'). */
  readonly outboxSeq?: number;
  /** Messages dropped because `expiry < now`. */
  readonly expired: number;
  /** Exact duplicate messages dropped. */
  readonly duplicates: number;
  /** Messages dropped because their seq is at or below the contact's watermark. */
  readonly belowWatermark: number;
  /** Values at the key that failed verification (in the DHT or here). */
  readonly rejectedValues: number;
  /** Served from the empty-outbox cache (no DHT traffic). */
  readonly cached: boolean;
  /**
   * Gets made for this contact: 1 + retries (see {@link OfflineRetrieveOptions.retry}); 0 when
   * it was served from the cache or never started. A get joined from an overlapping retrieval
   * (coalescing) counts as one.
   */
  readonly attempts: number;
  /** Clock ms when the contact's query started (undefined if it never started). */
  readonly startedAt: number | undefined;
  /** Clock ms when the result was settled. */
  readonly settledAt: number;
  /** settledAt − startedAt (0 if never started), ms. */
  readonly durationMs: number;
}

/** Result of {@link retrieveOfflineMessages}. Frozen. */
export interface OfflineReport {
  readonly recipient: string;
  /** One result per contact, in contact order. */
  readonly contacts: readonly ContactResult[];
  readonly bySender: ReadonlyMap<string, ContactResult>;
  /** Every delivered message, in contact order, each contact's in (seq, timestamp) order. */
  readonly messages: readonly OutboxMessage[];
  readonly counts: Readonly<Record<ContactStatus, number>>;
  /** Clock ms from start to the last result. */
  readonly elapsedMs: number;
  /** Senders in the order their results settled. */
  readonly completionOrder: readonly string[];
  /** True when early completion ended the retrieval before every contact answered. */
  readonly earlyCompleted: boolean;
  /** DHT gets this call started. */
  readonly lookups: number;
  /** Contacts served by a get another overlapping retrieval had in flight (coalesced). */
  readonly joined: number;
  /** Contacts answered from the empty-outbox cache. */
  readonly cacheHits: number;
  /** Values at the contacts' keys that failed verification (in the DHT or here), summed over contacts. */
  readonly rejectedValues: number;
  /** Gets made, summed over contacts ({@link ContactResult.attempts}). */
  readonly attempts: number;
  /** Gets beyond each contact's first (0 unless `retry` is on). */
  readonly retries: number;
}

/**
 * Opt-in retry of a contact's get, on @fanout/core's fanOut retry (its `retry` option: a retry is
 * a new round with its own `queryTimeoutMs`, within the overall `deadlineMs`). Gets only read, so
 * retrying one is safe (idempotent). Retried: a get that threw (otherwise status 'error'), one
 * that passed `queryTimeoutMs` ('timeout' / 'query-timeout'), and one that ended without
 * reaching the key's holders ('timeout' / 'unreachable' or 'holders-unreachable': the attempt
 * ends with an {@link OutboxLookupIncompleteError}) — each only if `when` agrees. Never retried:
 * delivered, empty, not-found, malformed, a cache hit, the deadline, early completion, an abort.
 */
export interface RetrievalRetryOptions {
  /** Gets per contact in total, the first included (integer ≥ 1; 1 = no retry). */
  readonly attempts: number;
  /**
   * Wait before retry n (n = 1 for the second get), ms, on the retrieval's clock: a finite
   * number ≥ 0 or a function of n (fanOut's `backoff`: a throw, NaN or negative result counts
   * as 0). Default 0.
   */
  readonly backoff?: number | ((retry: number) => number);
  /**
   * Whether an ended get deserves another (`error`: what the get threw, the fanOut timeout
   * error, or an {@link OutboxLookupIncompleteError}; `attempt`: the get that just ended,
   * 1-based; a throw counts as false). Default: always.
   */
  readonly when?: (error: unknown, info: { attempt: number; kind: 'failed' | 'timedOut' }) => boolean;
}

/** A running retrieval: await it for the report, or `for await` it for results as they settle. */
export interface OfflineRetrieval extends PromiseLike<OfflineReport>, AsyncIterable<ContactResult> {
  /** The report (never rejects). */
  readonly result: Promise<OfflineReport>;
  /** Stop now: unsettled contacts become 'timeout' (reason 'aborted'). */
  abort(reason?: unknown): void;
}

/** Options of {@link retrieveOfflineMessages}. */
export interface OfflineRetrieveOptions {
  /** My fingerprint (the recipient of every outbox read). */
  readonly recipient: string;
  /** The DHT to read from (e.g. a @fanout/sim-dht DhtNode). */
  readonly dht: DhtGetter;
  /** Unix seconds now, for the expiry filter (a function is called once, at the start). */
  readonly nowSeconds: number | bigint | (() => number | bigint);
  /** Clock for timeouts and the deadline (VirtualClock in simulation, realClock live). Required: no fallback. */
  readonly clock: Clock;
  /** Contacts queried at once (integer ≥ 1, or Infinity for no limit). Default 50. */
  readonly concurrency?: number;
  /** Per-contact query timeout, ms (> 0, or Infinity). Default 10,000. */
  readonly queryTimeoutMs?: number;
  /** Overall deadline, ms (> 0, or Infinity). Default 30,000 (upstream's wait). */
  readonly deadlineMs?: number;
  /**
   * Early completion: stop once this fraction (0 < f ≤ 1) of the contacts has a result; the
   * rest are reported 'timeout' (reason 'early-completion'). Default 1 (wait for every contact).
   */
  readonly earlyCompletion?: number;
  /** Empty-outbox cache to consult and fill ('empty' and 'not-found' results). Default none. */
  readonly cache?: EmptyOutboxCache;
  /** Highest message seq already received per sender (upstream's watermark): those are skipped. */
  readonly watermarks?: ReadonlyMap<string, bigint>;
  /** Share gets with overlapping retrievals on the same `dht` (default true). */
  readonly coalesce?: boolean;
  /** Decoding caps (defaults as decodeOutbox). */
  readonly limits?: Partial<OutboxLimits>;
  /** Signature check (default verifySignedValue; memoizedVerifier saves work in simulations). */
  readonly verify?: ValueVerifier;
  /** Replication factor of the DHT: how many nodes closest to a key hold its values (default 8, OpenDHT). */
  readonly replication?: number;
  /**
   * How many of the `replication` likely holders must answer without a value before an outbox
   * is reported 'not-found' (integer 1..replication; default ⌈replication / 2⌉ = 4). Fewer →
   * 'timeout' (reason 'holders-unreachable'). `replication` = strictest: any holder that did not
   * answer makes it a timeout. See {@link classifyOutbox}.
   */
  readonly absenceQuorum?: number;
  /**
   * Retry gets that failed or timed out ({@link RetrievalRetryOptions}). Default none: every
   * contact gets exactly one get, as before.
   */
  readonly retry?: RetrievalRetryOptions;
  /** Called as each contact's result settles (synchronously, in completion order). Must not throw. */
  readonly onResult?: (result: ContactResult) => void;
  /** fanOut progress events (attempt, settled, deadline, done …). Must not throw. */
  readonly onEvent?: (event: FanOutEvent<OutboxContact, Classified>) => void;
  /** Cancel the retrieval. */
  readonly signal?: AbortSignal;
}

/** An option or the contact list was invalid. `field` names it. */
export class RetrievalOptionError extends Error {
  override readonly name = 'RetrievalOptionError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`retrieval option ${field}: ${detail}`);
  }
}

/**
 * With `retry` on: a get ended without reaching the outbox's holders (`result.reason`
 * 'unreachable' or 'holders-unreachable'), so the attempt counts as failed and may be retried.
 * If no retry follows, the contact's result is `result` (status 'timeout' with that reason).
 */
export class OutboxLookupIncompleteError extends Error {
  override readonly name = 'OutboxLookupIncompleteError';
  constructor(readonly result: Classified) {
    super(`outbox lookup incomplete (${String(result.reason)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Empty-outbox cache

/**
 * Cache of contacts whose outbox was empty or absent (upstream's planned "cache empty outbox
 * results for 10 minutes"): a cached contact is answered without DHT traffic until the entry
 * expires. Entries are per (recipient, sender). A message queued meanwhile is seen only after
 * expiry or {@link invalidate} (e.g. on a listen notification) — upstream's trade-off.
 */
export class EmptyOutboxCache {
  /** Default TTL: 10 minutes. */
  static readonly DEFAULT_TTL_MS = 10 * 60 * 1000;
  readonly ttlMs: number;
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { until: number; status: 'empty' | 'not-found' }>();

  /**
   * @param options ttlMs (> 0, default 10 min), clock (required: VirtualClock in simulation, realClock live), maxEntries (default 100,000; oldest evicted).
   * @throws RetrievalOptionError('ttlMs' | 'maxEntries') for invalid values.
   */
  constructor(options: { ttlMs?: number; clock: Clock; maxEntries?: number }) {
    this.ttlMs = options.ttlMs ?? EmptyOutboxCache.DEFAULT_TTL_MS;
    if (!(this.ttlMs > 0)) throw new RetrievalOptionError('ttlMs', `must be > 0, got ${options.ttlMs}`);
    this.#maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1)
      throw new RetrievalOptionError('maxEntries', 'must be an integer >= 1');
    this.#clock = options.clock;
  }

  /** Live entries (expired ones are dropped on access). */
  get size(): number {
    return this.#entries.size;
  }

  /** The cached status, or undefined when absent or expired (then dropped). */
  get(recipient: string, sender: string): 'empty' | 'not-found' | undefined {
    const k = `${recipient}:${sender}`;
    const e = this.#entries.get(k);
    if (e === undefined) return undefined;
    if (this.#clock.now() >= e.until) {
      this.#entries.delete(k);
      return undefined;
    }
    return e.status;
  }

  /** Remember that `sender`'s outbox to `recipient` is empty/absent, for ttlMs from now. */
  set(recipient: string, sender: string, status: 'empty' | 'not-found'): void {
    const k = `${recipient}:${sender}`;
    this.#entries.delete(k);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(k, { until: this.#clock.now() + this.ttlMs, status });
  }

  /** Forget one sender (or, without `sender`, every entry of `recipient`). */
  invalidate(recipient: string, sender?: string): void {
    if (sender !== undefined) {
      this.#entries.delete(`${recipient}:${sender}`);
      return;
    }
    for (const k of [...this.#entries.keys()]) if (k.startsWith(`${recipient}:`)) this.#entries.delete(k);
  }

  clear(): void {
    this.#entries.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Classification of one outbox

/** What one contact's query produced (the fanOut value); timing is added by the retrieval. */
export interface Classified {
  readonly status: ContactStatus;
  readonly reason?: TimeoutReason | MalformedReason;
  readonly error?: unknown;
  readonly messages: readonly OutboxMessage[];
  readonly outboxSeq?: number;
  readonly expired: number;
  readonly duplicates: number;
  readonly belowWatermark: number;
  readonly rejectedValues: number;
  readonly cached: boolean;
}

/** Inputs of {@link classifyOutbox}. */
export interface ClassifyOptions {
  /** The 20-byte DHT key the values came from. */
  readonly key: Uint8Array;
  /** Unix seconds now. */
  readonly nowSeconds: bigint;
  /** Expected owner key of the outbox value, if known. */
  readonly owner?: Uint8Array;
  /** Skip messages with seq ≤ watermark. */
  readonly watermark?: bigint;
  readonly verify?: ValueVerifier;
  readonly limits?: Partial<OutboxLimits>;
  /** Replication factor (default {@link DEFAULT_REPLICATION}). */
  readonly replication?: number;
  /** Likely holders that must answer for 'not-found' (default ⌈replication / 2⌉). */
  readonly absenceQuorum?: number;
}

/** OpenDHT's replication factor: values live on the 8 nodes closest to their key. */
export const DEFAULT_REPLICATION = 8;

function xorLess(key: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < key.length; i++) {
    const da = (a[i] ?? 0) ^ key[i]!;
    const db = (b[i] ?? 0) ^ key[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

/**
 * Which of the likely holders of `key` answered a lookup: the `replication` nodes closest to
 * `key` (XOR metric) among those that answered (`closest`) and those that did not (`failed`),
 * and how many of them are in each group. A value put is stored on the `replication` closest
 * nodes, so when nothing was found, absence is only shown by those nodes answering.
 * Pure; exported for tests.
 * @param key 20-byte DHT key; closest / failed: 20-byte node ids.
 * @returns answered + unanswered = min(replication, |closest ∪ failed|).
 */
export function likelyHolders(
  key: Uint8Array,
  closest: readonly Uint8Array[],
  failed: readonly Uint8Array[],
  replication: number = DEFAULT_REPLICATION,
): { answered: number; unanswered: number } {
  const all = [...closest.map((id) => ({ id, ok: true })), ...failed.map((id) => ({ id, ok: false }))].sort(
    (a, b) => xorLess(key, a.id, b.id),
  );
  const top = all.slice(0, replication);
  const answered = top.filter((x) => x.ok).length;
  return { answered, unanswered: top.length - answered };
}

/**
 * Check `replication` / `absenceQuorum` and apply the defaults.
 * @throws RetrievalOptionError('replication' | 'absenceQuorum') for values that are not integers in range.
 */
export function resolveAbsenceQuorum(
  replication: number | undefined,
  absenceQuorum: number | undefined,
): { replication: number; absenceQuorum: number } {
  const r = replication ?? DEFAULT_REPLICATION;
  if (!Number.isInteger(r) || r < 1)
    throw new RetrievalOptionError('replication', `must be an integer >= 1, got ${replication}`);
  const q = absenceQuorum ?? Math.ceil(r / 2);
  if (!Number.isInteger(q) || q < 1 || q > r)
    throw new RetrievalOptionError('absenceQuorum', `must be an integer in 1..${r}, got ${absenceQuorum}`);
  return { replication: r, absenceQuorum: q };
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Classify what a get found at one outbox key (pure; exported for tests). Picks the newest
 * valid value (id 1, verifies for `key`, owned by `owner` when given; highest seq), decodes it,
 * drops expired (`expiry < now`), watermarked and exactly duplicated messages, and sorts the
 * rest by (seq, timestamp), ties kept in outbox order. See {@link ContactStatus} for the outcomes.
 *
 * When no value at all was found (none rejected either), the lookup's nodes decide:
 * aborted → 'timeout' ('aborted'); nobody answered (`closest` empty) → 'timeout'
 * ('unreachable'); `failed` given and fewer than `absenceQuorum` of the `replication` likely
 * holders ({@link likelyHolders}) answered → 'timeout' ('holders-unreachable': an outbox whose
 * holders are partitioned or gone is not reported as never queued, so it is not cached as
 * empty); otherwise 'not-found'.
 * Never throws for any value bytes.
 * @throws RetrievalOptionError for a bad `replication` / `absenceQuorum`.
 */
export function classifyOutbox(found: DhtGetResultLike, o: ClassifyOptions): Classified {
  const verify = o.verify ?? verifySignedValue;
  const base = { expired: 0, duplicates: 0, belowWatermark: 0, cached: false };
  const outboxValues = found.values.filter((v) => v.id === OUTBOX_VALUE_ID);
  const valid = outboxValues.filter((v) => verify(o.key, v)) as SignedValue[];
  const rejectedValues = (found.rejected ?? 0) + (outboxValues.length - valid.length);
  let best: SignedValue | undefined;
  for (const v of valid)
    if ((o.owner === undefined || bytesEqual(v.owner, o.owner)) && (best === undefined || v.seq > best.seq))
      best = v;
  const { replication, absenceQuorum } = resolveAbsenceQuorum(o.replication, o.absenceQuorum);
  if (best === undefined) {
    if (valid.length > 0)
      return {
        ...base,
        status: 'malformed',
        reason: 'owner',
        error: new OutboxOwnerError(
          'owner',
          `${valid.length} value(s) verify for the key but none is owned by the expected sender key`,
        ),
        messages: [],
        rejectedValues,
      };
    if (rejectedValues > 0)
      return {
        ...base,
        status: 'malformed',
        reason: 'signature',
        error: new OutboxOwnerError(
          'signature',
          `${rejectedValues} value(s) at the key, none verifies for this outbox key`,
        ),
        messages: [],
        rejectedValues,
      };
    if (found.aborted === true)
      return { ...base, status: 'timeout', reason: 'aborted', messages: [], rejectedValues };
    if (found.closest !== undefined && found.closest.length === 0)
      return { ...base, status: 'timeout', reason: 'unreachable', messages: [], rejectedValues };
    if (found.failed !== undefined && found.failed.length > 0) {
      const h = likelyHolders(o.key, found.closest ?? [], found.failed, replication);
      if (h.answered < absenceQuorum)
        return { ...base, status: 'timeout', reason: 'holders-unreachable', messages: [], rejectedValues };
    }
    return { ...base, status: 'not-found', messages: [], rejectedValues };
  }
  let decoded: OutboxMessage[];
  try {
    decoded = decodeOutbox(best.data, o.limits ?? {});
  } catch (error) {
    return {
      ...base,
      status: 'malformed',
      reason: 'decode',
      error,
      messages: [],
      outboxSeq: best.seq,
      rejectedValues,
    };
  }
  let expired = 0;
  let duplicates = 0;
  let belowWatermark = 0;
  const kept: Array<{ m: OutboxMessage; i: number }> = [];
  decoded.forEach((m, i) => {
    if (m.expiry < o.nowSeconds) expired++;
    else if (o.watermark !== undefined && m.seq <= o.watermark) belowWatermark++;
    else if (kept.some((k) => sameMessage(k.m, m))) duplicates++;
    else kept.push({ m, i });
  });
  kept.sort((a, b) =>
    a.m.seq !== b.m.seq
      ? a.m.seq < b.m.seq
        ? -1
        : 1
      : a.m.timestamp !== b.m.timestamp
        ? a.m.timestamp < b.m.timestamp
          ? -1
          : 1
        : a.i - b.i,
  );
  const messages = kept.map((k) => Object.freeze(k.m));
  return {
    status: messages.length > 0 ? 'delivered' : 'empty',
    messages,
    outboxSeq: best.seq,
    expired,
    duplicates,
    belowWatermark,
    rejectedValues,
    cached: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Coalescing of gets across overlapping retrievals

interface SharedLookup {
  readonly promise: Promise<DhtGetResultLike>;
  readonly ctl: AbortController;
  refs: number;
}

/**
 * Gets in flight, per DHT handle, per outbox key. An entry lives exactly as long as its get:
 * it is removed when the get settles, or when its last waiter gives up (the get is then aborted).
 * Keyed weakly by the DHT handle, so nothing here outlives the handle either.
 */
const inflight = new WeakMap<DhtGetter, Map<string, SharedLookup>>();

/** Gets in flight on `dht` started by retrievals (0 once every retrieval on it has settled). */
export function inflightLookups(dht: DhtGetter): number {
  return inflight.get(dht)?.size ?? 0;
}

function keyHex(key: Uint8Array): string {
  let s = '';
  for (const b of key) s += b.toString(16).padStart(2, '0');
  return s;
}

function sharedGet(
  dht: DhtGetter,
  key: Uint8Array,
  signal: AbortSignal,
  counters: { lookups: number; joined: number },
): Promise<DhtGetResultLike> {
  const hex = keyHex(key);
  let map = inflight.get(dht);
  if (map === undefined) inflight.set(dht, (map = new Map()));
  const table = map;
  let entry = table.get(hex);
  if (entry === undefined) {
    counters.lookups++;
    const ctl = new AbortController();
    const promise = Promise.resolve().then(() => dht.get(key, { signal: ctl.signal }));
    const created: SharedLookup = { promise, ctl, refs: 0 };
    const cleanup = (): void => {
      if (table.get(hex) === created) table.delete(hex);
      if (table.size === 0 && inflight.get(dht) === table) inflight.delete(dht);
    };
    promise.then(cleanup, cleanup);
    table.set(hex, created);
    entry = created;
  } else {
    counters.joined++;
  }
  const shared = entry;
  shared.refs++;
  return new Promise<DhtGetResultLike>((resolve, reject) => {
    let done = false;
    const release = (): void => {
      done = true;
      signal.removeEventListener('abort', onAbort);
      shared.refs--;
      if (shared.refs === 0 && table.get(hex) === shared) {
        shared.ctl.abort(signal.reason);
        table.delete(hex);
        if (table.size === 0 && inflight.get(dht) === table) inflight.delete(dht);
      }
    };
    const onAbort = (): void => {
      if (done) return;
      release();
      reject(signal.reason);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    shared.promise.then(
      (v) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        shared.refs--;
        resolve(v);
      },
      (e: unknown) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        shared.refs--;
        reject(e);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// The retrieval

function toSeconds(v: number | bigint): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n) throw new RetrievalOptionError('nowSeconds', 'must be >= 0');
    return v;
  }
  if (!Number.isSafeInteger(v) || v < 0)
    throw new RetrievalOptionError('nowSeconds', `must be a non-negative integer, got ${v}`);
  return BigInt(v);
}

function positiveOrInfinity(name: string, v: number): number | undefined {
  if (v === Infinity) return undefined;
  if (!(v > 0) || !Number.isFinite(v))
    throw new RetrievalOptionError(name, `must be > 0 or Infinity, got ${v}`);
  return v;
}

/**
 * Check the retry options and turn them into fanOut's (undefined = off).
 * @throws RetrievalOptionError('retry.attempts' | 'retry.backoff' | 'retry.when').
 */
function resolveRetry(r: RetrievalRetryOptions | undefined): RetryOptions | undefined {
  if (r === undefined) return undefined;
  if (!Number.isInteger(r.attempts) || r.attempts < 1)
    throw new RetrievalOptionError('retry.attempts', `must be an integer >= 1, got ${r.attempts}`);
  const b = r.backoff;
  if (b !== undefined && typeof b !== 'function' && !(typeof b === 'number' && Number.isFinite(b) && b >= 0))
    throw new RetrievalOptionError(
      'retry.backoff',
      `must be a finite number >= 0 or a function, got ${String(b)}`,
    );
  if (r.when !== undefined && typeof r.when !== 'function')
    throw new RetrievalOptionError('retry.when', 'must be a function');
  return {
    attempts: r.attempts,
    ...(b !== undefined && { backoff: b }),
    ...(r.when !== undefined && { when: r.when }),
  };
}

const STATUSES: readonly ContactStatus[] = [
  'delivered',
  'empty',
  'not-found',
  'malformed',
  'timeout',
  'error',
];

/**
 * Retrieve offline messages from every contact's outbox to `options.recipient`, in parallel.
 *
 * All contacts are queried concurrently, at most `concurrency` at once (default 50; the rest
 * wait in contact order). Each query is one DHT get of the outbox key; it is bounded by
 * `queryTimeoutMs` (default 10 s) and the whole retrieval by `deadlineMs` (default 30 s).
 * Results arrive progressively (the returned object is async-iterable, in completion order, and
 * `onResult` is called as each settles); a slow contact never delays the others' results.
 * Every contact gets exactly one {@link ContactResult}: delivered / empty / not-found /
 * malformed / timeout / error — none is ever dropped. An outbox whose likely holders did not
 * answer is a 'timeout' ('holders-unreachable'), not 'not-found' (see {@link classifyOutbox}). With `earlyCompletion` < 1 the retrieval ends once
 * that fraction of contacts has a result. With a `cache`, contacts whose outbox was empty or
 * absent are skipped until the entry expires. Overlapping retrievals on the same `dht` share
 * their gets (coalesced): a second caller joins the get in flight for an outbox rather than
 * starting another, and gets the same values.
 *
 * @throws FingerprintError for a bad recipient or contact fingerprint (before any traffic).
 * With `retry` (off by default) a contact whose get failed or timed out is asked again (see
 * {@link RetrievalRetryOptions}); every result says how many gets it took (`attempts`), the
 * report the sums (`attempts`, `retries`).
 *
 * @throws RetrievalOptionError for a duplicate contact ('contacts[i]'), a bad concurrency,
 *   queryTimeoutMs, deadlineMs, earlyCompletion, nowSeconds, replication, absenceQuorum or
 *   retry ('retry.attempts' | 'retry.backoff' | 'retry.when').
 */
export function retrieveOfflineMessages(
  contacts: readonly (OutboxContact | string)[],
  options: OfflineRetrieveOptions,
): OfflineRetrieval {
  assertFingerprint(options.recipient, 'recipient');
  const seen = new Set<string>();
  const list: OutboxContact[] = contacts.map((c, i) => {
    const contact = typeof c === 'string' ? { fingerprint: c } : c;
    assertFingerprint(contact.fingerprint, `contacts[${i}]`);
    if (seen.has(contact.fingerprint)) throw new RetrievalOptionError(`contacts[${i}]`, 'is listed twice');
    seen.add(contact.fingerprint);
    return contact;
  });
  const recipient = options.recipient;
  const clock = options.clock;
  const verify = options.verify ?? verifySignedValue;
  const concurrencyIn = options.concurrency ?? 50;
  if (!(concurrencyIn === Infinity || (Number.isInteger(concurrencyIn) && concurrencyIn >= 1)))
    throw new RetrievalOptionError(
      'concurrency',
      `must be an integer >= 1 or Infinity, got ${concurrencyIn}`,
    );
  const concurrency = concurrencyIn === Infinity ? Math.max(1, list.length) : concurrencyIn;
  const queryTimeoutMs = positiveOrInfinity('queryTimeoutMs', options.queryTimeoutMs ?? 10_000);
  const deadlineMs = positiveOrInfinity('deadlineMs', options.deadlineMs ?? 30_000);
  const fraction = options.earlyCompletion ?? 1;
  if (!(fraction > 0 && fraction <= 1))
    throw new RetrievalOptionError('earlyCompletion', `must be in (0, 1], got ${fraction}`);
  const nowIn = typeof options.nowSeconds === 'function' ? options.nowSeconds() : options.nowSeconds;
  const nowSeconds = toSeconds(nowIn);
  const coalesce = options.coalesce ?? true;
  const holderRule = resolveAbsenceQuorum(options.replication, options.absenceQuorum);
  const retry = resolveRetry(options.retry);
  const counters = { lookups: 0, joined: 0 };
  let cacheHits = 0;
  const keys = new Map(list.map((c) => [c.fingerprint, outboxInfoHash(c.fingerprint, recipient)]));

  const call = async (contact: OutboxContact, ctx: { signal: AbortSignal }): Promise<Classified> => {
    const sender = contact.fingerprint;
    const cachedStatus = options.cache?.get(recipient, sender);
    if (cachedStatus !== undefined) {
      cacheHits++;
      return {
        status: cachedStatus,
        messages: [],
        expired: 0,
        duplicates: 0,
        belowWatermark: 0,
        rejectedValues: 0,
        cached: true,
      };
    }
    const key = keys.get(sender)!;
    let found: DhtGetResultLike;
    if (coalesce) found = await sharedGet(options.dht, key, ctx.signal, counters);
    else {
      counters.lookups++;
      found = await options.dht.get(key, { signal: ctx.signal });
    }
    const watermark = options.watermarks?.get(sender);
    const c = classifyOutbox(found, {
      key,
      nowSeconds,
      verify,
      ...holderRule,
      ...(contact.owner !== undefined && { owner: contact.owner }),
      ...(watermark !== undefined && { watermark }),
      ...(options.limits !== undefined && { limits: options.limits }),
    });
    if (options.cache !== undefined) {
      if (c.status === 'empty' || c.status === 'not-found') options.cache.set(recipient, sender, c.status);
      else if (c.status === 'delivered') options.cache.invalidate(recipient, sender);
    }
    if (
      retry !== undefined &&
      c.status === 'timeout' &&
      (c.reason === 'unreachable' || c.reason === 'holders-unreachable')
    )
      throw new OutboxLookupIncompleteError(c);
    return c;
  };

  const memo = new Map<number, ContactResult>();
  const toResult = (o: Outcome<OutboxContact, Classified>): ContactResult => {
    const known = memo.get(o.index);
    if (known !== undefined) return known;
    const timing = { startedAt: o.startedAt, settledAt: o.settledAt, durationMs: o.durationMs };
    const attempts = o.status === 'fulfilled' && o.value.cached ? 0 : o.attempts;
    const empty = {
      messages: [],
      expired: 0,
      duplicates: 0,
      belowWatermark: 0,
      rejectedValues: 0,
      cached: false,
    };
    let r: ContactResult;
    if (o.status === 'fulfilled') {
      r = {
        sender: o.id,
        index: o.index,
        ...o.value,
        messages: Object.freeze([...o.value.messages]),
        attempts,
        ...timing,
      };
    } else if (o.status === 'failed' && o.error instanceof OutboxLookupIncompleteError) {
      // (retry on) the last get ended without reaching the holders: its own classification.
      const c = o.error.result;
      r = {
        sender: o.id,
        index: o.index,
        ...c,
        messages: Object.freeze([...c.messages]),
        attempts,
        ...timing,
      };
    } else if (o.status === 'rejected' || o.status === 'failed') {
      // The get threw (a DhtNodeStoppedError, a transport error …): not a timeout.
      r = { sender: o.id, index: o.index, status: 'error', error: o.error, ...empty, attempts, ...timing };
    } else {
      const reason: TimeoutReason =
        o.status === 'timedOut'
          ? o.reason === 'deadline'
            ? 'deadline'
            : 'query-timeout'
          : o.reason === 'quorum'
            ? 'early-completion'
            : 'aborted';
      r = {
        sender: o.id,
        index: o.index,
        status: 'timeout',
        reason,
        error: o.error,
        ...empty,
        attempts,
        ...timing,
      };
    }
    Object.freeze(r);
    memo.set(o.index, r);
    return r;
  };

  const need = Math.ceil(fraction * list.length);
  const run = fanOut<OutboxContact, Classified>(list, call, {
    key: (c) => c.fingerprint,
    concurrency,
    clock,
    ...(queryTimeoutMs !== undefined && { timeoutMs: queryTimeoutMs }),
    ...(deadlineMs !== undefined && { deadlineMs }),
    ...(fraction < 1 &&
      list.length > 0 && {
        quorum: { predicate: (v) => v.total - v.pending >= need, exit: 'early' as const },
      }),
    ...(options.signal !== undefined && { signal: options.signal }),
    ...(retry !== undefined && { retry }),
    onEvent: (e) => {
      if (e.type === 'settled') options.onResult?.(toResult(e.outcome));
      options.onEvent?.(e);
    },
  });

  const result: Promise<OfflineReport> = run.result.then((fr: FanOutResult<OutboxContact, Classified>) => {
    const results = fr.outcomes.map(toResult);
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ContactStatus, number>;
    for (const r of results) counts[r.status]++;
    return Object.freeze({
      recipient,
      contacts: Object.freeze(results),
      bySender: new Map(results.map((r) => [r.sender, r])),
      messages: Object.freeze(results.flatMap((r) => r.messages)),
      counts: Object.freeze(counts),
      elapsedMs: fr.elapsedMs,
      completionOrder: fr.completionOrder,
      earlyCompleted: results.some((r) => r.reason === 'early-completion'),
      lookups: counters.lookups,
      joined: counters.joined,
      cacheHits,
      rejectedValues: results.reduce((n, r) => n + r.rejectedValues, 0),
      attempts: results.reduce((n, r) => n + r.attempts, 0),
      retries: results.reduce((n, r) => n + Math.max(0, r.attempts - 1), 0),
    });
  });

  return {
    result,
    then<A = OfflineReport, B = never>(
      onfulfilled?: ((value: OfflineReport) => A | PromiseLike<A>) | null,
      onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ): PromiseLike<A | B> {
      return result.then(onfulfilled, onrejected);
    },
    abort: (reason?: unknown) => run.abort(reason),
    [Symbol.asyncIterator](): AsyncIterator<ContactResult> {
      const it = run[Symbol.asyncIterator]();
      return {
        next: async () => {
          const n = await it.next();
          return n.done === true
            ? { done: true, value: undefined }
            : { done: false, value: toResult(n.value) };
        },
        return: async () => {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
