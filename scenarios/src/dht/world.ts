/**
 * A DHT offline-queue world (shared/reference/dht.md): a Kademlia swarm of DhtNodes on the sim
 * kit's SimNetwork (virtual time, seeded, traced) or on real UDP sockets on 127.0.0.1 (live),
 * contacts who queued messages in their outboxes to one recipient, node faults and a fault plan,
 * and a reader node that retrieves with @fanout/dht's retrieveOfflineMessages.
 *
 * The oracle is computed from ground truth, independently of the client: what each contact
 * queued (every version of its outbox), which nodes hold which version (their storage), which
 * nodes are reachable (left, partitioned, crashed, slow), the expiry rule (`expiry >= now`) and
 * the absence rule (an outbox is 'not-found' only when at least ⌈K/2⌉ of the K nodes closest to
 * its key answer; otherwise the client must say 'timeout', reason holders-unreachable).
 */
import { realClock, VirtualClock, type Clock } from '@fanout/core';
import {
  EmptyOutboxCache,
  memoizedVerifier,
  outboxInfoHash,
  queueMessage,
  queueToOutbox,
  retrieveOfflineMessages,
  signValue,
  type ContactResult,
  type DhtGetter,
  type OfflineReport,
  type OfflineRetrieveOptions,
  type SignedValue,
  type ValueVerifier,
} from '@fanout/dht';
import {
  DatagramDhtNetwork,
  Swarm,
  compareDistance,
  dhtTarget,
  simEndpoints,
  toHex,
  type DhtNode,
  type DhtValue,
  type NodeFault,
} from '@fanout/sim-dht';
import { liveUdpEndpoints } from '@fanout/sim-dht/live';
import {
  SimNetwork,
  Trace,
  createRng,
  parseFaultPlan,
  rngBytesFn,
  type FaultPlan,
  type FaultPlanInput,
  type LatencySpec,
  type Rng,
} from '@fanout/sim';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Mode } from '../framework.js';

/** Unix seconds at which senders queue (the world's epoch); reads happen at NOW0 + readAfterSeconds. */
export const NOW0 = 1_700_000_000;
/** DHT-level TTL of every outbox put: 7 days (upstream's message TTL). */
export const PUT_TTL_MS = 7 * 24 * 3600 * 1000;
/** Replication factor of the swarm (OpenDHT: 8). */
export const K = 8;
/** Likely holders that must answer for an absent outbox to be 'not-found' (the client's default, ⌈K/2⌉). */
export const ABSENCE_QUORUM = Math.ceil(K / 2);

/** One message a contact queues, in queue order. */
export interface QueuedSpec {
  /** The message's own seq (upstream message_backup_get_next_seq). */
  readonly seq: bigint;
  /** Lifetime in seconds from its queue time. */
  readonly ttlSeconds: number;
}

/** What one contact does before the read. */
export interface ContactSpec {
  /** Messages queued one by one (each a read-modify-write of the outbox); [] = never queued. */
  readonly messages: readonly QueuedSpec[];
  /** Publish a signed outbox whose data does not decode instead (→ 'malformed' decode). */
  readonly garbage?: boolean;
}

/** How outboxes reach the DHT. */
export type PublishMode =
  | 'network' // each queued message is a queueToOutbox (get → append → put, retried) from the contact's home node through the network
  | 'direct'; // every version is stored straight into the k closest live nodes (no traffic; faster)

export interface DhtWorldSpec {
  readonly seed: number;
  readonly mode: Mode;
  /** Swarm size. */
  readonly nodes: number;
  readonly contacts: readonly ContactSpec[];
  readonly publish: PublishMode;
  /** Round-trip latency of every exchange (plan default). Default normal 40 ± 10 ms. */
  readonly latency?: LatencySpec;
  /** Per-node latency overrides, by node index. */
  readonly latencyOf?: Readonly<Record<number, LatencySpec>>;
  /** Extra plan rules (loss, partitions, crashes …), targets named dhtTarget(i). */
  readonly rules?: FaultPlanInput['rules'];
  readonly groups?: Readonly<Record<string, string[]>>;
  /** Overrides the derived plan entirely (replay). */
  readonly plan?: FaultPlan;
  /** Node faults (stale / corrupt / drop) by node index, applied before publishing. */
  readonly nodeFaults?: ReadonlyMap<number, NodeFault>;
  /** Node indexes that leave the swarm after publishing (churn). */
  readonly leaveAfterPublish?: readonly number[];
  /** Nodes' RPC timeout, ms. Default 1000 (sim) / 500 (live). */
  readonly rpcTimeoutMs?: number;
  /** The read happens this many seconds after NOW0 (expiry filter). Default 600. */
  readonly readAfterSeconds?: number;
}

/** One contact: identity, keys, and every version of its outbox as written. */
export interface WorldContact {
  readonly index: number;
  readonly fingerprint: string;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** DHT key of its outbox to the recipient. */
  readonly key: Uint8Array;
  /**
   * Versions written, in order ('direct': versions[i].value.seq === i; 'network': every value a
   * queueToOutbox put, refused rounds included, so seqs can repeat or skip).
   */
  readonly versions: ReadonlyArray<{ readonly value: SignedValue; readonly texts: readonly string[] }>;
  /** Every message queued: text (the ciphertext, as UTF-8), seq, queue time, expiry. */
  readonly queued: ReadonlyArray<{
    readonly text: string;
    readonly seq: bigint;
    readonly timestamp: bigint;
    readonly expiry: bigint;
  }>;
  readonly garbage: boolean;
}

/** The oracle's view of one contact at read time. */
export interface ContactTruth {
  /** Reachable nodes the reader's lookup must converge on, plus the reader itself. */
  readonly holdersInReach: number;
  /** Highest outbox seq an honest reachable node holds (undefined: none). */
  readonly newestSeq: number | undefined;
  /**
   * Status the client must report when its lookup completes: 'timeout' when no value is in
   * reach and fewer than ABSENCE_QUORUM of the K nodes closest to the key answer.
   */
  readonly expected: 'delivered' | 'empty' | 'not-found' | 'malformed' | 'timeout';
  /** How many of the K nodes closest to the key (the reader aside) are reachable. */
  readonly likelyHoldersAnswering: number;
  /** Texts the client must deliver, in (seq, timestamp) order ([] unless 'delivered'). */
  readonly texts: readonly string[];
  /** Texts of messages that had expired at read time (must never be delivered). */
  readonly expiredTexts: readonly string[];
  /** Unreachable nodes (left, partitioned, slow, crashed) among those a lookup may have to ask. */
  readonly unreachableInFront: number;
}

/** Which nodes the oracle treats as unreachable or absent. */
export interface OracleView {
  readonly unreachable?: ReadonlySet<number>;
  readonly exclude?: ReadonlySet<number>;
}

export interface DhtWorld {
  readonly mode: Mode;
  readonly clock: Clock;
  readonly swarm: Swarm;
  readonly transport: DatagramDhtNetwork;
  readonly plan: FaultPlan;
  readonly trace: Trace;
  readonly rng: Rng;
  readonly recipient: string;
  readonly reader: DhtNode;
  readonly contacts: readonly WorldContact[];
  readonly verify: ValueVerifier;
  /** Unix seconds of the read. */
  readonly nowSeconds: number;
  /** Node indexes that are unreachable for the read (left, partitioned, crashed, slow > rpc timeout). */
  readonly unreachable: ReadonlySet<number>;
  /**
   * The ground truth for contact i (computed at call time from the nodes' storage), under
   * `view`: which node indexes are unreachable (default {@link unreachable}) and which nodes
   * do not exist for the read (default none; e.g. nodes that joined during it).
   */
  truth(i: number, view?: OracleView): ContactTruth;
  /** {@link unreachable} plus every node stopped since (left during the run). */
  unreachableNow(): Set<number>;
  /** The reader as a DhtGetter that records each get's start/end (clock ms) by contact index. */
  readonly timedReader: DhtGetter & { readonly spans: Map<number, { start: number; end: number }> };
  /** Run a retrieval from the reader (options merged over the world's defaults). */
  retrieve(options?: Partial<OfflineRetrieveOptions>): ReturnType<typeof retrieveOfflineMessages>;
  /** A fresh empty-outbox cache on the world's clock. */
  cache(): EmptyOutboxCache;
  close(): Promise<void>;
}

const decoder = new TextDecoder();
export const textOf = (ct: Uint8Array): string => decoder.decode(ct);

/** Fingerprint of a name: SHA3-512 hex (how upstream derives fingerprints, from a key). */
export function fingerprintOf(name: string): string {
  return bytesToHex(sha3_512(utf8ToBytes(name)));
}

/** Recipient fingerprint of the world of `seed`. */
export function recipientOf(seed: number): string {
  return fingerprintOf(`recipient:${seed}`);
}

/** Fingerprint of contact `index` in the world of `seed`. */
export function contactFingerprint(seed: number, index: number): string {
  return fingerprintOf(`contact:${seed}:${index}`);
}

/**
 * The node ids the world of `seed` will have, in creation order, without building it (the
 * swarm draws them from `rngBytesFn(createRng(seed).fork('swarm'))`, 20 bytes each, skipping
 * repeats). Lets a scenario aim faults at the holders of a key before the world exists.
 */
export function plannedNodeIds(seed: number, nodes: number): Uint8Array[] {
  const draw = rngBytesFn(createRng(seed).fork('swarm'));
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  while (out.length < nodes) {
    const id = draw(20);
    if (seen.has(toHex(id))) continue;
    seen.add(toHex(id));
    out.push(id);
  }
  return out;
}

/** Indexes of the `k` ids closest (XOR) to `key`, closest first, skipping `exclude`. */
export function closestIndexes(
  ids: readonly Uint8Array[],
  key: Uint8Array,
  k: number,
  exclude: readonly number[] = [],
): number[] {
  return ids
    .map((id, i) => ({ id, i }))
    .filter((x) => !exclude.includes(x.i))
    .sort((a, b) => compareDistance(key, a.id, b.id))
    .slice(0, k)
    .map((x) => x.i);
}

/** DHT key of contact `index`'s outbox in the world of `seed`. */
export function plannedContactKey(seed: number, index: number): Uint8Array {
  return outboxInfoHash(contactFingerprint(seed, index), recipientOf(seed));
}

/** Derive the fault plan (pure, JSON-serialisable). */
export function dhtPlanFor(spec: DhtWorldSpec): FaultPlan {
  if (spec.plan !== undefined) return spec.plan;
  const perTarget: Record<string, LatencySpec> = {};
  for (const [i, l] of Object.entries(spec.latencyOf ?? {})) perTarget[dhtTarget(Number(i))] = l;
  return parseFaultPlan({
    description: `DHT world: ${spec.nodes} nodes, ${spec.contacts.length} contacts`,
    groups: spec.groups ?? {},
    latency: { default: spec.latency ?? { kind: 'normal', meanMs: 40, sdMs: 10 }, perTarget },
    rules: spec.rules ?? [],
  });
}

/** Targets a plan makes unreachable for the whole run (partition without window, crash without restart). */
function unreachableTargets(plan: FaultPlan, rpcTimeoutMs: number): Set<string> {
  const out = new Set<string>();
  const members = (r: { targets?: string[] | undefined; group?: string | undefined }): string[] => [
    ...(r.targets ?? []),
    ...(r.group !== undefined ? (plan.groups[r.group] ?? []) : []),
  ];
  for (const r of plan.rules) {
    if (r.fault === 'partition' && r.window === undefined) members(r).forEach((t) => out.add(t));
    if (r.fault === 'crash' && r.restartAfterMs === undefined) members(r).forEach((t) => out.add(t));
    if (r.fault === 'delay' && r.latency.kind === 'constant' && r.latency.ms >= rpcTimeoutMs)
      members(r).forEach((t) => out.add(t));
  }
  for (const [t, l] of Object.entries(plan.latency.perTarget))
    if (l.kind === 'constant' && l.ms >= rpcTimeoutMs) out.add(t);
  return out;
}

/**
 * Build a world: swarm (direct bootstrap: routing tables filled without traffic), contacts and
 * their outboxes (published per `publish`), faults, churn. In sim mode everything runs on one
 * VirtualClock; in live mode every node is a real UDP socket on 127.0.0.1.
 */
export async function buildDhtWorld(spec: DhtWorldSpec): Promise<DhtWorld> {
  const rng = createRng(spec.seed);
  const clock: Clock = spec.mode === 'sim' ? new VirtualClock() : realClock;
  const plan = dhtPlanFor(spec);
  const trace = new Trace({ enabled: spec.mode === 'sim' });
  const rpcTimeoutMs = spec.rpcTimeoutMs ?? (spec.mode === 'sim' ? 1000 : 500);
  let transport: DatagramDhtNetwork;
  if (spec.mode === 'sim') {
    const net = new SimNetwork({ clock, rng: rng.fork('network'), plan, trace });
    transport = new DatagramDhtNetwork({ open: simEndpoints(net) });
  } else {
    const live = liveUdpEndpoints({ plan, rng: rng.fork('network'), clock });
    transport = new DatagramDhtNetwork({ open: live.open });
  }
  const verify = memoizedVerifier();
  const swarm = await Swarm.create({
    size: spec.nodes,
    clock,
    rng: rngBytesFn(rng.fork('swarm')),
    transport,
    bootstrap: 'direct',
    node: { verifyValue: verify, rpcTimeoutMs },
  }).catch(async (e: unknown) => {
    await transport.close();
    throw e;
  });
  const planned = plannedNodeIds(spec.seed, spec.nodes);
  if (swarm.nodes.some((n, i) => toHex(planned[i]!) !== n.idHex)) {
    await swarm.close();
    throw new Error('plannedNodeIds no longer matches how the swarm draws its ids');
  }
  const reader = swarm.node(0);
  const recipient = recipientOf(spec.seed);
  for (const [i, f] of spec.nodeFaults ?? []) if (i !== 0) swarm.setFault(i, f);

  // Contacts and their outboxes.
  const keyRng = rng.fork('contact-keys');
  const homeRng = rng.fork('homes');
  const contacts: WorldContact[] = [];
  for (const [index, c] of spec.contacts.entries()) {
    const fingerprint = contactFingerprint(spec.seed, index);
    const secretKey = keyRng.bytes(32);
    const key = outboxInfoHash(fingerprint, recipient);
    const versions: Array<{ value: SignedValue; texts: string[] }> = [];
    const queued: Array<{ text: string; seq: bigint; timestamp: bigint; expiry: bigint }> = [];
    if (c.garbage === true) {
      const value = signValue(
        key,
        { id: 1n, seq: 0, data: Uint8Array.of(0, 0, 0, 1, 0x44, 0x4e, 0x41) },
        secretKey,
      );
      versions.push({ value, texts: [] });
    } else {
      let current: SignedValue | undefined;
      for (const [m, q] of c.messages.entries()) {
        const text = `c${index}m${m}s${q.seq}`;
        const now = NOW0 + m;
        queued.push({ text, seq: q.seq, timestamp: BigInt(now), expiry: BigInt(now + q.ttlSeconds) });
        if (spec.publish === 'network') continue; // written through the DHT below
        const r = queueMessage(
          current,
          { ciphertext: utf8ToBytes(text), seq: q.seq, ttlSeconds: q.ttlSeconds },
          { sender: fingerprint, recipient, secretKey, nowSeconds: now },
        );
        current = r.value;
        versions.push({ value: r.value, texts: r.messages.map((x) => textOf(x.ciphertext)) });
      }
    }
    contacts.push({
      index,
      fingerprint,
      secretKey,
      publicKey: ed25519.getPublicKey(secretKey),
      key,
      versions,
      queued,
      garbage: c.garbage === true,
    });
  }
  const homes = contacts.map(() => swarm.node(1 + homeRng.int(0, spec.nodes - 2)));
  // Contacts publish concurrently (each its messages in order, each a read-modify-write of its
  // outbox through the DHT with queueToOutbox), as independent senders do.
  await Promise.all(
    contacts.map(async (c, i) => {
      if (spec.publish !== 'network') return;
      if (c.garbage) {
        await homes[i]!.put(c.key, c.versions[0]!.value as DhtValue, { ttlMs: PUT_TTL_MS });
        return;
      }
      const versions = c.versions as Array<{ value: SignedValue; texts: string[] }>;
      for (const [m, q] of c.queued.entries())
        await queueToOutbox(
          homes[i]!,
          {
            ciphertext: utf8ToBytes(q.text),
            seq: q.seq,
            ttlSeconds: spec.contacts[i]!.messages[m]!.ttlSeconds,
          },
          {
            sender: c.fingerprint,
            recipient,
            secretKey: c.secretKey,
            nowSeconds: NOW0 + m,
            verify,
            putTtlMs: PUT_TTL_MS,
            onPut: (value, messages) =>
              versions.push({ value, texts: messages.map((x) => textOf(x.ciphertext)) }),
          },
        );
    }),
  );
  for (const c of contacts) {
    if (spec.publish === 'direct') {
      const holders = swarm.closestLive(c.key, K);
      for (const v of c.versions)
        for (const h of holders) {
          const mode = h.fault === 'stale' || h.fault === 'drop' ? h.fault : 'none';
          try {
            h.storage.put(c.key, v.value as DhtValue, PUT_TTL_MS, clock.now(), mode);
          } catch {
            // refused like a real put would be (e.g. lower seq): nothing stored
          }
        }
    }
  }
  for (const i of spec.leaveAfterPublish ?? []) if (i !== 0) swarm.leave(i);

  const unreachableTargetSet = unreachableTargets(plan, rpcTimeoutMs);
  const unreachable = new Set<number>();
  swarm.nodes.forEach((n, i) => {
    if (n.stopped || unreachableTargetSet.has(dhtTarget(i))) unreachable.add(i);
  });
  const readAfter = spec.readAfterSeconds ?? 600;
  const nowSeconds = NOW0 + readAfter;

  const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
    a !== undefined && b !== undefined && a.length === b.length && a.every((x, j) => x === b[j]);
  const truth = (i: number, view: OracleView = {}): ContactTruth => {
    const c = contacts[i]!;
    const now = clock.now();
    const unr = view.unreachable ?? unreachable;
    const all = swarm.nodes
      .filter((n) => view.exclude?.has(swarm.indexOf(n)) !== true)
      .sort((a, b) => compareDistance(c.key, a.id, b.id));
    const others = all.filter((n) => n !== reader);
    const reachable = others.filter((n) => !unr.has(swarm.indexOf(n)));
    const inReach = [reader, ...reachable.slice(0, K)];
    const farthest = reachable[Math.min(K, reachable.length) - 1];
    const front = farthest === undefined ? [] : all.slice(0, all.indexOf(farthest) + 1);
    const unreachableInFront = front.filter((n) => unr.has(swarm.indexOf(n))).length;
    const likelyHoldersAnswering = others.slice(0, K).filter((n) => !unr.has(swarm.indexOf(n))).length;
    let newest: DhtValue | undefined;
    let corruptHolder = false;
    for (const n of inReach) {
      const e = n.storage.entry(c.key, 1n);
      if (e === undefined || now >= e.expiresAt) continue;
      if (n.fault === 'corrupt') corruptHolder = true;
      else if (newest === undefined || e.value.seq > newest.seq) newest = e.value;
    }
    const newestSeq = newest?.seq;
    const expiredTexts = c.queued.filter((q) => q.expiry < BigInt(nowSeconds)).map((q) => q.text);
    const common = {
      holdersInReach: inReach.length,
      newestSeq,
      expiredTexts,
      unreachableInFront,
      likelyHoldersAnswering,
    };
    if (newest === undefined)
      return {
        ...common,
        expected: corruptHolder
          ? 'malformed'
          : likelyHoldersAnswering < ABSENCE_QUORUM
            ? 'timeout'
            : 'not-found',
        texts: [],
      };
    if (c.garbage) return { ...common, expected: 'malformed', texts: [] };
    const held = newest;
    const version = c.versions.find(
      (v) => v.value.seq === held.seq && sameBytes(v.value.signature, held.signature),
    );
    const inVersion = new Set(version?.texts ?? []);
    const texts = c.queued
      .filter((q) => inVersion.has(q.text) && q.expiry >= BigInt(nowSeconds))
      .sort((a, b) =>
        a.seq !== b.seq
          ? a.seq < b.seq
            ? -1
            : 1
          : a.timestamp < b.timestamp
            ? -1
            : a.timestamp > b.timestamp
              ? 1
              : 0,
      )
      .map((q) => q.text);
    return { ...common, expected: texts.length > 0 ? 'delivered' : 'empty', texts };
  };
  const unreachableNow = (): Set<number> => {
    const out = new Set(unreachable);
    swarm.nodes.forEach((n, i) => {
      if (n.stopped) out.add(i);
    });
    return out;
  };

  const byKey = new Map(contacts.map((c) => [toHex(c.key), c.index]));
  const spans = new Map<number, { start: number; end: number }>();
  const timedReader: DhtGetter & { spans: Map<number, { start: number; end: number }> } = {
    spans,
    get: async (key, options) => {
      const i = byKey.get(toHex(key)) ?? -1;
      const start = clock.now();
      try {
        return await reader.get(key, options);
      } finally {
        spans.set(i, { start, end: clock.now() });
      }
    },
  };

  return {
    mode: spec.mode,
    clock,
    swarm,
    transport,
    plan,
    trace,
    rng,
    recipient,
    reader,
    contacts,
    verify,
    nowSeconds,
    unreachable,
    truth,
    unreachableNow,
    timedReader,
    retrieve: (options = {}) =>
      retrieveOfflineMessages(
        contacts.map((c) => ({ fingerprint: c.fingerprint, owner: c.publicKey })),
        { recipient, dht: timedReader, nowSeconds, clock, verify, ...options },
      ),
    cache: () => new EmptyOutboxCache({ clock }),
    close: () => swarm.close(),
  };
}

/**
 * A `mayTimeOut` for worlds with packet loss: an absent outbox (oracle 'not-found') may come back
 * as a timeout with reason 'holders-unreachable' when the lookup lost its RPCs to enough of the
 * likely holders (≥ 5 of 8): the client then rightly refuses to conclude absence, and the oracle,
 * which knows reachability but not which packets were dropped, cannot predict it.
 */
export function lossMayHideHolders(report: OfflineReport): (i: number, truth: ContactTruth) => boolean {
  return (i, t) => t.expected === 'not-found' && report.contacts[i]?.reason === 'holders-unreachable';
}

/** Texts of a contact result's messages, in the order delivered. */
export function resultTexts(r: ContactResult): string[] {
  return r.messages.map((m) => textOf(m.ciphertext));
}

/**
 * The guarantees every DHT scenario checks against the oracle:
 * - one result per contact, none dropped;
 * - delivered messages are exactly the unexpired ones of the newest reachable version, once
 *   each, in (seq, timestamp) order; nothing expired, nothing invented;
 * - when the lookup completed (no timeout), the status is the one the oracle predicts; an
 *   outbox whose likely holders did not answer must be a timeout (never 'not-found').
 * `mayTimeOut(i)` says which contacts may legitimately time out besides those. With `views`
 * (nodes that left or joined during the read), a result must match the oracle under at least
 * one of them (the lookup saw the swarm somewhere between before and after).
 */
export function checkAgainstOracle(
  world: DhtWorld,
  report: OfflineReport,
  mayTimeOut: (i: number, truth: ContactTruth) => boolean,
  views: readonly OracleView[] = [{}],
): { oneEach: string | undefined; exactlyOnce: string | undefined; status: string | undefined } {
  let oneEach: string | undefined;
  if (report.contacts.length !== world.contacts.length)
    oneEach = `${report.contacts.length} results for ${world.contacts.length} contacts`;
  report.contacts.forEach((r, i) => {
    if (oneEach === undefined && r.sender !== world.contacts[i]!.fingerprint)
      oneEach = `result ${i} is for another sender`;
  });
  let exactlyOnce: string | undefined;
  let status: string | undefined;
  for (const [i, r] of report.contacts.entries()) {
    const ts = views.map((v) => world.truth(i, v));
    const t = ts[0]!;
    const got = resultTexts(r);
    const expired = got.filter((x) => t.expiredTexts.includes(x));
    if (exactlyOnce === undefined) {
      if (expired.length > 0)
        exactlyOnce = `contact ${i}: expired message(s) delivered: ${expired.join(',')}`;
      else if (new Set(got).size !== got.length)
        exactlyOnce = `contact ${i}: duplicate message(s): ${got.join(',')}`;
      else if (r.status === 'delivered' && !ts.some((x) => got.join('|') === x.texts.join('|')))
        exactlyOnce = `contact ${i}: delivered [${got.join(',')}], expected [${ts.map((x) => x.texts.join(',')).join('] or [')}] (newest reachable seq ${t.newestSeq})`;
    }
    if (status === undefined) {
      const expected = [...new Set(ts.map((x) => x.expected))];
      const ok =
        expected.includes(r.status as ContactTruth['expected']) ||
        (r.status === 'timeout' && ts.some((x) => mayTimeOut(i, x)));
      if (!ok)
        status =
          r.status === 'timeout'
            ? `contact ${i}: timeout (${r.reason}) but nothing in its way (${t.unreachableInFront} unreachable in front, ${t.likelyHoldersAnswering}/${K} likely holders reachable), expected ${expected.join(' or ')}`
            : `contact ${i}: ${r.status}${r.reason ? ` (${r.reason})` : ''}, expected ${expected.join(' or ')} (${t.likelyHoldersAnswering}/${K} likely holders reachable)`;
    }
  }
  return { oneEach, exactlyOnce, status };
}
