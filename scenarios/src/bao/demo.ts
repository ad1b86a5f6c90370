/**
 * The Bao parallel-workers demo behind `fanout bao demo`: a fresh simulated OpenBao, the Celestia
 * worker keys (worker 0 = the default account `default`, workers 1..N-1 = `parallel-worker-1..N-1`
 * made with one createBatch; with `namedWorkers` every worker is `parallel-worker-1..N`, all from
 * one createBatch, and there is no default account), then one signBatch spread over the workers,
 * every signature checked independently.
 * Sim mode runs in virtual time (deterministic per seed); live mode talks real HTTP to a simulator
 * on 127.0.0.1 through BaoClient's pooled undici fetch.
 */
import type { FanOutEvent } from '@fanout/core';
import type { SignRequest } from '@fanout/bao-keyring';
import type { LatencySpec } from '@fanout/sim';
import type { Mode } from '../framework.js';
import { BAO_DEFAULT_ACCOUNT, PARALLEL_WORKER_PREFIX, workerTx } from './scenarios.js';
import { buildBaoWorld } from './world.js';

/**
 * The keys the demo creates, in words: `default (worker 0) + parallel-worker-1..3` for 4 workers,
 * `parallel-worker-1..4` with `namedWorkers`.
 */
export function describeDemoKeys(workers: number, namedWorkers = false): string {
  const range = (n: number): string =>
    n === 1 ? `${PARALLEL_WORKER_PREFIX}-1` : `${PARALLEL_WORKER_PREFIX}-1..${n}`;
  if (namedWorkers) return range(workers);
  return workers === 1
    ? `${BAO_DEFAULT_ACCOUNT} (worker 0)`
    : `${BAO_DEFAULT_ACCOUNT} (worker 0) + ${range(workers - 1)}`;
}

/** Options of {@link runBaoDemo}. */
export interface BaoDemoOptions {
  /** Worker accounts, 1..101 (worker 0 is the default account); 1..100 with `namedWorkers`. */
  workers: number;
  /**
   * false (default): Celestia's pattern, `default` + `parallel-worker-1..N-1`. true: the keys are
   * `parallel-worker-1..N` (one createBatch of N), no default account.
   */
  namedWorkers?: boolean;
  mode: Mode;
  /** Seed of the world (keys, latency draws). */
  seed: number;
  /** Sign requests in the batch, 1..10 000, spread round-robin over the workers. Default 2 × workers. */
  signs?: number;
  /** Time the simulated Bao spends per sign, ms (fault hook latency). Default 50. */
  signLatencyMs?: number;
  /** Round-trip network latency (fault plan). Default: sim normal 8 ± 2 ms; live none (real loopback). */
  networkLatency?: LatencySpec;
  /** Progress, synchronous. */
  onProgress?: (event: BaoDemoEvent) => void;
}

/** Progress of the demo. Times are world ms (virtual in sim, wall since start in live). */
export type BaoDemoEvent =
  | { type: 'phase'; phase: 'create' | 'sign'; title: string; labels: readonly string[] }
  | {
      type: 'item';
      phase: 'create' | 'sign';
      index: number;
      label: string;
      status: 'started' | 'ok' | 'failed';
      atMs: number;
      durationMs?: number;
      detail?: string;
    };

/** What the demo did. */
export interface BaoDemoReport {
  readonly mode: Mode;
  readonly seed: number;
  readonly address: string;
  /** Accounts, worker 0 first, with their Cosmos address (hex). */
  readonly accounts: readonly { name: string; address: string }[];
  /** Keys that failed to be created. */
  readonly createFailed: readonly string[];
  readonly createMs: number;
  readonly signs: number;
  readonly signed: number;
  /** Signatures that verify independently against the server's public key. */
  readonly verified: number;
  readonly signFailed: number;
  /** Wall/virtual time of the whole signBatch, ms. */
  readonly signMs: number;
  /** Sum of the individual sign durations: what one-at-a-time signing would have cost, ms. */
  readonly sequentialEstimateMs: number;
  /** Highest number of requests in flight at the server during the sign batch. */
  readonly peakInFlight: number;
  /** Requests the server received in total. */
  readonly serverRequests: number;
}

/** Thrown for demo options out of range; `field` names the option. */
export class BaoDemoOptionError extends Error {
  override readonly name = 'BaoDemoOptionError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function intIn(field: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new BaoDemoOptionError(field, `must be an integer in ${min}..${max}, got ${String(v)}`);
  return v;
}

/**
 * Run the demo.
 * @throws BaoDemoOptionError for options out of range; a network/listen error in live mode.
 */
export async function runBaoDemo(o: BaoDemoOptions): Promise<BaoDemoReport> {
  const named = o.namedWorkers ?? false;
  const workers = intIn('workers', o.workers, 1, named ? 100 : 101);
  const signs = intIn('signs', o.signs ?? 2 * workers, 1, 10_000);
  const signLatencyMs = o.signLatencyMs ?? 50;
  if (!(signLatencyMs >= 0)) throw new BaoDemoOptionError('signLatencyMs', 'must be >= 0');
  const latency = o.networkLatency ?? (o.mode === 'sim' ? { kind: 'normal', meanMs: 8, sdMs: 2 } : undefined);
  const world = await buildBaoWorld({
    seed: o.seed,
    mode: o.mode,
    ...(latency === undefined ? {} : { latency }),
    hooks: [{ match: { route: 'sign' }, latencyMs: signLatencyMs }],
    wire: false,
  });
  const emit = o.onProgress ?? (() => undefined);
  try {
    const batchCount = named ? workers : workers - 1;
    const names = [
      ...(named ? [] : [BAO_DEFAULT_ACCOUNT]),
      ...Array.from({ length: batchCount }, (_, i) => `${PARALLEL_WORKER_PREFIX}-${i + 1}`),
    ];
    const labels = names.map((n, i) => (i === 0 && !named ? `${n} (worker 0)` : n));

    // Create: worker 0 on its own, workers 1..N-1 with one createBatch, side by side (named: all N
    // with the createBatch).
    emit({
      type: 'phase',
      phase: 'create',
      title: `creating ${workers} key(s): ${describeDemoKeys(workers, named)}${batchCount > 0 ? ` (createBatch of ${batchCount})` : ''}`,
      labels,
    });
    const c0 = world.elapsed();
    const createFailed: string[] = [];
    const itemEvent =
      (phase: 'create' | 'sign', offset: number, label: (i: number) => string, base: number) =>
      (e: FanOutEvent<unknown, unknown>) => {
        if (e.type === 'attempt')
          emit({
            type: 'item',
            phase,
            index: e.index + offset,
            label: label(e.index + offset),
            status: 'started',
            atMs: e.at - base,
          });
        else if (e.type === 'settled') {
          const ok = e.outcome.status === 'fulfilled';
          const err = 'error' in e.outcome ? e.outcome.error : undefined;
          emit({
            type: 'item',
            phase,
            index: e.index + offset,
            label: label(e.index + offset),
            status: ok ? 'ok' : 'failed',
            atMs: e.at - base,
            durationMs: e.outcome.durationMs,
            ...(ok ? {} : { detail: err instanceof Error ? err.message : String(err) }),
          });
        }
      };
    const createDefault = (async () => {
      if (named) return;
      emit({ type: 'item', phase: 'create', index: 0, label: labels[0]!, status: 'started', atMs: 0 });
      const s0 = world.elapsed();
      try {
        await world.keyring.create(BAO_DEFAULT_ACCOUNT);
        emit({
          type: 'item',
          phase: 'create',
          index: 0,
          label: labels[0]!,
          status: 'ok',
          atMs: world.elapsed() - c0,
          durationMs: world.elapsed() - s0,
        });
      } catch (e) {
        createFailed.push(BAO_DEFAULT_ACCOUNT);
        emit({
          type: 'item',
          phase: 'create',
          index: 0,
          label: labels[0]!,
          status: 'failed',
          atMs: world.elapsed() - c0,
          detail: (e as Error).message,
        });
      }
    })();
    const createWorkers =
      batchCount > 0
        ? world.keyring
            .createBatch({
              prefix: PARALLEL_WORKER_PREFIX,
              count: batchCount,
              onEvent: itemEvent('create', named ? 0 : 1, (i) => labels[i]!, c0),
            })
            .catch((e: unknown) => {
              const failed = (e as { failed?: readonly string[] }).failed;
              if (failed === undefined) throw e;
              createFailed.push(...failed);
            })
        : Promise.resolve();
    await Promise.all([createDefault, createWorkers]);
    const createMs = world.elapsed() - c0;

    // Sign: one batch, requests round-robin over the workers (each worker's own sequence).
    const usable = names.filter((n) => !createFailed.includes(n));
    const requests: SignRequest[] = Array.from({ length: usable.length === 0 ? 0 : signs }, (_, k) => {
      const uid = usable[k % usable.length]!;
      return { uid, msg: workerTx(uid, Math.floor(k / usable.length)) };
    });
    const signLabels = requests.map((r, k) => `tx ${k + 1} ${r.uid} seq ${Math.floor(k / usable.length)}`);
    emit({
      type: 'phase',
      phase: 'sign',
      title: `signing ${requests.length} transaction(s) over ${usable.length} worker(s)`,
      labels: signLabels,
    });
    const createRequests = world.sim.counters().total;
    world.sim.resetCounters();
    const s0 = world.elapsed();
    const results = await world.keyring.signBatch(requests, {
      onEvent: itemEvent('sign', 0, (i) => signLabels[i]!, s0),
    });
    const signMs = world.elapsed() - s0;
    const pubs = new Map(world.oracleKeys().map((k) => [k.name, k.publicKey]));
    const verified = results.filter((r, i) =>
      world.verify(pubs.get(r.uid)!, requests[i]!.msg, r.signature),
    ).length;
    const counters = world.sim.counters();
    return {
      mode: o.mode,
      seed: o.seed,
      address: world.address,
      accounts: names.map((name) => {
        const rec = world.keyring.store.get(name);
        return { name, address: rec?.address ?? '' };
      }),
      createFailed,
      createMs,
      signs: requests.length,
      signed: results.filter((r) => r.signature !== undefined).length,
      verified,
      signFailed: results.filter((r) => r.signature === undefined).length,
      signMs,
      sequentialEstimateMs: results.reduce((a, r) => a + r.durationMs, 0),
      peakInFlight: counters.peakInFlight,
      serverRequests: createRequests + counters.total,
    };
  } finally {
    await world.close();
  }
}
