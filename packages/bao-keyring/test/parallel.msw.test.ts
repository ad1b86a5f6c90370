/**
 * Seed 001 (IMPL_06_PARALLEL_WORKERS) httptest tests, translated to msw 2. These assert behaviour
 * (results, errors, concurrency counters), never wall-clock time; the timing criteria are checked
 * in virtual time in parallel.virtual.test.ts.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BaoKeyExistsError,
  BaoKeyNotFoundError,
  BaoUnavailableError,
  BaoValidationError,
  BatchPartialFailureError,
  type CreateBatchResult,
} from '../src/index.js';
import {
  Barrier,
  createHandler,
  MOUNT,
  mswKeyring,
  readHandler,
  signHandler,
  testPublic,
} from './msw-bao.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const workers = ['worker-1', 'worker-2', 'worker-3', 'worker-4'];

async function preload(keyring: ReturnType<typeof mswKeyring>['keyring']): Promise<void> {
  // Like the Go tests' kr.store.Save: the keys are known locally (fetched once from the fake Bao).
  for (const w of workers) await keyring.get(w);
}

describe('seed 001 parallel worker tests (msw)', () => {
  it('TestSign_Concurrent: 4 workers × 10 signs, all succeed, 40 requests, 4 in flight at once', async () => {
    const barrier = new Barrier(4, 40);
    let requests = 0;
    server.use(
      readHandler(),
      signHandler({
        before: async () => {
          requests++;
          await barrier.enter();
          barrier.leave();
        },
      }),
    );
    const { keyring } = mswKeyring();
    await preload(keyring);
    const errors: unknown[] = [];
    await Promise.all(
      workers.map(async (uid, w) => {
        for (let i = 0; i < 10; i++) {
          try {
            // keyring.sign verified it against the key already; here only its length is checked.
            const { signature } = await keyring.sign(uid, utf8ToBytes(`message-${w}-${i}`));
            expect(signature).toHaveLength(64);
          } catch (e) {
            errors.push(e);
          }
        }
      }),
    );
    expect(errors).toEqual([]);
    expect(requests).toBe(40);
    expect(barrier.peak).toBe(4);
  }, 10_000);

  it('TestSign_NoHeadOfLineBlocking: fast workers finish while worker-1 is still held', async () => {
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => (releaseSlow = r));
    server.use(
      readHandler(),
      signHandler({ before: (name) => (name === 'worker-1' ? slowGate : undefined) }),
    );
    const { keyring } = mswKeyring();
    await preload(keyring);
    const order: string[] = [];
    const all = workers.map((uid) => keyring.sign(uid, utf8ToBytes('msg')).then(() => order.push(uid)));
    // The three fast signs complete although worker-1's answer has not even been produced yet.
    await Promise.all(all.slice(1));
    expect(order.sort()).toEqual(['worker-2', 'worker-3', 'worker-4']);
    releaseSlow();
    await all[0];
    expect(order[3]).toBe('worker-1');
  });

  it('TestCreateBatch_Success: creates blob-worker-1..4 concurrently with per-item results', async () => {
    const barrier = new Barrier(4, 4);
    const created: string[] = [];
    server.use(
      createHandler({
        before: async (name) => {
          created.push(name);
          await barrier.enter();
          barrier.leave();
          return undefined;
        },
      }),
    );
    const { keyring } = mswKeyring();
    const result = await keyring.createBatch({ prefix: 'blob-worker', count: 4 });
    expect(result.keys).toHaveLength(4);
    result.keys.forEach((key, i) => {
      expect(key?.uid).toBe(`blob-worker-${i + 1}`);
      expect(key?.publicKey).toEqual(testPublic(`blob-worker-${i + 1}`));
    });
    expect(result.errors).toEqual([undefined, undefined, undefined, undefined]);
    expect(result.items.map((i) => i.uid)).toEqual([
      'blob-worker-1',
      'blob-worker-2',
      'blob-worker-3',
      'blob-worker-4',
    ]);
    expect(created.sort()).toEqual(['blob-worker-1', 'blob-worker-2', 'blob-worker-3', 'blob-worker-4']);
    expect(barrier.peak).toBe(4);
    expect(keyring.list().map((k) => k.uid)).toEqual([
      'blob-worker-1',
      'blob-worker-2',
      'blob-worker-3',
      'blob-worker-4',
    ]);
  });

  it('CreateBatch partial failure names every failed key and keeps the successes', async () => {
    server.use(
      createHandler({
        before: (name) =>
          name === 'blob-worker-2'
            ? HttpResponse.json({ errors: ['internal error'] }, { status: 500 })
            : name === 'blob-worker-4'
              ? HttpResponse.json({ errors: ['key already exists'] }, { status: 400 })
              : undefined,
      }),
    );
    const { keyring } = mswKeyring();
    const err = await keyring.createBatch({ prefix: 'blob-worker', count: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchPartialFailureError);
    const e = err as BatchPartialFailureError<CreateBatchResult>;
    expect(e.failed).toEqual(['blob-worker-2', 'blob-worker-4']);
    expect(e.message).toContain('blob-worker-2');
    expect(e.message).toContain('blob-worker-4');
    expect(e.errors[0]).toBeInstanceOf(BaoUnavailableError);
    expect(e.errors[1]).toBeInstanceOf(BaoKeyExistsError);
    expect(e.result.keys.map((k) => k?.uid)).toEqual([
      'blob-worker-1',
      undefined,
      'blob-worker-3',
      undefined,
    ]);
    expect(e.result.errors[0]).toBeUndefined();
    expect(e.result.errors[1]).toBeInstanceOf(BaoUnavailableError);
    expect(keyring.list().map((k) => k.uid)).toEqual(['blob-worker-1', 'blob-worker-3']);
  });

  it.each([
    [{ prefix: '', count: 4 }, 'prefix'],
    [{ prefix: 'w', count: 0 }, 'count'],
    [{ prefix: 'w', count: 101 }, 'count'],
    [{ prefix: 'w', count: 2.5 }, 'count'],
    [{ prefix: 'w', count: '4' as unknown as number }, 'count'],
    [{ prefix: 'bad/prefix', count: 1 }, 'prefix'],
    [{ prefix: 'w', count: 2, concurrency: 0 }, 'concurrency'],
  ])('CreateBatch rejects %j with BaoValidationError on %s, sending nothing', async (opts, field) => {
    let requests = 0;
    server.use(http.all(`${MOUNT}/*`, () => (requests++, HttpResponse.json({}))));
    const err = await mswKeyring()
      .keyring.createBatch(opts)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoValidationError);
    expect((err as BaoValidationError).field).toBe(field);
    expect(requests).toBe(0);
  });

  it('TestSignBatch_Success: 4 requests → 4 verified 64-byte signatures, result i for request i', async () => {
    const barrier = new Barrier(4, 4);
    server.use(
      readHandler(),
      signHandler({
        before: async () => {
          await barrier.enter();
          barrier.leave();
        },
      }),
    );
    const { keyring } = mswKeyring();
    await preload(keyring);
    const requests = workers.map((uid, i) => ({ uid, msg: utf8ToBytes(`tx${i + 1}`) }));
    const results = await keyring.signBatch(requests);
    expect(results).toHaveLength(4);
    results.forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.uid).toBe(requests[i]!.uid);
      expect(r.signature).toHaveLength(64);
      expect(
        secp256k1.verify(r.signature!, sha256(requests[i]!.msg), testPublic(r.uid), { prehash: false }),
      ).toBe(true);
    });
    expect(barrier.peak).toBe(4);
  });

  it('SignBatch keeps errors per item: a missing key fails only its own slot', async () => {
    server.use(
      readHandler((name) => name === 'ghost'),
      signHandler(),
    );
    const { keyring } = mswKeyring();
    const results = await keyring.signBatch([
      { uid: 'worker-1', msg: utf8ToBytes('a') },
      { uid: 'ghost', msg: utf8ToBytes('b') },
      { uid: 'worker-1', msg: utf8ToBytes('c') },
    ]);
    expect(results.map((r) => r.uid)).toEqual(['worker-1', 'ghost', 'worker-1']);
    expect(results[0]!.signature).toHaveLength(64);
    expect(results[1]!.error).toBeInstanceOf(BaoKeyNotFoundError);
    expect(results[1]!.signature).toBeUndefined();
    expect(results[2]!.signature).toHaveLength(64);
    expect(await keyring.signBatch([])).toEqual([]);
    await expect(
      keyring.signBatch([{ uid: 'x', msg: 'nope' as unknown as Uint8Array }]),
    ).rejects.toMatchObject({ field: 'requests[0].msg' });
  });
});
