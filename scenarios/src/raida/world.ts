/**
 * A RAIDA world: 25 fake RAIDA servers, minted coins, per-RAIDA behaviours turned into a fault
 * plan, and a client — in the simulated network (virtual time) or on real UDP sockets (live).
 *
 * Behaviours are deterministic per RAIDA (probability 1), so the votes the client must see are
 * known in advance: that is the oracle the scenarios check grades against.
 */
import { openUdpTransport } from '@fanout/core/live';
import {
  realClock,
  VirtualClock,
  type Clock,
  type DatagramAddress,
  type DatagramTransport,
} from '@fanout/core';
import {
  RaidaClient,
  RAIDA_COUNT,
  type Coin,
  type Grade,
  type RaidaClientOptions,
  type RaidaEvent,
  type Vote,
} from '@fanout/raida';
import {
  bindRaidaCluster,
  createCluster,
  installTokens,
  mintTokens,
  raidaTarget,
  type RaidaServer,
} from '@fanout/sim-raida';
import { startLiveRaidaCluster } from '@fanout/sim-raida/live';
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
import type { Mode } from '../framework.js';

/** What one RAIDA does in a run. */
export type Behaviour =
  | 'honest' // answers with the truth
  | 'wrongAn' // answers, but holds a different AN for every coin (votes fail)
  | 'dropRequest' // never sees requests
  | 'dropReply' // sees requests, replies are lost
  | 'errorStatus' // answers with an error status (37)
  | 'crash' // down for the whole run
  | 'partition' // unreachable for the whole run
  | 'spoof' // replies claim another RAIDA id (byte 0): must be ignored
  | 'slow' // honest, but slower than the client's patience
  | 'duplicate' // honest, every reply sent three times
  | 'reorder'; // honest, replies delayed by up to 2 s (overtaking each other)

/** Behaviours in which the RAIDA's vote reaches the client. */
const ANSWERS: ReadonlySet<Behaviour> = new Set(['honest', 'wrongAn', 'errorStatus', 'duplicate', 'reorder']);

/** The vote the client must record for coin `c` from a RAIDA with behaviour `b`. */
export function expectedVote(b: Behaviour, holdsClientAn: boolean): Vote {
  if (!ANSWERS.has(b)) return 'noReply';
  if (b === 'errorStatus') return 'error';
  if (b === 'wrongAn') return 'fail';
  return holdsClientAn ? 'pass' : 'fail';
}

export interface WorldSpec {
  seed: number;
  mode: Mode;
  /** Behaviour of RAIDA i at index i (25). */
  behaviours: readonly Behaviour[];
  /** Coins to mint. */
  coins: number;
  /** For coin i, the RAIDA whose AN the client holds wrongly (the coin is fracked there). */
  frackedOn?: readonly (readonly number[])[];
  /** Round-trip latency of every RAIDA. Default 50 ms ± 10 ms normal (sim and live). */
  latency?: LatencySpec;
  /** Per-RAIDA latency overrides. */
  latencyOf?: Readonly<Record<number, LatencySpec>>;
  /** Extra plan rules (e.g. time-windowed faults). */
  extraRules?: FaultPlanInput['rules'];
  /** Overrides the derived plan entirely (replay). */
  plan?: FaultPlan;
  client?: Partial<Omit<RaidaClientOptions, 'transport' | 'rng' | 'clock' | 'addresses'>>;
  /**
   * Test seam: builds the client from its options instead of `new RaidaClient(options)` (e.g. a
   * deliberately broken subclass, to show that the guarantees and the trace hash catch it).
   * Never set by the CLI or the default scenarios.
   */
  makeClient?: (options: RaidaClientOptions) => RaidaClient;
}

export interface World {
  readonly mode: Mode;
  readonly clock: Clock;
  readonly servers: RaidaServer[];
  /** Coins as the client holds them. */
  readonly coins: Coin[];
  readonly client: RaidaClient;
  readonly plan: FaultPlan;
  readonly trace: Trace;
  readonly rng: Rng;
  /** Expected vote of RAIDA r for coin i: expected[i][r]. */
  readonly expected: Vote[][];
  /** Expected grade of coin i. */
  readonly expectedGrades: Grade[];
  /** Behaviours by RAIDA. */
  readonly behaviours: readonly Behaviour[];
  close(): Promise<void>;
}

/** Timeouts that keep a live run short while leaving the 50 ms RAIDA far inside them. */
export const LIVE_TIMEOUT_MS = 400;
export const SIM_TIMEOUT_MS = 3000;

/** Derive the fault plan that realises the behaviours (pure, JSON-serialisable). */
export function planFor(spec: WorldSpec): FaultPlan {
  if (spec.plan !== undefined) return spec.plan;
  const rules: NonNullable<FaultPlanInput['rules']> = [];
  const byB = (b: Behaviour) => spec.behaviours.flatMap((x, i) => (x === b ? [raidaTarget(i)] : []));
  const add = (b: Behaviour, rule: Record<string, unknown>) => {
    const targets = byB(b);
    if (targets.length > 0) rules.push({ ...rule, targets } as never);
  };
  const timeout = spec.client?.timeoutMs ?? (spec.mode === 'live' ? LIVE_TIMEOUT_MS : SIM_TIMEOUT_MS);
  add('dropRequest', { fault: 'dropRequest' });
  add('dropReply', { fault: 'dropReply' });
  add('errorStatus', { fault: 'forceStatus', status: 37 });
  add('crash', { fault: 'crash', atMs: 0 });
  add('partition', { fault: 'partition' });
  // Each spoofer claims to be its neighbour (never itself).
  spec.behaviours.forEach((b, r) => {
    if (b === 'spoof')
      rules.push({ fault: 'wrongSender', targets: [raidaTarget(r)], as: raidaTarget((r + 1) % RAIDA_COUNT) });
  });
  add('duplicate', { fault: 'duplicateReply', copies: 2, gapMs: 1 });
  add('reorder', { fault: 'reorder', maxExtraMs: Math.min(2000, timeout / 2) });
  add('slow', { fault: 'delay', latency: { kind: 'constant', ms: timeout * 20 } });
  const perTarget: Record<string, LatencySpec> = {};
  for (const [r, l] of Object.entries(spec.latencyOf ?? {})) perTarget[raidaTarget(Number(r))] = l;
  return parseFaultPlan({
    description: `RAIDA behaviours: ${
      spec.behaviours
        .map((b, i) => (b === 'honest' ? '' : `${i}=${b}`))
        .filter(Boolean)
        .join(' ') || 'all honest'
    }`,
    latency: { default: spec.latency ?? { kind: 'normal', meanMs: 50, sdMs: 10 }, perTarget },
    rules: [...rules, ...(spec.extraRules ?? [])],
  });
}

/**
 * Build a world. In sim mode everything runs on one VirtualClock; in live mode the 25 servers
 * are real UDP sockets on 127.0.0.1 (ephemeral ports) and the client uses a real UDP socket.
 * @throws RangeError when `behaviours` does not list 25 RAIDA.
 */
export async function buildWorld(spec: WorldSpec): Promise<World> {
  if (spec.behaviours.length !== RAIDA_COUNT)
    throw new RangeError(`behaviours must list ${RAIDA_COUNT} RAIDA, got ${spec.behaviours.length}`);
  const rng = createRng(spec.seed);
  const clock: Clock = spec.mode === 'sim' ? new VirtualClock() : realClock;
  const plan = planFor(spec);
  const trace = new Trace({ enabled: spec.mode === 'sim' });
  const servers = createCluster({ rng: rng.fork('servers') });
  const minted = mintTokens(rngBytesFn(rng.fork('mint')), spec.coins, { firstSn: 1000 });
  installTokens(servers, minted);
  // wrongAn RAIDA hold a different AN for every coin.
  const bad = rngBytesFn(rng.fork('wrong-an'));
  spec.behaviours.forEach((b, r) => {
    if (b === 'wrongAn')
      for (const m of minted) servers[r]!.installToken({ den: m.den, sn: m.sn, an: bad(16) });
  });
  // The client's copy: fracked coins carry a wrong AN for the listed RAIDA.
  const wrong = rngBytesFn(rng.fork('client-wrong'));
  const coins: Coin[] = minted.map((m, i) => ({
    den: m.den,
    sn: m.sn,
    ans: m.ans.map((an, r) => (spec.frackedOn?.[i]?.includes(r) ? wrong(16) : an.slice())),
  }));
  const expected = coins.map((_, i) =>
    spec.behaviours.map((b, r) => expectedVote(b, !(spec.frackedOn?.[i]?.includes(r) ?? false))),
  );
  const expectedGrades = expected.map((v) => oracleGrade(v, spec.client?.quorum ?? 13));

  let transport: DatagramTransport;
  let addresses: DatagramAddress[];
  let closeServers: () => Promise<void>;
  if (spec.mode === 'sim') {
    const net = new SimNetwork({ clock, rng: rng.fork('network'), plan, trace });
    addresses = bindRaidaCluster(net, servers);
    transport = net.openDatagram();
    closeServers = async () => {};
  } else {
    const live = await startLiveRaidaCluster({ servers, plan, rng: rng.fork('network'), clock });
    addresses = live.addresses;
    transport = await openUdpTransport();
    closeServers = live.close;
  }
  const clientOptions: RaidaClientOptions = {
    transport,
    rng: rngBytesFn(rng.fork('client')),
    clock,
    addresses,
    timeoutMs: spec.mode === 'live' ? LIVE_TIMEOUT_MS : SIM_TIMEOUT_MS,
    ...(spec.mode === 'live' ? { retry: { attempts: 2, timeoutFactor: 1.5 } } : {}),
    ...spec.client,
  };
  if (trace.enabled) clientOptions.onEvent = traceTimers(trace, clock, spec.client?.onEvent);
  const client = spec.makeClient?.(clientOptions) ?? new RaidaClient(clientOptions);
  return {
    mode: spec.mode,
    clock,
    servers,
    coins,
    client,
    plan,
    trace,
    rng,
    expected,
    expectedGrades,
    behaviours: spec.behaviours,
    close: async () => {
      client.close();
      await transport.close();
      await closeServers();
    },
  };
}

/**
 * The client's timer and quorum decisions as 'timer' trace events (sim only): a fan-out's quorum
 * met or deadline passed, and every RAIDA whose attempt timed out or was cancelled (early exit),
 * with the virtual time `t` of the decision (ms since the world started). Replies are already in
 * the trace as network events; these are the client's own decisions about them. Other events are
 * passed on to `next` unchanged.
 */
function traceTimers(
  trace: Trace,
  clock: Clock,
  next: ((e: RaidaEvent) => void) | undefined,
): (e: RaidaEvent) => void {
  const t0 = clock.now();
  return (e) => {
    if (e.type === 'quorum-met' || e.type === 'deadline') {
      trace.record({ t: clock.now() - t0, kind: 'timer', command: e.command, decision: e.type });
    } else if (
      e.type === 'settled' &&
      (e.outcome.status === 'timedOut' || e.outcome.status === 'cancelled')
    ) {
      trace.record({
        t: clock.now() - t0,
        kind: 'timer',
        command: e.command,
        decision: e.outcome.status,
        raida: e.index,
      });
    }
    next?.(e);
  };
}

/**
 * The oracle's grade, written independently of the client's `gradeVotes` so that a bug there
 * cannot hide itself (qmail-client get_grade_status: authentic = ≥ q passes and no fail; fracked =
 * ≥ q passes and some fail; counterfeit = ≥ q fails; else limbo).
 */
export function oracleGrade(votes: readonly Vote[], quorum: number): Grade {
  const passes = votes.filter((v) => v === 'pass').length;
  const fails = votes.filter((v) => v === 'fail').length;
  if (passes >= quorum) return fails > 0 ? 'fracked' : 'authentic';
  return fails >= quorum ? 'counterfeit' : 'limbo';
}

/** Random behaviours: `honest` RAIDA honest, the rest drawn from `others`, positions shuffled. */
export function drawBehaviours(rng: Rng, honest: number, others: readonly Behaviour[]): Behaviour[] {
  const list: Behaviour[] = [];
  for (let i = 0; i < RAIDA_COUNT; i++) list.push(i < honest ? 'honest' : rng.pick(others));
  return rng.shuffle(list);
}
