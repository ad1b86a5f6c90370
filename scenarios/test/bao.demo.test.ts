/** The `fanout bao demo` engine in sim mode: virtual time, deterministic per seed. */
import { describe, expect, test } from 'vitest';
import { BaoDemoOptionError, describeDemoKeys, runBaoDemo, type BaoDemoEvent } from '../src/legacy.js';

describe('runBaoDemo (sim)', () => {
  test('worker 0 is the default account, workers 1..N-1 come from one createBatch; signs run in parallel', async () => {
    const events: BaoDemoEvent[] = [];
    const r = await runBaoDemo({
      workers: 4,
      mode: 'sim',
      seed: 1,
      signs: 12,
      onProgress: (e) => events.push(e),
    });
    expect(r.accounts.map((a) => a.name)).toEqual([
      'default',
      'parallel-worker-1',
      'parallel-worker-2',
      'parallel-worker-3',
    ]);
    expect(new Set(r.accounts.map((a) => a.address)).size).toBe(4);
    expect(r).toMatchObject({
      createFailed: [],
      signs: 12,
      signed: 12,
      verified: 12,
      signFailed: 0,
      peakInFlight: 12,
    });
    // All 12 signs overlap: the batch takes one sign (50 ms) plus network jitter, not 12.
    expect(r.signMs).toBeLessThan(100);
    expect(r.sequentialEstimateMs).toBeGreaterThan(12 * 50);
    const phases = events.filter((e) => e.type === 'phase').map((e) => e.phase);
    expect(phases).toEqual(['create', 'sign']);
    const done = events.filter((e) => e.type === 'item' && e.status === 'ok');
    expect(
      done
        .filter((e) => e.type === 'item' && e.phase === 'create')
        .map((e) => (e as { index: number }).index)
        .sort(),
    ).toEqual([0, 1, 2, 3]);
    expect(done.filter((e) => e.type === 'item' && e.phase === 'sign')).toHaveLength(12);
    // Same seed, same run.
    const again = await runBaoDemo({ workers: 4, mode: 'sim', seed: 1, signs: 12 });
    expect(again).toEqual(r);
  });

  test('says exactly which keys it creates; --named-workers creates parallel-worker-1..N and no default', async () => {
    expect(describeDemoKeys(4)).toBe('default (worker 0) + parallel-worker-1..3');
    expect(describeDemoKeys(2)).toBe('default (worker 0) + parallel-worker-1');
    expect(describeDemoKeys(1)).toBe('default (worker 0)');
    expect(describeDemoKeys(4, true)).toBe('parallel-worker-1..4');
    const events: BaoDemoEvent[] = [];
    const r = await runBaoDemo({
      workers: 4,
      namedWorkers: true,
      mode: 'sim',
      seed: 3,
      onProgress: (e) => events.push(e),
    });
    expect(r.accounts.map((a) => a.name)).toEqual([
      'parallel-worker-1',
      'parallel-worker-2',
      'parallel-worker-3',
      'parallel-worker-4',
    ]);
    expect(r).toMatchObject({ createFailed: [], signs: 8, signed: 8, verified: 8 });
    const create = events.find((e) => e.type === 'phase' && e.phase === 'create');
    expect(create).toMatchObject({ title: 'creating 4 key(s): parallel-worker-1..4 (createBatch of 4)' });
    const celestia: BaoDemoEvent[] = [];
    await runBaoDemo({ workers: 4, mode: 'sim', seed: 3, onProgress: (e) => celestia.push(e) });
    expect(celestia.find((e) => e.type === 'phase' && e.phase === 'create')).toMatchObject({
      title: 'creating 4 key(s): default (worker 0) + parallel-worker-1..3 (createBatch of 3)',
    });
    await expect(runBaoDemo({ workers: 101, namedWorkers: true, mode: 'sim', seed: 1 })).rejects.toThrow(
      /workers: must be an integer in 1\.\.100/,
    );
  });

  test('one worker needs no createBatch; bad options are typed errors naming the field', async () => {
    const r = await runBaoDemo({ workers: 1, mode: 'sim', seed: 2 });
    expect(r.accounts.map((a) => a.name)).toEqual(['default']);
    expect(r.signed).toBe(2);
    await expect(runBaoDemo({ workers: 0, mode: 'sim', seed: 1 })).rejects.toThrow(BaoDemoOptionError);
    await expect(runBaoDemo({ workers: 102, mode: 'sim', seed: 1 })).rejects.toThrow(
      /workers: must be an integer in 1\.\.101/,
    );
    await expect(runBaoDemo({ workers: 2, mode: 'sim', seed: 1, signs: 0 })).rejects.toThrow(/signs/);
  });
});
