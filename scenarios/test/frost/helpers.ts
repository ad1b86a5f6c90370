/**
 * Test helpers: a FROST world in a kernel World built straight from a FROST plan spec (the same
 * `frostPlan` the scenarios use: participant behaviours as `behave` rules, store latencies, extra
 * rules), and the group keys participants completed. Arbitraries shared by the property suites.
 */
import fc from 'fast-check';
import { bytesToHex } from '@noble/hashes/utils.js';
import { groupVerifyingKey } from '@fanout/frost';
import { parseFaultPlan } from '@fanout/sim';
import { World, simEdge } from '../../src/kernel/index.js';
import { frostPlan, type FrostPlanSpec } from '../../src/frost/plan.js';
import { buildFrostWorld, type FrostParties, type FrostWorldSpec } from '../../src/frost/world.js';

/** Per-participant timeout of the sim properties, ms (the seed's 600 s). */
export const SIM_TIMEOUT_MS = 600_000;

/** Store latency of one participant's ARIDs: 1-30 s per operation (virtual time). */
export const storeLatencyArb = fc
  .integer({ min: 1000, max: 30_000 })
  .map((ms) => ({ kind: 'constant' as const, ms }));

/** Think time well inside the 600 s timeout, ms. */
export const thinkArb = fc.integer({ min: 0, max: 300_000 });

/**
 * A traced sim World whose plan is `frostPlan(plan)`, and the FROST parties in it (closed with
 * the world: call `world.close()`).
 */
export async function frostWorld(
  seed: number,
  plan: Omit<FrostPlanSpec, 'participants'>,
  spec: FrostWorldSpec,
): Promise<{ world: World; parties: FrostParties }> {
  const world = await World.create({
    seed,
    mode: 'sim',
    plan: parseFaultPlan(frostPlan({ ...plan, participants: spec.participants })),
    traced: true,
    edge: simEdge,
  });
  try {
    return { world, parties: await buildFrostWorld(world, spec) };
  } catch (e) {
    await world.close();
    throw e;
  }
}

/** Group key (hex) of every participant that completed `group`, by plan target. */
export function completedKeys(parties: FrostParties, group: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const a of parties.agents)
    for (const g of Object.values(a.state.groups))
      if (g.group === group && g.phase === 'complete' && g.publicKeyPackage !== undefined)
        keys.set(parties.targets.get(a.xid)!, bytesToHex(groupVerifyingKey(g.publicKeyPackage)));
  return keys;
}
