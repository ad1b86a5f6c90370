import { VirtualClock } from '@fanout/core';
import { Swarm, type DhtValue } from '@fanout/sim-dht';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { describe, expect, test } from 'vitest';
import {
  OutboxQueueError,
  memoizedVerifier,
  outboxInfoHash,
  queueMessage,
  queueToOutbox,
  retrieveOfflineMessages,
  type OutboxDht,
  type QueueToOutboxOptions,
} from '../src/index.js';

const fp = (name: string): string => Buffer.from(sha3_512(new TextEncoder().encode(name))).toString('hex');
const sk = (name: string): Uint8Array => sha3_512(new TextEncoder().encode(`sk:${name}`)).slice(0, 32);
const ME = fp('me');
const ALICE = fp('alice');
const NOW = 1_700_000_000;
const verify = memoizedVerifier();
const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
const opts = (extra: Partial<QueueToOutboxOptions> = {}): QueueToOutboxOptions => ({
  sender: ALICE,
  recipient: ME,
  secretKey: sk('alice'),
  nowSeconds: NOW,
  verify,
  ...extra,
});

async function swarm(): Promise<Swarm> {
  return Swarm.create({
    size: 40,
    clock: new VirtualClock(),
    seed: 'queue',
    bootstrap: 'direct',
    node: { verifyValue: verify },
  });
}

async function read(s: Swarm): Promise<string[]> {
  const report = await retrieveOfflineMessages([ALICE], {
    recipient: ME,
    dht: s.node(0),
    nowSeconds: NOW + 1,
    clock: s.clock,
    verify,
  });
  return report.messages.map((m) => new TextDecoder().decode(m.ciphertext));
}

/** A DHT whose first `staleGets` gets find nothing (a read that missed every holder). */
function staleFirst(inner: OutboxDht, staleGets: number): OutboxDht & { puts: number } {
  let gets = 0;
  const d = {
    puts: 0,
    get: async (key: Uint8Array, o: { signal?: AbortSignal }) =>
      gets++ < staleGets ? { values: [] } : inner.get(key, o),
    put: async (...a: Parameters<OutboxDht['put']>) => {
      d.puts++;
      return inner.put(...a);
    },
  };
  return d;
}

describe('queueToOutbox: read-modify-write of an outbox on the DHT', () => {
  test('one writer: each message appended to the newest version (seq 0, 1, 2), one round each', async () => {
    const s = await swarm();
    for (const [i, t] of ['m1', 'm2', 'm3'].entries()) {
      const r = await queueToOutbox(s.node(5), { ciphertext: enc(t), seq: BigInt(i + 1) }, opts());
      expect([r.value.seq, r.attempts, r.stored, r.alreadyQueued]).toEqual([i, 1, 8, false]);
    }
    expect(await read(s)).toEqual(['m1', 'm2', 'm3']);
    await s.close();
  });

  test('a stale read (older or no version) is refused by the holders (lower-seq / conflict) and retried from a fresh get: nothing lost', async () => {
    const s = await swarm();
    await queueToOutbox(s.node(5), { ciphertext: enc('m1'), seq: 1n }, opts());
    await queueToOutbox(s.node(6), { ciphertext: enc('m2'), seq: 2n }, opts());
    const dht = staleFirst(s.node(7), 1); // round 1 builds seq 0 holding only m3: refused
    const seen: number[] = [];
    const r = await queueToOutbox(
      dht,
      { ciphertext: enc('m3'), seq: 3n },
      opts({ onPut: (v, _m, put) => seen.push(v.seq, put.refused?.length ?? 0) }),
    );
    expect(r.attempts).toBe(2);
    expect(seen).toEqual([0, 8, 2, 0]); // seq 0 refused by all 8 holders, then seq 2 stored
    expect(await read(s)).toEqual(['m1', 'm2', 'm3']);
    await s.close();
  });

  test('a message already in the newest version (an earlier round partly landed) is not appended twice', async () => {
    const s = await swarm();
    const key = outboxInfoHash(ALICE, ME);
    const first = queueMessage(undefined, { ciphertext: enc('m1'), seq: 1n }, opts());
    // Only 3 of the 8 holders got it (as if the rest had refused): the retry finds it there.
    for (const h of s.closestLive(key, 8).slice(0, 3))
      h.storage.put(key, first.value as DhtValue, 3_600_000, s.clock.now());
    const r = await queueToOutbox(s.node(9), { ciphertext: enc('m1'), seq: 1n }, opts());
    expect([r.alreadyQueued, r.value.seq, r.messages.length]).toEqual([true, 1, 1]);
    expect(await read(s)).toEqual(['m1']);
    await s.close();
  });

  test("after the put, another writer's copy at the same seq without the message makes it run another round that merges both", async () => {
    // An in-memory DHT whose get shows every copy (through verify) and whose first put is
    // followed by another device's conflicting copy landing on a node ours did not reach.
    const key = outboxInfoHash(ALICE, ME);
    const copies: DhtValue[] = [];
    let puts = 0;
    const other = queueMessage(undefined, { ciphertext: enc('x'), seq: 9n }, opts({ nowSeconds: NOW - 5 }));
    const dht: OutboxDht = {
      get: (k, o) => {
        for (const c of copies) o.verify?.(k, c);
        return Promise.resolve({ values: copies.slice(0, 1) });
      },
      put: (_k, value) => {
        copies.unshift(value as DhtValue);
        if (++puts === 1) copies.push(other.value as DhtValue);
        return Promise.resolve({ stored: [1] });
      },
    };
    const r = await queueToOutbox(dht, { ciphertext: enc('m'), seq: 1n }, opts());
    expect([r.attempts, r.value.seq, r.alreadyQueued]).toEqual([2, 1, true]);
    expect(r.messages.map((m) => new TextDecoder().decode(m.ciphertext)).sort()).toEqual(['m', 'x']);
    expect(key).toEqual(r.key);
  });

  test('bounded: a writer that keeps losing gives up with OutboxQueueError(contended); other refusals are OutboxQueueError(refused)', async () => {
    const s = await swarm();
    await queueToOutbox(s.node(5), { ciphertext: enc('m1'), seq: 1n }, opts());
    const dht = staleFirst(s.node(7), 10);
    const e = await queueToOutbox(dht, { ciphertext: enc('m2'), seq: 2n }, opts({ attempts: 3 })).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(OutboxQueueError);
    expect(e).toMatchObject({ reason: 'contended', attempts: 3 });
    expect(dht.puts).toBe(3);
    // Mallory cannot write into Alice's outbox key: owner-mismatch is not retried.
    const m = await queueToOutbox(
      s.node(8),
      { ciphertext: enc('x'), seq: 1n },
      opts({ secretKey: sk('mallory') }),
    ).catch((x: unknown) => x);
    expect(m).toMatchObject({ name: 'OutboxQueueError', reason: 'refused', attempts: 1 });
    expect(await read(s)).toEqual(['m1']);
    await s.close();
  });

  test('bad input: typed errors naming what was wrong, before any traffic', async () => {
    let calls = 0;
    const dht: OutboxDht = {
      get: () => {
        calls++;
        return Promise.resolve({ values: [] });
      },
      put: () => {
        calls++;
        return Promise.resolve({ stored: [] });
      },
    };
    await expect(
      queueToOutbox(dht, { ciphertext: enc('x'), seq: 1n }, opts({ attempts: 0 })),
    ).rejects.toThrow(RangeError);
    await expect(
      queueToOutbox(dht, { ciphertext: enc('x'), seq: 1n }, opts({ sender: 'nope' })),
    ).rejects.toMatchObject({ name: 'FingerprintError', field: 'sender' });
    await expect(
      queueToOutbox(dht, { ciphertext: enc('x'), seq: 1n }, opts({ secretKey: new Uint8Array(3) })),
    ).rejects.toMatchObject({ name: 'SignedValueError', field: 'secretKey' });
    expect(calls).toBe(0);
    // No node stores anything: no-holder after the rounds.
    await expect(
      queueToOutbox(dht, { ciphertext: enc('x'), seq: 1n }, opts({ attempts: 2 })),
    ).rejects.toMatchObject({ name: 'OutboxQueueError', reason: 'no-holder', attempts: 2 });
  });
});
