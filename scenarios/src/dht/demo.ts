/**
 * `fanout dht demo` — DNA Messenger offline-message retrieval on a simulated OpenDHT swarm
 * (shared/reference/dht.md): contacts queue messages in their outboxes to one recipient (signed
 * puts, value id 1, rising seq), then the recipient runs @fanout/dht's retrieveOfflineMessages
 * over every contact at once; the CLI's board shows each contact as it settles, then the totals
 * are printed.
 *
 * sim: one process, virtual time (deterministic per seed), the swarm on the kernel World's
 * SimNetwork. live: every DHT node a real UDP socket on 127.0.0.1 (ephemeral ports), wall time.
 * Each lookup takes at least `lookupMs` (an injected floor standing for a real DHT's get time; the
 * swarm's own round trips are inside it); one contact (the "slow" one) takes `slowMs`. About 15 %
 * of the contacts never queued (not-found), 10 % only queued messages that have expired by the
 * read (empty), one published a value that does not decode (malformed). Exit code 0 when every
 * contact's result matches the oracle, 1 otherwise.
 */
import { z } from 'zod';
import type { DhtGetter, OfflineReport } from '@fanout/dht';
import { parseFaultPlan, type Rng } from '@fanout/sim';
import type { CommandIO, Demo } from '../kernel/system.js';
import { World, simEdge, type WorldInit } from '../kernel/world.js';
import type { ContactSpec, QueuedSpec } from './contacts.js';
import { DhtOracle, checkAgainstOracle } from './oracle.js';
import { TTLS } from './scenario-kit.js';
import { buildDhtWorld, type DhtParties } from './world.js';

const options = z.object({
  contacts: z.number().int().min(1).max(1000).default(100).describe('contacts to retrieve from'),
  mode: z
    .enum(['sim', 'live'])
    .default('sim')
    .describe('sim: in-process, virtual time; live: real UDP on 127.0.0.1'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(0xffff_ffff)
    .default(1)
    .describe('seed of the world (ids, contacts, latency draws)'),
  nodes: z.number().int().min(20).max(500).default(100).describe('DHT nodes in the swarm'),
  lookupMs: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(300)
    .describe('time every DHT lookup takes at least, ms'),
  slowMs: z
    .number()
    .int()
    .min(0)
    .max(120_000)
    .default(6000)
    .describe('lookup time of one slow contact, ms (0: none); 1500 in live'),
  concurrency: z
    .union([z.enum(['none', 'Infinity']), z.coerce.number().int().min(1).max(10_000)])
    .default(50)
    .describe('contacts queried at once (integer, or "none" for no limit)'),
  earlyFraction: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe('finish once this fraction of the contacts answered, in (0, 1]'),
});

/** Options of the DHT demo (after parsing). */
export type DhtDemoOptions = z.output<typeof options>;

/** What each demo contact queued. */
type Kind = 'messages' | 'never-queued' | 'all-expired' | 'garbage';

/**
 * The demo's contacts: ~15 % never queued, ~10 % only messages that expire before the read (TTL
 * 60 s, read 600 s later), one garbage outbox (with ≥ 10 contacts), the rest 1–4 messages with
 * mixed TTLs (some expired).
 */
function drawContacts(rng: Rng, n: number): { specs: ContactSpec[]; kinds: Kind[] } {
  const kinds: Kind[] = [];
  const specs: ContactSpec[] = [];
  const garbageAt = n >= 10 ? rng.int(0, n - 1) : -1;
  for (let i = 0; i < n; i++) {
    const roll = rng.int(0, 99);
    const kind: Kind =
      i === garbageAt ? 'garbage' : roll < 15 ? 'never-queued' : roll < 25 ? 'all-expired' : 'messages';
    kinds.push(kind);
    if (kind === 'garbage') specs.push({ messages: [], garbage: true });
    else if (kind === 'never-queued') specs.push({ messages: [] });
    else {
      const messages: QueuedSpec[] = Array.from({ length: rng.int(1, 4) }, (_, m) => ({
        seq: BigInt(m + 1),
        ttlSeconds: kind === 'all-expired' ? 60 : rng.pick(TTLS),
      }));
      specs.push({ messages });
    }
  }
  return { specs, kinds };
}

/** The reader with a floor under every get: `floorOf(key)` ms on the world's clock. */
function flooredReader(world: World, parties: DhtParties, floorOf: (key: Uint8Array) => number): DhtGetter {
  return {
    get: async (key, o) => {
      const [found] = await Promise.all([
        parties.timedReader.get(key, o),
        world.clock.sleep(floorOf(key), o.signal),
      ]);
      return found;
    },
  };
}

/** The totals, as the old demo printed them. */
function printTotals(io: CommandIO, report: OfflineReport, live: boolean, wall0: number): void {
  const unit = live ? 'ms' : 'virtual ms';
  const c = report.counts;
  const sequential = report.contacts.reduce((s, r) => s + r.durationMs, 0);
  const speedup = report.elapsedMs > 0 ? sequential / report.elapsedMs : NaN;
  const expired = report.contacts.reduce((s, r) => s + r.expired, 0);
  io.log(`\nTotals (${live ? 'real UDP on 127.0.0.1, wall time' : 'virtual time'})`);
  io.log(
    `  contacts   ${c.delivered} delivered, ${c.empty} empty, ${c['not-found']} not found, ` +
      `${c.malformed} malformed, ${c.timeout} timeout, ${c.error} error (of ${report.contacts.length})`,
  );
  for (const status of ['empty', 'not-found', 'malformed', 'timeout', 'error'] as const) {
    const who = report.contacts.filter((r) => r.status === status);
    if (who.length > 0)
      io.log(
        `  ${status.padEnd(10)} ${who.map((r) => `c${r.index}${r.reason === undefined ? '' : ` (${r.reason})`}`).join(', ')}`,
      );
  }
  if (report.rejectedValues > 0)
    io.log(`  rejected   ${report.rejectedValues} value(s) failed verification (corrupt or forged copies)`);
  io.log(`  messages   ${report.messages.length} delivered, ${expired} expired dropped`);
  io.log(`  lookups    ${report.lookups} DHT get(s)${report.earlyCompleted ? ', completed early' : ''}`);
  io.log(
    `  elapsed    ${report.elapsedMs.toFixed(1)} ${unit}; one contact at a time ≈ ${sequential.toFixed(1)} ${unit} ` +
      `(sum of the lookups)` +
      (Number.isFinite(speedup) ? ` → ${speedup.toFixed(1)}× faster in parallel` : ''),
  );
  io.log(`  ran in ${(io.wallNow() - wall0).toFixed(0)} ms of wall time`);
}

/** The world of a demo run: no faults, the tier's latency. */
async function demoWorld(o: DhtDemoOptions): Promise<World> {
  const live = o.mode === 'live';
  const plan = parseFaultPlan({
    description: 'dht demo: no faults',
    latency: {
      default: live ? { kind: 'uniform', minMs: 0, maxMs: 4 } : { kind: 'normal', meanMs: 40, sdMs: 10 },
    },
  });
  // Loaded only for live runs: sim runs never touch sockets.
  const edge: WorldInit['edge'] = live ? (await import('../kernel/live/edge.js')).liveEdge : simEdge;
  return World.create({ seed: o.seed, mode: o.mode, plan, traced: false, edge });
}

/**
 * Run the demo (see the module docstring).
 * @returns 0 when every contact's result matches the oracle, 1 otherwise.
 * @throws whatever building the world throws (e.g. a UDP bind failure in live mode).
 */
async function runDemo(o: DhtDemoOptions, io: CommandIO): Promise<number> {
  const live = o.mode === 'live';
  const unit = live ? 'ms' : 'virtual ms';
  const concurrency = typeof o.concurrency === 'number' ? o.concurrency : Infinity;
  io.log(
    `fanout dht demo: ${o.contacts} contact(s), ${o.nodes} nodes, mode ${o.mode}, seed ${o.seed}` +
      (live
        ? ' (swarm on real UDP sockets on 127.0.0.1, wall time)'
        : ' (in-process swarm, virtual time, deterministic)'),
  );
  const wall0 = io.wallNow();
  const world = await demoWorld(o);
  try {
    const { specs, kinds } = drawContacts(world.rng.fork('demo-contacts'), o.contacts);
    io.onEvent({
      type: 'phase',
      name: `publish (${live ? 'queueToOutbox through the UDP swarm' : 'direct'})`,
    });
    // sim: outbox versions stored straight into the k closest nodes (no traffic, fast to set up);
    // live: every message is a queueToOutbox (get → append → put) through the UDP swarm.
    const parties = await buildDhtWorld(world, {
      nodes: o.nodes,
      contacts: specs,
      publish: live ? 'network' : 'direct',
    });
    const count = (k: Kind): number => kinds.filter((x) => x === k).length;
    const queued = parties.contacts.reduce((s, c) => s + c.queued.length, 0);
    io.log(
      `swarm of ${o.nodes} nodes up; ${o.contacts} contacts queued ${queued} message(s) ` +
        `(${count('never-queued')} never queued, ${count('all-expired')} with only expired messages, ` +
        `${count('garbage')} malformed) in ${(io.wallNow() - wall0).toFixed(0)} ms of wall time`,
    );
    const slowIndex = o.slowMs > 0 && o.contacts > 1 ? kinds.indexOf('messages') : -1;
    const slowKey = slowIndex >= 0 ? parties.contacts[slowIndex]!.key : undefined;
    const isSlow = (key: Uint8Array): boolean =>
      slowKey !== undefined && key.length === slowKey.length && key.every((x, i) => x === slowKey[i]);
    io.log(
      `retrieving from ${o.contacts} contacts: concurrency ${concurrency === Infinity ? 'unlimited' : concurrency}, ` +
        `lookup ≥ ${o.lookupMs} ${unit}` +
        (slowIndex >= 0 ? `, contact ${slowIndex} slow (${o.slowMs} ${unit})` : '') +
        (o.earlyFraction < 1 ? `, early completion at ${o.earlyFraction * 100}%` : ''),
    );
    io.onEvent({ type: 'phase', name: 'retrieve' });
    const from = world.elapsed();
    const labels = parties.contacts.map((c) => `c${c.index}`);
    const report = await parties.retrieve({
      dht: flooredReader(world, parties, (key) => (isSlow(key) ? o.slowMs : o.lookupMs)),
      concurrency,
      queryTimeoutMs: Math.max(10_000, o.slowMs * 2),
      deadlineMs: Math.max(30_000, o.slowMs * 3),
      earlyCompletion: o.earlyFraction,
      signal: io.signal,
      onEvent: (event) => io.onEvent({ type: 'fanout', command: 'retrieve', event, labels }),
    });
    const oracle = new DhtOracle(world, parties, { at: { fromMs: from, toMs: world.elapsed() + 1 } });
    const verdict = checkAgainstOracle(
      oracle,
      parties.contacts,
      report,
      (i) => report.contacts[i]!.reason === 'early-completion' || i === slowIndex,
    );
    printTotals(io, report, live, wall0);
    const problems = [verdict.oneEach, verdict.exactlyOnce, verdict.status].filter((p) => p !== undefined);
    if (problems.length === 0) io.log('\nEvery contact matches the oracle.');
    else for (const p of problems) io.log(`\nORACLE MISMATCH: ${p}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await world.close();
  }
}

/** The DHT demo (`fanout dht demo`, see the module docstring). */
export const dhtDemo: Demo<typeof options> = {
  description:
    'contacts queue messages in their DHT outboxes; the recipient retrieves from all of them in parallel',
  options,
  liveDefaults: { slowMs: 1500 },
  run: runDemo,
};
