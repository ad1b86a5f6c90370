/**
 * DHT offline-queue scenarios (shared/reference/dht.md; issue "DHT offline-message retrieval"):
 * no message lost or duplicated, no head-of-line blocking, ordering, churn/partition, coalescing.
 * Each draws its faults (loss, latencies, node behaviours, crashes) into the plan from the plan
 * stream, its contacts' messages from the workload stream, builds the swarm in the kernel's
 * World, runs @fanout/dht's retrieveOfflineMessages from the reader node and checks its
 * guarantees against the oracle, which reads the effective plan (oracle.ts).
 */
import { z } from 'zod';
import type { OfflineReport } from '@fanout/dht';
import { defineScenario, type Scenario } from '../kernel/define.js';
import type { ContactSpec } from './contacts.js';
import { churnPartitionOf } from './churn.js';
import { noHolOf } from './no-hol.js';
import { DhtOracle, checkAgainstOracle, outcomeFields, resultTexts, type ContactTruth } from './oracle.js';
import { behaviourRules, type NodeBehaviour } from './plan.js';
import {
  build,
  contactsOption,
  contactLabels,
  drawMessages,
  nodesOption,
  oracleChecks,
  pickNodes,
  readInterval,
  recordRead,
  startRead,
  type DhtScenarioSeams,
} from './scenario-kit.js';

const noLossOf = (seams: DhtScenarioSeams): Scenario =>
  defineScenario({
    name: 'dht.no-loss',
    title:
      'every unexpired message in a reachable outbox is delivered exactly once; expired ones never (loss, stale and dropping nodes)',
    options: z.object({
      nodes: nodesOption(100),
      contacts: contactsOption(30),
      loss: z
        .number()
        .min(0)
        .max(1)
        .default(0.03)
        .describe('chance that a request, and separately its reply, is lost'),
      publish: z
        .enum(['network', 'direct'])
        .default('network')
        .describe('network: queueToOutbox through the DHT; direct: stored into the 8 closest nodes'),
    }),
    liveDefaults: { nodes: 50, contacts: 20, loss: 0.02, publish: 'direct' },
    guarantees: [
      'one-result-per-contact',
      'unexpired-delivered-exactly-once',
      'status-matches-oracle',
    ] as const,
    defaultRuns: { sim: 10, live: 2 },
    plan({ rng, mode, options: o }) {
      const faulty = new Map<number, NodeBehaviour>(
        pickNodes(rng, o.nodes, 3).map((n, j) => [n, j < 2 ? 'stale' : 'drop']),
      );
      return {
        description: `loss ${o.loss} each way; ${[...faulty].map(([n, b]) => `dht-${n} ${b}`).join(', ')}`,
        latency: {
          default:
            mode === 'live'
              ? { kind: 'uniform', minMs: 0, maxMs: 4 }
              : { kind: 'uniform', minMs: 20, maxMs: 80 },
        },
        rules: [
          ...behaviourRules(faulty),
          ...(o.loss > 0
            ? [
                { fault: 'dropRequest' as const, probability: o.loss },
                { fault: 'dropReply' as const, probability: o.loss },
              ]
            : []),
        ],
      };
    },
    async run(ctx) {
      const o = ctx.options;
      const contacts: ContactSpec[] = Array.from({ length: o.contacts }, () => ({
        messages: drawMessages(ctx.rng, ctx.rng.int(0, 4)),
      }));
      const parties = await build(ctx, seams, { nodes: o.nodes, contacts, publish: o.publish });
      const from = ctx.world.elapsed();
      const report = await startRead(ctx, parties);
      recordRead(ctx, report);
      if (ctx.sequential) return;
      const oracle = new DhtOracle(ctx.world, parties, { at: readInterval(ctx, from) });
      oracleChecks(ctx, oracle, parties, report);
      ctx.fact('queueFailures', parties.published.queueFailures);
    },
  });

/** Whether (seq, timestamp) of the delivered messages never decreases. */
function inOutboxOrder(r: OfflineReport['contacts'][number]): boolean {
  const keys = r.messages.map((m) => [m.seq, m.timestamp] as const);
  return keys.every(
    (k, j) => j === 0 || keys[j - 1]![0] < k[0] || (keys[j - 1]![0] === k[0] && keys[j - 1]![1] <= k[1]),
  );
}

/** The ordering checks: first contact out of order, first contact not on an accepted newest version. */
function orderingViolations(
  oracle: DhtOracle,
  report: OfflineReport,
): { order: string | undefined; newest: string | undefined } {
  let order: string | undefined;
  let newest: string | undefined;
  for (const [i, r] of report.contacts.entries()) {
    const ts = oracle.outcomes(i);
    const got = resultTexts(r).join('|');
    const note = oracle.uncertainty(i) === undefined ? '' : `; ${oracle.uncertainty(i)}`;
    if (order === undefined && (!inOutboxOrder(r) || !ts.some((t) => t.texts.join('|') === got)))
      order = `contact ${i}: got [${resultTexts(r).join(',')}], expected [${ts.map((t) => t.texts.join(',')).join('] or [')}]${note}`;
    const sameSeq = (t: ContactTruth): boolean =>
      (r.status !== 'delivered' && r.status !== 'empty') || r.outboxSeq === t.newestSeq;
    if (newest === undefined && !ts.some((t) => t.expected === r.status && sameSeq(t)))
      newest = `contact ${i}: ${r.status} with outbox seq ${r.outboxSeq}, expected ${ts.map((t) => `${t.expected} (newest reachable seq ${t.newestSeq})`).join(' or ')}${note}`;
  }
  return { order, newest };
}

const orderingOf = (seams: DhtScenarioSeams): Scenario =>
  defineScenario({
    name: 'dht.ordering',
    title:
      'messages per contact in (seq, timestamp) order and the newest outbox version, whatever the arrival order (stale holders, reordered and duplicated replies)',
    options: z.object({ nodes: nodesOption(80), contacts: contactsOption(20) }),
    liveDefaults: { nodes: 50, contacts: 8 },
    guarantees: ['per-contact-order', 'newest-version-chosen', 'one-result-per-contact'] as const,
    defaultRuns: { sim: 10, live: 2 },
    plan({ rng, mode, options: o }) {
      const live = mode === 'live';
      const stale = new Map(pickNodes(rng, o.nodes, 4).map((n) => [n, 'stale' as const]));
      const dup = pickNodes(rng, o.nodes, Math.floor(o.nodes / 4)).map((n) => `dht-${n}`);
      return {
        description: `stale ${[...stale.keys()].join(',')}; ${dup.length} nodes duplicate replies; replies reordered`,
        latency: {
          default: live
            ? { kind: 'uniform', minMs: 0, maxMs: 4 }
            : { kind: 'uniform', minMs: 10, maxMs: 120 },
        },
        rules: [
          ...behaviourRules(stale),
          { fault: 'reorder', maxExtraMs: live ? 20 : 300 },
          { fault: 'duplicateReply', targets: dup, copies: 2, gapMs: 3 },
        ],
      };
    },
    async run(ctx) {
      const o = ctx.options;
      const contacts: ContactSpec[] = Array.from({ length: o.contacts }, () => {
        // Seqs out of queue order (several devices), and now and then one seq queued twice.
        const messages = drawMessages(ctx.rng, ctx.rng.int(2, 6), true).map((m) => ({
          ...m,
          ttlSeconds: 604_800,
        }));
        if (ctx.rng.bool(0.3)) messages.push({ ...ctx.rng.pick(messages) });
        return { messages };
      });
      const parties = await build(ctx, seams, { nodes: o.nodes, contacts, publish: 'network' });
      const from = ctx.world.elapsed();
      const report = await startRead(ctx, parties);
      recordRead(ctx, report);
      if (ctx.sequential) return;
      const oracle = new DhtOracle(ctx.world, parties, { at: readInterval(ctx, from) });
      const { order, newest } = orderingViolations(oracle, report);
      const o2 = checkAgainstOracle(oracle, parties.contacts, report);
      ctx.check('per-contact-order', order === undefined, order);
      ctx.check('newest-version-chosen', newest === undefined, newest);
      ctx.check('one-result-per-contact', o2.oneEach === undefined, o2.oneEach);
      ctx.fact(
        'stale',
        oracle.readings.filter((_, n) => ctx.world.view.behaves(`dht-${n}`, 'stale') !== 'never').length,
      );
    },
  });

/** A report as one comparable string: status, reason, outbox seq and texts per contact. */
function reportView(r: OfflineReport): string {
  return outcomeFields(r).contacts.join('|');
}

const coalescingOf = (seams: DhtScenarioSeams): Scenario =>
  defineScenario({
    name: 'dht.coalescing',
    title: 'two overlapping retrievals for the same recipient yield the same result with one set of lookups',
    options: z.object({ nodes: nodesOption(80), contacts: contactsOption(30) }),
    liveDefaults: { nodes: 50, contacts: 16 },
    guarantees: ['same-result', 'one-set-of-lookups', 'status-matches-oracle'] as const,
    defaultRuns: { sim: 10, live: 2 },
    // Overlapping retrievals one contact at a time would not overlap the same way: no baseline.
    baseline: false,
    plan: ({ mode }) => ({
      latency: {
        default:
          mode === 'live'
            ? { kind: 'uniform', minMs: 2, maxMs: 6 }
            : { kind: 'uniform', minMs: 30, maxMs: 90 },
      },
    }),
    async run(ctx) {
      const o = ctx.options;
      const contacts: ContactSpec[] = Array.from({ length: o.contacts }, () => ({
        messages: drawMessages(ctx.rng, ctx.rng.int(0, 3)),
      }));
      const offset = ctx.mode === 'live' ? 0 : ctx.rng.int(0, 25);
      const parties = await build(ctx, seams, { nodes: o.nodes, contacts, publish: 'direct' });
      const from = ctx.world.elapsed();
      const rpcs0 = parties.reader.stats.rpcsSent;
      ctx.phase('two overlapping retrievals');
      const labels = contactLabels(parties);
      const first = parties.retrieve({ onEvent: ctx.fanOutEvents('retrieve-1', labels) });
      if (offset > 0) await ctx.world.clock.sleep(offset, ctx.signal);
      const second = parties.retrieve({ onEvent: ctx.fanOutEvents('retrieve-2', labels) });
      const [a, b] = await Promise.all([first.result, second.result]);
      recordRead(ctx, a, 'retrieve-1');
      ctx.outcome('retrieve-2', outcomeFields(b));
      const rpcs = parties.reader.stats.rpcsSent - rpcs0;
      const n = parties.contacts.length;
      const oracle = new DhtOracle(ctx.world, parties, { at: readInterval(ctx, from) });
      const v = checkAgainstOracle(oracle, parties.contacts, a);
      ctx.check(
        'same-result',
        reportView(a) === reportView(b),
        reportView(a) === reportView(b) ? undefined : `first ${reportView(a)}\nsecond ${reportView(b)}`,
      );
      ctx.check(
        'one-set-of-lookups',
        a.lookups + b.lookups === n && b.joined === n && parties.timedReader.spans.size === n,
        `gets started: ${a.lookups} + ${b.lookups} for ${n} contacts, joined ${b.joined}; reader RPCs ${rpcs}`,
      );
      ctx.check(
        'status-matches-oracle',
        v.status === undefined && v.exactlyOnce === undefined,
        v.status ?? v.exactlyOnce,
      );
      ctx.fact('offsetMs', offset);
      ctx.fact('readerRpcs', rpcs);
    },
  });

/**
 * The five DHT scenarios, in `fanout list` order, built with the given test seams (none: the
 * production scenarios, {@link dhtScenarios}).
 */
export function createDhtScenarios(seams: DhtScenarioSeams = {}): Scenario[] {
  return [noLossOf(seams), noHolOf(seams), orderingOf(seams), churnPartitionOf(seams), coalescingOf(seams)];
}

/** The production DHT scenarios. */
export const dhtScenarios: readonly Scenario[] = createDhtScenarios();
