// @ts-check
/**
 * What the launcher of `pnpm fanout` (tools/fanout.mjs) and its build (tools/fanout-build.mjs)
 * share: the manifest of a build's inputs, their hashes, and the freshness check.
 */
import { readFileSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** A build folder in use is touched at most this often (builds unused for a day are removed). */
const TOUCH_EVERY_MS = 3_600_000;

const debug = process.env['FANOUT_LAUNCHER_DEBUG'] === '1';

/**
 * A line on stderr with FANOUT_LAUNCHER_DEBUG=1 (milliseconds since the process started).
 * @param {string} line
 */
export function say(line) {
  if (debug) console.error(`[fanout launcher ${performance.now().toFixed(0)} ms] ${line}`);
}

/**
 * @typedef {{ path: string, size: number, mtimeMs: number, ctimeMs: number, hash: string }} FileEntry
 * @typedef {{ path: string, mtimeMs: number, hash: string }} DirEntry
 * @typedef {{ key: string, root: string, files: FileEntry[], dirs: DirEntry[] }} Manifest
 */

/**
 * The content hash of a file, or of a folder's listing (the names that can take part in module
 * resolution), as the build records them.
 * @param {string} path
 * @param {'file' | 'dir'} kind
 */
export async function hashOf(path, kind) {
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  if (kind === 'file') h.update(readFileSync(path));
  else h.update(listing(path).join('\n'));
  return h.digest('hex');
}

/**
 * A folder's entries that can take part in module resolution: sub-folders and files with a
 * module or manifest extension (an editor's swap file changes nothing).
 * @param {string} dir
 */
export function listing(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() || /\.(?:[cm]?[jt]sx?|json)$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Whether every input of `m` is as the build saw it (see the module docstring). Entries whose stat
 * changed but whose content did not are refreshed in the manifest file, so the next start takes
 * the stat path again.
 * @param {string} root the repository
 * @param {Manifest} m
 * @param {string} file the manifest's path
 */
async function unchanged(root, m, file) {
  if (m.root !== root) return (say(`built for ${m.root}`), false); // its links point there
  /** @type {FileEntry[]} */ const files = [];
  /** @type {DirEntry[]} */ const dirs = [];
  for (const f of m.files) {
    const st = statSync(join(root, f.path), { throwIfNoEntry: false });
    if (st === undefined || !st.isFile() || st.size !== f.size) return (say(`changed: ${f.path}`), false);
    if (st.mtimeMs !== f.mtimeMs || st.ctimeMs !== f.ctimeMs) files.push(f);
  }
  for (const d of m.dirs) {
    const st = statSync(join(root, d.path), { throwIfNoEntry: false });
    if (st === undefined || !st.isDirectory()) return (say(`changed: ${d.path}/`), false);
    if (st.mtimeMs !== d.mtimeMs) dirs.push(d);
  }
  if (files.length + dirs.length === 0) return true;
  for (const f of files)
    if ((await hashOf(join(root, f.path), 'file')) !== f.hash) return (say(`changed: ${f.path}`), false);
  for (const d of dirs)
    if ((await hashOf(join(root, d.path), 'dir')) !== d.hash) return (say(`changed: ${d.path}/`), false);
  say(`${files.length} file(s) and ${dirs.length} folder(s) touched, contents unchanged`);
  for (const f of files) Object.assign(f, stats(join(root, f.path)));
  for (const d of dirs) d.mtimeMs = statSync(join(root, d.path)).mtimeMs;
  try {
    writeFileSync(`${file}.${process.pid}`, JSON.stringify(m));
    renameSync(`${file}.${process.pid}`, file);
  } catch {
    // a read-only cache: the next start hashes again
  }
  return true;
}

/**
 * The stat fields a manifest records of a file.
 * @param {string} path
 */
export function stats(path) {
  const st = statSync(path);
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

/**
 * The folder of build `name` when it is fresh; otherwise undefined.
 * @param {string} root the repository
 * @param {string} cacheDir
 * @param {string} name 'current' (the last good build) or 'failed' (the last failed one)
 */
export async function freshBuild(root, cacheDir, name) {
  let dir;
  try {
    dir = join(cacheDir, JSON.parse(readFileSync(join(cacheDir, `${name}.json`), 'utf8')).build);
    const file = join(dir, 'manifest.json');
    /** @type {Manifest} */
    const m = JSON.parse(readFileSync(file, 'utf8'));
    if (!(await unchanged(root, m, file))) return undefined;
  } catch {
    return undefined;
  }
  touch(dir);
  return dir;
}

/**
 * Mark a build folder as in use (kept by the clean-up of old builds), at most hourly.
 * @param {string} dir
 */
export function touch(dir) {
  if (Date.now() - statSync(dir).mtimeMs < TOUCH_EVERY_MS) return;
  const now = new Date();
  utimesSync(dir, now, now);
}
