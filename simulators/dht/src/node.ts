import type { Clock, TimerHandle } from '@fanout/core';
import KBucket from 'k-bucket';
import {
  DhtBadRequestError,
  DhtNodeStoppedError,
  DhtRemoteError,
  DhtRpcTimeoutError,
  DhtValueTooLargeError,
  type DhtErrorCode,
} from './errors.js';
import { bytesEqual, closestTo, compareDistance, isNodeId, toHex, type NodeId } from './ids.js';
import {
  copyValue,
  parseReply,
  parseRequest,
  parseValue,
  type DhtReply,
  type DhtRequest,
  type DhtValue,
  type SendFn,
} from './messages.js';
import { DEFAULT_TTL_MS, ValueStore } from './storage.js';
import { SEARCH_REUSE_MS, SearchMemory } from './searches.js';

/**
 * Fault modes for fault tests:
 * - 'none': honest node.
 * - 'stale': keeps the first version it stored of each value id; later replacements are
 *   acknowledged ('stored') but not applied, so it keeps serving the old sequence number.
 * - 'corrupt': stores honestly but serves values with flipped data bytes (owner, signature,
 *   id and seq unchanged, so signed values no longer verify).
 * - 'drop': acknowledges puts without storing anything.
 */
export type NodeFault = 'none' | 'stale' | 'corrupt' | 'drop';

/** Kademlia replication / bucket size: 8 (OpenDHT `TARGET_NODES`, bucket size 8). */
export const DEFAULT_K = 8;
/** Lookup parallelism: 3 requests in flight per lookup. */
export const DEFAULT_ALPHA = 3;
/** Per-RPC timeout, ms. */
export const DEFAULT_RPC_TIMEOUT_MS = 1000;
/** A routing-table contact not heard from for this long is pinged before a newcomer may replace it (OpenDHT: 10 min). */
export const CONTACT_STALE_MS = 10 * 60 * 1000;
/** Most remote listen subscriptions one node keeps. Further `listen` requests get 'storage-full'. */
export const MAX_REMOTE_LISTENERS = 4096;
/**
 * Failed RPCs in a row after which a contact that has answered this node before is evicted
 * (default of {@link DhtNodeOptions.maxFails}; OpenDHT expires a node after 3 timed-out requests,
 * `Node::MAX_RESPONSE_TIME` / `requestExpired`). A contact that never answered goes after one.
 */
export const DEFAULT_MAX_FAILS = 3;
/**
 * How long an evicted contact stays dead for this node, ms (OpenDHT NODE_EXPIRE_TIME: 10 min):
 * lookups count it as failed without asking it, even when other nodes list it, and requests
 * claiming its id do not put it back in the routing table. Ends early when it answers.
 */
export const CONTACT_DEAD_MS = 10 * 60 * 1000;
/** Most contacts whose failures (in a row, dead until) one node remembers; oldest forgotten first. */
export const MAX_CONTACT_HEALTH = 8192;
/** Most verification pings (to contacts known only from their requests) one node has in flight. */
export const MAX_VERIFY_PINGS = 32;

/** Options for {@link DhtNode}. */
export interface DhtNodeOptions {
  /** This node's 20-byte id. */
  id: NodeId;
  /** Time source for TTLs, RPC timeouts and expiry notifications. */
  clock: Clock;
  /** Transport: send a request to a node id and await its reply. */
  send: SendFn;
  /** Replication factor and bucket size (default 8). */
  k?: number;
  /** Lookup parallelism (default 3). */
  alpha?: number;
  /** Per-RPC timeout in ms (default 1000). */
  rpcTimeoutMs?: number;
  /**
   * Failed RPCs in a row (timeout, no address, 'unavailable', malformed reply) after which a
   * contact that has answered before is evicted and marked dead for {@link CONTACT_DEAD_MS}
   * (integer ≥ 1, default {@link DEFAULT_MAX_FAILS}); a contact that never answered goes after one.
   */
  maxFails?: number;
  /**
   * A lookup RPC unanswered after this many ms stops counting against alpha: the lookup asks
   * the next candidate meanwhile (the late answer is still used), so slow nodes cannot stall a
   * lookup. Default min(500, rpcTimeoutMs / 2).
   */
  lookupStallMs?: number;
  /** TTL for puts that give none, ms (default 10 min, OpenDHT DEFAULT_VALUE_EXPIRATION). */
  defaultTtlMs?: number;
  /** Max value data bytes (default 64 KiB). */
  maxValueBytes?: number;
  /** Storage cap in bytes (default 64 MiB). */
  maxStorageBytes?: number;
  /**
   * Value check used when storing (a false → 'edit-refused'/'bad-signature') and, by default,
   * when a get or listen receives values (a false → the value is dropped and counted in
   * `rejected`). E.g. `verifySignedValue` from @fanout/dht.
   */
  verifyValue?: (key: NodeId, value: DhtValue) => boolean;
  /** Initial fault mode (default 'none'). */
  fault?: NodeFault;
  /** Trace hook: every RPC this node sends and how it ended. Must not throw. */
  onTrace?: (event: DhtTraceEvent) => void;
  /**
   * How long a put reuses the converged search of an earlier get or put of the same key, ms
   * (default {@link SEARCH_REUSE_MS}, 10 min; 0: every put looks its key up). See searches.ts.
   */
  searchReuseMs?: number;
}

/** Trace events (times are clock ms; ids are hex). */
export type DhtTraceEvent =
  | {
      readonly kind: 'send';
      readonly at: number;
      readonly from: string;
      readonly to: string;
      readonly request: DhtRequest['type'];
    }
  | {
      readonly kind: 'reply';
      readonly at: number;
      readonly from: string;
      readonly to: string;
      readonly request: DhtRequest['type'];
    }
  | {
      readonly kind: 'fail';
      readonly at: number;
      readonly from: string;
      readonly to: string;
      readonly request: DhtRequest['type'];
      readonly error: string;
    };

/** Options shared by lookups. */
export interface LookupOptions {
  /** Abort the lookup: in-flight RPCs are abandoned and the result has `aborted: true`. */
  signal?: AbortSignal;
  /** Override k for this lookup. */
  k?: number;
  /** Override alpha for this lookup. */
  alpha?: number;
}

/** Outcome of an iterative lookup. Lists of ids are fresh copies. */
export interface LookupResult {
  readonly target: NodeId;
  /** Up to k nodes that answered, closest to the target first. */
  readonly closest: readonly NodeId[];
  /** Every node asked, in the order the requests were sent (the lookup path). */
  readonly queried: readonly NodeId[];
  /**
   * Nodes that did not answer (timeout, error, unavailable), and dead contacts other nodes listed
   * (counted as failed without an RPC, see {@link CONTACT_DEAD_MS}).
   */
  readonly failed: readonly NodeId[];
  /** RPCs sent. */
  readonly rpcs: number;
  /** True when `signal` aborted the lookup. */
  readonly aborted: boolean;
  /** Clock ms from start to end. */
  readonly elapsedMs: number;
}

/** Options for {@link DhtNode.get}. */
export interface GetOptions extends LookupOptions {
  /**
   * Called once per value as it arrives (local storage first), with the node that sent it
   * (undefined = local). A value is delivered when its id is new or its seq is higher than the
   * one delivered before. Return `false` to stop the lookup early (OpenDHT GetCallback).
   */
  onValue?: (value: DhtValue, from: NodeId | undefined) => boolean | void;
  /** Called once when the get ends, before the promise resolves (OpenDHT DoneCallback). */
  onDone?: (result: GetResult) => void;
  /** Value check (default: the node's `verifyValue`); false → dropped and counted in `rejected`. */
  verify?: (key: NodeId, value: DhtValue) => boolean;
}

/** Outcome of {@link DhtNode.get}. */
export interface GetResult extends LookupResult {
  /** Newest version (highest seq) of each value id seen, ordered by id. */
  readonly values: readonly DhtValue[];
  /** Nodes that returned at least one accepted value. */
  readonly holders: readonly NodeId[];
  /** True when `onValue` returned false. */
  readonly stoppedEarly: boolean;
  /** Values dropped by the verify check. */
  readonly rejected: number;
  /** Values with an already-seen (id, seq) but other content (first one kept). */
  readonly conflicts: number;
}

/** Options for {@link DhtNode.put}. */
export interface PutOptions extends LookupOptions {
  /** TTL in ms (default: the node's defaultTtlMs, 10 min). */
  ttlMs?: number;
}

/** Outcome of {@link DhtNode.put}. */
export interface PutResult {
  /**
   * The findNode lookup that chose the storing nodes; when {@link reusedSearch}, the earlier
   * search's nodes (`queried`/`failed` empty, `rpcs` 0, `elapsedMs` 0).
   */
  readonly lookup: LookupResult;
  /** True when the put went to the nodes of a recent search of the key (no lookup). */
  readonly reusedSearch: boolean;
  /** Nodes that acknowledged the put. */
  readonly stored: readonly NodeId[];
  /** Nodes that refused it, with the typed error (DhtRemoteError carrying the code). */
  readonly refused: ReadonlyArray<{ readonly node: NodeId; readonly error: Error }>;
  /** Nodes that did not answer. */
  readonly failed: ReadonlyArray<{ readonly node: NodeId; readonly error: unknown }>;
}

/** A running listen subscription. */
export interface DhtListener {
  readonly token: number;
  readonly key: NodeId;
  /** Nodes that accepted the subscription. */
  readonly nodes: readonly NodeId[];
  /** Stop: tells the storing nodes and stops callbacks. Never rejects. */
  cancel(): Promise<void>;
}

/** Callback of {@link DhtNode.listen}: new or replaced values (`expired` false), or values that expired (`expired` true). */
export type ListenCallback = (values: DhtValue[], expired: boolean) => void;

/** Counters for tests and reports. */
export interface DhtNodeStats {
  rpcsSent: number;
  rpcsFailed: number;
  requestsHandled: number;
  badRequests: number;
  /** Contacts evicted (and marked dead) after failing {@link DhtNodeOptions.maxFails} RPCs in a row. */
  contactsEvicted: number;
  /** Lookup candidates (listed by other nodes) counted as failed without an RPC because they are dead. */
  deadSkipped: number;
}

interface Contact {
  id: Uint8Array;
  vectorClock: number;
  lastSeen: number;
  /**
   * It answered an RPC of this node, or was introduced explicitly (addContact, a bootstrap
   * list); a contact known only from requests it sent (which anyone can send, under any id) is
   * not. Lookups start from vouched contacts first (OpenDHT searches and lists only "good" nodes,
   * ones that answered: `RoutingTable::findClosestNodes` / `Node::isGood`), and an unvouched one
   * is evicted after one failed RPC instead of maxFails.
   */
  vouched: boolean;
}

interface LocalSub {
  key: NodeId;
  callback: ListenCallback;
  known: Map<bigint, DhtValue>;
  active: boolean;
}

/** What a node remembers of a contact that failed RPCs (see {@link CONTACT_DEAD_MS}). */
/** A contact's id (for {@link closestTo}). */
const contactId = (c: Contact): NodeId => c.id;

interface ContactHealth {
  /** RPCs in a row that failed. */
  fails: number;
  /** Clock ms until which it is dead (0: alive). */
  deadUntil: number;
}

interface RemoteSub {
  from: NodeId;
  token: number;
}

type Candidate = { id: NodeId; hex: string; state: 'new' | 'pending' | 'done' | 'failed' };

function checkPositiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1)
    throw new RangeError(`DhtNode option '${name}' must be an integer >= 1, got ${String(v)}`);
  return x;
}

function errorCode(e: unknown): DhtErrorCode {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'value-too-large' ||
    code === 'storage-full' ||
    code === 'edit-refused' ||
    code === 'unavailable'
    ? code
    : 'bad-request';
}

function corrupt(v: DhtValue): DhtValue {
  const c = copyValue(v);
  const data = c.data.length === 0 ? Uint8Array.of(0xff) : c.data.map((b) => b ^ 0x5a);
  return c.owner === undefined
    ? { id: c.id, seq: c.seq, data }
    : { id: c.id, seq: c.seq, data, owner: c.owner, signature: c.signature! };
}

function sameValueContent(a: DhtValue, b: DhtValue): boolean {
  return bytesEqual(a.data, b.data) && bytesEqual(a.owner, b.owner) && bytesEqual(a.signature, b.signature);
}

/**
 * One DHT node: a Kademlia routing table (k-bucket, 20-byte ids, bucket size k), OpenDHT value
 * storage (see {@link ValueStore}), and iterative lookups (alpha requests in flight, converging
 * on the k closest nodes that answer).
 *
 * Transport-agnostic: requests arrive through {@link handle} (synchronous, never throws, always
 * returns a reply, bad input gets an `error` reply) and leave through the injected `send`.
 * Everything time-related uses the injected {@link Clock}, so a swarm under a VirtualClock is
 * deterministic.
 */
export class DhtNode {
  readonly id: NodeId;
  readonly idHex: string;
  readonly k: number;
  readonly alpha: number;
  readonly rpcTimeoutMs: number;
  readonly lookupStallMs: number;
  readonly defaultTtlMs: number;
  /** This node's storage (read it in tests; mutate it only through puts). */
  readonly storage: ValueStore;
  readonly maxFails: number;
  readonly stats: DhtNodeStats = {
    rpcsSent: 0,
    rpcsFailed: 0,
    requestsHandled: 0,
    badRequests: 0,
    contactsEvicted: 0,
    deadSkipped: 0,
  };
  /** Current fault mode; may be changed at any time. */
  fault: NodeFault;

  readonly #clock: Clock;
  readonly #send: SendFn;
  readonly #verify: ((key: NodeId, value: DhtValue) => boolean) | undefined;
  readonly #trace: ((e: DhtTraceEvent) => void) | undefined;
  readonly #table: KBucket<Contact>;
  #vectorClock = 0;
  #stopped = false;
  readonly #pinging = new Set<string>();
  readonly #health = new Map<string, ContactHealth>();
  readonly #verifying = new Set<string>();
  #nextToken = 1;
  readonly #localSubs = new Map<number, LocalSub>();
  readonly #remoteSubs = new Map<string, Map<string, RemoteSub>>(); // key hex → (from hex + token) → sub
  #remoteSubCount = 0;
  #expiryTimer: TimerHandle | undefined;
  #expiryAt = Infinity;
  readonly #searches: SearchMemory;

  /**
   * @throws RangeError when `id` is not 20 bytes or k/alpha/rpcTimeoutMs/defaultTtlMs are invalid.
   */
  constructor(options: DhtNodeOptions) {
    if (!isNodeId(options.id)) throw new RangeError('DhtNode option id must be a 20-byte Uint8Array');
    this.id = options.id.slice();
    this.idHex = toHex(this.id);
    this.k = checkPositiveInt('k', options.k, DEFAULT_K);
    this.alpha = checkPositiveInt('alpha', options.alpha, DEFAULT_ALPHA);
    this.maxFails = checkPositiveInt('maxFails', options.maxFails, DEFAULT_MAX_FAILS);
    this.rpcTimeoutMs = options.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    if (!(this.rpcTimeoutMs > 0) || !Number.isFinite(this.rpcTimeoutMs))
      throw new RangeError(`DhtNode option 'rpcTimeoutMs' must be a finite number > 0`);
    this.lookupStallMs = options.lookupStallMs ?? Math.min(500, this.rpcTimeoutMs / 2);
    if (!(this.lookupStallMs > 0) || !Number.isFinite(this.lookupStallMs))
      throw new RangeError(`DhtNode option 'lookupStallMs' must be a finite number > 0`);
    this.defaultTtlMs = options.defaultTtlMs ?? DEFAULT_TTL_MS;
    if (!(this.defaultTtlMs > 0) || !Number.isFinite(this.defaultTtlMs))
      throw new RangeError(`DhtNode option 'defaultTtlMs' must be a finite number > 0`);
    this.#clock = options.clock;
    this.#send = options.send;
    this.#verify = options.verifyValue;
    this.#trace = options.onTrace;
    this.fault = options.fault ?? 'none';
    const reuseMs = options.searchReuseMs ?? SEARCH_REUSE_MS;
    if (!(reuseMs >= 0) || !Number.isFinite(reuseMs))
      throw new RangeError(`DhtNode option 'searchReuseMs' must be a finite number >= 0`);
    this.#searches = new SearchMemory(reuseMs);
    this.storage = new ValueStore({
      ...(options.maxValueBytes !== undefined && { maxValueBytes: options.maxValueBytes }),
      ...(options.maxStorageBytes !== undefined && { maxStorageBytes: options.maxStorageBytes }),
      ...(options.verifyValue !== undefined && { verifyValue: options.verifyValue }),
    });
    this.#table = new KBucket<Contact>({
      localNodeId: this.id,
      numberOfNodesPerKBucket: this.k,
      numberOfNodesToPing: 3,
      // The newer sighting wins (k-bucket's vector-clock rule), keeping the vouched flag.
      arbiter: (incumbent, candidate) =>
        incumbent.vectorClock > candidate.vectorClock
          ? incumbent
          : { ...candidate, vouched: candidate.vouched || incumbent.vouched },
    });
    this.#table.on('ping', (old, candidate) => this.#onBucketFull(old, candidate));
  }

  /** True once {@link stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Number of contacts in the routing table. */
  get routingTableSize(): number {
    return this.#table.count();
  }

  /** Routing-table contacts (copies), closest to `target` first (default: to this node). */
  contacts(target: NodeId = this.id): NodeId[] {
    return this.#closestKnown(target, Infinity);
  }

  /**
   * Add a contact without contacting it (bootstrap lists, direct swarm bootstrap); an explicit
   * introduction also lifts a dead mark. Ignores self and bad ids.
   */
  addContact(id: NodeId): void {
    // (no health records yet, as in a direct bootstrap: nothing to lift, no hex to build)
    if (this.#health.size > 0 && isNodeId(id)) this.#health.delete(toHex(id));
    this.#learn(id, true);
  }

  /**
   * True while `id` is dead for this node: it failed {@link maxFails} RPCs in a row (one, if it
   * never answered) less than {@link CONTACT_DEAD_MS} ago and has not answered since.
   */
  isDead(id: NodeId): boolean {
    return isNodeId(id) && this.#deadHex(toHex(id));
  }

  /**
   * Stop the node (it left the swarm): local listeners end, the expiry timer is cleared, and
   * from now on {@link handle} answers 'unavailable' and public operations throw
   * {@link DhtNodeStoppedError}. Idempotent.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const s of this.#localSubs.values()) s.active = false;
    this.#localSubs.clear();
    this.#remoteSubs.clear();
    this.#searches.clear();
    this.#remoteSubCount = 0;
    if (this.#expiryTimer !== undefined) this.#clock.clearTimer(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#expiryAt = Infinity;
  }

  // ---------------------------------------------------------------- incoming

  /**
   * Handle one request from node `from`. Synchronous; never throws: malformed input (wrong
   * `from`, unknown type, bad field) gets `{ type: 'error', code: 'bad-request' }` naming the
   * field; policy refusals get 'value-too-large' / 'storage-full' / 'edit-refused'; a stopped
   * node answers 'unavailable'. A valid sender is added to the routing table.
   */
  handle(from: unknown, message: unknown): DhtReply {
    if (this.#stopped) return { type: 'error', code: 'unavailable', message: 'node stopped' };
    this.stats.requestsHandled++;
    try {
      if (!isNodeId(from)) throw new DhtBadRequestError('from', 'must be a 20-byte Uint8Array');
      const req = parseRequest(message);
      this.#heardFrom(from);
      this.#sweep();
      return this.#dispatch(from, req);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'bad-request') this.stats.badRequests++;
      const message = e instanceof Error ? e.message : String(e);
      const reason = (e as { reason?: unknown; field?: unknown }).reason ?? (e as { field?: unknown }).field;
      return typeof reason === 'string'
        ? { type: 'error', code, message, reason }
        : { type: 'error', code, message };
    }
  }

  #dispatch(from: NodeId, req: DhtRequest): DhtReply {
    const now = this.#clock.now();
    switch (req.type) {
      case 'ping':
        return { type: 'pong' };
      case 'findNode':
        return { type: 'nodes', nodes: this.#closestKnown(req.target, this.k) };
      case 'get':
        return {
          type: 'values',
          values: this.#serve(req.key, now),
          nodes: this.#closestKnown(req.key, this.k),
        };
      case 'put': {
        const mode = this.fault === 'stale' || this.fault === 'drop' ? this.fault : 'none';
        const outcome = this.storage.put(req.key, req.value, req.ttlMs ?? this.defaultTtlMs, now, mode);
        if (outcome.kind === 'stored' || outcome.kind === 'replaced')
          this.#notify(req.key, [req.value], false);
        this.#armExpiry();
        return { type: 'stored' };
      }
      case 'listen': {
        const hex = toHex(req.key);
        let subs = this.#remoteSubs.get(hex);
        const subKey = `${toHex(from)}:${req.token}`;
        if (!subs?.has(subKey)) {
          if (this.#remoteSubCount >= MAX_REMOTE_LISTENERS) {
            return {
              type: 'error',
              code: 'storage-full',
              message: `more than ${MAX_REMOTE_LISTENERS} listeners`,
            };
          }
          if (subs === undefined) this.#remoteSubs.set(hex, (subs = new Map()));
          subs.set(subKey, { from: from.slice(), token: req.token });
          this.#remoteSubCount++;
        }
        this.#armExpiry();
        return {
          type: 'values',
          values: this.#serve(req.key, now),
          nodes: this.#closestKnown(req.key, this.k),
        };
      }
      case 'cancelListen': {
        const hex = toHex(req.key);
        const subs = this.#remoteSubs.get(hex);
        if (subs?.delete(`${toHex(from)}:${req.token}`)) {
          this.#remoteSubCount--;
          if (subs.size === 0) this.#remoteSubs.delete(hex);
        }
        return { type: 'ok' };
      }
      case 'update': {
        const sub = this.#localSubs.get(req.token);
        if (sub !== undefined && bytesEqual(sub.key, req.key)) this.#deliver(sub, req.values, req.expired);
        return { type: 'ok' };
      }
    }
  }

  /** Values served for `key`, after the fault transform. */
  #serve(key: NodeId, now: number): DhtValue[] {
    const values = this.storage.get(key, now);
    return this.fault === 'corrupt' ? values.map(corrupt) : values;
  }

  // ---------------------------------------------------------------- routing table

  /** Put `id` in the routing table (or refresh it); `vouched`: see {@link Contact.vouched}. */
  #learn(id: NodeId, vouched = false): void {
    if (this.#stopped || !isNodeId(id) || bytesEqual(this.id, id)) return;
    if (!vouched && this.#deadHex(toHex(id))) return; // a request claiming a dead id (maybe spoofed) does not revive it
    this.#table.add({
      id: id.slice(),
      vectorClock: ++this.#vectorClock,
      lastSeen: this.#clock.now(),
      vouched,
    });
  }

  /**
   * A request came from `id`: learn it, and when it is new to the routing table, ping it once
   * (at most MAX_VERIFY_PINGS at a time): an answer vouches for it; silence evicts it (one failed
   * RPC, see #failedRpc), so a node that sent requests under a made-up id — or left — does not
   * stay in the table for other nodes' lookups to wait out (Kademlia / BEP 5: a node heard only
   * through its queries is "questionable" until it answers a ping).
   */
  #heardFrom(id: NodeId): void {
    const known = this.#table.get(id) !== null;
    this.#learn(id);
    if (known || this.#verifying.size >= MAX_VERIFY_PINGS) return;
    const c = this.#table.get(id);
    if (c === null || c.vouched) return;
    const hex = toHex(id);
    if (this.#verifying.has(hex)) return;
    this.#verifying.add(hex);
    this.#rpc(id, { type: 'ping' })
      .catch(() => undefined) // counted by #rpc
      .finally(() => this.#verifying.delete(hex));
  }

  #forget(id: NodeId): void {
    this.#table.remove(id);
  }

  #deadHex(hex: string): boolean {
    const h = this.#health.get(hex);
    return h !== undefined && h.deadUntil > this.#clock.now();
  }

  /** The health record of `hex`, moved to the newest end (the map forgets its oldest beyond the cap). */
  #healthOf(hex: string): ContactHealth {
    const h = this.#health.get(hex) ?? { fails: 0, deadUntil: 0 };
    this.#health.delete(hex);
    this.#health.set(hex, h);
    if (this.#health.size > MAX_CONTACT_HEALTH) this.#health.delete(this.#health.keys().next().value!);
    return h;
  }

  /**
   * An RPC to `to` failed: one more failure in a row; at maxFails (1 for a contact that is not
   * vouched) it leaves the routing table and is dead for CONTACT_DEAD_MS.
   */
  #failedRpc(to: NodeId, hex: string): void {
    const vouched = this.#table.get(to)?.vouched === true;
    const h = this.#healthOf(hex);
    h.fails++;
    if (h.fails < (vouched ? this.maxFails : 1)) return;
    this.#forget(to);
    if (h.deadUntil <= this.#clock.now()) this.stats.contactsEvicted++;
    h.deadUntil = this.#clock.now() + CONTACT_DEAD_MS;
  }

  /**
   * Bucket full: a vouched newcomer replaces an unvouched one among the least-recently-seen;
   * otherwise ping those that are stale, and a silent one is replaced.
   */
  #onBucketFull(old: Contact[], candidate: Contact): void {
    if (this.#stopped) return;
    // A contact that answered (or was introduced) replaces one known only from its requests.
    const unvouched = candidate.vouched ? old.find((c) => !c.vouched) : undefined;
    if (unvouched !== undefined) {
      this.#forget(unvouched.id);
      this.#table.add(candidate);
      return;
    }
    const now = this.#clock.now();
    for (const c of old) {
      if (now - c.lastSeen < CONTACT_STALE_MS) continue;
      const hex = toHex(c.id);
      if (this.#pinging.has(hex)) continue;
      this.#pinging.add(hex);
      this.#rpc(c.id, { type: 'ping' }).then(
        () => this.#pinging.delete(hex),
        () => {
          this.#pinging.delete(hex);
          this.#forget(c.id);
          this.#learn(candidate.id);
        },
      );
      return; // one replacement attempt per newcomer
    }
  }

  /**
   * The `n` routing-table contacts closest to `target`. `preferVouched`: vouched ones first
   * (closest first), then, when fewer than `n` are vouched, the closest of the others — where a
   * lookup starts, so a flood of requests under made-up ids does not make every lookup start
   * from contacts that never answered. Replies list the plain closest (a node that joined through
   * requests alone must stay findable; the asker judges who answers).
   */
  #closestKnown(target: NodeId, n: number, preferVouched = false): NodeId[] {
    const all = this.#table.toArray();
    if (n >= all.length) {
      all.sort((a, b) => compareDistance(target, a.id, b.id));
      return all.map((c) => c.id.slice());
    }
    if (!preferVouched) return closestTo(target, all, n, contactId).map((c) => c.id.slice());
    // The n closest vouched contacts, then (when fewer) the closest unvouched ones.
    const vouched = closestTo(
      target,
      all.filter((c) => c.vouched),
      n,
      contactId,
    );
    const rest =
      vouched.length < n
        ? closestTo(
            target,
            all.filter((c) => !c.vouched),
            n - vouched.length,
            contactId,
          )
        : [];
    return [...vouched, ...rest].map((c) => c.id.slice());
  }

  // ---------------------------------------------------------------- outgoing

  /**
   * One RPC with this node's timeout. Resolves with a validated, non-error reply; rejects with
   * DhtRpcTimeoutError, DhtRemoteError (error reply or malformed reply), the parent signal's
   * reason, or the transport's error. A failure (timeout, 'unavailable', malformed reply,
   * transport error) counts against the contact: after maxFails in a row (one if it never
   * answered) it leaves the routing table and is dead for CONTACT_DEAD_MS. Not counted: the
   * parent's abort (the caller, or a lookup that ended before this RPC stalled — it had no fair
   * chance to answer; a stalled one runs on to its own timeout, see #iterate), and a refusal
   * (an error reply: the contact answered).
   */
  async #rpc(to: NodeId, req: DhtRequest, parent?: AbortSignal): Promise<DhtReply> {
    if (this.#stopped) throw new DhtNodeStoppedError(this.idHex);
    const toHexId = toHex(to);
    const ctl = new AbortController();
    const timer = this.#clock.setTimer(
      () => ctl.abort(new DhtRpcTimeoutError(toHexId, this.rpcTimeoutMs)),
      this.rpcTimeoutMs,
    );
    const onParent = (): void => ctl.abort(parent!.reason);
    if (parent?.aborted) ctl.abort(parent.reason);
    else parent?.addEventListener('abort', onParent, { once: true });
    this.stats.rpcsSent++;
    this.#trace?.({ kind: 'send', at: this.#clock.now(), from: this.idHex, to: toHexId, request: req.type });
    try {
      const raw = await new Promise<unknown>((resolve, reject) => {
        if (ctl.signal.aborted) {
          reject(ctl.signal.reason);
          return;
        }
        ctl.signal.addEventListener('abort', () => reject(ctl.signal.reason), { once: true });
        try {
          this.#send(to, req, ctl.signal).then(resolve, reject);
        } catch (e) {
          reject(e);
        }
      });
      let reply: DhtReply;
      try {
        reply = parseReply(req.type, raw);
      } catch (e) {
        throw new DhtRemoteError('bad-reply', toHexId, (e as Error).message);
      }
      if (reply.type === 'error') throw new DhtRemoteError(reply.code, toHexId, reply.message, reply.reason);
      this.#health.delete(toHexId); // it answered: alive, no failures
      this.#learn(to, true);
      this.#trace?.({
        kind: 'reply',
        at: this.#clock.now(),
        from: this.idHex,
        to: toHexId,
        request: req.type,
      });
      return reply;
    } catch (e) {
      this.stats.rpcsFailed++;
      const byParent = parent?.aborted === true && e === parent.reason;
      const remoteRefusal = e instanceof DhtRemoteError && e.code !== 'unavailable' && e.code !== 'bad-reply';
      if (remoteRefusal) this.#health.delete(toHexId);
      else if (!byParent) this.#failedRpc(to, toHexId);
      this.#trace?.({
        kind: 'fail',
        at: this.#clock.now(),
        from: this.idHex,
        to: toHexId,
        request: req.type,
        error: e instanceof Error ? e.name : String(e),
      });
      throw e;
    } finally {
      this.#clock.clearTimer(timer);
      parent?.removeEventListener('abort', onParent);
    }
  }

  /**
   * Iterative lookup toward `target`. Starts from the k closest routing-table contacts, keeps
   * up to alpha requests in flight (an RPC stops counting after lookupStallMs), always asking the
   * closest not-yet-asked candidate among the k closest that have not failed, and ends when those
   * k have all answered or when nothing is left to ask. `onReply` sees every reply; returning
   * false ends the lookup early.
   *
   * When the lookup ends, RPCs still in flight that have not stalled are aborted; RPCs that have
   * stalled (no answer after lookupStallMs) are left to run to their own rpcTimeoutMs, detached
   * from the lookup, so a contact that stopped answering still times out and leaves the routing
   * table (and a slow one that answers late is kept). Aborting them instead let a silent contact
   * stay in the table for good, costing every later lookup a stall while it never once timed out.
   * A caller's abort (`options.signal`) or a stopped node aborts every RPC of the lookup.
   */
  #iterate(
    target: NodeId,
    request: DhtRequest,
    options: LookupOptions,
    onReply?: (from: NodeId, reply: DhtReply) => boolean,
  ): Promise<LookupResult> {
    const k = options.k ?? this.k;
    const alpha = options.alpha ?? this.alpha;
    const started = this.#clock.now();
    const candidates: Candidate[] = [];
    const byHex = new Map<string, Candidate>();
    const queried: NodeId[] = [];
    const failed: NodeId[] = [];
    let rpcs = 0;
    // RPCs in flight: each has its own controller, so ending the lookup can abort some and not others.
    const inFlight = new Set<{ readonly ctl: AbortController; stalled: boolean }>();
    const addCandidate = (id: NodeId): void => {
      if (bytesEqual(this.id, id)) return;
      const hex = toHex(id);
      if (byHex.has(hex)) return;
      // A dead contact (see CONTACT_DEAD_MS) that another node lists counts as failed at once:
      // it is reported in `failed` as if asked, without waiting out its timeout again.
      const dead = this.#deadHex(hex);
      const c: Candidate = { id: id.slice(), hex, state: dead ? 'failed' : 'new' };
      byHex.set(hex, c);
      if (dead) {
        this.stats.deadSkipped++;
        failed.push(c.id.slice());
      }
      // insert sorted by distance (binary search)
      let lo = 0;
      let hi = candidates.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareDistance(target, candidates[mid]!.id, c.id) < 0) lo = mid + 1;
        else hi = mid;
      }
      candidates.splice(lo, 0, c);
    };
    for (const id of this.#closestKnown(target, k, true)) addCandidate(id);

    return new Promise<LookupResult>((resolve) => {
      let inflight = 0; // RPCs outstanding
      let active = 0; // outstanding and not stalled: these count against alpha
      let finished = false;
      const onAbort = (): void => finish(true);
      const finish = (aborted: boolean): void => {
        if (finished) return;
        finished = true;
        options.signal?.removeEventListener('abort', onAbort);
        const ended = new Error('lookup finished');
        for (const r of inFlight) if (aborted || !r.stalled) r.ctl.abort(ended);
        inFlight.clear();
        const closest = candidates
          .filter((c) => c.state === 'done')
          .slice(0, k)
          .map((c) => c.id.slice());
        resolve({
          target: target.slice(),
          closest,
          queried,
          failed,
          rpcs,
          aborted,
          elapsedMs: this.#clock.now() - started,
        });
      };
      if (options.signal?.aborted) {
        finish(true);
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });

      const pump = (): void => {
        if (finished) return;
        if (this.#stopped) {
          finish(true);
          return;
        }
        // Look at the k closest candidates that have not failed: launch new ones while fewer
        // than alpha RPCs are in flight; once all k have answered, the lookup has converged and
        // ends even if RPCs to farther nodes are still in flight (they are abandoned), so one
        // slow node off the final path cannot hold a lookup open.
        let considered = 0;
        let converged = true;
        for (const c of candidates) {
          if (c.state === 'failed') continue;
          if (considered++ >= k) break;
          if (c.state !== 'done') converged = false;
          if (c.state === 'new' && active < alpha) launch(c);
        }
        if (inflight === 0 || (converged && considered > 0)) finish(false);
      };
      const launch = (c: Candidate): void => {
        c.state = 'pending';
        inflight++;
        active++;
        rpcs++;
        queried.push(c.id.slice());
        const r = { ctl: new AbortController(), stalled: false };
        inFlight.add(r);
        const stallTimer = this.#clock.setTimer(() => {
          r.stalled = true;
          active--;
          pump();
        }, this.lookupStallMs);
        const settle = (): void => {
          this.#clock.clearTimer(stallTimer);
          inFlight.delete(r);
          if (!r.stalled) active--;
          inflight--;
        };
        this.#rpc(c.id, request, r.ctl.signal).then(
          (reply) => {
            settle();
            if (finished) return;
            c.state = 'done';
            const nodes = reply.type === 'nodes' || reply.type === 'values' ? reply.nodes : [];
            for (const n of nodes) addCandidate(n);
            if (onReply !== undefined && !onReply(c.id, reply)) finish(false);
            else pump();
          },
          () => {
            settle();
            if (finished) return;
            c.state = 'failed';
            failed.push(c.id.slice());
            pump();
          },
        );
      };
      pump();
    });
  }

  /**
   * Iterative FIND_NODE toward `target`.
   * @throws DhtNodeStoppedError when the node was stopped.
   */
  async findNode(target: NodeId, options: LookupOptions = {}): Promise<LookupResult> {
    this.#ensureRunning();
    if (!isNodeId(target)) throw new DhtBadRequestError('target', 'must be a 20-byte Uint8Array');
    return this.#iterate(target, { type: 'findNode', target }, options);
  }

  /**
   * Join: add `contacts` to the routing table, then look up this node's own id (which fills the
   * routing table and announces this node to the nodes it asks).
   * @throws DhtNodeStoppedError when the node was stopped.
   */
  async bootstrap(contacts: readonly NodeId[], options: LookupOptions = {}): Promise<LookupResult> {
    this.#ensureRunning();
    for (const c of contacts) this.addContact(c);
    return this.findNode(this.id, options);
  }

  /**
   * OpenDHT-style get: walk toward `key` asking `get` (each node answers its values for the key
   * plus closer nodes), deliver each new value (or higher seq of a known id) to `onValue`
   * (local storage first), stop early when it returns false, call `onDone` at the end.
   * Unlike the upstream reader, a get does not stop at the first value by default: it runs
   * until the k closest nodes answered, so the newest sequence number wins.
   * @throws DhtBadRequestError for a key that is not 20 bytes; DhtNodeStoppedError when stopped;
   *   rethrows what `onValue` throws (after ending the lookup).
   */
  async get(key: NodeId, options: GetOptions = {}): Promise<GetResult> {
    this.#ensureRunning();
    if (!isNodeId(key)) throw new DhtBadRequestError('key', 'must be a 20-byte Uint8Array');
    this.#sweep();
    const verify = options.verify ?? this.#verify;
    const newest = new Map<bigint, DhtValue>();
    const holders: NodeId[] = [];
    let rejected = 0;
    let conflicts = 0;
    let stoppedEarly = false as boolean;
    let thrown = undefined as { error: unknown } | undefined;
    const accept = (values: readonly DhtValue[], from: NodeId | undefined): boolean => {
      let any = false;
      for (const v of values) {
        if (verify !== undefined && !verify(key, v)) {
          rejected++;
          continue;
        }
        any = true;
        const known = newest.get(v.id);
        if (known !== undefined && v.seq < known.seq) continue;
        if (known !== undefined && v.seq === known.seq) {
          if (!sameValueContent(known, v)) conflicts++;
          continue;
        }
        newest.set(v.id, v);
        if (options.onValue !== undefined) {
          let more: boolean | void;
          try {
            more = options.onValue(copyValue(v), from?.slice());
          } catch (e) {
            thrown = { error: e };
            return false;
          }
          if (more === false) {
            stoppedEarly = true;
            return false;
          }
        }
      }
      if (any && from !== undefined) holders.push(from.slice());
      return true;
    };
    let lookup: LookupResult;
    if (!accept(this.#serve(key, this.#clock.now()), undefined)) {
      lookup = {
        target: key.slice(),
        closest: [],
        queried: [],
        failed: [],
        rpcs: 0,
        aborted: false,
        elapsedMs: 0,
      };
    } else {
      lookup = await this.#iterate(key, { type: 'get', key }, options, (from, reply) =>
        reply.type === 'values' ? accept(reply.values, from) : true,
      );
    }
    const values = [...newest.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copyValue);
    const result: GetResult = { ...lookup, values, holders, stoppedEarly, rejected, conflicts };
    if (thrown !== undefined) throw thrown.error;
    if (!stoppedEarly) this.#rememberSearch(key, lookup, options);
    options.onDone?.(result);
    return result;
  }

  /**
   * Store `value` under `key` on the k closest nodes that answer a findNode lookup, or, when a
   * get or put of `key` converged within `searchReuseMs` and none of its nodes is dead, on that
   * search's nodes without a lookup (OpenDHT puts through the key's existing search; searches.ts).
   * A put that some of those nodes did not answer forgets the search.
   * @throws DhtValueTooLargeError (before any network traffic) when the data exceeds this node's max value size.
   * @throws DhtBadRequestError for a malformed key or value; DhtNodeStoppedError when stopped.
   */
  async put(key: NodeId, value: DhtValue, options: PutOptions = {}): Promise<PutResult> {
    this.#ensureRunning();
    if (!isNodeId(key)) throw new DhtBadRequestError('key', 'must be a 20-byte Uint8Array');
    const v = parseValue(value);
    if (v.data.length > this.storage.maxValueBytes)
      throw new DhtValueTooLargeError(v.data.length, this.storage.maxValueBytes);
    if (options.ttlMs !== undefined && (!(options.ttlMs > 0) || !Number.isFinite(options.ttlMs)))
      throw new DhtBadRequestError('ttlMs', 'must be a finite number > 0');
    const k = options.k ?? this.k;
    const keyHex = toHex(key);
    const known = this.#searches.reusable(keyHex, k, this.#clock.now(), (id) => this.isDead(id));
    const lookup: LookupResult =
      known === undefined
        ? await this.findNode(key, options)
        : {
            target: key.slice(),
            closest: known.closest.map((id) => id.slice()),
            queried: [],
            failed: [],
            rpcs: 0,
            aborted: false,
            elapsedMs: 0,
          };
    if (known === undefined) this.#rememberSearch(key, lookup, options);
    const req: DhtRequest =
      options.ttlMs === undefined
        ? { type: 'put', key, value: v }
        : { type: 'put', key, value: v, ttlMs: options.ttlMs };
    const stored: NodeId[] = [];
    const refused: Array<{ node: NodeId; error: Error }> = [];
    const failed: Array<{ node: NodeId; error: unknown }> = [];
    const outcomes = await Promise.allSettled(
      lookup.closest.map((node) => this.#rpc(node, req, options.signal)),
    );
    outcomes.forEach((o, i) => {
      const node = lookup.closest[i]!;
      if (o.status === 'fulfilled') stored.push(node);
      else if (
        o.reason instanceof DhtRemoteError &&
        o.reason.code !== 'unavailable' &&
        o.reason.code !== 'bad-reply'
      )
        refused.push({ node, error: o.reason });
      else failed.push({ node, error: o.reason });
    });
    if (failed.length > 0) this.#searches.forget(keyHex);
    return { lookup, stored, refused, failed, reusedSearch: known !== undefined };
  }

  /** Remember a lookup of `key` for later puts when it converged (not aborted, some node answered). */
  #rememberSearch(key: NodeId, lookup: LookupResult, options: LookupOptions): void {
    if (lookup.aborted) return;
    const closest = lookup.closest.map((id) => id.slice());
    this.#searches.remember(toHex(key), { closest, k: options.k ?? this.k, at: this.#clock.now() });
  }

  /**
   * Subscribe to `key`: find the k closest nodes, ask each to push updates, and call `callback`
   * with the current values, then with every new or replaced value (`expired` false) and every
   * value that expires (`expired` true). Updates are de-duplicated across the storing nodes:
   * a value is reported when its id is new or its seq higher; an expiry is reported once, for
   * the version last reported. Values failing the node's `verifyValue` are ignored.
   * @throws DhtBadRequestError for a key that is not 20 bytes; DhtNodeStoppedError when stopped.
   */
  async listen(key: NodeId, callback: ListenCallback, options: LookupOptions = {}): Promise<DhtListener> {
    this.#ensureRunning();
    if (!isNodeId(key)) throw new DhtBadRequestError('key', 'must be a 20-byte Uint8Array');
    const token = this.#nextToken++;
    const sub: LocalSub = { key: key.slice(), callback, known: new Map(), active: true };
    this.#localSubs.set(token, sub);
    this.#deliver(sub, this.#serve(key, this.#clock.now()), false);
    const lookup = await this.findNode(key, options);
    const nodes: NodeId[] = [];
    await Promise.all(
      lookup.closest.map(async (node) => {
        try {
          const reply = await this.#rpc(node, { type: 'listen', key, token }, options.signal);
          nodes.push(node);
          if (reply.type === 'values') this.#deliver(sub, reply.values, false);
        } catch {
          // a node that refuses or does not answer simply does not notify us
        }
      }),
    );
    nodes.sort((a, b) => compareDistance(key, a, b));
    this.#armExpiry();
    return {
      token,
      key: key.slice(),
      nodes,
      cancel: async (): Promise<void> => {
        sub.active = false;
        this.#localSubs.delete(token);
        if (this.#stopped) return;
        await Promise.allSettled(nodes.map((n) => this.#rpc(n, { type: 'cancelListen', key, token })));
      },
    };
  }

  #deliver(sub: LocalSub, values: readonly DhtValue[], expired: boolean): void {
    if (!sub.active) return;
    const out: DhtValue[] = [];
    for (const v of values) {
      if (this.#verify !== undefined && !this.#verify(sub.key, v)) continue;
      const known = sub.known.get(v.id);
      if (expired) {
        if (known !== undefined && known.seq === v.seq) {
          sub.known.delete(v.id);
          out.push(copyValue(v));
        }
      } else if (known === undefined || v.seq > known.seq) {
        sub.known.set(v.id, copyValue(v));
        out.push(copyValue(v));
      }
    }
    if (out.length > 0) sub.callback(out, expired);
  }

  /** Tell listeners of `key` (remote subscribers and this node's own listeners) about changes. */
  #notify(key: NodeId, values: readonly DhtValue[], expired: boolean): void {
    const served = this.fault === 'corrupt' ? values.map(corrupt) : values.map(copyValue);
    for (const sub of this.#localSubs.values())
      if (bytesEqual(key, sub.key)) this.#deliver(sub, served, expired);
    const subs = this.#remoteSubs.get(toHex(key));
    if (subs === undefined) return;
    for (const [subKey, s] of [...subs]) {
      this.#rpc(s.from, { type: 'update', key, token: s.token, values: served, expired }).catch(() => {
        if (subs.delete(subKey)) this.#remoteSubCount--;
      });
    }
  }

  /** Remove expired values and notify their listeners. */
  #sweep(): void {
    for (const { key, values } of this.storage.sweep(this.#clock.now())) this.#notify(key, values, true);
  }

  /** Keep one timer at the earliest expiry, only while someone listens (so idle swarms hold no timers). */
  #armExpiry(): void {
    if (this.#stopped) return;
    const listening = this.#remoteSubCount > 0 || this.#localSubs.size > 0;
    const at = listening ? this.storage.nextExpiry : Infinity;
    if (at === this.#expiryAt) return;
    if (this.#expiryTimer !== undefined) this.#clock.clearTimer(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#expiryAt = at;
    if (at === Infinity) return;
    this.#expiryTimer = this.#clock.setTimer(() => {
      this.#expiryTimer = undefined;
      this.#expiryAt = Infinity;
      this.#sweep();
      this.#armExpiry();
    }, at - this.#clock.now());
  }

  #ensureRunning(): void {
    if (this.#stopped) throw new DhtNodeStoppedError(this.idHex);
  }
}
