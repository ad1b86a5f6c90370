/**
 * Celestia's parallel workers (celestia-app pkg/user/parallel_tx_submission.go, specs
 * tx_client.md): worker 0 is the default account, workers 1..N-1 are keys named
 * `parallel-worker-%d`, created up front with one `CreateBatch({prefix: "parallel-worker",
 * count: N-1})`; each worker signs its own sequence of transactions.
 */
import type { FanOutEvent } from '@fanout/core';
import type { BaoKeyring, KeyRecord } from '@fanout/bao-keyring';

/** Name of worker 0 (the default account). */
export const BAO_DEFAULT_ACCOUNT = 'default';
/** Key name prefix of workers 1..N-1. */
export const PARALLEL_WORKER_PREFIX = 'parallel-worker';

/** The sign bytes worker `worker` signs as its `seq`-th transaction (each account keeps its own sequence). */
export function workerTx(worker: string, seq: number): Uint8Array {
  return new TextEncoder().encode(
    `{"chain_id":"fanout-sim","account":"${worker}","sequence":${seq},"msgs":["MsgPayForBlobs"]}`,
  );
}

/** The worker account names: `default` + `parallel-worker-1..n-1` (with `named`: `parallel-worker-1..n`). */
export function workerNames(n: number, named = false): string[] {
  const batch = Array.from({ length: named ? n : n - 1 }, (_, i) => `${PARALLEL_WORKER_PREFIX}-${i + 1}`);
  return named ? batch : [BAO_DEFAULT_ACCOUNT, ...batch];
}

/**
 * The keys of {@link workerNames} in words: `default (worker 0) + parallel-worker-1..3` for 4
 * workers, `parallel-worker-1..4` with `named`.
 */
export function describeWorkerKeys(workers: number, named = false): string {
  const range = (n: number): string =>
    n === 1 ? `${PARALLEL_WORKER_PREFIX}-1` : `${PARALLEL_WORKER_PREFIX}-1..${n}`;
  if (named) return range(workers);
  return workers === 1
    ? `${BAO_DEFAULT_ACCOUNT} (worker 0)`
    : `${BAO_DEFAULT_ACCOUNT} (worker 0) + ${range(workers - 1)}`;
}

/**
 * Create the worker keys of {@link workerNames}(n): `default` with `create`, the others with one
 * `createBatch` (its fan-out events to `onEvent`), side by side; both are settled before it
 * returns or throws.
 * @returns the n account names, worker 0 first.
 * @throws the first failure: the default account's create error, else the createBatch's
 *   (BatchPartialFailureError naming the worker keys that could not be created).
 */
export async function setUpWorkers(
  keyring: BaoKeyring,
  n: number,
  o: {
    concurrency?: number;
    onEvent?: (e: FanOutEvent<string, KeyRecord>) => void;
    signal?: AbortSignal;
  } = {},
): Promise<string[]> {
  const signal = o.signal === undefined ? {} : { signal: o.signal };
  const settled = await Promise.allSettled([
    keyring.create(BAO_DEFAULT_ACCOUNT, signal),
    n > 1
      ? keyring.createBatch({
          prefix: PARALLEL_WORKER_PREFIX,
          count: n - 1,
          ...signal,
          ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
          ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
        })
      : undefined,
  ]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return workerNames(n);
}
