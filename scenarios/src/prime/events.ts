/**
 * Coordinator events to the kernel's progress events: every fan-out event of a round
 * (`{type: 'fanout', round, event}`, a `FanOutEvent<NodeView, ModelUpdate>`) goes to one listener
 * per round, named `round <n>` and labelled with the trainer ids of that fan-out's targets in
 * target order, so the CLI's board draws one cell per trainer. A resumed round asks only the
 * trainers that had not answered before the crash; its labels leave those out.
 */
import type { FanOutEvent } from '@fanout/core';
import type { CoordinatorEvent } from '@fanout/prime';

/** Makes the listener of one fan-out (`ctx.fanOutEvents`, or a demo's own). */
export type FanOutListenerFactory = (
  command: string,
  labels: readonly string[],
) => (event: FanOutEvent<unknown, unknown>) => void;

/** The command name of round `n`'s fan-out. */
export function roundCommand(round: number): string {
  return `round ${round}`;
}

/**
 * A CoordinatorEvent listener that forwards round fan-outs to `listenerFor` (see the module
 * docstring) and passes every event to `also` (e.g. a test's recorder).
 */
export function forwardCoordinatorEvents(
  listenerFor: FanOutListenerFactory,
  also?: (e: CoordinatorEvent) => void,
): (e: CoordinatorEvent) => void {
  const targets = new Map<number, string[]>();
  const answered = new Map<number, Set<string>>();
  const listeners = new Map<number, (event: FanOutEvent<unknown, unknown>) => void>();
  return (e) => {
    if (e.type === 'round-started') {
      const done = answered.get(e.round) ?? new Set<string>();
      targets.set(
        e.round,
        e.selected.filter((id) => !e.resumed || !done.has(id)),
      );
      listeners.delete(e.round);
    } else if (e.type === 'update') {
      let s = answered.get(e.round);
      if (s === undefined) answered.set(e.round, (s = new Set()));
      s.add(e.nodeId);
    } else if (e.type === 'fanout') {
      let l = listeners.get(e.round);
      if (l === undefined) {
        l = listenerFor(roundCommand(e.round), targets.get(e.round) ?? []);
        listeners.set(e.round, l);
      }
      l(e.event);
    }
    also?.(e);
  };
}
