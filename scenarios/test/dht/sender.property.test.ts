/**
 * Sender side (queueToOutbox) as a fast-check property, in sim mode (virtual time, a kernel World
 * with the DHT swarm on its SimNetwork): two devices of one sender queue messages to the same
 * outbox at the same time. Upstream serialises its get → append → put with a process-wide mutex;
 * two devices share none, so a naive read-modify-write loses the update of whichever device put
 * second.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import {
  outboxInfoHash,
  queueMessage,
  queueToOutbox,
  type QueueToOutboxOptions,
  type SignedValue,
} from '@fanout/dht';
import type { DhtNode } from '@fanout/sim-dht';
import type { World } from '../../src/kernel/index.js';
import { NOW0, PUT_TTL_MS, resultTexts, type DhtParties } from '../../src/dht/index.js';
import { dhtWorld } from './helpers.js';

/** Device `name` queues `n` messages one after the other, starting `startMs` in; returns the texts acknowledged. */
async function device(
  world: World,
  parties: DhtParties,
  node: DhtNode,
  d: { name: string; n: number; startMs: number; seq0: number },
  write: typeof queueToOutbox,
): Promise<{ acked: string[]; rounds: number }> {
  const c = parties.contacts[0]!;
  const acked: string[] = [];
  let rounds = 0;
  if (d.startMs > 0) await world.clock.sleep(d.startMs);
  for (let i = 0; i < d.n; i++) {
    const text = `${d.name}${i}`;
    const opts: QueueToOutboxOptions = {
      sender: c.fingerprint,
      recipient: parties.recipient,
      secretKey: c.secretKey,
      nowSeconds: NOW0 + i,
      verify: parties.verify,
      putTtlMs: PUT_TTL_MS,
      attempts: 12,
    };
    const r = await write(
      node,
      { ciphertext: new TextEncoder().encode(text), seq: BigInt(d.seq0 + i), ttlSeconds: 86_400 },
      opts,
    );
    rounds += r.attempts;
    acked.push(text);
  }
  return { acked, rounds };
}

/** What a sender without the retry loop does: one get, append to the newest copy, one put, refusals ignored. */
const naiveWrite: typeof queueToOutbox = async (dht, message, options) => {
  const found = await dht.get(outboxInfoHash(options.sender, options.recipient), {});
  const newest = [...found.values].sort((a, b) => b.seq - a.seq)[0] as SignedValue | undefined;
  const r = queueMessage(newest, message, options);
  await dht.put(r.key, r.value, { ttlMs: PUT_TTL_MS });
  return { ...r, attempts: 1, stored: 0, alreadyQueued: false };
};

async function concurrentSenders(
  seed: number,
  na: number,
  nb: number,
  offsetMs: number,
  write: typeof queueToOutbox,
): Promise<{ acked: string[]; delivered: string[]; retries: number }> {
  const { world, parties } = await dhtWorld(
    seed,
    { nodes: 40, contacts: [{ messages: [] }], publish: 'direct' },
    { latency: { default: { kind: 'uniform', minMs: 10, maxMs: 120 } } },
  );
  try {
    const { swarm } = parties;
    const [a, b] = await Promise.all([
      device(world, parties, swarm.node(1 + (seed % 19)), { name: 'a', n: na, startMs: 0, seq0: 1 }, write),
      device(
        world,
        parties,
        swarm.node(20 + (seed % 19)),
        { name: 'b', n: nb, startMs: offsetMs, seq0: 1001 },
        write,
      ),
    ]);
    const report = await parties.retrieve();
    return {
      acked: [...a.acked, ...b.acked],
      delivered: resultTexts(report.contacts[0]!),
      retries: a.rounds + b.rounds - na - nb,
    };
  } finally {
    await world.close();
  }
}

describe('sender side: concurrent read-modify-writes of one outbox', () => {
  test('two devices queue to the same outbox at once: every message whose queueToOutbox resolved is delivered, once', async () => {
    let retried = 0;
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 300 }),
        async (seed, na, nb, offset) => {
          const { acked, delivered, retries } = await concurrentSenders(seed, na, nb, offset, queueToOutbox);
          expect(acked.length).toBe(na + nb);
          expect([...delivered].sort()).toEqual([...acked].sort());
          if (retries > 0) retried++;
        },
      ),
      { numRuns: 40 },
    );
    // The writers really collided (refused or conflicting rounds retried) in some runs.
    expect(retried).toBeGreaterThan(0);
  });

  test('regression: two writers whose put sets differ (each writer is one of the 8 closest and skips itself) both keep their messages', async () => {
    // Found by the property above before queueToOutbox merged conflicting copies and checked
    // after writing: b0 was acknowledged, then b1 was built on a's copy from a node b's put never reached.
    const { acked, delivered } = await concurrentSenders(10, 1, 2, 0, queueToOutbox);
    expect([...delivered].sort()).toEqual([...acked].sort());
  });

  test('the property can fail: without the retry loop (one get, append, put, refusals ignored) updates are lost', async () => {
    let lost = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const { acked, delivered } = await concurrentSenders(seed, 3, 3, 0, naiveWrite);
      lost += acked.filter((t) => !delivered.includes(t)).length;
    }
    expect(lost).toBeGreaterThan(0);
  });
});
