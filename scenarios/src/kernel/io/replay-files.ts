/**
 * Replay files and trace files of violating runs: `<dir>/<scenario>-<mode>-<seed>.json` holds
 * {scenario, seed, mode, plan, options, commit, traceHash, violation}; the run's trace (sim) is
 * written next to it as `<same name>.trace.jsonl`, whose SHA-256 is the file's traceHash.
 */
import { existsSync } from 'node:fs';
import {
  currentCommit,
  readReplayFile,
  writeReplayFile,
  writeTraceFile,
  type ReplayFile,
} from '@fanout/sim/replay';
import type { RunResult } from '../types.js';

/** Where the trace of a replay file lives: `<file minus .json>.trace.jsonl`. */
export function traceFileFor(replayFile: string): string {
  return `${replayFile.replace(/\.json$/, '')}.trace.jsonl`;
}

/** {@link traceFileFor}, or undefined when that file does not exist. */
export function existingTraceFile(replayFile: string): string | undefined {
  const f = traceFileFor(replayFile);
  return existsSync(f) ? f : undefined;
}

let commitCache: string | undefined;

/** The checkout's commit (read once per process). */
export function commitOnce(): string {
  commitCache ??= currentCommit();
  return commitCache;
}

/**
 * Write the replay file (and, in sim, the trace file) of a run.
 * @returns the paths written.
 * @throws the fs error when a file cannot be written.
 */
export function saveRun(dir: string, r: RunResult): { replayFile: string; traceFile: string | undefined } {
  const replayFile = `${dir}/${r.scenario}-${r.mode}-${r.seed}.json`;
  writeReplayFile(replayFile, {
    version: 1,
    scenario: r.scenario,
    seed: r.seed,
    mode: r.mode,
    plan: r.plan,
    options: { ...r.options },
    commit: commitOnce(),
    traceHash: r.traceHash,
    violation:
      r.guarantees
        .filter((g) => !g.held)
        .map((g) => `${g.name}: ${g.detail ?? ''}`)
        .join('\n') || undefined,
  });
  let traceFile: string | undefined;
  // A trace that kept no line (or not all of them) would not match traceHash: none is written.
  if (r.trace !== undefined && r.trace.enabled && r.trace.discarded === 0) {
    traceFile = traceFileFor(replayFile);
    writeTraceFile(traceFile, r.trace);
  }
  return { replayFile, traceFile };
}

/** A replay file, read and validated, with its tier resolved (older files keep it in options.mode). */
export interface LoadedReplay {
  readonly file: ReplayFile;
  readonly mode: 'sim' | 'live';
  /** The options without the legacy `mode` key. */
  readonly options: Record<string, unknown>;
}

/** A replay file names a tier that does not exist. */
export class ReplayModeError extends Error {
  override readonly name = 'ReplayModeError';
}

/**
 * Read a replay file.
 * @throws ReplayFileError (from @fanout/sim/replay) when unreadable or invalid; ReplayModeError
 *   when `options.mode` of an older file is neither 'sim' nor 'live'.
 */
export function loadReplay(path: string): LoadedReplay {
  const file = readReplayFile(path);
  const { mode: legacy, ...options } = file.options;
  const mode = file.mode ?? legacy ?? 'sim';
  if (mode !== 'sim' && mode !== 'live')
    throw new ReplayModeError(`${path}: options.mode must be "sim" or "live", got ${JSON.stringify(mode)}`);
  return { file, mode, options };
}
