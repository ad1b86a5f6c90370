import { bytesToHex } from '@noble/hashes/utils.js';
import { parseFaultPlan } from '@fanout/sim';
import { describe, expect, test } from 'vitest';
import { FIXTURE_BACKEND, FIXTURE_SEED, groupFixture } from '../../src/frost/fixture.js';
import { frostPlan } from '../../src/frost/plan.js';
import { buildFrostWorld, type GroupFixture } from '../../src/frost/world.js';
import { World, simEdge } from '../../src/kernel/world.js';

/** The fixture as text (bytes as hex), so two fixtures compare field by field. */
const text = (f: GroupFixture): string =>
  JSON.stringify(f, (_, v: unknown) =>
    v instanceof Uint8Array ? bytesToHex(v) : typeof v === 'bigint' ? String(v) : v,
  );

/** The fixture DKG as it was first written: over the Hubert HTTP server backend. */
async function overServer(participants: number, minSigners: number): Promise<GroupFixture> {
  const world = await World.create({
    seed: FIXTURE_SEED,
    mode: 'sim',
    plan: parseFaultPlan(frostPlan({ participants })),
    traced: false,
    edge: simEdge,
  });
  try {
    const parties = await buildFrostWorld(world, { participants, minSigners, backend: 'server' });
    const dkg = await parties.runDkg({ charter: 'fixture group' });
    expect(dkg.ok).toBe(true);
    return parties.fixtureFor(dkg.group!);
  } finally {
    await world.close();
  }
}

describe('group fixture', () => {
  test(`the ${FIXTURE_BACKEND}-backend fixture is the server-backend one: same identities, group and states`, async () => {
    expect(FIXTURE_BACKEND).not.toBe('server');
    const fast = await groupFixture(3, 2);
    expect(text(fast)).toBe(text(await overServer(3, 2)));
    expect(fast.group.groupVerifyingKey).toHaveLength(32);
  });

  test('one fixture per (participants, minSigners, seed): a second call returns the same object', async () => {
    expect(await groupFixture(3, 2)).toBe(await groupFixture(3, 2));
    expect(text(await groupFixture(3, 2, FIXTURE_SEED + 1))).not.toBe(text(await groupFixture(3, 2)));
  });
});
