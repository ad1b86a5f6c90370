/**
 * RoutingSnapshot.reachable over-approximates what a lookup learns (every node a real lookup asks
 * is in it), and dht.churn-partition accepts a timeout where no copy can be found at all.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { createRng, rngBytesFn } from '@fanout/sim';
import { toHex } from '@fanout/sim-dht';
import { runScenario } from '../../src/kernel/index.js';
import { RoutingSnapshot, dhtScenarios } from '../../src/dht/index.js';
import { dhtWorld, violations } from './helpers.js';

describe('RoutingSnapshot', () => {
  test('every node a lookup asks is reachable in the snapshot taken before it, with silent (partitioned) nodes never expanded', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.uniqueArray(fc.integer({ min: 1, max: 39 }), { maxLength: 20 }),
        async (seed, cut) => {
          const { world, parties } = await dhtWorld(
            seed,
            { nodes: 40, publish: 'direct', contacts: [{ messages: [] }] },
            cut.length > 0
              ? { groups: { cut: cut.map((n) => `dht-${n}`) }, rules: [{ fault: 'partition', group: 'cut' }] }
              : {},
          );
          try {
            const nodes = parties.swarm.nodes;
            const index = new Map(nodes.map((n, i) => [toHex(n.id), i]));
            const silent = new Set(cut);
            const answers = (n: number): boolean => !silent.has(n);
            const tables = RoutingSnapshot.of(parties.swarm);
            const key = rngBytesFn(createRng(seed).fork('discovery-key'))(20);
            const reach = tables.reachable(0, key, answers);
            const lookup = await parties.reader.findNode(key);
            const asked = lookup.queried.map((id) => index.get(toHex(id))!);
            expect(asked.filter((n) => !reach.has(n))).toEqual([]);
            // The start is the reader's k closest contacts; what every answering node in the set
            // lists is in it (a fixpoint); everything in it was listed by the reader or by an
            // answering node in it (nothing is learned through a silent node).
            const start = tables.closestContacts(0, key);
            expect(start.filter((n) => !reach.has(n))).toEqual([]);
            const listers = [...reach].filter(answers);
            const listed = new Set(listers.flatMap((m) => tables.closestContacts(m, key)));
            expect([...listed].filter((n) => n !== 0 && !reach.has(n))).toEqual([]);
            expect([...reach].filter((n) => !start.includes(n) && !listed.has(n))).toEqual([]);
            expect(reach.has(0)).toBe(false);
          } finally {
            await world.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  test('hand-made tables: nothing is learned through a silent node, a reply lists only the k closest, bad tables are RangeErrors', () => {
    // Ids by their first byte; the key is 0x00…, so a lower first byte is closer.
    const id = (b: number): Uint8Array => Uint8Array.of(b, ...new Uint8Array(19));
    const ids = [0x80, 0x40, 0x20, 0x10, 0x08, 0x04].map(id);
    const key = id(0);
    // 0 (the reader) knows 1 and 2; 1 knows 3; 2 knows 4 and 5; 4 knows 3.
    const tables = RoutingSnapshot.fromTables(ids, [[1, 2], [3], [4, 5], [], [3], []]);
    const set = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
    expect(set(tables.reachable(0, key, () => true))).toEqual([1, 2, 3, 4, 5]);
    // 1 silent: 3 is still learned through 4; 2 silent: only 1 and 2 and what 1 lists.
    expect(set(tables.reachable(0, key, (n) => n !== 1))).toEqual([1, 2, 3, 4, 5]);
    expect(set(tables.reachable(0, key, (n) => n !== 2))).toEqual([1, 2, 3]);
    expect(set(tables.reachable(0, key, (n) => n !== 1 && n !== 4))).toEqual([1, 2, 4, 5]);
    // k = 1: the reader starts from its closest contact only (2), which lists only 5.
    expect(tables.closestContacts(2, key, 1)).toEqual([5]);
    expect(set(tables.reachable(0, key, () => true, 1))).toEqual([2, 5]);
    expect(() => tables.closestContacts(6, key)).toThrow(RangeError);
    expect(() => RoutingSnapshot.fromTables(ids, [[1]])).toThrow(/1 tables for 6 nodes/);
    expect(() => RoutingSnapshot.fromTables(ids.slice(0, 2), [[2], []])).toThrow(/node 0 lists contact 2/);
  });
});

describe('dht.churn-partition timeout allowance', () => {
  test('seed 2026076365: a contact whose answering holders no node in reach lists may time out (was a false violation)', async () => {
    const scenario = dhtScenarios.find((s) => s.name === 'dht.churn-partition')!;
    const r = await runScenario(scenario, { seed: 2026076365 });
    expect(violations(r)).toBe('');
  });
});
