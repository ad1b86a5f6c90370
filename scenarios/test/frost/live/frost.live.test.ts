/**
 * Live tier: FROST over real Hubert HTTP servers on 127.0.0.1 (one per party, each a plan target
 * with the run's injector at its edge; hono on node:http), every party a real HTTP client polling
 * at Hubert's 1000 ms, wall-clock time. Guarantees, outcomes and signatures only; no timing
 * assertion on the shared machine's wall clock (the live no-HOL check is structural).
 */
import { describe, expect, test } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { parseFaultPlan } from '@fanout/sim';
import { World, parseOptions, runScenario } from '../../../src/kernel/index.js';
import { liveEdge } from '../../../src/kernel/live/edge.js';
import { DEMO_TARGET, frostDemo } from '../../../src/frost/demo.js';
import { frostPlan, HUBERT } from '../../../src/frost/plan.js';
import { frostScenarios } from '../../../src/frost/scenarios.js';
import { buildFrostWorld } from '../../../src/frost/world.js';

const scenario = (name: string) => frostScenarios.find((s) => s.name === name)!;

describe('FROST over live Hubert HTTP servers on 127.0.0.1', () => {
  test('demo: DKG 3-of-4 and a quorum-exit signing session end with a signature ed25519.verify accepts', async () => {
    const lines: string[] = [];
    const options = parseOptions(
      frostDemo.options,
      { participants: 4, minSigners: 3, mode: 'live', seed: 21, quorumExit: true },
      'demo',
    );
    const code = await frostDemo.run(options, {
      log: (l) => lines.push(l),
      onEvent: () => {},
      signal: new AbortController().signal,
      wallNow: () => 0,
    });
    const out = lines.join('\n');
    expect(code, out).toBe(0);
    expect(out).toMatch(/\(Hubert at http:\/\/127\.0\.0\.1:\d+\)/);
    expect(out).toContain('ed25519.verify(signature, SHA-256(target), groupKey) = true');
    const field = (name: string): Uint8Array =>
      hexToBytes(lines.find((l) => l.startsWith(name))!.split(/:\s+/)[1]!);
    const signature = field('Signature:');
    const key = field('Group verifying key:');
    expect(ed25519.verify(signature, sha256(new TextEncoder().encode(DEMO_TARGET)), key)).toBe(true);
    // Not a signature over another message.
    expect(ed25519.verify(signature, sha256(new TextEncoder().encode('other')), key)).toBe(false);
  });

  test.each(['frost.dkg', 'frost.no-hol'])(
    '%s keeps its guarantees live (tier defaults: shorter timeouts, a participant 10 s away)',
    async (name) => {
      const r = await runScenario(scenario(name), { seed: 3, mode: 'live' });
      for (const g of r.guarantees) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
      expect(r.traceHash).toBeUndefined();
      if (name === 'frost.no-hol') expect(r.options['slowMs']).toBe(10_000);
    },
  );

  test('a Hubert crash + restart (data kept) during the DKG is ridden out; a busy participant read from the plan live fails the next one at round 1', async () => {
    const retries: string[] = [];
    const crash = parseFaultPlan(
      frostPlan({
        participants: 3,
        storeLatency: [50, 80, 120].map((ms) => ({ kind: 'constant' as const, ms })),
        // Down from 300 ms to 2300 ms of the run: the invitations and round 1 are in flight.
        rules: [{ fault: 'crash', targets: [HUBERT], atMs: 300, restartAfterMs: 2000 }],
      }),
    );
    const world = await World.create({ seed: 31, mode: 'live', plan: crash, traced: false, edge: liveEdge });
    try {
      const parties = await buildFrostWorld(world, {
        participants: 3,
        minSigners: 2,
        coordinator: { timeoutMs: 30_000 },
        onRoundEvent: (e) => {
          if (e.type === 'participant-retry') retries.push(`coordinator: ${e.error}`);
        },
        onAgentEvent: (who, e) => {
          if (e.type === 'put-retry') retries.push(`${who}: ${e.error}`);
        },
      });
      const dkg = await parties.runDkg();
      expect(dkg.ok, dkg.failure?.reason).toBe(true);
      // The coordinator's polls (every 1 s) or an agent's reply met the crashed server and retried.
      expect(
        retries.some((r) => r.includes('Service Unavailable')),
        retries.join('; '),
      ).toBe(true);
    } finally {
      await world.close();
    }
    const busy = parseFaultPlan(
      frostPlan({ participants: 3, behaviours: [undefined, { on: { dkgInvite: 'busy' } }] }),
    );
    const second = await World.create({ seed: 32, mode: 'live', plan: busy, traced: false, edge: liveEdge });
    try {
      const parties = await buildFrostWorld(second, {
        participants: 3,
        minSigners: 2,
        coordinator: { timeoutMs: 30_000 },
      });
      const dkg = await parties.runDkg();
      expect(dkg.ok).toBe(false);
      expect(dkg.failure!.round).toBe('dkg round1');
      expect(dkg.failure!.missing).toEqual([parties.identities[1]!.xid]);
    } finally {
      await second.close();
    }
  }, 60_000);
});
