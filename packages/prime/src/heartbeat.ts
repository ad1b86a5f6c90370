/**
 * Heartbeats: one fan-out of `transport.heartbeat` to every registered node (timeout: the
 * heartbeat interval), and a loop on the Clock that repeats it every heartbeatIntervalMs until
 * stopped. A node that answers with its own id is heard from at the answer's clock time; one
 * silent for heartbeatTimeoutMs becomes inactive and is not selected.
 */
import { fanOut } from '@fanout/core';
import type { NodeView } from './registry.js';
import { emit, type CoordinatorState } from './state.js';

/** What one heartbeat fan-out saw. */
export interface HeartbeatSummary {
  /** Clock time the fan-out ended, ms. */
  readonly at: number;
  /** Nodes that answered with their own id. */
  readonly answered: readonly string[];
  /** Nodes that did not (timeout, error, wrong id). */
  readonly silent: readonly string[];
  /** Active nodes after the fan-out. */
  readonly active: number;
}

/**
 * Ask every registered node once.
 * @param signal aborts the fan-out (unanswered nodes count as silent)
 */
export async function heartbeatOnce(
  state: CoordinatorState,
  signal?: AbortSignal,
): Promise<HeartbeatSummary> {
  const nodes = state.registry.list(state.clock.now());
  const answered: string[] = [];
  const silent: string[] = [];
  if (nodes.length > 0) {
    const result = await fanOut(
      nodes,
      async (node: NodeView, ctx) => {
        const reply = await state.transport.heartbeat(node, { signal: ctx.signal });
        if (reply.nodeId !== node.nodeId)
          throw new Error(`heartbeat answered by ${reply.nodeId}, not ${node.nodeId}`);
        state.registry.heartbeat(node.nodeId, state.clock.now());
        return reply;
      },
      {
        key: (n) => n.nodeId,
        timeoutMs: state.config.heartbeatIntervalMs,
        clock: state.clock,
        ...(signal === undefined ? {} : { signal }),
      },
    );
    for (const o of result.outcomes) (o.status === 'fulfilled' ? answered : silent).push(o.id);
  }
  const at = state.clock.now();
  const summary = { at, answered, silent, active: state.registry.activeCount(at) };
  emit(state, { type: 'heartbeats', ...summary });
  return summary;
}

/**
 * Heartbeat every heartbeatIntervalMs (clock time, measured from the start of each fan-out) until `signal` aborts or the coordinator closes.
 * Resolves when stopped; never rejects.
 */
export async function heartbeatLoop(state: CoordinatorState, signal: AbortSignal): Promise<void> {
  const stop = AbortSignal.any([signal, state.closeCtl.signal]);
  while (!stop.aborted) {
    const start = state.clock.now();
    await heartbeatOnce(state, stop);
    try {
      await state.clock.sleep(
        Math.max(0, start + state.config.heartbeatIntervalMs - state.clock.now()),
        stop,
      );
    } catch {
      return;
    }
  }
}
