// @ts-check
/**
 * The JavaScript build `pnpm fanout` runs (tools/fanout.mjs): apps/cli/src/main.ts and worker.ts
 * bundled by esbuild — the compiler tsx uses, with tsx's settings where they matter (names kept,
 * each file's tsconfig) — with the workspace packages from source (the `@fanout/source`
 * condition) and split chunks, so that a system's code is loaded only by the commands that run
 * it. Third-party packages stay imports, which Node resolves from the build's node_modules folder
 * (a link per package, to the folder the importing source file would load it from), except a few
 * plain ES-module ones that every run loads ({@link INLINE}: a hundred small files cost more to
 * resolve and load one by one than to parse as one chunk).
 *
 * Every module of the build (esbuild's metafile) is recorded with its stat and content hash, with
 * the package.json and tsconfig files around it, the folders it sits in, the lockfile and these
 * scripts: the manifest the launcher checks before it runs a build. A file changed while the
 * build ran is recorded as changed. A build goes to a folder named by the hash of all that (a new
 * folder, renamed into place when complete: a running CLI never sees a build change under it);
 * builds unused for a day are removed, and all but the most recently used few.
 */
import { builtinModules, createRequire } from 'node:module';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { hashOf, stats } from './fanout-cache.mjs';

/** Bump when the build's options change in a way the recorded inputs do not show. */
const FORMAT = 1;
/** How far a file's timestamp may lag the clock (coarse file-system clocks), ms. */
const CLOCK_SLACK_MS = 100;
/** Builds not used for this long are removed. */
const KEEP_MS = 24 * 3_600_000;
/**
 * Builds kept at most, the new one included (each is 7–8 MB; a day of editing sources made about
 * 50): the most recently used, so switching between a few branches still finds its builds. A
 * build used within the last hour is never removed for the count (a CLI still running from it
 * may load a system's chunk or start a worker from it later).
 */
const KEEP_BUILDS = 8;
/** An hour: how long a build counts as recently used, and a left-over temporary folder lives. */
const HOUR_MS = 3_600_000;
/**
 * Packages bundled with the CLI: ES modules only, self-contained (no import.meta, no files read
 * beside them), and one version in the lockfile. Any other package stays an import.
 */
const INLINE = [
  'zod',
  'hono',
  '@hono/node-server',
  '@noble/hashes',
  '@noble/curves',
  '@noble/ciphers',
  'pure-rand',
];

/**
 * Source files that may locate things from their own URL (import.meta, __dirname), each checked
 * to work from the build's folder: the pool finds worker.js beside it, the report finds ECharts
 * through the build's node_modules links, the config loader passes its URL as a parent only. A
 * build any other source file of which does so fails (the launcher then runs from source).
 */
const LOCATES_ITSELF = new Set([
  'apps/cli/src/pool.ts',
  'apps/cli/src/report/page.ts',
  'apps/cli/src/config.ts',
]);

/**
 * esbuild, a development dependency of the repository root (the version tsx uses: the same compiler).
 * @param {string} root
 * @returns {typeof import('esbuild')}
 */
function esbuildOf(root) {
  return createRequire(join(root, 'package.json'))('esbuild');
}

/**
 * Third-party imports stay imports (bare, resolved by Node when the build runs, from the build's
 * node_modules folder: a link per package to the folder the importing source file would load it
 * from). A package found in two versions fails the build (the launcher then runs from source).
 * @param {Map<string, string>} packages package name → its folder (filled in)
 * @returns {import('esbuild').Plugin}
 */
function externalPackages(packages) {
  return {
    name: 'external-packages',
    setup(b) {
      b.onResolve({ filter: /^[^./#]/ }, (a) => {
        if (a.path.startsWith('@fanout/') || a.path.startsWith('node:') || builtinModules.includes(a.path))
          return undefined;
        const name = a.path
          .split('/')
          .slice(0, a.path.startsWith('@') ? 2 : 1)
          .join('/');
        if (INLINE.includes(name)) return undefined;
        const dir = packageDir(a.resolveDir, name);
        if (dir === undefined) return undefined; // esbuild reports it
        const known = packages.get(name);
        if (known !== undefined && known !== dir)
          return { errors: [{ text: `${name} is installed twice (${known}, ${dir}): not bundled` }] };
        packages.set(name, dir);
        return { path: a.path, external: true };
      });
    },
  };
}

/**
 * The folder Node loads package `name` from for a file in `from` (node_modules lookup, links
 * resolved); undefined when it is not installed.
 * @param {string} from
 * @param {string} name
 */
function packageDir(from, name) {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(candidate)) return realpathSync(candidate);
    if (dirname(d) === d) return undefined;
  }
}

/**
 * The CLI's own dependencies, as it resolves them (a module may load one at run time by name:
 * the report reads ECharts' file).
 * @param {string} root
 * @param {Map<string, string>} packages filled in
 */
function addCliDependencies(root, packages) {
  const cli = join(root, 'apps/cli');
  const deps = Object.keys(JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8')).dependencies ?? {});
  for (const name of deps) {
    if (name.startsWith('@fanout/') || INLINE.includes(name) || packages.has(name)) continue;
    const dir = packageDir(cli, name);
    if (dir !== undefined) packages.set(name, dir);
  }
}

/**
 * Fail when a source file outside {@link LOCATES_ITSELF} finds files from its own location, which
 * would be the build's folder.
 * @param {string} root
 * @param {readonly string[]} modules absolute paths
 * @throws Error naming the files.
 */
function checkSelfLocating(root, modules) {
  const bad = modules
    .map((f) => relative(root, f))
    .filter((f) => !f.includes('node_modules') && !LOCATES_ITSELF.has(f))
    .filter((f) =>
      /\bimport\.meta\.(?:url|dirname|filename)\b|\b__(?:dirname|filename)\b/.test(
        readFileSync(join(root, f), 'utf8'),
      ),
    );
  if (bad.length > 0) throw new Error(`${bad.join(', ')} locate(s) files from their own URL: not bundled`);
}

/**
 * Link each external package into the build's node_modules folder.
 * @param {string} out
 * @param {Map<string, string>} packages
 */
function linkPackages(out, packages) {
  for (const [name, dir] of packages) {
    mkdirSync(dirname(join(out, 'node_modules', name)), { recursive: true });
    symlinkSync(dir, join(out, 'node_modules', name), process.platform === 'win32' ? 'junction' : 'dir');
  }
}

/**
 * The files besides the modules whose change changes the build: package.json and tsconfig files
 * from each module's folder up to the root, the lockfile, the install state, these scripts.
 * @param {string} root
 * @param {Iterable<string>} modules absolute paths
 */
function contextFiles(root, modules) {
  const out = new Set(
    [
      'pnpm-lock.yaml',
      'node_modules/.modules.yaml',
      'tools/fanout.mjs',
      'tools/fanout-build.mjs',
      'tools/fanout-cache.mjs',
      'tsconfig.base.json',
    ].map((f) => join(root, f)),
  );
  const seen = new Set();
  for (const m of modules) {
    for (let d = dirname(m); d.startsWith(root) && !seen.has(d); d = dirname(d)) {
      seen.add(d);
      for (const n of ['package.json', 'tsconfig.json']) if (existsSync(join(d, n))) out.add(join(d, n));
      if (d === root) break;
    }
  }
  return [...out].filter((f) => existsSync(f));
}

/**
 * A manifest entry for a file the build read: its stat and content hash now. A file changed
 * since the build started (its ctime says so; `slackMs` covers the file system's coarse clock)
 * may differ from what was compiled: its entry never matches, so the next start builds again.
 * @param {string} root
 * @param {string} path absolute
 * @param {number} since when the build started (epoch ms)
 * @returns {Promise<import('./fanout-cache.mjs').FileEntry>}
 */
async function fileEntry(root, path, since) {
  const st = stats(path);
  const entry = { path: relative(root, path), ...st, hash: await hashOf(path, 'file') };
  return st.ctimeMs >= since - CLOCK_SLACK_MS
    ? { ...entry, mtimeMs: -1, ctimeMs: -1, hash: 'changed' }
    : entry;
}

/**
 * The manifest of a build from its modules (absolute paths): each with stat and hash, the
 * context files around them, and the folders they sit in.
 * @param {string} root
 * @param {readonly string[]} modules
 * @param {number} since when the build started (epoch ms)
 * @param {string} esbuildVersion
 * @returns {Promise<import('./fanout-cache.mjs').Manifest>}
 */
async function manifestOf(root, modules, since, esbuildVersion) {
  const files = [];
  for (const f of new Set([...modules, ...contextFiles(root, modules)]))
    files.push(await fileEntry(root, f, since));
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const dirs = [];
  for (const d of [...new Set(modules.map((f) => dirname(f)))].sort()) {
    const mtimeMs = statSync(d).mtimeMs;
    const changed = mtimeMs >= since - CLOCK_SLACK_MS;
    dirs.push({
      path: relative(root, d),
      mtimeMs: changed ? -1 : mtimeMs,
      hash: changed ? 'changed' : await hashOf(d, 'dir'),
    });
  }
  const { createHash } = await import('node:crypto');
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        FORMAT,
        esbuildVersion,
        root,
        files.map((f) => [f.path, f.hash]),
        dirs.map((d) => [d.path, d.hash]),
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  return { key, root, files, dirs };
}

/**
 * Remove builds not used for {@link KEEP_MS} (the launcher touches the one it runs, at most hourly)
 * or beyond the {@link KEEP_BUILDS} most recently used, and left-over temporary folders, keeping
 * `keep`.
 * @param {string} cacheDir
 * @param {string} keep
 */
function cleanUp(cacheDir, keep) {
  const builds = [];
  for (const n of readdirSync(cacheDir)) {
    const p = join(cacheDir, n);
    if (p === keep || !/^(?:b|tmp)-/.test(n)) continue;
    const age = Date.now() - statSync(p).mtimeMs;
    if (age > (n.startsWith('tmp-') ? HOUR_MS : KEEP_MS)) rmSync(p, { recursive: true, force: true });
    else if (n.startsWith('b-')) builds.push({ p, age });
  }
  builds.sort((a, b) => a.age - b.age);
  for (const { p, age } of builds.slice(KEEP_BUILDS - 1))
    if (age > HOUR_MS) rmSync(p, { recursive: true, force: true });
}

/**
 * Write `name`.json pointing at build folder `build` (atomically: write, then rename).
 * @param {string} cacheDir
 * @param {string} name
 * @param {string} build
 */
function point(cacheDir, name, build) {
  const file = join(cacheDir, `${name}.json`);
  writeFileSync(`${file}.${process.pid}`, JSON.stringify({ build }));
  renameSync(`${file}.${process.pid}`, file);
}

/**
 * Record a failed build: the modules it read (when it got that far), those of the last good build
 * and the files the errors name. While they are unchanged the launcher runs from source without
 * trying again (a guess: were it wrong, the sources would run, never a stale build).
 * @param {string} root
 * @param {string} cacheDir
 * @param {unknown} error esbuild's failure, or the check's
 * @param {readonly string[]} read the build's modules (absolute paths), if it read them
 * @param {number} since
 * @param {string} esbuildVersion
 */
async function recordFailure(root, cacheDir, error, read, since, esbuildVersion) {
  const named = /** @type {{ errors?: { location?: { file?: string } | null }[] }} */ (error).errors ?? [];
  const modules = new Set([
    ...read,
    ...named.flatMap((e) => (e.location?.file ? [join(root, e.location.file)] : [])),
  ]);
  try {
    const last = JSON.parse(readFileSync(join(cacheDir, 'current.json'), 'utf8')).build;
    /** @type {import('./fanout-cache.mjs').Manifest} */
    const m = JSON.parse(readFileSync(join(cacheDir, last, 'manifest.json'), 'utf8'));
    for (const f of m.files) if (/\.(?:[cm]?[jt]sx?|json)$/.test(f.path)) modules.add(join(root, f.path));
  } catch {
    // no good build yet: only the files named
  }
  const m = await manifestOf(
    root,
    [...modules].filter((f) => existsSync(f)),
    since,
    esbuildVersion,
  );
  mkdirSync(join(cacheDir, 'failed'), { recursive: true });
  writeFileSync(join(cacheDir, 'failed', 'manifest.json'), JSON.stringify(m));
  point(cacheDir, 'failed', 'failed');
}

/**
 * Build the CLI into `cacheDir` and make it the current build (see the module docstring).
 * @param {string} root the repository
 * @param {string} cacheDir
 * @returns {Promise<string>} the build's folder
 * @throws the build error (esbuild's messages; recorded as a failed build, see recordFailure).
 */
export async function buildCli(root, cacheDir) {
  const esbuild = esbuildOf(root);
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, 'tmp-'));
  /** @type {Map<string, string>} */
  const packages = new Map();
  const since = Date.now();
  /** @type {string[]} */
  let modules = [];
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: { main: join(root, 'apps/cli/src/main.ts'), worker: join(root, 'apps/cli/src/worker.ts') },
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      conditions: ['@fanout/source'],
      // No keepNames: it wraps every function and class in a __name call (Object.defineProperty
      // at each closure creation), which cost raida and bao runs 15-25 % of their CPU. No code reads
      // a function's or class's name (error classes set `name` themselves); only stack traces may
      // show a renamed function (Foo2) where two modules share a name.
      keepNames: false,
      sourcemap: 'linked',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [externalPackages(packages)],
    });
    modules = Object.keys(result.metafile.inputs).map((f) => join(root, f));
    checkSelfLocating(root, modules);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    await recordFailure(root, cacheDir, e, modules, since, esbuild.version);
    throw e;
  }
  addCliDependencies(root, packages);
  linkPackages(tmp, packages);
  // The chunks are ES modules. The build folder sits under node_modules, where Node finds no
  // package scope: without this file it would parse every chunk twice to detect its format
  // (about 40 ms of each start, in the main thread and in every worker).
  writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
  const m = await manifestOf(root, modules, since, esbuild.version);
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(m));
  const dir = join(cacheDir, `b-${m.key}`);
  try {
    renameSync(tmp, dir);
  } catch {
    // built before (or meanwhile, by another start) from the same inputs: use that one
    rmSync(tmp, { recursive: true, force: true });
    const now = new Date();
    utimesSync(dir, now, now);
  }
  point(cacheDir, 'current', `b-${m.key}`);
  cleanUp(cacheDir, dir);
  return dir;
}
