/**
 * RAIDA guarantees as fast-check properties, in sim mode (virtual time, deterministic). Failures
 * print the seed, the shrunk counterexample and a replay command (assertProperty).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { VirtualClock, type DatagramAddress, type DatagramTransport } from '@fanout/core';
import { RAIDA_COUNT, RaidaClient } from '@fanout/raida';
import { createCluster, installTokens, mintTokens } from '@fanout/sim-raida';
import { createRng, rngBytesFn } from '@fanout/sim';
import { checkDeterminism, runScenario } from '../../src/kernel/index.js';
import { allowedMatrix, oracleGrade } from '../../src/raida/oracle.js';
import type { Behaviour } from '../../src/raida/plan.js';
import { raidaScenarios } from '../../src/raida/scenarios.js';
import { raidaWorld } from './helpers.js';

const behaviourArb: fc.Arbitrary<Behaviour> = fc.constantFrom<Behaviour>(
  'honest',
  'honest',
  'honest',
  'wrongAn',
  'dropRequest',
  'dropReply',
  'errorStatus',
  'crash',
  'partition',
  'spoof',
  'duplicate',
  'reorder',
);
const tokenCount = fc.constantFrom(1, 8, 9, 17);
const raidaSubset = fc.uniqueArray(fc.integer({ min: 0, max: RAIDA_COUNT - 1 }), { maxLength: 14 });
const scenario = (name: string) => raidaScenarios.find((s) => s.name === name)!;

describe('RAIDA client properties (sim)', () => {
  test('quorum boundary: votes and grades equal the oracle for any faults; the plan-read oracle agrees; never authentic with < 13 true passes', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(behaviourArb, { minLength: RAIDA_COUNT, maxLength: RAIDA_COUNT }),
        tokenCount.chain((n) =>
          fc.tuple(fc.constant(n), fc.array(raidaSubset, { minLength: n, maxLength: n })),
        ),
        async (seed, behaviours, [coins, frackedOn]) => {
          const { world, parties, expected } = await raidaWorld(seed, behaviours, { coins, frackedOn });
          try {
            const report = await parties.client.detect(parties.coins);
            const allowed = allowedMatrix(world, parties, { fromMs: 0, toMs: world.elapsed() + 1 });
            report.tokens.forEach((t, i) => {
              expect(t.votes).toEqual(expected[i]);
              expect(allowed[i]!.map((a) => [...a.votes])).toEqual(expected[i]!.map((v) => [v]));
              expect(t.grade).toBe(oracleGrade(expected[i]!, 13));
              const truePasses = expected[i]!.filter((v) => v === 'pass').length;
              if (t.grade === 'authentic' || t.grade === 'fracked')
                expect(truePasses).toBeGreaterThanOrEqual(13);
            });
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  test('12 vs 13: exactly 13 honest RAIDA grade authentic, exactly 12 grade limbo', async () => {
    for (const honest of [12, 13]) {
      const behaviours: Behaviour[] = Array.from({ length: RAIDA_COUNT }, (_, i) =>
        i < honest ? 'honest' : 'dropReply',
      );
      const { world, parties } = await raidaWorld(honest, behaviours, { coins: 9 });
      try {
        const report = await parties.client.detect(parties.coins);
        expect(report.tokens.map((t) => t.grade)).toEqual(
          new Array(9).fill(honest === 13 ? 'authentic' : 'limbo'),
        );
      } finally {
        await world.close();
      }
    }
  });

  test('ordering: replies released in any order (fc.scheduler), duplicated or spoofed, never change grades', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        tokenCount.chain((n) =>
          fc.tuple(fc.constant(n), fc.array(raidaSubset, { minLength: n, maxLength: n })),
        ),
        fc.uniqueArray(fc.integer({ min: 0, max: RAIDA_COUNT - 1 }), { maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 0, max: RAIDA_COUNT - 1 }), { maxLength: 6 }),
        async (s, [n, frackedOn], spoofers, duplicators) => {
          const rng = createRng(7);
          const servers = createCluster({ rng: rng.fork('servers') });
          const minted = mintTokens(rngBytesFn(rng.fork('mint')), n, { firstSn: 1 });
          installTokens(servers, minted);
          const wrong = rngBytesFn(rng.fork('wrong'));
          const coins = minted.map((m, i) => ({
            ...m,
            ans: m.ans.map((an, r) => (frackedOn[i]!.includes(r) ? wrong(16) : an)),
          }));
          // A transport whose replies are released by the fast-check scheduler, in any order.
          const listeners = new Set<(b: Uint8Array, from: DatagramAddress) => void>();
          let spoofedSent = 0;
          const transport: DatagramTransport = {
            send: (to, bytes) => {
              const id = to.port - 50000;
              const reply = servers[id]!.handle(bytes, 0);
              if (reply === null) return;
              const copies = duplicators.includes(id) ? 2 : 1;
              for (let c = 0; c < copies; c++) {
                const out = reply.slice();
                if (spoofers.includes(id)) {
                  out[0] = (id + 1) % RAIDA_COUNT;
                  spoofedSent++;
                }
                void s
                  .schedule(Promise.resolve(out), `reply from RAIDA ${id}${copies > 1 ? ` copy ${c}` : ''}`)
                  .then((b) => listeners.forEach((l) => l(b, to)));
              }
            },
            onMessage: (l) => (listeners.add(l), () => listeners.delete(l)),
            close: async () => {},
          };
          // Manual virtual clock: no timeout can fire while the scheduler holds replies.
          const clock = new VirtualClock({ autoAdvance: false });
          const client = new RaidaClient({ transport, rng: rngBytesFn(rng.fork('client')), clock });
          const done = client.detect(coins);
          let finished = false;
          void done.then(() => (finished = true));
          for (let round = 0; round < 100 && !finished; round++) {
            await s.waitAll();
            if (!finished) await clock.advance(1000);
          }
          const report = await done;
          report.tokens.forEach((t, i) => {
            const expected = Array.from({ length: RAIDA_COUNT }, (_, r) =>
              spoofers.includes(r) ? 'noReply' : frackedOn[i]!.includes(r) ? 'fail' : 'pass',
            );
            expect(t.votes).toEqual(expected);
            expect(t.grade).toBe(oracleGrade(expected as ('pass' | 'fail' | 'noReply')[], 13));
          });
          expect(client.stats.replies).toBeLessThanOrEqual(client.stats.requests);
          expect(client.stats.unmatched).toBeGreaterThanOrEqual(spoofedSent);
          client.close();
        },
      ),
      { numRuns: 36 },
    );
  });

  test('no head-of-line blocking (early exit): the decision comes at the 13th fastest reply, whatever the slow ones do', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          fc.integer({ min: 1, max: 100 }).map((x) => x * 2),
          { minLength: RAIDA_COUNT, maxLength: RAIDA_COUNT },
        ),
        fc.uniqueArray(fc.integer({ min: 0, max: RAIDA_COUNT - 1 }), { minLength: 1, maxLength: 12 }),
        tokenCount,
        async (latencies, slow, coins) => {
          const lat = latencies.map((ms, r) => (slow.includes(r) ? 5000 : ms));
          const { world, parties } = await raidaWorld(1, new Array<Behaviour>(RAIDA_COUNT).fill('honest'), {
            coins,
            latencyOf: Object.fromEntries(lat.map((ms, r) => [r, { kind: 'constant', ms }])),
            client: { earlyExit: true, timeoutMs: 20_000 },
          });
          try {
            const report = await parties.client.detect(parties.coins);
            const thirteenth = [...lat].sort((a, b) => a - b)[12]!;
            expect(report.elapsedMs).toBe(thirteenth);
            expect(report.tokens.every((t) => t.grade === 'authentic')).toBe(true);
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  test('batching and quorum end to end: detect of 67-140 and pown of 38-80 tokens (2-3 datagrams), quorum 12/13/14, grades equal the oracle', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(behaviourArb, { minLength: RAIDA_COUNT, maxLength: RAIDA_COUNT }),
        fc.constantFrom(12, 13, 14),
        fc.oneof(
          fc.record({ command: fc.constant('detect' as const), n: fc.integer({ min: 67, max: 140 }) }),
          fc.record({ command: fc.constant('pown' as const), n: fc.integer({ min: 38, max: 80 }) }),
        ),
        fc.array(raidaSubset, { minLength: 140, maxLength: 140 }),
        async (seed, behaviours, quorum, { command, n }, fracked) => {
          const frackedOn = fracked.slice(0, n);
          const { world, parties, expected } = await raidaWorld(seed, behaviours, {
            coins: n,
            frackedOn,
            client: { quorum },
          });
          try {
            const { client, coins, servers } = parties;
            const report =
              command === 'detect'
                ? await client.detect(coins)
                : await client.pown(
                    coins,
                    coins.map((_, i) =>
                      Array.from({ length: RAIDA_COUNT }, (_, r) =>
                        Uint8Array.from({ length: 16 }, () => i ^ r),
                      ),
                    ),
                  );
            expect(report.tokens).toHaveLength(n);
            report.tokens.forEach((t, i) => {
              expect(t.votes).toEqual(expected[i]);
              expect(t.grade).toBe(oracleGrade(expected[i]!, quorum));
            });
            // An honest RAIDA gets ⌈n / per⌉ requests, per = what fits 1440 bytes after 32 header +
            // 16 challenge + 2 terminator: 66 detect items of 21 bytes, 37 pown items of 37 bytes.
            const per = command === 'detect' ? Math.floor(1390 / 21) : Math.floor(1390 / 37);
            servers.forEach((srv, r) => {
              if (behaviours[r] === 'honest') expect(srv.stats.byCommand[command]).toBe(Math.ceil(n / per));
            });
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 18 },
    );
  });

  test('no coin lost: pown under drops and crashes, find resolves limbo, heal restores authentic (seeded runs)', async () => {
    await assertProperty(
      fc.asyncProperty(fc.integer({ min: 0, max: 0xffff_ffff }), async (seed) => {
        const r = await runScenario(scenario('raida.no-coin-lost'), { seed });
        for (const g of r.guarantees) expect(g, g.detail).toMatchObject({ held: true });
      }),
      { numRuns: 15 },
    );
  });
});

describe('determinism', () => {
  test.each(raidaScenarios.map((s) => [s.name, s] as const))(
    '%s: the same seed gives the same trace hash',
    async (_n, s) => {
      const report = await checkDeterminism(s, { seeds: [1, 99] });
      expect(report.mismatches).toEqual([]);
      const a = await runScenario(s, { seed: 1 });
      const b = await runScenario(s, { seed: 2 });
      expect(a.traceHash).toMatch(/^[0-9a-f]{64}$/);
      expect(a.traceHash).not.toBe(b.traceHash);
    },
  );
});
