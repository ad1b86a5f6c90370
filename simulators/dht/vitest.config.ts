import { defineProject } from 'vitest/config';
import { workspaceResolve } from '../../vitest.shared.js';

// Swarm tests build 100–500 simulated nodes; on a loaded 2-core box one can pass the 5 s default.
export default defineProject({ ...workspaceResolve, test: { name: 'sim-dht', testTimeout: 30_000 } });
