/**
 * Byzantine trainers selected by the plan's `behave` rules, on SimNetwork: each behaviour is caught
 * by its rule, slashed and never rewarded, and the round commits without it; with screening off,
 * FedAvg is poisoned by a scaled or sign-flipped minority while median, trimmed mean and Krum are not.
 *
 * Data: seeded synthetic blobs (2,000 samples, 160 a trainer) with full-batch local steps, on which
 * honest updates agree with the median (cosine ≥ 0.93 measured over 8 seeds × 10 rounds), so the
 * seed's 0.8 similarity threshold applies as is.
 */
import { describe, expect, it } from 'vitest';
import type { AggregationRuleInput } from '@fanout/prime';
import { behaveRule, createPrimeSimWorld, type BehaviourName } from '../src/index.js';

const synthetic = { synthetic: { samples: 2000, separation: 2 } } as const;
const training = { batchSize: 10_000, learningRate: 0.1 } as const;
const byzantine = ['trainer-2', 'trainer-5', 'trainer-7'];

const cases: [BehaviourName, Record<string, unknown>, string, number][] = [
  ['sign-flip', {}, 'dissimilar', 1],
  ['scale', { factor: 10 }, 'norm-outlier', 1],
  ['noise', { sd: 1 }, 'dissimilar', 1],
  ['stale', {}, 'stale', 1],
  ['wrong-shape', {}, 'wrong-shape', 1],
  ['nan', { index: 4 }, 'non-finite', 1],
  ['replay', {}, 'replay', 2],
  ['duplicate', {}, 'duplicate', 2],
];

describe('Byzantine trainers from the plan (3 of 10)', () => {
  for (const [behaviour, params, reason, fromRound] of cases) {
    it(`${behaviour} → ${reason}: detected, slashed, never rewarded; honest trainers all accepted`, async () => {
      const w = await createPrimeSimWorld({
        seed: 11,
        dataset: synthetic,
        config: { training },
        plan: { rules: [behaveRule(behaviour, byzantine, params)] },
      });
      for (let round = 1; round <= 3; round++) {
        const r = await w.coordinator.runRound();
        expect(r.status).toBe('committed');
        for (const [id, o] of r.outcomes) {
          if (byzantine.includes(id) && round >= fromRound)
            expect(o).toMatchObject({ status: 'rejected', reason, byzantine: true });
          else expect(o.status).toBe('accepted');
        }
        expect(r.agreement).toBeCloseTo(round >= fromRound ? 0.7 : 1, 12);
      }
      const ledger = w.coordinator.ledger.entries;
      for (const id of byzantine) {
        expect(ledger.filter((l) => l.nodeId === id && l.kind === 'slash')).toHaveLength(4 - fromRound);
        const rewarded = ledger.filter((l) => l.nodeId === id && l.kind === 'reward');
        expect(rewarded).toHaveLength(fromRound - 1); // only for the honest first answer of replay/duplicate
      }
      expect(w.coordinator.getNode('trainer-2')!.stake).toBeCloseTo(1000 * 0.9 ** (4 - fromRound), 9);
      w.close();
    });
  }

  it('a Byzantine majority of the received updates blocks the commit (no-consensus)', async () => {
    const w = await createPrimeSimWorld({
      seed: 12,
      dataset: synthetic,
      config: { training },
      plan: { rules: [behaveRule('sign-flip', ['trainer-0', 'trainer-1', 'trainer-2', 'trainer-3'])] },
    });
    const r = await w.coordinator.runRound();
    expect(r).toMatchObject({ status: 'failed', reason: 'no-consensus' });
    expect(r.agreement).toBeCloseTo(0.6, 12);
    expect(w.coordinator.modelVersion).toBe(0);
    w.close();
  });

  it('a behave window limits the misbehaviour in time', async () => {
    const w = await createPrimeSimWorld({
      seed: 13,
      dataset: synthetic,
      config: { training },
      plan: { rules: [behaveRule('sign-flip', ['trainer-4'], {}, { fromMs: 150, toMs: 250 })] },
    });
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await w.coordinator.runRound()).outcomes.get('trainer-4')!.status);
    expect(statuses).toEqual(['accepted', 'rejected', 'accepted']); // rounds at 0–100, 100–200 (answer at 150), 200–300
    w.close();
  });
});

describe('FedAvg is poisoned by a Byzantine minority; robust rules are not (screening off)', () => {
  async function finalLoss(
    rule: AggregationRuleInput,
    behaviour: BehaviourName,
    params: Record<string, unknown>,
  ): Promise<number> {
    const w = await createPrimeSimWorld({
      seed: 21,
      dataset: synthetic,
      config: { training, aggregation: rule, detection: { enabled: false } },
      plan: { rules: [behaveRule(behaviour, byzantine, params)] },
    });
    for (let i = 0; i < 5; i++) expect((await w.coordinator.runRound()).status).toBe('committed');
    const loss = w.coordinator.evaluate()!.loss;
    w.close();
    return loss;
  }

  for (const [behaviour, params] of [
    ['scale', { factor: -10 }],
    ['sign-flip', { factor: 5 }],
  ] as const) {
    it(`${behaviour} ${JSON.stringify(params)}: FedAvg's loss blows up, median / trimmed mean / Krum keep learning`, async () => {
      const clean = await finalLoss({ kind: 'fedavg' }, 'scale', { factor: 1 });
      const fedavg = await finalLoss({ kind: 'fedavg' }, behaviour, params);
      expect(fedavg).toBeGreaterThan(Math.log(3)); // worse than the untrained model
      for (const rule of [
        { kind: 'median' },
        { kind: 'trimmed-mean', trim: 0.3 },
        { kind: 'krum' },
        { kind: 'multi-krum' },
      ] as const) {
        const robust = await finalLoss(rule, behaviour, params);
        expect(robust, rule.kind).toBeLessThan(Math.log(3) * 0.8);
        expect(robust, rule.kind).toBeLessThan(clean * 1.5);
      }
    });
  }
});
