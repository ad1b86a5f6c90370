/**
 * The Bao simulator's fault hooks, driven by the plan's `behave` rules on target `bao` (plan.ts):
 * before each request is handled, the behaviours in force at that moment decide its extra
 * latency and its fault action, as @fanout/sim-bao's `ruleFaults` does for declarative rules.
 * The behaviours are read per request from a function (the world's, or `fanout sim bao`'s, shared
 * FaultInjector), so a plan swapped at run time takes effect from the next request.
 */
import type { BaoFaultAction, BaoFaultHooks } from '@fanout/sim-bao';
import { behaviourMatches, parseBaoBehaviour, type BaoBehaviour } from './plan.js';

/** A `behave` rule in force, as FaultInjector.behaviours returns it. */
export interface ActiveBehaviour {
  readonly behaviour: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * Fault hooks reading the behaviours in force from `active()` at each request. Latencies of every
 * matching behaviour add up; the first matching behaviour with an action wins; a behaviour with
 * `times` applies to the first `times` requests it matches (counted per rule, while its window is
 * open). Parsed behaviours are cached per rule.
 * A malformed behaviour makes `decide` throw BaoBehaviourError, which the simulator answers as a
 * 500 `fault hook failed: …` (it keeps serving): validate plans up front with
 * {@link parseBaoBehaviour} where a typed error is wanted.
 */
export function behaviourHooks(active: () => readonly ActiveBehaviour[]): BaoFaultHooks {
  const parsed = new WeakMap<object, BaoBehaviour>();
  const hits = new WeakMap<object, number>();
  const read = (b: ActiveBehaviour): BaoBehaviour => {
    let p = parsed.get(b.params);
    if (p === undefined) parsed.set(b.params, (p = parseBaoBehaviour(b)));
    return p;
  };
  return {
    decide(info) {
      let latencyMs = 0;
      let action: BaoFaultAction | undefined;
      for (const b of active()) {
        const p = read(b);
        if (!behaviourMatches(p, info.route, info.keyName)) continue;
        const n = hits.get(b.params) ?? 0;
        if (p.times !== undefined && n >= p.times) continue;
        hits.set(b.params, n + 1);
        latencyMs += p.latencyMs;
        if (action === undefined && p.action !== undefined) action = p.action;
      }
      return action === undefined ? { latencyMs } : { latencyMs, action };
    },
  };
}
