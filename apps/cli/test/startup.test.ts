/**
 * Start-up cost: a command loads only what it runs (lazy imports; the modules a child process
 * loads are logged by fixtures/module-log.mjs), and `pnpm fanout`'s launcher (tools/fanout.mjs)
 * runs its JavaScript build only while the build is fresh, with the same output as the sources.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { fanout, root } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fanout-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let logs = 0;

/** The modules `fanout ARGS` (from source) loads: repository paths, node_modules ones as `pkg:NAME/…`. */
function modulesOf(args: readonly string[]): string[] {
  const log = join(dir, `modules-${logs++}.log`);
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=@fanout/source',
      '--import',
      'tsx',
      '--import',
      join(root, 'apps/cli/test/fixtures/module-log.mjs'),
      join(root, 'apps/cli/src/main.ts'),
      ...args,
    ],
    { cwd: root, env: { ...process.env, CI: '1', NO_COLOR: '1', MODULE_LOG: log }, encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  const paths = readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file:'))
    .map((u) => relative(root, fileURLToPath(u.replace(/\?.*$/, ''))))
    .map((p) => p.replace(/^.*node_modules\/(?!\.pnpm)((?:@[^/]+\/)?[^/]+).*$/, 'pkg:$1'));
  return [...new Set(paths)];
}

/** Module paths that only other systems, demos, simulators, reports or the pool need. */
const NOT_FOR_A_RAIDA_RUN = [
  /^scenarios\/src\/(frost|dht|bao|prime)\//,
  /^(packages|simulators)\/(frost|hubert|dht|bao|bao-keyring|prime)\//,
  /\/live\//,
  /^scenarios\/src\/.*\/demo\.ts$/,
  /^apps\/cli\/src\/(report\/|pool\.ts|worker)/,
  /^pkg:(tinypool|junit-report-builder|log-update|echarts|undici|prom-client|@ngraveio\/bc-ur|cbor2)$/,
];

describe('lazy imports', () => {
  test('run raida.no-hol loads the RAIDA scenarios and nothing of the other systems, demos, simulators, reports or the pool', () => {
    const loaded = modulesOf(['run', 'raida.no-hol', '--runs', '1', '--quiet']);
    expect(loaded).toContain('scenarios/src/raida/scenarios.ts');
    expect(loaded.filter((p) => NOT_FOR_A_RAIDA_RUN.some((re) => re.test(p)))).toEqual([]);
    expect(loaded).not.toContain('scenarios/src/raida/index.ts'); // its simulator's entry
  }, 60_000);

  test('a sim run of bao loads no undici: only the live client’s own connection pool needs it', () => {
    const loaded = modulesOf(['run', 'bao.no-hol', '--runs', '1', '--quiet']);
    expect(loaded).toContain('packages/bao-keyring/src/client.ts');
    expect(loaded).not.toContain('pkg:undici');
  }, 60_000);

  test('list loads every system’s scenarios, but no demo or simulator', () => {
    const loaded = modulesOf(['list']);
    for (const s of ['raida', 'frost', 'dht', 'bao', 'prime'])
      expect(loaded).toContain(`scenarios/src/${s}/scenarios.ts`);
    expect(
      loaded.filter((p) => /\/live\/|^scenarios\/src\/.*\/demo\.ts$|^pkg:(tinypool|log-update)$/.test(p)),
    ).toEqual([]);
  }, 60_000);

  test('--help loads no system', () => {
    const loaded = modulesOf(['--help']);
    expect(loaded.filter((p) => /^scenarios\/src\/(raida|frost|dht|bao|prime)\//.test(p))).toEqual([]);
  }, 60_000);
});

describe('pnpm fanout: tools/fanout.mjs', () => {
  const cache = join(dir, 'cache');
  const launch = (args: readonly string[], cwd = root, nodeFlags: readonly string[] = []) => {
    const r = spawnSync(
      process.execPath,
      [...nodeFlags, '--conditions=@fanout/source', join(root, 'tools/fanout.mjs'), ...args],
      {
        cwd,
        env: { ...process.env, CI: '1', NO_COLOR: '1', FANOUT_DEV_CACHE: cache, FANOUT_LAUNCHER_DEBUG: '1' },
        encoding: 'utf8',
      },
    );
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  /** Output without its wall-clock figures. */
  const untimed = (out: string) =>
    out.replace(/run [\d.]+ ms wall/g, 'run W ms wall').replace(/│ [\d.–]+ +│$/gm, '│ R │');
  type Entry = { path: string; mtimeMs: number; hash: string };
  const manifest = () => {
    const build = (JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8')) as { build: string }).build;
    const file = join(cache, build, 'manifest.json');
    return { file, m: JSON.parse(readFileSync(file, 'utf8')) as { files: Entry[]; dirs: Entry[] } };
  };
  /**
   * Narrow the current build's manifest to the CLI's own files, which these tests do not change:
   * in a shared checkout other files may change while they run (and rightly cause a rebuild).
   */
  const pin = () => {
    const { file, m } = manifest();
    const own = (e: Entry) => /^(apps\/cli|tools)\//.test(e.path);
    writeFileSync(file, JSON.stringify({ ...m, files: m.files.filter(own), dirs: m.dirs.filter(own) }));
  };
  const args = ['run', 'raida.no-hol', '--runs', '2', '--seed', '7'];

  test('builds once, then runs the fresh build; the output is the sources’', () => {
    const first = launch(args);
    expect(first.code, first.err).toBe(0);
    expect(first.err).toMatch(/\] built /);
    pin();
    const second = launch(args);
    expect(second.code, second.err).toBe(0);
    expect(second.err).toMatch(/\] fresh build /);
    expect(untimed(second.out)).toBe(untimed(fanout(args).out));
    // Source maps for stack traces that name the TypeScript sources: mappings and paths only (the
    // sources are on disk). Their text would triple the maps Node parses at every start.
    const build = dirname(manifest().file);
    const maps = readdirSync(build).filter((n) => n.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const n of maps) {
      const map = JSON.parse(readFileSync(join(build, n), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown;
      };
      expect(map.sourcesContent, n).toBeUndefined();
      for (const src of map.sources) expect(existsSync(resolve(build, src)), `${n}: ${src}`).toBe(true);
    }
  }, 120_000);

  test('the build is a package of ES modules: it runs with no format detection (each chunk parsed once)', () => {
    pin();
    const r = launch(args, root, ['--no-experimental-detect-module']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/\] fresh build /);
    expect(untimed(r.out)).toBe(untimed(fanout(args).out));
  }, 120_000);

  test('a file whose content changed is rebuilt; one only touched is not', () => {
    pin();
    const { file, m } = manifest();
    const main = m.files.find((f) => f.path === 'apps/cli/src/main.ts')!;
    main.mtimeMs = 1; // touched: the stat differs, the content does not
    writeFileSync(file, JSON.stringify(m));
    const touched = launch(['--help']);
    expect(touched.err).toContain('1 file(s) and 0 folder(s) touched, contents unchanged');
    expect(touched.err).toMatch(/\] fresh build /);

    const again = manifest();
    again.m.files.find((f) => f.path === 'apps/cli/src/main.ts')!.hash = '0'.repeat(64);
    again.m.files.find((f) => f.path === 'apps/cli/src/main.ts')!.mtimeMs = 1;
    writeFileSync(again.file, JSON.stringify(again.m));
    const changed = launch(['--help']);
    expect(changed.code, changed.err).toBe(0);
    expect(changed.err).toContain('changed: apps/cli/src/main.ts');
    expect(changed.err).toMatch(/\] built /);
    expect(changed.out).toContain('Usage: fanout');
  }, 120_000);

  test('a rebuild keeps the 8 most recently used builds, and every build used within the hour', () => {
    const hour = 3_600_000;
    /** Make empty build folders last used `agoMs` ago (the order given: most recent first). */
    const fake = (names: readonly string[], agoMs: (i: number) => number) => {
      for (const [i, n] of names.entries()) {
        mkdirSync(join(cache, n));
        const t = new Date(Date.now() - agoMs(i));
        utimesSync(join(cache, n), t, t);
      }
    };
    const rebuild = () => {
      pin();
      const { file, m } = manifest();
      m.files.find((f) => f.path === 'apps/cli/src/main.ts')!.hash = '0'.repeat(64);
      writeFileSync(file, JSON.stringify(m));
      const r = launch(['--help']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/\] built /);
      return readdirSync(cache).filter((n) => n.startsWith('b-'));
    };
    // The real builds the tests before made (used within minutes).
    const real = readdirSync(cache).filter((n) => n.startsWith('b-'));
    expect(real.length).toBeLessThanOrEqual(4);
    // Ten builds used 2–11 hours ago (b-old-0 the most recent of them), two within the hour.
    const old = Array.from({ length: 10 }, (_, k) => `b-old-${k}`);
    fake(old, (i) => (i + 2) * hour);
    fake(['b-recent-0', 'b-recent-1'], (i) => (i + 1) * 60_000);
    const left = rebuild();
    // Eight: the real ones (the new build among them), the two recent, then the old ones in order.
    const others = left.filter((n) => !n.startsWith('b-old-'));
    expect(others).toEqual(expect.arrayContaining([...real, 'b-recent-0', 'b-recent-1']));
    expect(left.filter((n) => n.startsWith('b-old-')).sort()).toEqual(old.slice(0, 8 - others.length));
    expect(left).toHaveLength(8);
    // More than eight used within the hour: all of them stay (a CLI may still run from one); no
    // older one does.
    const more = Array.from({ length: 7 }, (_, k) => `b-more-${k}`);
    fake(more, (i) => (i + 3) * 60_000);
    const after = rebuild();
    expect(after).toEqual(expect.arrayContaining([...real, 'b-recent-0', 'b-recent-1', ...more]));
    expect(after.filter((n) => n.startsWith('b-old-'))).toEqual([]);
  }, 120_000);

  test('with a config file in play, the sources run (through tsx)', () => {
    const r = launch(['list'], join(root, 'examples/own-client'));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('running the sources through tsx');
    expect(r.out).toContain('oracle.quorum');
  }, 60_000);
});
