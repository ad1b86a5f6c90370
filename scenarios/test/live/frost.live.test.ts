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
import { frostNoHol, runFrostDemo } from '../../src/index.js';

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
});
