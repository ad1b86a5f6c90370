/**
 * FoundationDB-style swizzle-clog (fdbserver/workloads/RandomClogging.actor.cpp,
 * `swizzleClogClient`): clog a growing subset of targets one by one, then unclog them in a random
 * order. A clogged target's traffic is held, not lost (FoundationDB's `clogInterface` delays every
 * packet to and from the machine until the clog ends): a request sent to it, or a reply it sends,
 * while clogged leaves when it unclogs.
 *
 * Schedule of one `swizzleClog` rule over its members m_0 … m_{n-1} (the `targets` in the order
 * listed, then the members of `group` in the group's order, each once), with P = periodMs and
 * H = holdMs (default P):
 * - m_i clogs at `atMs + i·P` (so all n are clogged from `atMs + (n-1)·P`);
 * - the unclog order is a permutation of the members drawn from the seed; the j-th member in that
 *   order unclogs at `atMs + (n-1)·P + H + j·P`.
 * Where FoundationDB draws the times themselves at random, this schedule is regular so that a plan
 * reads as what it does; only the unclog order comes from the seed.
 */
import type { Rng } from './rng.js';

/** The fields of a `swizzleClog` rule the schedule depends on. */
export interface SwizzleRuleLike {
  targets?: readonly string[] | undefined;
  group?: string | undefined;
  /** Plan time of the first clog, ms. */
  atMs: number;
  /** Time between two clogs and between two unclogs, ms (> 0). */
  periodMs: number;
  /** Time all members stay clogged between the last clog and the first unclog, ms (default periodMs). */
  holdMs?: number | undefined;
}

/** One member's clog interval [clogAtMs, unclogAtMs) in plan time. */
export interface SwizzleEntry {
  readonly target: string;
  readonly clogAtMs: number;
  readonly unclogAtMs: number;
}

/** The rule's members in clog order: `targets` as listed, then `group`'s members, without repeats. */
export function swizzleMembers(
  rule: SwizzleRuleLike,
  groups: Readonly<Record<string, readonly string[]>>,
): string[] {
  const out: string[] = [];
  for (const t of [...(rule.targets ?? []), ...(rule.group === undefined ? [] : (groups[rule.group] ?? []))])
    if (!out.includes(t)) out.push(t);
  return out;
}

/** Plan time at which the first member unclogs, ms: `atMs + (n-1)·P + H`. */
export function swizzleFirstUnclogMs(rule: SwizzleRuleLike, members: number): number {
  return rule.atMs + Math.max(0, members - 1) * rule.periodMs + (rule.holdMs ?? rule.periodMs);
}

/**
 * The full schedule (see the module comment), in clog order. `rng` draws the unclog order (one
 * Fisher–Yates shuffle of the members); pass the rule's own stream so the order depends only on
 * the seed and the rule.
 */
export function swizzleSchedule(
  rule: SwizzleRuleLike,
  groups: Readonly<Record<string, readonly string[]>>,
  rng: Rng,
): SwizzleEntry[] {
  const members = swizzleMembers(rule, groups);
  const order = rng.shuffle(members);
  const first = swizzleFirstUnclogMs(rule, members.length);
  return members.map((target, i) => ({
    target,
    clogAtMs: rule.atMs + i * rule.periodMs,
    unclogAtMs: first + order.indexOf(target) * rule.periodMs,
  }));
}

/**
 * What a plan reader can know without the seed: member `target` is surely clogged during
 * [clogAtMs, firstUnclogMs) and maybe clogged until lastUnclogMs. Undefined when `target` is not
 * a member.
 */
export function swizzleBounds(
  rule: SwizzleRuleLike,
  groups: Readonly<Record<string, readonly string[]>>,
  target: string,
): { clogAtMs: number; firstUnclogMs: number; lastUnclogMs: number } | undefined {
  const members = swizzleMembers(rule, groups);
  const i = members.indexOf(target);
  if (i < 0) return undefined;
  const first = swizzleFirstUnclogMs(rule, members.length);
  return {
    clogAtMs: rule.atMs + i * rule.periodMs,
    firstUnclogMs: first,
    lastUnclogMs: first + (members.length - 1) * rule.periodMs,
  };
}
