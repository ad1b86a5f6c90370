/**
 * The coordinator (seeds/004 CoordinatorNode): node registry, heartbeats, selection, training
 * rounds fanned out through @fanout/core, Byzantine screening, robust aggregation, reliability,
 * rewards and slashing, Prometheus metrics, and an append-only log it recovers from.
 *
 * Sans-I/O where it can be: it reaches trainers only through an injected {@link TrainerTransport},
 * reads time only from an injected Clock, draws randomness only from an injected RandomBytes, and
 * persists only through an injected {@link RoundLog}. The same object runs in virtual time on
 * SimNetwork and on wall time behind an HTTP server (@fanout/sim-prime).
 */
import type { Clock, RandomBytes } from '@fanout/core';
import { parseCoordinatorConfig, type CoordinatorConfig, type CoordinatorConfigInput } from './config.js';
import { PrimeInputError, UnknownRoundError } from './errors.js';
import { heartbeatLoop, heartbeatOnce, type HeartbeatSummary } from './heartbeat.js';
import { RewardLedger } from './ledger.js';
import { MemoryRoundLog, parseLogEntries, type RoundLog } from './log.js';
import { CoordinatorMetrics } from './metrics.js';
import {
  evaluate,
  initialParams,
  paramCount,
  type Dataset,
  type Evaluation,
  type ModelShape,
} from './model.js';
import { replayLog } from './recovery.js';
import { NodeRegistry, parseNodeInput, type NodeView } from './registry.js';
import { resumeRound, runRound, type RoundOptions } from './round.js';
import { PerformanceBasedSelector, type NodeSelector } from './selector.js';
import { append, emit, type CoordinatorEvent, type CoordinatorState, type RoundReport } from './state.js';
import type { TrainerTransport } from './transport.js';

/** Options of {@link Coordinator.open}. */
export interface CoordinatorOptions {
  /** This coordinator's id (e.g. 'coordinator-001'); a constant label on its metrics. */
  readonly id: string;
  /** Partial config; defaults in config.ts. */
  readonly config?: CoordinatorConfigInput;
  /** Time source (VirtualClock in simulation, realClock live). Required: no default. */
  readonly clock: Clock;
  /** Random bytes for task ids (a seeded stream in simulation, a CSPRNG live). Required. */
  readonly randomBytes: RandomBytes;
  readonly transport: TrainerTransport;
  /** The model: its shape, optional starting params (default zeros) and held-out set for evaluation. */
  readonly model: {
    readonly shape: ModelShape;
    readonly initialParams?: Float64Array;
    readonly testSet?: Dataset;
  };
  /** Append-only store; non-empty = recover from it. Default: a fresh MemoryRoundLog. */
  readonly log?: RoundLog;
  /** Default PerformanceBasedSelector. */
  readonly selector?: NodeSelector;
  /** Progress events (registrations, heartbeats, rounds, every fan-out event). A throw is dropped. */
  readonly onEvent?: (event: CoordinatorEvent) => void;
}

/** The seed's coordinator status, plus a few more counts. */
export interface CoordinatorStatus {
  readonly coordinatorId: string;
  /** Nodes heard from within heartbeatTimeoutMs. */
  readonly activeNodes: number;
  readonly registeredNodes: number;
  /** Training tasks sent and not yet answered. */
  readonly pendingTasks: number;
  /** Highest round number started (0 before the first). */
  readonly currentRound: number;
  /** Rounds committed. */
  readonly completedRounds: number;
  readonly failedRounds: number;
  /** Rounds started and not decided. */
  readonly activeRounds: number;
  readonly modelVersion: number;
}

/** The seed's get_round_progress: `completed` of `total` participants. */
export interface RoundProgress {
  readonly round: number;
  readonly status: 'running' | 'interrupted' | 'committed' | 'failed';
  /** Well-formed updates received. */
  readonly completed: number;
  /** Participants with a final outcome so far (received, rejected, timed out, failed, cancelled). */
  readonly settled: number;
  /** Participants selected. */
  readonly total: number;
  /** completed / total (0 when nobody was selected). */
  readonly fraction: number;
}

/** See the module docstring. Create with {@link Coordinator.open}. */
export class Coordinator {
  readonly #s: CoordinatorState;

  private constructor(state: CoordinatorState) {
    this.#s = state;
  }

  /**
   * Create a coordinator; when `options.log` already holds entries, recover from them (see recovery.ts).
   * @throws PrimeConfigError naming the bad config field; PrimeInputError('model.initialParams') for a
   *   wrong-length model, ('log.N…') for a log entry that does not parse.
   */
  static async open(options: CoordinatorOptions): Promise<Coordinator> {
    const config = parseCoordinatorConfig(options.config ?? {});
    const shape = options.model.shape;
    const params = options.model.initialParams ?? initialParams(shape);
    if (params.length !== paramCount(shape))
      throw new PrimeInputError('model.initialParams', [
        {
          path: 'model.initialParams',
          message: `expected ${paramCount(shape)} values, got ${params.length}`,
        },
      ]);
    const registry = new NodeRegistry(config.heartbeatTimeoutMs);
    const counters = { activeRounds: 0 };
    const state: CoordinatorState = {
      id: options.id,
      config,
      clock: options.clock,
      randomBytes: options.randomBytes,
      transport: options.transport,
      log: options.log ?? new MemoryRoundLog(),
      selector: options.selector ?? new PerformanceBasedSelector(),
      metrics: new CoordinatorMetrics(
        {
          activeNodes: () => registry.activeCount(options.clock.now()),
          activeRounds: () => counters.activeRounds,
        },
        { coordinator: options.id },
      ),
      registry,
      ledger: new RewardLedger(),
      shape,
      testSet: options.model.testSet,
      params: Float64Array.from(params),
      modelVersion: 0,
      seen: { ids: new Set(), nodeRounds: new Set(), digests: new Set() },
      rounds: new Map(),
      lastRound: 0,
      completedRounds: 0,
      failedRounds: 0,
      get activeRounds() {
        return counters.activeRounds;
      },
      set activeRounds(v: number) {
        counters.activeRounds = v;
      },
      pendingTasks: 0,
      closed: false,
      closeCtl: new AbortController(),
      onEvent: options.onEvent,
    };
    const entries = parseLogEntries(await state.log.read());
    if (entries.length > 0) replayLog(state, entries, options.clock.now());
    return new Coordinator(state);
  }

  /** This coordinator's id. */
  get id(): string {
    return this.#s.id;
  }

  /** The validated configuration (defaults filled in). */
  get config(): CoordinatorConfig {
    return this.#s.config;
  }

  /** Prometheus metrics (own registry). */
  get metrics(): CoordinatorMetrics {
    return this.#s.metrics;
  }

  /** The reward ledger (read it; the coordinator writes it). */
  get ledger(): RewardLedger {
    return this.#s.ledger;
  }

  /** Current model version (number of commits). */
  get modelVersion(): number {
    return this.#s.modelVersion;
  }

  /** A copy of the current model parameters. */
  get params(): Float64Array {
    return Float64Array.from(this.#s.params);
  }

  /** Held-out loss and accuracy of the current model (undefined without a test set). */
  evaluate(): Evaluation | undefined {
    return this.#s.testSet === undefined ? undefined : evaluate(this.#s.params, this.#s.testSet);
  }

  /**
   * Register a node, or re-register it (idempotent by node id: scores and stake are kept, see
   * NodeRegistry.upsert). Counts as a heartbeat. Logged when new or changed.
   * @returns the node's view after registration.
   * @throws PrimeInputError naming the bad field ('node.nodeId', 'node.endpoint', …).
   */
  async addNode(input: unknown): Promise<NodeView> {
    const info = parseNodeInput(input);
    const s = this.#s;
    const at = s.clock.now();
    const { created, changed } = s.registry.upsert(info, at, s.config.economics.defaultStake);
    if (changed) await append(s, { type: 'node', at, info });
    emit(s, { type: 'node-registered', at, nodeId: info.nodeId, created });
    return s.registry.get(info.nodeId, s.clock.now())!;
  }

  /** Every registered node (active or not), in registration order. */
  listNodes(): NodeView[] {
    return this.#s.registry.list(this.#s.clock.now());
  }

  /** One node, or undefined. */
  getNode(nodeId: string): NodeView | undefined {
    return this.#s.registry.get(nodeId, this.#s.clock.now());
  }

  /** Counts for a status page (see {@link CoordinatorStatus}). */
  getStatus(): CoordinatorStatus {
    const s = this.#s;
    return {
      coordinatorId: s.id,
      activeNodes: s.registry.activeCount(s.clock.now()),
      registeredNodes: s.registry.size,
      pendingTasks: s.pendingTasks,
      currentRound: s.lastRound,
      completedRounds: s.completedRounds,
      failedRounds: s.failedRounds,
      activeRounds: s.activeRounds,
      modelVersion: s.modelVersion,
    };
  }

  /** Replace the node selector (the seed's set_node_selector). */
  setNodeSelector(selector: NodeSelector): void {
    this.#s.selector = selector;
  }

  /** One heartbeat fan-out to every registered node (see heartbeat.ts). */
  heartbeatOnce(signal?: AbortSignal): Promise<HeartbeatSummary> {
    return heartbeatOnce(this.#s, signal);
  }

  /**
   * Heartbeat every heartbeatIntervalMs on the Clock until `signal` aborts or {@link close}.
   * @returns a promise that resolves when the loop stops (never rejects).
   */
  runHeartbeats(signal: AbortSignal): Promise<void> {
    return heartbeatLoop(this.#s, signal);
  }

  /** Run one training round; see round.ts for the options, the steps and the errors. */
  runRound(options: RoundOptions = {}): Promise<RoundReport> {
    return runRound(this.#s, options);
  }

  /** Resume a round interrupted by a crash (see {@link interruptedRounds}); see round.ts. */
  resumeRound(round: number, options: RoundOptions = {}): Promise<RoundReport> {
    return resumeRound(this.#s, round, options);
  }

  /** Rounds recovered from the log that were started and never decided, ascending. */
  interruptedRounds(): number[] {
    return [...this.#s.rounds.values()]
      .filter((r) => r.status === 'interrupted')
      .map((r) => r.round)
      .sort((a, b) => a - b);
  }

  /**
   * Progress of a round (the seed's get_round_progress).
   * @throws UnknownRoundError for a round never started.
   */
  getRoundProgress(round: number): RoundProgress {
    const r = this.#s.rounds.get(round);
    if (r === undefined) throw new UnknownRoundError(round);
    const total = r.selected.length;
    return {
      round,
      status: r.status,
      completed: r.updates.size,
      settled: r.settled,
      total,
      fraction: total === 0 ? 0 : r.updates.size / total,
    };
  }

  /** The report of a round decided by this instance (undefined while running, or for rounds recovered from the log). */
  getRoundReport(round: number): RoundReport | undefined {
    return this.#s.rounds.get(round)?.report;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#s.closed;
  }

  /**
   * Stop: heartbeats end, running rounds are aborted, nothing more is written to the log. Behaves
   * like a crash as far as the log is concerned (the log holds exactly what was appended before),
   * so a simulated crash is `close()` followed by `Coordinator.open({ ..., log })`.
   */
  close(): void {
    const s = this.#s;
    if (s.closed) return;
    s.closed = true;
    s.closeCtl.abort(new Error('coordinator closed'));
  }
}
