/**
 * `fanout.config.ts` (or .mts/.js/.mjs), found in the current folder or named with `--config`: the
 * user's scenario modules, loaded beside the built-in systems. TypeScript modules are loaded
 * through tsx (`tsImport`), JavaScript ones with a plain `import()`.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Kernel from '@fanout/scenarios';
import type { FanoutConfig, Scenario, SystemModule } from '@fanout/scenarios';

/** The kernel's shape checks, loaded with the first config (a run without one never needs them here). */
type Checks = Pick<typeof Kernel, 'isScenario' | 'isSystemModule'>;

/** Config file names looked for in the current folder, in order. */
export const CONFIG_NAMES = [
  'fanout.config.ts',
  'fanout.config.mts',
  'fanout.config.mjs',
  'fanout.config.js',
];

/** The config could not be loaded or is malformed; the message names the file and what was wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

async function load(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (/\.(c|m)?ts$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

/** The scenarios a loaded module offers: its default export or `scenarios` export. */
function scenariosOf(
  { isScenario, isSystemModule }: Checks,
  mod: Record<string, unknown>,
  where: string,
): Scenario[] {
  const v = mod['default'] ?? mod['scenarios'];
  const list = Array.isArray(v) ? v : [v];
  const out: Scenario[] = [];
  for (const x of list) {
    if (isScenario(x)) out.push(x);
    else if (isSystemModule(x)) out.push(...x.scenarios);
    else
      throw new ConfigError(
        `${where}: the default export must be a scenario, an array of scenarios or a system module`,
      );
  }
  return out;
}

/** What a config brings: its scenarios (and the system modules among them, for demos and sims). */
export interface LoadedConfig {
  readonly file: string;
  readonly scenarios: readonly Scenario[];
  readonly systems: readonly SystemModule[];
}

/**
 * Find and load the config: `explicit` when given, else the first of {@link CONFIG_NAMES} in
 * `cwd`; undefined when there is none.
 * @throws ConfigError when the file is missing (explicit), fails to load, or lists a module whose
 *   export is not a scenario.
 */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig | undefined> {
  const file =
    explicit !== undefined
      ? resolve(cwd, explicit)
      : CONFIG_NAMES.map((n) => resolve(cwd, n)).find(existsSync);
  if (file === undefined) return undefined;
  if (!existsSync(file)) throw new ConfigError(`config file ${explicit} not found`);
  let mod: Record<string, unknown>;
  try {
    mod = await load(file);
  } catch (e) {
    throw new ConfigError(`cannot load ${file}: ${(e as Error).message}`);
  }
  const config = (mod['default'] ?? mod) as Partial<FanoutConfig>;
  if (!Array.isArray(config.scenarios)) throw new ConfigError(`${file}: must export { scenarios: [...] }`);
  const checks: Checks = await import('@fanout/scenarios');
  const { isScenario, isSystemModule } = checks;
  const scenarios: Scenario[] = [];
  const systems: SystemModule[] = [];
  for (const entry of config.scenarios) {
    if (typeof entry === 'string') {
      const path = resolve(dirname(file), entry);
      let m: Record<string, unknown>;
      try {
        m = await load(path);
      } catch (e) {
        throw new ConfigError(`${file}: cannot load ${entry}: ${(e as Error).message}`);
      }
      const sys = m['default'];
      if (isSystemModule(sys)) systems.push(sys);
      scenarios.push(...scenariosOf(checks, m, `${file}: ${entry}`));
    } else if (isSystemModule(entry)) {
      systems.push(entry);
      scenarios.push(...entry.scenarios);
    } else if (isScenario(entry)) scenarios.push(entry);
    else
      throw new ConfigError(`${file}: scenarios[] entries must be module paths, scenarios or system modules`);
  }
  return { file, scenarios, systems };
}
