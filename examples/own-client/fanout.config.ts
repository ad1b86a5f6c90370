import { defineConfig } from '@fanout/scenarios';

export default defineConfig({ scenarios: ['./scenarios/oracle.ts'] });
