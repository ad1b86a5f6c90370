/**
 * The FROST-over-Hubert parties of a kernel World: a coordinator (Alice), N participants (Bob,
 * Carol, …) as agents polling their ARIDs, and a Hubert server. The server's HTTP app is served
 * once per party as that party's plan target (`coordinator`, `p1` … `pN`: in SimNetwork in sim,
 * on real sockets on 127.0.0.1 live, with the world's one injector at each edge), so link faults
 * apply per party; store and server targets act inside Hubert (hubert-faults.ts). Participant
 * behaviours are read from the plan's `behave` rules at the moment each request arrives
 * (plan.ts), through the world's injector — a fault-control API that swaps the plan live changes
 * them too. Everything random comes from forks of `world.rng`; time from `world.clock`.
 */
import { setMaxListeners } from 'node:events';
import {
  ACCEPT,
  FrostCoordinator,
  ParticipantAgent,
  PARALLEL_TIMEOUT_MS,
  SEQUENTIAL_TIMEOUT_MS,
  publicIdentity,
  reject,
  runDkgFlow,
  runSignFlow,
  type AgentAction,
  type AgentEvent,
  type AgentPlan,
  type DkgFlowResult,
  type FrostCoordinatorOptions,
  type FrostKv,
  type GroupRecord,
  type Identity,
  type MessageType,
  type ParticipantState,
  type RoundEvent,
  type RoundMode,
  type SignFlowResult,
  type Xid,
} from '@fanout/frost';
import { rngBytesFn } from '@fanout/sim';
import { HubertHttpClient, SERVER_POLL_INTERVAL_MS, createHubertApp, type KvStore } from '@fanout/sim-hubert';
import type { World } from '../kernel/world.js';
import {
  backendStore,
  CrashableKv,
  EdgeKv,
  FROST_BACKENDS,
  hubertDownProbe,
  PlanStoreFaults,
  ReadRecordingKv,
  type FrostBackend,
  type LostPut,
  type Wipe,
} from './hubert-faults.js';
import {
  checkFrostPlan,
  COORDINATOR,
  INBOUND_STEPS,
  LATE_BY_MS,
  participantTarget,
  resolveAct,
  type InboundStep,
} from './plan.js';
import { identitiesFrom, sharedIdentities, type IdentitySource } from './identities.js';
import { requestTimeoutOf, type TimingParams } from './timing.js';

/** A DKG done once and reused (crypto is slow): its coordinator, group and participant states. */
export interface GroupFixture {
  /** The seed of the world the DKG ran in. */
  readonly identitySeed: number;
  readonly participants: number;
  readonly coordinator: Identity;
  readonly group: GroupRecord;
  /** Participant states after the DKG, in creation order (p1 first). */
  readonly states: readonly ParticipantState[];
}

/** What the FROST parties are built from besides the world (its plan, clock, generator, edge). */
export interface FrostWorldSpec {
  /** Number of participants (≥ 2). */
  readonly participants: number;
  /** Signing threshold (2..participants). */
  readonly minSigners: number;
  /** Hubert backend (default 'server'); the others are sim only. */
  readonly backend?: FrostBackend;
  readonly coordinator?: {
    readonly mode?: RoundMode;
    /** Per-participant timeout, ms. Default 600 s parallel / 30 s sequential. */
    readonly timeoutMs?: number;
  };
  /** Hubert client poll interval of every party, ms. Default 1000 (hubert-rust ServerKv). */
  readonly pollIntervalMs?: number;
  /** Per-request timeout of every Hubert client, ms. Default: {@link requestTimeoutOf} the plan. */
  readonly requestTimeoutMs?: number;
  /** Skip the DKG: the parties are the fixture's (its identities and states). */
  readonly fixture?: GroupFixture;
  /**
   * Where identities come from without a fixture (identities.ts): 'seed' (default) the world's
   * streams; 'shared' the process-wide set, in the XID order the world's streams would give.
   */
  readonly identities?: IdentitySource;
  readonly onRoundEvent?: (event: RoundEvent) => void;
  readonly onAgentEvent?: (participant: string, event: AgentEvent) => void;
  /** Aborts every in-flight round (Ctrl-C). */
  readonly signal?: AbortSignal;
  /**
   * Test seam: builds the coordinator instead of `new FrostCoordinator(options)` (e.g. a
   * deliberately broken subclass, to show that the guarantees and the trace hash catch it).
   */
  readonly makeCoordinator?: (options: FrostCoordinatorOptions) => FrostCoordinator;
}

/** The FROST parties of a world. */
export interface FrostParties {
  readonly coordinatorIdentity: Identity;
  /** Participant identities in creation order (p1 first). */
  readonly identities: readonly Identity[];
  /** Display name by XID (Bob, Carol, …). */
  readonly names: ReadonlyMap<Xid, string>;
  /** Plan target by XID (p1 …). */
  readonly targets: ReadonlyMap<Xid, string>;
  readonly coordinator: FrostCoordinator;
  readonly agents: readonly ParticipantAgent[];
  readonly backend: FrostBackend;
  /** The Hubert storage (the server's store, or the shared in-process backend). */
  readonly store: KvStore;
  /** The URL each party reaches Hubert at (server backend), by plan target. */
  readonly hubertUrls: Readonly<Record<string, string>>;
  /** Puts the store acknowledged but lost (plan `dropRequest` on `store:pN`), in order. */
  readonly lostPuts: readonly LostPut[];
  /** Data wipes (a `hubert` crash with `loseState`) with the values nobody had read yet. */
  readonly wipes: readonly Wipe[];
  /** The timing parameters in force (the oracle's input). */
  readonly timing: TimingParams;
  readonly minSigners: number;
  /** Every agent event, in order. */
  readonly agentLog: readonly { participant: string; event: AgentEvent }[];
  /** Run a DKG with every participant (their agents follow the invitations). */
  runDkg(options?: { charter?: string }): Promise<DkgFlowResult>;
  /** Run signing over `group` (default: the fixture's). */
  runSign(options: {
    target: Uint8Array;
    group?: GroupRecord;
    quorumExit?: boolean;
    invitees?: readonly Xid[];
    maxSessions?: number;
  }): Promise<SignFlowResult>;
  /** Start every agent with an ARID in `arids` following its conversation (stopped at close). */
  follow(arids: Readonly<Record<Xid, string>>): void;
  /** A {@link GroupFixture} of these parties for `group` (after a successful DKG). */
  fixtureFor(group: GroupRecord): GroupFixture;
}

/** A FROST world spec that cannot be built; `field` names the bad field. */
export class FrostWorldError extends RangeError {
  override readonly name = 'FrostWorldError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Display names: the frost-hubert demo's cast, then p27, p28, … */
export const FROST_NAMES = [
  'Bob',
  'Carol',
  'Dan',
  'Eve',
  'Frank',
  'Grace',
  'Heidi',
  'Ivan',
  'Judy',
  'Ken',
  'Laura',
  'Mallory',
  'Niaj',
  'Olivia',
  'Peggy',
  'Quentin',
  'Rupert',
  'Sybil',
  'Trent',
  'Uma',
  'Victor',
  'Walter',
  'Xena',
  'Yves',
  'Zoe',
];

/** Display name of participant `i` (0-based). */
export function participantName(i: number): string {
  return FROST_NAMES[i] ?? `p${i + 1}`;
}

/** Pause before a failed get or put is retried by the coordinator and the agents, ms. */
export const RETRY_INTERVAL_MS = 1000;

/**
 * The agent plan of participant `target`: at each request, the plan's behaviours active now
 * decide the act and think time (plan.ts `resolveAct`); `late` answers 60 s after the timeout.
 */
export function agentPlanFor(world: World, target: string, timeoutMs: number): AgentPlan {
  return (inbound: MessageType): AgentAction => {
    if (!(INBOUND_STEPS as readonly string[]).includes(inbound)) return { kind: 'respond' };
    const { act, thinkMs } = resolveAct(
      world.injector.behaviours(target, world.elapsed()),
      inbound as InboundStep,
    );
    if (act === 'vanish') return { kind: 'vanish' };
    const behaviour =
      act === 'busy'
        ? reject('Busy right now')
        : act === 'malformed' || act === 'forged' || act === 'badShare'
          ? { kind: act }
          : ACCEPT;
    return {
      kind: 'respond',
      delayMs: act === 'late' ? timeoutMs + LATE_BY_MS + thinkMs : thinkMs,
      behaviour,
    };
  };
}

function checkSpec(world: World, spec: FrostWorldSpec): FrostBackend {
  const n = spec.participants;
  if (!Number.isInteger(n) || n < 2)
    throw new FrostWorldError('participants', `must be an integer >= 2, got ${n}`);
  if (!Number.isInteger(spec.minSigners) || spec.minSigners < 2 || spec.minSigners > n)
    throw new FrostWorldError('minSigners', `must be an integer in 2..${n}, got ${spec.minSigners}`);
  if (spec.fixture !== undefined && spec.fixture.participants !== n)
    throw new FrostWorldError('fixture', `has ${spec.fixture.participants} participants, the spec ${n}`);
  const backend = spec.backend ?? 'server';
  if (!FROST_BACKENDS.includes(backend))
    throw new FrostWorldError(
      'backend',
      `must be one of ${FROST_BACKENDS.join(', ')}, got ${String(backend)}`,
    );
  if (backend !== 'server' && world.mode !== 'sim')
    throw new FrostWorldError(
      'backend',
      `'${backend}' is an in-process model: sim mode only (live runs 'server')`,
    );
  checkFrostPlan(world.plan, n);
  return backend;
}

/**
 * The identities of the parties: the fixture's, the shared set's in a seeded order, or the ones
 * the world's own streams draw (identities.ts).
 */
function identitiesOf(
  world: World,
  spec: FrostWorldSpec,
): { coordinator: Identity; participants: Identity[] } {
  if (spec.fixture !== undefined)
    return {
      coordinator: spec.fixture.coordinator,
      participants: spec.fixture.states.map((s) => s.identity),
    };
  const names = Array.from({ length: spec.participants }, (_, i) => participantName(i));
  return spec.identities === 'shared' ? sharedIdentities(world.rng, names) : identitiesFrom(world.rng, names);
}

/** Hubert for the parties: its storage, fault hooks, and one FrostKv per party. */
async function hubertFor(
  world: World,
  backend: FrostBackend,
  parties: readonly string[],
  timing: TimingParams,
): Promise<{
  store: KvStore;
  faults: PlanStoreFaults;
  kvOf: Map<string, FrostKv>;
  urls: Record<string, string>;
  wipes: Wipe[];
}> {
  const elapsed = (): number => world.elapsed();
  const faults = new PlanStoreFaults(world.injector, elapsed);
  const { store, volumes } = backendStore(backend, world.clock, faults, world.rng.fork('hybrid'));
  const recorded = new ReadRecordingKv(store);
  const wipes: Wipe[] = [];
  const down = hubertDownProbe(world.injector, elapsed, () => {
    // (hybrid: IPFS parts are read through their DHT reference, which counts as the read)
    const keys = volumes.flatMap((v) => v.keys());
    wipes.push({ at: elapsed(), unread: keys.filter((k) => !recorded.read.has(k) && faults.owners.has(k)) });
    for (const v of volumes) v.wipe();
  });
  const kvOf = new Map<string, FrostKv>();
  const urls: Record<string, string> = {};
  if (backend !== 'server') {
    for (const party of parties)
      kvOf.set(
        party,
        new EdgeKv(recorded, {
          party,
          injector: world.injector,
          elapsed,
          clock: world.clock,
          requestTimeoutMs: timing.requestTimeoutMs,
          hubertDown: down,
          record: (kind, fields) => world.record(kind, fields),
        }),
      );
    return { store, faults, kvOf, urls, wipes };
  }
  const app = createHubertApp(new CrashableKv(recorded, down));
  for (const party of parties) {
    const url = await world.serveHttp(party, (request) => app.fetch(request));
    urls[party] = url;
    kvOf.set(
      party,
      new HubertHttpClient({
        baseUrl: url,
        fetch: world.fetch,
        clock: world.clock,
        pollIntervalMs: timing.pollIntervalMs,
        requestTimeoutMs: timing.requestTimeoutMs,
        signalInInit: true, // the world's fetch honours init.signal
      }),
    );
  }
  return { store, faults, kvOf, urls, wipes };
}

/** The timing parameters of a spec in `world` (defaults as documented on {@link FrostWorldSpec}). */
function timingOf(world: World, spec: FrostWorldSpec): TimingParams {
  const mode = spec.coordinator?.mode ?? 'parallel';
  return {
    timeoutMs:
      spec.coordinator?.timeoutMs ?? (mode === 'parallel' ? PARALLEL_TIMEOUT_MS : SEQUENTIAL_TIMEOUT_MS),
    pollIntervalMs: spec.pollIntervalMs ?? SERVER_POLL_INTERVAL_MS,
    retryIntervalMs: RETRY_INTERVAL_MS,
    requestTimeoutMs: spec.requestTimeoutMs ?? requestTimeoutOf(world.view, spec.participants),
    parallel: mode === 'parallel',
  };
}

/** What the agents of a world share. */
interface AgentContext {
  readonly world: World;
  readonly spec: FrostWorldSpec;
  readonly coordinator: Identity;
  readonly kvOf: ReadonlyMap<string, FrostKv>;
  readonly faults: PlanStoreFaults;
  readonly timing: TimingParams;
  readonly log: { participant: string; event: AgentEvent }[];
}

/** The participants' agents, each with its plan-driven behaviour, its Hubert client and its stream. */
function makeAgents(c: AgentContext, identities: readonly Identity[]): ParticipantAgent[] {
  return identities.map((identity, i) => {
    const who = participantTarget(i);
    const state = c.spec.fixture?.states[i];
    return new ParticipantAgent({
      identity,
      coordinators: [publicIdentity(c.coordinator)],
      kv: c.kvOf.get(who)!,
      clock: c.world.clock,
      rng: rngBytesFn(c.world.rng.fork(`agent/${i}`)),
      plan: agentPlanFor(c.world, who, c.timing.timeoutMs),
      retryIntervalMs: RETRY_INTERVAL_MS,
      ...(state === undefined ? {} : { state }),
      onEvent: (event) => {
        if (event.type === 'listening') c.faults.own(event.arid, who);
        if (event.type === 'received' && event.replyArid !== undefined) c.faults.own(event.replyArid, who);
        c.log.push({ participant: who, event });
        c.world.record('agent', { who, type: event.type });
        c.spec.onAgentEvent?.(who, event);
      },
    });
  });
}

/** The coordinator, its round events attributing ARIDs to their participants (store faults). */
function makeCoordinator(
  c: AgentContext,
  targets: ReadonlyMap<Xid, string>,
  stop: AbortSignal,
): FrostCoordinator {
  const onEvent = (e: RoundEvent): void => {
    if (e.type === 'phase-start') {
      for (const t of e.targets) c.faults.own(t.arid, targets.get(t.xid) ?? 'unknown');
      c.world.record('round', { round: e.round, phase: e.phase, targets: e.targets.length });
    }
    c.spec.onRoundEvent?.(e);
  };
  const options: FrostCoordinatorOptions = {
    identity: c.coordinator,
    rng: rngBytesFn(c.world.rng.fork('coordinator')),
    kv: c.kvOf.get(COORDINATOR)!,
    clock: c.world.clock,
    mode: c.timing.parallel ? 'parallel' : 'sequential',
    timeoutMs: c.timing.timeoutMs,
    retryIntervalMs: RETRY_INTERVAL_MS,
    // the world's close stops what the coordinator still has in flight (background invitation puts)
    signal: c.spec.signal === undefined ? stop : AbortSignal.any([c.spec.signal, stop]),
    onEvent,
  };
  return c.spec.makeCoordinator?.(options) ?? new FrostCoordinator(options);
}

/**
 * Build the FROST parties in `world` (see the module docstring). Closed with the world.
 * @throws FrostWorldError for fewer than 2 participants, a bad minSigners, a fixture that does not
 *   fit, an unknown backend or an in-process backend live; FrostPlanError (plan.ts) for a plan
 *   rule a FROST world cannot apply.
 */
export async function buildFrostWorld(world: World, spec: FrostWorldSpec): Promise<FrostParties> {
  const backend = checkSpec(world, spec);
  const n = spec.participants;
  const timing = timingOf(world, spec);
  const ids = identitiesOf(world, spec);
  const names = new Map(ids.participants.map((id, i) => [id.xid, participantName(i)]));
  const targets = new Map(ids.participants.map((id, i) => [id.xid, participantTarget(i)]));
  const partyTargets = [COORDINATOR, ...ids.participants.map((_, i) => participantTarget(i))];
  const hubert = await hubertFor(world, backend, partyTargets, timing);
  const { faults } = hubert;
  const stop = new AbortController();
  // Every agent keeps up to two listeners on the shared stop signal (its pending get and sleep).
  setMaxListeners(Math.max(10, 2 * n + 10), stop.signal);
  world.defer(() => stop.abort());
  const c: AgentContext = {
    world,
    spec,
    coordinator: ids.coordinator,
    kvOf: hubert.kvOf,
    faults,
    timing,
    log: [],
  };
  const coordinator = makeCoordinator(c, targets, stop.signal);
  const agents = makeAgents(c, ids.participants);
  const follow = (arids: Readonly<Record<Xid, string>>): void => {
    for (const a of agents) {
      const arid = arids[a.xid];
      if (arid !== undefined) void a.follow(arid, stop.signal);
    }
  };
  /** Hand the invitations out: attribute each participant's ARIDs, start its agent. */
  const invited = (s: {
    collectArids: Readonly<Record<Xid, string>>;
    inviteArids: Readonly<Record<Xid, string>>;
  }) => {
    for (const [x, arid] of Object.entries(s.collectArids)) faults.own(arid, targets.get(x) ?? 'unknown');
    follow(s.inviteArids);
  };
  const call = spec.signal === undefined ? {} : { signal: spec.signal };
  return {
    coordinatorIdentity: ids.coordinator,
    identities: ids.participants,
    names,
    targets,
    coordinator,
    agents,
    backend,
    store: hubert.store,
    hubertUrls: hubert.urls,
    lostPuts: faults.lostPuts,
    wipes: hubert.wipes,
    timing,
    minSigners: spec.minSigners,
    agentLog: c.log,
    follow,
    runDkg: (o = {}) =>
      runDkgFlow(coordinator, {
        participants: ids.participants.map(publicIdentity),
        minSigners: spec.minSigners,
        charter: o.charter ?? `FROST ${spec.minSigners}-of-${n} demo group`,
        onInvited: invited,
        ...call,
      }),
    runSign: (o) => {
      const group = o.group ?? spec.fixture?.group;
      if (group === undefined)
        throw new FrostWorldError('group', 'runSign needs a group (run a DKG or pass a fixture)');
      return runSignFlow(coordinator, {
        group,
        target: o.target,
        ...(o.invitees === undefined ? {} : { invitees: o.invitees }),
        ...(o.maxSessions === undefined ? {} : { maxSessions: o.maxSessions }),
        quorumExit: o.quorumExit === true,
        onInvited: invited,
        ...call,
      });
    },
    fixtureFor: (group) => ({
      identitySeed: world.seed,
      participants: n,
      coordinator: ids.coordinator,
      group,
      states: agents.map((a) => a.state),
    }),
  };
}
