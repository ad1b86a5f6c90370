/**
 * `fanout bao demo`: the Celestia parallel-worker pattern against a simulated OpenBao — worker 0
 * is the default account (key `default`), workers 1..N-1 are `parallel-worker-1..N-1` made with
 * one createBatch beside it (with `namedWorkers`: `parallel-worker-1..N`, all from one createBatch,
 * no default account) — then one signBatch spread over the workers, every signature checked
 * independently against the server's public keys.
 *
 * It runs through the kernel's runner as a one-off scenario: sim in virtual time (deterministic
 * per seed, trace hash printed), live over real HTTP to the simulator on 127.0.0.1 through
 * BaoClient's pooled undici fetch. "One at a time" is the kernel's sequential twin (the same
 * demo with every fan-out at concurrency 1), not a sum of durations.
 */
import { z } from 'zod';
import { BatchPartialFailureError, type SignRequest } from '@fanout/bao-keyring';
import { defineScenario, type RunContext } from '../kernel/define.js';
import { parseOptions } from '../kernel/options.js';
import { runScenario } from '../kernel/run.js';
import type { CommandIO, Demo } from '../kernel/system.js';
import type { RunResult } from '../kernel/types.js';
import { everySignatureVerifies } from './checks/signing.js';
import { expectRequest } from './oracle.js';
import {
  BAO_DEFAULT_ACCOUNT,
  PARALLEL_WORKER_PREFIX,
  describeWorkerKeys,
  workerNames,
  workerTx,
} from './workers.js';
import { buildBaoWorld, type BaoParties } from './world.js';
import { baoBehave } from './plan.js';

const demoOptions = z
  .object({
    workers: z
      .number()
      .int()
      .min(1)
      .max(101)
      .default(4)
      .describe('worker accounts N, the default account included'),
    namedWorkers: z
      .boolean()
      .default(false)
      .describe('create parallel-worker-1..N (one createBatch of N, N ≤ 100) and no default account'),
    mode: z
      .enum(['sim', 'live'])
      .default('sim')
      .describe('sim: in-process, virtual time; live: real HTTP on 127.0.0.1'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(0xffff_ffff)
      .default(1)
      .describe('seed of the simulated server (keys, latency draws)'),
    signs: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe('transactions to sign (default 2 per worker)'),
    signLatency: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(50)
      .describe('time the simulated Bao spends per sign, ms'),
    sequential: z
      .boolean()
      .optional()
      .describe(
        'also run the same demo one request at a time for the speedup (default: when signs ≤ 1000 and, live, signs × sign latency ≤ 10 s)',
      ),
  })
  .refine((o) => !o.namedWorkers || o.workers <= 100, {
    path: ['workers'],
    message: 'must be an integer in 1..100 with --named-workers (createBatch creates at most 100)',
  });

/** The demo's options (the CLI's flags). */
export type BaoDemoOptions = z.output<typeof demoOptions>;

/** What the demo did (the main run; the sequential twin reports only its time). */
export interface BaoDemoReport {
  readonly address: string;
  /** Accounts, worker 0 first, with their Cosmos address (hex; '' when not created). */
  readonly accounts: readonly { name: string; address: string }[];
  readonly createFailed: readonly string[];
  /** Time of the create phase, ms on the world's clock. */
  readonly createMs: number;
  readonly signs: number;
  readonly signed: number;
  /** Signatures that verify independently against the server's public key. */
  readonly verified: number;
  readonly signFailed: number;
  /** Time of the signBatch, ms on the world's clock. */
  readonly signMs: number;
  /** Highest number of requests in flight at the server during the sign batch. */
  readonly peakInFlight: number;
  /** Requests the server received in total. */
  readonly serverRequests: number;
}

type DemoCtx = RunContext<Record<string, unknown>, string>;

/** Create the worker keys side by side: `default` with create, the rest with one createBatch. */
async function createWorkers(ctx: DemoCtx, parties: BaoParties, names: readonly string[], named: boolean) {
  const failed: string[] = [];
  const batch = named ? names : names.slice(1);
  const conc = ctx.sequential ? { concurrency: 1 } : {};
  await Promise.all([
    named
      ? undefined
      : parties.keyring.create(BAO_DEFAULT_ACCOUNT, { signal: ctx.signal }).catch(() => {
          failed.push(BAO_DEFAULT_ACCOUNT);
        }),
    batch.length === 0
      ? undefined
      : parties.keyring
          .createBatch({
            prefix: PARALLEL_WORKER_PREFIX,
            count: batch.length,
            ...conc,
            onEvent: ctx.fanOutEvents('createBatch', batch),
            signal: ctx.signal,
          })
          .catch((e: unknown) => {
            if (!(e instanceof BatchPartialFailureError)) throw e;
            failed.push(...e.failed);
          }),
  ]);
  return failed;
}

/** One demo run in `ctx.world` (the main run fills `out.report`; the twin only its latency). */
async function demoRun(ctx: DemoCtx, o: BaoDemoOptions, out: { report?: BaoDemoReport }): Promise<void> {
  const parties = await buildBaoWorld(ctx.world, { pooled: true, seededKeys: true });
  const names = workerNames(o.workers, o.namedWorkers);
  const batchCount = o.namedWorkers ? o.workers : o.workers - 1;
  ctx.phase(
    `creating ${o.workers} key(s): ${describeWorkerKeys(o.workers, o.namedWorkers)}${batchCount > 0 ? ` (createBatch of ${batchCount})` : ''}`,
  );
  const c0 = ctx.world.clock.now();
  const createFailed = await createWorkers(ctx, parties, names, o.namedWorkers);
  const createMs = ctx.world.clock.now() - c0;
  const usable = names.filter((n) => !createFailed.includes(n));
  const signs = usable.length === 0 ? 0 : (o.signs ?? 2 * o.workers);
  const requests: SignRequest[] = Array.from({ length: signs }, (_, k) => {
    const uid = usable[k % usable.length]!;
    return { uid, msg: workerTx(uid, Math.floor(k / usable.length)) };
  });
  ctx.phase(`signing ${requests.length} transaction(s) over ${usable.length} worker(s)`);
  const createRequests = parties.sim.counters().total;
  parties.sim.resetCounters();
  const p0 = ctx.world.elapsed();
  const s0 = ctx.world.clock.now();
  const results = await parties.keyring.signBatch(requests, {
    ...(ctx.sequential ? { concurrency: 1 } : {}),
    onEvent: ctx.fanOutEvents(
      'signBatch',
      requests.map((r, k) => `tx ${k + 1} ${r.uid} seq ${Math.floor(k / usable.length)}`),
    ),
    signal: ctx.signal,
  });
  const signMs = ctx.world.clock.now() - s0;
  ctx.latency(signMs);
  if (ctx.sequential) return;
  const pubs = parties.oraclePubs();
  const at = { fromMs: p0, toMs: ctx.world.elapsed() + 1 };
  const exp = requests.map((q) =>
    expectRequest(ctx.world.view, { route: 'sign', key: q.uid, at, timeoutMs: parties.timeoutMs }),
  );
  const verified = results.filter((r, i) =>
    parties.verify(pubs.get(r.uid) ?? new Uint8Array(33), requests[i]!.msg, r.signature),
  ).length;
  const g = everySignatureVerifies(parties.verify, pubs, requests, results, (i) => exp[i]!);
  ctx.check('every-signature-verifies', g.held && verified === requests.length, g.detail);
  ctx.check(
    'every-key-created',
    createFailed.length === 0 && names.every((n) => pubs.has(n)),
    createFailed.length === 0
      ? `${names.length} keys on the server`
      : `not created: ${createFailed.join(', ')}`,
  );
  const counters = parties.sim.counters();
  out.report = {
    address: parties.address,
    accounts: names.map((name) => ({ name, address: parties.keyring.store.get(name)?.address ?? '' })),
    createFailed,
    createMs,
    signs: requests.length,
    signed: results.filter((r) => r.signature !== undefined).length,
    verified,
    signFailed: results.filter((r) => r.signature === undefined).length,
    signMs,
    peakInFlight: counters.peakInFlight,
    serverRequests: createRequests + counters.total,
  };
}

/** The demo as a one-off scenario of the runner; its report lands in `out`. */
function demoScenario(o: BaoDemoOptions, out: { report?: BaoDemoReport }) {
  return defineScenario({
    name: 'bao.demo',
    title: 'the parallel-worker demo',
    guarantees: ['every-key-created', 'every-signature-verifies'] as const,
    plan: ({ mode }) => ({
      description: `bao demo: signs take ${o.signLatency} ms at the server`,
      ...(mode === 'sim' ? { latency: { default: { kind: 'normal' as const, meanMs: 8, sdMs: 2 } } } : {}),
      rules: [baoBehave.latency(o.signLatency, { route: 'sign' })],
    }),
    run: (ctx) => demoRun(ctx, o, out),
  });
}

/** Whether the demo runs its sequential twin by default (see the `sequential` option). */
export function demoTwinByDefault(o: BaoDemoOptions): boolean {
  const signs = o.signs ?? 2 * o.workers;
  return signs <= 1000 && (o.mode === 'sim' || signs * o.signLatency <= 10_000);
}

/**
 * Run the demo once (and its twin), without printing.
 * @returns the kernel's run result (guarantees, trace hash in sim, sequentialMs with the twin)
 *   and the demo's report (undefined when the run threw: see the 'ran-to-completion' check).
 * @throws OptionsError naming every bad option (e.g. `workers: must be an integer in 1..100 with
 *   --named-workers`).
 */
export async function runBaoDemo(
  options: z.input<typeof demoOptions>,
  io: Pick<CommandIO, 'onEvent'> & Partial<Pick<CommandIO, 'signal' | 'wallNow'>> = { onEvent: () => {} },
): Promise<{ result: RunResult; report: BaoDemoReport | undefined; options: BaoDemoOptions }> {
  const o = parseOptions(demoOptions, options, 'bao demo options');
  const out: { report?: BaoDemoReport } = {};
  const result = await runScenario(demoScenario(o, out), {
    seed: o.seed,
    mode: o.mode,
    baseline: o.sequential ?? demoTwinByDefault(o),
    onEvent: io.onEvent,
    ...(io.signal !== undefined && { signal: io.signal }),
    ...(io.wallNow !== undefined && { wallNow: io.wallNow }),
  });
  return { result, report: out.report, options: o };
}

/** The demo's summary lines (what the old CLI printed as its totals). */
export function demoSummary(o: BaoDemoOptions, r: BaoDemoReport, result: RunResult): string[] {
  const unit = o.mode === 'sim' ? 'virtual ms' : 'ms';
  const lines = [`Totals (${o.mode === 'sim' ? 'virtual time' : 'wall time'}, Bao at ${r.address})`];
  for (const [i, a] of r.accounts.entries()) {
    const failed = r.createFailed.includes(a.name);
    lines.push(
      `  worker ${String(i).padStart(2)}  ${a.name.padEnd(22)} ${failed ? 'not created' : `address ${a.address}`}`,
    );
  }
  const created = r.accounts.length - r.createFailed.length;
  lines.push(`  keys created     ${created}/${r.accounts.length} in ${r.createMs.toFixed(1)} ${unit}`);
  lines.push(
    `  signatures       ${r.signed}/${r.signs} signed, ${r.verified} verified independently, ${r.signFailed} failed`,
  );
  const seq = result.sequentialMs;
  lines.push(
    `  signBatch        ${r.signMs.toFixed(1)} ${unit}` +
      (seq === undefined
        ? '; one at a time: not run (--sequential to run it)'
        : `; one at a time (the sequential twin) ${seq.toFixed(1)} ${unit}` +
          (r.signMs > 0 ? ` (${(seq / r.signMs).toFixed(1)}× faster)` : '')),
  );
  lines.push(
    `  server           peak ${r.peakInFlight} sign request(s) in flight, ${r.serverRequests} requests in all`,
  );
  if (result.traceHash !== undefined)
    lines.push(`  trace            sha256 ${result.traceHash} (same seed, same hash)`);
  return lines;
}

/** The Bao demo (`fanout bao demo`): see the module docstring. */
export const baoDemo: Demo<typeof demoOptions> = {
  description:
    'create key default (worker 0) + parallel-worker-1..N-1 (one createBatch), then sign a batch with signBatch',
  options: demoOptions,
  async run(options, io) {
    const wall0 = io.wallNow();
    io.log(
      `fanout bao demo: ${options.workers} worker(s) = keys ${describeWorkerKeys(options.workers, options.namedWorkers)}, mode ${options.mode}, seed ${options.seed}` +
        (options.mode === 'sim'
          ? ' (in-process Bao simulator, virtual time, deterministic)'
          : ' (Bao simulator over real HTTP on 127.0.0.1, wall time)'),
    );
    const { result, report } = await runBaoDemo(options, io);
    if (report !== undefined) for (const l of demoSummary(options, report, result)) io.log(l);
    for (const g of result.guarantees.filter((x) => !x.held))
      io.log(`  VIOLATED ${g.name}: ${g.detail ?? ''}`);
    io.log(`  ran in ${(io.wallNow() - wall0).toFixed(0)} ms of wall time`);
    io.log(result.held ? 'All keys created, every signature verified.' : 'Some keys or signatures failed.');
    return result.held ? 0 : 1;
  },
};
