/**
 * DHT offline-message retrieval benchmark (seed 002: "Parallel DHT Message Retrieval"), side by
 * side in one process.
 *
 *   pnpm bench:dht            (add -- --quick for fewer live contacts)
 *
 * 1. Virtual time: a 100-node Kademlia swarm on the sim kit's SimNetwork (RTT normal 40 ± 10 ms),
 *    10 / 50 / 100 contacts each with a queued outbox, every DHT lookup taking at least 300 ms or
 *    6 s (an injected floor standing for the seed's measured get time; the swarm's own iterative
 *    lookup runs inside it). Sequential = retrieveOfflineMessages with concurrency 1 (upstream's
 *    old loop); parallel = no concurrency limit, and the default limit 50. Ratio = parallel /
 *    one lookup (the mean sequential lookup); speedup = sequential / parallel.
 * 2. Live: the same for 100 contacts on a swarm of real UDP sockets on 127.0.0.1 (wall time), with
 *    a 100 ms floor per lookup (so the sequential pass stays near 10 s).
 */
import { realClock, type Clock } from '@fanout/core';
import { retrieveOfflineMessages, type DhtGetter, type OfflineReport } from '@fanout/dht';
import { buildDhtWorld, type ContactSpec, type DhtWorld, type Mode } from '@fanout/scenarios';

const quick = process.argv.includes('--quick');

/** A getter on the world's reader whose every lookup lasts at least `floorMs` (clock ms). */
function flooredReader(world: DhtWorld, floorMs: number): DhtGetter {
  return {
    get: async (key, options) => {
      const [found] = await Promise.all([
        world.reader.get(key, options),
        world.clock.sleep(floorMs, options.signal),
      ]);
      return found;
    },
  };
}

async function retrieve(
  world: DhtWorld,
  contacts: number,
  floorMs: number,
  concurrency: number,
): Promise<{ ms: number; report: OfflineReport }> {
  const clock: Clock = world.clock;
  const t0 = clock.now();
  const report = await retrieveOfflineMessages(
    world.contacts.slice(0, contacts).map((c) => ({ fingerprint: c.fingerprint, owner: c.publicKey })),
    {
      recipient: world.recipient,
      dht: flooredReader(world, floorMs),
      nowSeconds: world.nowSeconds,
      clock,
      verify: world.verify,
      concurrency,
      queryTimeoutMs: floorMs * 4 + 10_000,
      deadlineMs: Infinity, // the sequential pass of 100 × 6 s must not hit upstream's 30 s wait
      coalesce: false,
    },
  );
  const ms = clock.now() - t0;
  if (report.counts.delivered !== contacts)
    throw new Error(`bench world broken: ${JSON.stringify(report.counts)} for ${contacts} contacts`);
  return { ms, report };
}

async function world(mode: Mode, contacts: number): Promise<DhtWorld> {
  const specs: ContactSpec[] = Array.from({ length: contacts }, () => ({
    messages: [
      { seq: 1n, ttlSeconds: 86_400 },
      { seq: 2n, ttlSeconds: 86_400 },
    ],
  }));
  return buildDhtWorld({
    seed: 7,
    mode,
    nodes: 100,
    contacts: specs,
    publish: 'direct',
    latency:
      mode === 'sim' ? { kind: 'normal', meanMs: 40, sdMs: 10 } : { kind: 'uniform', minMs: 0, maxMs: 4 },
  });
}

interface Row {
  readonly label: string;
  readonly contacts: number;
  readonly lookupMs: number;
  readonly seqMs: number;
  readonly parMs: number;
  readonly par50Ms: number;
  readonly unit: string;
}

async function measure(w: DhtWorld, label: string, contacts: number, lookupMs: number): Promise<Row> {
  const seq = await retrieve(w, contacts, lookupMs, 1);
  const par = await retrieve(w, contacts, lookupMs, Infinity);
  const par50 = await retrieve(w, contacts, lookupMs, 50);
  return {
    label,
    contacts,
    lookupMs,
    seqMs: seq.ms,
    parMs: par.ms,
    par50Ms: par50.ms,
    unit: w.mode === 'sim' ? 'virtual' : 'wall',
  };
}

const fmt = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

function table(rows: readonly Row[]): void {
  const head = [
    'run',
    'contacts',
    'lookup ≥',
    'sequential',
    'parallel (no limit)',
    'parallel (c = 50)',
    'parallel / one lookup',
    'speedup seq / parallel',
  ];
  const lines = rows.map((r) => {
    const one = r.seqMs / r.contacts;
    return [
      `${r.label} (${r.unit})`,
      String(r.contacts),
      fmt(r.lookupMs),
      fmt(r.seqMs),
      fmt(r.parMs),
      fmt(r.par50Ms),
      (r.parMs / one).toFixed(3),
      `${(r.seqMs / r.parMs).toFixed(1)}×`,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(row(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(row(l));
}

console.log(`node ${process.version}${quick ? ' (quick)' : ''}`);
const rows: Row[] = [];
const wall0 = realClock.now();
const simWorld = await world('sim', 100);
try {
  for (const lookupMs of [300, 6000])
    for (const contacts of [10, 50, 100]) rows.push(await measure(simWorld, 'sim', contacts, lookupMs));
} finally {
  await simWorld.close();
}
const liveContacts = quick ? 30 : 100;
const liveWorld = await world('live', liveContacts);
try {
  rows.push(await measure(liveWorld, 'live UDP', liveContacts, 100));
} finally {
  await liveWorld.close();
}
console.log('\nSeed (upstream, measured/expected): 10 → 1.9 s vs 0.3 s (6×); 50 → 9.5 s vs 0.3 s (30×);');
console.log('  100 → 19 s vs 0.4 s (47×); 100 slow (6 s) → 600 s vs 6 s (100×)\n');
table(rows);
const goal = rows.find((r) => r.label === 'sim' && r.contacts === 100 && r.lookupMs === 300)!;
const one = goal.seqMs / goal.contacts;
console.log(
  `\nGoal (100 contacts, 300 ms, no limit): parallel ≤ 1.1 × one lookup → ${(goal.parMs / one).toFixed(3)} ` +
    `${goal.parMs / one <= 1.1 ? 'met' : 'NOT met'}; ≥ 60× faster than sequential → ` +
    `${(goal.seqMs / goal.parMs).toFixed(1)}× ${goal.seqMs / goal.parMs >= 60 ? 'met' : 'NOT met'}`,
);
console.log(`(bench ran in ${((realClock.now() - wall0) / 1000).toFixed(1)} s of wall time)`);
