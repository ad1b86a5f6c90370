import { defineProject } from 'vitest/config';
import { workspaceResolve } from '../../vitest.shared.js';

// In this repository the example resolves @fanout/* to their sources; a user's project needs no
// vitest config at all.
export default defineProject({ ...workspaceResolve, test: { name: 'own-client', testTimeout: 60_000 } });
