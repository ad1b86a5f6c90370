/**
 * Concurrency properties of the metadata store and the keyring ("no race conditions", seed 001 §6):
 * fast-check's scheduler reorders every async step (persistence writes, HTTP answers) and the
 * properties name the guarantee.
 */
import { VirtualClock } from '@fanout/core';
import { createBaoApp } from '@fanout/sim-bao';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BaoClient,
  BaoKeyExistsError,
  BaoKeyring,
  BaoStoreError,
  KeyMetadataStore,
  KeyedMutex,
  type KeyMetadata,
} from '../src/index.js';

const uids = ['a', 'b', 'c', 'd'];
const meta = (uid: string, tag: number): KeyMetadata => ({
  uid,
  name: uid,
  publicKey: new Uint8Array(33).fill(tag),
  address: tag.toString(16).padStart(40, '0'),
  exportable: tag % 2 === 0,
  namespace: '',
});

describe('KeyMetadataStore', () => {
  it('loses no update when puts and deletes interleave with slow, reordered persistence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(
          fc.record({
            del: fc.boolean(),
            uid: fc.constantFrom(...uids),
            tag: fc.integer({ min: 0, max: 255 }),
          }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        async (s, ops) => {
          const saves: KeyMetadata[][] = [];
          // A disk where the last write to land wins: the snapshot is recorded when the write completes.
          const store = new KeyMetadataStore({
            persistence: {
              save: async (recs) => {
                const snapshot = [...recs];
                await s.schedule(Promise.resolve(), 'save');
                saves.push(snapshot);
              },
            },
          });
          const model = new Map<string, number>();
          const pending = ops.map((op) => {
            if (op.del) {
              model.delete(op.uid);
              return store.delete(op.uid);
            }
            model.set(op.uid, op.tag);
            return store.put(meta(op.uid, op.tag));
          });
          await s.waitFor(Promise.all(pending));
          await s.waitAll();
          const expected = [...model.entries()]
            .sort(([x], [y]) => (x < y ? -1 : 1))
            .map(([uid, tag]) => meta(uid, tag));
          expect(store.list()).toEqual(expected);
          if (saves.length > 0) expect(saves[saves.length - 1]).toEqual(expected);
          // One writer: saves never overlap, so there are never more saves than updates.
          expect(saves.length).toBeLessThanOrEqual(ops.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects the waiters of a failed save with BaoStoreError, and the next save carries everything', async () => {
    let fail = true;
    const saved: string[][] = [];
    const store = new KeyMetadataStore({
      persistence: {
        save: async (recs) => {
          if (fail) {
            fail = false;
            throw new Error('disk full');
          }
          saved.push(recs.map((r) => r.uid));
        },
      },
    });
    await expect(store.put(meta('a', 1))).rejects.toBeInstanceOf(BaoStoreError);
    await store.put(meta('b', 2));
    expect(saved).toEqual([['a', 'b']]);
    await store.flush();
    expect(store.get('a')?.publicKey).toEqual(new Uint8Array(33).fill(1));
    expect(store.getByAddress('0'.repeat(39) + '2')?.uid).toBe('b');
    expect(await store.delete('zzz')).toBe(false);
  });

  it('hands out copies: mutating a returned record does not change the store', () => {
    const store = new KeyMetadataStore({ initial: [meta('a', 1)] });
    const rec = store.get('a')!;
    rec.publicKey[0] = 99;
    expect(store.get('a')!.publicKey[0]).toBe(1);
    expect(Object.isFrozen(rec)).toBe(true);
  });
});

describe('KeyMetadataStore namespaces', () => {
  it('keys records by (namespace, uid): same uid in two namespaces, per-namespace get/has/list/delete', async () => {
    const saved: (readonly KeyMetadata[])[] = [];
    const store = new KeyMetadataStore({ persistence: { save: async (r) => void saved.push(r) } });
    await store.put({ ...meta('k', 1), namespace: 'b' });
    await store.put({ ...meta('k', 2), namespace: 'a' });
    await store.put(meta('k', 3));
    expect(store.size).toBe(3);
    expect(store.get('k', 'a')?.publicKey[0]).toBe(2);
    expect(store.get('k', 'b')?.publicKey[0]).toBe(1);
    expect(store.get('k')?.publicKey[0]).toBe(3);
    expect(store.has('k', 'c')).toBe(false);
    expect(store.list().map((r) => `${r.namespace}/${r.uid}`)).toEqual(['/k', 'a/k', 'b/k']);
    expect(store.list('b').map((r) => r.publicKey[0])).toEqual([1]);
    // Namespace and uid never run together: ('a/', 'b') and ('a', '/b') style pairs stay apart.
    await store.put({ ...meta('b', 4), namespace: 'a","' });
    expect(store.get('b', 'a')).toBeUndefined();
    expect(await store.delete('k', 'a')).toBe(true);
    expect(store.get('k', 'b')?.publicKey[0]).toBe(1);
    expect(store.get('k')?.publicKey[0]).toBe(3);
    expect(saved.at(-1)!.map((r) => `${r.namespace}/${r.uid}`)).toEqual(['/k', 'a","/b', 'b/k']);
  });
});

describe('KeyedMutex', () => {
  it('runs same-key work in call order, other keys concurrently', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.constantFrom('x', 'y'), { minLength: 1, maxLength: 12 }),
        async (s, keys) => {
          const m = new KeyedMutex();
          const log: string[] = [];
          let running = 0;
          let overlapSameKey = false;
          const active = new Set<string>();
          const all = keys.map((k, i) =>
            m.run(k, async () => {
              if (active.has(k)) overlapSameKey = true;
              active.add(k);
              running++;
              await s.schedule(Promise.resolve(), `${k}${i}`);
              log.push(`${k}${i}`);
              running--;
              active.delete(k);
            }),
          );
          await s.waitFor(Promise.all(all));
          expect(overlapSameKey).toBe(false);
          for (const k of ['x', 'y']) {
            const mine = keys.flatMap((kk, i) => (kk === k ? [`${k}${i}`] : []));
            expect(log.filter((l) => l.startsWith(k))).toEqual(mine);
          }
          expect(running).toBe(0);
          expect(m.busyKeys).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('BaoKeyring under interleaved creates and deletes', () => {
  it('local metadata always matches the server and the sequential model, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.record({ del: fc.boolean(), uid: fc.constantFrom('w-1', 'w-2', 'w-3') }), {
          minLength: 1,
          maxLength: 10,
        }),
        async (s, ops) => {
          // autoAdvance off: the 30 s client timeouts must not fire while the scheduler holds answers.
          const clock = new VirtualClock({ autoAdvance: false });
          const sim = createBaoApp({ clock, seed: 2 });
          const client = new BaoClient({
            address: 'http://bao.sim',
            token: 'root',
            clock,
            fetch: s.scheduleFunction(sim.fetch),
          });
          const keyring = new BaoKeyring({
            client,
            store: new KeyMetadataStore({ persistence: { save: s.scheduleFunction(async () => undefined) } }),
          });
          // Per uid, operations take effect in call order: that is the model.
          const model = new Set<string>();
          const expectExists: boolean[] = [];
          for (const op of ops) {
            if (op.del) model.delete(op.uid);
            else {
              expectExists.push(model.has(op.uid));
              model.add(op.uid);
            }
          }
          const outcomes = await s.waitFor(
            Promise.allSettled(ops.map((op) => (op.del ? keyring.delete(op.uid) : keyring.create(op.uid)))),
          );
          await s.waitAll();
          const createOutcomes = outcomes.filter((_, i) => !ops[i]!.del);
          createOutcomes.forEach((o, i) => {
            if (expectExists[i])
              expect(o.status === 'rejected' && o.reason instanceof BaoKeyExistsError).toBe(true);
            else expect(o.status).toBe('fulfilled');
          });
          outcomes.filter((_, i) => ops[i]!.del).forEach((o) => expect(o.status).toBe('fulfilled'));
          const want = [...model].sort();
          expect(keyring.list().map((k) => k.uid)).toEqual(want);
          expect(sim.keyNames()).toEqual(want);
          const { keys, keyInfo } = await s.waitFor(client.listKeys());
          expect(keys).toEqual(want);
          for (const rec of keyring.list()) expect(keyInfo.get(rec.uid)!.publicKey).toEqual(rec.publicKey);
        },
      ),
      { numRuns: 30 },
    );
  });
});
