import { defineProject } from 'vitest/config';
import { workspaceResolve } from '../../vitest.shared.js';

// Generous per-test timeout: the 2-core CI box is shared with other packages' test runs, and
// pure-JS Ed25519/X25519 is slow there. The suites themselves target a few seconds in total.
export default defineProject({ ...workspaceResolve, test: { name: 'frost', testTimeout: 30_000 } });
