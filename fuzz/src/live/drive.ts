/**
 * The live phase for one server: start it in a child process, check the canary, then rounds of
 * inputs, each followed by: did the process die (crash), what did it swallow (events), does the
 * canary still read back and sign, and its RSS after a full GC against the RSS before the first
 * round (leak when it grew by more than the limit). An unanswered request or IPC call is a hang.
 */
import type { ServerKind } from './servers.js';
import { dhtSession, raidaSession } from './udp-targets.js';
import { baoSession, hubertSession, primeSession, type HttpSessionOptions } from './http-targets.js';
import { ServerDiedError, ServerHangError, startServerProcess, type ServerProcess } from './process.js';
import { LiveRecorder, type Finding } from './report.js';
import type { LiveSession } from './session.js';
import type { ServerEvent } from './servers.js';

/** What to run against one server. */
export interface LivePlan {
  readonly server: ServerKind;
  readonly rounds: number;
  /** Inputs per round. */
  readonly perRound: number;
}

/** Options of {@link driveLive}. */
export interface LiveOptions {
  readonly seed: number;
  readonly findingsDir: string;
  /** RSS growth (after GC) over the pre-fuzz RSS that counts as a leak, MB. */
  readonly rssLimitMb: number;
  /** Half-open connections per HTTP round (≤ 200). */
  readonly halfOpen: number;
  readonly concurrency: number;
  /** No answer within this long = a hang, ms. */
  readonly timeoutMs: number;
  /** Called after each round with a one-line summary. */
  readonly onRound?: (server: string, round: number, line: string) => void;
}

/** The outcome of one server's live phase. */
export interface LiveResult {
  readonly server: ServerKind;
  readonly unit: 'datagrams' | 'requests';
  readonly sent: number;
  readonly answered: number;
  readonly rounds: number;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly findings: readonly Finding[];
  readonly checks: readonly string[];
  /** RSS after setup, before any fuzz input, MB (after GC). */
  readonly rssStartMb: number;
  /** RSS after the last round, MB (after GC). */
  readonly rssEndMb: number;
  readonly rssPeakMb: number;
  readonly durationMs: number;
}

const UNIT: Record<ServerKind, 'datagrams' | 'requests'> = {
  raida: 'datagrams',
  dht: 'datagrams',
  hubert: 'requests',
  bao: 'requests',
  prime: 'requests',
};

async function openSession(kind: ServerKind, proc: ServerProcess, o: LiveOptions): Promise<LiveSession> {
  const http: HttpSessionOptions = {
    seed: o.seed,
    halfOpen: o.halfOpen,
    concurrency: o.concurrency,
    timeoutMs: o.timeoutMs,
  };
  switch (kind) {
    case 'raida':
      return raidaSession(proc, o.seed);
    case 'dht':
      return dhtSession(proc, o.seed);
    case 'hubert':
      return hubertSession(proc, http);
    case 'bao':
      return baoSession(proc, http);
    case 'prime':
      return primeSession(proc, http);
  }
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Record what the child reported it swallowed since the last call. */
async function drainEvents(proc: ServerProcess, rec: LiveRecorder, round: number): Promise<void> {
  for (const e of await proc.ask<ServerEvent[]>('events'))
    rec.find({
      kind: e.kind,
      detail: e.detail,
      round,
      ...(e.endpoint === undefined ? {} : { endpoint: e.endpoint }),
      ...(e.input === undefined
        ? {}
        : { input: e.input.slice(0, 800), bytes: new Uint8Array(Buffer.from(e.input, 'hex')) }),
    });
}

/**
 * Run `plan` (see the module comment). `started` is a child already started for this server
 * (servers start while the decoder phase runs).
 * @returns counts, findings, checks and RSS figures; never throws.
 */
export async function driveLive(
  plan: LivePlan,
  o: LiveOptions,
  started?: Promise<ServerProcess>,
): Promise<LiveResult> {
  const t0 = performance.now();
  const rec = new LiveRecorder(plan.server, o.findingsDir, o.seed);
  let rssStart = 0;
  let rssEnd = 0;
  let rssPeak = 0;
  let rounds = 0;
  let proc: ServerProcess | undefined;
  let session: LiveSession | undefined;
  const fail = (e: unknown, round: number): void => {
    if (e instanceof ServerDiedError) rec.find({ kind: 'crash', detail: e.message.slice(0, 2000), round });
    else if (e instanceof ServerHangError) rec.find({ kind: 'hang', detail: e.message, round });
    else
      rec.find({
        kind: 'crash',
        detail: `fuzz driver error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`.slice(
          0,
          2000,
        ),
        round,
      });
  };
  try {
    proc = await (started ?? startServerProcess(plan.server, o.seed));
    session = await openSession(plan.server, proc, o);
    rec.checks.push(`before: ${await session.check(0, rec)}`);
    rssStart = rssPeak = rssEnd = await proc.ask<number>('rss');
    for (let r = 1; r <= plan.rounds; r++) {
      const seed = (o.seed + r * 1_000_003) >>> 0;
      await session.round(r, plan.perRound, seed, rec);
      rounds = r;
      const died = proc.died();
      if (died !== undefined) throw died;
      await drainEvents(proc, rec, r);
      const line = await session.check(r, rec);
      rssEnd = await proc.ask<number>('rss');
      rssPeak = Math.max(rssPeak, rssEnd);
      rec.checks.push(`round ${r}: ${line}; rss ${mb(rssEnd)} MB`);
      o.onRound?.(plan.server, r, `${line}; rss ${mb(rssEnd)} MB`);
      if (rssEnd - rssStart > o.rssLimitMb * 1024 * 1024) {
        rec.find({
          kind: 'leak',
          detail: `RSS grew from ${mb(rssStart)} MB to ${mb(rssEnd)} MB after GC (limit +${o.rssLimitMb} MB)`,
          round: r,
        });
        break;
      }
    }
    if (session.afterRounds !== undefined && rounds === plan.rounds) {
      const line = await session.afterRounds(rec);
      rec.checks.push(`after the rounds: ${line}`);
      o.onRound?.(plan.server, rounds, `after the rounds: ${line}`);
    }
  } catch (e) {
    fail(proc?.died() ?? e, rounds + 1);
  } finally {
    await session?.close().catch(() => undefined);
    await proc?.close().catch(() => undefined);
  }
  return {
    server: plan.server,
    unit: UNIT[plan.server],
    sent: rec.sent,
    answered: rec.answered,
    rounds,
    outcomes: rec.outcomes,
    findings: rec.findings,
    checks: rec.checks,
    rssStartMb: mb(rssStart),
    rssEndMb: mb(rssEnd),
    rssPeakMb: mb(rssPeak),
    durationMs: performance.now() - t0,
  };
}
