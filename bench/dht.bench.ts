/**
 * DHT offline-message retrieval benchmark (seed 002: "Parallel DHT Message Retrieval"), side by
 * side in one process, with the seed's own figures in the columns beside each row.
 *
 *   pnpm bench:dht            (add -- --quick for fewer live contacts)
 *
 * 1. sim, lookup emerges (virtual time, no floor): a 100-node Kademlia swarm on the sim kit's
 *    SimNetwork whose per-exchange round trip is tuned so that one iterative get (3–4 round
 *    trips with alpha 3, k 8) takes ≈ 300 ms on average (RTT normal 90 ± 22.5 ms) or ≈ 6 s
 *    (RTT normal 2800 ± 700 ms, RPC timeout 11.2 s) — the lookup's own round trips set the time.
 * 2. sim, 300 ms / 6 s floor (virtual time): the same swarm at RTT 40 ± 10 ms, every get lasting
 *    at least the floor (an injected stand-in for the seed's measured get time). In these rows the
 *    floor dominates, so parallel / one lookup is 1.000 by construction: they only show that the
 *    client adds no serialisation.
 * 3. live UDP, 300 ms floor (wall time): 100 contacts on a 100-node swarm of real UDP sockets on
 *    127.0.0.1, every get lasting at least 300 ms.
 * Sequential = retrieveOfflineMessages with concurrency 1 (upstream's old loop); parallel = no
 * concurrency limit, and the default limit 50. One lookup = sequential / contacts (the mean get);
 * ratio = parallel / one lookup; speedup = sequential / parallel (no limit).
 */
import { realClock, type Clock } from '@fanout/core';
import { retrieveOfflineMessages, type DhtGetter, type OfflineReport } from '@fanout/dht';
import { createWorld, type Mode } from '@fanout/scenarios';
import { buildDhtWorld, type ContactSpec, type DhtParties } from '@fanout/scenarios/dht';
import type { LatencySpec } from '@fanout/sim';

const quick = process.argv.includes('--quick');

/** The seed's table (002, "Expected Results"): sequential, parallel, speedup. */
const SEED: Record<string, { seq: string; par: string; speedup: string }> = {
  '10/300': { seq: '1.9 s', par: '0.3 s', speedup: '6×' },
  '50/300': { seq: '9.5 s', par: '0.3 s', speedup: '30×' },
  '100/300': { seq: '19 s', par: '0.4 s', speedup: '47×' },
  '100/6000': { seq: '600 s', par: '6 s', speedup: '100×' },
};

/** A getter on the world's reader whose every lookup lasts at least `floorMs` (clock ms; 0 = none). */
function flooredReader(world: DhtWorld, floorMs: number): DhtGetter {
  if (floorMs === 0) return world.reader;
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
      queryTimeoutMs: Infinity,
      deadlineMs: Infinity, // the sequential pass of 100 × 6 s must not hit upstream's 30 s wait
      coalesce: false,
    },
  );
  const ms = clock.now() - t0;
  if (report.counts.delivered !== contacts)
    throw new Error(`bench world broken: ${JSON.stringify(report.counts)} for ${contacts} contacts`);
  return { ms, report };
}

/** The DHT parties of a kernel world, with the world's clock, tier and close. */
type DhtWorld = DhtParties & { readonly clock: Clock; readonly mode: Mode; close(): Promise<void> };

async function world(
  mode: Mode,
  contacts: number,
  latency: LatencySpec,
  rpcTimeoutMs?: number,
): Promise<DhtWorld> {
  const specs: ContactSpec[] = Array.from({ length: contacts }, () => ({
    messages: [
      { seq: 1n, ttlSeconds: 86_400 },
      { seq: 2n, ttlSeconds: 86_400 },
    ],
  }));
  const w = await createWorld({ seed: 7, mode, plan: { latency: { default: latency } }, traced: false });
  const parties = await buildDhtWorld(w, {
    nodes: 100,
    contacts: specs,
    publish: 'direct',
    ...(rpcTimeoutMs !== undefined && { rpcTimeoutMs }),
  });
  return { ...parties, clock: w.clock, mode, close: () => w.close() };
}

interface Row {
  readonly label: string;
  readonly contacts: number;
  /** Floor per lookup, ms (0: none). */
  readonly floorMs: number;
  /** The seed row this one stands beside ('300' or '6000' ms lookups). */
  readonly seedLookup: 300 | 6000;
  readonly seqMs: number;
  readonly parMs: number;
  readonly par50Ms: number;
  readonly unit: string;
}

async function measure(
  w: DhtWorld,
  label: string,
  contacts: number,
  floorMs: number,
  seedLookup: 300 | 6000,
): Promise<Row> {
  const seq = await retrieve(w, contacts, floorMs, 1);
  const par = await retrieve(w, contacts, floorMs, Infinity);
  const par50 = await retrieve(w, contacts, floorMs, 50);
  return {
    label,
    contacts,
    floorMs,
    seedLookup,
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
    'one lookup',
    'sequential',
    'parallel (no limit)',
    'parallel (c = 50)',
    'parallel / one lookup',
    'speedup',
    'seed sequential',
    'seed parallel',
    'seed speedup',
  ];
  const lines = rows.map((r) => {
    const one = r.seqMs / r.contacts;
    const seed = SEED[`${r.contacts}/${r.seedLookup}`];
    return [
      `${r.label} (${r.unit})`,
      String(r.contacts),
      `${fmt(one)}${r.floorMs > 0 ? ` (≥ ${fmt(r.floorMs)})` : ''}`,
      fmt(r.seqMs),
      fmt(r.parMs),
      fmt(r.par50Ms),
      (r.parMs / one).toFixed(3),
      `${(r.seqMs / r.parMs).toFixed(1)}×`,
      seed?.seq ?? '—',
      seed?.par ?? '—',
      seed?.speedup ?? '—',
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
// 1. No floor: the lookup's own round trips set its time.
for (const [lookup, rtt, rpcTimeoutMs] of [
  [300, 90, 1000],
  [6000, 2800, 11_200],
] as const) {
  const w = await world('sim', 100, { kind: 'normal', meanMs: rtt, sdMs: rtt / 4 }, rpcTimeoutMs);
  try {
    for (const contacts of [10, 50, 100])
      rows.push(await measure(w, `sim, RTT ${rtt} ms, no floor`, contacts, 0, lookup));
  } finally {
    await w.close();
  }
}
// 2. Floor.
const floorWorld = await world('sim', 100, { kind: 'normal', meanMs: 40, sdMs: 10 });
try {
  for (const floor of [300, 6000] as const)
    for (const contacts of [10, 50, 100])
      rows.push(await measure(floorWorld, `sim, ${fmt(floor)} floor`, contacts, floor, floor));
} finally {
  await floorWorld.close();
}
// 3. Live, 300 ms floor.
const liveContacts = quick ? 30 : 100;
const liveWorld = await world('live', liveContacts, { kind: 'uniform', minMs: 0, maxMs: 4 });
try {
  rows.push(await measure(liveWorld, 'live UDP, 300 ms floor', liveContacts, 300, 300));
} finally {
  await liveWorld.close();
}
console.log(
  '\nSeed 002 (upstream; 10 measured, the rest expected): columns "seed …" beside the rows of the same size.\n',
);
table(rows);
for (const label of ['sim, RTT 90 ms, no floor', 'live UDP, 300 ms floor']) {
  const goal = rows.find((r) => r.label === label && r.contacts === liveContacts)!;
  const one = goal.seqMs / goal.contacts;
  console.log(
    `\nGoal (${label}, ${goal.contacts} contacts, no limit): parallel ≤ 1.1 × one lookup → ${(goal.parMs / one).toFixed(3)} ` +
      `${goal.parMs / one <= 1.1 ? 'met' : 'NOT met'}; ≥ 60× faster than sequential → ` +
      `${(goal.seqMs / goal.parMs).toFixed(1)}× ${goal.seqMs / goal.parMs >= 60 ? 'met' : 'NOT met'}`,
  );
}
console.log(`(bench ran in ${((realClock.now() - wall0) / 1000).toFixed(1)} s of wall time)`);
