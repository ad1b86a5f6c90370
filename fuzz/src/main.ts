/**
 * `pnpm fuzz`: the decoder phase (worker threads, fast-check) and the live phase (server child
 * processes on 127.0.0.1) run side by side; the figures are printed (and written as JSON with
 * `--json`), every finding with its input and how to reproduce it. Exit 0 when nothing was found,
 * 1 on any crash, hang, leak, auth bypass or broken rule, 2 on a usage error.
 */
import { writeFileSync } from 'node:fs';
import { HELP, parseOptions, UsageError, type Options } from './cli.js';
import { runDecoderPlan, type PlannedTarget } from './decoders/pool.js';
import { decoderTarget, decoderNames } from './decoders/registry.js';
import type { DriveResult } from './decoders/drive.js';
import { driveLive, type LiveResult } from './live/drive.js';
import { startServerProcess, type ServerProcess } from './live/process.js';
import type { ServerKind } from './live/servers.js';
import { printDecoderResult, printLiveResult, printSummary } from './print.js';

const SERVERS: readonly ServerKind[] = ['raida', 'dht', 'hubert', 'bao', 'prime'];

/** The decoder plan: inputs per target (quick: the budget divided by the target's cost). */
function decoderPlan(o: Options): PlannedTarget[] {
  return decoderNames()
    .filter((n) => o.only === undefined || o.only.includes(`decoder:${n}`))
    .map((name) => {
      const cost = decoderTarget(name).cost;
      const numRuns =
        o.path !== undefined
          ? 1
          : o.quick && !o.explicitInputs
            ? Math.max(200, Math.round(o.budget.decoderInputs / cost))
            : o.budget.decoderInputs;
      return { name, numRuns, cost };
    });
}

async function main(argv: readonly string[]): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(argv, { decoders: decoderNames(), servers: [...SERVERS] });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`fuzz: ${e.message}\nTry: pnpm fuzz --help\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (o.list) {
    process.stdout.write(
      `${decoderNames()
        .map((n) => `decoder:${n}  ${decoderTarget(n).drives}`)
        .join('\n')}\n${SERVERS.map((s) => `server:${s}`).join('\n')}\n`,
    );
    return 0;
  }
  const t0 = performance.now();
  const b = o.budget;
  console.log(
    `fanout fuzz — ${o.quick ? 'quick' : 'full'} mode, seed ${o.seed}\n` +
      `  decoders: ${o.quick ? `~${b.decoderInputs} / cost` : b.decoderInputs} inputs each, ${b.jobs} worker(s); ` +
      `UDP: ${b.udp.rounds} × ${b.udp.perRound} datagrams; HTTP: ${b.http.rounds} × ${b.http.perRound} requests, ` +
      `${b.halfOpen} half-open connections per round\n` +
      `  rerun: pnpm fuzz${o.quick ? ' --quick' : ''} --seed ${o.seed}${o.only === undefined ? '' : ` --only ${o.only.join(',')}`}`,
  );
  const plan = decoderPlan(o);
  const servers = SERVERS.filter((s) => o.only === undefined || o.only.includes(`server:${s}`));
  // Children start now (seconds each), while the decoders run.
  const started = new Map<ServerKind, Promise<ServerProcess>>();
  for (const s of servers) {
    const p = startServerProcess(s, o.seed);
    p.catch(() => undefined); // reported by driveLive
    started.set(s, p);
  }
  const decoderPhase =
    plan.length === 0
      ? Promise.resolve<DriveResult[]>([])
      : runDecoderPlan(plan, {
          seed: o.seed,
          ...(o.path === undefined ? {} : { path: o.path, restart: o.restart }),
          jobs: b.jobs,
          hangMs: b.decoderHangMs,
          heapMb: 2048,
          onResult: (r) => printDecoderResult(r, o),
        });
  const livePhase = (async (): Promise<LiveResult[]> => {
    const out: LiveResult[] = [];
    for (const server of servers) {
      const udp = server === 'raida' || server === 'dht';
      const r = await driveLive(
        {
          server,
          rounds: udp ? b.udp.rounds : b.http.rounds,
          perRound: udp ? b.udp.perRound : b.http.perRound,
        },
        {
          seed: o.seed,
          findingsDir: o.findings,
          rssLimitMb: b.rssLimitMb,
          halfOpen: b.halfOpen,
          concurrency: b.concurrency,
          timeoutMs: b.requestTimeoutMs,
          onRound: (s, n, line) => console.log(`  [${s}] round ${n}: ${line}`),
        },
        started.get(server),
      );
      printLiveResult(r, o);
      out.push(r);
    }
    return out;
  })();
  const [decoders, live] = await Promise.all([decoderPhase, livePhase]);
  const durationMs = performance.now() - t0;
  const failed = printSummary(decoders, live, o, durationMs);
  if (o.json !== undefined)
    writeFileSync(
      o.json,
      `${JSON.stringify({ mode: o.quick ? 'quick' : 'full', seed: o.seed, budget: b, durationMs, decoders, live }, null, 2)}\n`,
    );
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
