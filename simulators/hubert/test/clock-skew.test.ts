/**
 * Clock skew (the fault plan's clockSkew / clockStrobe, read through a skewed `wallClock` such as
 * @fanout/sim's `net.clockFor(target)`): TTL expiry and stored-at times follow what the store
 * believes the time is; polling and timeouts stay on the true clock.
 */
import { VirtualClock } from '@fanout/core';
import { describe, expect, it } from 'vitest';
import { HybridKvStore, createMemoryKvStore, createServerKvStore } from '../src/index.js';
import { aridUr, envOf, seededRng } from './helpers.js';

/** A clock whose reading is the true clock's plus `skew.ms` (as a clockSkew rule moves it). */
function skewed(clock: VirtualClock) {
  const skew = { ms: 0 };
  return { skew, wallClock: { now: () => clock.now() + skew.ms } };
}

describe('Hubert stores under clock skew', () => {
  it('a clock jumping 20 s ahead expires a 10 s entry that the true clock still keeps', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const { skew, wallClock } = skewed(clock);
    const store = createMemoryKvStore({ clock, wallClock });
    const plain = createMemoryKvStore({ clock });
    const arid = aridUr(seededRng(1));
    await store.put(arid, envOf('v'), 10);
    await plain.put(arid, envOf('v'), 10);
    await clock.advance(1000);
    skew.ms = 20_000;
    expect(await plain.get(arid, { timeoutSeconds: 0 })).toBe(envOf('v'));
    expect(await store.get(arid, { timeoutSeconds: 0 })).toBeNull();
    expect(store.peek(arid)).toBeNull();
  });
  it('a clock set behind at write time stores an entry that outlives its TTL on the true clock', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const { skew, wallClock } = skewed(clock);
    const store = createServerKvStore({ clock, wallClock });
    const arid = aridUr(seededRng(2));
    skew.ms = -30_000; // the server thinks it is 30 s earlier while it writes
    await store.put(arid, envOf('v'), 10);
    skew.ms = 0;
    await clock.advance(5_000); // 5 s after the write: 35 s after the time the server wrote down
    expect(await store.get(arid, { timeoutSeconds: 0 })).toBeNull();
    expect(store.volume.keys()).toEqual([]); // removed as expired
  });
  it('a get polls on the true clock: a skew does not shorten its timeout', async () => {
    const clock = new VirtualClock();
    const { skew, wallClock } = skewed(clock);
    skew.ms = 3_600_000;
    const store = createServerKvStore({ clock, wallClock });
    const arid = aridUr(seededRng(3));
    const start = clock.now();
    expect(await store.get(arid, { timeoutSeconds: 3 })).toBeNull();
    expect(clock.now() - start).toBe(3000);
  });
  it('stored-at times and the hybrid parts follow the skewed clock', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const { skew, wallClock } = skewed(clock);
    skew.ms = 5000;
    const hybrid = new HybridKvStore({ clock, wallClock, rng: seededRng(4) });
    await hybrid.put(aridUr(seededRng(5)), envOf('small'));
    const [key] = hybrid.dht.volume.keys();
    expect(hybrid.dht.volume.get(key!)?.storedAtMs).toBe(5000);
  });
});
