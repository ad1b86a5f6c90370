/**
 * The scenarios and systems a command can reach: the built-in systems (loaded lazily, only the
 * ones a command names; a run loads only their scenarios, a demo or a simulator the whole system
 * module) and the user's config.
 */
import { BUILTIN_SYSTEMS, type SystemEntry } from '@fanout/scenarios/systems';
import type { Scenario, SystemModule } from '@fanout/scenarios';
import type { LoadedConfig } from './config.js';

/** An unknown scenario or system name; the message lists what exists. */
export class UnknownNameError extends Error {
  override readonly name = 'UnknownNameError';
}

/** Scenario catalogue of one CLI invocation. */
export class Catalog {
  readonly #config: LoadedConfig | undefined;
  readonly #loaded = new Map<string, SystemModule>();
  readonly #scenarios = new Map<string, readonly Scenario[]>();

  constructor(config: LoadedConfig | undefined) {
    this.#config = config;
  }

  /** The built-in systems' entries. */
  get builtins(): readonly SystemEntry[] {
    return BUILTIN_SYSTEMS;
  }

  /** The user's system modules (from the config). */
  get userSystems(): readonly SystemModule[] {
    return this.#config?.systems ?? [];
  }

  /** Load a built-in or user system by name. */
  async system(name: string): Promise<SystemModule | undefined> {
    const user = this.userSystems.find((s) => s.name === name);
    if (user !== undefined) return user;
    const entry = BUILTIN_SYSTEMS.find((e) => e.name === name);
    if (entry === undefined) return undefined;
    let m = this.#loaded.get(name);
    if (m === undefined) this.#loaded.set(name, (m = await entry.load()));
    return m;
  }

  /**
   * The scenarios of a built-in or user system by name (a built-in one's scenario modules only,
   * not its demo and simulator); undefined for an unknown name.
   */
  async scenariosOf(name: string): Promise<readonly Scenario[] | undefined> {
    const user = this.userSystems.find((s) => s.name === name);
    if (user !== undefined) return user.scenarios;
    const entry = BUILTIN_SYSTEMS.find((e) => e.name === name);
    if (entry === undefined) return undefined;
    let list = this.#loaded.get(name)?.scenarios ?? this.#scenarios.get(name);
    if (list === undefined) this.#scenarios.set(name, (list = await entry.scenarios()));
    return list;
  }

  /** Whether system `name` has a stand-alone simulator; undefined when there is no such system. */
  #hasSim(name: string): boolean | undefined {
    const user = this.userSystems.find((s) => s.name === name);
    if (user !== undefined) return user.sim !== undefined;
    return BUILTIN_SYSTEMS.find((e) => e.name === name)?.hasSim;
  }

  /** Every scenario: built-in systems in order, then the config's. Loads every built-in system's scenarios. */
  async all(): Promise<Scenario[]> {
    const out: Scenario[] = [];
    for (const e of BUILTIN_SYSTEMS) out.push(...(await this.scenariosOf(e.name))!);
    for (const s of this.#config?.scenarios ?? []) if (!out.some((x) => x.name === s.name)) out.push(s);
    return out;
  }

  /**
   * The scenarios `names` select (exact names or system prefixes), loading only the systems they
   * name; all when `names` is empty.
   * @throws UnknownNameError naming what matched nothing and what exists, or a system that has
   *   no scenarios of its own (hubert: a simulator the FROST scenarios run over).
   */
  async pick(names: readonly string[]): Promise<Scenario[]> {
    if (names.length === 0) return this.all();
    const out: Scenario[] = [];
    for (const n of names) {
      const prefix = n.split('.')[0]!;
      const fromSystem = (await this.scenariosOf(prefix)) ?? [];
      const pool = [...fromSystem, ...(this.#config?.scenarios ?? [])];
      const matches = pool.filter((s) => s.name === n || s.name.startsWith(`${n}.`));
      if (matches.length === 0 && prefix === n && fromSystem.length === 0) {
        const sim = this.#hasSim(n);
        if (sim !== undefined)
          throw new UnknownNameError(
            `system "${n}" has no scenarios of its own (${sim ? `its simulator: fanout sim ${n}; ` : ''}scenarios by system: fanout list)`,
          );
      }
      if (matches.length === 0) {
        const known = [
          ...BUILTIN_SYSTEMS.map((e) => e.name),
          ...(this.#config?.scenarios ?? []).map((s) => s.name),
        ];
        throw new UnknownNameError(
          `unknown scenario "${n}" (systems and scenarios: ${known.join(', ')}; see fanout list)`,
        );
      }
      for (const m of matches) if (!out.includes(m)) out.push(m);
    }
    return out;
  }
}
