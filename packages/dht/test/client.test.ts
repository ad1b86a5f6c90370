import { VirtualClock } from '@fanout/core';
import { Swarm, type DhtValue } from '@fanout/sim-dht';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { describe, expect, test } from 'vitest';
import {
  OutboxRetriever,
  outboxInfoHash,
  queueMessage,
  retrieveOutboxes,
  signValue,
  memoizedVerifier,
  type DhtGetter,
  type SignedValue,
} from '../src/index.js';

const fp = (name: string): string => Buffer.from(sha3_512(new TextEncoder().encode(name))).toString('hex');
const sk = (name: string): Uint8Array => sha3_512(new TextEncoder().encode(`sk:${name}`)).slice(0, 32);
const ME = fp('me');
const NOW = 1_700_000_000;
/** One memo shared by every simulated node and the reader: each distinct value is verified once. */
const verify = memoizedVerifier();

async function world(): Promise<{ clock: VirtualClock; swarm: Swarm }> {
  const clock = new VirtualClock();
  const swarm = await Swarm.create({ size: 100, clock, seed: 'client', node: { verifyValue: verify } });
  return { clock, swarm };
}

async function publish(
  swarm: Swarm,
  name: string,
  texts: string[],
  opts: { ttlSeconds?: number } = {},
): Promise<SignedValue> {
  let current: SignedValue | undefined;
  for (const [i, t] of texts.entries()) {
    const q = queueMessage(
      current,
      {
        ciphertext: new TextEncoder().encode(t),
        seq: BigInt(i + 1),
        ...(opts.ttlSeconds !== undefined && { ttlSeconds: opts.ttlSeconds }),
      },
      { sender: fp(name), recipient: ME, secretKey: sk(name), nowSeconds: NOW },
    );
    const put = await swarm.node(i % 10).put(q.key, q.value as DhtValue, { ttlMs: 7 * 24 * 3600 * 1000 });
    expect(put.stored.length).toBe(8);
    current = q.value;
  }
  return current!;
}

const texts = (r: { messages: ReadonlyArray<{ ciphertext: Uint8Array }> }): string[] =>
  r.messages.map((m) => new TextDecoder().decode(m.ciphertext));

describe('parallel outbox retrieval over the simulated DHT', () => {
  test('20 contacts: messages from every outbox, empty ones fulfilled empty, bad ones rejected, in about one get time', async () => {
    const { swarm } = await world();
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    for (const n of names.slice(0, 12)) await publish(swarm, n, [`${n}-1`, `${n}-2`]);
    // c12: a signed outbox whose data is garbage; c13: expected owner differs.
    const k12 = outboxInfoHash(fp('c12'), ME);
    await swarm
      .node(0)
      .put(
        k12,
        signValue(k12, { id: 1n, seq: 0, data: Uint8Array.of(0, 0, 0, 1, 1, 2, 3) }, sk('c12')) as DhtValue,
      );
    await publish(swarm, 'c13', ['c13-1']);
    const reader = swarm.farthestLive(outboxInfoHash(fp('c0'), ME));
    const contacts = names.map((n) =>
      n === 'c13' ? { fingerprint: fp(n), owner: ed25519.getPublicKey(sk('someone else')) } : fp(n),
    );
    const r = await retrieveOutboxes(contacts, {
      recipient: ME,
      dht: reader,
      nowSeconds: NOW + 10,
      clock: swarm.clock as VirtualClock,
      verify,
    });
    expect(r.fanOut.fulfilled.length).toBe(19);
    // c12's value decodes to garbage: rejected (not retried). c13's value is not signed by the
    // owner we expect, so it is ignored: an empty outbox, not an error.
    expect(r.fanOut.rejected.map((o) => [o.id === fp('c12'), (o.error as Error).name])).toEqual([
      [true, 'OutboxDecodeError'],
    ]);
    expect(r.fanOut.byId.get(fp('c13'))).toMatchObject({
      status: 'fulfilled',
      value: { value: undefined, messages: [] },
    });
    expect(texts(r)).toEqual(names.slice(0, 12).flatMap((n) => [`${n}-1`, `${n}-2`]));
    const empty = r.fanOut.fulfilled.filter((o) => o.value.value === undefined).length;
    expect(empty).toBe(7); // c13..c19
    // Parallel: the whole retrieval takes about as long as the slowest single get, far less than the sum.
    let sequential = 0;
    for (const n of names.slice(0, 5)) sequential += (await reader.get(outboxInfoHash(fp(n), ME))).elapsedMs;
    expect(r.fanOut.elapsedMs).toBeLessThan(sequential / 2);
  });

  test('the newest outbox version wins even when holders serve older ones; expired messages are dropped', async () => {
    const { swarm } = await world();
    const key = outboxInfoHash(fp('alice'), ME);
    await publish(swarm, 'alice', ['a1']);
    swarm
      .closestLive(key, 8)
      .slice(0, 5)
      .forEach((n) => swarm.setFault(n, 'stale'));
    await publish(swarm, 'bob', ['b1'], { ttlSeconds: 5 });
    let current = (await swarm.node(0).get(key)).values[0] as SignedValue;
    for (const t of ['a2', 'a3']) {
      const q = queueMessage(
        current,
        { ciphertext: new TextEncoder().encode(t), seq: BigInt(t.at(1)!) },
        { sender: fp('alice'), recipient: ME, secretKey: sk('alice'), nowSeconds: NOW },
      );
      await swarm.node(3).put(key, q.value as DhtValue, { ttlMs: 7 * 24 * 3600 * 1000 });
      current = q.value;
    }
    const r = await retrieveOutboxes([fp('alice'), fp('bob')], {
      recipient: ME,
      dht: swarm.farthestLive(key),
      nowSeconds: NOW + 6,
      clock: swarm.clock as VirtualClock,
      verify,
    });
    expect(texts(r)).toEqual(['a1', 'a2', 'a3']); // bob's message expired at NOW + 5
    expect(r.fanOut.fulfilled.map((o) => o.value.value?.seq)).toEqual([2, 0]);
  });
});

describe('timeouts, single flight and the empty cache (stub DHT)', () => {
  const clockAnd = (): { clock: VirtualClock; calls: string[]; dht: DhtGetter } => {
    const clock = new VirtualClock();
    const calls: string[] = [];
    const hang = outboxInfoHash(fp('slow'), ME);
    const dht: DhtGetter = {
      async get(key, { signal }) {
        calls.push(Buffer.from(key).toString('hex'));
        if (Buffer.from(key).equals(Buffer.from(hang))) await clock.sleep(60_000, signal);
        else await clock.sleep(200, signal);
        return { values: [] };
      },
    };
    return { clock, calls, dht };
  };

  test('a contact that never answers times out at timeoutMs; the others are fulfilled', async () => {
    const { clock, dht } = clockAnd();
    const r = await retrieveOutboxes([fp('a'), fp('slow'), fp('b')], {
      recipient: ME,
      dht,
      nowSeconds: NOW,
      clock,
      timeoutMs: 1000,
    });
    expect(r.fanOut.outcomes.map((o) => o.status)).toEqual(['fulfilled', 'timedOut', 'fulfilled']);
    expect(r.fanOut.elapsedMs).toBe(1000);
  });

  test('overlapping retrievals share one run; empty outboxes are cached for emptyCacheMs', async () => {
    const { clock, calls, dht } = clockAnd();
    const retriever = new OutboxRetriever({
      recipient: ME,
      dht,
      nowSeconds: () => NOW,
      clock,
      emptyCacheMs: 10 * 60 * 1000,
    });
    const p1 = retriever.retrieve([fp('a'), fp('b')]);
    const p2 = retriever.retrieve([fp('a'), fp('b'), fp('c')]);
    expect(p2).toBe(p1);
    expect(retriever.busy).toBe(true);
    await p1;
    expect(retriever.busy).toBe(false);
    expect(calls.length).toBe(2);
    const again = await retriever.retrieve([fp('a'), fp('b'), fp('c')]);
    expect(calls.length).toBe(3); // only c went to the DHT
    expect(again.fanOut.fulfilled.map((o) => o.value.cached)).toEqual([true, true, false]);
    await clock.sleep(10 * 60 * 1000);
    await retriever.retrieve([fp('a')]);
    expect(calls.length).toBe(4);
  });

  test('bad fingerprints are refused before any traffic', async () => {
    const { clock, calls, dht } = clockAnd();
    await expect(
      retrieveOutboxes(['nope'], { recipient: ME, dht, nowSeconds: NOW, clock }),
    ).rejects.toMatchObject({ name: 'FingerprintError', field: 'contacts[0]' });
    await expect(
      retrieveOutboxes([fp('a')], { recipient: 'x', dht, nowSeconds: NOW, clock }),
    ).rejects.toMatchObject({ name: 'FingerprintError', field: 'recipient' });
    expect(calls).toEqual([]);
  });
});
