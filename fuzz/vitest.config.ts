import { defineProject } from 'vitest/config';
import { workspaceResolve } from '../vitest.shared.js';

export default defineProject({
  ...workspaceResolve,
  test: { name: 'fuzz', testTimeout: 120_000, hookTimeout: 60_000 },
});
