/**
 * The coordinator's state, shared by the modules that act on it (round.ts, heartbeat.ts,
 * recovery.ts, coordinator.ts). Internal: the public surface is the Coordinator class.
 */
import type { Clock, FanOutEvent, RandomBytes } from '@fanout/core';
import type { ResolvedRule } from './aggregate.js';
import type { CoordinatorConfig } from './config.js';
import type { RewardLedger, LedgerEntry } from './ledger.js';
import type { LogEntry, RoundLog } from './log.js';
import type { CoordinatorMetrics } from './metrics.js';
import type { Dataset, Evaluation, ModelShape } from './model.js';
import type { NodeRegistry, NodeView } from './registry.js';
import type { NodeSelector } from './selector.js';
import type { TrainerTransport } from './transport.js';
import type { ModelUpdate } from './update.js';
import type { UpdateRejectReason } from './errors.js';

/** Why a round failed. */
export type RoundFailReason =
  | 'not-enough-nodes' // fewer eligible nodes than minNodesForRound
  | 'too-few-updates' // fewer well-formed updates arrived than needed
  | 'too-few-valid-updates' // enough arrived, too few survived screening
  | 'no-consensus' // fewer than consensusThreshold of the received updates agree with the aggregate
  | 'aggregation-error' // the rule could not be applied (e.g. Krum's n > 2f + 2)
  | 'model-advanced' // a resumed round's model version is no longer the current one
  | 'aborted'; // the caller's signal fired, or the coordinator was closed

/** One node's part in a round. */
export interface NodeOutcome {
  readonly nodeId: string;
  /**
   * - 'accepted': its update was used in the committed aggregate;
   * - 'unused': its update passed every check but the round failed;
   * - 'rejected': rejected as Byzantine (`reason` says by which rule);
   * - 'timedOut' (`reason` 'timeout' or 'deadline'), 'failed' (transport error in `reason`),
   *   'cancelled' (`reason` 'quorum': the round closed without it, or 'aborted').
   */
  readonly status: 'accepted' | 'unused' | 'rejected' | 'timedOut' | 'failed' | 'cancelled';
  readonly reason: string | undefined;
  /** True for 'rejected'. */
  readonly byzantine: boolean;
  readonly updateId: string | undefined;
  /** Cosine similarity to the screening reference (updates that reached screening). */
  readonly similarity: number | undefined;
  /** ‖update‖ / median norm (updates that reached screening). */
  readonly normRatio: number | undefined;
  /** Clock time the node's outcome was settled (for an update received before a restart: when it was logged), ms. */
  readonly settledAt: number | undefined;
  /** Time from the task being sent to the outcome, ms (undefined when unknown, e.g. after a restart). */
  readonly durationMs: number | undefined;
}

/** Everything an oracle needs about one round. Times are the coordinator clock's, ms. */
export interface RoundReport {
  readonly round: number;
  readonly status: 'committed' | 'failed';
  readonly reason: RoundFailReason | undefined;
  readonly taskId: string;
  /** True when the round was resumed after a coordinator restart. */
  readonly resumed: boolean;
  readonly modelVersionBefore: number;
  readonly modelVersionAfter: number;
  readonly startedAt: number;
  /** When the fan-out ended (quorum, everyone settled, deadline or abort). */
  readonly closedAt: number;
  /** When the round was committed or failed. */
  readonly decidedAt: number;
  /** decidedAt − startedAt. */
  readonly durationMs: number;
  /** Participants, in selection order. */
  readonly selected: readonly string[];
  /** Well-formed updates that close the round early. */
  readonly closeAfter: number;
  /** Updates needed to commit (minNodesForRound unless overridden). */
  readonly minUpdates: number;
  /** One outcome per selected node, keyed by node id, in selection order. */
  readonly outcomes: ReadonlyMap<string, NodeOutcome>;
  /** Ids of the well-formed updates received (logged), in selection order. */
  readonly receivedUpdateIds: readonly string[];
  /** Ids of the updates used in the aggregate (empty when the round failed). */
  readonly acceptedUpdateIds: readonly string[];
  /** The updates used, for `aggregateOf(report.acceptedUpdates, report.rule)`. */
  readonly acceptedUpdates: readonly ModelUpdate[];
  /** The rule with its parameters resolved (undefined when the round failed before aggregating). */
  readonly rule: ResolvedRule | undefined;
  /** The committed aggregate delta (undefined when failed). */
  readonly aggregate: Float64Array | undefined;
  /** The screening reference (undefined when nothing reached screening). */
  readonly reference: Float64Array | undefined;
  /** Used updates / (received + rejected on arrival); 0 when nothing arrived. */
  readonly agreement: number;
  /** Updates rejected as Byzantine, with the rule that caught them. */
  readonly detections: readonly {
    nodeId: string;
    reason: UpdateRejectReason;
    updateId: string | undefined;
  }[];
  /** Held-out loss/accuracy before and after (undefined without a test set, or `after` when failed). */
  readonly before: Evaluation | undefined;
  readonly after: Evaluation | undefined;
  /** Ledger lines written for this round. */
  readonly ledger: readonly LedgerEntry[];
}

/** Events for a live board. `at` is the coordinator clock's time, ms. */
export type CoordinatorEvent =
  | { type: 'node-registered'; at: number; nodeId: string; created: boolean }
  | { type: 'heartbeats'; at: number; answered: readonly string[]; silent: readonly string[]; active: number }
  | { type: 'round-started'; at: number; round: number; selected: readonly string[]; resumed: boolean }
  | { type: 'fanout'; round: number; event: FanOutEvent<NodeView, ModelUpdate> }
  | {
      type: 'update';
      at: number;
      round: number;
      nodeId: string;
      verdict: 'received' | 'rejected';
      reason?: string;
    }
  | {
      type: 'round-decided';
      at: number;
      round: number;
      status: 'committed' | 'failed';
      reason?: RoundFailReason;
    };

/** A round as the coordinator tracks it. */
export interface RoundRecord {
  readonly round: number;
  status: 'running' | 'interrupted' | 'committed' | 'failed';
  taskId: string;
  modelVersion: number;
  selected: string[];
  closeAfter: number;
  minUpdates: number;
  startedAt: number;
  /** Well-formed updates received, by node id (logged). */
  readonly updates: Map<string, ModelUpdate>;
  /** Rejected on arrival, by node id (logged). */
  readonly rejections: Map<string, { reason: UpdateRejectReason; detail: string }>;
  /** Outcomes settled so far (for progress). */
  settled: number;
  report: RoundReport | undefined;
}

/** Mutable state of one coordinator. */
export interface CoordinatorState {
  readonly id: string;
  readonly config: CoordinatorConfig;
  readonly clock: Clock;
  readonly randomBytes: RandomBytes;
  readonly transport: TrainerTransport;
  readonly log: RoundLog;
  selector: NodeSelector;
  readonly metrics: CoordinatorMetrics;
  readonly registry: NodeRegistry;
  readonly ledger: RewardLedger;
  readonly shape: ModelShape;
  readonly testSet: Dataset | undefined;
  params: Float64Array;
  modelVersion: number;
  readonly seen: { ids: Set<string>; nodeRounds: Set<string>; digests: Set<string> };
  readonly rounds: Map<number, RoundRecord>;
  lastRound: number;
  completedRounds: number;
  failedRounds: number;
  activeRounds: number;
  pendingTasks: number;
  closed: boolean;
  readonly closeCtl: AbortController;
  readonly onEvent: ((e: CoordinatorEvent) => void) | undefined;
}

/** Call the listener; a throw is dropped (a board must not break the coordinator). */
export function emit(state: CoordinatorState, event: CoordinatorEvent): void {
  try {
    state.onEvent?.(event);
  } catch {
    // documented: listener errors are dropped
  }
}

/** Append to the log unless the coordinator was closed (a closed coordinator writes nothing). */
export async function append(state: CoordinatorState, entry: LogEntry): Promise<void> {
  if (state.closed) return;
  await state.log.append(entry);
}

/** Record an update as seen (ids, node/round pair, digest): from now on a copy is a duplicate or a replay. */
export function markSeen(state: CoordinatorState, u: ModelUpdate): void {
  state.seen.ids.add(u.updateId);
  state.seen.nodeRounds.add(`${u.nodeId}/${u.round}`);
  state.seen.digests.add(u.digest);
}
