/**
 * The five Prime scenarios, in `fanout list` order, built with the given test seams (none: the
 * production scenarios, {@link primeScenarios}).
 */
import type { Scenario } from '../kernel/define.js';
import { byzantineScenario } from './byzantine.js';
import { heartbeatScenario } from './heartbeat.js';
import type { PrimeScenarioSeams } from './kit.js';
import { noHolScenario } from './no-hol.js';
import { noUpdateLostScenario } from './no-update-lost.js';
import { roundQuorumScenario } from './round-quorum.js';

export { byzantineScenario, heartbeatScenario, noHolScenario, noUpdateLostScenario, roundQuorumScenario };
export { countedOnceViolation } from './no-update-lost.js';
export { checkQuorumRound } from './round-quorum.js';

/** The Prime scenarios with `seams` (deliberately broken coordinators in tests). */
export function createPrimeScenarios(seams: PrimeScenarioSeams = {}): Scenario[] {
  return [
    roundQuorumScenario(seams),
    byzantineScenario(seams),
    noHolScenario(seams),
    heartbeatScenario(seams),
    noUpdateLostScenario(seams),
  ];
}

/** The production Prime scenarios. */
export const primeScenarios: readonly Scenario[] = createPrimeScenarios();
