/**
 * Command-line options of `pnpm fuzz` and the two budgets (full and `--quick`).
 *
 * Usage errors throw {@link UsageError}: the CLI prints one line and a hint and exits 2 (1 means a
 * guarantee was violated).
 */
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import type { ServerKind } from './live/servers.js';

/** A bad command line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Inputs per decoder, live rounds and bounds of one run. */
export interface Budget {
  /** Inputs per decoder target (quick: divided by the target's cost, at least 200). */
  readonly decoderInputs: number;
  readonly udp: { readonly rounds: number; readonly perRound: number };
  readonly http: { readonly rounds: number; readonly perRound: number };
  /** Half-open connections held during each HTTP round (≤ 200). */
  readonly halfOpen: number;
  readonly concurrency: number;
  /** An HTTP request without an answer for this long is a hang, ms. */
  readonly requestTimeoutMs: number;
  /** A decoder without a new input for this long is a hang, ms. */
  readonly decoderHangMs: number;
  /** RSS growth after GC that is a leak, MB. */
  readonly rssLimitMb: number;
  /** Decoder worker lanes. */
  readonly jobs: number;
}

/** The counts: 1,000,000 inputs per decoder, 200,000 datagrams per UDP server, 20,000 requests per HTTP server. */
export const FULL: Budget = {
  decoderInputs: 1_000_000,
  udp: { rounds: 10, perRound: 20_000 },
  http: { rounds: 10, perRound: 2_000 },
  halfOpen: 200,
  concurrency: 8,
  requestTimeoutMs: 30_000,
  decoderHangMs: 120_000,
  rssLimitMb: 256,
  jobs: 2,
};

/** CI: everything once, small (≤ 60 s in all on a 2-core machine). */
export const QUICK: Budget = {
  decoderInputs: 10_000,
  udp: { rounds: 2, perRound: 4_000 },
  http: { rounds: 2, perRound: 400 },
  halfOpen: 50,
  concurrency: 6,
  requestTimeoutMs: 15_000,
  decoderHangMs: 20_000,
  rssLimitMb: 256,
  jobs: 1,
};

/** Parsed options. */
export interface Options {
  readonly quick: boolean;
  readonly seed: number;
  /** Selected targets: 'decoder:<name>' and 'server:<kind>'. */
  readonly only: readonly string[] | undefined;
  readonly path: string | undefined;
  /** With --path: the restart of the target's run the input came from (fast-check seed = seed + restart). */
  readonly restart: number;
  readonly budget: Budget;
  /** --inputs was given (quick mode then does not divide it by the targets' costs). */
  readonly explicitInputs: boolean;
  readonly json: string | undefined;
  readonly findings: string;
  readonly list: boolean;
  readonly help: boolean;
}

export const HELP = `pnpm fuzz [--quick] [--seed N] [--only LIST] [--path P] [options]

Fuzzes every decoder (fast-check, random and mutated inputs) and every live simulator on
127.0.0.1 (mutated datagrams, malformed HTTP requests, half-open connections), checking after
each round that the canary still reads back and signs, that nothing changed without a valid
token, and that RSS stayed bounded. Exit 0: no finding; 1: a crash, hang, leak, auth bypass or
broken rule (each printed with its input and how to reproduce it); 2: usage error.

  --quick              CI budget (≤ 60 s); default: the full budget (1,000,000 inputs per decoder,
                       200,000 datagrams per UDP server, 20,000 requests per HTTP server)
  --seed N             root seed (u32; default: random, printed)
  --only LIST          comma-separated targets: decoder:<name>, server:<kind>, decoders, servers
                       (see --list)
  --path P             fast-check path: replay one decoder input (with --seed and one decoder)
  --restart K          with --path: the restart the input came from (printed with each failure)
  --inputs N           inputs per decoder
  --datagrams N        datagrams per UDP server (split over the rounds)
  --requests N         requests per HTTP server (split over the rounds)
  --rounds N           rounds per server
  --jobs N             decoder worker threads (default 2 full, 1 quick)
  --rss-limit-mb N     RSS growth that counts as a leak (default 256)
  --json FILE          write every figure as JSON
  --findings DIR       where failing inputs are written (default fuzz/findings)
  --list               list the targets and exit
`;

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v)))
    throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  return Number(v);
}

/**
 * Parse argv (after the script name).
 * @throws UsageError for an unknown option, a bad number, or --path without exactly one decoder.
 */
export function parseOptions(
  argv: readonly string[],
  targets: { decoders: string[]; servers: ServerKind[] },
): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        seed: { type: 'string' },
        only: { type: 'string' },
        path: { type: 'string' },
        restart: { type: 'string' },
        inputs: { type: 'string' },
        datagrams: { type: 'string' },
        requests: { type: 'string' },
        rounds: { type: 'string' },
        jobs: { type: 'string' },
        'rss-limit-mb': { type: 'string' },
        json: { type: 'string' },
        findings: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const quick = values.quick === true;
  const base = quick ? QUICK : FULL;
  const seedText = str('seed');
  if (seedText !== undefined && (!/^\d+$/.test(seedText) || Number(seedText) > 0xffff_ffff))
    throw new UsageError(`--seed must be an integer in 0..4294967295, got "${seedText}"`);
  const seed = seedText === undefined ? randomInt(0, 0xffff_ffff) : Number(seedText);
  let only: string[] | undefined;
  const onlyText = str('only');
  if (onlyText !== undefined) {
    only = [];
    for (const item of onlyText
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')) {
      if (item === 'decoders') only.push(...targets.decoders.map((d) => `decoder:${d}`));
      else if (item === 'servers') only.push(...targets.servers.map((s) => `server:${s}`));
      else if (item.startsWith('decoder:') && targets.decoders.includes(item.slice(8))) only.push(item);
      else if (item.startsWith('server:') && (targets.servers as string[]).includes(item.slice(7)))
        only.push(item);
      else throw new UsageError(`unknown target "${item}" (see --list)`);
    }
  }
  const path = str('path');
  if (path !== undefined && (only === undefined || only.length !== 1 || !only[0]!.startsWith('decoder:')))
    throw new UsageError('--path replays one decoder input: give --only decoder:<name> and --seed too');
  const restartText = str('restart');
  if (restartText !== undefined && !/^\d+$/.test(restartText))
    throw new UsageError(`--restart must be a non-negative integer, got "${restartText}"`);
  const rounds = positiveInt('rounds', str('rounds'));
  const datagrams = positiveInt('datagrams', str('datagrams'));
  const requests = positiveInt('requests', str('requests'));
  const udpRounds = rounds ?? base.udp.rounds;
  const httpRounds = rounds ?? base.http.rounds;
  const budget: Budget = {
    ...base,
    decoderInputs: positiveInt('inputs', str('inputs')) ?? base.decoderInputs,
    udp: {
      rounds: udpRounds,
      perRound: Math.ceil((datagrams ?? base.udp.perRound * base.udp.rounds) / udpRounds),
    },
    http: {
      rounds: httpRounds,
      perRound: Math.ceil((requests ?? base.http.perRound * base.http.rounds) / httpRounds),
    },
    jobs: positiveInt('jobs', str('jobs')) ?? base.jobs,
    rssLimitMb: positiveInt('rss-limit-mb', str('rss-limit-mb')) ?? base.rssLimitMb,
  };
  return {
    quick,
    seed,
    only,
    path,
    restart: restartText === undefined ? 0 : Number(restartText),
    budget,
    explicitInputs: str('inputs') !== undefined,
    json: str('json'),
    findings: str('findings') ?? new URL('../findings', import.meta.url).pathname,
    list: values.list === true,
    help: values.help === true,
  };
}
