/**
 * Coordinator configuration: the seed's `CoordinatorConfig`, `ByzantineDetectionConfig` and
 * `EconomicConfig` (seeds/004, "Custom Configuration", "Coordinator Configuration", "Byzantine
 * Behavior Detection", "Economic Incentives Integration"), in camelCase, validated with zod.
 *
 * Defaults, and where they come from:
 * - minNodesForRound 3, maxNodesPerRound 100, maxConcurrentRounds 10, consensusThreshold 0.66,
 *   byzantineTolerance 0.33 — seed "Coordinator Configuration";
 * - heartbeatTimeoutMs 10 000, taskTimeoutMs 300 000 — seed "Custom Configuration" (the
 *   "Coordinator Configuration" example uses 5 000 / 60 000);
 * - roundDeadlineMs 600 000 — the seed's RoundConfig `deadline: Duration::from_secs(600)`;
 * - detection.similarityThreshold 0.8 (`gradient_similarity_threshold`),
 *   detection.normDeviationThreshold 2.0 (`performance_deviation_threshold`);
 * - economics: baseReward 100, qualityMultiplier 2.0, reliabilityBonus 1.5, slashingRate 0.1
 *   (EconomicConfig), qualityThreshold 0.8 (`quality_threshold`), enableRewards true,
 *   defaultStake 1000 (SecurityConfig `min_stake_requirement`);
 * - everything else is this package's choice, documented on the field.
 */
import { z } from 'zod';
import { PrimeConfigError } from './errors.js';
import { schemaIssues } from './schema.js';

/** Fraction in [0, 1]. */
const fraction = z.number().min(0).max(1);
const positiveMs = z.number().positive().max(2_147_483_647);

/**
 * An aggregation rule (see aggregate.ts for each one's definition and paper):
 * - 'fedavg': mean weighted by sample counts (McMahan et al. 2017);
 * - 'mean': unweighted mean;
 * - 'median': coordinate-wise median (Yin et al. ICML 2018);
 * - 'trimmed-mean': coordinate-wise β-trimmed mean, `trim` = β in [0, 0.5) (Yin et al. ICML 2018);
 * - 'krum' / 'multi-krum': Blanchard et al. NeurIPS 2017; `f` = Byzantine updates tolerated
 *   (default: ⌊byzantineTolerance · n⌋, capped so n > 2f + 2), `m` = updates averaged by
 *   multi-Krum (default n − f).
 */
export const aggregationRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fedavg') }).strict(),
  z.object({ kind: z.literal('mean') }).strict(),
  z.object({ kind: z.literal('median') }).strict(),
  z.object({ kind: z.literal('trimmed-mean'), trim: z.number().min(0).lt(0.5).default(0.2) }).strict(),
  z.object({ kind: z.literal('krum'), f: z.number().int().min(0).optional() }).strict(),
  z
    .object({
      kind: z.literal('multi-krum'),
      f: z.number().int().min(0).optional(),
      m: z.number().int().min(1).optional(),
    })
    .strict(),
]);
export type AggregationRule = z.output<typeof aggregationRuleSchema>;
export type AggregationRuleInput = z.input<typeof aggregationRuleSchema>;

const detectionSchema = z
  .object({
    /** Screen updates at all (off: every well-formed update is used; structural checks stay on). */
    enabled: z.boolean().default(true),
    /** Robust aggregate the updates are compared with. Default coordinate-wise median. */
    reference: aggregationRuleSchema.prefault({ kind: 'median' }),
    /** Minimum cosine similarity to the reference (seed `gradient_similarity_threshold`). */
    similarityThreshold: z.number().min(-1).max(1).default(0.8),
    /** Maximum ‖update‖ / median ‖update‖ (seed `performance_deviation_threshold`). */
    normDeviationThreshold: z.number().gt(1).default(2),
  })
  .strict();

const economicsSchema = z
  .object({
    enableRewards: z.boolean().default(true),
    /** Tokens for an accepted update in a committed round. */
    baseReward: z.number().min(0).default(100),
    /** Factor for an update whose quality (cosine to the committed aggregate) ≥ qualityThreshold. */
    qualityMultiplier: z.number().min(1).default(2),
    qualityThreshold: z.number().min(-1).max(1).default(0.8),
    /** Factor for a node whose reliability ≥ reliabilityBonusThreshold. */
    reliabilityBonus: z.number().min(1).default(1.5),
    /** This package's choice: reliability needed for the bonus. */
    reliabilityBonusThreshold: fraction.default(0.9),
    /** Fraction of a node's stake taken for an update rejected as Byzantine. */
    slashingRate: fraction.default(0.1),
    /** Stake of a node that registers without one (seed SecurityConfig min_stake_requirement). */
    defaultStake: z.number().min(0).default(1000),
  })
  .strict();

const reliabilitySchema = z
  .object({
    /**
     * Weight of the past in the exponential moving average (0..1): score' = decay · score +
     * (1 − decay) · signal. This package's choice: 0.8.
     */
    decay: fraction.default(0.8),
    /** Signal of an on-time, accepted update. */
    onTime: fraction.default(1),
    /** Signal of a node that timed out (late: the round closed without it). */
    late: fraction.default(0.25),
    /** Signal of a transport failure (refused, reset, garbage). */
    failed: fraction.default(0),
    /** Signal of an update rejected as Byzantine; the score is also multiplied by (1 − slashingRate). */
    byzantine: fraction.default(0),
    /** Reliability below which a node is not selected (seed SecurityConfig `reputation_threshold` 0.7 is stricter; 0 = off). */
    minToSelect: fraction.default(0),
  })
  .strict();

const trainingSchema = z
  .object({
    /** Local epochs per task. */
    epochs: z.number().int().min(1).max(1000).default(1),
    /** Local SGD step size. */
    learningRate: z.number().positive().max(100).default(0.1),
    /** Local mini-batch size. */
    batchSize: z.number().int().min(1).default(8),
  })
  .strict();

export const coordinatorConfigSchema = z
  .object({
    minNodesForRound: z.number().int().min(1).default(3),
    maxNodesPerRound: z.number().int().min(1).default(100),
    /** A node silent this long (ms, virtual in sim) is inactive and not selected. */
    heartbeatTimeoutMs: positiveMs.default(10_000),
    /** Period of the heartbeat fan-out, ms; must be below heartbeatTimeoutMs. This package's choice: 3 000. */
    heartbeatIntervalMs: positiveMs.default(3_000),
    /** Per-node task timeout, ms (the fan-out's timeoutMs). */
    taskTimeoutMs: positiveMs.default(300_000),
    /** Whole-round deadline, ms (the fan-out's deadlineMs). */
    roundDeadlineMs: positiveMs.default(600_000),
    /** Fraction of the received updates that must agree with the aggregate for a commit. */
    consensusThreshold: z.number().gt(0).max(1).default(0.66),
    /** Fraction of Byzantine updates the robust rules are sized for (Krum's f, trimmed-mean β). */
    byzantineTolerance: z.number().min(0).lt(0.5).default(0.33),
    maxConcurrentRounds: z.number().int().min(1).default(10),
    /** Aggregate of the accepted updates. Default FedAvg (the seed's `FederatedAveraging`). */
    aggregation: aggregationRuleSchema.prefault({ kind: 'fedavg' }),
    detection: detectionSchema.prefault({}),
    economics: economicsSchema.prefault({}),
    reliability: reliabilitySchema.prefault({}),
    training: trainingSchema.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.maxNodesPerRound < c.minNodesForRound)
      ctx.addIssue({
        code: 'custom',
        path: ['maxNodesPerRound'],
        message: `must be >= minNodesForRound (${c.minNodesForRound})`,
      });
    if (c.heartbeatIntervalMs >= c.heartbeatTimeoutMs)
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeatIntervalMs'],
        message: `must be < heartbeatTimeoutMs (${c.heartbeatTimeoutMs})`,
      });
  });

/** A validated configuration, every default filled in. */
export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;
/** What a caller may pass: any subset; nested objects are filled in field by field. */
export type CoordinatorConfigInput = z.input<typeof coordinatorConfigSchema>;

/**
 * Validate a configuration and fill in the defaults (see the module docstring for each).
 * @param input a partial config (unknown keys are errors)
 * @returns the full config (a fresh object)
 * @throws PrimeConfigError whose `field` is the first bad path, e.g. 'config.consensusThreshold',
 *   and whose `issues` list every problem.
 */
export function parseCoordinatorConfig(input: unknown = {}): CoordinatorConfig {
  const r = coordinatorConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues = schemaIssues(r.error, 'config');
  throw new PrimeConfigError(issues[0]?.path ?? 'config', issues);
}

/** The defaults, for documentation and tests. */
export const DEFAULT_CONFIG: CoordinatorConfig = parseCoordinatorConfig({});
