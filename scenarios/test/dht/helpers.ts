/**
 * Test helpers: a sim World with a given plan and the DHT parties built in it (the same
 * buildDhtWorld the scenarios use), and one read judged by the plan-reading oracle.
 */
import type { OfflineReport, OfflineRetrieveOptions } from '@fanout/dht';
import { parseFaultPlan, type FaultPlanInput } from '@fanout/sim';
import { World, simEdge } from '../../src/kernel/index.js';
import {
  DhtOracle,
  buildDhtWorld,
  checkAgainstOracle,
  type DhtParties,
  type DhtWorldSpec,
  type MayTimeOut,
  type OracleVerdict,
} from '../../src/dht/index.js';

/** The default latency of test worlds: RTT normal 40 ± 10 ms. */
export const DEFAULT_LATENCY = { kind: 'normal', meanMs: 40, sdMs: 10 } as const;

/**
 * A traced sim world of `seed` with `plan` (default: latency only) and the DHT parties of `spec`.
 * Close it with `world.close()`.
 */
export async function dhtWorld(
  seed: number,
  spec: DhtWorldSpec,
  plan: FaultPlanInput = {},
): Promise<{ world: World; parties: DhtParties }> {
  const world = await World.create({
    seed,
    mode: 'sim',
    plan: parseFaultPlan({ latency: { default: DEFAULT_LATENCY }, ...plan }),
    traced: true,
    edge: simEdge,
  });
  try {
    return { world, parties: await buildDhtWorld(world, spec) };
  } catch (e) {
    await world.close();
    throw e;
  }
}

/** One retrieval from the reader, judged by the oracle over the read's plan interval. */
export async function readAndJudge(
  world: World,
  parties: DhtParties,
  options: Partial<OfflineRetrieveOptions> = {},
  mayTimeOut?: MayTimeOut,
): Promise<{ report: OfflineReport; oracle: DhtOracle; verdict: OracleVerdict }> {
  const from = world.elapsed();
  const report = await parties.retrieve(options);
  const oracle = new DhtOracle(world, parties, { at: { fromMs: from, toMs: world.elapsed() + 1 } });
  return { report, oracle, verdict: checkAgainstOracle(oracle, parties.contacts, report, mayTimeOut) };
}

/** The violated guarantees of a run result, one line each (empty when all held). */
export function violations(r: {
  guarantees: readonly { name: string; held: boolean; detail?: string }[];
}): string {
  return r.guarantees
    .filter((g) => !g.held)
    .map((g) => `${g.name}: ${g.detail ?? ''}`)
    .join('\n');
}
