import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One vitest process runs every workspace project (cheaper than one process per package on a
// 2-core CI machine). Each project may add its own vitest.config.ts.
// The summary reporter closes the run with a plain `tests: N passed, N failed, N skipped` line.
// Each project spreads vitest.shared.ts (workspace packages resolve to their sources).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'simulators/*', 'scenarios', 'examples/*', 'fuzz'],
    reporters: ['default', './tools/summary-reporter.ts'],
    // At least two workers: vitest's default for `run` is one fewer than the CPUs (1 on a 2-core CI
    // machine), while most of the slow files wait on sockets and child processes.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
