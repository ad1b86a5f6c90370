import {
  fanOut,
  realClock,
  type Clock,
  type FanOutEvent,
  type FanOutResult,
  type RetryOptions,
} from '@fanout/core';
import { OutboxDecodeError, type OutboxLimits, type OutboxMessage } from './codec.js';
import { assertFingerprint, outboxInfoHash } from './keys.js';
import { OutboxOwnerError, readOutbox } from './outbox.js';
import { newestSignedValue, verifySignedValue, type SignedValue, type ValueVerifier } from './signed.js';

/**
 * Parallel outbox retrieval (upstream `dht_retrieve_queued_messages_from_contacts_parallel`),
 * built on @fanout/core's fanOut, without the upstream defects listed in the lab's reference:
 * every contact's get runs to convergence and the newest valid value wins (upstream stopped at
 * the first value); the deadline is absolute (upstream restarted its timer each loop pass);
 * late replies after a timeout are ignored by the engine (upstream wrote to freed stack memory);
 * overlapping retrievals share one run (upstream raced, later fixed with a 400 ms debounce).
 * Also from upstream's future-work list: a concurrency limit (default 50), progressive results,
 * and an optional cache of empty outboxes.
 */

/** A DHT value as a get returns it (structurally a @fanout/sim-dht `DhtValue`). */
export interface DhtValueLike {
  readonly id: bigint;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly owner?: Uint8Array;
  readonly signature?: Uint8Array;
}

/**
 * What the client needs from a DHT: an OpenDHT-style get that walks to the key and resolves
 * with the values found (a @fanout/sim-dht `DhtNode` fits as is). It should stop when `signal` aborts.
 */
export interface DhtGetter {
  get(
    key: Uint8Array,
    options: { signal?: AbortSignal },
  ): Promise<{ readonly values: readonly DhtValueLike[] }>;
}

/** A contact to read from: its fingerprint, and optionally the ed25519 key its outbox must be signed by. */
export interface OutboxContact {
  readonly fingerprint: string;
  readonly owner?: Uint8Array;
}

/** One contact's outbox as read. */
export interface ContactOutbox {
  readonly sender: string;
  /** The newest valid outbox value, or undefined when the contact has none. */
  readonly value: SignedValue | undefined;
  /** Unexpired messages (expiry >= now), oldest first. */
  readonly messages: readonly OutboxMessage[];
  /** True when served from the empty-outbox cache (no DHT traffic). */
  readonly cached: boolean;
}

/** Options for {@link retrieveOutboxes} and {@link OutboxRetriever}. */
export interface RetrieveOptions {
  /** My fingerprint (the recipient of every outbox read). */
  readonly recipient: string;
  /** The DHT to read from. */
  readonly dht: DhtGetter;
  /** Unix seconds now (for the expiry filter). A function is called once per retrieval. */
  readonly nowSeconds: number | bigint | (() => number | bigint);
  /** Clock for timeouts and the empty cache. Default realClock. */
  readonly clock?: Clock;
  /** Contacts read at once (default 50, upstream's planned limit). */
  readonly concurrency?: number;
  /** Per-contact attempt timeout, ms (default 30,000, upstream's wait). */
  readonly timeoutMs?: number;
  /** Whole-retrieval deadline, ms (default none). */
  readonly deadlineMs?: number;
  /** Retries for failed/timed-out gets (reads are idempotent). Default none. */
  readonly retry?: RetryOptions;
  /** Decoding caps (defaults as decodeOutbox). */
  readonly limits?: Partial<OutboxLimits>;
  /** Progressive results: called as each contact's outbox arrives. Must not throw. */
  readonly onOutbox?: (outbox: ContactOutbox) => void;
  /** fanOut progress events. */
  readonly onEvent?: (event: FanOutEvent<OutboxContact, ContactOutbox>) => void;
  /** Cancel the retrieval. */
  readonly signal?: AbortSignal;
  /** Signature check (default verifySignedValue; a memoizedVerifier saves work in simulations). */
  readonly verify?: ValueVerifier;
}

/** Result of a retrieval. */
export interface RetrieveResult {
  /** Every unexpired message from every contact that answered, in contact order then outbox order. */
  readonly messages: ReadonlyArray<OutboxMessage>;
  /** The fan-out: one outcome per contact (fulfilled with a {@link ContactOutbox}, or why not). */
  readonly fanOut: FanOutResult<OutboxContact, ContactOutbox>;
}

/**
 * Read every contact's outbox to `recipient` in parallel and gather the unexpired messages.
 * An outbox whose newest valid value does not decode or fails its owner check is 'rejected'
 * (never retried); a get that throws or times out is 'failed'/'timedOut'.
 * @throws FingerprintError for a bad recipient or contact fingerprint (before any traffic);
 *   FanOutOptionError for bad concurrency/timeout/deadline/retry options.
 */
export async function retrieveOutboxes(
  contacts: readonly (OutboxContact | string)[],
  options: RetrieveOptions,
): Promise<RetrieveResult> {
  return retrieveWithCache(contacts, options, undefined);
}

async function retrieveWithCache(
  contactsIn: readonly (OutboxContact | string)[],
  options: RetrieveOptions,
  emptyCache: { readonly ttlMs: number; readonly until: Map<string, number> } | undefined,
): Promise<RetrieveResult> {
  assertFingerprint(options.recipient, 'recipient');
  const contacts = contactsIn.map((c, i) => {
    const contact = typeof c === 'string' ? { fingerprint: c } : c;
    assertFingerprint(contact.fingerprint, `contacts[${i}]`);
    return contact;
  });
  const clock = options.clock ?? realClock;
  const verify = options.verify ?? verifySignedValue;
  const now = typeof options.nowSeconds === 'function' ? options.nowSeconds() : options.nowSeconds;
  const run = fanOut<OutboxContact, ContactOutbox>(
    contacts,
    async (contact, ctx) => {
      const sender = contact.fingerprint;
      const cachedUntil = emptyCache?.until.get(sender);
      if (cachedUntil !== undefined && clock.now() < cachedUntil) {
        const out: ContactOutbox = { sender, value: undefined, messages: [], cached: true };
        options.onOutbox?.(out);
        return out;
      }
      const key = outboxInfoHash(sender, options.recipient);
      const found = await options.dht.get(key, { signal: ctx.signal });
      const value = newestSignedValue(
        key,
        found.values,
        contact.owner === undefined ? { verify } : { verify, owner: contact.owner },
      );
      const messages =
        value === undefined
          ? []
          : readOutbox(value, {
              sender,
              recipient: options.recipient,
              nowSeconds: now,
              verify,
              ...(options.limits !== undefined && { limits: options.limits }),
            });
      if (emptyCache !== undefined) {
        if (value === undefined) emptyCache.until.set(sender, clock.now() + emptyCache.ttlMs);
        else emptyCache.until.delete(sender);
      }
      const out: ContactOutbox = { sender, value, messages, cached: false };
      options.onOutbox?.(out);
      return out;
    },
    {
      key: (c) => c.fingerprint,
      concurrency: options.concurrency ?? 50,
      timeoutMs: options.timeoutMs ?? 30_000,
      clock,
      classify: (e) =>
        e instanceof OutboxDecodeError || e instanceof OutboxOwnerError ? 'rejected' : 'failed',
      ...(options.deadlineMs !== undefined && { deadlineMs: options.deadlineMs }),
      ...(options.retry !== undefined && { retry: options.retry }),
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.onEvent !== undefined && { onEvent: options.onEvent }),
    },
  );
  const result = await run.result;
  return { messages: result.fulfilled.flatMap((o) => o.value.messages), fanOut: result };
}

/**
 * A reusable retriever for one recipient: overlapping {@link retrieve} calls share the run in
 * flight (single-flight, so two triggers can never race and merge results twice), and, when
 * `emptyCacheMs` is set, contacts whose outbox was empty are skipped for that long
 * (upstream's planned "10-minute cache of empty outboxes").
 */
export class OutboxRetriever {
  readonly #options: RetrieveOptions;
  readonly #cache: { readonly ttlMs: number; readonly until: Map<string, number> } | undefined;
  #inflight: Promise<RetrieveResult> | undefined;

  /**
   * @param options as {@link retrieveOutboxes}, plus `emptyCacheMs` (> 0) to cache empty outboxes.
   * @throws RangeError for an emptyCacheMs that is not > 0.
   */
  constructor(options: RetrieveOptions & { readonly emptyCacheMs?: number }) {
    this.#options = options;
    if (options.emptyCacheMs !== undefined) {
      if (!(options.emptyCacheMs > 0))
        throw new RangeError(`emptyCacheMs must be > 0, got ${options.emptyCacheMs}`);
      this.#cache = { ttlMs: options.emptyCacheMs, until: new Map() };
    }
  }

  /** True while a retrieval runs. */
  get busy(): boolean {
    return this.#inflight !== undefined;
  }

  /**
   * Retrieve from `contacts`; while a retrieval is in flight, returns that one's promise
   * (the `contacts` of the later call are then ignored).
   * @throws as {@link retrieveOutboxes}.
   */
  retrieve(contacts: readonly (OutboxContact | string)[]): Promise<RetrieveResult> {
    if (this.#inflight !== undefined) return this.#inflight;
    const p = retrieveWithCache(contacts, this.#options, this.#cache).finally(() => {
      this.#inflight = undefined;
    });
    this.#inflight = p;
    return p;
  }
}
