/**
 * The end of a round: commit (or not), every node's outcome, reliability scores, ledger lines,
 * metrics, log entries, the report. A closed (crashed) coordinator writes nothing.
 */
import type { FanOutResult, Outcome } from '@fanout/core';
import type { UpdateRejectReason } from './errors.js';
import { rewardFor, type LedgerEntry } from './ledger.js';
import { evaluate, type Evaluation } from './model.js';
import type { NodeView } from './registry.js';
import { nextScores, type ScoredOutcome } from './reliability.js';
import type { ResolvedRule } from './aggregate.js';
import type { ScreenResult } from './screen.js';
import {
  append,
  emit,
  type CoordinatorState,
  type NodeOutcome,
  type RoundFailReason,
  type RoundRecord,
  type RoundReport,
} from './state.js';
import type { ModelUpdate } from './update.js';

/** What the round brings to its end. */
/** What the round's decision (round.ts `decide`) concluded. */
export interface Decision {
  fail: RoundFailReason | undefined;
  screen?: ScreenResult;
  /** Received updates in selection order (the screen's input order). */
  received?: ModelUpdate[];
  used?: ModelUpdate[];
  rule?: ResolvedRule;
  aggregate?: Float64Array;
  agreement?: number;
}

export interface Ending extends Decision {
  result: FanOutResult<NodeView, ModelUpdate> | undefined;
  closedAt: number;
  resumed: boolean;
  before: Evaluation | undefined;
}

/** One node's outcome from what was logged (updates, rejections) and what the fan-out said. */
function outcomeOf(rec: RoundRecord, end: Ending, id: string, committed: boolean): NodeOutcome {
  const o: Outcome<NodeView, ModelUpdate> | undefined = end.result?.byId.get(id);
  const timing = { settledAt: o?.settledAt, durationMs: o?.durationMs };
  const base = {
    nodeId: id,
    updateId: undefined,
    similarity: undefined,
    normRatio: undefined,
    byzantine: false,
    ...timing,
  };
  const u = rec.updates.get(id);
  if (u !== undefined) {
    const i = end.received?.indexOf(u) ?? -1;
    const v = i >= 0 ? end.screen?.verdicts[i] : undefined;
    const seen = { updateId: u.updateId, similarity: v?.similarity, normRatio: v?.normRatio };
    if (v?.flagged !== undefined)
      return { ...base, ...seen, status: 'rejected', reason: v.flagged, byzantine: true };
    return { ...base, ...seen, status: committed ? 'accepted' : 'unused', reason: undefined };
  }
  const r = rec.rejections.get(id);
  if (r !== undefined) return { ...base, status: 'rejected', reason: r.reason, byzantine: true };
  if (o === undefined) return { ...base, status: 'cancelled', reason: 'not-asked' };
  switch (o.status) {
    case 'timedOut':
      return { ...base, status: 'timedOut', reason: o.reason };
    case 'cancelled':
      return { ...base, status: 'cancelled', reason: o.reason };
    default:
      return {
        ...base,
        status: 'failed',
        reason: o.status === 'fulfilled' ? 'not logged' : String((o as { error: unknown }).error),
      };
  }
}

function scored(o: NodeOutcome): ScoredOutcome {
  switch (o.status) {
    case 'accepted':
    case 'unused':
      return 'on-time';
    case 'rejected':
      return 'byzantine';
    case 'timedOut':
      return 'late';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'not-scored';
  }
}

/** Scores, stakes and ledger lines for every selected node; returns the ledger lines written. */
async function payAndScore(
  state: CoordinatorState,
  rec: RoundRecord,
  outcomes: Map<string, NodeOutcome>,
  aggregate: Float64Array | undefined,
  taskTimeoutMs: number,
): Promise<LedgerEntry[]> {
  const econ = state.config.economics;
  const lines: LedgerEntry[] = [];
  const now = state.clock.now();
  for (const o of outcomes.values()) {
    const node = state.registry.get(o.nodeId, now);
    if (node === undefined) continue;
    const prev = { reliability: node.reliabilityScore, performance: node.recentPerformanceScore };
    const next = nextScores(prev, scored(o), state.config, o.durationMs ?? taskTimeoutMs / 2, taskTimeoutMs);
    let stake = node.stake;
    const entry = (
      kind: 'reward' | 'slash',
      amount: number,
      reason: string,
      updateId: string | undefined,
    ): void => {
      lines.push(state.ledger.record({ round: rec.round, nodeId: o.nodeId, kind, amount, reason, updateId }));
    };
    if (econ.enableRewards && o.status === 'accepted' && aggregate !== undefined) {
      const u = rec.updates.get(o.nodeId)!;
      const { amount } = rewardFor(
        { nodeId: o.nodeId, updateId: u.updateId, delta: u.delta, reliability: prev.reliability },
        aggregate,
        econ,
      );
      entry('reward', amount, 'accepted-update', u.updateId);
    } else if (econ.enableRewards && o.status === 'rejected') {
      const amount = econ.slashingRate * stake;
      stake -= amount;
      entry('slash', amount, o.reason ?? 'byzantine', o.updateId);
    }
    state.registry.setScores(o.nodeId, { ...next, stake });
    if (scored(o) !== 'not-scored' || stake !== node.stake)
      await append(state, {
        type: 'scores',
        at: now,
        nodeId: o.nodeId,
        reliability: next.reliability,
        performance: next.performance,
        stake,
      });
  }
  for (const l of lines) {
    const { seq: _seq, updateId, ...rest } = l;
    await append(state, {
      type: 'ledger',
      at: now,
      ...rest,
      ...(updateId === undefined ? {} : { updateId }),
    });
  }
  return lines;
}

/**
 * Decide the round: commit `end.aggregate` when `end.fail` is undefined, else fail with it; then
 * score, pay, log and report. On a closed coordinator only the report is built.
 */
export async function settleRound(
  state: CoordinatorState,
  rec: RoundRecord,
  end: Ending & { fail: RoundFailReason | undefined },
): Promise<RoundReport> {
  const committed = end.fail === undefined && end.aggregate !== undefined && !state.closed;
  const versionBefore = rec.modelVersion;
  let after: Evaluation | undefined;
  if (committed) {
    const agg = end.aggregate!;
    const next = Float64Array.from(state.params, (v, q) => v + agg[q]!);
    state.params = next;
    state.modelVersion++;
    after = state.testSet === undefined ? undefined : evaluate(next, state.testSet);
  }
  const decidedAt = state.clock.now();
  const used = committed ? (end.used ?? []) : [];
  if (committed)
    await append(state, {
      type: 'round-committed',
      at: decidedAt,
      round: rec.round,
      modelVersion: state.modelVersion,
      acceptedUpdateIds: used.map((u) => u.updateId),
      aggregate: Array.from(end.aggregate!),
      params: Array.from(state.params),
    });
  else
    await append(state, {
      type: 'round-failed',
      at: decidedAt,
      round: rec.round,
      reason: end.fail ?? 'aborted',
    });
  const outcomes = new Map(rec.selected.map((id) => [id, outcomeOf(rec, end, id, committed)]));
  const taskTimeoutMs = state.config.taskTimeoutMs;
  const ledger = state.closed
    ? []
    : await payAndScore(state, rec, outcomes, committed ? end.aggregate : undefined, taskTimeoutMs);
  const detections: { nodeId: string; reason: UpdateRejectReason; updateId: string | undefined }[] = [];
  for (const o of outcomes.values())
    if (o.status === 'rejected') {
      detections.push({ nodeId: o.nodeId, reason: o.reason as UpdateRejectReason, updateId: o.updateId });
      if (rec.updates.has(o.nodeId) && !state.closed) state.metrics.byzantineDetected(o.reason!);
    }
  if (!state.closed)
    state.metrics.observeDecision(decidedAt - rec.startedAt, committed ? 'committed' : 'failed');
  rec.status = committed ? 'committed' : state.closed ? 'interrupted' : 'failed';
  if (committed) state.completedRounds++;
  else if (!state.closed) state.failedRounds++;
  const report: RoundReport = {
    round: rec.round,
    status: committed ? 'committed' : 'failed',
    reason: committed ? undefined : (end.fail ?? 'aborted'),
    taskId: rec.taskId,
    resumed: end.resumed,
    modelVersionBefore: versionBefore,
    modelVersionAfter: committed ? state.modelVersion : versionBefore,
    startedAt: rec.startedAt,
    closedAt: end.closedAt,
    decidedAt,
    durationMs: decidedAt - rec.startedAt,
    selected: rec.selected,
    closeAfter: rec.closeAfter,
    minUpdates: rec.minUpdates,
    outcomes,
    receivedUpdateIds: (
      end.received ?? rec.selected.map((id) => rec.updates.get(id)).filter((u) => u !== undefined)
    ).map((u) => u.updateId),
    acceptedUpdateIds: used.map((u) => u.updateId),
    acceptedUpdates: used,
    rule: committed ? end.rule : undefined,
    aggregate: committed ? end.aggregate : undefined,
    reference: end.screen?.reference,
    agreement: end.agreement ?? 0,
    detections,
    before: end.before,
    after,
    ledger,
  };
  rec.report = report;
  emit(state, {
    type: 'round-decided',
    at: decidedAt,
    round: rec.round,
    status: report.status,
    ...(report.reason === undefined ? {} : { reason: report.reason }),
  });
  return report;
}
