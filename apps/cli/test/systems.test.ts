/**
 * The static registry of built-in systems (@fanout/scenarios/systems), which the CLI builds its
 * commands from before it loads any system, cannot drift from the system modules: each entry's
 * name, title, demo and simulator flags are the module's, and its scenario loader gives the
 * module's very scenarios.
 */
import { describe, expect, test } from 'vitest';
import { BUILTIN_SYSTEMS } from '@fanout/scenarios/systems';

describe('BUILTIN_SYSTEMS', () => {
  test.each(BUILTIN_SYSTEMS.map((e) => [e.name, e] as const))(
    '%s: the entry says what its module has',
    async (_, entry) => {
      const m = await entry.load();
      expect({
        name: m.name,
        title: m.title,
        hasDemo: m.demo !== undefined,
        hasSim: m.sim !== undefined,
      }).toEqual({ name: entry.name, title: entry.title, hasDemo: entry.hasDemo, hasSim: entry.hasSim });
      const scenarios = await entry.scenarios();
      expect(scenarios.map((s) => s.name)).toEqual(m.scenarios.map((s) => s.name));
      scenarios.forEach((s, i) => expect(s).toBe(m.scenarios[i]));
    },
    60_000,
  );

  test('names are unique and every scenario is named after its system', async () => {
    expect(new Set(BUILTIN_SYSTEMS.map((e) => e.name)).size).toBe(BUILTIN_SYSTEMS.length);
    for (const e of BUILTIN_SYSTEMS)
      for (const s of await e.scenarios()) expect(s.name.startsWith(`${e.name}.`), s.name).toBe(true);
  }, 60_000);
});
