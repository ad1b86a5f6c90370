/**
 * What every DHT scenario shares: option fields, the workload draws (messages, TTLs), building
 * the parties in the run's world, one traced retrieval (fan-out events to the board and the
 * trace, the client's decisions as an 'outcome' event, the sequential twin's one-at-a-time
 * variant), and the oracle's three common checks.
 */
import { z } from 'zod';
import type { OfflineReport, OfflineRetrieval, OfflineRetrieveOptions } from '@fanout/dht';
import type { Rng } from '@fanout/sim';
import type { RunContext } from '../kernel/define.js';
import type { Interval } from '../kernel/plan-view.js';
import type { QueuedSpec } from './contacts.js';
import type { DhtOracle } from './oracle.js';
import { checkAgainstOracle, outcomeFields, type MayTimeOut } from './oracle.js';
import { buildDhtWorld, type DhtParties, type DhtWorldSpec, type RetrieveFn } from './world.js';

/** A run context with the options erased (what the helpers need). */
export type Ctx = RunContext<Record<string, unknown>, string>;

/** Test seams of the DHT scenarios; the defaults are the production behaviour. */
export interface DhtScenarioSeams {
  /** The retrieval client of every world (default retrieveOfflineMessages). */
  readonly retrieve?: RetrieveFn;
}

/** Option field: swarm size (node 0 is the reader). */
export const nodesOption = (def: number) =>
  z.number().int().min(10).max(2000).default(def).describe('DHT nodes in the swarm (node 0 reads)');

/** Option field: contacts the recipient retrieves from. */
export const contactsOption = (def: number) =>
  z.number().int().min(1).max(1000).default(def).describe('contacts whose outboxes are read');

/** TTLs a sender picks, s: 60 s expires before the read (600 s later), the others do not. */
export const TTLS = [60, 3600, 86_400, 604_800] as const;

/** `n` messages with seqs 1..n (shuffled when asked) and TTLs drawn from {@link TTLS}. */
export function drawMessages(rng: Rng, n: number, shuffle = false): QueuedSpec[] {
  const seqs = Array.from({ length: n }, (_, i) => BigInt(i + 1));
  return (shuffle ? rng.shuffle(seqs) : seqs).map((seq) => ({ seq, ttlSeconds: rng.pick(TTLS) }));
}

/** `count` distinct node indexes in 1..n−1 (never the reader, node 0). */
export function pickNodes(rng: Rng, n: number, count: number): number[] {
  return rng.shuffle(Array.from({ length: n - 1 }, (_, i) => i + 1)).slice(0, count);
}

/** Build the DHT parties in the run's world (the seam's client, if any), with a 'publish' phase. */
export function build(ctx: Ctx, seams: DhtScenarioSeams, spec: DhtWorldSpec): Promise<DhtParties> {
  ctx.phase(`publish (${spec.contacts.length} contacts, ${spec.nodes} nodes, ${spec.publish})`);
  return buildDhtWorld(ctx.world, {
    ...spec,
    ...(seams.retrieve !== undefined && { retrieve: seams.retrieve }),
  });
}

/** Board labels of the contacts: `c0`, `c1`, … */
export function contactLabels(parties: DhtParties): string[] {
  return parties.contacts.map((c) => `c${c.index}`);
}

/**
 * Start one retrieval traced as fan-out `command`: its events go to the board and the trace; in
 * the sequential twin it reads one contact at a time without a deadline.
 */
export function startRead(
  ctx: Ctx,
  parties: DhtParties,
  options: Partial<OfflineRetrieveOptions> = {},
  command = 'retrieve',
): OfflineRetrieval {
  ctx.phase(ctx.sequential ? `${command} (one contact at a time)` : command);
  return parties.retrieve({
    ...options,
    ...(ctx.sequential && { concurrency: 1, deadlineMs: Infinity, earlyCompletion: 1 }),
    onEvent: ctx.fanOutEvents(command, contactLabels(parties)),
  });
}

/**
 * Record a finished retrieval: the client's decisions as an 'outcome' event, its decision time
 * as the run's latency, and its counts as facts.
 */
export function recordRead(ctx: Ctx, report: OfflineReport, command = 'retrieve'): void {
  ctx.outcome(command, outcomeFields(report));
  ctx.latency(report.elapsedMs);
  for (const [k, v] of Object.entries(report.counts)) ctx.fact(k, v);
  ctx.fact('messages', report.messages.length);
  ctx.fact('lookups', report.lookups);
}

/** The plan-time interval of a read that started at `fromMs` and has just ended. */
export function readInterval(ctx: Ctx, fromMs: number): Interval {
  return { fromMs, toMs: ctx.world.elapsed() + 1 };
}

/**
 * The three oracle guarantees ('one-result-per-contact', 'unexpired-delivered-exactly-once',
 * 'status-matches-oracle'), for the guarantees a scenario declares among them.
 */
export function oracleChecks(
  ctx: Ctx,
  oracle: DhtOracle,
  parties: DhtParties,
  report: OfflineReport,
  mayTimeOut?: MayTimeOut,
): ReturnType<typeof checkAgainstOracle> {
  const o = checkAgainstOracle(oracle, parties.contacts, report, mayTimeOut);
  const uncertain =
    o.uncertainContacts > 0
      ? `; ${o.uncertainContacts} contact(s) with more than one outcome accepted (plan uncertain: windows, loss, churn)`
      : '';
  ctx.check('one-result-per-contact', o.oneEach === undefined, o.oneEach);
  ctx.check(
    'unexpired-delivered-exactly-once',
    o.exactlyOnce === undefined,
    o.exactlyOnce ?? `${report.messages.length} messages${uncertain}`,
  );
  ctx.check(
    'status-matches-oracle',
    o.status === undefined,
    o.status ?? `counts ${JSON.stringify(report.counts)}${uncertain}`,
  );
  return o;
}
