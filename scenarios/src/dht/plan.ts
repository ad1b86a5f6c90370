/**
 * DHT node behaviours as fault-plan rules, and the oracle's reading of a plan back into what each
 * node can do during a read.
 *
 * Behaviour names (a `behave` rule's `behaviour`, read by the world through
 * `injector.behaviours(target, t)` before each request a node handles, and by the oracle through
 * {@link PlanView}; simulators/dht node.ts `NodeFault`):
 * - 'stale': the node keeps the first version it stored of each value id; later puts are
 *   acknowledged but not applied (it keeps serving an old sequence number);
 * - 'corrupt': the node stores honestly but serves values with flipped data bytes (their
 *   signatures no longer verify);
 * - 'drop': the node acknowledges puts without storing anything.
 * A node gone after publishing is a `crash` rule (at 0: the outboxes were stored without traffic
 * before the read, as a node that left afterwards had them); a node leaving during the read is a
 * crash rule at that instant. Loss, latency, partitions are the sim kit's own rules.
 */
import type { NodeFault } from '@fanout/sim-dht';
import { dhtTarget } from '@fanout/sim-dht';
import type { FaultPlanInput, FaultRule } from '@fanout/sim';
import { type Certainty, type Interval, type PlanView } from '../kernel/plan-view.js';

/** The node behaviours a DHT world knows (see the module docstring). */
export const NODE_BEHAVIOURS = ['stale', 'corrupt', 'drop'] as const;

/** One of {@link NODE_BEHAVIOURS}. */
export type NodeBehaviour = (typeof NODE_BEHAVIOURS)[number];

type RuleInput = NonNullable<FaultPlanInput['rules']>[number];

/**
 * `behave` rules realising `byNode` (node index → behaviour), one rule per behaviour naming its
 * targets `dht-<i>`, in {@link NODE_BEHAVIOURS} order (none for an empty map).
 */
export function behaviourRules(byNode: ReadonlyMap<number, NodeBehaviour>): RuleInput[] {
  const rules: RuleInput[] = [];
  for (const b of NODE_BEHAVIOURS) {
    const targets = [...byNode].filter(([, x]) => x === b).map(([i]) => dhtTarget(i));
    if (targets.length > 0) rules.push({ fault: 'behave', behaviour: b, targets });
  }
  return rules;
}

/**
 * The simulator fault mode of a node whose active behaviours are `active` (plan order, as
 * `injector.behaviours(target, t)` lists them): the first one the DHT knows, else 'none'.
 * Unknown behaviour names are ignored (they belong to other systems).
 */
export function nodeFaultOf(active: readonly { readonly behaviour: string }[]): NodeFault {
  for (const a of active)
    if ((NODE_BEHAVIOURS as readonly string[]).includes(a.behaviour)) return a.behaviour as NodeBehaviour;
  return 'none';
}

/** What the effective plan does to one node during a read (see {@link readNode}). */
export interface NodeReading {
  /**
   * 'silent': no exchange with it during the read gets an answer the reader can use (partitioned,
   * crashed, requests or replies always lost, always slower than the RPC timeout); 'maybe': that
   * holds for part of the read only, or its replies may or may not beat the RPC timeout;
   * 'answers': it answers (but see {@link lossQ}).
   */
  readonly reach: 'answers' | 'silent' | 'maybe';
  /**
   * Chance that one exchange with it is lost to per-exchange faults with a probability below 1
   * (drops, forced statuses, spoofed senders), 0..1. A lookup asks past a lost reply, so such a
   * node is not 'silent'; the oracle weighs the outcomes loss allows by this chance.
   */
  readonly lossQ: number;
  /** Whether it serves corrupt copies during the read (behaviour 'corrupt', or damaged replies). */
  readonly corrupt: Certainty;
  /** Short description for violation details, e.g. 'partitioned', 'maybe silent (window)', 'loss 5.9%'. */
  readonly why: string;
}

type WindowOf = { readonly fromMs: number; readonly toMs?: number | undefined } | undefined;

/** Certainty that a window covers the interval (as PlanView reads windows). */
function cover(w: WindowOf, at: Interval): Certainty {
  if (w === undefined) return 'always';
  const to = w.toMs ?? Infinity;
  if (to <= at.fromMs || w.fromMs >= at.toMs) return 'never';
  return w.fromMs <= at.fromMs && to >= at.toMs ? 'always' : 'maybe';
}

/** Rules that lose an exchange outright: the DHT service has no forced reply, and a spoofed reply is unmatched. */
const LOSING = ['dropRequest', 'dropReply', 'forceStatus', 'wrongSender'] as const;

/**
 * What the effective plan does to node `target` during the read interval `at`, for a reader whose
 * RPCs time out after `rpcTimeoutMs` (see {@link NodeReading}). Reads partitions, crashes and
 * pauses ({@link PlanView.unreachable}), losing rules with their probability and window, the
 * reply delay bounds against the RPC timeout, damaging rules, and the 'corrupt' behaviour.
 */
export function readNode(view: PlanView, target: string, at: Interval, rpcTimeoutMs: number): NodeReading {
  const unreachable = view.unreachable(target, at);
  if (unreachable === 'always') return silent(view, target, at, 'unreachable (partition, crash or pause)');
  const whys: string[] = [];
  let maybe = unreachable === 'maybe';
  if (maybe) whys.push('maybe unreachable (window or crash during the read)');
  let answerChance = 1;
  for (const kind of LOSING)
    for (const r of view.rulesOf(target, kind) as Extract<FaultRule, { probability: number }>[]) {
      const c = cover(r.window, at);
      if (c === 'never' || r.probability === 0) continue;
      if (r.probability === 1 && c === 'always') return silent(view, target, at, `${kind} always`);
      if (r.probability === 1) {
        maybe = true;
        whys.push(`maybe ${kind} (window)`);
      } else answerChance *= 1 - r.probability;
    }
  const [lo, hi] = view.replyDelayBounds(target, at);
  if (lo >= rpcTimeoutMs) return silent(view, target, at, `replies after ≥ ${lo} ms ≥ RPC timeout`);
  if (hi >= rpcTimeoutMs) {
    maybe = true;
    whys.push(`replies may pass the ${rpcTimeoutMs} ms RPC timeout`);
  }
  let corrupt = view.behaves(target, 'corrupt', at);
  if (view.damagesReplies(target, at) !== 'never') {
    maybe = true;
    if (corrupt === 'never') corrupt = 'maybe';
    whys.push('replies maybe damaged');
  }
  const lossQ = 1 - answerChance;
  if (lossQ > 0) whys.push(`loses ${(lossQ * 100).toFixed(1)}% of exchanges`);
  if (corrupt !== 'never') whys.push(`${corrupt === 'maybe' ? 'maybe ' : ''}corrupt`);
  return { reach: maybe ? 'maybe' : 'answers', lossQ, corrupt, why: whys.join(', ') || 'answers' };
}

function silent(view: PlanView, target: string, at: Interval, why: string): NodeReading {
  return { reach: 'silent', lossQ: 0, corrupt: view.behaves(target, 'corrupt', at), why };
}
