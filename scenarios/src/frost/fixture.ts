/**
 * A completed DKG reused by the signing scenarios and tests: FROST crypto is slow on a small
 * machine, and a group does not depend on the plan of the run that signs with it. One DKG per
 * (participants, minSigners, identitySeed) per process, run in its own fault-free sim World whose
 * seed is `identitySeed`, over the in-process 'memory' Hubert backend: every party draws from its
 * own stream in protocol order, so the group and the participants' states are the same as over
 * the HTTP server (a test compares them), at about half the cost (no HTTP, no bc-ur, no polls).
 */
import { parseFaultPlan } from '@fanout/sim';
import { World, simEdge } from '../kernel/world.js';
import { SHARED_IDENTITY_SEED } from './identities.js';
import { frostPlan } from './plan.js';
import { buildFrostWorld, type GroupFixture } from './world.js';

/** The default identity seed of fixtures: the shared identity set's, so both use the same keys. */
export const FIXTURE_SEED = SHARED_IDENTITY_SEED;

/** The Hubert backend fixture DKGs run over (see the module docstring). */
export const FIXTURE_BACKEND = 'memory';

const fixtures = new Map<string, Promise<GroupFixture>>();

/** A fixture DKG failed (it never should: no faults, every participant honest). */
export class FixtureError extends Error {
  override readonly name = 'FixtureError';
}

/**
 * The group fixture of `participants` with threshold `minSigners` (see the module docstring).
 * @throws (rejects with) FixtureError when the fixture DKG fails; FrostWorldError for bad sizes.
 */
export function groupFixture(
  participants: number,
  minSigners: number,
  identitySeed: number = FIXTURE_SEED,
): Promise<GroupFixture> {
  const key = `${participants}/${minSigners}/${identitySeed}`;
  let f = fixtures.get(key);
  if (f === undefined) {
    f = (async () => {
      const world = await World.create({
        seed: identitySeed,
        mode: 'sim',
        plan: parseFaultPlan(frostPlan({ participants })),
        traced: false,
        edge: simEdge,
      });
      try {
        const parties = await buildFrostWorld(world, { participants, minSigners, backend: FIXTURE_BACKEND });
        const dkg = await parties.runDkg({ charter: 'fixture group' });
        if (!dkg.ok || dkg.group === undefined)
          throw new FixtureError(`fixture DKG ${key} failed: ${dkg.failure?.reason}`);
        return parties.fixtureFor(dkg.group);
      } finally {
        await world.close();
      }
    })();
    fixtures.set(key, f);
    f.catch(() => fixtures.delete(key));
  }
  return f;
}
