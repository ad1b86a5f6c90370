/**
 * Replay files: everything needed to reproduce a run exactly — {scenario, seed, plan, options,
 * commit} plus the trace hash it produced. `fanout replay FILE` re-runs it and compares hashes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { faultPlanSchema } from '../fault-plan.js';
import type { Trace } from '../trace.js';
import { formatSchemaIssues } from '../latency.js';

export const replayFileSchema = z
  .object({
    version: z.literal(1),
    scenario: z.string().min(1),
    /** uint32 seed of the run. */
    seed: z.number().int().min(0).max(0xffff_ffff),
    plan: faultPlanSchema,
    /** Tier of the run; older files keep it in `options.mode` instead. */
    mode: z.enum(['sim', 'live']).optional(),
    /** Scenario options (sizes, …) as resolved for the run. */
    options: z.record(z.string(), z.unknown()).default({}),
    /** git commit of the code that produced it ('unknown' outside a checkout). */
    commit: z.string(),
    /** Stable trace hash of the run (hex SHA-256), when recorded. */
    traceHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** What the run found (e.g. the violated guarantee), for humans. */
    violation: z.string().optional(),
  })
  .strict();

export type ReplayFile = z.output<typeof replayFileSchema>;
export type ReplayFileInput = z.input<typeof replayFileSchema>;

/** A replay file could not be read or failed validation. */
export class ReplayFileError extends Error {
  override readonly name = 'ReplayFileError';
}

/**
 * Validate a replay document.
 * @throws ReplayFileError naming every bad path.
 */
export function parseReplayFile(input: unknown): ReplayFile {
  const r = replayFileSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = formatSchemaIssues(r.error, 'replay');
  throw new ReplayFileError(
    `invalid replay file:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
  );
}

/**
 * Read and validate a replay file (JSON).
 * @throws ReplayFileError when unreadable, not JSON, or invalid.
 */
export function readReplayFile(path: string): ReplayFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ReplayFileError(`cannot read replay file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReplayFileError(`replay file ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseReplayFile(json);
}

/** Write a replay file (validated first), creating its folder. */
export function writeReplayFile(path: string, data: ReplayFileInput): ReplayFile {
  const file = parseReplayFile(data);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

/** The current git commit (short form not used: full SHA), or 'unknown'. */
export function currentCommit(cwd = process.cwd()): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Write `trace.toJSONL()` to `path` (UTF-8, overwriting), creating its folder.
 * @throws TraceError('enabled') on a disabled trace; the fs error (EACCES…) as is.
 */
export function writeTraceFile(path: string, trace: Trace): void {
  const text = trace.toJSONL();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, 'utf8');
}
