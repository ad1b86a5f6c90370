/**
 * FROST over every Hubert backend (sim): the server backend over HTTP through the world's edges,
 * and the in-process memory, mainline and hybrid models through each party's fault edge.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { assertProperty } from '@fanout/testkit';
import type { HybridKvStore } from '@fanout/sim-hubert';
import { FROST_BACKENDS } from '../../src/frost/hubert-faults.js';
import { completedKeys, frostWorld, SIM_TIMEOUT_MS, storeLatencyArb } from './helpers.js';

describe('FROST over every Hubert backend (sim)', () => {
  test.each(FROST_BACKENDS.map((b) => [b] as const))(
    '%s: DKG + signing give a signature that verifies, or (mainline) fail at the invitation with the exact 1000-byte error, never retried',
    async (backend) => {
      await assertProperty(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 0xffff }),
          fc.array(storeLatencyArb, { minLength: 3, maxLength: 3 }),
          fc.boolean(),
          async (seed, latencies, quorumExit) => {
            const { world, parties } = await frostWorld(
              seed,
              { storeLatency: latencies },
              { participants: 3, minSigners: 2, backend, coordinator: { timeoutMs: SIM_TIMEOUT_MS } },
            );
            try {
              expect(parties.backend).toBe(backend);
              const dkg = await parties.runDkg();
              if (backend === 'mainline') {
                // Upstream MainlineDhtKv neither splits nor references: a sealed dkgInvite is
                // larger than a BEP-44 item, so the put fails, permanently.
                expect(dkg.ok).toBe(false);
                expect(dkg.failure!.round).toBe('dkg invite');
                const errors = dkg.invite.sent.errors.map((e) => e.error.message);
                expect(errors).toHaveLength(3);
                for (const m of errors) expect(m).toMatch(/^Value size \d+ exceeds DHT limit of 1000 bytes$/);
                expect(dkg.failure!.reason).toContain('exceeds DHT limit of 1000 bytes');
                // Not retried until the 600 s timeout: one put per participant.
                expect(dkg.invite.sent.elapsedMs).toBeLessThanOrEqual(
                  Math.max(...latencies.map((l) => l.ms)),
                );
                return;
              }
              expect(dkg.ok, dkg.failure?.reason).toBe(true);
              const want = bytesToHex(dkg.group!.groupVerifyingKey);
              expect([...completedKeys(parties, dkg.group!.group).values()]).toEqual([want, want, want]);
              const target = new TextEncoder().encode(`backend ${backend} ${seed}`);
              const sign = await parties.runSign({ group: dkg.group!, target, quorumExit });
              expect(sign.ok, sign.failure?.reason).toBe(true);
              expect(ed25519.verify(sign.signature!, sha256(target), dkg.group!.groupVerifyingKey)).toBe(
                true,
              );
              // Big messages went to IPFS behind DHT references.
              if (backend === 'hybrid')
                expect((parties.store as HybridKvStore).ipfs.volume.size).toBeGreaterThan(0);
            } finally {
              await world.close();
            }
          },
        ),
        { numRuns: 2 },
      );
    },
  );
});
