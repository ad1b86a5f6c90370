/** The CLI as a child process, for the CLI's tests (the launcher `pnpm fanout` runs: @fanout/testkit/cli). */
import { spawnSync } from 'node:child_process';
import { REPO_ROOT, fanoutArgs } from '@fanout/testkit/cli';

/** The repository root. */
export const root = REPO_ROOT;

/**
 * Run `fanout ARGS` with a piped stdout (CI=1, NO_COLOR=1) in `cwd` (default: the repository root)
 * and wait for it; returns its exit code and output.
 */
export function fanout(
  args: readonly string[],
  cwd = root,
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, fanoutArgs(args), {
    cwd,
    env: { ...process.env, CI: '1', NO_COLOR: '1' },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
