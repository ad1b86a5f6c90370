/**
 * Rounds on SimNetwork in virtual time: 10 trainers over the simulated HTTP network, 10 rounds
 * that commit and improve held-out accuracy; determinism by seed; no head-of-line blocking with an
 * early close; network faults (crash, partition, pause) as node outcomes; heartbeats.
 */
import { describe, expect, it } from 'vitest';
import { Trace } from '@fanout/sim';
import { aggregateOf } from '@fanout/prime';
import { createPrimeSimWorld } from '../src/index.js';

/** Iris with 12 samples a trainer: honest cosines to the median fall to ≈0.1 (docs/prime.md), so screen by sign only. */
const irisConfig = { detection: { similarityThreshold: 0 } } as const;

describe('federated training on SimNetwork (virtual time)', () => {
  it('10 trainers, 10 rounds: every round commits, held-out loss falls every round, accuracy rises', async () => {
    const w = await createPrimeSimWorld({
      seed: 42,
      config: irisConfig,
      plan: { latency: { default: { kind: 'constant', ms: 20 } } },
    });
    const first = w.coordinator.evaluate()!;
    let prevLoss = first.loss;
    for (let i = 1; i <= 10; i++) {
      const r = await w.coordinator.runRound();
      expect(r.status).toBe('committed');
      expect(r.selected).toHaveLength(10);
      expect(r.acceptedUpdateIds).toHaveLength(10);
      // 100 ms compute + 20 ms round trip, in virtual time.
      expect(r.durationMs).toBe(120);
      expect(r.after!.loss).toBeLessThan(prevLoss);
      prevLoss = r.after!.loss;
      expect(Array.from(r.aggregate!)).toEqual(Array.from(aggregateOf(r.acceptedUpdates, r.rule!)));
    }
    const last = w.coordinator.evaluate()!;
    expect(first.accuracy).toBeCloseTo(1 / 3, 9);
    expect(last.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(w.clock.now()).toBe(1200);
    expect(w.trainers.every((t) => t.trainer.tasksServed === 10)).toBe(true);
    w.close();
  });

  it('the same seed gives the same model and the same trace', async () => {
    const run = async (seed: number) => {
      const trace = new Trace();
      const w = await createPrimeSimWorld({
        seed,
        trace,
        config: irisConfig,
        plan: { latency: { default: { kind: 'lognormal', medianMs: 30, sigma: 0.5 } } },
        computeLatency: { kind: 'uniform', minMs: 50, maxMs: 500 },
      });
      for (let i = 0; i < 3; i++) await w.coordinator.runRound({ closeAfter: 7 });
      w.close();
      return { params: Array.from(w.coordinator.params), hash: trace.hash(), now: w.clock.now() };
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect((await run(8)).hash).not.toBe(a.hash);
  });

  it('no head-of-line blocking: with closeAfter k the round is decided at the k-th fastest answer, a 60 s trainer is cancelled', async () => {
    const compute = [400, 90, 60_000, 300, 120, 250, 80, 700, 150, 500];
    const w = await createPrimeSimWorld({
      seed: 1,
      config: irisConfig,
      computeLatency: (i) => ({ kind: 'constant', ms: compute[i]! }),
    });
    const r = await w.coordinator.runRound({ closeAfter: 6 });
    const kth = [...compute].sort((a, b) => a - b)[5]!;
    expect(r.closedAt - r.startedAt).toBe(kth);
    expect(r.outcomes.get('trainer-2')).toMatchObject({ status: 'cancelled', reason: 'quorum' });
    expect([...r.outcomes.values()].filter((o) => o.status === 'accepted')).toHaveLength(6);
    w.close();
  });

  it('crash, partition and pause from the plan show up as node outcomes; the round still commits', async () => {
    const w = await createPrimeSimWorld({
      seed: 3,
      config: { ...irisConfig, taskTimeoutMs: 5_000 },
      plan: {
        rules: [
          { fault: 'crash', targets: ['trainer-1'], atMs: 0 },
          { fault: 'partition', targets: ['trainer-2'] },
          { fault: 'pause', targets: ['trainer-3'], window: { fromMs: 0, toMs: 60_000 } },
          { fault: 'dropReply', targets: ['trainer-4'] },
        ],
      },
    });
    const r = await w.coordinator.runRound();
    expect(r.status).toBe('committed');
    expect(r.outcomes.get('trainer-1')).toMatchObject({ status: 'failed' }); // connection refused
    expect(r.outcomes.get('trainer-2')).toMatchObject({ status: 'timedOut', reason: 'timeout' }); // black hole
    expect(r.outcomes.get('trainer-3')).toMatchObject({ status: 'timedOut', reason: 'timeout' }); // held past the timeout
    expect(r.outcomes.get('trainer-4')).toMatchObject({ status: 'failed' }); // reply lost
    expect(r.acceptedUpdateIds).toHaveLength(6);
    expect(r.durationMs).toBe(5_000);
    // Reliability: on time up, late and failed down.
    const rel = (id: string) => w.coordinator.getNode(id)!.reliabilityScore;
    expect(rel('trainer-0')).toBeGreaterThan(0.9);
    expect(rel('trainer-2')).toBeLessThan(0.9);
    expect(rel('trainer-1')).toBeLessThan(rel('trainer-2'));
    w.close();
  });

  it('heartbeats over the network: a partitioned trainer goes inactive after heartbeatTimeoutMs and is not selected', async () => {
    const w = await createPrimeSimWorld({
      seed: 4,
      config: irisConfig,
      plan: { rules: [{ fault: 'partition', targets: ['trainer-9'], window: { fromMs: 5_000 } }] },
    });
    const stop = new AbortController();
    const loop = w.coordinator.runHeartbeats(stop.signal);
    await w.clock.sleep(4_000);
    expect(w.coordinator.getStatus().activeNodes).toBe(10);
    await w.clock.sleep(20_000);
    expect(w.coordinator.getNode('trainer-9')!.active).toBe(false);
    expect(w.coordinator.getStatus().activeNodes).toBe(9);
    const r = await w.coordinator.runRound();
    expect(r.selected).not.toContain('trainer-9');
    stop.abort();
    await loop;
    w.close();
  });

  it('crash with loseState wipes a trainer: a replaying trainer answers honestly again once', async () => {
    const w = await createPrimeSimWorld({
      seed: 5,
      config: irisConfig,
      plan: {
        rules: [
          { fault: 'behave', targets: ['trainer-0'], behaviour: 'replay', params: {} },
          { fault: 'crash', targets: ['trainer-0'], atMs: 150, restartAfterMs: 50, loseState: true },
        ],
      },
    });
    const r1 = await w.coordinator.runRound(); // t = 0..100: first task, nothing to replay
    expect(r1.outcomes.get('trainer-0')!.status).toBe('accepted');
    await w.clock.sleep(200); // crash at 150 ms, back at 200 ms, memory lost
    const r2 = await w.coordinator.runRound();
    expect(r2.outcomes.get('trainer-0')!.status).toBe('accepted');
    const r3 = await w.coordinator.runRound();
    expect(r3.outcomes.get('trainer-0')).toMatchObject({ status: 'rejected', reason: 'replay' });
    expect(w.trainers[0]!.trainer.history.map((h) => h.behaviours)).toEqual([['replay-first'], ['replay']]);
    w.close();
  });
});
