import { defineConfig } from 'vitest/config';

// One vitest process runs every workspace project (cheaper than one process per package on a
// 2-core CI machine). Each project may add its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['packages/*', 'simulators/*', 'scenarios'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
