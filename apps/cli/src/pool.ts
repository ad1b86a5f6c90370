/**
 * `fanout run --jobs N`: a scenario's runs split into shares over N worker threads (tinypool),
 * merged back so that the summary, the replay files, the JSON and the JUnit report are the same
 * whatever N is (timing fields aside): runs are assigned by index, results are merged in run
 * order, percentiles come from every run's sample.
 */
import Tinypool from 'tinypool';
import { mergeSummaries, shardRuns, type Shard, type Summary } from '@fanout/scenarios';
import type { WorkerResult, WorkerTask } from './worker.js';

/** One scenario's runs submitted to a {@link RunPool}. */
export interface PooledRun {
  /**
   * Wait for the shares in run order, calling `onShare` with each share's records as it comes
   * (shares in run order), and merge them into the scenario's summary, whose wall time is
   * counted from `since` (wall ms: when the command could first attend to this scenario).
   * @throws what a share's worker threw (an internal error), or the pool's error once closed.
   */
  finish(onShare: (r: WorkerResult) => void, since: number): Promise<Summary>;
}

/** A pool of worker threads for `fanout run --jobs N`. */
export class RunPool {
  readonly #pool: Tinypool;

  /**
   * `jobs` is N (runs are split into shares by it); `threads` (default N) are started, fewer
   * when fewer can get a share. Each thread loads only the worker module and, at its first share,
   * the one system whose scenario it runs.
   */
  constructor(
    readonly jobs: number,
    threads = jobs,
  ) {
    const fromSources = import.meta.url.endsWith('.ts');
    this.#pool = new Tinypool({
      filename: new URL(fromSources ? './worker-dev.mjs' : './worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      // Workers start with the parent's flags (the source condition in this repository; nothing
      // for the published CLI). From the TypeScript sources they start at worker-dev.mjs, which
      // registers tsx; `pnpm fanout`'s build and the published CLI start at worker.js.
      execArgv: process.execArgv,
    });
  }

  /**
   * Submit one scenario's runs (this shard's, if any) in shares of about runs / (4 × jobs) and
   * return at once; the shares run as threads free up, after those submitted before them, so
   * several scenarios can be in the pool together (no thread waits at a scenario's end for the
   * slowest share of that scenario). {@link PooledRun.finish} collects them.
   */
  start(task: Omit<WorkerTask, 'indexes'>, shard: Shard | undefined, wallNow: () => number): PooledRun {
    const all = shardRuns(task.runs, shard);
    const size = Math.max(1, Math.ceil(all.length / (this.jobs * 4)));
    const shares: number[][] = [];
    for (let i = 0; i < all.length; i += size) shares.push(all.slice(i, i + size));
    const pending = shares.map(
      (indexes) => this.#pool.run({ ...task, indexes } satisfies WorkerTask) as Promise<WorkerResult>,
    );
    // Awaited in finish; a share never collected (the command stopped first and closed the pool)
    // must not surface as an unhandled rejection.
    for (const p of pending) p.catch(() => undefined);
    return {
      finish: async (onShare, since) => {
        const results: WorkerResult[] = [];
        for (const p of pending) {
          const r = await p; // in run order, whatever order they finish in
          onShare(r);
          results.push(r);
        }
        return {
          ...mergeSummaries(
            results.map((r) => r.summary),
            wallNow() - since,
          ),
          ...(shard !== undefined && { shard }),
        };
      },
    };
  }

  /** Stop the threads. */
  close(): Promise<void> {
    return this.#pool.destroy();
  }
}
