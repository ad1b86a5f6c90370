/**
 * Node selection: which eligible nodes take part in a round. Pluggable through
 * {@link NodeSelector} (the seed's `NodeSelector` trait, seeds/004 "Custom Node Selection"); the
 * default is the seed's PerformanceBasedSelector.
 */
import type { NodeView } from './registry.js';

/** What a round asks of its participants (the seed's SelectionCriteria). */
export interface SelectionCriteria {
  /** Take at most this many. */
  readonly maxNodes: number;
  /** Capabilities every participant must have (e.g. ['gpu', 'pytorch']). */
  readonly requiredCapabilities: readonly string[];
  /** The round being staffed. */
  readonly round: number;
}

/**
 * Chooses a round's participants among `available` (already filtered: active, capable,
 * reliable enough). Must be deterministic for deterministic runs. The coordinator ignores ids not
 * in `available`, duplicates, and anything past `criteria.maxNodes`.
 */
export interface NodeSelector {
  selectNodes(
    available: readonly NodeView[],
    criteria: SelectionCriteria,
  ): readonly NodeView[] | Promise<readonly NodeView[]>;
}

/** Whether `node` has every capability in `required`. */
export function hasCapabilities(node: NodeView, required: readonly string[]): boolean {
  return required.every((c) => node.capabilities.includes(c));
}

/**
 * The seed's PerformanceBasedSelector: sort by reliabilityScore × recentPerformanceScore, highest
 * first, and take the top `maxNodes` (ties broken by node id, so the choice is deterministic —
 * the seed's `sort_by` leaves ties in input order).
 */
export class PerformanceBasedSelector implements NodeSelector {
  selectNodes(available: readonly NodeView[], criteria: SelectionCriteria): NodeView[] {
    return [...available]
      .sort((a, b) => {
        const sa = a.reliabilityScore * a.recentPerformanceScore;
        const sb = b.reliabilityScore * b.recentPerformanceScore;
        return sb - sa || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);
      })
      .slice(0, criteria.maxNodes);
  }
}
