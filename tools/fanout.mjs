#!/usr/bin/env node
// @ts-check
/**
 * `pnpm fanout`: the fanout command from this repository's current sources, started fast.
 *
 * Running the TypeScript sources through tsx costs every start 0.5 s or more (esbuild transforms
 * and a loader thread resolving ~250 modules). This launcher runs a JavaScript build of the CLI
 * instead (one esbuild bundle with split chunks, so systems still load lazily;
 * apps/cli/node_modules/.cache/fanout-dev/), but only when it is fresh: every source file the
 * build read, the package.json and tsconfig files around them, the folders they sit in, the
 * lockfile and the build scripts are compared with what the build recorded — stat first, and a
 * file whose stat differs is compared by content hash. Anything changed: the CLI is rebuilt
 * (about a second) before it runs. Stale code is never run.
 *
 * The CLI runs from source through tsx, as before, when a config file is in play
 * (fanout.config.* in the current folder or --config: its modules import @fanout/* from source,
 * which must be the same module instances as the CLI's), when the build fails (the error shows
 * when the sources are loaded), or with FANOUT_FROM_SOURCE=1. FANOUT_LAUNCHER_DEBUG=1 prints the
 * path taken and why on stderr; FANOUT_DEV_CACHE=DIR keeps the builds in DIR.
 *
 * Run with `node --conditions=@fanout/source tools/fanout.mjs [args]` (the root package.json's
 * `fanout` script).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBuild, say } from './fanout-cache.mjs';

say('started');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where builds are kept (one folder per distinct set of inputs); FANOUT_DEV_CACHE for tests. */
const CACHE_DIR = resolve(
  process.env['FANOUT_DEV_CACHE'] ?? join(root, 'apps/cli/node_modules/.cache/fanout-dev'),
);
/** Config file names the CLI looks for in the current folder (apps/cli/src/config.ts). */
const CONFIG_NAMES = ['fanout.config.ts', 'fanout.config.mts', 'fanout.config.mjs', 'fanout.config.js'];

/**
 * Whether this invocation loads a config file (the CLI's own rule: --config anywhere, else a
 * fanout.config.* in the current folder).
 * @param {readonly string[]} args
 */
function usesConfig(args) {
  if (args.some((a) => a === '--config' || a.startsWith('--config='))) return true;
  return CONFIG_NAMES.some((n) => existsSync(join(process.cwd(), n)));
}

/** Run the CLI from its TypeScript sources through tsx (the launcher's fallback). */
async function fromSources() {
  await import('tsx'); // what `node --import tsx` does
  say('running the sources through tsx');
  await import(pathToFileURL(join(root, 'apps/cli/src/main.ts')).href);
}

/** Run a fresh build, building first when there is none; from source when it cannot be built. */
async function fromBuild() {
  let dir = await freshBuild(root, CACHE_DIR, 'current');
  if (dir === undefined) {
    if ((await freshBuild(root, CACHE_DIR, 'failed')) !== undefined) {
      say('the sources failed to build and have not changed since');
      return fromSources();
    }
    const { buildCli } = await import('./fanout-build.mjs');
    dir = await buildCli(root, CACHE_DIR).catch((/** @type {unknown} */ e) => {
      say(`build failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
    if (dir === undefined) return fromSources();
    say(`built ${dir}`);
  } else say(`fresh build ${dir}`);
  // Stack traces name the TypeScript sources, as under tsx.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(join(dir, 'main.js')).href);
}

if (process.env['FANOUT_FROM_SOURCE'] === '1' || usesConfig(process.argv.slice(2))) await fromSources();
else await fromBuild();
