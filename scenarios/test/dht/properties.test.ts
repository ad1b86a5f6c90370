/**
 * DHT offline-retrieval guarantees as fast-check properties, in sim mode (virtual time,
 * deterministic), on the scenario kernel: worlds are kernel Worlds whose faults (loss, node
 * behaviours, partitions) are plan rules, judged by the plan-reading oracle. Failures print the
 * seed, the shrunk counterexample and a replay command (assertProperty).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { VirtualClock } from '@fanout/core';
import {
  encodeOutbox,
  memoizedVerifier,
  outboxInfoHash,
  retrieveOfflineMessages,
  signValue,
  type DhtGetResultLike,
  type DhtGetter,
  type OfflineReport,
  type SignedValue,
} from '@fanout/dht';
import { DhtNode, Swarm, toHex, type DhtValue } from '@fanout/sim-dht';
import { createRng, rngBytesFn } from '@fanout/sim';
import { checkDeterminism, runScenario } from '../../src/kernel/index.js';
import {
  behaviourRules,
  checkAgainstOracle,
  dhtScenarios,
  fingerprintOf,
  holBound,
  resultTexts,
  type ContactSpec,
  type NodeBehaviour,
} from '../../src/dht/index.js';
import { dhtWorld, readAndJudge, violations } from './helpers.js';

const scenario = (name: string) => dhtScenarios.find((s) => s.name === name)!;
/** Deterministic bytes for test keys and ids (the project's one generator). */
const bytesOf = (label: string) => rngBytesFn(createRng(0).fork(label));

const ttl = fc.constantFrom(60, 3600, 604_800);
const contactArb: fc.Arbitrary<ContactSpec> = fc
  .array(ttl, { maxLength: 4 })
  .map((ttls) => ({ messages: ttls.map((ttlSeconds, i) => ({ seq: BigInt(i + 1), ttlSeconds })) }));

describe('no message lost or duplicated', () => {
  test('every unexpired message in a reachable outbox is delivered exactly once, expired ones never (loss, stale/dropping nodes as plan rules)', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(contactArb, { minLength: 1, maxLength: 12 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 39 }), { maxLength: 4 }),
        fc.constantFrom<NodeBehaviour>('stale', 'drop'),
        fc.constantFrom(0, 0.02, 0.05),
        fc.constantFrom<'direct' | 'network'>('direct', 'network'),
        async (seed, contacts, faulty, fault, loss, publish) => {
          const { world, parties } = await dhtWorld(
            seed,
            { nodes: 40, contacts, publish },
            {
              rules: [
                ...behaviourRules(new Map(faulty.map((n) => [n, fault]))),
                ...(loss > 0
                  ? [
                      { fault: 'dropRequest' as const, probability: loss },
                      { fault: 'dropReply' as const, probability: loss },
                    ]
                  : []),
              ],
            },
          );
          try {
            // With loss, an absent outbox whose likely holders' replies were lost may be a
            // timeout: the oracle accepts it from the plan's loss probability, not from the client.
            const { report, oracle, verdict } = await readAndJudge(world, parties);
            expect(verdict).toMatchObject({ oneEach: undefined, exactlyOnce: undefined, status: undefined });
            const expected = parties.contacts.reduce(
              (n, c) => n + oracle.outcomes(c.index)[0]!.texts.length,
              0,
            );
            expect(report.messages.length).toBe(expected);
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  test('the oracle check can fail: a dropped, a duplicated, an expired or a reordered message is caught', async () => {
    const { world, parties } = await dhtWorld(3, {
      nodes: 30,
      publish: 'direct',
      contacts: [
        {
          messages: [
            { seq: 1n, ttlSeconds: 60 },
            { seq: 2n, ttlSeconds: 3600 },
            { seq: 3n, ttlSeconds: 3600 },
          ],
        },
      ],
    });
    try {
      const { report, oracle, verdict } = await readAndJudge(world, parties);
      expect(verdict.exactlyOnce).toBeUndefined();
      const tamper = (
        f: (m: readonly OfflineReport['messages'][number][]) => OfflineReport['messages'][number][],
      ): OfflineReport => ({
        ...report,
        contacts: [{ ...report.contacts[0]!, messages: f(report.contacts[0]!.messages) }],
      });
      const expiredMsg = {
        ...report.contacts[0]!.messages[0]!,
        ciphertext: new TextEncoder().encode(oracle.outcomes(0)[0]!.expiredTexts[0]!),
      };
      for (const bad of [
        tamper((m) => m.slice(1)),
        tamper((m) => [...m, m[0]!]),
        tamper((m) => [expiredMsg, ...m]),
        tamper((m) => [...m].reverse()),
      ])
        expect(checkAgainstOracle(oracle, parties.contacts, bad).exactlyOnce).toMatch(/contact 0/);
    } finally {
      await world.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

const ME = fingerprintOf('me');
const names = Array.from({ length: 48 }, (_, i) => fingerprintOf(`contact-${i}`));

/** A DHT whose get for contact i takes delays[i] ms of virtual time (and finds nothing). */
function timedStub(clock: VirtualClock, delays: readonly number[]): DhtGetter & { calls: number[] } {
  const byKey = new Map(names.map((n, i) => [toHex(outboxInfoHash(n, ME)), i]));
  const calls: number[] = [];
  return {
    calls,
    async get(key, { signal }): Promise<DhtGetResultLike> {
      const i = byKey.get(toHex(key))!;
      calls.push(i);
      await clock.sleep(delays[i]!, signal);
      return { values: [], closest: [new Uint8Array(20)] };
    },
  };
}

describe('no head-of-line blocking', () => {
  test('with concurrency c and s < c slow contacts, the fast contact of rank r has its result by ⌈r/(c−s)⌉·F, whatever the slow ones take', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 40 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            c: fc.integer({ min: 1, max: n + 4 }),
            slow: fc.uniqueArray(fc.nat(n - 1), { maxLength: Math.min(n - 1, 6) }),
            fast: fc.array(fc.integer({ min: 50, max: 500 }), { minLength: n, maxLength: n }),
            slowMs: fc.integer({ min: 6000, max: 60_000 }),
          }),
        ),
        async ({ n, c, slow, fast, slowMs }) => {
          fc.pre(slow.length < c);
          const clock = new VirtualClock();
          const delays = fast.map((d, i) => (slow.includes(i) ? slowMs : d));
          const dht = timedStub(clock, delays);
          const yielded = new Map<number, number>();
          const run = retrieveOfflineMessages(names.slice(0, n), {
            recipient: ME,
            dht,
            nowSeconds: 1,
            clock,
            concurrency: c,
            queryTimeoutMs: Infinity,
            deadlineMs: Infinity,
          });
          for await (const r of run) yielded.set(r.index, clock.now());
          const report = await run;
          const fastIdx = Array.from({ length: n }, (_, i) => i).filter((i) => !slow.includes(i));
          const F = Math.max(...fastIdx.map((i) => delays[i]!));
          fastIdx.forEach((i, r) => {
            const at = yielded.get(i)!;
            expect(at).toBe(report.contacts[i]!.settledAt); // yielded the moment it settled
            expect(at).toBeLessThanOrEqual(holBound(r + 1, c, slow.length, F));
            if (c >= n) expect(at).toBe(delays[i]); // nobody waits at all
          });
          expect(report.contacts.every((x) => x.status === 'not-found')).toBe(true);
        },
      ),
      { numRuns: 120 },
    );
  });

  test('the bound is not vacuous: one contact at a time (c = 1) makes a fast contact wait for a slow one ahead of it', async () => {
    const clock = new VirtualClock();
    const dht = timedStub(clock, [6000, 300]);
    const report = await retrieveOfflineMessages(names.slice(0, 2), {
      recipient: ME,
      dht,
      nowSeconds: 1,
      clock,
      concurrency: 1,
      queryTimeoutMs: Infinity,
    });
    expect(report.contacts[1]!.settledAt).toBe(6300);
    expect(holBound(1, 1, 1, 300)).toBe(Infinity); // s < c does not hold: no bound claimed
  });

  test('in the swarm: contacts whose outbox holders answer after 6 s (per-target latencies in the plan) do not delay the fast contacts (scenario, c = 50 and c = 8)', async () => {
    for (const [seed, concurrency] of [
      [11, 50],
      [12, 8],
    ] as const) {
      const r = await runScenario(scenario('dht.no-hol'), { seed, options: { concurrency } });
      expect(violations(r)).toBe('');
      expect(r.latencyMs).toBeGreaterThanOrEqual(6000);
      expect(r.facts['slowNodes']).toBeGreaterThanOrEqual(8);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('ordering', () => {
  test('replies released in any order (fc.scheduler): per contact, the newest version and messages in (seq, timestamp) order', async () => {
    const verify = memoizedVerifier();
    const clock = new VirtualClock({ autoAdvance: false }); // no timer can fire: only the scheduler decides
    const swarm = await Swarm.create({
      size: 30,
      clock,
      rng: bytesOf('ordering-swarm'),
      bootstrap: 'direct',
      node: { verifyValue: verify },
    });
    const sk = (i: number): Uint8Array => bytesOf(`sk-${i}`)(32);
    await assertProperty(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(
          fc.record({
            // seqs in any queue order, some repeated; timestamps in any order
            msgs: fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 50 })), {
              minLength: 1,
              maxLength: 6,
            }),
            versions: fc.integer({ min: 1, max: 4 }),
            // which version each of the 8 holders keeps (stale holders keep older ones)
            held: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (s, contacts) => {
          const senders = contacts.map((_, i) => fingerprintOf(`ordering-${i}`));
          for (const n of swarm.nodes) n.storage.clear();
          const expected: string[][] = [];
          contacts.forEach((c, i) => {
            const key = outboxInfoHash(senders[i]!, ME);
            const holders = swarm.closestLive(key, 8);
            // version v holds the first (v + 1) / versions share of the messages
            const versions: SignedValue[] = [];
            for (let v = 0; v < c.versions; v++) {
              const upto = Math.ceil(((v + 1) * c.msgs.length) / c.versions);
              const msgs = c.msgs.slice(0, upto).map(([seq, ts], j) => ({
                seq: BigInt(seq),
                timestamp: BigInt(1000 + ts),
                expiry: 10_000n,
                sender: senders[i]!,
                recipient: ME,
                ciphertext: new TextEncoder().encode(`${i}:${j}`),
              }));
              versions.push(signValue(key, { id: 1n, seq: v, data: encodeOutbox(msgs) }, sk(i)));
            }
            let newest = -1;
            holders.forEach((h, j) => {
              const v = c.held[j]! % c.versions;
              newest = Math.max(newest, v);
              h.storage.put(key, versions[v] as DhtValue, 3_600_000, clock.now());
            });
            const upto = Math.ceil(((newest + 1) * c.msgs.length) / c.versions);
            const kept = c.msgs.slice(0, upto).map(([seq, ts], j) => ({ seq, ts, j }));
            // exact duplicates cannot occur (distinct ciphertexts): sort by (seq, timestamp), ties in outbox order
            kept.sort((a, b) => a.seq - b.seq || a.ts - b.ts || a.j - b.j);
            expected.push(kept.map((m) => `${i}:${m.j}`));
          });
          // A reader whose every reply is released by the scheduler.
          const reader = new DhtNode({
            id: bytesOf('reader')(20),
            clock,
            verifyValue: verify,
            send: (to, msg) => {
              const target = swarm.byId(to)!;
              const reply = target.handle(reader.id, msg);
              return s.schedule(Promise.resolve(reply), `reply from ${toHex(to).slice(0, 6)}`);
            },
          });
          for (const n of swarm.nodes) reader.addContact(n.id);
          const run = retrieveOfflineMessages(senders, {
            recipient: ME,
            dht: reader,
            nowSeconds: 2000,
            clock,
            verify,
          });
          await s.waitFor(run.result);
          const report = await run;
          report.contacts.forEach((r, i) => {
            expect(r.status).toBe('delivered');
            expect(resultTexts(r)).toEqual(expected[i]);
            const keys = r.messages.map((m) => [m.seq, m.timestamp] as const);
            keys.forEach((k, j) => {
              if (j > 0)
                expect(keys[j - 1]![0] < k[0] || (keys[j - 1]![0] === k[0] && keys[j - 1]![1] <= k[1])).toBe(
                  true,
                );
            });
          });
          expect(report.messages.map((m) => new TextDecoder().decode(m.ciphertext))).toEqual(expected.flat());
          reader.stop();
        },
      ),
      { numRuns: 25 },
    );
    await swarm.close();
  });

  test('whatever order a DHT lists several copies of an outbox in (stale ones included), the newest valid one is read', async () => {
    const sk = bytesOf('newest-sk')(32);
    const key = outboxInfoHash(names[0]!, ME);
    const copy = (seq: number): SignedValue =>
      signValue(
        key,
        {
          id: 1n,
          seq,
          data: encodeOutbox(
            Array.from({ length: seq + 1 }, (_, j) => ({
              seq: BigInt(j + 1),
              timestamp: 1n,
              expiry: 99n,
              sender: names[0]!,
              recipient: ME,
              ciphertext: Uint8Array.of(j),
            })),
          ),
        },
        sk,
      );
    await assertProperty(
      fc.asyncProperty(fc.uniqueArray(fc.nat(6), { minLength: 1, maxLength: 5 }), async (seqs) => {
        // A DHT that passes every copy through (an outside DHT need not keep one per value id).
        const dht: DhtGetter = {
          get: async () => ({ values: seqs.map(copy), closest: [new Uint8Array(20)] }),
        };
        const report = await retrieveOfflineMessages([names[0]!], {
          recipient: ME,
          dht,
          nowSeconds: 1,
          clock: new VirtualClock(),
        });
        const newest = Math.max(...seqs);
        expect(report.contacts[0]!.outboxSeq).toBe(newest);
        expect(report.contacts[0]!.messages).toHaveLength(newest + 1);
      }),
      { numRuns: 60 },
    );
  });

  test('in the swarm: stale holders (behave stale), reordered and duplicated replies (scenario seeds 1–2)', async () => {
    for (const seed of [1, 2]) {
      const r = await runScenario(scenario('dht.ordering'), { seed, options: { nodes: 50, contacts: 10 } });
      expect(violations(r)).toBe('');
      expect(r.facts['stale']).toBe(4);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('churn and partitions', () => {
  test('what can be retrieved is retrieved; the rest is reported per contact as timeout / not-found / malformed (seeded worlds, nodes crashing and joining during the retrieval)', async () => {
    let holdersGoneRuns = 0;
    await assertProperty(
      fc.asyncProperty(fc.integer({ min: 0, max: 0xffff_ffff }), async (seed) => {
        const r = await runScenario(scenario('dht.churn-partition'), { seed });
        expect(violations(r)).toBe('');
        // Every kind of non-delivery was provoked and reported, none silently dropped; the churn
        // really happened while the lookups ran.
        expect(Number(r.facts['malformed'])).toBeGreaterThanOrEqual(1);
        expect(Number(r.facts['not-found']) + Number(r.facts['empty'])).toBeGreaterThanOrEqual(1);
        holdersGoneRuns += Number(r.facts['holdersGone']) > 0 ? 1 : 0;
        expect([r.facts['leftDuring'], r.facts['joinedDuring']]).toEqual([5, 5]);
      }),
      { numRuns: 20 },
    );
    // The cut-off contact (all its holders partitioned) was exercised, not skipped every time.
    expect(holdersGoneRuns).toBeGreaterThan(0);
  });

  test('a reader cut off from everything reports every contact as timeout (unreachable or query-timeout), none dropped, as the oracle expects', async () => {
    const { world, parties } = await dhtWorld(
      5,
      {
        nodes: 30,
        publish: 'direct',
        contacts: [{ messages: [{ seq: 1n, ttlSeconds: 3600 }] }, { messages: [] }],
      },
      {
        groups: { all: Array.from({ length: 29 }, (_, i) => `dht-${i + 1}`) },
        rules: [{ fault: 'partition', group: 'all' }],
      },
    );
    try {
      const { report, oracle, verdict } = await readAndJudge(world, parties, { queryTimeoutMs: 3000 });
      // Only what the reader holds itself can be delivered; everything else times out.
      const own = parties.reader.storage.entry(parties.contacts[0]!.key, 1n) !== undefined;
      expect(report.contacts.map((r) => r.status)).toEqual([own ? 'delivered' : 'timeout', 'timeout']);
      expect(report.contacts[1]!.reason).toMatch(/^(unreachable|query-timeout)$/);
      expect(oracle.outcomes(1).map((t) => t.expected)).toEqual(['timeout']);
      expect(verdict).toMatchObject({ oneEach: undefined, exactlyOnce: undefined, status: undefined });
    } finally {
      await world.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('coalescing', () => {
  test('overlapping retrievals: one get per outbox in flight, the same result for every shared contact', async () => {
    const verify = memoizedVerifier();
    const value = (i: number): DhtValue => {
      const key = outboxInfoHash(names[i]!, ME);
      const sk = bytesOf(`co-${i}`)(32);
      return signValue(
        key,
        {
          id: 1n,
          seq: 0,
          data: encodeOutbox([
            {
              seq: 1n,
              timestamp: 1n,
              expiry: 99n,
              sender: names[i]!,
              recipient: ME,
              ciphertext: Uint8Array.of(i),
            },
          ]),
        },
        sk,
      ) as DhtValue;
    };
    const values = Array.from({ length: 10 }, (_, i) => value(i));
    await assertProperty(
      fc.asyncProperty(
        fc.uniqueArray(fc.nat(9), { minLength: 1, maxLength: 10 }),
        fc.uniqueArray(fc.nat(9), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 10, max: 1000 }), { minLength: 10, maxLength: 10 }),
        fc.integer({ min: 0, max: 1200 }),
        async (a, b, delays, offset) => {
          const clock = new VirtualClock();
          const byKey = new Map(names.map((n, i) => [toHex(outboxInfoHash(n, ME)), i]));
          const calls: number[] = [];
          const dht: DhtGetter = {
            async get(key, { signal }) {
              const i = byKey.get(toHex(key))!;
              calls.push(i);
              await clock.sleep(delays[i]!, signal);
              return { values: i % 2 === 0 ? [values[i]!] : [], closest: [new Uint8Array(20)] };
            },
          };
          const opts = { recipient: ME, dht, nowSeconds: 1, clock, verify, queryTimeoutMs: Infinity };
          const first = retrieveOfflineMessages(
            a.map((i) => names[i]!),
            opts,
          );
          await clock.sleep(offset);
          const second = retrieveOfflineMessages(
            b.map((i) => names[i]!),
            opts,
          );
          const [r1, r2] = await Promise.all([first.result, second.result]);
          // Shared contacts still in flight when the second started were joined, not looked up again.
          // A get that ends at the very instant the second retrieval starts (delay = offset) may
          // count either way: the two timers are due together and their order is the clock's
          // registration order, not part of the contract.
          const joinable = b.filter((i) => a.includes(i) && delays[i]! > offset);
          const tied = b.filter((i) => a.includes(i) && delays[i]! === offset);
          expect(r2.joined).toBeGreaterThanOrEqual(joinable.length);
          expect(r2.joined).toBeLessThanOrEqual(joinable.length + tied.length);
          expect(calls.length).toBe(a.length + b.length - r2.joined);
          for (const i of [...joinable, ...tied])
            expect(calls.filter((x) => x === i).length).toBeLessThanOrEqual(2);
          for (const i of joinable) {
            expect(calls.filter((x) => x === i).length).toBe(1);
            const x = r1.bySender.get(names[i]!)!;
            const y = r2.bySender.get(names[i]!)!;
            expect([y.status, resultTexts(y)]).toEqual([x.status, resultTexts(x)]);
            expect(y.settledAt).toBe(x.settledAt);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  test('in the swarm: two overlapping retrievals, one set of lookups, the same result (scenario)', async () => {
    const r = await runScenario(scenario('dht.coalescing'), { seed: 8 });
    expect(violations(r)).toBe('');
  });
});

describe('determinism', () => {
  test('the same seed gives the same trace hash (kernel check: coalescing and no-hol over SimNetwork)', async () => {
    for (const name of ['dht.coalescing', 'dht.no-hol']) {
      const report = await checkDeterminism(scenario(name), { seeds: [21] });
      expect(report.mismatches).toEqual([]);
    }
    const r = await runScenario(scenario('dht.coalescing'), { seed: 21 });
    expect(r.traceHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
