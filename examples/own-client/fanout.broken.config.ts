// The deliberately broken client under the same scenario: `fanout run --config fanout.broken.config.ts`
// must exit 1 with a no-hol violation and a replay command.
import { defineConfig } from '@fanout/scenarios';

export default defineConfig({ scenarios: ['./scenarios/oracle-broken.ts'] });
