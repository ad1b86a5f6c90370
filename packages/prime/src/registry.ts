/**
 * The node registry: who the trainers are, where to reach them, what they can do, when they last
 * answered a heartbeat, and their reliability and recent-performance scores (seeds/004 NodeInfo,
 * "Node Management"). Registration is idempotent by node id. Pure state: times are passed in.
 */
import { z } from 'zod';
import { PrimeInputError } from './errors.js';
import { schemaIssues } from './schema.js';

const score = z.number().min(0).max(1);

/** What a node registers with (the seed's NodeInfo, camelCase, plus endpoint, capabilities and stake). */
export const nodeInputSchema = z
  .object({
    nodeId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only'),
    /** Default 'trainer'. */
    nodeType: z.string().min(1).max(64).default('trainer'),
    /** Base URL of the node's HTTP API (e.g. 'http://127.0.0.1:41234'); needed by the HTTP transport. */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** What it can run, e.g. ['gpu', 'pytorch']. */
    capabilities: z.array(z.string().min(1).max(64)).max(64).default([]),
    /** Starting reliability 0..1 (first registration only). Default 0.9. */
    reliabilityScore: score.default(0.9),
    /** Starting recent-performance score 0..1 (first registration only). Default 1. */
    recentPerformanceScore: score.default(1),
    /** Tokens at stake (slashing takes a fraction). Default: config economics.defaultStake. */
    stake: z.number().min(0).optional(),
  })
  .strict();
export type NodeInput = z.input<typeof nodeInputSchema>;
export type NodeInfo = z.output<typeof nodeInputSchema>;

/**
 * Validate a registration.
 * @throws PrimeInputError whose field is the first bad path, e.g. 'node.nodeId'.
 */
export function parseNodeInput(input: unknown): NodeInfo {
  const r = nodeInputSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = schemaIssues(r.error, 'node');
  throw new PrimeInputError(issues[0]?.path ?? 'node', issues);
}

/** A registered node as the coordinator sees it (a snapshot: later changes make new objects). */
export interface NodeView {
  readonly nodeId: string;
  readonly nodeType: string;
  readonly endpoint: string | undefined;
  readonly capabilities: readonly string[];
  readonly reliabilityScore: number;
  readonly recentPerformanceScore: number;
  readonly stake: number;
  /** Clock time of registration, ms. */
  readonly registeredAt: number;
  /** Clock time of the last successful heartbeat (or registration), ms. */
  readonly lastHeartbeat: number;
  /** Heard from within heartbeatTimeoutMs at the time the view was taken. */
  readonly active: boolean;
}

interface NodeState {
  info: NodeInfo;
  stake: number;
  reliability: number;
  performance: number;
  registeredAt: number;
  lastHeartbeat: number;
}

/** Node table keyed by id. Not thread-safe by itself: the coordinator calls it synchronously. */
export class NodeRegistry {
  readonly #nodes = new Map<string, NodeState>();

  /** @param heartbeatTimeoutMs a node is active while now − lastHeartbeat < this (ms). */
  constructor(readonly heartbeatTimeoutMs: number) {}

  /**
   * Register or re-register. A new id is added with the given scores and stake (default
   * `defaultStake`); a known id keeps its scores and stake (a node cannot reset its reliability by
   * registering again) and takes the new endpoint, type and capabilities. Either way the
   * registration counts as a heartbeat at `now`.
   * @returns whether the node was new and whether anything changed.
   */
  upsert(info: NodeInfo, now: number, defaultStake: number): { created: boolean; changed: boolean } {
    const prev = this.#nodes.get(info.nodeId);
    if (prev === undefined) {
      this.#nodes.set(info.nodeId, {
        info,
        stake: info.stake ?? defaultStake,
        reliability: info.reliabilityScore,
        performance: info.recentPerformanceScore,
        registeredAt: now,
        lastHeartbeat: now,
      });
      return { created: true, changed: true };
    }
    const changed =
      prev.info.endpoint !== info.endpoint ||
      prev.info.nodeType !== info.nodeType ||
      prev.info.capabilities.join('\n') !== info.capabilities.join('\n');
    prev.info = {
      ...prev.info,
      endpoint: info.endpoint,
      nodeType: info.nodeType,
      capabilities: info.capabilities,
    };
    prev.lastHeartbeat = Math.max(prev.lastHeartbeat, now);
    return { created: false, changed };
  }

  /** Record a heartbeat answer at `now`; false for an unknown id. */
  heartbeat(nodeId: string, now: number): boolean {
    const s = this.#nodes.get(nodeId);
    if (s === undefined) return false;
    s.lastHeartbeat = Math.max(s.lastHeartbeat, now);
    return true;
  }

  /** Set the scores (clamped to 0..1) and stake of a known node. */
  setScores(nodeId: string, scores: { reliability?: number; performance?: number; stake?: number }): void {
    const s = this.#nodes.get(nodeId);
    if (s === undefined) return;
    const clamp = (v: number): number => Math.min(1, Math.max(0, v));
    if (scores.reliability !== undefined) s.reliability = clamp(scores.reliability);
    if (scores.performance !== undefined) s.performance = clamp(scores.performance);
    if (scores.stake !== undefined) s.stake = Math.max(0, scores.stake);
  }

  /** Snapshot of one node at `now`, or undefined. */
  get(nodeId: string, now: number): NodeView | undefined {
    const s = this.#nodes.get(nodeId);
    return s === undefined ? undefined : this.#view(s, now);
  }

  /** Snapshots of every node, in registration order. */
  list(now: number): NodeView[] {
    return [...this.#nodes.values()].map((s) => this.#view(s, now));
  }

  /** Number of nodes heard from within the heartbeat timeout. */
  activeCount(now: number): number {
    let n = 0;
    for (const s of this.#nodes.values()) if (now - s.lastHeartbeat < this.heartbeatTimeoutMs) n++;
    return n;
  }

  /** Number of registered nodes. */
  get size(): number {
    return this.#nodes.size;
  }

  #view(s: NodeState, now: number): NodeView {
    return {
      nodeId: s.info.nodeId,
      nodeType: s.info.nodeType,
      endpoint: s.info.endpoint,
      capabilities: s.info.capabilities,
      reliabilityScore: s.reliability,
      recentPerformanceScore: s.performance,
      stake: s.stake,
      registeredAt: s.registeredAt,
      lastHeartbeat: s.lastHeartbeat,
      active: now - s.lastHeartbeat < this.heartbeatTimeoutMs,
    };
  }
}
