/** The CLI as a child process, for the CLI's tests (from source: the `@fanout/source` condition and tsx). */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** The repository root. */
export const root = resolve(import.meta.dirname, '../../..');

/**
 * Run `fanout ARGS` with a piped stdout (CI=1, NO_COLOR=1) in `cwd` (default: the repository root)
 * and wait for it; returns its exit code and output.
 */
export function fanout(
  args: readonly string[],
  cwd = root,
): { code: number | null; out: string; err: string } {
  const r = spawnSync(
    process.execPath,
    ['--conditions=@fanout/source', '--import', 'tsx', join(root, 'apps/cli/src/main.ts'), ...args],
    { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1' }, encoding: 'utf8' },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}
