import { VirtualClock, type RandomBytes } from '@fanout/core';
import { createRng, rngBytesFn } from '@fanout/sim';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, test } from 'vitest';
import {
  DhtValueTooLargeError,
  Swarm,
  SwarmOptionError,
  toHex,
  type DhtTraceEvent,
  type DhtValue,
  type NodeId,
  type SwarmOptions,
} from '../src/index.js';

/** Seeded test bytes from the project generator: a fresh stream per label. */
const bytesFor = (label: string): RandomBytes => rngBytesFn(createRng(0).fork(label));

const value = (id: bigint, seq: number, text: string): DhtValue => ({
  id,
  seq,
  data: new TextEncoder().encode(text),
});
const text = (v: DhtValue | undefined): string => new TextDecoder().decode(v?.data);
const hexes = (ids: readonly NodeId[]): string[] => ids.map(toHex);

async function swarm(
  seed: string,
  extra: Partial<SwarmOptions> = {},
): Promise<{ clock: VirtualClock; swarm: Swarm; key: NodeId }> {
  const clock = new VirtualClock();
  const s = await Swarm.create({ size: 100, clock, seed, ...extra });
  return { clock, swarm: s, key: bytesFor(`key-${seed}`)(20) };
}

describe('100-node swarm in virtual time', () => {
  test('put stores on the 8 closest live nodes; a get from the farthest node finds the value', async () => {
    const { clock, swarm: s, key } = await swarm('basic');
    const before = clock.now();
    const put = await s.node(0).put(key, value(1n, 0, 'hello'));
    expect(put.stored.length).toBe(8);
    expect(put.refused).toEqual([]);
    expect(hexes(put.stored).sort()).toEqual(
      s
        .closestLive(key, 8)
        .map((n) => n.idHex)
        .sort(),
    );
    expect(s.holders(key).length).toBe(8);
    const far = s.farthestLive(key);
    const got = await far.get(key);
    expect(got.values.length).toBe(1);
    expect(text(got.values[0])).toBe('hello');
    expect(got.holders.length).toBeGreaterThan(0);
    expect(got.elapsedMs).toBeGreaterThan(0); // latency is real virtual time
    expect(clock.now()).toBeGreaterThan(before);
  });

  test('findNode converges on the true 8 closest nodes for many targets', async () => {
    const { swarm: s } = await swarm('converge');
    const targets = bytesFor('targets');
    for (let i = 0; i < 10; i++) {
      const t = targets(20);
      const r = await s.node(i * 9).findNode(t);
      const truth = s
        .closestLive(t, 9)
        .filter((n) => n !== s.node(i * 9))
        .slice(0, 8)
        .map((n) => n.idHex);
      expect(hexes(r.closest)).toEqual(truth);
    }
  });

  test('several values per key; newest sequence wins, even when some holders are stale', async () => {
    const { swarm: s, key } = await swarm('newest');
    await s.node(1).put(key, value(1n, 1, 'v1'));
    await s.node(2).put(key, value(2n, 0, 'other id'));
    // Half of the holders keep serving seq 1.
    s.closestLive(key, 8)
      .slice(0, 4)
      .forEach((n) => s.setFault(n, 'stale'));
    const put2 = await s.node(1).put(key, value(1n, 2, 'v2'));
    expect(put2.stored.length).toBe(8);
    const seen: string[] = [];
    let doneCalls = 0;
    const got = await s.farthestLive(key).get(key, {
      onValue: (v) => {
        seen.push(`${v.id}:${v.seq}`);
      },
      onDone: () => doneCalls++,
    });
    expect(doneCalls).toBe(1);
    expect(got.values.map((v) => [v.id, v.seq, text(v)])).toEqual([
      [1n, 2, 'v2'],
      [2n, 0, 'other id'],
    ]);
    expect(seen).toContain('1:2');
    // A lower seq arriving after seq 2 is never delivered again.
    expect(seen.indexOf('1:1') === -1 || seen.indexOf('1:1') < seen.indexOf('1:2')).toBe(true);
    // Stale holders really serve the old version.
    const now = s.clock.now();
    expect(
      s
        .closestLive(key, 8)[0]!
        .storage.get(key, now)
        .find((v) => v.id === 1n)!.seq,
    ).toBe(1);
    // An older put is refused by the honest holders.
    const old = await s.node(3).put(key, value(1n, 0, 'v0'));
    expect(old.refused.length).toBe(4);
    expect(old.refused[0]!.error).toMatchObject({
      name: 'DhtRemoteError',
      code: 'edit-refused',
      reason: 'lower-seq',
    });
  });

  test('get stops early when the value callback returns false', async () => {
    const { swarm: s, key } = await swarm('early');
    await s.node(0).put(key, value(1n, 0, 'x'));
    const far = s.farthestLive(key);
    const full = await far.get(key);
    const early = await far.get(key, { onValue: () => false });
    expect(early.stoppedEarly).toBe(true);
    expect(full.stoppedEarly).toBe(false);
    expect(early.values.length).toBe(1);
    expect(early.rpcs).toBeLessThan(full.rpcs);
  });

  test('TTL: a value is found before its TTL and gone after; listeners hear the expiry', async () => {
    const { clock, swarm: s, key } = await swarm('ttl');
    const events: string[] = [];
    const listener = await s
      .node(5)
      .listen(key, (vals, expired) =>
        events.push(`${expired ? 'expired' : 'new'} ${vals.map((v) => `${v.id}:${v.seq}`).join(',')}`),
      );
    expect(listener.nodes.length).toBe(8);
    await s.node(0).put(key, value(1n, 0, 'short'), { ttlMs: 5_000 });
    await s.node(0).put(key, value(2n, 0, 'default ttl'));
    await s.node(0).put(key, value(2n, 1, 'default ttl, v2'));
    const t = clock.now();
    expect((await s.node(50).get(key)).values.length).toBe(2);
    await clock.sleep(5_000 - (clock.now() - t) + 1000);
    const mid = await s.node(50).get(key);
    expect(mid.values.map((v) => v.id)).toEqual([2n]);
    await clock.sleep(10 * 60 * 1000);
    expect((await s.node(50).get(key)).values).toEqual([]);
    expect(events).toEqual(['new 1:0', 'new 2:0', 'new 2:1', 'expired 1:0', 'expired 2:1']);
    await listener.cancel();
  });

  test('value size limit: 64 KiB is stored, 64 KiB + 1 is a typed error before any traffic', async () => {
    const { swarm: s, key } = await swarm('size');
    const ok = await s.node(0).put(key, { id: 1n, seq: 0, data: new Uint8Array(65536) });
    expect(ok.stored.length).toBe(8);
    const sent = s.network.stats.sent;
    await expect(s.node(0).put(key, { id: 2n, seq: 0, data: new Uint8Array(65537) })).rejects.toBeInstanceOf(
      DhtValueTooLargeError,
    );
    expect(s.network.stats.sent).toBe(sent);
  });

  test('per-node storage cap: full nodes refuse with storage-full', async () => {
    const { swarm: s, key } = await swarm('cap', { node: { maxStorageBytes: 1000 } });
    const first = await s.node(0).put(key, { id: 1n, seq: 0, data: new Uint8Array(900) });
    expect(first.stored.length).toBe(8);
    const second = await s.node(0).put(key, { id: 2n, seq: 0, data: new Uint8Array(200) });
    expect(second.stored.length).toBe(0);
    expect(second.refused.map((r) => (r.error as { code?: string }).code)).toEqual(
      Array(8).fill('storage-full'),
    );
  });

  test('churn: after 20% of the nodes leave, values replicated on 8 nodes are still found (seeded)', async () => {
    const { swarm: s } = await swarm('churn');
    const keyRng = bytesFor('churn-keys');
    const keys = Array.from({ length: 20 }, () => keyRng(20));
    for (const [i, key] of keys.entries()) await s.node(i).put(key, value(1n, 0, `m${i}`));
    const left = s.churn(0.2);
    expect(left.length).toBe(20);
    expect(s.live().length).toBe(80);
    let found = 0;
    for (const [i, key] of keys.entries()) {
      const reader = s.live()[(i * 7) % 80]!;
      const got = await reader.get(key);
      if (text(got.values[0]) === `m${i}`) found++;
    }
    expect(found).toBe(20);
    // Newcomers join and can read too.
    const joined = await s.join();
    expect(joined.routingTableSize).toBeGreaterThan(8);
    expect(text((await joined.get(keys[0]!)).values[0])).toBe('m0');
  });

  test('signed values: another owner is refused, corrupt holders are filtered by the verify hook', async () => {
    const verifyValue = (key: NodeId, v: DhtValue): boolean =>
      v.owner !== undefined &&
      v.signature !== undefined &&
      ed25519.verify(v.signature, new Uint8Array([...key, ...v.data, v.seq]), v.owner);
    const { swarm: s, key } = await swarm('signed', { node: { verifyValue } });
    const alice = bytesFor('alice')(32);
    const mallory = bytesFor('mallory')(32);
    const signed = (sk: Uint8Array, seq: number, data: string): DhtValue => {
      const bytes = new TextEncoder().encode(data);
      return {
        id: 1n,
        seq,
        data: bytes,
        owner: ed25519.getPublicKey(sk),
        signature: ed25519.sign(new Uint8Array([...key, ...bytes, seq]), sk),
      };
    };
    expect((await s.node(0).put(key, signed(alice, 1, 'alice v1'))).stored.length).toBe(8);
    const hijack = await s.node(1).put(key, signed(mallory, 9, 'mallory'));
    expect(hijack.stored.length).toBe(0);
    expect(hijack.refused.map((r) => (r.error as { reason?: string }).reason)).toEqual(
      Array(8).fill('owner-mismatch'),
    );
    const forged = { ...signed(alice, 5, 'x'), data: new TextEncoder().encode('forged') };
    const bad = await s.node(1).put(key, forged);
    expect(bad.refused.map((r) => (r.error as { reason?: string }).reason)).toEqual(
      Array(8).fill('bad-signature'),
    );
    expect((await s.node(2).put(key, signed(alice, 2, 'alice v2'))).stored.length).toBe(8);
    s.closestLive(key, 8)
      .slice(0, 3)
      .forEach((n) => s.setFault(n, 'corrupt'));
    const got = await s.farthestLive(key).get(key);
    expect(text(got.values[0])).toBe('alice v2');
    expect(got.rejected).toBeGreaterThan(0);
    // Without the hook the corrupted copies surface as same-(id, seq) conflicts.
    const unchecked = await s.farthestLive(key).get(key, { verify: () => true });
    expect(unchecked.conflicts).toBeGreaterThan(0);
  });

  test('abort: a get whose signal aborts ends with aborted: true', async () => {
    const { swarm: s, key } = await swarm('abort');
    const ctl = new AbortController();
    s.clock.setTimer(() => ctl.abort(), 15);
    const r = await s.farthestLive(key).get(key, { signal: ctl.signal });
    expect(r.aborted).toBe(true);
  });

  test('determinism: same seed, same lookup path and timings; another seed differs', async () => {
    const run = async (seed: string): Promise<{ path: string[]; trace: string[]; elapsed: number }> => {
      const trace: DhtTraceEvent[] = [];
      const { swarm: s, key } = await swarm(seed, { node: { onTrace: (e) => trace.push(e) } });
      await s.node(3).put(key, value(1n, 0, 'd'));
      s.churn(0.1);
      trace.length = 0;
      const r = await s.farthestLive(key).get(key);
      return {
        path: hexes(r.queried),
        trace: trace.map((e) => `${e.at} ${e.kind} ${e.from.slice(0, 6)}>${e.to.slice(0, 6)} ${e.request}`),
        elapsed: r.elapsedMs,
      };
    };
    const a = await run('same');
    const b = await run('same');
    const c = await run('other');
    expect(a.path.length).toBeGreaterThan(3);
    expect(b).toEqual(a);
    expect(c.path).not.toEqual(a.path);
  });

  test('swarm options are validated', async () => {
    await expect(Swarm.create({ size: 0, clock: new VirtualClock() })).rejects.toBeInstanceOf(
      SwarmOptionError,
    );
    await expect(Swarm.create({ size: 10.5, clock: new VirtualClock() })).rejects.toThrow(/size/);
  });
});

describe('500-node swarm, direct bootstrap', () => {
  test('put then get across the swarm', async () => {
    const clock = new VirtualClock();
    const s = await Swarm.create({ size: 500, clock, seed: 'big', bootstrap: 'direct' });
    const key = bytesFor('big-key')(20);
    const put = await s.node(0).put(key, value(1n, 0, 'big'));
    expect(hexes(put.stored).sort()).toEqual(
      s
        .closestLive(key, 8)
        .map((n) => n.idHex)
        .sort(),
    );
    const got = await s.farthestLive(key).get(key);
    expect(text(got.values[0])).toBe('big');
  });
});
