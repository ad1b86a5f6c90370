/**
 * The `fanout` command as CI sees it: a child process with stdout on a pipe (no TTY).
 * Progress lines per run/event, and `fanout replay --trace`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Trace } from '@fanout/sim';
import { writeReplayFile, writeTraceFile } from '@fanout/sim/replay';
import { noHeadOfLineBlocking, traceFileFor, traceOf } from '@fanout/scenarios';

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fanout-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with a piped stdout; returns its output (throws on a non-zero exit). */
const fanout = (...args: string[]): string =>
  execFileSync(
    process.execPath,
    ['--conditions=@fanout/source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args],
    {
      cwd: root,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      encoding: 'utf8',
    },
  );

const runLines = (out: string) => out.split('\n').filter((l) => /^raida\.no-hol seed=\d+ held/.test(l));
const eventLines = (out: string) =>
  out.split('\n').filter((l) => /^ {2}\d+ (fulfilled|cancelled) at /.test(l));

describe('fanout run without a TTY', () => {
  test('one line per run by default; per-event lines with --events or when runs are few; none with --quiet', () => {
    const many = fanout('run', 'raida.no-hol', '--runs', '4', '--seed', '7');
    expect(runLines(many)).toHaveLength(4);
    expect(eventLines(many)).toHaveLength(0);

    const forced = fanout('run', 'raida.no-hol', '--runs', '4', '--seed', '7', '--events');
    expect(runLines(forced)).toHaveLength(4);
    expect(eventLines(forced)).toHaveLength(4 * 25); // every RAIDA settles once per run
    expect(forced).toContain('quorum met at');

    const few = fanout('run', 'raida.no-hol', '--runs', '1', '--seed', '7');
    expect(eventLines(few)).toHaveLength(25);
    expect(eventLines(fanout('run', 'raida.no-hol', '--runs', '1', '--no-events'))).toHaveLength(0);

    const quiet = fanout('run', 'raida.no-hol', '--runs', '2', '--events', '--quiet');
    expect(runLines(quiet)).toHaveLength(0);
    expect(eventLines(quiet)).toHaveLength(0);
    expect(quiet).toContain('All guarantees held');
  }, 120_000);
});

describe('fanout replay', () => {
  test('names the recorded trace next to the replay file and writes the replayed one with --trace', async () => {
    const seed = 11;
    const result = await noHeadOfLineBlocking.run({ seed, mode: 'sim', options: {} });
    const file = join(dir, `raida.no-hol-sim-${seed}.json`);
    writeReplayFile(file, {
      version: 1,
      scenario: 'raida.no-hol',
      seed,
      plan: result.plan,
      options: { mode: 'sim' },
      commit: 'test',
      traceHash: result.traceHash,
    });
    writeTraceFile(traceFileFor(file), traceOf(result)!);
    const out = join(dir, 'replayed.trace.jsonl');
    const text = fanout('replay', file, '--trace', out);
    expect(text).toContain(`recorded trace (JSON Lines): ${traceFileFor(file)}`);
    expect(text).toContain(`trace hash reproduced: ${result.traceHash}`);
    expect(text).toContain(`written to ${out}`);
    const replayed = readFileSync(out, 'utf8');
    expect(Trace.fromJSONL(replayed).hash()).toBe(result.traceHash);
    expect(replayed).toBe(readFileSync(traceFileFor(file), 'utf8'));
  }, 60_000);
});
