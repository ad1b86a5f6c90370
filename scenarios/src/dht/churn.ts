/**
 * dht.churn-partition: churn, partitions, crashes and corrupt holders — what can be retrieved is
 * retrieved; the rest is reported per contact (timeout / not-found / malformed).
 *
 * Everything done wrong on purpose is in the plan: the 8 holders of one contact serve corrupt
 * copies (behave 'corrupt'), the 8 holders of another are partitioned off, 2 nodes crash and 5 %
 * are gone after publishing (crash at 0), and 5 % crash at random instants in the first
 * `churnMs` of the read (the read starts at plan time `readAtMs`). Nodes joining during the read
 * (5 %, bootstrapping from the reader) are workload, drawn from the run's stream. The oracle
 * accepts, per contact, every outcome the plan leaves open (a node crashing during the read
 * answered or not; a joiner was seen or not).
 */
import { z } from 'zod';
import { dhtTarget, type Swarm } from '@fanout/sim-dht';
import { createRng, type FaultPlanInput } from '@fanout/sim';
import { defineScenario, type Scenario } from '../kernel/define.js';
import type { Mode } from '../kernel/types.js';
import type { World } from '../kernel/world.js';
import { K, type ContactSpec } from './contacts.js';
import { NODE_IDS_STREAM, closestIndexes, contactKey, drawNodeIds } from './ids.js';
import { ABSENCE_QUORUM, DhtOracle, type ContactTruth } from './oracle.js';
import { RoutingSnapshot } from './discovery.js';
import { behaviourRules } from './plan.js';
import type { DhtParties } from './world.js';
import {
  build,
  contactsOption,
  drawMessages,
  nodesOption,
  oracleChecks,
  pickNodes,
  readInterval,
  recordRead,
  startRead,
  type Ctx,
  type DhtScenarioSeams,
} from './scenario-kit.js';

/** What a contact of dht.churn-partition queued. */
export type ChurnContactKind = 'garbage' | 'expired' | 'never' | 'normal';

/**
 * The contact layout of dht.churn-partition (by index, fixed so a plan can aim at normal
 * contacts): contact 0 publishes garbage, the next ⌈10 %⌉ only expired messages, the next ⌈10 %⌉
 * never queued, the rest 1–4 messages.
 */
export function churnKinds(n: number): ChurnContactKind[] {
  const e = Math.ceil(n * 0.1);
  return Array.from({ length: n }, (_, i) =>
    i === 0 ? 'garbage' : i <= e ? 'expired' : i <= 2 * e ? 'never' : 'normal',
  );
}

const options = z.object({
  nodes: nodesOption(100),
  contacts: contactsOption(30),
  churnMs: z
    .number()
    .positive()
    .max(60_000)
    .default(800)
    .describe('nodes leave and join at random instants in the first churnMs of the read, ms'),
  readAtMs: z
    .number()
    .min(0)
    .max(60_000)
    .default(0)
    .describe('plan time at which the read starts, ms (the mid-read crashes are planned after it)'),
});

type Options = z.output<typeof options>;

/** The plan: victims' holders corrupt or cut off, crashes at 0 and during the read. */
function churnPlan(seed: number, mode: Mode, rng: Ctx['rng'], o: Options): FaultPlanInput {
  const ids = drawNodeIds(createRng(seed).fork(NODE_IDS_STREAM), o.nodes);
  const normal = churnKinds(o.contacts).flatMap((k, i) => (k === 'normal' ? [i] : []));
  const [corruptVictim, cutVictim] = rng.shuffle(normal);
  const holdersOf = (i: number | undefined): number[] =>
    i === undefined ? [] : closestIndexes(ids, contactKey(i), K, [0]);
  const corrupt = holdersOf(corruptVictim);
  const cut = holdersOf(cutVictim).filter((x) => !corrupt.includes(x));
  const others = pickNodes(rng, o.nodes, o.nodes).filter((x) => !corrupt.includes(x) && !cut.includes(x));
  const crashed = others.slice(0, 2);
  const gone = others.slice(2, 2 + Math.floor(o.nodes * 0.05));
  const leavers = others.slice(2 + gone.length, 2 + gone.length + Math.ceil(o.nodes * 0.05));
  const rules: NonNullable<FaultPlanInput['rules']> = [
    ...behaviourRules(new Map(corrupt.map((n) => [n, 'corrupt' as const]))),
    ...(cut.length > 0 ? [{ fault: 'partition' as const, group: 'cut' }] : []),
    { fault: 'crash', targets: [...crashed, ...gone].map(dhtTarget), atMs: 0 },
    ...leavers.map((n) => ({
      fault: 'crash' as const,
      targets: [dhtTarget(n)],
      atMs: o.readAtMs + rng.int(1, Math.max(1, Math.floor(o.churnMs))),
    })),
  ];
  return {
    description:
      `corrupt holders of contact ${corruptVictim} (${corrupt.length}), cut-off holders of contact ${cutVictim} (${cut.length}), ` +
      `${crashed.length} crashed and ${gone.length} gone at 0, ${leavers.length} leaving during the read`,
    groups: { cut: cut.map(dhtTarget) },
    latency: {
      default:
        mode === 'live' ? { kind: 'uniform', minMs: 0, maxMs: 4 } : { kind: 'normal', meanMs: 40, sdMs: 10 },
    },
    rules,
  };
}

/**
 * Nodes join the swarm at `instants` (ms after now, on the world's clock): each spawns a fresh
 * node that bootstraps from the first live node (the reader). Resolves with the joiners' indexes
 * once every join finished bootstrapping.
 */
export async function driveJoins(world: World, swarm: Swarm, instants: readonly number[]): Promise<number[]> {
  const t0 = world.clock.now();
  const joins: Promise<number>[] = [];
  for (const at of [...instants].sort((a, b) => a - b)) {
    const wait = t0 + at - world.clock.now();
    if (wait > 0) await world.clock.sleep(wait);
    joins.push(swarm.join().then((n) => swarm.indexOf(n)));
  }
  return Promise.all(joins);
}

/** The contacts of one run: kinds by {@link churnKinds}, messages drawn from the workload stream. */
function churnContacts(ctx: Ctx, n: number): ContactSpec[] {
  return churnKinds(n).map((k) =>
    k === 'garbage'
      ? { messages: [], garbage: true }
      : k === 'never'
        ? { messages: [] }
        : k === 'expired'
          ? { messages: drawMessages(ctx.rng, ctx.rng.int(1, 3)).map((m) => ({ ...m, ttlSeconds: 60 })) }
          : { messages: drawMessages(ctx.rng, ctx.rng.int(1, 4)) },
  );
}

/** dht.churn-partition (see the module docstring). */
export const churnPartitionOf = (seams: DhtScenarioSeams): Scenario =>
  defineScenario({
    name: 'dht.churn-partition',
    title:
      'churn (nodes gone before and leaving/joining during the retrieval), partitions, crashes, corrupt holders: what can be retrieved is retrieved; the rest is reported per contact (timeout / not-found / malformed)',
    options,
    liveDefaults: { nodes: 50, contacts: 16, churnMs: 300, readAtMs: 1000 },
    guarantees: [
      'one-result-per-contact',
      'unexpired-delivered-exactly-once',
      'status-matches-oracle',
      'holders-gone-not-reported-absent',
    ] as const,
    defaultRuns: { sim: 10, live: 2 },
    plan: ({ seed, mode, rng, options: o }) => churnPlan(seed, mode, rng, o),
    async run(ctx) {
      const o = ctx.options;
      const live = ctx.mode === 'live';
      const contacts = churnContacts(ctx, o.contacts);
      const joinAt = Array.from({ length: Math.ceil(o.nodes * 0.05) }, () => ctx.rng.int(0, o.churnMs));
      const parties = await build(ctx, seams, {
        nodes: o.nodes,
        contacts,
        publish: 'direct',
        rpcTimeoutMs: live ? 400 : 1000,
      });
      await ctx.world.sleepUntil(o.readAtMs, ctx.signal);
      const from = ctx.world.elapsed();
      // The routing tables as the read's lookups start (for the timeout allowance below).
      const tables = ctx.sequential ? undefined : RoutingSnapshot.of(parties.swarm);
      // A lookup pays one RPC timeout per silent node on its path (up to ~20 here): in virtual
      // time the query timeout leaves room for all of them, so a timeout is only right where the
      // oracle says.
      const run = startRead(
        ctx,
        parties,
        live ? { queryTimeoutMs: 3000 } : { queryTimeoutMs: 30_000, deadlineMs: 60_000 },
      );
      const [report, joined] = await Promise.all([run.result, driveJoins(ctx.world, parties.swarm, joinAt)]);
      const at = readInterval(ctx, from);
      recordRead(ctx, report);
      if (ctx.sequential) return;
      const oracle = new DhtOracle(ctx.world, parties, { at, joined });
      // A timeout is also right when fewer than ⌈K/2⌉ of the K nodes closest to the key answer,
      // or when K or more silent nodes lie in front of the reachable holders: the holders left may
      // be unknown to every node the lookup asks (k-buckets keep 8 contacts each, filled with the
      // closest nodes, now silent; nodes joining during the read answer without a copy). Found
      // by the churn property at scenario seed 222724219 (10 silent in front, 4/8 answering).
      // Live: a lookup past more than 2 silent nodes may also run out of time.
      // And when no copy the reader can find exists: no node that answers and holds one can be
      // learned of from the routing tables at the read's start (discovery.ts). Found by `fanout
      // run --until-failure --seed 11` at scenario seed 2026076365: 6/8 likely holders answering
      // and only 4 silent nodes in front, but every node in reach lists only silent nodes near
      // the key.
      const findable = copiesFindable(ctx, parties, tables!, oracle);
      const mayTimeOut = (i: number, t: ContactTruth): boolean =>
        t.likelyHoldersAnswering < ABSENCE_QUORUM ||
        t.unreachableInFront >= K ||
        (live && t.unreachableInFront > 2) ||
        findable(i) === 0;
      oracleChecks(ctx, oracle, parties, report, mayTimeOut);
      // Contacts with every likely holder out of reach in every accepted outcome queued messages
      // or not: they must come back as a timeout (retry later), never as not-found / empty
      // (which would be cached as an empty outbox for 10 minutes).
      const gone = report.contacts.filter((_r, i) =>
        oracle.outcomes(i).every((t) => t.expected === 'timeout'),
      );
      const absent = gone.filter((r) => r.status !== 'timeout');
      ctx.check(
        'holders-gone-not-reported-absent',
        absent.length === 0,
        absent.length > 0
          ? absent.map((r) => `contact ${r.index}: ${r.status}`).join('; ')
          : `${gone.length} contact(s) with every likely holder out of reach, all timeout`,
      );
      // Contacts whose lookup may meet a node the plan leaves open (crashing during the read, joined).
      const touched = parties.contacts.filter((c) => oracle.uncertainty(c.index) !== undefined).length;
      churnFacts(ctx, oracle, { at, joined, gone: gone.length, touched });
      ctx.fact('rejectedValues', report.rejectedValues);
    },
  });

/**
 * Per contact, how many copies of its outbox the reader can find: its own (if it holds an
 * unexpired one) plus those of the nodes that answer for sure during the read, hold an unexpired
 * copy and can be learned of by the reader's lookup ({@link RoutingSnapshot.reachable} from node
 * 0). Nodes the plan may silence count as silent, so the allowance covers every way the plan may
 * go. Memoized; computed only when asked (a timeout the oracle did not expect).
 */
function copiesFindable(
  ctx: Ctx,
  parties: DhtParties,
  tables: RoutingSnapshot,
  oracle: DhtOracle,
): (i: number) => number {
  const memo = new Map<number, number>();
  const now = ctx.world.clock.now();
  const nodes = parties.swarm.nodes;
  const answers = (n: number): boolean => oracle.readings[n]?.reach === 'answers';
  const holds = (n: number, key: Uint8Array): boolean => {
    const e = nodes[n]!.storage.entry(key, 1n);
    return e !== undefined && now < e.expiresAt;
  };
  return (i) => {
    let found = memo.get(i);
    if (found === undefined) {
      const key = parties.contacts[i]!.key;
      const reach = tables.reachable(0, key, answers);
      found = (holds(0, key) ? 1 : 0) + [...reach].filter((n) => answers(n) && holds(n, key)).length;
      memo.set(i, found);
    }
    return found;
  };
}

/** Facts of a churn run, read from the plan and the read. */
function churnFacts(
  ctx: Ctx,
  oracle: DhtOracle,
  r: { at: { fromMs: number; toMs: number }; joined: readonly number[]; gone: number; touched: number },
): void {
  const crashes = ctx.world.plan.rules.flatMap((x) => (x.fault === 'crash' ? [x] : []));
  ctx.fact('corrupt', oracle.readings.filter((x) => x.corrupt === 'always').length);
  ctx.fact('silent', oracle.readings.filter((x) => x.reach === 'silent').length);
  ctx.fact(
    'leftDuring',
    crashes
      .filter((c) => c.atMs > r.at.fromMs && c.atMs < r.at.toMs)
      .reduce((n, c) => n + (c.targets?.length ?? 0), 0),
  );
  ctx.fact('joinedDuring', r.joined.length);
  ctx.fact('holdersGone', r.gone);
  ctx.fact('churnTouched', r.touched);
}
