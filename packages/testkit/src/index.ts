/**
 * Shared helpers for the property suites.
 *
 * {@link assertProperty} wraps `fc.assert` so that every failing property prints its seed, its
 * shrink path and a one-line replay command, and so that `FC_SEED` / `FC_PATH` / `FC_NUM_RUNS`
 * from the environment replay or widen a run without editing the test.
 */
import path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';

/** Parameters accepted by {@link assertProperty} (fast-check's, minus what the env may set). */
export type PropertyParams<Ts> = fc.Parameters<Ts>;

/** Seed, path and replay command of a failed run, parsed from fast-check's report. */
export interface ReplayInfo {
  seed: number;
  path: string;
  command: string;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got "${v}"`);
  return n;
}

/** The replay command for the current vitest test with a given seed and path. */
export function replayCommand(seed: number, shrinkPath: string): string {
  const state = expect.getState();
  const file = state.testPath ? path.relative(process.cwd(), state.testPath) : '<test file>';
  const name = (state.currentTestName ?? '').split(' > ').pop() ?? '';
  return `FC_SEED=${seed} FC_PATH="${shrinkPath}" pnpm vitest run ${file} -t ${JSON.stringify(name)}`;
}

/**
 * Run a fast-check property (sync or async) and, on failure, rethrow fast-check's report with a
 * replay line appended: `Replay: FC_SEED=… FC_PATH="…" pnpm vitest run <file> -t "<test>"`.
 *
 * Environment: FC_SEED (int) and FC_PATH (string) replay exactly one case (endOnFailure);
 * FC_NUM_RUNS (int) overrides numRuns.
 * @throws the property's failure (an Error whose message holds the counterexample, seed, path and replay line).
 */
export async function assertProperty<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  params: PropertyParams<Ts> = {},
): Promise<void> {
  const seed = envInt('FC_SEED') ?? params.seed;
  const shrinkPath = process.env.FC_PATH || params.path;
  const numRuns = envInt('FC_NUM_RUNS') ?? params.numRuns;
  const merged: PropertyParams<Ts> = { ...params };
  if (seed !== undefined) merged.seed = seed;
  if (shrinkPath !== undefined) {
    merged.path = shrinkPath;
    merged.endOnFailure = true;
  }
  if (numRuns !== undefined) merged.numRuns = numRuns;
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, merged);
  if (!details.failed) return;
  const info: ReplayInfo = {
    seed: details.seed,
    path: details.counterexamplePath ?? '',
    command: replayCommand(details.seed, details.counterexamplePath ?? ''),
  };
  const report = (await fc.asyncDefaultReportMessage(details)) ?? 'property failed';
  const error = new Error(`${report}\n\nReplay: ${info.command}`, { cause: details.errorInstance });
  (error as Error & { replay?: ReplayInfo }).replay = info;
  throw error;
}
