/**
 * Seed 001 timing criteria, checked in virtual time: the keyring runs over the Bao simulator's
 * in-process fetch with a VirtualClock, latency is injected through the simulator's fault hooks,
 * and every assertion is about virtual milliseconds (deterministic, no wall clock).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ruleFaults } from '@fanout/sim-bao';
import { describe, expect, it } from 'vitest';
import { BaoUnavailableError, BatchPartialFailureError, type CreateBatchResult } from '../src/index.js';
import { simRig, type SimRig } from './sim.js';

const workers = ['worker-1', 'worker-2', 'worker-3', 'worker-4'];

async function withWorkers(): Promise<SimRig> {
  const rig = simRig();
  await rig.keyring.createBatch({ prefix: 'worker', count: 4 });
  rig.sim.resetCounters();
  return rig;
}

describe('seed 001 timing criteria (virtual time)', () => {
  it('4 parallel signs at 200 ms each finish together at t+200 (criterion < 250 ms)', async () => {
    const { keyring, sim, clock } = await withWorkers();
    sim.setFaults(ruleFaults([{ match: { route: 'sign' }, latencyMs: 200 }]));
    const t0 = clock.now();
    const results = await keyring.signBatch(workers.map((uid, i) => ({ uid, msg: utf8ToBytes(`tx${i}`) })));
    expect(clock.now() - t0).toBe(200);
    expect(results.every((r) => r.signature?.length === 64)).toBe(true);
    expect(sim.counters().peakInFlight).toBe(4);
  });

  it('40 signs over 4 workers at 50 ms finish at t+500 (10 rounds, not 2000 sequential)', async () => {
    const { keyring, sim, clock } = await withWorkers();
    sim.setFaults(ruleFaults([{ match: { route: 'sign' }, latencyMs: 50 }]));
    const t0 = clock.now();
    await Promise.all(
      workers.map(async (uid) => {
        for (let i = 0; i < 10; i++) await keyring.sign(uid, utf8ToBytes(`message-${uid}-${i}`));
      }),
    );
    expect(clock.now() - t0).toBe(500);
    const c = sim.counters();
    expect(c.byRoute.sign).toBe(40);
    expect(c.peakInFlight).toBe(4);
  });

  it('a 500 ms key never delays the 50 ms keys: each fast result completes at t+50', async () => {
    const { keyring, sim, clock } = await withWorkers();
    sim.setFaults(
      ruleFaults([
        { match: { key: 'worker-1' }, latencyMs: 500 },
        { match: { key: /^worker-[234]$/ }, latencyMs: 50 },
      ]),
    );
    const t0 = clock.now();
    const doneAt: Record<string, number> = {};
    await Promise.all(
      workers.map(async (uid) => {
        await keyring.sign(uid, utf8ToBytes('msg'));
        doneAt[uid] = clock.now() - t0;
      }),
    );
    expect(doneAt).toEqual({ 'worker-1': 500, 'worker-2': 50, 'worker-3': 50, 'worker-4': 50 });
  });

  it('signBatch: result i belongs to request i even when completion order is reversed', async () => {
    const { keyring, sim, clock } = await withWorkers();
    // worker-1 slowest … worker-4 fastest: completion order is the reverse of request order.
    sim.setFaults(ruleFaults(workers.map((uid, i) => ({ match: { key: uid }, latencyMs: 400 - i * 100 }))));
    const requests = workers.map((uid, i) => ({ uid, msg: utf8ToBytes(`tx-${i}`) }));
    const t0 = clock.now();
    const results = await keyring.signBatch(requests);
    expect(clock.now() - t0).toBe(400);
    results.forEach((r, i) => {
      expect(r.uid).toBe(requests[i]!.uid);
      const pub = keyring.store.get(r.uid)!.publicKey;
      expect(secp256k1.verify(r.signature!, sha256(requests[i]!.msg), pub, { prehash: false })).toBe(true);
    });
  });

  it('signBatch honours concurrency: 4 × 50 ms with concurrency 2 takes 100 ms, 2 in flight', async () => {
    const { keyring, sim, clock } = await withWorkers();
    sim.setFaults(ruleFaults([{ match: { route: 'sign' }, latencyMs: 50 }]));
    const t0 = clock.now();
    await keyring.signBatch(
      workers.map((uid) => ({ uid, msg: utf8ToBytes('x') })),
      { concurrency: 2 },
    );
    expect(clock.now() - t0).toBe(100);
    expect(sim.counters().peakInFlight).toBe(2);
  });

  it('createBatch of 100 keys runs them all at once (one latency, 100 in flight)', async () => {
    const { keyring, sim, clock } = simRig();
    sim.setFaults(ruleFaults([{ match: { route: 'keys.create' }, latencyMs: 10 }]));
    const result = await keyring.createBatch({ prefix: 'parallel-worker', count: 100 });
    expect(clock.now()).toBe(10);
    expect(result.keys.filter(Boolean)).toHaveLength(100);
    expect(sim.counters().peakInFlight).toBe(100);
    expect(sim.keyNames()).toHaveLength(100);
    expect(new Set(result.keys.map((k) => k!.address)).size).toBe(100);
  });

  it('createBatch partial failure from injected faults: only the faulty keys are missing', async () => {
    const { keyring, sim } = simRig();
    sim.setFaults(
      ruleFaults([
        { match: { key: 'pw-3' }, action: { type: 'error', status: 502, message: 'bad gateway' } },
        { match: { key: 'pw-5' }, action: { type: 'reset' } },
      ]),
    );
    const err = (await keyring
      .createBatch({ prefix: 'pw', count: 6, namespace: 'ns1' })
      .catch((e: unknown) => e)) as BatchPartialFailureError<CreateBatchResult>;
    expect(err).toBeInstanceOf(BatchPartialFailureError);
    expect(err.failed).toEqual(['pw-3', 'pw-5']);
    expect(err.errors.every((e) => e instanceof BaoUnavailableError)).toBe(true);
    expect(sim.keyNames('ns1')).toEqual(['pw-1', 'pw-2', 'pw-4', 'pw-6']);
    expect(keyring.list().map((k) => k.uid)).toEqual(['pw-1', 'pw-2', 'pw-4', 'pw-6']);
  });

  it('a caller abort cancels a batch: unsettled items fail, nothing hangs', async () => {
    const { keyring, sim, clock } = await withWorkers();
    sim.setFaults(ruleFaults([{ match: { key: 'worker-2' }, action: { type: 'hang' } }]));
    const ctl = new AbortController();
    clock.setTimer(() => ctl.abort(new Error('shutdown')), 1_000);
    const results = await keyring.signBatch(
      workers.map((uid) => ({ uid, msg: utf8ToBytes('x') })),
      { signal: ctl.signal },
    );
    expect(clock.now()).toBe(1_000);
    expect(results.map((r) => r.error === undefined)).toEqual([true, false, true, true]);
    expect(sim.counters().inFlight).toBe(0);
  });

  it('reports progress events and per-item timings (settledAt, durationMs) in clock time', async () => {
    const { keyring, sim, clock } = await withWorkers();
    sim.setFaults(ruleFaults(workers.map((uid, i) => ({ match: { key: uid }, latencyMs: 10 * (i + 1) }))));
    const events: string[] = [];
    const t0 = clock.now();
    const results = await keyring.signBatch(
      workers.map((uid) => ({ uid, msg: utf8ToBytes('x') })),
      { onEvent: (e) => events.push(e.type === 'settled' ? `settled ${e.index}@${e.at - t0}` : e.type) },
    );
    expect(results.map((r) => r.durationMs)).toEqual([10, 20, 30, 40]);
    expect(results.map((r) => r.settledAt - t0)).toEqual([10, 20, 30, 40]);
    expect(events.filter((e) => e.startsWith('settled'))).toEqual([
      'settled 0@10',
      'settled 1@20',
      'settled 2@30',
      'settled 3@40',
    ]);
    expect(events[0]).toBe('started');
    expect(events.at(-1)).toBe('done');
    const created: number[] = [];
    const batch = await keyring.createBatch({
      prefix: 'ev',
      count: 3,
      onEvent: (e) => void (e.type === 'settled' && created.push(e.index)),
    });
    expect(created.sort()).toEqual([0, 1, 2]);
    expect(batch.items.every((i) => i.durationMs === 0 && i.key !== undefined)).toBe(true);
  });
});
