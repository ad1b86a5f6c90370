/**
 * The `fanout frost demo` command as a user runs it: in a pipe (not a TTY), live mode (real Hubert
 * HTTP servers on 127.0.0.1), through the CLI's one board: `[<round>: <phase>]` lines,
 * `<command>: Waiting for N responses...`, one line per participant result. Ctrl-C: a SIGINT to
 * the process group during the DKG round 1 collect aborts it, prints the partial picture of the
 * round and exits 130. No timing assertion: the signal is sent when the output shows the round.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { FANOUT_NODE_ARGS } from '@fanout/testkit/cli';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface Run {
  readonly child: ChildProcess;
  /** Everything printed so far (stdout + stderr). */
  output(): string;
  /** Resolves with the output once `pattern` appears. */
  waitFor(pattern: RegExp): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * @param via 'pnpm': `pnpm -s fanout frost demo …`; 'node': the command the root `fanout` script
 *   runs (`node --conditions=@fanout/source tools/fanout.mjs`), whose own exit
 *   code a parent sees (pnpm, itself hit by the process-group SIGINT, dies of the signal instead
 *   of passing 130 on).
 */
function runDemo(args: readonly string[], via: 'pnpm' | 'node' = 'pnpm'): Run {
  const command =
    via === 'pnpm'
      ? ['pnpm', '-s', 'fanout', 'frost', 'demo', ...args]
      : [process.execPath, ...FANOUT_NODE_ARGS, 'frost', 'demo', ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    // Own process group, so a SIGINT reaches pnpm and node as a terminal's Ctrl-C would.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
  });
  let out = '';
  const waiters: { pattern: RegExp; resolve: (s: string) => void }[] = [];
  const feed = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    for (const w of [...waiters])
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(out);
      }
  };
  child.stdout!.on('data', feed);
  child.stderr!.on('data', feed);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    waitFor: (pattern) =>
      pattern.test(out) ? Promise.resolve(out) : new Promise((resolve) => waiters.push({ pattern, resolve })),
    exited,
  };
}

describe('fanout frost demo (CLI, piped, live Hubert on 127.0.0.1)', () => {
  test('prints the rounds, "Waiting for N responses..." and one line per result, ends with a verifying signature, exit 0', async () => {
    const run = runDemo(['--participants', '3', '--min-signers', '2', '--mode', 'live', '--seed', '5']);
    const { code } = await run.exited;
    const out = run.output();
    expect(code, out).toBe(0);
    expect(out).toContain('[dkg round1: collect]');
    expect(out).toContain('dkg round1 collect: Waiting for 3 responses...');
    expect(out).toMatch(/✅ (Bob|Carol|Dan) fulfilled at/);
    expect(out).toMatch(/❌ Dan rejected at [\d.]+ ms \(Busy right now\)/);
    expect(out).toContain('ed25519.verify(signature, SHA-256(target), groupKey) = true');
  }, 60_000);

  test('an invalid flag combination is a usage error (exit 2) naming the option', async () => {
    const run = runDemo(['--participants', '3', '--min-signers', '4'], 'node');
    const { code } = await run.exited;
    expect(code, run.output()).toBe(2);
    expect(run.output()).toContain('minSigners: must not exceed participants (3)');
  }, 60_000);

  test('SIGINT during the DKG: partial picture of the round, exit 130', async () => {
    const run = runDemo(
      ['--participants', '4', '--min-signers', '3', '--mode', 'live', '--seed', '6'],
      'node',
    );
    try {
      // A DKG collect round is in progress (its participants are being waited for).
      await run.waitFor(/\[dkg round1: collect\]\ndkg round1 collect: Waiting for 4 responses\.\.\./);
      process.kill(-run.child.pid!, 'SIGINT');
      const { code } = await run.exited;
      const out = run.output();
      expect(code, out).toBe(130);
      expect(out).toContain('Interrupted: in-flight work aborted. Partial picture of the last round:');
      // The board of the interrupted round lists every participant.
      const picture = out.slice(out.indexOf('Partial picture'));
      for (const name of ['Bob', 'Carol', 'Dan', 'Eve']) expect(picture).toContain(name);
      // Signalled at the start of the collect, before any reply can be polled (1 s polls).
      expect(picture).toMatch(/⊘ (Bob|Carol|Dan|Eve) cancelled/);
      expect(out).not.toContain('ed25519.verify(signature, SHA-256(target), groupKey) = true');
    } finally {
      if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
    }
  }, 60_000);
});
