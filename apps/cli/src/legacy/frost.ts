/**
 * `fanout frost demo`: a FROST DKG and a signing session over the Hubert simulator, with the
 * coordinator's progress display (frost-hubert parallel.rs / the seed's plan):
 *
 * - TTY: one line per participant (⏳ with a `-Ns` countdown for gets / `+Ns` for puts, ✅, ❌ with
 *   the reason), a `...waiting for N more seconds...` footer, redrawn in place (log-update);
 * - pipe/CI: `Waiting for N responses...` then one line per result as it arrives;
 * - Ctrl-C: aborts the in-flight round, prints the partial picture, exits 130.
 *
 *   fanout frost demo --participants 5 --min-signers 3 [--mode sim|live] [--quorum-exit]
 *                     [--sequential] [--seed N] [--timeout S]
 *                     [--backend server|memory|mainline|hybrid]
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import logUpdate from 'log-update';
import pc from 'picocolors';
import { realClock } from '@fanout/core';
import { RoundBoard, formatSeconds, plainLines, type RoundEvent, type Xid } from '@fanout/frost';
import { parseSeed } from '@fanout/sim';
import { runFrostDemo, type FrostDemoResult } from '@fanout/scenarios/legacy';
import type { Register } from './index.js';

interface DemoFlags {
  participants: number;
  minSigners: number;
  mode: 'sim' | 'live';
  backend: 'server' | 'memory' | 'mainline' | 'hybrid';
  quorumExit?: boolean;
  sequential?: boolean;
  seed: number;
  timeout?: number;
}

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Renders round events: a live board on a TTY, plain lines elsewhere. */
class DemoDisplay {
  readonly board: RoundBoard;
  #names: ReadonlyMap<Xid, string> = new Map();
  #lastAt = 0;
  #lastDraw = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #live = false;

  constructor(
    readonly interactive: boolean,
    readonly mode: 'sim' | 'live',
  ) {
    this.board = new RoundBoard((x) => this.#names.get(x) ?? x.slice(0, 8));
  }

  set names(names: ReadonlyMap<Xid, string>) {
    this.#names = names;
  }

  /** Clock time for countdowns: wall time live, the last event's virtual time in sim. */
  now(): number {
    return this.mode === 'live' ? realClock.now() : this.#lastAt;
  }

  event(e: RoundEvent): void {
    this.#lastAt = e.at;
    this.board.apply(e);
    if (!this.interactive) {
      for (const line of plainLines(e, (x) => this.#names.get(x) ?? x.slice(0, 8))) console.log(line);
      return;
    }
    if (e.type === 'phase-start') {
      this.#live = true;
      // The countdown footer ticks on wall time (a TTY display only, never under the virtual clock).
      // eslint-disable-next-line no-restricted-globals
      this.#ticker ??= setInterval(() => this.draw(), 200);
    }
    // Redraw at most every 50 ms of wall time, and always at the start and end of a phase.
    const wall = realClock.now();
    if (e.type !== 'phase-start' && e.type !== 'phase-end' && wall - this.#lastDraw < 50) return;
    this.#lastDraw = wall;
    this.draw();
    if (e.type === 'phase-end') {
      logUpdate.done();
      this.#live = false;
    }
  }

  draw(): void {
    if (!this.interactive || !this.#live) return;
    logUpdate(this.board.frame(this.now()).join('\n'));
  }

  /** Stop redrawing, leaving the last frame. */
  stop(): void {
    // eslint-disable-next-line no-restricted-globals -- the display ticker above
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
    if (this.interactive && this.#live) {
      this.draw();
      logUpdate.done();
      this.#live = false;
    }
  }
}

function printResult(r: FrostDemoResult, mode: 'sim' | 'live'): void {
  const unit = mode === 'sim' ? 'virtual' : 'wall';
  console.log('');
  const dkgTimes = r.dkg.timings.map((t) => `${t.round} ${formatSeconds(t.elapsedMs)}`).join(', ');
  console.log(
    `DKG: ${r.dkg.ok ? pc.green('ok') : pc.red('failed')} in ${formatSeconds(r.dkgMs)} (${unit}): ${dkgTimes}`,
  );
  if (r.sign !== undefined) {
    const signTimes = r.sign.timings.map((t) => `${t.round} ${formatSeconds(t.elapsedMs)}`).join(', ');
    console.log(
      `Signing: ${r.sign.ok ? pc.green('ok') : pc.red('failed')} in ${formatSeconds(r.signMs)} (${unit}): ${signTimes}`,
    );
    const signers = r.sign.round1?.ok ? r.sign.round1.session.signers : undefined;
    if (signers !== undefined)
      console.log(
        `Signer set (arrival order): ${signers.map((m) => r.names.get(m.identity.xid) ?? m.identity.xid).join(', ')}`,
      );
  }
  if (r.groupVerifyingKey !== undefined) console.log(`Group verifying key: ${hex(r.groupVerifyingKey)}`);
  console.log(`Target:    ${JSON.stringify(new TextDecoder().decode(r.target))}`);
  console.log(`SHA-256:   ${hex(r.digest)}`);
  if (r.signature !== undefined) {
    console.log(`Signature: ${hex(r.signature)}`);
    console.log(
      `ed25519.verify(signature, SHA-256(target), groupKey) = ${r.verified ? pc.green('true') : pc.red('false')}`,
    );
  }
  if (r.traceHash !== undefined) console.log(pc.dim(`trace hash ${r.traceHash} (same seed, same hash)`));
  if (r.failure !== undefined) console.log(pc.red(`Failed: ${r.failure}`));
}

/** The `frost` command group. */
export const registerFrost: Register = (program: Command, exit) => {
  const frost = program.command('frost').description('FROST threshold signing over a Hubert KV store');
  frost
    .command('demo')
    .description('DKG + a signing session end to end against the Hubert simulator, with the progress display')
    .option('--participants <n>', 'participants', intArg('--participants', 2, 100), 5)
    .option('--min-signers <n>', 'signing threshold', intArg('--min-signers', 2, 100), 3)
    .addOption(
      new Option('--mode <mode>', 'sim: virtual time, in-process; live: real Hubert HTTP server on 127.0.0.1')
        .choices(['sim', 'live'])
        .default('sim'),
    )
    .addOption(
      new Option(
        '--backend <backend>',
        'Hubert backend: server (HTTP), memory, mainline (1000-byte values), hybrid (big values in IPFS); all but server are sim only',
      )
        .choices(['server', 'memory', 'mainline', 'hybrid'])
        .default('server'),
    )
    .option('--quorum-exit', 'signing round 1 proceeds once min-signers commitments arrived')
    .option('--sequential', 'upstream sequential rounds (one participant at a time, 30 s timeout)')
    .option('--seed <n>', 'seed (uint32): identities, think times, randomness', (v) => parseSeed(v), 1)
    .option(
      '--timeout <s>',
      'per-participant timeout, seconds (default 600 parallel, 30 sequential)',
      intArg('--timeout', 1, 86_400),
    )
    .action(async (flags: DemoFlags) => {
      if (flags.minSigners > flags.participants) {
        console.error(
          pc.red(
            `--min-signers (${flags.minSigners}) must not exceed --participants (${flags.participants})`,
          ),
        );
        exit(2);
        return;
      }
      if (flags.backend !== 'server' && flags.mode !== 'sim') {
        console.error(
          pc.red(`--backend ${flags.backend} is an in-process model: use --mode sim (live runs server)`),
        );
        exit(2);
        return;
      }
      const interactive = process.stdout.isTTY === true && process.env.CI === undefined;
      const display = new DemoDisplay(interactive, flags.mode);
      const abort = new AbortController();
      let interrupted = false;
      let firstSignalAt = 0;
      const onSigint = (): void => {
        // One Ctrl-C can arrive twice (the terminal signals the process group and a parent such as
        // pnpm relays it): a second signal within a second is the same Ctrl-C; a later one forces
        // the exit.
        if (interrupted) {
          if (realClock.now() - firstSignalAt > 1000) process.exit(130);
          return;
        }
        interrupted = true;
        firstSignalAt = realClock.now();
        abort.abort(new Error('interrupted (Ctrl-C)'));
      };
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigint);
      console.log(
        `${pc.bold('fanout frost demo')}: FROST-ED25519-SHA512-v1, ${flags.minSigners}-of-${flags.participants}, ` +
          `${flags.mode === 'sim' ? `simulated Hubert, ${flags.backend} backend (virtual time)` : 'live Hubert HTTP server on 127.0.0.1'}, ` +
          `${flags.sequential ? 'sequential' : 'parallel'} rounds${flags.quorumExit ? ', quorum exit' : ''}, seed ${flags.seed}`,
      );
      const wall0 = realClock.now();
      let result: FrostDemoResult;
      try {
        result = await runFrostDemo({
          participants: flags.participants,
          minSigners: flags.minSigners,
          mode: flags.mode,
          backend: flags.backend,
          seed: flags.seed,
          quorumExit: flags.quorumExit === true,
          sequential: flags.sequential === true,
          ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout * 1000 }),
          signal: abort.signal,
          onRoundEvent: (e) => display.event(e),
          onStage: (stage, info) => {
            display.names = info.names;
            const who = [...info.names.values()].join(', ');
            console.log(
              pc.bold(
                stage === 'dkg'
                  ? `\n== DKG: coordinator Alice, participants ${who}${info.hubertUrl ? ` (Hubert at ${info.hubertUrl})` : ''} ==`
                  : '\n== Signing session ==',
              ),
            );
          },
        });
      } finally {
        display.stop();
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigint);
      }
      if (interrupted || result.aborted) {
        console.log(pc.yellow('\nInterrupted: in-flight work aborted. Partial picture of the last round:'));
        for (const line of display.board.frame(display.now())) console.log(`  ${line}`);
        printResult(result, flags.mode);
        exit(130);
        return;
      }
      printResult(result, flags.mode);
      console.log(pc.dim(`wall time ${formatSeconds(realClock.now() - wall0)}`));
      exit(result.ok ? 0 : 1);
    });
};
