import { defineProject } from 'vitest/config';
import { workspaceResolve } from '../../vitest.shared.js';

// Swarm tests are CPU-bound (ed25519 on every simulated node); on a loaded 2-core box they can pass 5 s.
export default defineProject({ ...workspaceResolve, test: { name: 'dht', testTimeout: 30_000 } });
