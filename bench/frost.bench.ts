/**
 * FROST-over-Hubert benchmark: parallel vs sequential coordinator rounds, side by side in one run.
 *
 *   pnpm bench:frost            (add --quick for one repetition per live size; default: 2 for 3 and 10)
 *   pnpm bench:frost -- --poll 100         (faster Hubert polling than the server's 1000 ms; printed)
 *   pnpm bench:frost -- --only dkg|sign    (one section)
 *
 * The measured work is one coordinator round trip of the DKG: `dkg invite` (put one invitation
 * per participant), `dkg round1` collect (every participant reads its invitation, computes its
 * round-1 package and writes its reply; the coordinator polls each reply ARID) and the round-1
 * send (put one `dkgRound2` per participant). The coordinator runs in `parallel` mode (every
 * participant at once, frost-hubert parallel.rs) and in `sequential` mode (one participant after
 * the other), over the same world: same seed, same identities, same per-participant latency.
 *
 * Latency is Hubert's per-ARID storage latency (a DHT lookup per operation): each participant's
 * ARIDs get a constant latency drawn uniformly from the range.
 * 1. sim: 3, 10, 50 participants, 1-30 s, virtual time (VirtualClock; deterministic).
 * 2. live: 3, 10, 50 participants, 20-200 ms, a real Hubert HTTP server on 127.0.0.1 (hono on
 *    node:http, ephemeral port), real HTTP clients, wall time (median of the repetitions).
 * 3. signing round 1 (sim): `sign invite` + `sign round1` (the signer set fixed) with and without
 *    quorum exit, 5 and 10 participants over a DKG fixture, 1-30 s, and the same with one
 *    participant 600 s away.
 * Every party polls Hubert every `--poll` ms (default 1000, the Hubert server's interval).
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '@fanout/core';
import { publicIdentity, type RoundEvent } from '@fanout/frost';
import { createRng } from '@fanout/sim';
import { createWorld } from '@fanout/scenarios';
import {
  buildFrostWorld,
  frostPlan,
  groupFixture,
  type FrostParties,
  type FrostWorldSpec,
} from '@fanout/scenarios/frost';

const quick = process.argv.includes('--quick');
const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const pollIntervalMs = Number(argOf('--poll') ?? 1000);
if (!(pollIntervalMs > 0)) throw new RangeError(`--poll must be > 0 ms, got ${argOf('--poll')}`);
const only = argOf('--only');
if (only !== undefined && only !== 'dkg' && only !== 'sign')
  throw new RangeError(`--only must be dkg or sign, got ${only}`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface RoundTime {
  readonly totalMs: number;
  readonly inviteMs: number;
  readonly collectMs: number;
  readonly sendMs: number;
}

/** FROST parties in a fresh kernel world whose plan gives participant i's store `latenciesMs[i]`. */
async function frostWorld(
  seed: number,
  mode: 'sim' | 'live',
  latenciesMs: readonly number[],
  spec: FrostWorldSpec,
): Promise<FrostParties & { clock: Clock; close(): Promise<void> }> {
  const plan = frostPlan({
    participants: spec.participants,
    storeLatency: latenciesMs.map((ms) => ({ kind: 'constant', ms })),
  });
  const w = await createWorld({ seed, mode, plan, traced: false });
  const parties = await buildFrostWorld(w, spec);
  return Object.assign(parties, { clock: w.clock, close: () => w.close() });
}

/** One DKG invite + round 1 (collect and send) in `mode`; throws if the round fails. */
async function roundTime(
  mode: 'sim' | 'live',
  coordinatorMode: 'parallel' | 'sequential',
  seed: number,
  latenciesMs: readonly number[],
): Promise<RoundTime> {
  // The agents stop once the coordinator starts the round-1 send: the measured round does not
  // include their DKG round 2 (O(n²) crypto that would only load the CPU during the send).
  const agentsStop = new AbortController();
  setMaxListeners(2 * latenciesMs.length + 10, agentsStop.signal); // a get and a sleep per agent
  const world = await frostWorld(seed, mode, latenciesMs, {
    participants: latenciesMs.length,
    minSigners: 2,
    pollIntervalMs,
    coordinator: { mode: coordinatorMode, timeoutMs: mode === 'sim' ? 3_600_000 : 120_000 },
    onRoundEvent: (e: RoundEvent) => {
      if (e.type === 'phase-start' && e.round === 'dkg round1' && e.phase === 'send') agentsStop.abort();
    },
  });
  try {
    const invite = await world.coordinator.dkgInvite({
      participants: world.identities.map(publicIdentity),
      minSigners: 2,
      charter: 'bench',
    });
    if (!invite.ok) throw new Error(`invite failed: ${invite.reason}`);
    for (const a of world.agents) void a.follow(invite.session.inviteArids[a.xid]!, agentsStop.signal);
    const r1 = await world.coordinator.dkgRound1(invite.session);
    if (!r1.ok) throw new Error(`round 1 failed: ${r1.reason}`);
    const inviteMs = invite.sent.elapsedMs;
    const collectMs = r1.collected.elapsedMs;
    const sendMs = r1.sent?.elapsedMs ?? 0;
    return { totalMs: inviteMs + collectMs + sendMs, inviteMs, collectMs, sendMs };
  } finally {
    agentsStop.abort();
    await world.close();
  }
}

interface Row {
  mode: string;
  n: number;
  range: string;
  max: number;
  sum: number;
  par: RoundTime;
  seq: RoundTime;
}

async function measure(
  mode: 'sim' | 'live',
  n: number,
  [lo, hi]: readonly [number, number],
  reps: number,
): Promise<Row> {
  const rng = createRng(1000 + n);
  const latencies = Array.from({ length: n }, () => rng.int(lo, hi));
  const par: RoundTime[] = [];
  const seq: RoundTime[] = [];
  for (let i = 0; i < reps; i++) {
    par.push(await roundTime(mode, 'parallel', 40 + n, latencies));
    seq.push(await roundTime(mode, 'sequential', 40 + n, latencies));
  }
  const pick = (xs: RoundTime[]): RoundTime => {
    const m = median(xs.map((x) => x.totalMs));
    return xs.find((x) => x.totalMs === m)!;
  };
  return {
    mode,
    n,
    range: mode === 'sim' ? `${lo / 1000}-${hi / 1000} s` : `${lo}-${hi} ms`,
    max: Math.max(...latencies),
    sum: latencies.reduce((a, b) => a + b, 0),
    par: pick(par),
    seq: pick(seq),
  };
}

function fmt(ms: number, sim: boolean): string {
  return sim ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
}

function table(rows: readonly Row[]): void {
  const head = [
    'mode',
    'n',
    'latency',
    'max lat',
    'sum lat',
    'parallel round',
    'sequential round',
    'seq/par',
    'par/max',
    'seq/sum',
  ];
  const body = rows.map((r) => {
    const sim = r.mode === 'sim';
    return [
      r.mode,
      String(r.n),
      r.range,
      fmt(r.max, sim),
      fmt(r.sum, sim),
      fmt(r.par.totalMs, sim),
      fmt(r.seq.totalMs, sim),
      `${(r.seq.totalMs / r.par.totalMs).toFixed(1)}×`,
      (r.par.totalMs / r.max).toFixed(2),
      (r.seq.totalMs / r.sum).toFixed(2),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('\nphase split (invite put / round-1 collect / round-1 put):');
  for (const r of rows) {
    const sim = r.mode === 'sim';
    const split = (t: RoundTime): string =>
      [t.inviteMs, t.collectMs, t.sendMs].map((x) => fmt(x, sim)).join(' / ');
    console.log(`  ${r.mode} n=${r.n}: parallel ${split(r.par)}; sequential ${split(r.seq)}`);
  }
}

/** Sign invite + round 1 (until the signer set is fixed) in virtual time, ms. */
async function signRound1Time(
  n: number,
  t: number,
  latenciesMs: readonly number[],
  quorumExit: boolean,
): Promise<{ totalMs: number; inviteMs: number; collectMs: number; signers: number }> {
  const fixture = await groupFixture(n, t);
  const world = await frostWorld(70 + n, 'sim', latenciesMs, {
    participants: n,
    minSigners: t,
    fixture,
    pollIntervalMs,
    coordinator: { timeoutMs: 3_600_000 },
  });
  try {
    const clock = world.clock;
    const t0 = clock.now();
    const invite = await world.coordinator.signInvite(
      { group: fixture.group, target: new Uint8Array([n]) },
      { quorumExit },
    );
    if (!invite.ok) throw new Error(`sign invite failed: ${invite.reason}`);
    const inviteMs = clock.now() - t0;
    world.follow(invite.session.inviteArids);
    const r1 = await world.coordinator.signRound1(invite.session, { quorumExit });
    if (!r1.ok) throw new Error(`sign round 1 failed: ${r1.reason}`);
    return {
      totalMs: clock.now() - t0,
      inviteMs,
      collectMs: r1.collected.elapsedMs,
      signers: r1.session.signers?.length ?? 0,
    };
  } finally {
    await world.close();
  }
}

async function signTable(): Promise<void> {
  console.log(
    '\nsigning round 1 (sim, virtual time): sign invite + round-1 collect + signRound2 puts, until the signer set is fixed',
  );
  const head = ['n', 't', 'latencies', 'max lat', 'without quorum exit', 'with quorum exit', 'ratio'];
  const body: string[][] = [];
  for (const [n, t] of [
    [5, 3],
    [10, 6],
  ] as const) {
    const rng = createRng(2000 + n);
    const base = Array.from({ length: n }, () => rng.int(1000, 30_000));
    for (const slow of [false, true]) {
      const lat = slow ? [600_000, ...base.slice(1)] : base;
      const all = await signRound1Time(n, t, lat, false);
      const qe = await signRound1Time(n, t, lat, true);
      body.push([
        String(n),
        String(t),
        slow ? '1-30 s, p1 600 s' : '1-30 s',
        fmt(Math.max(...lat), true),
        `${fmt(all.totalMs, true)} (invite ${fmt(all.inviteMs, true)})`,
        `${fmt(qe.totalMs, true)} (invite ${fmt(qe.inviteMs, true)})`,
        `${(all.totalMs / qe.totalMs).toFixed(1)}×`,
      ]);
      console.error(`  sign n=${n}${slow ? ' slow' : ''} done`);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

console.log(
  `Hubert poll interval: ${pollIntervalMs} ms${pollIntervalMs === 1000 ? " (the server backend's)" : " (faster than the server backend's 1000 ms, asked for with --poll)"}`,
);
if (only !== 'sign') {
  const rows: Row[] = [];
  console.log('FROST over Hubert: one DKG coordinator round (invite + round-1 collect + round-1 send)');
  console.log('per-participant Hubert latency (constant per participant, uniform in the range)\n');
  for (const n of [3, 10, 50]) {
    rows.push(await measure('sim', n, [1000, 30_000], 1));
    console.error(`  sim n=${n} done`);
  }
  for (const n of [3, 10, 50]) {
    rows.push(await measure('live', n, [20, 200], quick || n === 50 ? 1 : 2));
    console.error(`  live n=${n} done`);
  }
  table(rows);
  console.log(
    '\nround = invite put + round-1 collect (participant reads, computes, writes; coordinator polls' +
      ` every ${pollIntervalMs} ms) + round-1 put. par/max: parallel round time per slowest participant` +
      ' latency (one round trip costs ~3-5 latencies + a poll); seq/sum: sequential time per sum of latencies.',
  );
  console.log(
    'sim: virtual time (deterministic); live: wall time on this machine, median of the repetitions.',
  );
}
if (only !== 'dkg') await signTable();
process.exit(0);
