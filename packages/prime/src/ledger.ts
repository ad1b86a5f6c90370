/**
 * Rewards and slashing (seeds/004 EconomicConfig: base_reward 100, quality_multiplier 2.0,
 * reliability_bonus 1.5, slashing_rate 0.1; quality_threshold 0.8). The formulas are this
 * package's reading of those names:
 *
 *   reward(update) = baseReward × (quality ≥ qualityThreshold ? qualityMultiplier : 1)
 *                               × (reliability ≥ reliabilityBonusThreshold ? reliabilityBonus : 1)
 *   slash(update)  = slashingRate × the node's stake (the stake shrinks by that much)
 *
 * quality = cosine similarity of the update to the committed aggregate; reliability = the node's
 * score before the round. Only updates used in a committed round are rewarded; an update
 * rejected as Byzantine is slashed and never rewarded; nobody is paid for a failed round.
 */
import { cosineSimilarity } from './aggregate.js';
import type { CoordinatorConfig } from './config.js';

/** One ledger line. Amounts are tokens (not rounded). */
export interface LedgerEntry {
  /** 0-based position in the ledger. */
  readonly seq: number;
  readonly round: number;
  readonly nodeId: string;
  readonly kind: 'reward' | 'slash';
  readonly amount: number;
  /** 'accepted-update' for rewards; the rejection reason for slashes. */
  readonly reason: string;
  readonly updateId: string | undefined;
}

/** What the ledger needs to price one accepted update. */
export interface RewardInput {
  readonly nodeId: string;
  readonly updateId: string;
  readonly delta: ArrayLike<number>;
  /** Reliability before the round. */
  readonly reliability: number;
}

/** The reward of one accepted update (see the module docstring). */
export function rewardFor(
  update: RewardInput,
  aggregate: ArrayLike<number>,
  econ: CoordinatorConfig['economics'],
): { amount: number; quality: number } {
  const quality = cosineSimilarity(update.delta, aggregate);
  const q = quality >= econ.qualityThreshold ? econ.qualityMultiplier : 1;
  const r = update.reliability >= econ.reliabilityBonusThreshold ? econ.reliabilityBonus : 1;
  return { amount: econ.baseReward * q * r, quality };
}

/** Append-only token ledger: earned balances and stakes per node. */
export class RewardLedger {
  readonly #entries: LedgerEntry[] = [];
  readonly #earned = new Map<string, number>();

  /** Every entry, oldest first. */
  get entries(): readonly LedgerEntry[] {
    return this.#entries;
  }

  /** Tokens earned by `nodeId` (rewards only; slashes come out of the stake). */
  earnedBy(nodeId: string): number {
    return this.#earned.get(nodeId) ?? 0;
  }

  /** Total slashed from `nodeId`. */
  slashedFrom(nodeId: string): number {
    return this.#entries
      .filter((e) => e.nodeId === nodeId && e.kind === 'slash')
      .reduce((a, e) => a + e.amount, 0);
  }

  /** Append an entry (its seq is assigned here) and return it. */
  record(entry: Omit<LedgerEntry, 'seq'>): LedgerEntry {
    const full: LedgerEntry = { ...entry, seq: this.#entries.length };
    this.#entries.push(full);
    if (full.kind === 'reward') this.#earned.set(full.nodeId, this.earnedBy(full.nodeId) + full.amount);
    return full;
  }
}
