/**
 * The KvStore contract, run against every backend (test/contract.test.ts) and the live server
 * (test/live/live.test.ts).
 */
import type { Clock, VirtualClock } from '@fanout/core';
import { expect, it } from 'vitest';
import {
  AlreadyExistsError,
  InvalidAridError,
  InvalidEnvelopeError,
  type KvStore,
  type Rng,
} from '../src/index.js';
import { aridUr, envOf } from './helpers.js';

/** One store under test. */
export interface ContractSubject {
  store: KvStore;
  clock: Clock;
  /** The VirtualClock when virtual (enables exact-time assertions). */
  virtual?: VirtualClock;
  /** The store's get poll interval, ms. */
  pollMs: number;
  rng: Rng;
  close?: () => Promise<void>;
}

/** Register the contract tests for `make`. */
export function kvStoreContract(make: () => Promise<ContractSubject> | ContractSubject): void {
  const withSubject = (fn: (s: ContractSubject) => Promise<void>) => async () => {
    const s = await make();
    try {
      await fn(s);
    } finally {
      await s.close?.();
    }
  };

  it(
    'put then get returns the canonical envelope',
    withSubject(async ({ store, rng }) => {
      const arid = aridUr(rng);
      const env = envOf('hello hubert');
      const receipt = await store.put(arid, env);
      expect(typeof receipt).toBe('string');
      expect(receipt.length).toBeGreaterThan(0);
      expect(await store.get(arid, { timeoutSeconds: 0 })).toBe(env);
    }),
  );

  it(
    'a second put to the same ARID fails with the exact AlreadyExists text and keeps the first value',
    withSubject(async ({ store, rng }) => {
      const arid = aridUr(rng);
      await store.put(arid, envOf('first'));
      const err = await store.put(arid, envOf('second')).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect((err as Error).message).toBe(`${arid} already exists`);
      expect(await store.get(arid, { timeoutSeconds: 0 })).toBe(envOf('first'));
    }),
  );

  it(
    'concurrent puts to one ARID: exactly one succeeds and its value is stored',
    withSubject(async ({ store, rng }) => {
      const arid = aridUr(rng);
      const envs = Array.from({ length: 12 }, (_, i) => envOf(`writer ${i}`));
      const results = await Promise.allSettled(envs.map((e) => store.put(arid, e)));
      const ok = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(ok).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyExistsError);
      }
      expect(await store.get(arid, { timeoutSeconds: 0 })).toBe(envs[ok[0]!]);
    }),
  );

  it(
    'get of a missing ARID returns null (not an error) at the timeout',
    withSubject(async ({ store, rng, clock, virtual }) => {
      const start = clock.now();
      expect(await store.get(aridUr(rng), { timeoutSeconds: 1 })).toBeNull();
      const elapsed = clock.now() - start;
      if (virtual) expect(elapsed).toBe(1000);
      else expect(elapsed).toBeGreaterThanOrEqual(990);
    }),
  );

  it(
    'exists is false before and true after a put',
    withSubject(async ({ store, rng }) => {
      const arid = aridUr(rng);
      expect(await store.exists(arid)).toBe(false);
      await store.put(arid, envOf('x'));
      expect(await store.exists(arid)).toBe(true);
    }),
  );

  it(
    'accepts uppercase UR text and answers in lowercase',
    withSubject(async ({ store, rng }) => {
      const arid = aridUr(rng);
      const env = envOf('CaSe');
      await store.put(arid.toUpperCase(), env.toUpperCase());
      expect(await store.get(arid, { timeoutSeconds: 0 })).toBe(env);
      await expect(store.put(arid, env)).rejects.toThrow(`${arid} already exists`);
    }),
  );

  it(
    'rejects invalid ARID / envelope text with typed errors',
    withSubject(async ({ store, rng }) => {
      await expect(store.put('ur:arid/nonsense', envOf('x'))).rejects.toBeInstanceOf(InvalidAridError);
      await expect(store.put(aridUr(rng), 'ur:envelope/nonsense')).rejects.toBeInstanceOf(
        InvalidEnvelopeError,
      );
      await expect(store.get('not a ur', { timeoutSeconds: 0 })).rejects.toBeInstanceOf(InvalidAridError);
      await expect(store.exists('ur:envelope/tpsofxadaoaxloyncwms')).rejects.toBeInstanceOf(InvalidAridError);
    }),
  );
}

/** Contract cases that need exact virtual time. */
export function kvStoreVirtualContract(make: () => Promise<ContractSubject> | ContractSubject): void {
  it('get waits for a put that arrives later and returns at the first poll after it', async () => {
    const { store, rng, virtual, pollMs } = await make();
    const clock = virtual!;
    const arid = aridUr(rng);
    const env = envOf('late');
    const start = clock.now();
    const pending = store.get(arid, { timeoutSeconds: 10 });
    clock.setTimer(() => void store.put(arid, env), 2400);
    expect(await pending).toBe(env);
    expect(clock.now() - start).toBe(Math.ceil(2400 / pollMs) * pollMs);
  });

  it("get(arid, seconds): upstream's numeric timeout form equals { timeoutSeconds }", async () => {
    const { store, rng, virtual } = await make();
    const start = virtual!.now();
    expect(await store.get(aridUr(rng), 3)).toBeNull();
    expect(virtual!.now() - start).toBe(3000);
    const arid = aridUr(rng);
    await store.put(arid, envOf('n'));
    expect(await store.get(arid, 0)).toBe(envOf('n'));
  });

  it('get with the default timeout returns null after exactly 30 s', async () => {
    const { store, rng, virtual } = await make();
    const start = virtual!.now();
    expect(await store.get(aridUr(rng))).toBeNull();
    expect(virtual!.now() - start).toBe(30_000);
  });

  it('an aborted get rejects with the abort reason at the abort time', async () => {
    const { store, rng, virtual } = await make();
    const ac = new AbortController();
    const start = virtual!.now();
    const pending = store.get(aridUr(rng), { timeoutSeconds: 30, signal: ac.signal });
    virtual!.setTimer(() => ac.abort(new Error('stop polling')), 1500);
    await expect(pending).rejects.toThrow('stop polling');
    expect(virtual!.now() - start).toBe(1500);
  });
}
