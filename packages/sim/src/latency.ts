/**
 * Latency models: JSON-serialisable specs (zod 4 schemas, strict: unknown fields are rejected)
 * and a sampler driven by a seeded Rng. All values are milliseconds of (virtual) time.
 *
 * | kind      | fields                                  | distribution                                  |
 * |-----------|-----------------------------------------|-----------------------------------------------|
 * | constant  | ms                                      | always `ms`                                   |
 * | uniform   | minMs, maxMs (minMs <= maxMs)           | uniform in [minMs, maxMs)                     |
 * | normal    | meanMs, sdMs                            | normal, truncated at 0 (redrawn while < 0)    |
 * | lognormal | medianMs (> 0), sigma                   | exp(ln(medianMs) + sigma·N(0,1))              |
 * | pareto    | scaleMs (> 0), shape (> 0), capMs?      | scaleMs·U^(-1/shape) >= scaleMs, heavy tail   |
 *
 * Every kind takes an optional `jitterMs`: a uniform offset in [-jitterMs, +jitterMs) added after
 * the base draw. The final sample is clamped to [0, LATENCY_CEILING_MS] (and to capMs for pareto),
 * so it is always finite and never negative. Shapes follow netem's "delay 50ms 10ms distribution
 * normal" vocabulary (Jepsen nemesis, see shared/reference/harness.md).
 */
import { z } from 'zod';
import type { Rng } from './rng.js';

/**
 * Upper bound of every latency value and sample, in ms: 2^31 - 1 (≈ 24.8 days), the largest
 * delay a Node timer accepts, so a sample can also drive a real timer in the live tier.
 */
export const LATENCY_CEILING_MS = 2_147_483_647;

const ms = () => z.number().nonnegative().max(LATENCY_CEILING_MS);
const positiveMs = () => z.number().positive().max(LATENCY_CEILING_MS);
const jitter = () => ms().optional();

/** `{kind:'constant', ms, jitterMs?}`: always `ms`. */
export const constantLatencySchema = z
  .object({ kind: z.literal('constant'), ms: ms(), jitterMs: jitter() })
  .strict();

/** `{kind:'uniform', minMs, maxMs, jitterMs?}`: uniform in [minMs, maxMs); minMs <= maxMs. */
export const uniformLatencySchema = z
  .object({ kind: z.literal('uniform'), minMs: ms(), maxMs: ms(), jitterMs: jitter() })
  .strict()
  .refine((v) => v.minMs <= v.maxMs, { message: 'must be >= minMs', path: ['maxMs'] });

/** `{kind:'normal', meanMs, sdMs, jitterMs?}`: normal truncated at 0 (negative draws are redrawn). */
export const normalLatencySchema = z
  .object({ kind: z.literal('normal'), meanMs: ms(), sdMs: ms(), jitterMs: jitter() })
  .strict();

/** `{kind:'lognormal', medianMs, sigma, jitterMs?}`: median medianMs (> 0), log-space sd sigma (0..20). */
export const lognormalLatencySchema = z
  .object({
    kind: z.literal('lognormal'),
    medianMs: positiveMs(),
    sigma: z.number().nonnegative().max(20),
    jitterMs: jitter(),
  })
  .strict();

/**
 * `{kind:'pareto', scaleMs, shape, capMs?, jitterMs?}`: Pareto type I, minimum scaleMs (> 0),
 * tail index shape (> 0; <= 1 has infinite mean, <= 2 infinite variance). capMs >= scaleMs
 * bounds the final sample (after jitter).
 */
export const paretoLatencySchema = z
  .object({
    kind: z.literal('pareto'),
    scaleMs: positiveMs(),
    shape: z.number().positive().max(1e6),
    capMs: ms().optional(),
    jitterMs: jitter(),
  })
  .strict()
  .refine((v) => v.capMs === undefined || v.capMs >= v.scaleMs, {
    message: 'must be >= scaleMs',
    path: ['capMs'],
  });

/** Any latency spec, discriminated by `kind`. Strict: unknown fields are errors. */
export const latencySpecSchema = z.discriminatedUnion('kind', [
  constantLatencySchema,
  uniformLatencySchema,
  normalLatencySchema,
  lognormalLatencySchema,
  paretoLatencySchema,
]);

export type ConstantLatency = z.infer<typeof constantLatencySchema>;
export type UniformLatency = z.infer<typeof uniformLatencySchema>;
export type NormalLatency = z.infer<typeof normalLatencySchema>;
export type LognormalLatency = z.infer<typeof lognormalLatencySchema>;
export type ParetoLatency = z.infer<typeof paretoLatencySchema>;
/** A JSON-serialisable latency model (see the module docstring for each kind). */
export type LatencySpec = z.infer<typeof latencySpecSchema>;

/** One schema problem: `path` like 'latency.jitterMs' or 'plan.targets.3.latency.kind'. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** A latency spec was invalid. `issues` name each offending path; the message lists them all. */
export class LatencySpecError extends Error {
  override readonly name = 'LatencySpecError';
  constructor(readonly issues: readonly SchemaIssue[]) {
    super(`invalid latency spec: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/**
 * Flattens a zod error into `{path, message}` pairs with dotted paths under `root`
 * (e.g. root 'latency' → 'latency.sdMs'). Unknown keys get one issue each, at their own path
 * ('latency.foo: unknown field'). Usable for any zod schema (fault plans too).
 */
export function formatSchemaIssues(error: z.ZodError, root: string): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const issue of error.issues) {
    const base = joinPath(root, issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: joinPath(base, [key]), message: 'unknown field' });
    } else {
      out.push({ path: base, message: issue.message });
    }
  }
  return out;
}

function joinPath(root: string, path: readonly PropertyKey[]): string {
  let s = root;
  for (const seg of path) {
    const part = typeof seg === 'symbol' ? seg.toString() : String(seg);
    s = s === '' ? part : `${s}.${part}`;
  }
  return s === '' ? '(root)' : s;
}

/**
 * Validates a latency spec: either an already-parsed value or JSON text.
 * @param input the spec object, or a JSON string of it
 * @param root the name used at the front of error paths (default 'latency'), e.g. 'plan.targets.r3.latency'
 * @returns the typed spec (a fresh object; the input is not modified)
 * @throws LatencySpecError naming each bad path (bad JSON text is reported at `root`)
 */
export function parseLatency(input: unknown, root = 'latency'): LatencySpec {
  return parseLatencyWith(latencySpecSchema, input, root);
}

/**
 * Parse a latency model (an object, or its JSON text) with `schema`; shared by the latency
 * parsers of this package.
 * @throws LatencySpecError naming each bad path under `root` (bad JSON text is reported at `root`)
 */
export function parseLatencyWith<T>(schema: z.ZodType<T>, input: unknown, root: string): T {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (err) {
      throw new LatencySpecError([
        { path: root || '(root)', message: `not valid JSON (${(err as Error).message})` },
      ]);
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new LatencySpecError(formatSchemaIssues(result.error, root));
  return result.data;
}

/** After this many negative normal draws in a row (odds < 2^-64 when meanMs >= 0), clamp to 0. */
const MAX_NORMAL_REDRAWS = 64;

/**
 * Draws one latency in ms from `spec` using `rng`. Deterministic: the same spec and the same
 * stream position give the same sample. Result is finite, in [0, LATENCY_CEILING_MS] (and
 * <= capMs for pareto). Draw cost: constant 0, uniform/pareto 1 float, lognormal 1 normal,
 * normal >= 1 normal (redrawn while negative), plus 1 float when jitterMs > 0.
 * The spec is trusted (call parseLatency on untrusted input first).
 */
export function sampleLatency(spec: LatencySpec, rng: Rng): number {
  let x: number;
  switch (spec.kind) {
    case 'constant':
      x = spec.ms;
      break;
    case 'uniform':
      x = spec.minMs + rng.float() * (spec.maxMs - spec.minMs);
      break;
    case 'normal': {
      x = 0;
      for (let i = 0; i < MAX_NORMAL_REDRAWS; i++) {
        const v = rng.normal(spec.meanMs, spec.sdMs);
        if (v >= 0) {
          x = v;
          break;
        }
      }
      break;
    }
    case 'lognormal':
      x = spec.medianMs * Math.exp(spec.sigma * rng.normal(0, 1));
      break;
    case 'pareto':
      // 1 - U is in (0, 1], so the draw is >= scaleMs; may overflow to Infinity, clamped below.
      x = spec.scaleMs * Math.pow(1 - rng.float(), -1 / spec.shape);
      break;
  }
  const j = spec.jitterMs ?? 0;
  if (j > 0) x += (rng.float() * 2 - 1) * j;
  let cap = LATENCY_CEILING_MS;
  if (spec.kind === 'pareto' && spec.capMs !== undefined) cap = Math.min(cap, spec.capMs);
  if (!(x >= 0)) return 0; // also maps a NaN (impossible with a valid spec) to 0
  return x > cap ? cap : x;
}

/**
 * A short human description, netem-style: '50 ms constant', '10–50 ms uniform',
 * '50 ms ± 10 ms normal', 'lognormal median 40 ms σ 0.5', 'pareto scale 10 ms shape 1.5 cap 2000 ms',
 * each followed by ', jitter ± 5 ms' when jitterMs > 0.
 */
export function describeLatency(spec: LatencySpec): string {
  let s: string;
  switch (spec.kind) {
    case 'constant':
      s = `${num(spec.ms)} ms constant`;
      break;
    case 'uniform':
      s = `${num(spec.minMs)}–${num(spec.maxMs)} ms uniform`;
      break;
    case 'normal':
      s = `${num(spec.meanMs)} ms ± ${num(spec.sdMs)} ms normal`;
      break;
    case 'lognormal':
      s = `lognormal median ${num(spec.medianMs)} ms σ ${num(spec.sigma)}`;
      break;
    case 'pareto':
      s = `pareto scale ${num(spec.scaleMs)} ms shape ${num(spec.shape)}`;
      if (spec.capMs !== undefined) s += ` cap ${num(spec.capMs)} ms`;
      break;
  }
  if (spec.jitterMs !== undefined && spec.jitterMs > 0) s += `, jitter ± ${num(spec.jitterMs)} ms`;
  return s;
}

/** Up to 3 decimals, no trailing zeros. */
function num(x: number): string {
  return String(Number(x.toFixed(3)));
}
