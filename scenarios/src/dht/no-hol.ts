/**
 * dht.no-hol: contacts whose outbox holders answer after seconds do not delay the progressive
 * results of the fast contacts. The plan makes the K closest nodes of 1–2 contacts slow
 * (per-target latency); the oracle classifies slow nodes from the effective plan's reply delay
 * bounds, never from the seed.
 */
import { z } from 'zod';
import { compareDistance, dhtTarget } from '@fanout/sim-dht';
import { createRng } from '@fanout/sim';
import { defineScenario, type Scenario } from '../kernel/define.js';
import { K } from './contacts.js';
import { NODE_IDS_STREAM, closestIndexes, contactKey, drawNodeIds } from './ids.js';
import { DhtOracle, checkAgainstOracle } from './oracle.js';
import {
  build,
  contactsOption,
  drawMessages,
  nodesOption,
  readInterval,
  recordRead,
  startRead,
  type Ctx,
  type DhtScenarioSeams,
} from './scenario-kit.js';
import type { DhtParties } from './world.js';

/**
 * The no-head-of-line-blocking bound. With concurrency c, `s` contacts that may be slow (any
 * duration) and the others ("fast") each taking at most F ms, contacts admitted in list order
 * into free slots (fanOut's FIFO pool): the fast contact of rank r (1-based, in contact order
 * among the fast ones) has its result by ⌈r / (c − s)⌉ × F after the start, whatever the slow
 * ones do, provided s < c. Proof: while it waits, all c slots are busy and at most s hold slow
 * contacts, so at each instant 0, F, 2F, … before it starts, ≥ c − s earlier fast contacts are
 * running, all distinct (each ends within F); so it starts by ⌊(r − 1)/(c − s)⌋ × F and ends F
 * later. With c ≥ the number of contacts: every fast result by F.
 * @returns the bound, ms; Infinity when s ≥ c (no bound claimed).
 */
export function holBound(rank: number, concurrency: number, slow: number, fastMaxMs: number): number {
  if (slow >= concurrency) return Infinity;
  return Math.ceil(rank / (concurrency - slow)) * fastMaxMs;
}

const options = z.object({
  slowMs: z
    .number()
    .positive()
    .max(600_000)
    .default(6000)
    .describe('reply latency of the slow contacts’ outbox holders, ms'),
  concurrency: z.number().int().min(1).max(10_000).default(50).describe('contacts queried at once'),
  nodes: nodesOption(100),
  contacts: contactsOption(40),
});

/**
 * Which nodes the plan makes slow during `at`: answering nodes whose fastest reply comes no
 * sooner than `slowMs` and than the slowest reply of every other node (PlanView.replyDelayBounds).
 * @returns node index → the lower bound of its reply delay, ms.
 */
export function slowNodesOf(ctx: Ctx, oracle: DhtOracle, slowMs: number): Map<number, number> {
  const bounds = oracle.readings.map((_, n) =>
    ctx.world.view.replyDelayBounds(dhtTarget(n), { fromMs: 0, toMs: Infinity }),
  );
  const fastMax = Math.max(0, ...bounds.filter(([lo]) => lo < slowMs).map(([, hi]) => hi));
  const slow = new Map<number, number>();
  bounds.forEach(([lo], n) => {
    if (lo >= slowMs && lo > fastMax && oracle.readings[n]!.reach === 'answers') slow.set(n, lo);
  });
  return slow;
}

/** Slow nodes at or closer than the K-th closest live node (the reader aside) to contact i's key. */
function slowInFront(parties: DhtParties, slow: ReadonlyMap<number, number>, i: number): number[] {
  const { swarm, reader } = parties;
  const key = parties.contacts[i]!.key;
  const near = swarm.closestLive(key, K + 1).filter((x) => x !== reader);
  const farthest = near[Math.min(K, near.length) - 1];
  if (farthest === undefined) return [];
  return [...slow.keys()].filter((n) => compareDistance(key, swarm.node(n).id, farthest.id) <= 0);
}

/** 'slow-contacts-delivered': each contact behind a slow holder gets what the oracle accepts, not before its slow holders answer. */
function checkSlowContacts(
  ctx: Ctx,
  oracle: DhtOracle,
  report: Awaited<ReturnType<DhtParties['retrieve']>>,
  s: {
    readonly slowContacts: readonly number[];
    readonly inFront: readonly (readonly number[])[];
    readonly slowNodes: ReadonlyMap<number, number>;
    readonly tol: number;
  },
): void {
  const bad = s.slowContacts.flatMap((i) => {
    const r = report.contacts[i]!;
    const want = new Set<string>(oracle.outcomes(i).map((t) => t.expected));
    const lo = Math.min(...s.inFront[i]!.map((n) => s.slowNodes.get(n)!));
    return want.has(r.status) && (r.status !== 'delivered' || r.durationMs >= lo - s.tol)
      ? []
      : [`contact ${i}: ${r.status} after ${r.durationMs.toFixed(0)} ms (holders at ≥ ${lo} ms)`];
  });
  const all = s.slowContacts
    .map(
      (i) =>
        `contact ${i}: ${report.contacts[i]!.status} after ${report.contacts[i]!.durationMs.toFixed(0)} ms`,
    )
    .join('; ');
  ctx.check(
    'slow-contacts-delivered',
    bad.length === 0,
    bad.length > 0 ? bad.join('; ') : all || 'no contact is slow under the plan',
  );
}

/** The checks of one parallel read (see the scenario's guarantees). */
function checkNoHol(
  ctx: Ctx,
  parties: DhtParties,
  report: Awaited<ReturnType<DhtParties['retrieve']>>,
  yielded: ReadonlyMap<number, number>,
  read: { readonly at: { fromMs: number; toMs: number }; readonly t0: number },
  o: z.output<typeof options>,
): void {
  const { at, t0 } = read;
  const oracle = new DhtOracle(ctx.world, parties, { at });
  const slowNodes = slowNodesOf(ctx, oracle, o.slowMs);
  const inFront = parties.contacts.map((c) => slowInFront(parties, slowNodes, c.index));
  const fast = parties.contacts.map((c) => c.index).filter((i) => inFront[i]!.length === 0);
  const slowContacts = parties.contacts.map((c) => c.index).filter((i) => inFront[i]!.length > 0);
  const floor = slowNodes.size > 0 ? Math.min(...slowNodes.values()) : o.slowMs;
  const fastMax = Math.max(0, ...fast.map((i) => report.contacts[i]!.durationMs));
  const tol = ctx.mode === 'live' ? 50 : 0;
  // With every contact in flight at once (c ≥ n), no fast result may come after the slow floor.
  const late =
    o.concurrency >= parties.contacts.length ? fast.filter((i) => (yielded.get(i) ?? Infinity) >= floor) : [];
  const atOwnEnd = fast.filter((i) => {
    const span = parties.timedReader.spans.get(i);
    return span === undefined || Math.abs(report.contacts[i]!.settledAt - span.end) > tol;
  });
  const overBound = fast.flatMap((i, r) => {
    const bound = holBound(r + 1, o.concurrency, slowContacts.length, fastMax);
    const t = report.contacts[i]!.settledAt - t0;
    return t > bound + tol
      ? [`contact ${i} (rank ${r + 1}) at ${t.toFixed(1)} ms > bound ${bound.toFixed(1)} ms`]
      : [];
  });
  const verdict = checkAgainstOracle(oracle, parties.contacts, report);
  checkSlowContacts(ctx, oracle, report, { slowContacts, inFront, slowNodes, tol });
  const first = Math.min(...fast.map((i) => yielded.get(i) ?? Infinity));
  ctx.check(
    'fast-results-not-delayed',
    fast.length > 0 && late.length === 0 && atOwnEnd.length === 0,
    `${fast.length} fast contacts, ${late.length} yielded after ${floor} ms, ${atOwnEnd.length} not at their own get's end; first fast result at ${first.toFixed(1)} ms`,
  );
  ctx.check(
    'hol-bound',
    overBound.length === 0,
    overBound.length > 0
      ? overBound.slice(0, 3).join('; ')
      : `c=${o.concurrency}, s=${slowContacts.length}, F=${fastMax.toFixed(1)} ms`,
  );
  ctx.check(
    'unexpired-delivered-exactly-once',
    verdict.exactlyOnce === undefined && verdict.status === undefined,
    verdict.exactlyOnce ?? verdict.status,
  );
  ctx.fact('slowContacts', slowContacts.length);
  ctx.fact('slowNodes', slowNodes.size);
  ctx.fact('fast', fast.length);
}

/** dht.no-hol (see the module docstring). */
export const noHolOf = (seams: DhtScenarioSeams): Scenario =>
  defineScenario({
    name: 'dht.no-hol',
    title:
      'contacts whose lookups take 6 s do not delay the progressive results of fast contacts (bound ⌈r/(c−s)⌉·F)',
    options,
    liveDefaults: { slowMs: 1000, nodes: 50, contacts: 20 },
    guarantees: [
      'slow-contacts-delivered',
      'fast-results-not-delayed',
      'hol-bound',
      'unexpired-delivered-exactly-once',
    ] as const,
    defaultRuns: { sim: 10, live: 2 },
    plan({ rng, mode, seed, options: o }) {
      const live = mode === 'live';
      const count = live ? 1 : rng.int(1, Math.max(1, Math.min(2, o.concurrency - 1)));
      const slowContacts = rng.shuffle(Array.from({ length: o.contacts }, (_, i) => i)).slice(0, count);
      const ids = drawNodeIds(createRng(seed).fork(NODE_IDS_STREAM), o.nodes);
      const slow = new Set(slowContacts.flatMap((i) => closestIndexes(ids, contactKey(i), K, [0])));
      const fastMs = live ? 2 : 60;
      return {
        description: `holders of contact(s) ${slowContacts.join(',')} (nodes ${[...slow].join(',')}) answer after ${o.slowMs} ms, the rest after ${fastMs} ms`,
        latency: {
          default: { kind: 'constant', ms: fastMs },
          perTarget: Object.fromEntries(
            [...slow].map((n) => [dhtTarget(n), { kind: 'constant' as const, ms: o.slowMs }]),
          ),
        },
      };
    },
    async run(ctx) {
      const o = ctx.options;
      const live = ctx.mode === 'live';
      const contacts = Array.from({ length: o.contacts }, () => ({
        messages: drawMessages(ctx.rng, ctx.rng.int(1, 2)).map((m) => ({ ...m, ttlSeconds: 86_400 })),
      }));
      // The slow holders answer after slowMs; the nodes' RPC timeout lets them.
      const parties = await build(ctx, seams, {
        nodes: o.nodes,
        contacts,
        publish: 'direct',
        rpcTimeoutMs: o.slowMs + (live ? 1500 : 2000),
      });
      const from = ctx.world.elapsed();
      const t0 = ctx.world.clock.now();
      const yielded = new Map<number, number>();
      const run = startRead(ctx, parties, {
        concurrency: o.concurrency,
        queryTimeoutMs: o.slowMs * 3,
        deadlineMs: o.slowMs * 5,
      });
      for await (const r of run) yielded.set(r.index, ctx.world.clock.now() - t0);
      const report = await run;
      recordRead(ctx, report);
      if (ctx.sequential) return;
      checkNoHol(ctx, parties, report, yielded, { at: readInterval(ctx, from), t0 }, o);
    },
  });
