/**
 * Rounds over an in-process transport in virtual time: commit, early close without head-of-line
 * blocking, per-node timeouts and the round deadline, every failure reason, Byzantine detection per
 * behaviour, reliability and the ledger, limits and progress.
 */
import fc from 'fast-check';
import { assertProperty } from '@fanout/testkit';
import { describe, expect, it } from 'vitest';
import {
  PrimeInputError,
  RoundStartError,
  UnknownRoundError,
  aggregateOf,
  type CoordinatorEvent,
} from '../src/index.js';
import { irisData, testWorld, type FakeBehaviour, type HonestUpdate } from './helpers.js';

const statuses = (r: { outcomes: ReadonlyMap<string, { status: string }> }): string[] =>
  [...r.outcomes.values()].map((o) => o.status);

describe('a round', () => {
  it('commits FedAvg of every update, reports every node, and the held-out loss falls over 10 rounds (Iris)', async () => {
    const w = await testWorld(10, {
      data: irisData(10),
      config: { detection: { similarityThreshold: 0 }, training: { batchSize: 8 } },
    });
    const losses: number[] = [];
    let first;
    for (let i = 1; i <= 10; i++) {
      const r = await w.coordinator.runRound();
      expect(r).toMatchObject({
        round: i,
        status: 'committed',
        modelVersionBefore: i - 1,
        modelVersionAfter: i,
      });
      expect(statuses(r)).toEqual(Array(10).fill('accepted'));
      expect(r.acceptedUpdateIds).toHaveLength(10);
      // The oracle's check: the committed aggregate is aggregateOf(accepted updates, rule).
      expect(Array.from(r.aggregate!)).toEqual(Array.from(aggregateOf(r.acceptedUpdates, r.rule!)));
      first ??= r.before!;
      losses.push(r.after!.loss);
    }
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]!);
    expect(losses[0]).toBeLessThan(first!.loss);
    expect(w.coordinator.evaluate()!.accuracy).toBeGreaterThan(first!.accuracy + 0.3);
    expect(w.coordinator.getStatus()).toMatchObject({
      completedRounds: 10,
      currentRound: 10,
      modelVersion: 10,
      activeRounds: 0,
    });
  });

  it('closes after the k-th update and cancels the rest: the decision waits for the k fastest, not the slowest', async () => {
    const delays = [500, 40, 300, 10, 60_000, 20, 900, 30];
    const w = await testWorld(8, { behaviour: (id) => ({ delayMs: delays[Number(id.slice(1))]! }) });
    const r = await w.coordinator.runRound({ closeAfter: 4 });
    expect(r.status).toBe('committed');
    expect(r.closedAt - r.startedAt).toBe(40); // 4th fastest of 10, 20, 30, 40
    expect(r.decidedAt).toBe(r.closedAt);
    const accepted = [...r.outcomes.values()].filter((o) => o.status === 'accepted').map((o) => o.nodeId);
    expect(accepted.sort()).toEqual(['t1', 't3', 't5', 't7']);
    for (const id of ['t0', 't2', 't4', 't6'])
      expect(r.outcomes.get(id)).toMatchObject({ status: 'cancelled', reason: 'quorum' });
  });

  it('concurrency 1 asks one trainer at a time: the round takes the sum of the delays, not the max', async () => {
    const delays = [50, 10, 30, 20];
    const w = await testWorld(4, { behaviour: (id) => ({ delayMs: delays[Number(id.slice(1))]! }) });
    const parallel = await w.coordinator.runRound();
    const sequential = await w.coordinator.runRound({ concurrency: 1 });
    expect(parallel.closedAt - parallel.startedAt).toBe(50);
    expect(sequential.closedAt - sequential.startedAt).toBe(110);
    expect(statuses(sequential)).toEqual(Array(4).fill('accepted'));
    await expect(w.coordinator.runRound({ concurrency: 0 })).rejects.toMatchObject({
      field: 'round.concurrency',
    });
  });

  it('per-node timeout, round deadline and transport failures end up in the outcomes', async () => {
    const w = await testWorld(6, {
      behaviour: (id) =>
        (
          ({ t0: { delayMs: 5_000 }, t1: { hang: true }, t2: { fail: true } }) as Record<
            string,
            FakeBehaviour
          >
        )[id] ?? { delayMs: 50 },
    });
    const r = await w.coordinator.runRound({ taskTimeoutMs: 1_000 });
    expect(r.status).toBe('committed');
    expect(r.outcomes.get('t0')).toMatchObject({ status: 'timedOut', reason: 'timeout' });
    expect(r.outcomes.get('t1')).toMatchObject({ status: 'timedOut', reason: 'timeout' });
    expect(r.outcomes.get('t2')!.status).toBe('failed');
    const d = await w.coordinator.runRound({ taskTimeoutMs: 10_000, deadlineMs: 2_000 });
    expect(d.outcomes.get('t0')).toMatchObject({ status: 'timedOut', reason: 'deadline' });
    expect(d.durationMs).toBe(2_000);
  });

  it.each([
    ['too-few-updates', { minNodesForRound: 4 }, (id: string) => (id < 't7' ? { fail: true } : {})],
    ['no-consensus', { minNodesForRound: 2 }, (id: string) => (id < 't4' ? { answer: flip } : {})],
    ['too-few-valid-updates', { minNodesForRound: 7 }, (id: string) => (id < 't4' ? { answer: flip } : {})],
  ] as const)('fails with %s and says so for every node', async (reason, config, behaviour) => {
    const w = await testWorld(10, { config, behaviour });
    const r = await w.coordinator.runRound();
    expect(r).toMatchObject({ status: 'failed', reason, modelVersionAfter: 0, acceptedUpdateIds: [] });
    expect(r.outcomes.size).toBe(10);
    expect(w.coordinator.modelVersion).toBe(0);
    expect(w.coordinator.getStatus().failedRounds).toBe(1);
    // Nobody is paid for a failed round.
    expect(r.ledger.filter((l) => l.kind === 'reward')).toEqual([]);
  });
});

const flip = (h: HonestUpdate): HonestUpdate => ({ ...h, delta: h.delta.map((v) => -v) });

describe('Byzantine detection, one behaviour at a time (3 of 10 trainers)', () => {
  const behaviours: Record<string, { answer: FakeBehaviour['answer']; reason: string; round?: number }> = {
    'sign-flip': { answer: flip, reason: 'dissimilar' },
    scale: { answer: (h) => ({ ...h, delta: h.delta.map((v) => 10 * v) }), reason: 'norm-outlier' },
    noise: {
      answer: (h) => ({
        ...h,
        delta: h.delta.map((_, q) => Math.sin(q * 7.3 + h.nodeId.length + Number(h.nodeId.slice(1)))),
      }),
      reason: 'dissimilar',
    },
    stale: { answer: (h) => ({ ...h, modelVersion: h.modelVersion + 1 }), reason: 'stale' },
    'wrong-shape': { answer: (h) => ({ ...h, delta: h.delta.slice(1) }), reason: 'wrong-shape' },
    nan: {
      answer: (h) => JSON.parse(JSON.stringify({ ...h, delta: [NaN, ...h.delta.slice(1)] })),
      reason: 'non-finite',
    },
    malformed: { answer: () => ({ hello: 'world' }), reason: 'malformed' },
  };
  for (const [name, b] of Object.entries(behaviours)) {
    it(`${name} → rejected as ${b.reason}, slashed, never rewarded; the round commits without it`, async () => {
      const w = await testWorld(10, {
        behaviour: (id) => (['t2', 't5', 't7'].includes(id) ? { answer: b.answer } : {}),
      });
      const r = await w.coordinator.runRound();
      expect(r.status).toBe('committed');
      for (const id of ['t2', 't5', 't7'])
        expect(r.outcomes.get(id)).toMatchObject({ status: 'rejected', reason: b.reason, byzantine: true });
      expect(r.detections.map((d) => d.nodeId).sort()).toEqual(['t2', 't5', 't7']);
      expect(r.acceptedUpdates.map((u) => u.nodeId)).not.toContain('t2');
      const ledger = w.coordinator.ledger.entries;
      expect(
        ledger
          .filter((l) => l.kind === 'slash')
          .map((l) => l.nodeId)
          .sort(),
      ).toEqual(['t2', 't5', 't7']);
      expect(ledger.filter((l) => l.kind === 'reward' && ['t2', 't5', 't7'].includes(l.nodeId))).toEqual([]);
      expect(w.coordinator.getNode('t2')!.reliabilityScore).toBeLessThan(
        w.coordinator.getNode('t0')!.reliabilityScore,
      );
      const metrics = await w.coordinator.metrics.text();
      expect(metrics).toContain(
        `daa_coordinator_byzantine_faults_detected{reason="${b.reason}",coordinator="c1"} 3`,
      );
    });
  }

  it('replay (an old delta under a new id) and duplicate (an old update verbatim) are rejected in round 2', async () => {
    const sent = new Map<string, HonestUpdate>();
    const w = await testWorld(10, {
      behaviour: (id, round) => ({
        answer: (h) => {
          const prev = sent.get(id);
          if (!sent.has(id)) sent.set(id, h);
          if (round === 2 && id === 't1') return { ...h, delta: prev!.delta };
          if (round === 2 && id === 't2') return prev;
          return h;
        },
      }),
    });
    await w.coordinator.runRound();
    const r = await w.coordinator.runRound();
    expect(r.outcomes.get('t1')).toMatchObject({ status: 'rejected', reason: 'replay' });
    expect(r.outcomes.get('t2')).toMatchObject({ status: 'rejected', reason: 'duplicate' });
    expect(r.status).toBe('committed');
  });
});

describe('reliability and the ledger', () => {
  it('rewards = base × quality multiplier × reliability bonus; slash = rate × stake', async () => {
    const w = await testWorld(5, { behaviour: (id) => (id === 't4' ? { answer: flip } : {}) });
    await w.coordinator.addNode({ nodeId: 't0', reliabilityScore: 0.5 }); // known: score unchanged (0.9)
    const r = await w.coordinator.runRound();
    const rewards = r.ledger.filter((l) => l.kind === 'reward');
    expect(rewards).toHaveLength(4);
    // Honest synthetic updates are near the aggregate (quality ≥ 0.8) and reliability 0.9 ≥ 0.9: 100 × 2 × 1.5.
    for (const l of rewards) expect(l.amount).toBe(300);
    expect(r.ledger.filter((l) => l.kind === 'slash')).toEqual([
      expect.objectContaining({ nodeId: 't4', amount: 100, reason: 'dissimilar' }),
    ]);
    expect(w.coordinator.getNode('t4')!.stake).toBe(900);
    expect(w.coordinator.ledger.earnedBy('t0')).toBe(300);
    // reliability' = 0.8·0.9 + 0.2·1 = 0.92 on time; (0.8·0.9 + 0) · 0.9 = 0.648 Byzantine.
    expect(w.coordinator.getNode('t0')!.reliabilityScore).toBeCloseTo(0.92, 12);
    expect(w.coordinator.getNode('t4')!.reliabilityScore).toBeCloseTo(0.648, 12);
  });

  it('property: whatever the nodes do, only accepted updates of committed rounds are rewarded', async () => {
    const kinds = ['honest', 'flip', 'scale', 'fail', 'slow', 'nan'] as const;
    await assertProperty(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...kinds), { minLength: 6, maxLength: 6 }),
        fc.array(fc.constantFrom(...kinds), { minLength: 6, maxLength: 6 }),
        async (round1, round2) => {
          const plan = [round1, round2];
          const w = await testWorld(6, {
            config: { minNodesForRound: 2 },
            behaviour: (id, round): FakeBehaviour => {
              const k = plan[round - 1]![Number(id.slice(1))]!;
              if (k === 'flip') return { answer: flip };
              if (k === 'scale') return { answer: (h) => ({ ...h, delta: h.delta.map((v) => 50 * v) }) };
              if (k === 'fail') return { fail: true };
              if (k === 'slow') return { delayMs: 400_000 };
              if (k === 'nan') return { answer: (h) => ({ ...h, delta: h.delta.map(() => null) }) };
              return {};
            },
          });
          for (let i = 0; i < 2; i++) {
            const r = await w.coordinator.runRound();
            for (const l of r.ledger) {
              const o = r.outcomes.get(l.nodeId)!;
              if (l.kind === 'reward') {
                expect(r.status).toBe('committed');
                expect(o.status).toBe('accepted');
                expect(r.acceptedUpdateIds).toContain(l.updateId);
              } else expect(o.status).toBe('rejected');
            }
            for (const o of r.outcomes.values())
              if (o.status === 'accepted')
                expect(r.ledger.some((l) => l.kind === 'reward' && l.nodeId === o.nodeId)).toBe(true);
          }
          for (const n of w.coordinator.listNodes()) {
            expect(n.reliabilityScore).toBeGreaterThanOrEqual(0);
            expect(n.reliabilityScore).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('limits, progress, events', () => {
  it('maxConcurrentRounds and reused round numbers are refused with RoundStartError; bad options name the field', async () => {
    const w = await testWorld(4, { config: { maxConcurrentRounds: 1 } });
    const first = w.coordinator.runRound();
    await expect(w.coordinator.runRound()).rejects.toMatchObject({
      name: 'RoundStartError',
      reason: 'max-concurrent-rounds',
    });
    await first;
    await expect(w.coordinator.runRound({ round: 1 })).rejects.toBeInstanceOf(RoundStartError);
    await expect(w.coordinator.runRound({ closeAfter: 0 })).rejects.toMatchObject({
      name: 'PrimeInputError',
      field: 'round.closeAfter',
    });
    await expect(
      w.coordinator.runRound({ aggregation: { kind: 'krum', f: -1 } } as never),
    ).rejects.toBeInstanceOf(PrimeInputError);
  });

  it('getRoundProgress counts completed / total while the round runs; unknown rounds throw', async () => {
    const events: CoordinatorEvent[] = [];
    const w = await testWorld(4, { behaviour: (id) => ({ delayMs: 100 * (Number(id.slice(1)) + 1) }) });
    const run = w.coordinator.runRound();
    await w.clock.sleep(250);
    expect(w.coordinator.getRoundProgress(1)).toMatchObject({
      status: 'running',
      completed: 2,
      total: 4,
      fraction: 0.5,
    });
    expect(w.coordinator.getStatus().pendingTasks).toBe(2);
    await run;
    expect(w.coordinator.getRoundProgress(1)).toMatchObject({
      status: 'committed',
      completed: 4,
      settled: 4,
    });
    expect(() => w.coordinator.getRoundProgress(9)).toThrow(UnknownRoundError);
    expect(events).toEqual([]);
  });

  it('emits round, update and fan-out events (the CLI board)', async () => {
    const events: CoordinatorEvent[] = [];
    const w = await testWorld(3, {});
    const c = await w.reopen();
    void c;
    // A coordinator opened with onEvent: build one on the same data.
    const { Coordinator } = await import('../src/index.js');
    const k = await Coordinator.open({
      id: 'ev',
      clock: w.clock,
      randomBytes: () => new Uint8Array(8),
      transport: w.transport,
      model: { shape: w.data.shape },
      onEvent: (e) => events.push(e),
      config: { training: { batchSize: 10_000 } },
    });
    for (const id of w.ids) await k.addNode({ nodeId: id });
    await k.runRound();
    const types = events.map((e) => (e.type === 'fanout' ? `fanout:${e.event.type}` : e.type));
    expect(types.filter((t) => t === 'node-registered')).toHaveLength(3);
    expect(types).toContain('round-started');
    expect(types).toContain('fanout:started');
    expect(types.filter((t) => t === 'fanout:settled')).toHaveLength(3);
    expect(types.filter((t) => t === 'update')).toHaveLength(3);
    expect(types.at(-1)).toBe('round-decided');
  });
});
