/**
 * The coordinator's round events as the kernel's progress and trace vocabulary. Each phase of a
 * FROST round (frost-hubert parallel.rs: a send or a collect over every participant) runs one
 * fanOut inside @fanout/frost, which reports it as RoundEvents; this bridge turns them back into
 * one phase (`dkg round1: collect`), the fan-out events of command `dkg round1 collect` with the
 * participants' names as target labels, and at the end of each phase one 'outcome' (every
 * participant's status, by plan target) — so the board draws the rounds and a change in the
 * coordinator's decisions changes the trace hash.
 */
import type { FanOutEvent, Outcome, OutcomeStatus } from '@fanout/core';
import type { ParticipantOutcome, ParticipantStatus, PhaseTarget, RoundEvent, Xid } from '@fanout/frost';

/** Where the bridge sends progress: the run context of a scenario, or a demo's io. */
export interface ProgressSink {
  phase(name: string): void;
  fanOutEvents(command: string, labels?: readonly string[]): (event: FanOutEvent<unknown, unknown>) => void;
  outcome(step: string, fields: Record<string, unknown>): void;
}

const STATUS: Readonly<Record<ParticipantStatus, OutcomeStatus>> = {
  success: 'fulfilled',
  rejected: 'rejected',
  error: 'failed',
  timeout: 'timedOut',
  cancelled: 'cancelled',
};

/** A fanOut outcome standing for a participant's phase outcome (the engine's own is inside @fanout/frost). */
function outcomeOf(
  o: ParticipantOutcome<unknown>,
  index: number,
  target: PhaseTarget,
): Outcome<unknown, unknown> {
  const base = {
    id: o.xid,
    index,
    target,
    startedAt: o.durationMs === 0 ? undefined : o.settledAt - o.durationMs,
    settledAt: o.settledAt,
    durationMs: o.durationMs,
    attempts: o.durationMs === 0 ? 0 : 1,
  };
  const error = o.error ?? new Error(o.reason ?? o.status);
  switch (o.status) {
    case 'success':
      return { ...base, status: 'fulfilled', value: o.value };
    case 'rejected':
      return { ...base, status: 'rejected', error };
    case 'error':
      return { ...base, status: 'failed', error };
    case 'timeout':
      return { ...base, status: 'timedOut', reason: 'timeout', error };
    case 'cancelled':
      return { ...base, status: 'cancelled', reason: o.reason === 'quorum' ? 'quorum' : 'aborted', error };
  }
}

/**
 * A RoundEvent listener feeding `sink` (see the module docstring).
 * @param nameOf display name of a participant (board label).
 * @param targetOf plan target of a participant (p1…), for the recorded outcomes.
 */
export function roundEventBridge(
  sink: ProgressSink,
  nameOf: (xid: Xid) => string,
  targetOf: (xid: Xid) => string,
): (event: RoundEvent) => void {
  let emit: ((e: FanOutEvent<unknown, unknown>) => void) | undefined;
  let targets: readonly PhaseTarget[] = [];
  let index = new Map<Xid, number>();
  return (e) => {
    switch (e.type) {
      case 'phase-start':
        targets = e.targets;
        index = new Map(e.targets.map((t, i) => [t.xid, i]));
        sink.phase(`${e.round}: ${e.phase}`);
        emit = sink.fanOutEvents(
          `${e.round} ${e.phase}`,
          e.targets.map((t) => nameOf(t.xid)),
        );
        emit({ type: 'started', at: e.at, total: e.targets.length });
        return;
      case 'participant-start': {
        const i = index.get(e.xid) ?? -1;
        emit?.({ type: 'attempt', at: e.at, id: e.xid, index: i, attempt: 1, hedged: false });
        return;
      }
      case 'participant-settled': {
        const i = index.get(e.outcome.xid) ?? -1;
        const target = targets[i] ?? { xid: e.outcome.xid, arid: '' };
        emit?.({
          type: 'settled',
          at: e.at,
          id: e.outcome.xid,
          index: i,
          outcome: outcomeOf(e.outcome, i, target),
        });
        return;
      }
      case 'quorum-met':
        emit?.({ type: 'quorum-met', at: e.at, fulfilled: e.count });
        return;
      case 'phase-end': {
        const r = e.report;
        const counts: Record<OutcomeStatus, number> = {
          fulfilled: 0,
          rejected: 0,
          failed: 0,
          timedOut: 0,
          cancelled: 0,
        };
        const statuses: Record<string, string> = {};
        for (const t of targets) {
          const o = r.byParticipant.get(t.xid);
          statuses[targetOf(t.xid)] = o?.status ?? 'pending';
          if (o !== undefined) counts[STATUS[o.status]]++;
        }
        emit?.({ type: 'done', at: e.at, elapsedMs: r.elapsedMs, counts, quorumMet: r.quorumMet });
        sink.outcome(`${e.round} ${e.phase}`, { statuses, arrival: r.arrivalOrder.map(targetOf) });
        emit = undefined;
        return;
      }
      default:
        return; // retries are the coordinator's own business; the board shows settled outcomes
    }
  };
}
