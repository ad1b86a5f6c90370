import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'scenarios', testTimeout: 120_000 } });
