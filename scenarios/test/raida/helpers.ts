/**
 * Test helpers: a RAIDA world built straight from behaviours (through the same plan rules the
 * scenarios use), with the oracle's expected votes computed from the behaviours themselves —
 * independently of PlanView, so the properties also check the plan → oracle reading.
 */
import { RAIDA_COUNT, type Vote } from '@fanout/raida';
import { parseFaultPlan, type FaultPlanInput, type LatencySpec } from '@fanout/sim';
import { raidaTarget } from '@fanout/sim-raida';
import { World, simEdge } from '../../src/kernel/index.js';
import { behaviourRules, type Behaviour } from '../../src/raida/plan.js';
import {
  buildRaidaWorld,
  SIM_TIMEOUT_MS,
  type RaidaParties,
  type RaidaWorldSpec,
} from '../../src/raida/world.js';

/** Behaviours in which the RAIDA's vote reaches the client. */
const ANSWERS: ReadonlySet<Behaviour> = new Set(['honest', 'wrongAn', 'errorStatus', 'duplicate', 'reorder']);

/** The vote the client must record from a RAIDA with behaviour `b` (written from the behaviour, not the plan). */
export function expectedVote(b: Behaviour, holdsClientAn: boolean): Vote {
  if (!ANSWERS.has(b)) return 'noReply';
  if (b === 'errorStatus') return 'error';
  if (b === 'wrongAn') return 'fail';
  return holdsClientAn ? 'pass' : 'fail';
}

/** A sim world with `behaviours` realised as plan rules, plus the RAIDA parties. */
export async function raidaWorld(
  seed: number,
  behaviours: readonly Behaviour[],
  spec: RaidaWorldSpec & {
    latencyOf?: Readonly<Record<number, LatencySpec>>;
    rules?: FaultPlanInput['rules'];
  },
): Promise<{ world: World; parties: RaidaParties; expected: Vote[][] }> {
  if (behaviours.length !== RAIDA_COUNT) throw new RangeError('25 behaviours');
  const plan = parseFaultPlan({
    latency: {
      default: { kind: 'normal', meanMs: 50, sdMs: 10 },
      perTarget: Object.fromEntries(
        Object.entries(spec.latencyOf ?? {}).map(([r, l]) => [raidaTarget(Number(r)), l]),
      ),
    },
    rules: [...behaviourRules(behaviours, spec.client?.timeoutMs ?? SIM_TIMEOUT_MS), ...(spec.rules ?? [])],
  });
  const world = await World.create({ seed, mode: 'sim', plan, traced: true, edge: simEdge });
  const parties = await buildRaidaWorld(world, spec);
  const expected = parties.coins.map((_, i) =>
    behaviours.map((b, r) => expectedVote(b, parties.holdsClientAn(i, r))),
  );
  return { world, parties, expected };
}
