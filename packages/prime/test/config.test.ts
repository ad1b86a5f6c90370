/** Configuration: the seed's names and defaults; bad values get a PrimeConfigError naming the field. */
import fc from 'fast-check';
import { assertProperty } from '@fanout/testkit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, PrimeConfigError, parseCoordinatorConfig } from '../src/index.js';

function fieldOf(input: unknown): string {
  try {
    parseCoordinatorConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(PrimeConfigError);
    return (e as PrimeConfigError).field;
  }
  throw new Error('expected a PrimeConfigError');
}

describe('coordinator config', () => {
  it("has the seed's defaults", () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      minNodesForRound: 3,
      maxNodesPerRound: 100,
      heartbeatTimeoutMs: 10_000,
      taskTimeoutMs: 300_000,
      roundDeadlineMs: 600_000,
      consensusThreshold: 0.66,
      byzantineTolerance: 0.33,
      maxConcurrentRounds: 10,
      aggregation: { kind: 'fedavg' },
      detection: {
        enabled: true,
        reference: { kind: 'median' },
        similarityThreshold: 0.8,
        normDeviationThreshold: 2,
      },
      economics: {
        baseReward: 100,
        qualityMultiplier: 2,
        reliabilityBonus: 1.5,
        slashingRate: 0.1,
        qualityThreshold: 0.8,
      },
    });
  });

  it("takes the seed's custom example (min 5, consensus 0.75) and fills the rest", () => {
    const c = parseCoordinatorConfig({
      minNodesForRound: 5,
      heartbeatTimeoutMs: 10_000,
      taskTimeoutMs: 300_000,
      consensusThreshold: 0.75,
    });
    expect(c.minNodesForRound).toBe(5);
    expect(c.consensusThreshold).toBe(0.75);
    expect(c.byzantineTolerance).toBe(0.33);
    expect(c.economics.baseReward).toBe(100);
  });

  it('nested objects are filled in field by field', () => {
    const c = parseCoordinatorConfig({
      detection: { similarityThreshold: 0.5 },
      aggregation: { kind: 'trimmed-mean' },
    });
    expect(c.detection).toEqual({
      enabled: true,
      reference: { kind: 'median' },
      similarityThreshold: 0.5,
      normDeviationThreshold: 2,
    });
    expect(c.aggregation).toEqual({ kind: 'trimmed-mean', trim: 0.2 });
  });

  it.each([
    [{ minNodesForRound: 0 }, 'config.minNodesForRound'],
    [{ minNodesForRound: 2.5 }, 'config.minNodesForRound'],
    [{ maxNodesPerRound: 2 }, 'config.maxNodesPerRound'],
    [{ heartbeatTimeoutMs: -1 }, 'config.heartbeatTimeoutMs'],
    [{ heartbeatIntervalMs: 20_000 }, 'config.heartbeatIntervalMs'],
    [{ taskTimeoutMs: 0 }, 'config.taskTimeoutMs'],
    [{ roundDeadlineMs: 'soon' }, 'config.roundDeadlineMs'],
    [{ consensusThreshold: 1.5 }, 'config.consensusThreshold'],
    [{ consensusThreshold: 0 }, 'config.consensusThreshold'],
    [{ byzantineTolerance: 0.5 }, 'config.byzantineTolerance'],
    [{ maxConcurrentRounds: 0 }, 'config.maxConcurrentRounds'],
    [{ aggregation: { kind: 'mode' } }, 'config.aggregation.kind'],
    [{ aggregation: { kind: 'trimmed-mean', trim: 0.5 } }, 'config.aggregation.trim'],
    [{ detection: { similarityThreshold: 2 } }, 'config.detection.similarityThreshold'],
    [{ economics: { slashingRate: 1.1 } }, 'config.economics.slashingRate'],
    [{ reliability: { decay: -0.1 } }, 'config.reliability.decay'],
    [{ training: { batchSize: 0 } }, 'config.training.batchSize'],
    [{ minNodes: 3 }, 'config.minNodes'],
  ])('%j → PrimeConfigError naming %s', (input, field) => {
    expect(fieldOf(input)).toBe(field);
  });

  it('property: any out-of-range fraction field is named in the error', async () => {
    const fields = ['consensusThreshold', 'byzantineTolerance'] as const;
    await assertProperty(
      fc.property(
        fc.constantFrom(...fields),
        fc.oneof(
          fc.double({ min: 1.0001, max: 1e6, noNaN: true }),
          fc.double({ max: -0.0001, min: -1e6, noNaN: true }),
          fc.constant(Number.NaN),
        ),
        (field, value) => {
          expect(fieldOf({ [field]: value })).toBe(`config.${field}`);
        },
      ),
    );
  });
});
