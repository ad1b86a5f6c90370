/**
 * DHT offline-queue scenarios (shared/reference/dht.md; issue "DHT offline-message retrieval"):
 * no message lost or duplicated, no head-of-line blocking, ordering, churn/partition, coalescing.
 * Each derives its world from the seed, runs @fanout/dht's retrieveOfflineMessages from a reader
 * node of the swarm, and checks its guarantees against the world's oracle (ground truth).
 */
import { type OfflineReport } from '@fanout/dht';
import { dhtTarget, type NodeFault } from '@fanout/sim-dht';
import { createRng, type FaultPlanInput, type Rng } from '@fanout/sim';
import {
  check,
  type GuaranteeCheck,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from '../framework.js';
import {
  ABSENCE_QUORUM,
  K,
  buildDhtWorld,
  checkAgainstOracle,
  type ContactTruth,
  closestIndexes,
  lossMayHideHolders,
  plannedContactKey,
  plannedNodeIds,
  resultTexts,
  type ContactSpec,
  type DhtWorld,
  type DhtWorldSpec,
  type QueuedSpec,
} from './world.js';

function num(options: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = options[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** TTLs a sender picks: 60 s expires before the read (600 s later), the others do not. */
const TTLS = [60, 3600, 86_400, 604_800] as const;

/** `n` messages with seqs 1..n (shuffled when asked) and random TTLs. */
function drawMessages(rng: Rng, n: number, shuffle = false): QueuedSpec[] {
  const seqs = Array.from({ length: n }, (_, i) => BigInt(i + 1));
  return (shuffle ? rng.shuffle(seqs) : seqs).map((seq) => ({ seq, ttlSeconds: rng.pick(TTLS) }));
}

/** Distinct node indexes in 1..n-1 (never the reader, node 0). */
function pickNodes(rng: Rng, n: number, count: number): number[] {
  return rng.shuffle(Array.from({ length: n - 1 }, (_, i) => i + 1)).slice(0, count);
}

function summary(report: OfflineReport): Record<string, number> {
  return { ...report.counts, messages: report.messages.length, lookups: report.lookups };
}

function oracleChecks(
  world: DhtWorld,
  report: OfflineReport,
  mayTimeOut: Parameters<typeof checkAgainstOracle>[2],
  views?: Parameters<typeof checkAgainstOracle>[3],
): GuaranteeCheck[] {
  const o = checkAgainstOracle(world, report, mayTimeOut, views);
  return [
    check('one-result-per-contact', o.oneEach === undefined, o.oneEach),
    check('unexpired-delivered-exactly-once', o.exactlyOnce === undefined, o.exactlyOnce),
    check(
      'status-matches-oracle',
      o.status === undefined,
      o.status ?? `counts ${JSON.stringify(report.counts)}`,
    ),
  ];
}

function result(
  world: DhtWorld,
  report: OfflineReport,
  guarantees: GuaranteeCheck[],
  extra: { sequentialMs?: number; facts?: Record<string, string | number> } = {},
): ScenarioResult {
  return {
    guarantees,
    latencyMs: report.elapsedMs,
    ...(extra.sequentialMs !== undefined && { sequentialMs: extra.sequentialMs }),
    traceHash: world.mode === 'sim' ? world.trace.hash() : undefined,
    plan: world.plan,
    facts: { ...summary(report), ...extra.facts },
  };
}

async function withWorld<T>(spec: DhtWorldSpec, f: (world: DhtWorld) => Promise<T>): Promise<T> {
  const world = await buildDhtWorld(spec);
  try {
    return await f(world);
  } finally {
    await world.close();
  }
}

const phase = (ctx: ScenarioContext, name: string): void => ctx.onEvent?.({ type: 'phase', name });

// ---------------------------------------------------------------------------------------------

export const dhtNoLoss: Scenario = {
  name: 'dht.no-loss',
  defaultRuns: { sim: 10, live: 2 },
  title:
    'every unexpired message in a reachable outbox is delivered exactly once; expired ones never (loss, stale and dropping nodes)',
  guarantees: ['one-result-per-contact', 'unexpired-delivered-exactly-once', 'status-matches-oracle'],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const live = ctx.mode === 'live';
    const rng = createRng(ctx.seed).fork('scenario');
    const nodes = num(ctx.options, 'nodes', live ? 50 : 100);
    const contacts: ContactSpec[] = Array.from(
      { length: num(ctx.options, 'contacts', live ? 20 : 30) },
      () => ({
        messages: drawMessages(rng, rng.int(0, 4)),
      }),
    );
    const faults = new Map<number, NodeFault>(
      pickNodes(rng, nodes, 3).map((i, j) => [i, j < 2 ? 'stale' : 'drop']),
    );
    const loss = live ? 0.02 : 0.03;
    const spec: DhtWorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      nodes,
      contacts,
      publish: live ? 'direct' : 'network',
      latency: live ? { kind: 'uniform', minMs: 0, maxMs: 4 } : { kind: 'uniform', minMs: 20, maxMs: 80 },
      rules: [
        { fault: 'dropRequest', probability: loss },
        { fault: 'dropReply', probability: loss },
      ],
      nodeFaults: faults,
      ...(ctx.plan !== undefined && { plan: ctx.plan }),
    };
    return withWorld(spec, async (world) => {
      phase(ctx, 'retrieve (parallel)');
      const report = await world.retrieve();
      let sequentialMs: number | undefined;
      if (!live) {
        phase(ctx, 'retrieve (one contact at a time)');
        sequentialMs = (await world.retrieve({ concurrency: 1, deadlineMs: Infinity })).elapsedMs;
      }
      return result(world, report, oracleChecks(world, report, lossMayHideHolders(report)), {
        ...(sequentialMs !== undefined && { sequentialMs }),
        facts: { stale: 2, dropping: 1 },
      });
    });
  },
};

// ---------------------------------------------------------------------------------------------

/**
 * The no-head-of-line-blocking bound. With concurrency c, `s` contacts that may be slow (any
 * duration) and the others ("fast") each taking at most F ms, contacts admitted in list order
 * into free slots (fanOut's FIFO pool): the fast contact of rank r (1-based, in contact order
 * among the fast ones) has its result by ⌈r / (c − s)⌉ × F after the start, whatever the slow
 * ones do, provided s < c. Proof: while it waits, all c slots are busy and at most s hold slow
 * contacts, so at each instant 0, F, 2F, … before it starts, ≥ c − s earlier fast contacts are
 * running, all distinct (each ends within F); so it starts by ⌊(r − 1)/(c − s)⌋ × F and ends F
 * later. With c ≥ the number of contacts: every fast result by F.
 */
export function holBound(rank: number, concurrency: number, slow: number, fastMaxMs: number): number {
  if (slow >= concurrency) return Infinity;
  return Math.ceil(rank / (concurrency - slow)) * fastMaxMs;
}

export const dhtNoHol: Scenario = {
  name: 'dht.no-hol',
  defaultRuns: { sim: 10, live: 2 },
  title:
    'contacts whose lookups take 6 s do not delay the progressive results of fast contacts (bound ⌈r/(c−s)⌉·F)',
  guarantees: [
    'slow-contacts-delivered',
    'fast-results-not-delayed',
    'hol-bound',
    'unexpired-delivered-exactly-once',
  ],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const live = ctx.mode === 'live';
    const rng = createRng(ctx.seed).fork('scenario');
    const slowMs = num(ctx.options, 'slowMs', live ? 1000 : 6000);
    const concurrency = num(ctx.options, 'concurrency', 50);
    const nodes = num(ctx.options, 'nodes', live ? 50 : 100);
    const n = num(ctx.options, 'contacts', live ? 20 : 40);
    const contacts: ContactSpec[] = Array.from({ length: n }, () => ({
      messages: drawMessages(rng, rng.int(1, 2)).map((m) => ({ ...m, ttlSeconds: 86_400 })),
    }));
    const slowContacts = rng
      .shuffle(Array.from({ length: n }, (_, i) => i))
      .slice(0, live ? 1 : rng.int(1, Math.max(1, Math.min(2, concurrency - 1))));
    // The holders of the slow contacts' outboxes answer after slowMs; the node RPC timeout lets them.
    const ids = plannedNodeIds(ctx.seed, nodes);
    const slowNodes = new Set<number>();
    for (const i of slowContacts)
      for (const h of closestIndexes(ids, plannedContactKey(ctx.seed, i), K, [0])) slowNodes.add(h);
    const latencyOf: Record<number, { kind: 'constant'; ms: number }> = {};
    for (const i of slowNodes) latencyOf[i] = { kind: 'constant', ms: slowMs };
    const spec: DhtWorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      nodes,
      contacts,
      publish: 'direct',
      latency: live ? { kind: 'constant', ms: 2 } : { kind: 'constant', ms: 60 },
      latencyOf,
      rpcTimeoutMs: slowMs + (live ? 1500 : 2000),
      ...(ctx.plan !== undefined && { plan: ctx.plan }),
    };
    return withWorld(spec, async (world) => {
      const t0 = world.clock.now();
      const yielded = new Map<number, number>();
      const run = world.retrieve({ concurrency, queryTimeoutMs: slowMs * 3, deadlineMs: slowMs * 5 });
      for await (const r of run) yielded.set(r.index, world.clock.now() - t0);
      const report = await run;
      // "Fast" = contacts whose lookup never has to wait for a slow node (none in front of its key).
      const inFrontSlow = (i: number): boolean => {
        const key = world.contacts[i]!.key;
        const t = world.swarm.closestLive(key, K + 1).filter((x) => x !== world.reader);
        const farthest = t[Math.min(K, t.length) - 1]!;
        return world.swarm.nodes.some(
          (x) => slowNodes.has(world.swarm.indexOf(x)) && compare(key, x.id, farthest.id) <= 0,
        );
      };
      const fast = world.contacts.map((c) => c.index).filter((i) => !inFrontSlow(i));
      const slow = world.contacts.length - fast.length;
      const fastMax = Math.max(0, ...fast.map((i) => report.contacts[i]!.durationMs));
      const tol = live ? 50 : 0;
      // With every contact in flight at once (c ≥ n), no fast result may come after slowMs.
      const late = concurrency >= n ? fast.filter((i) => (yielded.get(i) ?? Infinity) >= slowMs) : [];
      const atOwnEnd = fast.filter((i) => {
        const span = world.timedReader.spans.get(i);
        return span === undefined || Math.abs(report.contacts[i]!.settledAt - span.end) > tol;
      });
      const overBound = fast.flatMap((i, r) => {
        const bound = holBound(r + 1, concurrency, slow, fastMax);
        const at = report.contacts[i]!.settledAt - t0;
        return at > bound + tol
          ? [`contact ${i} (rank ${r + 1}) at ${at.toFixed(1)} ms > bound ${bound.toFixed(1)} ms`]
          : [];
      });
      const slowResults = slowContacts.map((i) => report.contacts[i]!);
      const o = checkAgainstOracle(world, report, () => false);
      return result(
        world,
        report,
        [
          check(
            'slow-contacts-delivered',
            slowResults.every((r) => r.status === 'delivered' && r.durationMs >= slowMs),
            slowResults
              .map((r) => `contact ${r.index}: ${r.status} after ${r.durationMs.toFixed(0)} ms`)
              .join('; '),
          ),
          check(
            'fast-results-not-delayed',
            fast.length > 0 && late.length === 0 && atOwnEnd.length === 0,
            `${fast.length} fast contacts, ${late.length} yielded after ${slowMs} ms, ${atOwnEnd.length} not at their own get's end; first fast result at ${Math.min(...fast.map((i) => yielded.get(i) ?? Infinity)).toFixed(1)} ms`,
          ),
          check(
            'hol-bound',
            overBound.length === 0,
            overBound.length > 0
              ? overBound.slice(0, 3).join('; ')
              : `c=${concurrency}, s=${slow}, F=${fastMax.toFixed(1)} ms`,
          ),
          check(
            'unexpired-delivered-exactly-once',
            o.exactlyOnce === undefined && o.status === undefined,
            o.exactlyOnce ?? o.status,
          ),
        ],
        {
          facts: {
            slowContacts: slowContacts.length,
            slowNodes: slowNodes.size,
            fast: fast.length,
            concurrency,
          },
        },
      );
    });
  },
};

function compare(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------

export const dhtOrdering: Scenario = {
  name: 'dht.ordering',
  defaultRuns: { sim: 10, live: 2 },
  title:
    'messages per contact in (seq, timestamp) order and the newest outbox version, whatever the arrival order (stale holders, reordered and duplicated replies)',
  guarantees: ['per-contact-order', 'newest-version-chosen', 'one-result-per-contact'],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const live = ctx.mode === 'live';
    const rng = createRng(ctx.seed).fork('scenario');
    const nodes = num(ctx.options, 'nodes', live ? 50 : 80);
    const contacts: ContactSpec[] = Array.from(
      { length: num(ctx.options, 'contacts', live ? 8 : 20) },
      () => {
        // Seqs out of queue order (several devices), and now and then one seq queued twice.
        const messages = drawMessages(rng, rng.int(2, 6), true).map((m) => ({ ...m, ttlSeconds: 604_800 }));
        if (rng.bool(0.3)) messages.push({ ...rng.pick(messages) });
        return { messages };
      },
    );
    const faults = new Map<number, NodeFault>(pickNodes(rng, nodes, 4).map((i) => [i, 'stale' as const]));
    const dup = pickNodes(rng, nodes, Math.floor(nodes / 4)).map(dhtTarget);
    const spec: DhtWorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      nodes,
      contacts,
      publish: 'network',
      latency: live ? { kind: 'uniform', minMs: 0, maxMs: 4 } : { kind: 'uniform', minMs: 10, maxMs: 120 },
      rules: [
        { fault: 'reorder', maxExtraMs: live ? 20 : 300 },
        { fault: 'duplicateReply', targets: dup, copies: 2, gapMs: 3 },
      ],
      nodeFaults: faults,
      ...(ctx.plan !== undefined && { plan: ctx.plan }),
    };
    return withWorld(spec, async (world) => {
      const report = await world.retrieve();
      let order: string | undefined;
      let newest: string | undefined;
      for (const [i, r] of report.contacts.entries()) {
        const t = world.truth(i);
        const keys = r.messages.map((m) => [m.seq, m.timestamp] as const);
        const sorted = keys.every(
          (k, j) =>
            j === 0 || keys[j - 1]![0] < k[0] || (keys[j - 1]![0] === k[0] && keys[j - 1]![1] <= k[1]),
        );
        if (order === undefined && (!sorted || resultTexts(r).join('|') !== t.texts.join('|')))
          order = `contact ${i}: got [${resultTexts(r).join(',')}], expected [${t.texts.join(',')}]`;
        if (
          newest === undefined &&
          (r.status === 'delivered' || r.status === 'empty') &&
          r.outboxSeq !== t.newestSeq
        )
          newest = `contact ${i}: read outbox seq ${r.outboxSeq}, newest reachable is ${t.newestSeq}`;
        if (newest === undefined && r.status !== t.expected)
          newest = `contact ${i}: ${r.status}, expected ${t.expected}`;
      }
      const o = checkAgainstOracle(world, report, () => false);
      return result(
        world,
        report,
        [
          check('per-contact-order', order === undefined, order),
          check('newest-version-chosen', newest === undefined, newest),
          check('one-result-per-contact', o.oneEach === undefined, o.oneEach),
        ],
        { facts: { stale: faults.size, duplicating: dup.length } },
      );
    });
  },
};

// ---------------------------------------------------------------------------------------------

/** One churn event during a retrieval: a node leaves, or a new node joins, `atMs` after the start. */
export type ChurnEvent = { readonly atMs: number } & (
  { readonly kind: 'leave'; readonly node: number } | { readonly kind: 'join' }
);

/**
 * Run `events` on the world's clock while a retrieval is in flight (virtual time in sim, wall
 * time in live): each leave stops a node (requests to it are dropped from then on), each join
 * spawns a fresh node that bootstraps from node 0 (the reader). Resolves when every event ran
 * and every join finished bootstrapping, with the indexes that left and joined.
 */
export async function driveChurn(
  world: DhtWorld,
  events: readonly ChurnEvent[],
): Promise<{ left: number[]; joined: number[] }> {
  const t0 = world.clock.now();
  const left: number[] = [];
  const joins: Promise<number>[] = [];
  for (const e of [...events].sort((a, b) => a.atMs - b.atMs)) {
    const wait = t0 + e.atMs - world.clock.now();
    if (wait > 0) await world.clock.sleep(wait);
    if (e.kind === 'leave') {
      world.swarm.leave(e.node);
      left.push(e.node);
    } else joins.push(world.swarm.join().then((n) => world.swarm.indexOf(n)));
  }
  return { left, joined: await Promise.all(joins) };
}

export const dhtChurnPartition: Scenario = {
  name: 'dht.churn-partition',
  defaultRuns: { sim: 10, live: 2 },
  title:
    'churn (nodes leaving before and leaving/joining during the retrieval), partitions, crashes, corrupt holders: what can be retrieved is retrieved; the rest is reported per contact (timeout / not-found / malformed)',
  guarantees: [
    'one-result-per-contact',
    'unexpired-delivered-exactly-once',
    'status-matches-oracle',
    'holders-gone-not-reported-absent',
  ],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const live = ctx.mode === 'live';
    const rng = createRng(ctx.seed).fork('scenario');
    const nodes = num(ctx.options, 'nodes', live ? 50 : 100);
    const n = num(ctx.options, 'contacts', live ? 16 : 30);
    // Contact kinds: most queued messages; some only expired ones; some never queued; one garbage outbox.
    const kinds = rng.shuffle(
      Array.from({ length: n }, (_, i) =>
        i === 0
          ? 'garbage'
          : i < 1 + Math.ceil(n * 0.1)
            ? 'expired'
            : i < 1 + Math.ceil(n * 0.2)
              ? 'never'
              : 'normal',
      ),
    );
    const contacts: ContactSpec[] = kinds.map((k) =>
      k === 'garbage'
        ? { messages: [], garbage: true }
        : k === 'never'
          ? { messages: [] }
          : k === 'expired'
            ? { messages: drawMessages(rng, rng.int(1, 3)).map((m) => ({ ...m, ttlSeconds: 60 })) }
            : { messages: drawMessages(rng, rng.int(1, 4)) },
    );
    // Victims: one contact whose holders are all corrupt, one whose holders are all cut off.
    const ids = plannedNodeIds(ctx.seed, nodes);
    const normal = kinds.flatMap((k, i) => (k === 'normal' ? [i] : []));
    const [corruptVictim, cutVictim] = rng.shuffle(normal);
    const holdersOf = (i: number | undefined): number[] =>
      i === undefined ? [] : closestIndexes(ids, plannedContactKey(ctx.seed, i), K, [0]);
    const corruptNodes = holdersOf(corruptVictim);
    const cut = holdersOf(cutVictim).filter((x) => !corruptNodes.includes(x));
    const others = pickNodes(rng, nodes, nodes).filter((x) => !corruptNodes.includes(x) && !cut.includes(x));
    const crashed = others.slice(0, 2);
    const leaving = others.slice(2, 2 + Math.floor(nodes * 0.05));
    // Churn during the retrieval: 5 % of the nodes leave and 5 % new ones join at random
    // instants within the first `churnMs` (while the lookups run).
    const churnMs = num(ctx.options, 'churnMs', live ? 300 : 800);
    const midLeavers = others.slice(2 + leaving.length, 2 + leaving.length + Math.ceil(nodes * 0.05));
    const events: ChurnEvent[] = [
      ...midLeavers.map((node) => ({ kind: 'leave' as const, node, atMs: rng.int(0, churnMs) })),
      ...Array.from({ length: Math.ceil(nodes * 0.05) }, () => ({
        kind: 'join' as const,
        atMs: rng.int(0, churnMs),
      })),
    ];
    const rules: NonNullable<FaultPlanInput['rules']> = [
      ...(cut.length > 0 ? [{ fault: 'partition' as const, group: 'cut' }] : []),
      { fault: 'crash', targets: crashed.map(dhtTarget), atMs: 0 },
    ];
    const spec: DhtWorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      nodes,
      contacts,
      publish: 'direct',
      latency: live ? { kind: 'uniform', minMs: 0, maxMs: 4 } : { kind: 'normal', meanMs: 40, sdMs: 10 },
      groups: { cut: cut.map(dhtTarget) },
      rules,
      nodeFaults: new Map(corruptNodes.map((i) => [i, 'corrupt' as const])),
      leaveAfterPublish: leaving,
      rpcTimeoutMs: live ? 400 : 1000,
      ...(ctx.plan !== undefined && { plan: ctx.plan }),
    };
    return withWorld(spec, async (world) => {
      // A lookup pays one RPC timeout (1 s sim / 400 ms live) per unreachable node it meets on
      // its path, and there are up to ~20 here: in virtual time the query timeout leaves room for
      // all of them, so every lookup completes and a timeout is only right where the oracle says.
      const run = world.retrieve(
        live ? { queryTimeoutMs: 3000 } : { queryTimeoutMs: 30_000, deadlineMs: 60_000 },
      );
      const [report, churn] = await Promise.all([run.result, driveChurn(world, events)]);
      // The lookups saw the swarm somewhere between before and after the churn: a result must
      // match the oracle with the mid-run leavers reachable or not, the joiners present or not.
      const before = world.unreachable;
      const after = new Set([...before, ...churn.left]);
      const joined = new Set(churn.joined);
      const views = [
        { unreachable: before, exclude: joined },
        { unreachable: after, exclude: joined },
        { unreachable: before },
        { unreachable: after },
      ];
      // A timeout is also right when fewer than ABSENCE_QUORUM of the K nodes closest to the key
      // are reachable: the reachable holders left may be unknown to every node the lookup asks
      // (k-buckets keep 8 contacts each), so the value may not be found, and absence cannot be
      // concluded. Live: a lookup past more than 2 unreachable nodes may also run out of time.
      const mayTimeOut = (_i: number, t: ContactTruth): boolean =>
        t.likelyHoldersAnswering < ABSENCE_QUORUM || (live && t.unreachableInFront > 2);
      // Contacts whose likely holders are all out of reach in every view (the cut-off contact,
      // unless the reader itself holds its outbox): they queued messages, so they must come back
      // as a timeout (retry later), never as not-found / empty (cached as empty for 10 minutes).
      const holdersGone = report.contacts.filter((_r, i) =>
        views.every((v) => world.truth(i, v).expected === 'timeout'),
      );
      const reportedAbsent = holdersGone.filter((r) => r.status !== 'timeout');
      // Contacts whose oracle differs between the views: the mid-run churn touched their holders.
      const churnTouched = report.contacts.filter((_r, i) => {
        const ts = views.map((v) => world.truth(i, v));
        return ts.some(
          (t) => t.expected !== ts[0]!.expected || t.likelyHoldersAnswering !== ts[0]!.likelyHoldersAnswering,
        );
      }).length;
      return result(
        world,
        report,
        [
          ...oracleChecks(world, report, mayTimeOut, views),
          // The contact whose holders are cut off queued messages: it must come back as a timeout
          // (retry later) or malformed (a corrupt holder still in reach), never as not-found or
          // empty (which would be cached as an empty outbox for 10 minutes).
          check(
            'holders-gone-not-reported-absent',
            reportedAbsent.length === 0,
            reportedAbsent.length > 0
              ? reportedAbsent.map((r) => `contact ${r.index}: ${r.status}`).join('; ')
              : `${holdersGone.length} contact(s) with every likely holder out of reach, all timeout`,
          ),
        ],
        {
          facts: {
            corrupt: corruptNodes.length,
            cut: cut.length,
            crashed: crashed.length,
            left: leaving.length,
            leftDuring: churn.left.length,
            joinedDuring: churn.joined.length,
            rejectedValues: report.rejectedValues,
            holdersGone: holdersGone.length,
            churnTouched,
          },
        },
      );
    });
  },
};

// ---------------------------------------------------------------------------------------------

export const dhtCoalescing: Scenario = {
  name: 'dht.coalescing',
  defaultRuns: { sim: 10, live: 2 },
  title: 'two overlapping retrievals for the same recipient yield the same result with one set of lookups',
  guarantees: ['same-result', 'one-set-of-lookups', 'status-matches-oracle'],
  modes: ['sim', 'live'],
  defaults: {},
  async run(ctx) {
    const live = ctx.mode === 'live';
    const rng = createRng(ctx.seed).fork('scenario');
    const nodes = num(ctx.options, 'nodes', live ? 50 : 80);
    const contacts: ContactSpec[] = Array.from(
      { length: num(ctx.options, 'contacts', live ? 16 : 30) },
      () => ({
        messages: drawMessages(rng, rng.int(0, 3)),
      }),
    );
    const offset = live ? 0 : rng.int(0, 25);
    const spec: DhtWorldSpec = {
      seed: ctx.seed,
      mode: ctx.mode,
      nodes,
      contacts,
      publish: 'direct',
      latency: live ? { kind: 'uniform', minMs: 2, maxMs: 6 } : { kind: 'uniform', minMs: 30, maxMs: 90 },
      ...(ctx.plan !== undefined && { plan: ctx.plan }),
    };
    return withWorld(spec, async (world) => {
      const rpcs0 = world.reader.stats.rpcsSent;
      const first = world.retrieve();
      if (offset > 0) await world.clock.sleep(offset);
      const second = world.retrieve();
      const [a, b] = await Promise.all([first.result, second.result]);
      const rpcs = world.reader.stats.rpcsSent - rpcs0;
      const view = (r: OfflineReport): string =>
        r.contacts
          .map((c) => `${c.status}:${c.reason ?? ''}:${c.outboxSeq ?? ''}:${resultTexts(c).join(',')}`)
          .join('|');
      const nContacts = world.contacts.length;
      const o = checkAgainstOracle(world, a, () => false);
      return result(
        world,
        a,
        [
          check(
            'same-result',
            view(a) === view(b),
            view(a) === view(b) ? undefined : `first ${view(a)}\nsecond ${view(b)}`,
          ),
          check(
            'one-set-of-lookups',
            a.lookups + b.lookups === nContacts &&
              b.joined === nContacts &&
              world.timedReader.spans.size === nContacts,
            `gets started: ${a.lookups} + ${b.lookups} for ${nContacts} contacts, joined ${b.joined}; reader RPCs ${rpcs}`,
          ),
          check(
            'status-matches-oracle',
            o.status === undefined && o.exactlyOnce === undefined,
            o.status ?? o.exactlyOnce,
          ),
        ],
        { facts: { offsetMs: offset, readerRpcs: rpcs } },
      );
    });
  },
};

export const dhtScenarios: readonly Scenario[] = [
  dhtNoLoss,
  dhtNoHol,
  dhtOrdering,
  dhtChurnPartition,
  dhtCoalescing,
];
