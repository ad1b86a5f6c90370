/**
 * `fanout run --jobs N`: a scenario's runs split into shares over N worker processes (tinypool),
 * merged back so that the summary, the replay files, the JSON and the JUnit report are the same
 * whatever N is (timing fields aside): runs are assigned by index, results are merged in run
 * order, percentiles come from every run's sample. Which lane runs a share changes no result
 * (affinity.ts chooses it to save warm-ups).
 */
import Tinypool from 'tinypool';
import { mergeSummaries, shardRuns, type Shard, type Summary } from '@fanout/scenarios';
import { pickShare, systemOf } from './affinity.js';
import type { ProbeResult, ProbeTask, WorkerResult, WorkerTask } from './worker.js';

/** One scenario's runs submitted to a {@link RunPool}. */
export interface PooledRun {
  /**
   * Wait for the shares in run order, calling `onShare` with each share's records as it comes
   * (shares in run order), and merge them into the scenario's summary, whose wall time is the
   * lanes' wall time on its shares ÷ the number of lanes (ms).
   * @throws what a share's worker threw (an internal error), or the pool's error once closed.
   */
  finish(onShare: (r: WorkerResult) => void): Promise<Summary>;
}

/** A share (or a search batch) waiting for a lane. */
interface QueuedShare {
  readonly system: string;
  /** Hand the task to a lane's pool. */
  readonly send: (pool: Tinypool) => Promise<unknown>;
  readonly resolve: (r: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/** One worker process (a one-process tinypool) and the systems it has taken shares of. */
interface Lane {
  readonly pool: Tinypool;
  readonly warm: Set<string>;
  busy: boolean;
}

/**
 * A pool of worker processes for `fanout run --jobs N`. Each lane is a one-process tinypool so
 * that the pool chooses which lane takes a share: a lane keeps to the systems it has run
 * ({@link pickShare}), instead of every lane loading and warming up every system.
 *
 * Lanes are child processes (tinypool's `child_process` runtime), not worker threads: on a
 * 2-core machine two process lanes made 1,276–1,473 raida.no-hol runs/s where two thread lanes
 * of one process made 1,157–1,229 (two interleaved series, 10,000 runs each), and two separate
 * one-thread processes also outran two threads, so the cost is in sharing one process (its V8
 * platform and its garbage collectors' helper threads are the likely part; not pinned down).
 * `pnpm bench:sim`, section 4, measures the pool. Results travel with the structured-clone
 * ("advanced") serialization, so a share's summary and records arrive as a worker thread would
 * send them.
 */
export class RunPool {
  readonly #lanes: Lane[];
  readonly #queue: QueuedShare[] = [];
  #closed = false;

  /**
   * `jobs` is N (runs are split into shares by it); `lanes` (default N) processes are started,
   * fewer when fewer can get a share. Each loads only the worker module and, at its first share
   * of a system, the system whose scenario it runs.
   */
  constructor(
    readonly jobs: number,
    lanes = jobs,
  ) {
    const fromSources = import.meta.url.endsWith('.ts');
    const filename = new URL(fromSources ? './worker-dev.mjs' : './worker.js', import.meta.url).href;
    this.#lanes = Array.from({ length: lanes }, () => ({
      pool: new Tinypool({
        filename,
        runtime: 'child_process',
        serialization: 'advanced',
        minThreads: 1,
        maxThreads: 1,
        // Lanes start with the parent's flags (the source condition in this repository; nothing
        // for the published CLI) and environment (tinypool passes none by default). From the
        // TypeScript sources they start at worker-dev.mjs, which registers tsx; `pnpm fanout`'s
        // build and the published CLI start at worker.js.
        execArgv: process.execArgv,
        env: definedEnv(),
      }),
      warm: new Set<string>(),
      busy: false,
    }));
  }

  /**
   * Submit one scenario's runs (this shard's, if any) in shares of about runs / (4 × jobs) and
   * return at once; the shares run as lanes free up, each lane preferring the systems it has
   * run (then the oldest share), so several scenarios can be in the pool together (no lane
   * waits at a scenario's end for the slowest share of that scenario). {@link PooledRun.finish}
   * collects them.
   */
  start(task: Omit<WorkerTask, 'indexes'>, shard: Shard | undefined): PooledRun {
    const all = shardRuns(task.runs, shard);
    const size = Math.max(1, Math.ceil(all.length / (this.jobs * 4)));
    const shares: number[][] = [];
    for (let i = 0; i < all.length; i += size) shares.push(all.slice(i, i + size));
    const pending = shares.map((indexes) => this.#submit({ ...task, indexes }));
    // Awaited in finish; a share never collected (the command stopped first and closed the pool)
    // must not surface as an unhandled rejection.
    for (const p of pending) p.catch(() => undefined);
    return {
      finish: async (onShare) => {
        const results: WorkerResult[] = [];
        for (const p of pending) {
          const r = await p; // in run order, whatever order they finish in
          onShare(r);
          results.push(r);
        }
        // The lanes' wall time on this scenario's shares ÷ lanes: shares of several scenarios
        // run at once and out of order, so the span between two scenarios' ends says nothing.
        const laneMs = results.reduce((a, r) => a + r.summary.wallMs, 0);
        return {
          ...mergeSummaries(
            results.map((r) => r.summary),
            laneMs / this.#lanes.length,
          ),
          ...(shard !== undefined && { shard }),
        };
      },
    };
  }

  /**
   * Run one batch of `run --until-failure`'s seed search on the next free lane (the worker's
   * `probe`); batches queue behind shares and each other.
   * @throws what the lane threw, or the pool's error once closed.
   */
  probe(task: ProbeTask): Promise<ProbeResult> {
    const system = systemOf(task.runs[0]?.scenario ?? '');
    return this.#enqueue(system, (pool) => pool.run(task, { name: 'probe' }) as Promise<ProbeResult>);
  }

  /** Queue a share; it settles with what its lane returns or throws. */
  #submit(task: WorkerTask): Promise<WorkerResult> {
    return this.#enqueue(systemOf(task.scenario), (pool) => pool.run(task) as Promise<WorkerResult>);
  }

  #enqueue<R>(system: string, send: (pool: Tinypool) => Promise<R>): Promise<R> {
    if (this.#closed) return Promise.reject(new Error('RunPool: closed'));
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ system, send, resolve: resolve as (r: unknown) => void, reject });
      this.#dispatch();
    });
  }

  /** Hand queued shares to the idle lanes, each its pick ({@link pickShare}). */
  #dispatch(): void {
    for (const [i, lane] of this.#lanes.entries()) {
      if (lane.busy || this.#closed) continue;
      const k = pickShare(
        this.#queue.map((q) => q.system),
        i,
        this.#lanes.map((l) => l.warm),
      );
      if (k < 0) return;
      const share = this.#queue.splice(k, 1)[0]!;
      lane.busy = true;
      lane.warm.add(share.system);
      share
        .send(lane.pool)
        .then(share.resolve, (e: unknown) => share.reject(laneError(e)))
        .finally(() => {
          lane.busy = false;
          this.#dispatch();
        });
    }
  }

  /** Stop the lanes (their processes end); shares still queued are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.reject(new Error('RunPool: closed'));
    await Promise.all(this.#lanes.map((l) => l.pool.destroy()));
  }
}

/**
 * What a lane threw, as an Error: tinypool sends a child process's error as a plain object
 * ({ name, message, stack } and its own fields), which printed as "[object Object]". The stack is
 * the lane's (it names where in the lane it was thrown).
 */
export function laneError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (e === null || typeof e !== 'object') return new Error(`in a worker process: ${String(e)}`);
  const { name, message, stack } = e as { name?: unknown; message?: unknown; stack?: unknown };
  const error = new Error(`in a worker process: ${String(name ?? 'Error')}: ${String(message ?? '')}`);
  if (typeof stack === 'string') error.stack = `${error.message}\n(the worker process's stack)\n${stack}`;
  return error;
}

/** This process's environment without unset names (the shape tinypool takes for a lane's env). */
function definedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}
