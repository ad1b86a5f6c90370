import { defineProject } from 'vitest/config';
import { workspaceResolve } from '../../vitest.shared.js';

export default defineProject({
  ...workspaceResolve,
  test: { name: 'sim-raida', testTimeout: 60_000, hookTimeout: 60_000 },
});
