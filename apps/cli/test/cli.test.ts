/**
 * The `fanout` command as CI sees it: a child process with stdout on a pipe (no TTY). Run lines
 * and event lines, replay with traces, usage errors (exit 2, one line and a hint), plans from
 * files, list, determinism, reports, and a user's own scenario through fanout.config.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Trace } from '@fanout/sim';
import { writeReplayFile, writeTraceFile } from '@fanout/sim/replay';
import { runScenario, traceFileFor } from '@fanout/scenarios';
import raida from '@fanout/scenarios/raida';
import { fanout } from './run-cli.js';

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fanout-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runLines = (out: string) => out.split('\n').filter((l) => /^raida\.no-hol seed=\d+ held/.test(l));
const eventLines = (out: string) =>
  out.split('\n').filter((l) => /^ {2}\S+ \d+ (fulfilled|cancelled) at /.test(l));
const noHol = raida.scenarios.find((s) => s.name === 'raida.no-hol')!;

describe('fanout run without a TTY', () => {
  test('one line per run by default; per-event lines with --events or when runs are few; none with --quiet', () => {
    const many = fanout(['run', 'raida.no-hol', '--runs', '4', '--seed', '7']);
    expect(many.code, many.err).toBe(0);
    expect(runLines(many.out)).toHaveLength(4);
    expect(eventLines(many.out)).toHaveLength(0);

    const forced = fanout(['run', 'raida.no-hol', '--runs', '4', '--seed', '7', '--events']);
    expect(runLines(forced.out)).toHaveLength(4);
    expect(eventLines(forced.out)).toHaveLength(4 * 25); // every RAIDA settles once per run
    expect(forced.out).toContain('quorum met at');
    expect(forced.out).toContain('detect: Waiting for 25 responses...');

    expect(eventLines(fanout(['run', 'raida.no-hol', '--runs', '1', '--seed', '7']).out)).toHaveLength(25);
    expect(eventLines(fanout(['run', 'raida.no-hol', '--runs', '1', '--no-events']).out)).toHaveLength(0);

    const quiet = fanout(['run', 'raida.no-hol', '--runs', '2', '--events', '--quiet']);
    expect(runLines(quiet.out)).toHaveLength(0);
    expect(eventLines(quiet.out)).toHaveLength(0);
    expect(quiet.out).toContain('All guarantees held');
    expect(quiet.out).toContain('runs: seeds run; checks: guarantee checks that held / made');
  }, 120_000);

  test('--check-determinism says what it compared', () => {
    const r = fanout(['run', 'raida.no-hol', '--runs', '3', '--check-determinism', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'determinism: 3 seed(s) over 1 scenario(s) each run twice, trace hashes compared: all identical',
    );
  }, 60_000);

  test('--plan FILE runs every seed with that plan; JSON and JUnit reports', () => {
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({ latency: { default: { kind: 'constant', ms: 40 } } }));
    const json = join(dir, 'summary.json');
    const junit = join(dir, 'junit.xml');
    const r = fanout([
      'run',
      'raida.no-hol',
      '--runs',
      '2',
      '--plan',
      plan,
      '--json',
      json,
      '--junit',
      junit,
      '--quiet',
    ]);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(readFileSync(json, 'utf8')) as {
      scenario: string;
      p50Ms: number;
      runs: number;
    }[];
    expect(summary[0]).toMatchObject({ scenario: 'raida.no-hol', runs: 2, p50Ms: 40 });
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('tests="2"');
    expect(xml).toContain('name="decisionMs" value="40.000"');
  }, 60_000);
});

describe('usage errors: exit 2, one line and a hint', () => {
  test.each([
    [['run', '--runs', '-1']],
    [['run', '--runs', '0']],
    [['run', '--runs', '1.5']],
    [['run', '--mode', 'banana']],
    [['runn']],
    [['run', 'nosuch.scenario']],
    [['run', 'nosuch.scenario', '--jobs', '2', '--quiet']],
    [['run', 'raida.no-hol', '--set', 'slowMs=-5']],
    [['run', 'raida.no-hol', '--jobs', '2', '--set', 'slowMs=-5']],
    [['run', '--plan', '/nonexistent/plan.json']],
  ])('%j', (args) => {
    const r = fanout(args);
    expect(r.code, r.out + r.err).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(/^error: /);
  });

  test('a system with no scenarios of its own (hubert) says so and names its simulator', () => {
    const r = fanout(['run', 'hubert']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('system "hubert" has no scenarios of its own (its simulator: fanout sim hubert');
  });
});

describe('fanout replay', () => {
  test('names the recorded trace next to the replay file and writes the replayed one with --trace', async () => {
    const seed = 11;
    const result = await runScenario(noHol, { seed });
    const file = join(dir, `raida.no-hol-sim-${seed}.json`);
    writeReplayFile(file, {
      version: 1,
      scenario: 'raida.no-hol',
      seed,
      mode: 'sim',
      plan: result.plan,
      options: result.options,
      commit: 'test',
      traceHash: result.traceHash,
    });
    writeTraceFile(traceFileFor(file), result.trace!);
    const out = join(dir, 'replayed.trace.jsonl');
    const r = fanout(['replay', file, '--trace', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`recorded trace (JSON Lines): ${traceFileFor(file)}`);
    expect(r.out).toContain(`trace hash reproduced: ${result.traceHash}`);
    expect(Trace.fromJSONL(readFileSync(out, 'utf8')).hash()).toBe(result.traceHash);
  }, 60_000);

  test('a replay file with an unknown mode is refused (exit 2); an edited plan changes the hash (exit 3)', async () => {
    const result = await runScenario(noHol, { seed: 5 });
    const weird = join(dir, 'weird.json');
    writeReplayFile(weird, {
      version: 1,
      scenario: 'raida.no-hol',
      seed: 5,
      plan: result.plan,
      options: { mode: 'banana' },
      commit: 'test',
    });
    expect(fanout(['replay', weird]).code).toBe(2);
    const edited = join(dir, 'edited.json');
    writeReplayFile(edited, {
      version: 1,
      scenario: 'raida.no-hol',
      seed: 5,
      mode: 'sim',
      plan: { ...result.plan, latency: { default: { kind: 'constant', ms: 33 }, perTarget: {} } },
      options: result.options,
      commit: 'test',
      traceHash: result.traceHash,
    });
    const r = fanout(['replay', edited]);
    expect(r.code).toBe(3);
    expect(r.out).toContain('held     decision-not-delayed-by-slow-raida');
  }, 60_000);
});

describe('fanout list and your own scenarios', () => {
  test('list --json names every scenario with its options', () => {
    const r = fanout(['list', '--json']);
    const all = JSON.parse(r.out) as { name: string; options: { name: string }[] }[];
    expect(all.find((s) => s.name === 'raida.no-hol')!.options.map((o) => o.name)).toEqual([
      'coins',
      'slowMs',
    ]);
  });

  test('fanout.config.ts in the current folder adds a user scenario to run and list', () => {
    // Inside the CLI package (ignored .fanout/), so that '@fanout/scenarios' resolves as it does for
    // a user who installed it; the packed-tarball test covers a project outside the workspace.
    const base = join(root, 'apps/cli/.fanout');
    mkdirSync(base, { recursive: true });
    const user = mkdtempSync(join(base, 'user-'));
    writeFileSync(
      join(user, 'echo.ts'),
      `import { defineScenario, httpService } from '@fanout/scenarios';
export default defineScenario({
  name: 'mine.echo',
  title: 'one echo endpoint',
  guarantees: ['echoed'] as const,
  async run({ world, check }) {
    const ep = await httpService(world, () => new Response('hi'), { target: 'echo' });
    check('echoed', (await (await world.fetch(ep.url)).text()) === 'hi');
  },
});
`,
    );
    writeFileSync(join(user, 'fanout.config.ts'), `export default { scenarios: ['./echo.ts'] };\n`);
    const run = fanout(['run', 'mine', '--runs', '3', '--quiet'], user);
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.out).toContain('mine.echo');
    expect(fanout(['list'], user).out).toContain('mine.echo');
    rmSync(user, { recursive: true, force: true });
  }, 60_000);
});

describe('every core, across machines', () => {
  test('--jobs 1 and --jobs 2 write the same JSON and JUnit (timing fields aside); shards merge back into the same summary', () => {
    const out = (n: string) => join(dir, n);
    const args = ['run', 'raida.no-hol', 'raida.ordering', '--runs', '12', '--quiet'];
    expect(fanout([...args, '--jobs', '1', '--json', out('j1.json'), '--junit', out('j1.xml')]).code).toBe(0);
    expect(fanout([...args, '--jobs', '2', '--json', out('j2.json'), '--junit', out('j2.xml')]).code).toBe(0);
    const json = (f: string) =>
      (JSON.parse(readFileSync(out(f), 'utf8')) as Record<string, unknown>[]).map(
        ({ wallMs: _w, ...rest }) => rest,
      );
    const xml = (f: string) => readFileSync(out(f), 'utf8').replace(/ time="[^"]*"/g, '');
    expect(json('j2.json')).toEqual(json('j1.json'));
    expect(xml('j2.xml')).toBe(xml('j1.xml'));

    const shards = join(dir, 'shards');
    for (const i of [1, 2, 3]) {
      const r = fanout([
        ...args,
        '--jobs',
        '1',
        '--shard',
        `${i}/3`,
        '--json',
        join(shards, `s${i}.json`),
        '--junit',
        join(shards, `s${i}.xml`),
      ]);
      expect(r.code, r.err).toBe(0);
    }
    const merged = fanout([
      'merge-reports',
      shards,
      '--json',
      out('merged.json'),
      '--junit',
      out('merged.xml'),
    ]);
    expect(merged.code, merged.err).toBe(0);
    expect(json('merged.json')).toEqual(json('j1.json'));
    expect(xml('merged.xml').replace(/\s+/g, ' ').trim()).toBe(xml('j1.xml').replace(/\s+/g, ' ').trim());
  }, 300_000);

  test('--jobs 2 with several scenarios in the pool at once: run lines stay in scenario and run order', () => {
    const r = fanout(['run', 'raida.no-hol', 'raida.ordering', '--runs', '6', '--no-events', '--jobs', '2']);
    expect(r.code, r.err).toBe(0);
    const lines = r.out
      .split('\n')
      .filter((l) => / seed=\d+ /.test(l))
      .map((l) => l.split(' ').slice(0, 2).join(' '));
    const expected = ['raida.no-hol', 'raida.ordering'].flatMap((s) =>
      [1, 2, 3, 4, 5, 6].map((seed) => `${s} seed=${seed}`),
    );
    expect(lines).toEqual(expected);
  }, 120_000);
});
