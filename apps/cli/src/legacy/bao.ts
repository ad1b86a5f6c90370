/**
 * `fanout bao demo` — the Celestia parallel-worker pattern against a simulated OpenBao with the
 * secp256k1 plugin: worker 0 is the default account (key `default`), workers 1..N-1 are
 * `parallel-worker-1..N-1`, created with one createBatch (so `--workers 4` creates `default` +
 * `parallel-worker-1..3`; `--named-workers` creates `parallel-worker-1..N` instead, no default
 * account), then a batch of transactions is signed with one signBatch.
 *
 *   fanout bao demo [--workers 4] [--named-workers] [--mode sim|live] [--seed N] [--signs N] [--sign-latency MS]
 *
 * sim: in-process, virtual time (deterministic per seed). live: real HTTP to a simulator started on
 * 127.0.0.1 (ephemeral port), through BaoClient's pooled undici fetch. Progress: a live board on a
 * TTY, one line per settled item otherwise (CI, pipes). Exit code 1 when any key or signature failed.
 */
import { InvalidArgumentError, Option } from 'commander';
import logUpdate from 'log-update';
import pc from 'picocolors';
import { realClock } from '@fanout/core';
import { parseSeed } from '@fanout/sim';
import {
  describeDemoKeys,
  runBaoDemo,
  type BaoDemoEvent,
  type BaoDemoReport,
  type Mode,
} from '@fanout/scenarios/legacy';
import type { Register } from './index.js';

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

type RowState = 'idle' | 'started' | 'ok' | 'failed';
const GLYPH: Record<RowState, string> = {
  idle: pc.dim('·'),
  started: pc.yellow('⏳'),
  ok: pc.green('✅'),
  failed: pc.red('✖'),
};
/** Rows shown on the TTY board at most; the rest are summed up in one line. */
const MAX_ROWS = 24;

/**
 * Progress for one phase: a redrawn board on a TTY (at most every 80 ms of wall time), one
 * plain line per settled item otherwise.
 */
class PhaseBoard {
  #title = '';
  #labels: readonly string[] = [];
  #state: RowState[] = [];
  #ms: (number | undefined)[] = [];
  #detail: (string | undefined)[] = [];
  #lastDraw = 0;
  constructor(readonly interactive: boolean) {}

  start(title: string, labels: readonly string[]): void {
    this.finish();
    this.#title = title;
    this.#labels = labels;
    this.#state = labels.map(() => 'idle');
    this.#ms = labels.map(() => undefined);
    this.#detail = labels.map(() => undefined);
    if (this.interactive) this.#draw(true);
    else console.log(pc.bold(title));
  }

  item(e: Extract<BaoDemoEvent, { type: 'item' }>): void {
    this.#state[e.index] = e.status;
    if (e.durationMs !== undefined) this.#ms[e.index] = e.durationMs;
    if (e.detail !== undefined) this.#detail[e.index] = e.detail;
    if (this.interactive) this.#draw(false);
    else if (e.status !== 'started') {
      const status = e.status === 'ok' ? pc.green('ok') : pc.red('FAILED');
      const detail = e.detail === undefined ? '' : ` (${e.detail})`;
      console.log(
        `  ${e.label} ${status} at ${e.atMs.toFixed(1)} ms, took ${(e.durationMs ?? 0).toFixed(1)} ms${detail}`,
      );
    }
  }

  finish(): void {
    if (this.interactive && this.#labels.length > 0) {
      this.#draw(true);
      logUpdate.done();
      this.#labels = [];
    }
  }

  #draw(force: boolean): void {
    const now = realClock.now();
    if (!force && now - this.#lastDraw < 80) return;
    this.#lastDraw = now;
    const width = Math.max(...this.#labels.slice(0, MAX_ROWS).map((l) => l.length), 8);
    const rows = this.#labels.slice(0, MAX_ROWS).map((l, i) => {
      const ms = this.#ms[i];
      const tail = ms === undefined ? '' : pc.dim(`${ms.toFixed(1).padStart(8)} ms`);
      const detail = this.#detail[i] === undefined ? '' : pc.red(`  ${this.#detail[i]}`);
      return `  ${GLYPH[this.#state[i]!]} ${l.padEnd(width)} ${tail}${detail}`;
    });
    const rest = this.#state.slice(MAX_ROWS);
    if (rest.length > 0) {
      const count = (s: RowState) => rest.filter((x) => x === s).length;
      rows.push(
        pc.dim(
          `  … ${rest.length} more: ${count('ok')} ok, ${count('failed')} failed, ${count('started')} in flight`,
        ),
      );
    }
    const done = this.#state.filter((s) => s === 'ok' || s === 'failed').length;
    logUpdate(`${pc.bold(this.#title)} ${pc.dim(`${done}/${this.#labels.length}`)}\n${rows.join('\n')}`);
  }
}

function printTotals(r: BaoDemoReport, wallMs: number): void {
  const unit = r.mode === 'sim' ? 'virtual ms' : 'ms';
  console.log(
    `\n${pc.bold('Totals')} (${r.mode === 'sim' ? 'virtual time' : 'wall time'}, Bao at ${r.address})`,
  );
  for (const [i, a] of r.accounts.entries()) {
    const failed = r.createFailed.includes(a.name);
    console.log(
      `  worker ${String(i).padStart(2)}  ${a.name.padEnd(22)} ${failed ? pc.red('not created') : pc.dim(`address ${a.address}`)}`,
    );
  }
  const created = r.accounts.length - r.createFailed.length;
  console.log(`  keys created     ${created}/${r.accounts.length} in ${r.createMs.toFixed(1)} ${unit}`);
  console.log(
    `  signatures       ${r.signed}/${r.signs} signed, ${r.verified} verified independently, ${r.signFailed} failed`,
  );
  const speedup = r.signMs > 0 ? r.sequentialEstimateMs / r.signMs : NaN;
  console.log(
    `  signBatch        ${r.signMs.toFixed(1)} ${unit}; one at a time ≈ ${r.sequentialEstimateMs.toFixed(1)} ${unit}` +
      (Number.isFinite(speedup) ? ` (${speedup.toFixed(1)}× faster)` : ''),
  );
  console.log(
    `  server           peak ${r.peakInFlight} sign request(s) in flight, ${r.serverRequests} requests in all`,
  );
  console.log(pc.dim(`  ran in ${wallMs.toFixed(0)} ms of wall time`));
}

export const registerBao: Register = (program, exit) => {
  const bao = program
    .command('bao')
    .description('Bao keyring (OpenBao secp256k1 plugin) against a simulated server');
  bao
    .command('demo')
    .description(
      'create key default (worker 0) + parallel-worker-1..N-1 (one createBatch), then sign a batch with signBatch',
    )
    .option(
      '--workers <n>',
      'worker accounts N, the default account included',
      intArg('--workers', 1, 101),
      4,
    )
    .option(
      '--named-workers',
      'create parallel-worker-1..N (one createBatch of N, N ≤ 100) and no default account',
      false,
    )
    .addOption(
      new Option('--mode <mode>', 'sim: in-process, virtual time; live: real HTTP on 127.0.0.1')
        .choices(['sim', 'live'])
        .default('sim'),
    )
    .option('--seed <n>', 'seed of the simulated server (keys, latency draws)', (v) => parseSeed(v), 1)
    .option('--signs <n>', 'transactions to sign (default 2 per worker)', intArg('--signs', 1, 10_000))
    .option(
      '--sign-latency <ms>',
      'time the simulated Bao spends per sign',
      intArg('--sign-latency', 0, 60_000),
      50,
    )
    .action(
      async (o: {
        workers: number;
        namedWorkers: boolean;
        mode: Mode;
        seed: number;
        signs?: number;
        signLatency: number;
      }) => {
        const interactive = process.stdout.isTTY === true && process.env.CI === undefined;
        if (o.namedWorkers && o.workers > 100) {
          console.error(
            '--workers must be an integer in 1..100 with --named-workers (createBatch creates at most 100)',
          );
          exit(1);
          return;
        }
        console.log(
          `${pc.bold('fanout bao demo')}: ${o.workers} worker(s) = keys ${describeDemoKeys(o.workers, o.namedWorkers)}, mode ${o.mode}, seed ${o.seed}` +
            (o.mode === 'sim'
              ? ' (in-process Bao simulator, virtual time, deterministic)'
              : ' (Bao simulator over real HTTP on 127.0.0.1, wall time)'),
        );
        const board = new PhaseBoard(interactive);
        const wall0 = realClock.now();
        let report: BaoDemoReport;
        try {
          report = await runBaoDemo({
            workers: o.workers,
            namedWorkers: o.namedWorkers,
            mode: o.mode,
            seed: o.seed,
            ...(o.signs === undefined ? {} : { signs: o.signs }),
            signLatencyMs: o.signLatency,
            onProgress: (e) => (e.type === 'phase' ? board.start(e.title, e.labels) : board.item(e)),
          });
        } finally {
          board.finish();
        }
        printTotals(report, realClock.now() - wall0);
        const ok =
          report.createFailed.length === 0 && report.signFailed === 0 && report.verified === report.signs;
        console.log(
          ok
            ? pc.green('\nAll keys created, every signature verified.')
            : pc.red('\nSome keys or signatures failed.'),
        );
        exit(ok ? 0 : 1);
      },
    );
};
