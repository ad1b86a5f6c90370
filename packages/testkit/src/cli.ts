/**
 * The fanout CLI as the test suites start it in a child process: node with the `@fanout/source`
 * condition and the repository's launcher (tools/fanout.mjs), which runs a JavaScript build of the
 * current sources, rebuilt whenever any of them changed (what `pnpm fanout` runs), and falls
 * back to the sources through tsx where the CLI does (a fanout.config.* file, FANOUT_FROM_SOURCE=1).
 * Starting the build takes about half the time of starting the sources through tsx.
 */
import { join, resolve } from 'node:path';

/** The repository root (this file is packages/testkit/src/cli.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** The launcher script, absolute. */
export const FANOUT_LAUNCHER = join(REPO_ROOT, 'tools/fanout.mjs');

/** Node arguments that start the CLI; `fanout ARGS` is `process.execPath` with these, then ARGS. */
export const FANOUT_NODE_ARGS: readonly string[] = ['--conditions=@fanout/source', FANOUT_LAUNCHER];

/**
 * Node arguments that run `fanout ARGS`: spawn `process.execPath` with them.
 * @example spawn(process.execPath, fanoutArgs(['sim', 'raida', '--port-base', '0']), { cwd: REPO_ROOT })
 */
export function fanoutArgs(args: readonly string[]): string[] {
  return [...FANOUT_NODE_ARGS, ...args];
}
