import { VirtualClock } from '@fanout/core';
import { createRng, rngBytesFn } from '@fanout/sim';
import { describe, expect, test } from 'vitest';
import {
  SEARCH_REUSE_MS,
  Swarm,
  toHex,
  type DhtValue,
  type NodeId,
  type SwarmOptions,
} from '../src/index.js';

const value = (seq: number): DhtValue => ({ id: 1n, seq, data: new TextEncoder().encode(`v${seq}`) });
const sorted = (ids: readonly NodeId[]): string[] => ids.map(toHex).sort();

async function swarm(seed: string, node: SwarmOptions['node'] = {}): Promise<{ s: Swarm; key: NodeId }> {
  const s = await Swarm.create({ size: 60, clock: new VirtualClock(), seed, node });
  return { s, key: rngBytesFn(createRng(0).fork(`key-${seed}`))(20) };
}

describe('a put reuses the converged search of a get of the same key (OpenDHT Dht::announce)', () => {
  test('get then put: the put stores on the get’s k closest nodes with store RPCs only', async () => {
    const { s, key } = await swarm('reuse');
    await s.node(0).put(key, value(0), { k: 8 });
    const writer = s.node(5);
    const got = await writer.get(key);
    const sentBefore = writer.stats.rpcsSent;
    const put = await writer.put(key, value(1));
    expect(put.reusedSearch).toBe(true);
    expect(put.lookup.rpcs).toBe(0);
    expect(writer.stats.rpcsSent - sentBefore).toBe(8); // one store per node, no lookup
    expect(sorted(put.stored)).toEqual(sorted(got.closest));
    expect(sorted(put.stored)).toEqual(sorted(s.closestLive(key, 8).map((n) => n.id)));
    const now = s.clock.now();
    expect(
      sorted(
        s
          .holders(key)
          .filter((h) => h.storage.get(key, now).some((v) => v.seq === 1))
          .map((h) => h.id),
      ),
    ).toEqual(sorted(put.stored));
  });

  test('searchReuseMs 0: every put looks its key up', async () => {
    const { s, key } = await swarm('off', { searchReuseMs: 0 });
    const writer = s.node(5);
    await writer.get(key);
    const put = await writer.put(key, value(0));
    expect(put.reusedSearch).toBe(false);
    expect(put.lookup.rpcs).toBeGreaterThan(0);
  });

  test('a search older than SEARCH_REUSE_MS is looked up again', async () => {
    const { s, key } = await swarm('old');
    const writer = s.node(5);
    await writer.get(key);
    await new Promise<void>((resolve) => s.clock.setTimer(resolve, SEARCH_REUSE_MS + 1));
    const put = await writer.put(key, value(0));
    expect(put.reusedSearch).toBe(false);
    expect(put.lookup.rpcs).toBeGreaterThan(0);
    expect((await writer.put(key, value(1))).reusedSearch).toBe(true); // the put's own lookup is reused
  });

  test('a put that a node of the search did not answer forgets it: the next put looks up and reaches k live nodes', async () => {
    const { s, key } = await swarm('gone', { rpcTimeoutMs: 200 });
    const writer = s.farthestLive(key);
    await writer.get(key);
    const gone = s.closestLive(key, 8)[0]!;
    s.leave(gone);
    const first = await writer.put(key, value(0));
    expect(first.reusedSearch).toBe(true);
    expect(first.failed.map((f) => toHex(f.node))).toEqual([gone.idHex]);
    expect(first.stored.length).toBe(7);
    const second = await writer.put(key, value(1));
    expect(second.reusedSearch).toBe(false);
    expect(second.stored.length).toBe(8);
    expect(sorted(second.stored)).toEqual(sorted(s.closestLive(key, 8).map((n) => n.id)));
  });

  test('an aborted get leaves nothing to reuse', async () => {
    const { s, key } = await swarm('aborted');
    const writer = s.farthestLive(key);
    const ctl = new AbortController();
    s.clock.setTimer(() => ctl.abort(), 15);
    expect((await writer.get(key, { signal: ctl.signal })).aborted).toBe(true);
    expect((await writer.put(key, value(0))).reusedSearch).toBe(false);
  });

  test('the option is validated', async () => {
    await expect(swarm('bad', { searchReuseMs: -1 })).rejects.toThrow(/searchReuseMs/);
  });
});
