/**
 * `fanout run --jobs N` runs its shares in worker processes (lanes) that share the CLI's process
 * group: a Ctrl-C sent to the whole group (as a terminal does) still ends the command as an
 * interrupt with the summary of the runs that finished, and lanes never outlive a killed CLI.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fanoutArgs } from '@fanout/testkit/cli';
import { root } from './run-cli.js';

/** The CLI in a process group of its own (so the test can signal the group), output collected. */
function startCli(args: readonly string[]): { child: ChildProcess; out: () => string; err: () => string } {
  const child = spawn(process.execPath, fanoutArgs(args), {
    cwd: root,
    env: { ...process.env, CI: '1', NO_COLOR: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return { child, out: () => out, err: () => err };
}

/** Pids of the pool's lanes among `pid`'s children (tinypool's process entry). */
function lanesOf(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid), '-f', 'tinypool'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

/** Whether `pid` is a live process (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** CPU seconds process `pid` has used (Linux: utime + stime in /proc/PID/stat, at 100 ticks/s). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `f` every 50 ms until it returns true (no time limit of its own: the test's ends a hang). */
async function waitFor(f: () => boolean): Promise<void> {
  while (!f()) await sleep(50);
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) =>
    c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code)),
  );

describe.skipIf(process.platform !== 'linux')('fanout run --jobs 2: worker processes', () => {
  test('Ctrl-C to the process group while the lanes run: exit 130 with the finished scenario in the summary', async () => {
    const cli = startCli(['run', 'raida.no-hol', 'raida.ordering', '--runs', '3000', '--jobs', '2']);
    const pid = cli.child.pid!;
    // The first share's run lines: the lanes have loaded the worker module, which keeps a lane
    // alive through SIGINT (a Ctrl-C before that ends a lane, and the command then stops as
    // interrupted with what had finished before), and more shares are under way.
    await waitFor(() => /^raida\.no-hol seed=1 held/m.test(cli.out()));
    expect(lanesOf(pid)).toHaveLength(2);
    process.kill(-pid, 'SIGINT'); // what a terminal's Ctrl-C does: every process of the group
    const code = await exited(cli.child);
    expect(cli.err()).not.toContain('Worker exited unexpectedly');
    expect(code, cli.err()).toBe(130);
    expect(cli.out()).toContain('Interrupted: the summary covers the runs that finished.');
    // The lanes finished the scenario under way (they do not die of SIGINT); the CLI then stopped.
    expect(cli.out()).toMatch(/│ raida\.no-hol +│ sim +│ 3000 +│ 3000 /);
    expect(cli.out()).not.toMatch(/│ raida\.ordering +│/);
  }, 120_000);

  test('SIGTERM to the process group ends the lanes: still an interrupt (exit 130), not an internal error', async () => {
    const cli = startCli(['run', 'raida.no-hol', '--runs', '3000', '--jobs', '2']);
    const pid = cli.child.pid!;
    await waitFor(() => /^raida\.no-hol seed=1 held/m.test(cli.out()));
    process.kill(-pid, 'SIGTERM');
    const code = await exited(cli.child);
    expect(cli.err()).not.toContain('Worker exited unexpectedly');
    expect(code, cli.err()).toBe(130);
    expect(cli.out()).toContain('Interrupted: the summary covers the runs that finished.');
  }, 120_000);

  test('a killed CLI leaves no lane running', async () => {
    // Shares of 250,000 runs: a lane that went on with its share would outlive this test's timeout.
    const cli = startCli(['run', 'raida.no-hol', '--runs', '2000000', '--jobs', '2', '--quiet']);
    const pid = cli.child.pid!;
    await waitFor(() => lanesOf(pid).length === 2);
    const lanes = lanesOf(pid);
    // Into their shares: each lane has spent more CPU than loading the worker and RAIDA takes.
    await waitFor(() => lanes.every((p) => cpuSeconds(p) >= 1.5));
    process.kill(pid, 'SIGKILL');
    await exited(cli.child);
    await waitFor(() => lanes.every((p) => !alive(p)));
    expect(lanes.filter(alive)).toEqual([]);
  }, 120_000);
});
