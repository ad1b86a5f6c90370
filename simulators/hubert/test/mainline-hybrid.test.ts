import { VirtualClock } from '@fanout/core';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  aridFromUr,
  decodeEnvelopeUr,
  envelopeToUr,
  envelopeUrSize,
  EnvelopeTooLargeError,
  HybridContentNotFoundError,
  HybridKvStore,
  IpfsKvStore,
  MainlineKvStore,
  parseReferenceEnvelope,
  toHex,
  ValueTooLargeError,
} from '../src/index.js';
import { aridUr, envOf, envOfSize, seededRng } from './helpers.js';

describe('mainline DHT store', () => {
  it('measures the tagged envelope CBOR: 1000 bytes fit, 1001 fail with the exact text', async () => {
    const store = new MainlineKvStore({ clock: new VirtualClock() });
    const rng = seededRng(1);
    const fits = envOfSize(993);
    expect(envelopeUrSize(fits)).toBe(1000);
    const a = aridUr(rng);
    expect(await store.put(a, fits)).toBe(`dht://${toHex(aridFromUr(a))}`);
    const tooBig = envOfSize(994);
    const err = await store.put(aridUr(rng), tooBig).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValueTooLargeError);
    expect((err as Error).message).toBe('Value size 1001 exceeds DHT limit of 1000 bytes');
    expect((err as ValueTooLargeError).size).toBe(1001);
  });

  it('checks the size before write-once (an oversized second put reports the size)', async () => {
    const store = new MainlineKvStore({ clock: new VirtualClock() });
    const a = aridUr(seededRng(2));
    await store.put(a, envOf('small'));
    await expect(store.put(a, envOfSize(5000))).rejects.toThrow(
      'Value size 5007 exceeds DHT limit of 1000 bytes',
    );
    await expect(store.put(a, envOf('small 2'))).rejects.toThrow(`${a} already exists`);
  });

  it('ignores TTL: values never expire', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const store = new MainlineKvStore({ clock });
    const a = aridUr(seededRng(3));
    await store.put(a, envOf('x'), 1);
    await clock.advance(10 * 86_400_000);
    expect(await store.get(a, { timeoutSeconds: 0 })).toBe(envOf('x'));
  });

  it('without a race fault, concurrent writers: exactly one succeeds', async () => {
    const store = new MainlineKvStore({ clock: new VirtualClock() });
    const a = aridUr(seededRng(4));
    const results = await Promise.allSettled([0, 1, 2].map((i) => store.put(a, envOf(`w${i}`))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof AlreadyExistsError),
    ).toHaveLength(2);
  });

  it('with the race fault, two writers both pass check-then-put; the last write wins', async () => {
    const clock = new VirtualClock();
    const rng = seededRng(5);
    const racy = aridUr(rng);
    const store = new MainlineKvStore({
      clock,
      raceWindowMs: 250,
      faults: { writeOnceRace: (arid) => arid === racy },
    });
    const results = await Promise.allSettled([
      store.put(racy, envOf('first')),
      store.put(racy, envOf('second')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(clock.now()).toBe(250);
    expect(store.peek(racy)).toBe(envOf('second'));
    // a writer arriving after the window still sees the value
    await expect(store.put(racy, envOf('third'))).rejects.toBeInstanceOf(AlreadyExistsError);
    // the race is per ARID: another ARID stays atomic
    const calm = aridUr(rng);
    const calmResults = await Promise.allSettled([store.put(calm, envOf('a')), store.put(calm, envOf('b'))]);
    expect(calmResults.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });
});

describe('IPFS store', () => {
  it('get returns null at once when nothing is published (no polling)', async () => {
    const clock = new VirtualClock();
    const store = new IpfsKvStore({ clock });
    expect(await store.get(aridUr(seededRng(6)), { timeoutSeconds: 30 })).toBeNull();
    expect(clock.now()).toBe(0);
  });

  it('enforces its size limit with the upstream text', async () => {
    const store = new IpfsKvStore({ clock: new VirtualClock(), maxEnvelopeBytes: 100 });
    await expect(store.put(aridUr(seededRng(7)), envOfSize(200))).rejects.toThrow(EnvelopeTooLargeError);
    await expect(store.put(aridUr(seededRng(7)), envOfSize(200))).rejects.toThrow(
      'Envelope size 206 exceeds practical limit',
    );
  });
});

describe('hybrid store', () => {
  it('≤ 1000 bytes go to the DHT directly', async () => {
    const clock = new VirtualClock();
    const store = new HybridKvStore({ clock, rng: seededRng(8) });
    const a = aridUr(seededRng(9));
    const env = envOfSize(993);
    expect(await store.put(a, env)).toBe(`Stored in DHT at ARID: ${a}`);
    expect(store.dht.peek(a)).toBe(env);
    expect(store.ipfs.volume.size).toBe(0);
    expect(await store.get(a, { timeoutSeconds: 0 })).toBe(env);
  });

  it('larger values go to IPFS under a fresh ARID with a reference envelope in the DHT', async () => {
    const clock = new VirtualClock();
    const refRng = seededRng(10);
    const expectedRef = aridUr(seededRng(10)); // the same stream the store will draw from
    const store = new HybridKvStore({ clock, rng: refRng });
    const a = aridUr(seededRng(11));
    const big = envOfSize(5000);
    expect(await store.put(a, big, 600)).toBe(`Stored in IPFS (ref: ${expectedRef}) via DHT at ARID: ${a}`);
    expect(store.ipfs.peek(expectedRef)).toBe(big);
    const ref = parseReferenceEnvelope(decodeEnvelopeUr(store.dht.peek(a)!));
    expect(ref).toEqual({ arid: aridFromUr(expectedRef), size: envelopeUrSize(big) });
    expect(await store.get(a, { timeoutSeconds: 0 })).toBe(big);
    expect(await store.exists(a)).toBe(true);
  });

  it('a missing IPFS part fails with `Referenced IPFS content not found`', async () => {
    const clock = new VirtualClock();
    const refRng = seededRng(12);
    const ref = aridUr(seededRng(12));
    const store = new HybridKvStore({ clock, rng: refRng });
    const a = aridUr(seededRng(13));
    await store.put(a, envOfSize(3000));
    expect(store.ipfs.drop(ref)).toBe(true);
    const err = await store.get(a, { timeoutSeconds: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HybridContentNotFoundError);
    expect((err as Error).message).toBe('Referenced IPFS content not found');
    expect((err as HybridContentNotFoundError).referenceArid).toBe(ref);
  });

  it('write-once goes through the DHT part; get times out to null through it', async () => {
    const clock = new VirtualClock();
    const store = new HybridKvStore({ clock, rng: seededRng(14) });
    const a = aridUr(seededRng(15));
    await store.put(a, envOf('one'));
    await expect(store.put(a, envOfSize(4000))).rejects.toThrow(`${a} already exists`);
    expect(await store.get(aridUr(seededRng(16)), { timeoutSeconds: 2 })).toBeNull();
    expect(clock.now()).toBe(2000);
  });

  it('a payload that is itself not a reference passes through even when it is a byte leaf of 32 bytes', async () => {
    const store = new HybridKvStore({ clock: new VirtualClock(), rng: seededRng(17) });
    const a = aridUr(seededRng(18));
    const env = envelopeToUr(new Uint8Array(32).fill(3));
    await store.put(a, env);
    expect(await store.get(a, { timeoutSeconds: 0 })).toBe(env);
  });

  it('restart keeps both parts unless told to lose data', async () => {
    const store = new HybridKvStore({ clock: new VirtualClock(), rng: seededRng(19) });
    const a = aridUr(seededRng(20));
    await store.put(a, envOfSize(2000));
    store.restart();
    expect(await store.get(a, { timeoutSeconds: 0 })).toBe(envOfSize(2000));
    store.restart({ loseData: true });
    expect(await store.get(a, { timeoutSeconds: 0 })).toBeNull();
  });
});
