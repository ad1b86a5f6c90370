import { VirtualClock } from '@fanout/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  aridToUr,
  createHubertApp,
  createMemoryKvStore,
  createServerKvStore,
  HubertArgumentError,
  HubertHttpClient,
  HubertServerError,
  HubertUnavailableError,
  KvVolume,
  MemoryKvStore,
  type HubertFaults,
  type KvStore,
} from '../src/index.js';
import { aridUr, envOf, seededRng } from './helpers.js';

const manual = (): VirtualClock => new VirtualClock({ autoAdvance: false });

describe('TTL in virtual time', () => {
  it('an entry with ttl 60 s is readable until 59.999 s and gone at 60 s', async () => {
    const clock = manual();
    const store = createMemoryKvStore({ clock });
    const arid = aridUr(seededRng(1));
    await store.put(arid, envOf('v'), 60);
    await clock.advance(59_999);
    expect(await store.get(arid, { timeoutSeconds: 0 })).toBe(envOf('v'));
    await clock.advance(1);
    expect(await store.get(arid, { timeoutSeconds: 0 })).toBeNull();
    expect(await store.exists(arid)).toBe(false);
  });

  it('no TTL → 86400 s default; larger TTLs are clamped to 86400 s (memory and server)', async () => {
    for (const make of [createMemoryKvStore, createServerKvStore]) {
      const clock = manual();
      const store = make({ clock });
      const rng = seededRng(2);
      const a = aridUr(rng);
      const b = aridUr(rng);
      await store.put(a, envOf('a'));
      await store.put(b, envOf('b'), 10 * 86_400);
      expect(store.effectiveTtlSeconds(undefined)).toBe(86_400);
      expect(store.effectiveTtlSeconds(10 * 86_400)).toBe(86_400);
      await clock.advance(86_400_000 - 1);
      expect(store.peek(a)).toBe(envOf('a'));
      expect(store.peek(b)).toBe(envOf('b'));
      await clock.advance(1);
      expect(store.peek(a)).toBeNull();
      expect(store.peek(b)).toBeNull();
    }
  });

  it('upstream MemoryKv preset (no default, no clamp) keeps an entry without TTL forever', async () => {
    const clock = manual();
    const store = createMemoryKvStore({ clock, defaultTtlSeconds: null, maxTtlSeconds: null });
    const arid = aridUr(seededRng(3));
    await store.put(arid, envOf('forever'));
    await clock.advance(365 * 86_400_000);
    expect(await store.get(arid, { timeoutSeconds: 0 })).toBe(envOf('forever'));
  });

  it('ttl 0 expires at once', async () => {
    const store = createServerKvStore({ clock: manual() });
    const arid = aridUr(seededRng(4));
    await store.put(arid, envOf('gone'), 0);
    expect(store.peek(arid)).toBeNull();
  });

  it('memory: a get meeting an expired entry returns null at once; server: polls on to its deadline', async () => {
    for (const [make, waited] of [
      [createMemoryKvStore, 0],
      [createServerKvStore, 10_000],
    ] as const) {
      const clock = new VirtualClock();
      const store = make({ clock });
      const arid = aridUr(seededRng(5));
      await store.put(arid, envOf('short'), 1);
      await clock.advance(2000);
      const start = clock.now();
      expect(await store.get(arid, { timeoutSeconds: 10 })).toBeNull();
      expect(clock.now() - start).toBe(waited);
    }
  });

  it('like upstream, an expired entry still blocks a put until a read removed it', async () => {
    const clock = manual();
    const store = createMemoryKvStore({ clock });
    const arid = aridUr(seededRng(6));
    await store.put(arid, envOf('old'), 1);
    await clock.advance(1000);
    await expect(store.put(arid, envOf('new'))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await store.exists(arid)).toBe(false); // lazily removes the expired entry
    await store.put(arid, envOf('new'));
    expect(store.peek(arid)).toBe(envOf('new'));
  });

  it('rejects bad TTLs and timeouts with HubertArgumentError', async () => {
    const store = createMemoryKvStore({ clock: manual() });
    const arid = aridUr(seededRng(7));
    await expect(store.put(arid, envOf('x'), -1)).rejects.toBeInstanceOf(HubertArgumentError);
    await expect(store.put(arid, envOf('x'), 1.5)).rejects.toThrow(/ttlSeconds/);
    await expect(store.get(arid, { timeoutSeconds: -1 })).rejects.toThrow(/timeoutSeconds/);
    expect(() => createMemoryKvStore({ clock: manual(), pollIntervalMs: 0 })).toThrow(HubertArgumentError);
  });
});

describe('polling', () => {
  it('memory polls every 500 ms, server every 1000 ms (timers fired over a 3 s miss)', async () => {
    for (const [make, polls] of [
      [createMemoryKvStore, 6],
      [createServerKvStore, 3],
    ] as const) {
      const clock = new VirtualClock();
      const store = make({ clock });
      const before = clock.firedTimers;
      expect(await store.get(aridUr(seededRng(8)), { timeoutSeconds: 3 })).toBeNull();
      expect(clock.firedTimers - before).toBe(polls);
      expect(clock.now()).toBe(3000);
    }
  });

  it('server exists() is a 1-second get (as ServerKv): false after 1 s, true at once', async () => {
    const clock = new VirtualClock();
    const store = createServerKvStore({ clock });
    const arid = aridUr(seededRng(9));
    expect(await store.exists(arid)).toBe(false);
    expect(clock.now()).toBe(1000);
    await store.put(arid, envOf('x'));
    expect(await store.exists(arid)).toBe(true);
    expect(clock.now()).toBe(1000);
  });
});

describe('write-once under concurrency', () => {
  it('many puts with different fault latencies: only the earliest lands (memory and server)', async () => {
    for (const make of [createMemoryKvStore, createServerKvStore]) {
      const clock = new VirtualClock();
      const latencies = [700, 300, 300, 900, 1200, 301];
      let call = 0;
      const faults: HubertFaults = { extraLatencyMs: (op) => (op === 'put' ? latencies[call++]! : 0) };
      const store = make({ clock, faults });
      const arid = aridUr(seededRng(10));
      const results = await Promise.allSettled(latencies.map((_, i) => store.put(arid, envOf(`w${i}`))));
      expect(results.map((r) => r.status)).toEqual([
        'rejected',
        'fulfilled',
        'rejected',
        'rejected',
        'rejected',
        'rejected',
      ]);
      expect(store.peek(arid)).toBe(envOf('w1'));
      expect(clock.now()).toBe(1200);
    }
  });

  it('property: exactly one writer wins under random interleavings (fc.scheduler)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.constantFrom('memory', 'server', 'http'),
        fc.array(fc.nat({ max: 2000 }), { minLength: 2, maxLength: 8 }),
        async (s, kind, latencies) => {
          const clock = new VirtualClock();
          const faults: HubertFaults = {};
          const backing = (kind === 'memory' ? createMemoryKvStore : createServerKvStore)({ clock, faults });
          let store: KvStore = backing;
          if (kind === 'http') {
            const app = createHubertApp(backing);
            store = new HubertHttpClient({
              baseUrl: 'http://hubert.sim',
              fetch: s.scheduleFunction(async (r: Request) => app.fetch(r)),
              clock,
            });
          }
          const arid = aridToUr(new Uint8Array(32).fill(9));
          let call = 0;
          faults.extraLatencyMs = (op) => (op === 'put' ? latencies[call++ % latencies.length]! : 0);
          const puts = latencies.map((_, i) =>
            s.schedule(Promise.resolve(i), `start ${i}`).then(() => store.put(arid, envOf(`w${i}`))),
          );
          const results = await s.waitFor(Promise.allSettled(puts));
          const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
          expect(winners).toHaveLength(1);
          for (const r of results)
            if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyExistsError);
          expect(backing.peek(arid)).toBe(envOf(`w${winners[0]}`));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('persistence: crash and restart', () => {
  it('a restart keeps acknowledged puts by default and loses them only when told', async () => {
    const clock = manual();
    const store = createServerKvStore({ clock });
    const rng = seededRng(11);
    const a = aridUr(rng);
    await store.put(a, envOf('acked'));
    store.restart();
    expect(await store.get(a, { timeoutSeconds: 0 })).toBe(envOf('acked'));
    store.restart({ loseData: true });
    expect(await store.get(a, { timeoutSeconds: 0 })).toBeNull();
    await store.put(a, envOf('again')); // write-once state was lost too
    expect(store.peek(a)).toBe(envOf('again'));
  });

  it('while crashed every operation fails with HubertUnavailableError; recover() brings data back', async () => {
    const clock = manual();
    const store = createMemoryKvStore({ clock });
    const a = aridUr(seededRng(12));
    await store.put(a, envOf('x'));
    store.crash();
    expect(store.isUp).toBe(false);
    await expect(store.put(aridUr(seededRng(13)), envOf('y'))).rejects.toBeInstanceOf(HubertUnavailableError);
    await expect(store.get(a, { timeoutSeconds: 0 })).rejects.toThrow(/Network error: memory store is down/);
    await expect(store.exists(a)).rejects.toBeInstanceOf(HubertUnavailableError);
    store.recover();
    expect(await store.get(a, { timeoutSeconds: 0 })).toBe(envOf('x'));
  });

  it('a crash during a pending get fails that get at its next poll', async () => {
    const clock = new VirtualClock();
    const store = createServerKvStore({ clock });
    const pending = store.get(aridUr(seededRng(14)), { timeoutSeconds: 30 });
    clock.setTimer(() => store.crash(), 2500);
    await expect(pending).rejects.toBeInstanceOf(HubertUnavailableError);
    expect(clock.now()).toBe(3000);
  });

  it('a new process on the same volume sees the old data', async () => {
    const clock = manual();
    const volume = new KvVolume();
    const a = aridUr(seededRng(15));
    await createServerKvStore({ clock, volume }).put(a, envOf('disk'));
    const second = createServerKvStore({ clock, volume });
    expect(await second.get(a, { timeoutSeconds: 0 })).toBe(envOf('disk'));
    await expect(second.put(a, envOf('other'))).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(volume.size).toBe(1);
  });
});

describe('fault hooks', () => {
  it("'lose': the put is acknowledged but readers never see it", async () => {
    const clock = new VirtualClock();
    const store = createServerKvStore({ clock, faults: { beforePut: () => 'lose' } });
    const a = aridUr(seededRng(16));
    expect(await store.put(a, envOf('lost'))).toBe('Stored successfully');
    expect(await store.get(a, { timeoutSeconds: 2 })).toBeNull();
    expect(clock.now()).toBe(2000);
  });

  it('a {status} decision fails the put with HubertServerError and stores nothing', async () => {
    const seen: string[] = [];
    const store = createMemoryKvStore({
      clock: manual(),
      faults: {
        beforePut: (arid, now) => {
          seen.push(`${arid}@${now}`);
          return { status: 503, body: 'busy' };
        },
      },
    });
    const a = aridUr(seededRng(17));
    const err = await store.put(a, envOf('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubertServerError);
    expect(err).toMatchObject({ status: 503, body: 'busy', message: 'Server error: busy' });
    expect(store.peek(a)).toBeNull();
    expect(seen).toEqual([`${a}@0`]);
  });

  it('per-ARID extra latency delays exactly that ARID', async () => {
    const clock = new VirtualClock();
    const rng = seededRng(18);
    const slow = aridUr(rng);
    const fast = aridUr(rng);
    const store = createMemoryKvStore({
      clock,
      faults: { extraLatencyMs: (_op, arid) => (arid === slow ? 4000 : 0) },
    });
    const done: string[] = [];
    await Promise.all([
      store.put(slow, envOf('s')).then(() => done.push(`slow@${clock.now()}`)),
      store.put(fast, envOf('f')).then(() => done.push(`fast@${clock.now()}`)),
    ]);
    expect(done).toEqual(['fast@0', 'slow@4000']);
  });

  it('isDown(now) windows make operations fail only inside the window', async () => {
    const clock = new VirtualClock();
    const store = createServerKvStore({ clock, faults: { isDown: (now) => now >= 1000 && now < 3000 } });
    const a = aridUr(seededRng(19));
    await store.put(a, envOf('x'));
    const pending = store.get(aridUr(seededRng(20)), { timeoutSeconds: 10 });
    await expect(pending).rejects.toBeInstanceOf(HubertUnavailableError);
    expect(clock.now()).toBe(1000);
    await clock.advance(2000);
    expect(await store.get(a, { timeoutSeconds: 0 })).toBe(envOf('x'));
  });

  it('MemoryKvStore is exported as a class with the server preset values', () => {
    const s = createServerKvStore({ clock: manual() });
    expect(s).toBeInstanceOf(MemoryKvStore);
    expect(s.kind).toBe('server');
    expect(createMemoryKvStore({ clock: manual() }).kind).toBe('memory');
  });
});
