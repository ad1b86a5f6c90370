/**
 * Rebuild a coordinator's state from its round log (log.ts) after a crash: nodes, scores and
 * stakes, the model (params and version of the last commit), every update received (so a copy is
 * a duplicate and the same delta a replay), the ledger, and the rounds — those started and never
 * decided come back as 'interrupted', with the updates they had received, ready for resumeRound.
 *
 * Heartbeat times are not logged (they are volatile by nature): every recovered node counts as
 * heard from at the moment of recovery, and drops out one heartbeatTimeoutMs later if it stays silent.
 */
import type { LogEntry } from './log.js';
import { markSeen, type CoordinatorState, type RoundRecord } from './state.js';
import type { ModelUpdate } from './update.js';
import type { UpdateRejectReason } from './errors.js';

function roundOf(state: CoordinatorState, round: number): RoundRecord | undefined {
  return state.rounds.get(round);
}

/** Apply one entry to `state` (entries must come in log order). */
function apply(state: CoordinatorState, e: LogEntry): void {
  switch (e.type) {
    case 'node':
      state.registry.upsert(e.info, e.at, state.config.economics.defaultStake);
      return;
    case 'round-started':
      state.rounds.set(e.round, {
        round: e.round,
        status: 'interrupted',
        taskId: e.taskId,
        modelVersion: e.modelVersion,
        selected: e.selected,
        closeAfter: e.closeAfter,
        minUpdates: e.minUpdates,
        startedAt: e.at,
        updates: new Map(),
        rejections: new Map(),
        settled: 0,
        report: undefined,
      });
      state.lastRound = Math.max(state.lastRound, e.round);
      return;
    case 'update': {
      const u: ModelUpdate = { ...e.update, delta: Float64Array.from(e.update.delta) };
      markSeen(state, u);
      const rec = roundOf(state, e.round);
      if (rec !== undefined) {
        rec.updates.set(u.nodeId, u);
        rec.settled++;
      }
      return;
    }
    case 'rejected': {
      const rec = roundOf(state, e.round);
      if (rec !== undefined) {
        rec.rejections.set(e.nodeId, { reason: e.reason as UpdateRejectReason, detail: e.detail });
        rec.settled++;
      }
      return;
    }
    case 'round-committed': {
      state.params = Float64Array.from(e.params);
      state.modelVersion = e.modelVersion;
      state.completedRounds++;
      const rec = roundOf(state, e.round);
      if (rec !== undefined) rec.status = 'committed';
      return;
    }
    case 'round-failed': {
      state.failedRounds++;
      const rec = roundOf(state, e.round);
      if (rec !== undefined) rec.status = 'failed';
      return;
    }
    case 'scores':
      state.registry.setScores(e.nodeId, {
        reliability: e.reliability,
        performance: e.performance,
        stake: e.stake,
      });
      return;
    case 'ledger':
      state.ledger.record({
        round: e.round,
        nodeId: e.nodeId,
        kind: e.kind,
        amount: e.amount,
        reason: e.reason,
        updateId: e.updateId,
      });
      return;
  }
}

/**
 * Replay `entries` into a fresh state, then mark every node heard from at `now`.
 * @param entries validated entries (parseLogEntries), oldest first
 */
export function replayLog(state: CoordinatorState, entries: readonly LogEntry[], now: number): void {
  for (const e of entries) apply(state, e);
  for (const n of state.registry.list(now)) state.registry.heartbeat(n.nodeId, now);
}
