/**
 * Worker thread entry: runs decoder targets one after the other and posts each result. Progress
 * (target index, inputs started) is written to a shared Int32Array so the parent's watchdog sees
 * a stuck decoder even while this thread is busy in a synchronous loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { driveTarget, type DriveResult } from './drive.js';
import { decoderTarget } from './registry.js';

/** What the parent passes in workerData. */
export interface WorkerJob {
  /** This file's URL (read by worker-boot.mjs). */
  readonly entry: string;
  readonly targets: readonly { readonly name: string; readonly numRuns: number }[];
  readonly seed: number;
  readonly path?: string;
  readonly restart?: number;
  /** [index of the target running, inputs started in it]. */
  readonly progress: SharedArrayBuffer;
}

/** Messages posted to the parent. */
export type WorkerMessage =
  | { readonly type: 'start'; readonly index: number; readonly name: string }
  | { readonly type: 'result'; readonly index: number; readonly result: DriveResult };

const job = workerData as WorkerJob;
const progress = new Int32Array(job.progress);
for (let i = 0; i < job.targets.length; i++) {
  const { name, numRuns } = job.targets[i]!;
  Atomics.store(progress, 0, i);
  Atomics.store(progress, 1, 0);
  parentPort!.postMessage({ type: 'start', index: i, name } satisfies WorkerMessage);
  let result: DriveResult;
  try {
    result = await driveTarget(decoderTarget(name), {
      numRuns,
      seed: job.seed,
      ...(job.path === undefined ? {} : { path: job.path }),
      ...(job.restart === undefined ? {} : { restart: job.restart }),
      onInput: (n) => Atomics.store(progress, 1, n),
    });
  } catch (e) {
    // The fuzzer itself failed (an arbitrary threw while generating): report it on this target
    // and go on with the next one.
    const started = Atomics.load(progress, 1);
    result = {
      target: name,
      seed: job.seed,
      inputs: started,
      shrinks: 0,
      tally: {},
      notes: {},
      durationMs: 0,
      failures: [
        {
          input: `input #${started} of the run`,
          error: `fuzzer error: ${e instanceof Error ? e.message : String(e)}`,
          restart: 0,
          path: String(Math.max(0, started - 1)),
          hits: 1,
          where: e instanceof Error ? (e.stack?.split('\n')[1]?.trim() ?? '') : '',
        },
      ],
    };
  }
  parentPort!.postMessage({ type: 'result', index: i, result } satisfies WorkerMessage);
}
