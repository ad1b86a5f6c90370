/**
 * `fanout dht demo` — DNA Messenger offline-message retrieval on a simulated OpenDHT swarm
 * (shared/reference/dht.md): contacts queue messages in their outboxes to one recipient (signed
 * puts, value id 1, rising seq), then the recipient runs @fanout/dht's retrieveOfflineMessages over
 * every contact at once and prints each contact's result as it arrives, then the totals.
 *
 *   fanout dht demo [--contacts 100] [--mode sim|live] [--seed N] [--nodes N] [--lookup-ms MS]
 *                   [--slow-ms MS] [--concurrency C] [--early-fraction F]
 *
 * sim: one process, virtual time (deterministic per seed), the swarm on the sim kit's SimNetwork.
 * live: every DHT node is a real UDP socket on 127.0.0.1 (ephemeral ports), wall time.
 * Each lookup takes at least `--lookup-ms` (an injected floor standing for a real DHT's get time;
 * the swarm's own round trips are inside it); one contact (the "slow" one) takes `--slow-ms`.
 * Some contacts never queued (not-found), some only queued messages that have expired by the read
 * (empty), one published a value that does not decode (malformed). Progress: a live board on a
 * TTY, one line per contact otherwise (CI, pipes). Exit code 0 when every contact's result matches
 * the world's oracle (ground truth), 1 otherwise.
 */
import { InvalidArgumentError, Option } from 'commander';
import logUpdate from 'log-update';
import pc from 'picocolors';
import { realClock } from '@fanout/core';
import { createRng, parseSeed } from '@fanout/sim';
import {
  buildDhtWorld,
  checkAgainstOracle,
  resultTexts,
  type ContactSpec,
  type DhtWorld,
  type Mode,
  type QueuedSpec,
} from '@fanout/scenarios/legacy';
import type { Register } from './index.js';

type Retrieval = ReturnType<DhtWorld['retrieve']>;
type Report = Awaited<Retrieval['result']>;
type ContactResult = Report['contacts'][number];
type Status = ContactResult['status'];
type RetrieveOptions = NonNullable<Parameters<DhtWorld['retrieve']>[0]>;

/** commander parser: an integer in min..max, else InvalidArgumentError naming the flag. */
function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
}

/** commander parser for --concurrency: an integer >= 1, or "none"/"Infinity" for no limit. */
function concurrencyArg(v: string): number {
  if (v === 'none' || v === 'Infinity') return Infinity;
  return intArg('--concurrency', 1, 10_000)(v);
}

/** commander parser for --early-fraction: a number in (0, 1]. */
function fractionArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !(n > 0 && n <= 1))
    throw new InvalidArgumentError(`--early-fraction must be a number in (0, 1], got "${v}"`);
  return n;
}

/** Options of {@link runDhtDemo} (after flag parsing). */
export interface DhtDemoOptions {
  readonly contacts: number;
  readonly mode: Mode;
  readonly seed: number;
  /** Swarm size (20..500). */
  readonly nodes: number;
  /** Floor of every lookup, ms (virtual in sim, wall in live). */
  readonly lookupMs: number;
  /** Duration of the slow contact's lookup, ms; 0 = no slow contact. */
  readonly slowMs: number;
  /** Contacts queried at once (Infinity = no limit). */
  readonly concurrency: number;
  /** Early completion fraction (0, 1]. */
  readonly earlyFraction: number;
}

/** What the demo world looks like, per contact (drawn from the seed). */
type Kind = 'messages' | 'never-queued' | 'all-expired' | 'garbage';

/**
 * Draw the contacts: ~15% never queued, ~10% queued only messages that expire before the read
 * (TTL 60 s, read 600 s later), one garbage outbox (when ≥ 10 contacts), the rest 1..4 messages
 * with mixed TTLs (some expired). Deterministic per seed.
 */
function drawContacts(seed: number, n: number): { specs: ContactSpec[]; kinds: Kind[] } {
  const rng = createRng(seed).fork('dht-demo');
  const kinds: Kind[] = [];
  const specs: ContactSpec[] = [];
  const garbageAt = n >= 10 ? rng.int(0, n - 1) : -1;
  for (let i = 0; i < n; i++) {
    const roll = rng.int(0, 99);
    const kind: Kind =
      i === garbageAt ? 'garbage' : roll < 15 ? 'never-queued' : roll < 25 ? 'all-expired' : 'messages';
    kinds.push(kind);
    if (kind === 'garbage') specs.push({ messages: [], garbage: true });
    else if (kind === 'never-queued') specs.push({ messages: [] });
    else {
      const count = rng.int(1, 4);
      const messages: QueuedSpec[] = Array.from({ length: count }, (_, m) => ({
        seq: BigInt(m + 1),
        ttlSeconds: kind === 'all-expired' ? 60 : rng.pick([60, 3600, 86_400, 604_800] as const),
      }));
      specs.push({ messages });
    }
  }
  return { specs, kinds };
}

/** Progress printer: a redrawn grid on a TTY (at most every 80 ms of wall time), else one line per contact. */
class ContactBoard {
  readonly #cells: (Status | undefined)[];
  #lastDraw = 0;
  constructor(
    readonly interactive: boolean,
    readonly total: number,
    readonly unit: string,
    readonly t0: number,
  ) {
    this.#cells = Array.from({ length: total }, () => undefined);
  }

  static readonly GLYPH: Record<Status, string> = {
    delivered: pc.green('■'),
    empty: pc.cyan('□'),
    'not-found': pc.dim('○'),
    malformed: pc.red('✖'),
    timeout: pc.magenta('⌛'),
    error: pc.red('!'),
  };

  result(r: ContactResult): void {
    this.#cells[r.index] = r.status;
    if (this.interactive) {
      this.#draw(false);
      return;
    }
    const extra: string[] = [];
    if (r.status === 'delivered')
      extra.push(`${r.messages.length} message(s) [${resultTexts(r).join(', ')}]`);
    if (r.outboxSeq !== undefined) extra.push(`outbox seq ${r.outboxSeq}`);
    if (r.expired > 0) extra.push(`${r.expired} expired dropped`);
    if (r.reason !== undefined) extra.push(`reason ${r.reason}`);
    if (r.cached) extra.push('cached');
    console.log(
      `  contact ${String(r.index).padStart(3)} ${r.sender.slice(0, 8)}… ${r.status.padEnd(9)} at ${(r.settledAt - this.t0).toFixed(1)} ${this.unit}, lookup ${r.durationMs.toFixed(1)} ${this.unit}` +
        (extra.length > 0 ? `  ${extra.join(', ')}` : ''),
    );
  }

  finish(): void {
    if (!this.interactive) return;
    this.#draw(true);
    logUpdate.done();
  }

  #draw(force: boolean): void {
    const now = realClock.now();
    if (!force && now - this.#lastDraw < 80) return;
    this.#lastDraw = now;
    const rows: string[] = [];
    for (let i = 0; i < this.total; i += 25) {
      const cells = this.#cells
        .slice(i, i + 25)
        .map((s) => (s === undefined ? pc.yellow('·') : ContactBoard.GLYPH[s]));
      rows.push(`  ${pc.dim(String(i).padStart(3))} ${cells.join(' ')}`);
    }
    const done = this.#cells.filter((c) => c !== undefined).length;
    const legend = (Object.keys(ContactBoard.GLYPH) as Status[])
      .map((s) => `${ContactBoard.GLYPH[s]} ${s}`)
      .join('  ');
    logUpdate(`${pc.bold('contacts')} ${pc.dim(`${done}/${this.total}`)}   ${legend}\n${rows.join('\n')}`);
  }
}

/**
 * Run the demo: build the world (swarm + outboxes), retrieve with progress, print totals.
 * Returns true when every contact's result agrees with the oracle.
 * @throws whatever building the world throws (e.g. a UDP bind failure in live mode).
 */
async function runDhtDemo(o: DhtDemoOptions, interactive: boolean): Promise<boolean> {
  const { specs, kinds } = drawContacts(o.seed, o.contacts);
  const live = o.mode === 'live';
  const unit = live ? 'ms' : 'virtual ms';
  const wall0 = realClock.now();
  const world = await buildDhtWorld({
    seed: o.seed,
    mode: o.mode,
    nodes: o.nodes,
    contacts: specs,
    // sim: outbox versions stored straight into the k closest nodes (no traffic, fast to set up);
    // live: every message is a queueToOutbox (get → append → put) through the UDP swarm.
    publish: live ? 'network' : 'direct',
    latency: live ? { kind: 'uniform', minMs: 0, maxMs: 4 } : { kind: 'normal', meanMs: 40, sdMs: 10 },
  });
  try {
    const queued = world.contacts.reduce((s, c) => s + c.queued.length, 0);
    console.log(
      `swarm of ${o.nodes} nodes up; ${o.contacts} contacts queued ${queued} message(s) ` +
        `(${kinds.filter((k) => k === 'never-queued').length} never queued, ` +
        `${kinds.filter((k) => k === 'all-expired').length} with only expired messages, ` +
        `${kinds.filter((k) => k === 'garbage').length} malformed) in ${(realClock.now() - wall0).toFixed(0)} ms of wall time`,
    );
    const slowIndex = o.slowMs > 0 && o.contacts > 1 ? kinds.indexOf('messages') : -1;
    const slowKey = slowIndex >= 0 ? world.contacts[slowIndex]!.key : undefined;
    const sameKey = (a: Uint8Array, b: Uint8Array | undefined): boolean =>
      b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
    // Every lookup lasts at least lookupMs (the slow contact's slowMs): the injected DHT get time.
    const dht: RetrieveOptions['dht'] = {
      get: async (key, options) => {
        const floor = sameKey(key, slowKey) ? o.slowMs : o.lookupMs;
        const [found] = await Promise.all([
          world.timedReader.get(key, options),
          world.clock.sleep(floor, options.signal),
        ]);
        return found;
      },
    };
    console.log(
      `retrieving from ${o.contacts} contacts: concurrency ${o.concurrency === Infinity ? 'unlimited' : o.concurrency}, ` +
        `lookup ≥ ${o.lookupMs} ${unit}` +
        (slowIndex >= 0 ? `, contact ${slowIndex} slow (${o.slowMs} ${unit})` : '') +
        (o.earlyFraction < 1 ? `, early completion at ${o.earlyFraction * 100}%` : ''),
    );
    const t0 = world.clock.now();
    const board = new ContactBoard(interactive, o.contacts, unit, t0);
    const run = world.retrieve({
      dht,
      concurrency: o.concurrency,
      queryTimeoutMs: Math.max(10_000, o.slowMs * 2),
      deadlineMs: Math.max(30_000, o.slowMs * 3),
      earlyCompletion: o.earlyFraction,
    });
    try {
      for await (const r of run) board.result(r);
    } finally {
      board.finish();
    }
    const report = await run.result;
    const oracle = checkAgainstOracle(
      world,
      report,
      (i) => report.contacts[i]!.reason === 'early-completion' || i === slowIndex,
    );
    const problems = [oracle.oneEach, oracle.exactlyOnce, oracle.status].filter(
      (p): p is string => p !== undefined,
    );
    const c = report.counts;
    const sequential = report.contacts.reduce((s, r) => s + r.durationMs, 0);
    const speedup = report.elapsedMs > 0 ? sequential / report.elapsedMs : NaN;
    const expired = report.contacts.reduce((s, r) => s + r.expired, 0);
    console.log(`\n${pc.bold('Totals')} (${live ? 'real UDP on 127.0.0.1, wall time' : 'virtual time'})`);
    console.log(
      `  contacts   ${c.delivered} delivered, ${c.empty} empty, ${c['not-found']} not found, ` +
        `${c.malformed} malformed, ${c.timeout} timeout, ${c.error} error (of ${report.contacts.length})`,
    );
    if (report.rejectedValues > 0)
      console.log(
        `  rejected   ${report.rejectedValues} value(s) failed verification (corrupt or forged copies)`,
      );
    console.log(`  messages   ${report.messages.length} delivered, ${expired} expired dropped`);
    console.log(
      `  lookups    ${report.lookups} DHT get(s)${report.earlyCompleted ? ', completed early' : ''}`,
    );
    console.log(
      `  elapsed    ${report.elapsedMs.toFixed(1)} ${unit}; one contact at a time ≈ ${sequential.toFixed(1)} ${unit} ` +
        `(sum of the lookups)` +
        (Number.isFinite(speedup) ? ` → ${speedup.toFixed(1)}× faster in parallel` : ''),
    );
    console.log(pc.dim(`  ran in ${(realClock.now() - wall0).toFixed(0)} ms of wall time`));
    if (problems.length === 0) console.log(pc.green('\nEvery contact matches the oracle.'));
    else for (const p of problems) console.log(pc.red(`\nORACLE MISMATCH: ${p}`));
    return problems.length === 0;
  } finally {
    await world.close();
  }
}

export const registerDht: Register = (program, exit) => {
  const dht = program
    .command('dht')
    .description('DNA Messenger offline-message retrieval on a simulated OpenDHT swarm');
  dht
    .command('demo')
    .description(
      'contacts queue messages in their DHT outboxes; the recipient retrieves from all of them in parallel',
    )
    .option('--contacts <n>', 'contacts to retrieve from', intArg('--contacts', 1, 1000), 100)
    .addOption(
      new Option('--mode <mode>', 'sim: in-process, virtual time; live: real UDP on 127.0.0.1')
        .choices(['sim', 'live'])
        .default('sim'),
    )
    .option('--seed <n>', 'seed of the world (ids, contacts, latency draws)', (v) => parseSeed(v), 1)
    .option('--nodes <n>', 'DHT nodes in the swarm', intArg('--nodes', 20, 500), 100)
    .option('--lookup-ms <ms>', 'time every DHT lookup takes at least', intArg('--lookup-ms', 0, 60_000), 300)
    .option(
      '--slow-ms <ms>',
      'lookup time of one slow contact (0: none); default 6000 in sim, 1500 in live',
      intArg('--slow-ms', 0, 120_000),
    )
    .option(
      '--concurrency <c>',
      'contacts queried at once (integer, or "none" for no limit)',
      concurrencyArg,
      50,
    )
    .option('--early-fraction <f>', 'finish once this fraction of the contacts answered', fractionArg, 1)
    .action(
      async (o: {
        contacts: number;
        mode: Mode;
        seed: number;
        nodes: number;
        lookupMs: number;
        slowMs?: number;
        concurrency: number;
        earlyFraction: number;
      }) => {
        const interactive = process.stdout.isTTY === true && process.env.CI === undefined;
        const slowMs = o.slowMs ?? (o.mode === 'live' ? 1500 : 6000);
        console.log(
          `${pc.bold('fanout dht demo')}: ${o.contacts} contact(s), ${o.nodes} nodes, mode ${o.mode}, seed ${o.seed}` +
            (o.mode === 'sim'
              ? ' (in-process swarm, virtual time, deterministic)'
              : ' (swarm on real UDP sockets on 127.0.0.1, wall time)'),
        );
        const ok = await runDhtDemo({ ...o, slowMs }, interactive);
        exit(ok ? 0 : 1);
      },
    );
};
