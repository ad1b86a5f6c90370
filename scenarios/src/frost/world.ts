/**
 * A FROST-over-Hubert world: a coordinator (Alice), N participants (Bob, Carol, …) as agents
 * polling their ARIDs, and a Hubert server — in the simulated network on a VirtualClock (sim) or
 * as a real Hubert HTTP server on 127.0.0.1 (live).
 *
 * Fault-plan targets (every rule of the sim kit's vocabulary applies):
 * - `coordinator`, `p1` … `pN`: each party's network link to Hubert (its own origin bound to the
 *   same Hubert app): latency, partition of a participant, dropRequest/dropReply, forceStatus
 *   (5xx seen by that party), delay, pause.
 * - `store:p1` … `store:pN`: Hubert storage operations on the ARIDs of that participant
 *   (requests to it and its responses), through the store's fault hooks: `latency.perTarget`
 *   is the per-ARID latency of every operation (a DHT lookup, one per poll); a `delay` rule slows
 *   them further; `dropRequest` on a put is a lost write (acknowledged, never stored);
 *   `forceStatus` on a put fails it with that status (5xx).
 * - `hubert`: the server process: `crash` (+ `restartAfterMs`) makes it refuse connections (sim)
 *   or answer 503 to every request (live); `loseState: true` wipes its data at the crash (by
 *   default acknowledged puts survive).
 *
 * Participant behaviours (what the agent does per inbound message) are not network faults and
 * live in the spec: think time, busy (reject "Busy right now"), vanish, late (answer after the
 * coordinator's timeout), malformed, forged, badShare.
 */
import { setMaxListeners } from 'node:events';
import { realClock, VirtualClock, type Clock } from '@fanout/core';
import {
  ACCEPT,
  FrostCoordinator,
  ParticipantAgent,
  PARALLEL_TIMEOUT_MS,
  SEQUENTIAL_TIMEOUT_MS,
  createIdentity,
  publicIdentity,
  reject,
  runDkgFlow,
  runSignFlow,
  type AgentAction,
  type AgentEvent,
  type AgentPlan,
  type Behaviour,
  type DkgFlowResult,
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
import {
  FaultInjector,
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
import {
  HubertHttpClient,
  HubertRequestTimeoutError,
  HubertServerError,
  HubertUnavailableError,
  HybridKvStore,
  MainlineKvStore,
  SERVER_POLL_INTERVAL_MS,
  canonicalAridUr,
  createHubertApp,
  createMemoryKvStore,
  createServerKvStore,
  type GetOptions,
  type HubertFaults,
  type KvVolume,
  type KvStore,
  type PutOptions,
} from '@fanout/sim-hubert';
import type { Mode } from '../framework.js';
import { startLiveHubert } from './live/hubert.js';

/** What a participant does with one kind of request. */
export type Act = 'accept' | 'busy' | 'vanish' | 'late' | 'malformed' | 'forged' | 'badShare';

/** Requests a participant receives. */
export type InboundType = Extract<
  MessageType,
  'dkgInvite' | 'dkgRound2' | 'dkgFinalize' | 'signInvite' | 'signRound2' | 'signFinalize'
>;

/** One participant's behaviour. */
export interface ParticipantSpec {
  /** Think time before every answer, ms (default 0). */
  readonly thinkMs?: number;
  /** Think time per request type (overrides thinkMs), ms. */
  readonly thinkMsOn?: Readonly<Partial<Record<InboundType, number>>>;
  /** What to do per request type (default 'accept'). */
  readonly on?: Readonly<Partial<Record<InboundType, Act>>>;
}

/** A DKG done once and reused (crypto is slow): identities come from `identitySeed`. */
export interface GroupFixture {
  readonly identitySeed: number;
  readonly participants: number;
  readonly group: GroupRecord;
  /** Participant states after the DKG, in creation order (p1 first). */
  readonly states: readonly ParticipantState[];
}

/**
 * Which Hubert backend holds the messages (hubert-rust v0.5.0 storage backends):
 * - `server` (default): the Hubert HTTP server (byte-exact API) over its store; every party
 *   talks HTTP to it (sim: over the simulated network; live: a real server on 127.0.0.1).
 * - `memory`: hubert's in-process MemoryKv (500 ms polls, no TTL clamp), shared by the parties.
 * - `mainline`: a BEP-44 Mainline DHT model (1000-byte value limit, no TTL, check-then-put).
 *   As upstream's MainlineDhtKv, a value over the limit is NOT split or referenced: the put fails
 *   with `Value size N exceeds DHT limit of 1000 bytes` (a permanent error, never retried).
 * - `hybrid`: small values in the DHT, larger ones in IPFS behind a DHT reference envelope.
 * The in-process backends (memory, mainline, hybrid) are sim only: each party reaches the shared
 * store through an edge that applies its link faults (latency, partition, dropped requests and
 * replies, forced statuses) and the `hubert` crash rules; a get is one exchange that polls inside
 * the store.
 */
export type FrostBackend = 'memory' | 'server' | 'mainline' | 'hybrid';

/** Every backend, in documentation order. */
export const FROST_BACKENDS: readonly FrostBackend[] = ['server', 'memory', 'mainline', 'hybrid'];

/** Everything a world is built from. JSON-serialisable except the callbacks and fixture. */
export interface FrostWorldSpec {
  readonly seed: number;
  readonly mode: Mode;
  /** Hubert backend (default 'server'); see {@link FrostBackend}. Live supports 'server' only. */
  readonly backend?: FrostBackend;
  /** Number of participants (≥ 2). */
  readonly participants: number;
  readonly minSigners: number;
  /** Per participant, in creation order (index 0 = p1). Missing entries: honest, instant. */
  readonly behaviours?: readonly ParticipantSpec[];
  /** Store latency of each participant's ARIDs (index 0 = p1), per operation. */
  readonly storeLatency?: readonly (LatencySpec | undefined)[];
  /** Network latency of every party's link. Default none (sim), none (live). */
  readonly linkLatency?: LatencySpec;
  /** Extra plan rules (targets: coordinator, p1…pN, store:p1…, hubert). */
  readonly extraRules?: FaultPlanInput['rules'];
  /** Use this plan instead of deriving one (replay). */
  readonly plan?: FaultPlan;
  readonly coordinator?: {
    readonly mode?: RoundMode;
    /** Per-participant timeout, ms. Default 600 s parallel / 30 s sequential. */
    readonly timeoutMs?: number;
  };
  /**
   * Hubert client poll interval of every party, ms. Default 1000 in both modes: the Hubert server
   * backend's poll interval (hubert-rust ServerKv). Faster polling (e.g. 100 ms in a live
   * benchmark) must be asked for explicitly, and reported with the figures it produced.
   */
  readonly pollIntervalMs?: number;
  /**
   * Per-request timeout of every party's Hubert client, ms. Default: 60 s, or more when the store
   * and link latencies of the spec could exceed half of it (2 × their worst case + 10 s), so a
   * slow but working Hubert is never mistaken for a lost request.
   */
  readonly requestTimeoutMs?: number;
  /** Identities from this seed instead of `seed` (to reuse a {@link GroupFixture}). */
  readonly identitySeed?: number;
  /** Skip the DKG: the participants already hold this group. */
  readonly fixture?: GroupFixture;
  readonly onRoundEvent?: (event: RoundEvent) => void;
  readonly onAgentEvent?: (participant: string, event: AgentEvent) => void;
  readonly signal?: AbortSignal;
}

/** A built world. */
export interface FrostWorld {
  readonly mode: Mode;
  readonly clock: Clock;
  readonly plan: FaultPlan;
  readonly trace: Trace;
  readonly rng: Rng;
  readonly coordinatorIdentity: Identity;
  /** Participant identities in creation order (p1 first). */
  readonly identities: readonly Identity[];
  /** Display name by XID (Bob, Carol, …). */
  readonly names: ReadonlyMap<Xid, string>;
  /** Plan target by XID (p1 …). */
  readonly targets: ReadonlyMap<Xid, string>;
  readonly coordinator: FrostCoordinator;
  readonly agents: readonly ParticipantAgent[];
  /** The Hubert backend in use. */
  readonly backend: FrostBackend;
  /** Puts the store acknowledged but lost (plan `dropRequest` on `store:pN`), in order. */
  readonly lostPuts: readonly { readonly arid: string; readonly party: string; readonly at: number }[];
  /**
   * Data wipes (a `hubert` crash with `loseState`), each with the stored ARIDs that nobody had
   * read yet: a non-empty `unread` means a message was lost.
   */
  readonly wipes: readonly { readonly at: number; readonly unread: readonly string[] }[];
  /** The Hubert storage (the server's store, or the shared in-process backend). */
  readonly store: KvStore;
  /** Live only: the Hubert server URL. */
  readonly hubertUrl?: string;
  /** Effective per-participant timeout of the coordinator, ms. */
  readonly timeoutMs: number;
  /** Poll interval of every party's Hubert client, ms. */
  readonly pollIntervalMs: number;
  /** Every agent event, in order. */
  readonly agentLog: readonly { participant: string; event: AgentEvent }[];
  /** Run a DKG with every participant (their agents follow the invitations). */
  runDkg(options?: { charter?: string }): Promise<DkgFlowResult>;
  /** Run a signing session over `group` (default: the fixture's). */
  runSign(options: {
    target: Uint8Array;
    group?: GroupRecord;
    quorumExit?: boolean;
    invitees?: readonly Xid[];
    /** Signing sessions at most (default 3; see runSignFlow). */
    maxSessions?: number;
  }): Promise<SignFlowResult>;
  /** Start every agent that has an ARID in `arids` following its conversation (stopped by close). */
  follow(arids: Readonly<Record<Xid, string>>): void;
  /** A {@link GroupFixture} of this world's participants for `group` (after a successful DKG). */
  fixtureFor(group: GroupRecord): GroupFixture;
  close(): Promise<void>;
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

/** Plan target of participant `i` (0-based): `p1`, `p2`, … */
export function participantTarget(i: number): string {
  return `p${i + 1}`;
}

/** The coordinator's effective timeout for a spec, ms. */
export function frostTimeoutOf(spec: Pick<FrostWorldSpec, 'coordinator'>): number {
  const mode = spec.coordinator?.mode ?? 'parallel';
  return spec.coordinator?.timeoutMs ?? (mode === 'parallel' ? PARALLEL_TIMEOUT_MS : SEQUENTIAL_TIMEOUT_MS);
}

/** Upper bound of one latency sample, ms (Infinity when the model has no bound). */
function latencyBoundMs(l: LatencySpec | undefined): number {
  if (l === undefined) return 0;
  const jitter = 'jitterMs' in l && typeof l.jitterMs === 'number' ? l.jitterMs : 0;
  switch (l.kind) {
    case 'constant':
      return l.ms + jitter;
    case 'uniform':
      return l.maxMs + jitter;
    default:
      return 'capMs' in l && typeof l.capMs === 'number' ? l.capMs + jitter : Number.POSITIVE_INFINITY;
  }
}

/** The Hubert clients' per-request timeout for a spec, ms (see {@link FrostWorldSpec.requestTimeoutMs}). */
export function frostRequestTimeoutOf(spec: FrostWorldSpec): number {
  if (spec.requestTimeoutMs !== undefined) return spec.requestTimeoutMs;
  const worst =
    Math.max(0, ...(spec.storeLatency ?? []).map(latencyBoundMs)) + latencyBoundMs(spec.linkLatency);
  return Number.isFinite(worst) ? Math.max(60_000, 2 * worst + 10_000) : Number.POSITIVE_INFINITY;
}

/** Derive the fault plan of a spec (pure, JSON-serialisable). */
export function frostPlanFor(spec: FrostWorldSpec): FaultPlan {
  if (spec.plan !== undefined) return spec.plan;
  const perTarget: Record<string, LatencySpec> = {};
  spec.storeLatency?.forEach((l, i) => {
    if (l !== undefined) perTarget[`store:${participantTarget(i)}`] = l;
  });
  if (spec.linkLatency !== undefined) {
    perTarget['coordinator'] = spec.linkLatency;
    for (let i = 0; i < spec.participants; i++) perTarget[participantTarget(i)] = spec.linkLatency;
  }
  const acts = (spec.behaviours ?? [])
    .map((b, i) => {
      const on = Object.entries(b.on ?? {}).filter(([, a]) => a !== 'accept');
      return on.length === 0 ? '' : `${participantTarget(i)}: ${on.map(([t, a]) => `${t}=${a}`).join(',')}`;
    })
    .filter(Boolean);
  return parseFaultPlan({
    description: `FROST ${spec.minSigners}-of-${spec.participants}${acts.length > 0 ? `; ${acts.join('; ')}` : ''}`,
    latency: { perTarget },
    rules: spec.extraRules ?? [],
  });
}

/** The agent plan of one participant. */
export function agentPlanFor(spec: ParticipantSpec | undefined, timeoutMs: number): AgentPlan {
  return (inbound: MessageType): AgentAction => {
    const t = inbound as InboundType;
    const act: Act = spec?.on?.[t] ?? 'accept';
    const think = spec?.thinkMsOn?.[t] ?? spec?.thinkMs ?? 0;
    const behaviour: Behaviour =
      act === 'busy'
        ? reject('Busy right now')
        : act === 'malformed' || act === 'forged' || act === 'badShare'
          ? { kind: act }
          : ACCEPT;
    if (act === 'vanish') return { kind: 'vanish' };
    return { kind: 'respond', delayMs: act === 'late' ? timeoutMs + 60_000 + think : think, behaviour };
  };
}

/** Hubert fault hooks driven by the plan's `store:*` and `hubert` targets. */
class PlanStoreFaults implements HubertFaults {
  /** Canonical ARID → participant target (p1…). */
  readonly owners = new Map<string, string>();
  /** Puts acknowledged but never stored (`dropRequest` on `store:pN`), in order. */
  readonly lostPuts: { arid: string; party: string; at: number }[] = [];
  readonly #pendingPut = new Map<string, { lose: boolean; status?: { status: number; body?: string } }>();
  readonly #pendingGet = new Map<string, { status: number; body?: string }>();
  constructor(
    readonly injector: FaultInjector,
    readonly elapsed: () => number,
  ) {}

  own(arid: string, target: string): void {
    try {
      this.owners.set(canonicalAridUr(arid), target);
    } catch {
      // not an ARID: nothing to attribute
    }
  }

  extraLatencyMs(op: 'put' | 'get' | 'exists', arid: string): number {
    const who = this.owners.get(arid);
    if (who === undefined) return 0;
    const d = this.injector.decide(`store:${who}`, this.elapsed());
    if (op === 'put') {
      this.#pendingPut.set(arid, {
        lose: d.dropRequest,
        ...(d.forceStatus === undefined
          ? {}
          : {
              status: {
                status: d.forceStatus.status,
                ...(d.forceStatus.message === undefined ? {} : { body: d.forceStatus.message }),
              },
            }),
      });
    }
    const hold = Number.isFinite(d.holdMs) ? d.holdMs : 0;
    let extra = 0;
    if (op === 'get') {
      // Per-operation faults of gets only: `store-get:pN` (delay → slow get, forceStatus → 5xx).
      const g = this.injector.decide(`store-get:${who}`, this.elapsed());
      extra = g.latencyMs + g.extraReplyMs + (Number.isFinite(g.holdMs) ? g.holdMs : 0);
      if (g.forceStatus !== undefined)
        this.#pendingGet.set(arid, {
          status: g.forceStatus.status,
          ...(g.forceStatus.message === undefined ? {} : { body: g.forceStatus.message }),
        });
      else this.#pendingGet.delete(arid);
    }
    return d.latencyMs + d.extraReplyMs + hold + extra;
  }

  beforePut(arid: string): 'ok' | 'lose' | { status: number; body?: string } {
    const d = this.#pendingPut.get(arid);
    this.#pendingPut.delete(arid);
    if (d === undefined) return 'ok';
    if (d.status !== undefined) return d.status;
    if (d.lose) this.lostPuts.push({ arid, party: this.owners.get(arid) ?? 'unknown', at: this.elapsed() });
    return d.lose ? 'lose' : 'ok';
  }

  beforeGet(arid: string): 'ok' | { status: number; body?: string } {
    const d = this.#pendingGet.get(arid);
    this.#pendingGet.delete(arid);
    return d ?? 'ok';
  }
}

/**
 * The store as the parties see it, recording which ARIDs' values have left the store (a get
 * that returned them): the ground truth of "already read" when a crash wipes the data.
 */
class ReadRecordingKv implements KvStore {
  /** Canonical ARIDs read at least once. */
  readonly read = new Set<string>();
  constructor(readonly inner: KvStore) {}
  put(arid: string, envelope: string, ttlSeconds?: number, options?: PutOptions): Promise<string> {
    return this.inner.put(arid, envelope, ttlSeconds, options);
  }
  async get(arid: string, options?: GetOptions | number): Promise<string | null> {
    const v = await this.inner.get(arid, options);
    if (v !== null) this.read.add(canonicalAridUr(arid));
    return v;
  }
  exists(arid: string): Promise<boolean> {
    return this.inner.exists(arid);
  }
}

/**
 * Front of the Hubert app for the `hubert` target: refuses connections while crashed (the client
 * sees a transport error) and wipes the data at a crash with `loseState`.
 */
function crashableHandler(
  handler: (request: Request) => Response | Promise<Response>,
  injector: FaultInjector,
  elapsed: () => number,
  wipe: () => void,
): (request: Request) => Promise<Response> {
  const down = hubertCrashes(injector, elapsed, wipe);
  return async (request) => {
    if (down()) throw new Error('ECONNREFUSED: the Hubert server is down');
    return handler(request);
  };
}

/**
 * The plan's `hubert` crash rules: returns a probe "is Hubert down now?" that also wipes the
 * data (once per crash) when a crash with `loseState` has happened.
 */
function hubertCrashes(injector: FaultInjector, elapsed: () => number, wipe: () => void): () => boolean {
  const wiped = new Set<number>();
  return () => {
    const t = elapsed();
    injector.crashesOf('hubert').forEach((c, i) => {
      if (c.loseState && c.atMs <= t && !wiped.has(i)) {
        wiped.add(i);
        wipe();
      }
    });
    return injector.crashState('hubert', t).down;
  };
}

/**
 * A store that fails every operation with {@link HubertUnavailableError} while `down()` says so
 * (live: the Hubert server process is "crashed"; its HTTP front answers 503).
 */
class CrashableKv implements KvStore {
  constructor(
    readonly inner: KvStore,
    readonly down: () => boolean,
  ) {}
  #check(): void {
    if (this.down()) throw new HubertUnavailableError('the Hubert server is down (crash rule)');
  }
  async put(arid: string, envelope: string, ttlSeconds?: number, options?: PutOptions): Promise<string> {
    this.#check();
    return this.inner.put(arid, envelope, ttlSeconds, options);
  }
  async get(arid: string, options?: GetOptions | number): Promise<string | null> {
    this.#check();
    return this.inner.get(arid, options);
  }
  async exists(arid: string): Promise<boolean> {
    this.#check();
    return this.inner.exists(arid);
  }
}

/**
 * One party's access to an in-process backend (memory, mainline, hybrid), with that party's link
 * faults from the plan applied per exchange (sim only): half the sampled latency each way, a
 * partition / crashed party / dropped request → no answer, seen as a
 * {@link HubertRequestTimeoutError} after `requestTimeoutMs`; a dropped reply → the operation ran
 * but the caller sees {@link HubertUnavailableError}; forceStatus → {@link HubertServerError};
 * Hubert down (`hubert` crash rules) → HubertUnavailableError.
 */
class EdgeKv implements FrostKv {
  constructor(
    readonly store: KvStore,
    readonly party: string,
    readonly injector: FaultInjector,
    readonly elapsed: () => number,
    readonly clock: Clock,
    readonly requestTimeoutMs: number,
    readonly hubertDown: () => boolean,
  ) {}

  async #exchange<T>(op: '/put' | '/get', fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    signal?.throwIfAborted();
    const d = this.injector.decide(this.party, this.elapsed());
    if (d.unreachable !== undefined || d.dropRequest || d.holdMs === Number.POSITIVE_INFINITY) {
      await this.clock.sleep(this.requestTimeoutMs, signal);
      throw new HubertRequestTimeoutError(op, this.requestTimeoutMs);
    }
    await this.clock.sleep(d.latencyMs / 2 + d.holdMs, signal);
    if (this.hubertDown()) throw new HubertUnavailableError('ECONNREFUSED: the Hubert store is down');
    if (d.forceStatus !== undefined)
      throw new HubertServerError(d.forceStatus.status, d.forceStatus.message ?? 'Injected fault');
    const value = await fn();
    await this.clock.sleep(d.latencyMs / 2 + d.extraReplyMs, signal);
    if (d.dropReply) throw new HubertUnavailableError('reply lost');
    return value;
  }

  put(arid: string, envelope: string, ttlSeconds?: number, options: PutOptions = {}): Promise<string> {
    return this.#exchange('/put', () => this.store.put(arid, envelope, ttlSeconds, options), options.signal);
  }

  get(arid: string, options: GetOptions = {}): Promise<string | null> {
    return this.#exchange('/get', () => this.store.get(arid, options), options.signal);
  }
}

/**
 * Build a world. Sim: one VirtualClock drives everything. Live: a real Hubert HTTP server on
 * 127.0.0.1 (ephemeral port), per-party proxies applying the plan at their edge when the plan
 * names that party, and wall time.
 * @throws RangeError for fewer than 2 participants, a bad minSigners, or a fixture that does not fit.
 */
export async function buildFrostWorld(spec: FrostWorldSpec): Promise<FrostWorld> {
  const n = spec.participants;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`participants must be an integer >= 2, got ${n}`);
  if (!Number.isInteger(spec.minSigners) || spec.minSigners < 2 || spec.minSigners > n)
    throw new RangeError(`minSigners must be an integer in 2..${n}, got ${spec.minSigners}`);
  if (spec.fixture !== undefined && spec.fixture.participants !== n)
    throw new RangeError(`fixture has ${spec.fixture.participants} participants, spec ${n}`);
  const rng = createRng(spec.seed);
  const idRng = createRng(spec.fixture?.identitySeed ?? spec.identitySeed ?? spec.seed);
  const clock: Clock = spec.mode === 'sim' ? new VirtualClock() : realClock;
  const plan = frostPlanFor(spec);
  const trace = new Trace({ enabled: spec.mode === 'sim', maxEvents: 2000 });
  const timeoutMs = frostTimeoutOf(spec);
  const mode = spec.coordinator?.mode ?? 'parallel';
  const pollIntervalMs = spec.pollIntervalMs ?? SERVER_POLL_INTERVAL_MS;
  const requestTimeoutMs = frostRequestTimeoutOf(spec);

  const coordinatorIdentity = createIdentity(rngBytesFn(idRng.fork('identity/coordinator')), 'Alice');
  const identities = Array.from({ length: n }, (_, i) =>
    createIdentity(rngBytesFn(idRng.fork(`identity/${i}`)), participantName(i)),
  );
  const names = new Map(identities.map((id, i) => [id.xid, participantName(i)]));
  const targets = new Map(identities.map((id, i) => [id.xid, participantTarget(i)]));

  // Hubert: the server's storage, its fault hooks, and one client per party.
  const t0 = clock.now();
  const elapsed = (): number => clock.now() - t0;
  let net: SimNetwork | undefined;
  const injector = spec.mode === 'sim' ? undefined : new FaultInjector(plan, rng.fork('network'));
  if (spec.mode === 'sim') net = new SimNetwork({ clock, rng: rng.fork('network'), plan, trace });
  const inj = net?.injector ?? injector!;
  const faults = new PlanStoreFaults(inj, net === undefined ? elapsed : () => net!.elapsed());
  const backend = spec.backend ?? 'server';
  if (!FROST_BACKENDS.includes(backend))
    throw new RangeError(`backend must be one of ${FROST_BACKENDS.join(', ')}, got ${String(backend)}`);
  if (backend !== 'server' && spec.mode !== 'sim')
    throw new RangeError(`backend '${backend}' is an in-process model: sim mode only (live runs 'server')`);
  let backendStore: KvStore;
  let volumes: KvVolume[];
  if (backend === 'hybrid') {
    const hybrid = new HybridKvStore({ clock, faults, rng: rngBytesFn(rng.fork('hybrid')) });
    backendStore = hybrid;
    volumes = [hybrid.dht.volume, hybrid.ipfs.volume];
  } else {
    const simStore =
      backend === 'server'
        ? createServerKvStore({ clock, faults })
        : backend === 'memory'
          ? createMemoryKvStore({ clock, faults })
          : new MainlineKvStore({ clock, faults });
    backendStore = simStore;
    volumes = [simStore.volume];
  }
  const recorded = new ReadRecordingKv(backendStore);
  const store: KvStore = recorded;
  const wipes: { at: number; unread: string[] }[] = [];
  const wipe = (): void => {
    // (hybrid: the IPFS parts are read through their DHT reference, which counts as the read)
    const keys = volumes.flatMap((v) => v.keys());
    wipes.push({ at: elapsed(), unread: keys.filter((k) => !recorded.read.has(k) && faults.owners.has(k)) });
    for (const v of volumes) v.wipe();
  };
  let kvOf: (party: string) => FrostKv;
  let closeHubert: () => Promise<void> = async () => {};
  let hubertUrl: string | undefined;
  if (net !== undefined && backend !== 'server') {
    const down = hubertCrashes(net.injector, () => net!.elapsed(), wipe);
    kvOf = (p) => new EdgeKv(store, p, net!.injector, () => net!.elapsed(), clock, requestTimeoutMs, down);
  } else if (net !== undefined) {
    const app = createHubertApp(store);
    const handler = crashableHandler(app.fetch, net.injector, () => net!.elapsed(), wipe);
    const parties = ['coordinator', ...identities.map((_, i) => participantTarget(i))];
    for (const p of parties) net.bindHttp(`http://${p}.hubert.sim`, p, handler);
    kvOf = (p) =>
      new HubertHttpClient({
        baseUrl: `http://${p}.hubert.sim`,
        fetch: net!.fetch,
        clock,
        pollIntervalMs,
        requestTimeoutMs,
      });
  } else {
    const parties = ['coordinator', ...identities.map((_, i) => participantTarget(i))];
    // The `hubert` crash rules live: while down, every store operation fails (the server answers
    // 503 `Service Unavailable`); a crash with `loseState` wipes the data.
    const down = hubertCrashes(inj, elapsed, wipe);
    const live = await startLiveHubert({
      store: new CrashableKv(store, down),
      plan,
      rng: rng.fork('network'),
      parties,
    });
    hubertUrl = live.url;
    closeHubert = live.close;
    kvOf = (p) =>
      new HubertHttpClient({
        baseUrl: live.urlFor(p),
        fetch: live.fetch,
        clock,
        pollIntervalMs,
        requestTimeoutMs,
      });
  }

  const agentLog: { participant: string; event: AgentEvent }[] = [];
  const stop = new AbortController();
  // Every agent keeps up to two listeners on the shared stop signal (its pending get and sleep).
  setMaxListeners(Math.max(10, 2 * n + 10), stop.signal);
  const onRoundEvent = (e: RoundEvent): void => {
    if (e.type === 'phase-start') {
      for (const t of e.targets) faults.own(t.arid, targets.get(t.xid) ?? 'unknown');
      trace.record({
        t: elapsed(),
        kind: 'round',
        round: e.round,
        phase: e.phase,
        targets: e.targets.length,
      });
    } else if (e.type === 'participant-settled') {
      trace.record({
        t: elapsed(),
        kind: 'outcome',
        round: e.round,
        phase: e.phase,
        who: targets.get(e.outcome.xid) ?? e.outcome.xid,
        status: e.outcome.status,
      });
    }
    spec.onRoundEvent?.(e);
  };
  const coordinator = new FrostCoordinator({
    identity: coordinatorIdentity,
    rng: rngBytesFn(rng.fork('coordinator')),
    kv: kvOf('coordinator'),
    clock,
    mode,
    timeoutMs,
    retryIntervalMs: 1000,
    // close() stops what the coordinator still has in flight (background invitation puts).
    signal: spec.signal === undefined ? stop.signal : AbortSignal.any([spec.signal, stop.signal]),
    onEvent: onRoundEvent,
  });
  const agents = identities.map((identity, i) => {
    const who = participantTarget(i);
    const fixtureState = spec.fixture?.states[i];
    return new ParticipantAgent({
      identity,
      coordinators: [publicIdentity(coordinatorIdentity)],
      kv: kvOf(who),
      clock,
      rng: rngBytesFn(rng.fork(`agent/${i}`)),
      plan: agentPlanFor(spec.behaviours?.[i], timeoutMs),
      ...(fixtureState === undefined ? {} : { state: fixtureState }),
      onEvent: (event) => {
        if (event.type === 'listening') faults.own(event.arid, who);
        if (event.type === 'received' && event.replyArid !== undefined) faults.own(event.replyArid, who);
        agentLog.push({ participant: who, event });
        trace.record({ t: elapsed(), kind: `agent.${event.type}`, who });
        spec.onAgentEvent?.(who, event);
      },
    });
  });
  const followAll = (arids: Readonly<Record<Xid, string>>): void => {
    for (const a of agents) {
      const arid = arids[a.xid];
      if (arid !== undefined) void a.follow(arid, stop.signal);
    }
  };

  return {
    mode: spec.mode,
    clock,
    plan,
    trace,
    rng,
    coordinatorIdentity,
    identities,
    names,
    targets,
    coordinator,
    agents,
    backend,
    store: backendStore,
    lostPuts: faults.lostPuts,
    wipes,
    ...(hubertUrl === undefined ? {} : { hubertUrl }),
    timeoutMs,
    pollIntervalMs,
    agentLog,
    runDkg: (options = {}) =>
      runDkgFlow(coordinator, {
        participants: identities.map(publicIdentity),
        minSigners: spec.minSigners,
        charter: options.charter ?? `FROST ${spec.minSigners}-of-${n} demo group`,
        onInvited: (session) => {
          for (const m of session.members)
            faults.own(session.collectArids[m.identity.xid]!, targets.get(m.identity.xid)!);
          followAll(session.inviteArids);
        },
        ...(spec.signal === undefined ? {} : { signal: spec.signal }),
      }),
    runSign: (options) => {
      const group = options.group ?? spec.fixture?.group;
      if (group === undefined) throw new RangeError('runSign needs a group (run a DKG or pass a fixture)');
      return runSignFlow(coordinator, {
        group,
        target: options.target,
        ...(options.invitees === undefined ? {} : { invitees: options.invitees }),
        ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
        quorumExit: options.quorumExit === true,
        onInvited: (session) => {
          for (const m of session.invitees)
            faults.own(session.collectArids[m.identity.xid]!, targets.get(m.identity.xid)!);
          followAll(session.inviteArids);
        },
        ...(spec.signal === undefined ? {} : { signal: spec.signal }),
      });
    },
    follow: followAll,
    fixtureFor: (group) => ({
      identitySeed: spec.fixture?.identitySeed ?? spec.identitySeed ?? spec.seed,
      participants: n,
      group,
      states: agents.map((a) => a.state),
    }),
    close: async () => {
      stop.abort();
      await closeHubert();
    },
  };
}
