/**
 * Live tier: FROST over a real Hubert HTTP server on 127.0.0.1 (ephemeral port, hono on
 * node:http), every party a real HTTP client polling at Hubert's 1000 ms, wall-clock time.
 * Guarantees and signatures only; no timing assertion on the shared machine's wall clock (the
 * quorum-exit check is structural: the participant 10 s away was still being invited when the
 * signer set was fixed, and cancelled).
 */
import { describe, expect, test } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { buildFrostWorld, frostNoHol, runFrostDemo } from '../../src/legacy.js';

describe('FROST over a live Hubert HTTP server on 127.0.0.1', () => {
  test('demo: DKG 3-of-4 and a quorum-exit signing session end with a signature ed25519.verify accepts', async () => {
    const target = new TextEncoder().encode('live frost test');
    const r = await runFrostDemo({
      participants: 4,
      minSigners: 3,
      mode: 'live',
      seed: 21,
      quorumExit: true,
      target,
      thinkMs: [20, 60, 120, 180],
    });
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.hubertUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.verified).toBe(true);
    expect(ed25519.verify(r.signature!, sha256(target), r.groupVerifyingKey!)).toBe(true);
    // Not a signature over another message.
    expect(
      ed25519.verify(r.signature!, sha256(new TextEncoder().encode('other')), r.groupVerifyingKey!),
    ).toBe(false);
  });

  test('frost.no-hol keeps its guarantees live (a participant 10 s away is not waited for)', async () => {
    const r = await frostNoHol.run({ seed: 3, mode: 'live', options: frostNoHol.defaults });
    for (const g of r.guarantees) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
    expect(r.traceHash).toBeUndefined();
  });

  test('a Hubert crash + restart (data kept) during the DKG is ridden out: the DKG succeeds', async () => {
    const retries: string[] = [];
    const world = await buildFrostWorld({
      seed: 31,
      mode: 'live',
      participants: 3,
      minSigners: 2,
      storeLatency: [50, 80, 120].map((ms) => ({ kind: 'constant' as const, ms })),
      coordinator: { timeoutMs: 30_000 },
      // Down from 300 ms to 2300 ms of the run: the invitations and round 1 are in flight.
      extraRules: [{ fault: 'crash', targets: ['hubert'], atMs: 300, restartAfterMs: 2000 }],
      onRoundEvent: (e) => {
        if (e.type === 'participant-retry') retries.push(`coordinator: ${e.error}`);
      },
      onAgentEvent: (who, e) => {
        if (e.type === 'put-retry') retries.push(`${who}: ${e.error}`);
      },
    });
    try {
      const dkg = await world.runDkg();
      expect(dkg.ok, dkg.failure?.reason).toBe(true);
      // The coordinator's polls (every 1 s) or an agent's reply met the crashed server and retried.
      expect(
        retries.some((r) => r.includes('Service Unavailable')),
        retries.join('; '),
      ).toBe(true);
    } finally {
      await world.close();
    }
  }, 60_000);
});
