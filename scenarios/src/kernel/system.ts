/**
 * A system module: what one system (RAIDA, DHT, FROST over Hubert, Bao, Prime, or a user's own)
 * brings to the harness — its scenarios, an end-to-end demo, and a stand-alone simulator. The
 * CLI builds `fanout run`, `fanout <system> demo` and `fanout sim <system>` from these, with flags
 * derived from their option schemas and one progress board fed by their fan-out events.
 */
import type { FaultInjector, FaultPlan } from '@fanout/sim';
import type { z } from 'zod';
import type { Scenario } from './define.js';
import type { OptionsSchema } from './options.js';
import type { ScenarioEvent } from './types.js';

/** What a demo or a stand-alone simulator is given by the CLI. */
export interface CommandIO {
  /** Print one line (stdout). */
  log(line: string): void;
  /** Progress for the board (phases, fan-out events). */
  onEvent(event: ScenarioEvent): void;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
  /** Wall-clock reader (for "ran in N ms of wall time"); the CLI passes the real clock. */
  wallNow(): number;
}

/** An end-to-end demo of one system (`fanout <system> demo`). */
export interface Demo<S extends OptionsSchema = OptionsSchema> {
  /** One line for the help text. */
  readonly description: string;
  /** Options; every field becomes a `--kebab-case` flag. Include `mode` and `seed` when they apply. */
  readonly options: S;
  /** Defaults that differ in the live tier (applied when the user gives `--mode live`). */
  readonly liveDefaults?: Partial<z.input<S>>;
  /**
   * Run the demo, printing through `io.log` and reporting progress through `io.onEvent`.
   * @returns the exit code: 0 when every result matched the oracle, 1 otherwise.
   */
  run(options: z.output<S>, io: CommandIO): Promise<number>;
}

/** A running stand-alone simulator. */
export interface RunningSim {
  /** Named endpoints, e.g. `{ 'raida-0': 'udp://127.0.0.1:50000' }` or `{ hubert: 'http://127.0.0.1:45678' }`. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** The plan in force at every server edge (the fault-control API swaps it). */
  readonly injector: FaultInjector;
  /** Extra facts for the start-up line and `--json` (files written, token, key material source…). */
  readonly info: Readonly<Record<string, unknown>>;
  /** Requests served so far. */
  requests(): number;
  close(): Promise<void>;
}

/** A stand-alone simulator (`fanout sim <system>`). */
export interface SimServer<S extends OptionsSchema = OptionsSchema> {
  readonly description: string;
  readonly options: S;
  /** Start on 127.0.0.1 with `plan` at the edge. */
  start(options: z.output<S>, plan: FaultPlan, io: CommandIO): Promise<RunningSim>;
}

/** One system's module. */
export interface SystemModule {
  /** Lowercase name, the scenario prefix (`raida` for `raida.no-hol`). */
  readonly name: string;
  readonly title: string;
  readonly scenarios: readonly Scenario[];
  readonly demo?: Demo;
  readonly sim?: SimServer;
}

/** A system module was malformed. */
export class SystemDefinitionError extends Error {
  override readonly name = 'SystemDefinitionError';
}

/**
 * Declare a system module.
 * @throws SystemDefinitionError when a scenario's name does not start with `<name>.`.
 */
export function defineSystem<D extends OptionsSchema, M extends OptionsSchema>(m: {
  readonly name: string;
  readonly title: string;
  readonly scenarios: readonly Scenario[];
  readonly demo?: Demo<D>;
  readonly sim?: SimServer<M>;
}): SystemModule {
  for (const s of m.scenarios)
    if (!s.name.startsWith(`${m.name}.`))
      throw new SystemDefinitionError(`system ${m.name}: scenario ${s.name} must be named ${m.name}.<name>`);
  return m as unknown as SystemModule;
}

/** Whether `x` looks like a {@link SystemModule}. */
export function isSystemModule(x: unknown): x is SystemModule {
  const m = x as Partial<SystemModule> | null;
  return typeof m === 'object' && m !== null && typeof m.name === 'string' && Array.isArray(m.scenarios);
}

/**
 * `fanout.config.ts` (or .js/.mjs): the scenario modules to load beside the built-in ones, as
 * paths relative to the config file (each module's default export, or its `scenarios` export, is
 * a scenario, an array of scenarios or a system module), or as objects.
 */
export interface FanoutConfig {
  readonly scenarios: readonly (string | Scenario | SystemModule)[];
}

/** Identity, for types: `export default defineConfig({ scenarios: ['./scenarios/oracle.ts'] })`. */
export function defineConfig(config: FanoutConfig): FanoutConfig {
  return config;
}
