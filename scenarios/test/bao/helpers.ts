/**
 * Test helpers: a sim world with a given plan (Bao behaviours written with the same rule builders
 * the scenarios use) and the Bao parties in it, plus deliberately broken keyrings that the
 * guarantees must catch.
 */
import { expect } from 'vitest';
import {
  BaoKeyring,
  BaoKeyExistsError,
  BatchPartialFailureError,
  type BaoClient,
  type BaoKeyringOptions,
  type CreateBatchOptions,
  type CreateBatchResult,
  type SignBatchOptions,
  type SignOutput,
  type SignRequest,
  type SignResult,
} from '@fanout/bao-keyring';
import { parseFaultPlan, type FaultPlanInput } from '@fanout/sim';
import { World, simEdge } from '../../src/kernel/index.js';
import { buildBaoWorld, type BaoParties, type BaoWorldSpec } from '../../src/bao/world.js';

/** A sim world (traced) with `plan`, and its Bao parties. Close the world when done. */
export async function baoWorld(
  seed: number,
  plan: FaultPlanInput = {},
  spec: BaoWorldSpec = {},
): Promise<{ world: World; parties: BaoParties }> {
  const world = await World.create({
    seed,
    mode: 'sim',
    plan: parseFaultPlan(plan),
    traced: true,
    edge: simEdge,
  });
  try {
    return { world, parties: await buildBaoWorld(world, spec) };
  } catch (e) {
    await world.close();
    throw e;
  }
}

/** Expect every check to hold (the message names the check and its detail). */
export function heldAll(gs: readonly { name: string; held: boolean; detail?: string }[]): void {
  for (const g of gs) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
}

/** The violated checks of a run, as `name: detail` lines ('' when all held). */
export function violations(r: {
  guarantees: readonly { name: string; held: boolean; detail?: string }[];
}): string {
  return r.guarantees
    .filter((g) => !g.held)
    .map((g) => `${g.name}: ${g.detail ?? ''}`)
    .join('\n');
}

/** Signs one request at a time whatever it is asked: fast keys queue behind slow ones (head-of-line blocking). */
export class SerialKeyring extends BaoKeyring {
  override signBatch(
    requests: readonly SignRequest[],
    options: SignBatchOptions = {},
  ): Promise<SignResult[]> {
    return super.signBatch(requests, { ...options, concurrency: 1 });
  }
}

/** Returns signBatch results in completion order instead of request order. */
export class CompletionOrderKeyring extends BaoKeyring {
  override async signBatch(
    requests: readonly SignRequest[],
    options: SignBatchOptions = {},
  ): Promise<SignResult[]> {
    const r = await super.signBatch(requests, options);
    return [...r].sort((a, b) => a.settledAt - b.settledAt);
  }
}

/** Hands out whatever the server signs, without checking it (the local verification removed). */
export class UncheckedKeyring extends BaoKeyring {
  readonly #client: BaoClient;
  constructor(options: BaoKeyringOptions) {
    super(options);
    this.#client = options.client;
  }
  override async sign(uid: string, signBytes: Uint8Array): Promise<SignOutput> {
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const res = await this.#client.sign(uid, sha256(signBytes), { prehashed: true, outputFormat: 'cosmos' });
    return { signature: res.signature, publicKey: res.publicKey ?? new Uint8Array(33) };
  }
}

/**
 * Reports a partly failed createBatch as a success (the failed names are swallowed): the same
 * traffic as the real keyring, another decision.
 */
export class SilentBatchKeyring extends BaoKeyring {
  override async createBatch(options: CreateBatchOptions): Promise<CreateBatchResult> {
    try {
      return await super.createBatch(options);
    } catch (e) {
      if (!(e instanceof BatchPartialFailureError)) throw e;
      const result = e.result as CreateBatchResult;
      // Existing keys still fail (so the rerun keeps its shape); everything else "succeeded".
      if (result.items.some((i) => i.error instanceof BaoKeyExistsError)) throw e;
      return result;
    }
  }
}
