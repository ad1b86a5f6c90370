/**
 * Parent side of the decoder phase: runs targets in worker threads (`jobs` lanes, each a queue of
 * targets balanced by estimated cost) with a watchdog. A target whose input counter stops moving
 * for `hangMs` is a hang: its worker is terminated and the lane goes on with the next target; a
 * worker that dies (out of memory, an uncaught exception) is a crash of the target it was running.
 * Either way the result names the input index, which `--seed <s> --path <index>` replays.
 */
import { Worker } from 'node:worker_threads';
import type { DriveResult } from './drive.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

/** One target to run: its name, inputs, and relative cost per input (for lane balancing). */
export interface PlannedTarget {
  readonly name: string;
  readonly numRuns: number;
  readonly cost: number;
}

/** Options of {@link runDecoderPlan}. */
export interface PoolOptions {
  readonly seed: number;
  readonly path?: string;
  readonly restart?: number;
  /** Worker lanes run at once (≥ 1). */
  readonly jobs: number;
  /** No new input for this long = a hang, ms. */
  readonly hangMs: number;
  /** Heap limit of a worker, MB (a decoder that passes it is a crash). */
  readonly heapMb: number;
  /** Called as each target finishes (progress printing). */
  readonly onResult?: (r: DriveResult) => void;
  /** Called as each target starts. */
  readonly onStart?: (name: string) => void;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url).href;
const BOOT = new URL('../worker-boot.mjs', import.meta.url);

/** A result for a target whose worker hung or died on input `started`. */
function brokenResult(
  name: string,
  seed: number,
  started: number,
  kind: 'hang' | 'crash',
  detail: string,
  durationMs: number,
): DriveResult {
  return {
    target: name,
    seed,
    inputs: started,
    shrinks: 0,
    tally: {},
    notes: {},
    durationMs,
    failures: [
      {
        input: `input #${started} of the run`,
        error: `${kind}: ${detail}`,
        restart: 0,
        path: String(Math.max(0, started - 1)),
        hits: 1,
        where: '',
      },
    ],
  };
}

/** Run one lane's queue; resolves with its results in queue order. */
async function runLane(queue: readonly PlannedTarget[], o: PoolOptions): Promise<DriveResult[]> {
  const results: DriveResult[] = [];
  let rest = [...queue];
  while (rest.length > 0) {
    const progress = new SharedArrayBuffer(8);
    const view = new Int32Array(progress);
    const job: WorkerJob = {
      entry: WORKER_URL,
      targets: rest.map(({ name, numRuns }) => ({ name, numRuns })),
      seed: o.seed,
      ...(o.path === undefined ? {} : { path: o.path }),
      ...(o.restart === undefined ? {} : { restart: o.restart }),
      progress,
    };
    const done = await new Promise<number>((resolve) => {
      const worker = new Worker(BOOT, {
        workerData: job,
        resourceLimits: { maxOldGenerationSizeMb: o.heapMb },
      });
      let finished = 0;
      // The watchdog counts only while a target runs: loading the worker (tsx, the targets'
      // modules) takes seconds, and is not a decoder hang.
      let running = false;
      let last = -1;
      let lastMove = performance.now();
      let startedAt = performance.now();
      let settled = false;
      const settle = (n: number): void => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        resolve(n);
      };
      const watchdog = setInterval(() => {
        if (!running) return;
        const seen = Atomics.load(view, 1);
        if (seen !== last) {
          last = seen;
          lastMove = performance.now();
          return;
        }
        if (performance.now() - lastMove < o.hangMs) return;
        const name = rest[finished]!.name;
        results.push(
          brokenResult(
            name,
            o.seed,
            seen,
            'hang',
            `no new input for ${o.hangMs} ms`,
            performance.now() - startedAt,
          ),
        );
        o.onResult?.(results.at(-1)!);
        void worker.terminate();
        settle(finished + 1);
      }, 250);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'start') {
          running = true;
          startedAt = performance.now();
          lastMove = startedAt;
          last = -1;
          o.onStart?.(m.name);
          return;
        }
        running = false;
        results.push(m.result);
        o.onResult?.(m.result);
        finished = m.index + 1;
      });
      worker.on('error', (e) => {
        if (finished >= rest.length) return settle(finished);
        const name = rest[finished]!.name;
        results.push(
          brokenResult(
            name,
            o.seed,
            Atomics.load(view, 1),
            'crash',
            `worker died: ${e.message}`,
            performance.now() - startedAt,
          ),
        );
        o.onResult?.(results.at(-1)!);
        settle(finished + 1);
      });
      worker.on('exit', () => settle(finished));
    });
    rest = rest.slice(done);
  }
  return results;
}

/**
 * Run every planned target (see the module comment).
 * @returns the results, one per target, in plan order.
 */
export async function runDecoderPlan(plan: readonly PlannedTarget[], o: PoolOptions): Promise<DriveResult[]> {
  const lanes: PlannedTarget[][] = Array.from({ length: Math.max(1, o.jobs) }, () => []);
  const load = lanes.map(() => 0);
  // Heaviest first onto the lightest lane.
  for (const t of [...plan].sort((a, b) => b.numRuns * b.cost - a.numRuns * a.cost)) {
    const i = load.indexOf(Math.min(...load));
    lanes[i]!.push(t);
    load[i]! += t.numRuns * t.cost;
  }
  const byName = new Map(
    (await Promise.all(lanes.map((l) => runLane(l, o)))).flat().map((r) => [r.target, r]),
  );
  return plan.map((t) => byName.get(t.name)!).filter((r) => r !== undefined);
}
