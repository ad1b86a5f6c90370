/**
 * `fanout run --until-failure --jobs N`: the seed search in batches over worker processes finds
 * the same first violation, after the same number of runs, as the search in one process; --runs
 * is exact; the violating run is run again in the CLI for its trace file and its hash matches the
 * lane's (no NOT DETERMINISTIC line). Two user scenarios whose guarantee breaks for about one seed
 * in 400 and in 700, so the first violation comes hundreds of runs (many batches) in.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fanout, root } from './run-cli.js';

const RARE = `import { defineScenario } from '@fanout/scenarios';

const rare = (name: string, oneIn: number) =>
  defineScenario({
    name,
    title: 'a guarantee that breaks for about one seed in ' + oneIn,
    guarantees: ['rarely-broken'] as const,
    plan: () => ({}),
    async run({ world, check, latency, rng }) {
      await world.clock.sleep(1);
      latency(1);
      const draw = rng.int(0, oneIn - 1);
      check('rarely-broken', draw !== 0, 'drew ' + draw);
    },
  });

export default [rare('mine.rare-a', 400), rare('mine.rare-b', 700), rare('mine.never', 2 ** 30)];
`;

// The user's project lives inside the CLI package (ignored .fanout/) so '@fanout/*' resolve as installed.
const base = join(root, 'apps/cli/.fanout');
mkdirSync(base, { recursive: true });
const user = mkdtempSync(join(base, 'until-failure-'));
writeFileSync(join(user, 'rare.ts'), RARE);
writeFileSync(join(user, 'fanout.config.ts'), `export default { scenarios: ['./rare.ts'] };\n`);
afterAll(() => rmSync(user, { recursive: true, force: true }));

describe('run --until-failure over worker processes', () => {
  test('--jobs 2 finds the same first violation after the same number of runs as --jobs 1', () => {
    const search = (jobs: string) =>
      fanout(
        ['run', 'mine.rare-a', 'mine.rare-b', '--until-failure', '--seed', '11', '--budget', '2m'].concat([
          '--quiet',
          '--jobs',
          jobs,
          '--replay-dir',
          join(user, `replays-${jobs}`),
        ]),
        user,
      );
    const one = search('1');
    const two = search('2');
    for (const r of [one, two]) {
      expect(r.code, r.out + r.err).toBe(1);
      expect(r.out).not.toContain('NOT DETERMINISTIC');
    }
    expect(two.out).toContain('2 worker processes');
    const found = (out: string) => ({
      run: /^mine\.rare-[ab] seed=\d+ VIOLATED rarely-broken/m.exec(out)?.[0],
      after: /first violation after (\d+) run\(s\)/.exec(out)?.[1],
    });
    expect(found(one.out).run).toBeDefined();
    expect(Number(found(one.out).after)).toBeGreaterThan(100); // many batches in
    expect(found(two.out)).toEqual(found(one.out));
    // The saved violating run replays with the trace hash found in the lane.
    const replay = /fanout replay (\S+\.json)/.exec(two.out)![1]!;
    const again = fanout(['replay', replay], user);
    expect(again.code).toBe(1);
    expect(again.out).toContain('trace hash reproduced');
  }, 180_000);

  test('--runs is exact over the lanes, and every run is printed in search order', () => {
    const r = fanout(
      ['run', 'mine.never', '--until-failure', '--seed', '3', '--runs', '37', '--jobs', '2'],
      user,
    );
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/No violation in 37 run\(s\)/);
    const lines = r.out.split('\n').filter((l) => l.startsWith('mine.never seed='));
    expect(lines).toHaveLength(37);
    const here = fanout(
      ['run', 'mine.never', '--until-failure', '--seed', '3', '--runs', '37', '--jobs', '1'],
      user,
    );
    expect(here.out.split('\n').filter((l) => l.startsWith('mine.never seed='))).toEqual(lines);
  }, 120_000);

  test('a bad --set value is a usage error before any run, with or without lanes', () => {
    for (const jobs of ['1', '2']) {
      const r = fanout(
        ['run', 'dht.no-loss', '--until-failure', '--runs', '2', '--set', 'nodes=banana', '--jobs', jobs],
        user,
      );
      expect(r.code, r.out + r.err).toBe(2);
      expect(r.err).toContain('dht.no-loss options: nodes:');
      expect(r.out).not.toMatch(/seed=\d+/);
    }
  }, 60_000);
});

const LANE_FAILS = `import { defineScenario } from '@fanout/scenarios';

// Loads in the CLI, fails to load in a worker process (a lane has an IPC channel).
if (process.send !== undefined) throw new Error('only in a lane: boom');

export default defineScenario({
  name: 'mine.lane-fails',
  title: 'a module that cannot load in a worker process',
  guarantees: ['ok'] as const,
  plan: () => ({}),
  async run({ check, latency }) {
    latency(1);
    check('ok', true);
  },
});
`;

describe('an error in a worker process', () => {
  const project = mkdtempSync(join(base, 'lane-fails-'));
  writeFileSync(join(project, 'fails.ts'), LANE_FAILS);
  writeFileSync(join(project, 'fanout.config.ts'), `export default { scenarios: ['./fails.ts'] };\n`);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  test('is printed with its name, message and the lane stack, exit 70 (run and --until-failure)', () => {
    for (const args of [
      ['run', 'mine.lane-fails', '--runs', '4', '--jobs', '2'],
      ['run', 'mine.lane-fails', '--until-failure', '--runs', '4', '--jobs', '2'],
    ]) {
      const r = fanout(args, project);
      expect(r.code, r.out + r.err).toBe(70);
      expect(r.err).toContain('in a worker process: ConfigError: ');
      expect(r.err).toContain('only in a lane: boom');
      expect(r.err).toContain("(the worker process's stack)");
      expect(r.err).not.toContain('[object Object]');
    }
  }, 120_000);
});
