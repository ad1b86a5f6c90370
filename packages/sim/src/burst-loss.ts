/**
 * Correlated loss: the Gilbert–Elliott model, a two-state Markov chain stepped once per message.
 *
 * In state `good` a message is lost with probability `lossInGood`, in state `bad` with
 * `lossInBad`; after each message the chain moves good → bad with probability `pGoodToBad` and
 * bad → good with `pBadToGood`. Losses therefore come in bursts of mean length about
 * 1 / pBadToGood messages. The parameters are netem's `loss gemodel p r 1-h 1-k`
 * (p = pGoodToBad, r = pBadToGood, 1-h = lossInBad, 1-k = lossInGood; iproute2 tc-netem(8)).
 */
import type { Rng } from './rng.js';

/** Gilbert–Elliott parameters, all probabilities in [0, 1]. */
export interface GilbertElliott {
  /** Chance of moving good → bad after a message (netem `p`). */
  pGoodToBad: number;
  /** Chance of moving bad → good after a message (netem `r`). */
  pBadToGood: number;
  /** Loss probability in the good state (netem `1-k`). */
  lossInGood: number;
  /** Loss probability in the bad state (netem `1-h`). */
  lossInBad: number;
}

/** State of one chain. Every chain starts `good`. */
export type BurstState = 'good' | 'bad';

/**
 * One message through the chain: decide its loss in the current state, then transition.
 * Always draws exactly two floats from `rng` (loss, then transition), whatever the outcome, so the
 * number of draws never depends on the state.
 * @returns whether the message is lost and the state for the next message.
 */
export function burstStep(
  state: BurstState,
  p: GilbertElliott,
  rng: Rng,
): { lost: boolean; next: BurstState } {
  const lost = rng.float() < (state === 'good' ? p.lossInGood : p.lossInBad);
  const flip = rng.float() < (state === 'good' ? p.pGoodToBad : p.pBadToGood);
  return { lost, next: flip ? (state === 'good' ? 'bad' : 'good') : state };
}

/**
 * Long-run loss rate of the chain: π_bad · lossInBad + π_good · lossInGood, where
 * π_bad = pGoodToBad / (pGoodToBad + pBadToGood). A chain that never leaves `good`
 * (both transition probabilities 0) has rate lossInGood.
 */
export function burstLossRate(p: GilbertElliott): number {
  const sum = p.pGoodToBad + p.pBadToGood;
  const piBad = sum === 0 ? 0 : p.pGoodToBad / sum;
  return piBad * p.lossInBad + (1 - piBad) * p.lossInGood;
}
