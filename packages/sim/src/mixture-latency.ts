/**
 * A mixture of latency models: each draw first picks a component by weight, then samples it. The
 * "1-in-100 slow" server of The Tail at Scale (Dean & Barroso, CACM 56(2), 2013: "a server with a
 * 1-in-100 chance of taking ≥ 1 s") is `slowServerLatency(fast, slow, 0.01)`. A separate kind from
 * {@link LatencySpec} (it nests them), so fault plans and their JSON Schema are unchanged.
 */
import { z } from 'zod';
import {
  LatencySpecError,
  describeLatency,
  parseLatencyWith,
  latencySpecSchema,
  sampleLatency,
  type LatencySpec,
} from './latency.js';
import type { Rng } from './rng.js';

/**
 * `{kind:'mixture', components:[{weight, latency}, …]}`: 1 to 16 components, each weight > 0 (they
 * need not sum to 1: component i is picked with probability weight_i / Σ weights).
 */
export const mixtureLatencySchema = z
  .object({
    kind: z.literal('mixture'),
    components: z
      .array(z.object({ weight: z.number().positive().max(1e9), latency: latencySpecSchema }).strict())
      .min(1)
      .max(16),
  })
  .strict();

/** A JSON-serialisable mixture of latency models. */
export type MixtureLatency = z.infer<typeof mixtureLatencySchema>;

/**
 * Validates a mixture spec (an object or JSON text).
 * @returns a fresh typed spec
 * @throws LatencySpecError naming each bad path under `root` (e.g. 'latency.components.1.weight')
 */
export function parseMixtureLatency(input: unknown, root = 'latency'): MixtureLatency {
  return parseLatencyWith(mixtureLatencySchema, input, root);
}

/**
 * The Tail at Scale's slow server: `slow` with probability `slowFraction`, else `fast`.
 * @param slowFraction in (0, 1), e.g. 0.01 for 1-in-100
 * @throws LatencySpecError ('latency.slowFraction') outside (0, 1); the specs are validated too
 */
export function slowServerLatency(
  fast: LatencySpec,
  slow: LatencySpec,
  slowFraction: number,
): MixtureLatency {
  if (!(slowFraction > 0 && slowFraction < 1))
    throw new LatencySpecError([
      { path: 'latency.slowFraction', message: `must be in (0, 1), got ${String(slowFraction)}` },
    ]);
  return parseMixtureLatency({
    kind: 'mixture',
    components: [
      { weight: 1 - slowFraction, latency: fast },
      { weight: slowFraction, latency: slow },
    ],
  });
}

/**
 * Draws one latency in ms: one float picks the component, then {@link sampleLatency} draws from it.
 * Deterministic for a given stream position; the spec is trusted (parse untrusted input first).
 */
export function sampleMixtureLatency(spec: MixtureLatency, rng: Rng): number {
  const cs = spec.components;
  let total = 0;
  for (const c of cs) total += c.weight;
  let u = rng.float() * total;
  for (const c of cs) {
    if (u < c.weight) return sampleLatency(c.latency, rng);
    u -= c.weight;
  }
  return sampleLatency(cs[cs.length - 1]!.latency, rng); // rounding: u landed on the total
}

/** 'mixture of 99 % lognormal median 10 ms σ 0.5, 1 % pareto scale 1000 ms shape 3'. */
export function describeMixtureLatency(spec: MixtureLatency): string {
  let total = 0;
  for (const c of spec.components) total += c.weight;
  const parts = spec.components.map(
    (c) => `${String(Number(((100 * c.weight) / total).toFixed(3)))} % ${describeLatency(c.latency)}`,
  );
  return `mixture of ${parts.join(', ')}`;
}
