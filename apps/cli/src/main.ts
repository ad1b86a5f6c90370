#!/usr/bin/env node
/**
 * `fanout` — the top of the house: run scenarios (built-in and the user's own, from
 * fanout.config.ts) against the embedded simulators, replay a saved run, list scenarios, run a
 * system's demo, and start simulators as stand-alone servers. Commands, flags and the progress
 * board are built from the system modules; nothing imports this package.
 *
 * Exit codes: 0 all held; 1 a guarantee was violated (or a demo's result did not match its
 * oracle); 2 usage error (bad flag, unknown scenario, bad plan or config); 3 replayed trace hash
 * differs; 70 internal error; 130 interrupted.
 */
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { BUILTIN_SYSTEMS } from '@fanout/scenarios/systems';
import { Catalog, UnknownNameError } from './catalog.js';
import { ConfigError, loadConfig } from './config.js';
import { registerDemos } from './commands/demo.js';
import { registerFrostTools } from './commands/frost-tools.js';
import { registerList } from './commands/list.js';
import { registerMerge } from './commands/merge.js';
import { registerPlan } from './commands/plan.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerShrink } from './commands/shrink.js';
import { registerSim } from './commands/sim.js';
import { wallNow, type Env } from './env.js';

/** Exit code of a usage error. */
export const USAGE = 2;
/** Exit code of an unexpected internal error (sysexits EX_SOFTWARE). */
export const INTERNAL = 70;

const interactive = process.stdout.isTTY === true && process.env.CI === undefined;

// `fanout run … | head`: the reader went away. Stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/** `--config FILE` from argv, wherever it stands (it applies to every command). */
function configFlag(argv: readonly string[]): string | undefined {
  const at = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (at < 0) return undefined;
  return argv[at]!.includes('=') ? argv[at]!.slice('--config='.length) : argv[at + 1];
}

function makeEnv(argv: readonly string[], abort: AbortController, setCode: (c: number) => void): Env {
  let catalog: Promise<Catalog> | undefined;
  return {
    catalog: () => (catalog ??= loadConfig(process.cwd(), configFlag(argv)).then((c) => new Catalog(c))),
    log: (line) => console.log(line),
    error: (line) => console.error(line),
    interactive,
    now: wallNow,
    signal: abort.signal,
    exit: setCode,
  };
}

/** Build the command tree; the system named on the command line (demo or sim) is loaded first for its flags. */
async function program(argv: readonly string[], env: Env): Promise<Command> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const catalog = await env.catalog();
  const named = words[0] === 'sim' ? words[1] : words[1] === 'demo' ? words[0] : undefined;
  const loaded = named !== undefined ? await catalog.system(named) : undefined;
  const systems = [
    ...BUILTIN_SYSTEMS.map((e) => ({
      name: e.name,
      title: e.title,
      demo: loaded?.name === e.name ? loaded.demo : e.hasDemo ? ('lazy' as const) : undefined,
      sim: loaded?.name === e.name ? loaded.sim : e.hasSim ? ('lazy' as const) : undefined,
    })),
    ...catalog.userSystems.map((s) => ({ name: s.name, title: s.title, demo: s.demo, sim: s.sim })),
  ];
  const p = new Command()
    .name('fanout')
    .description(
      'Deterministic fan-out scenarios against embedded simulators (RAIDA, DHT, FROST over Hubert, Bao, Prime, yours).',
    )
    .option(
      '--config <file>',
      'fanout.config.ts with your own scenario modules (default: ./fanout.config.ts if present)',
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => {} });
  registerRun(p, env);
  registerReplay(p, env);
  registerReport(p, env);
  registerList(p, env);
  registerMerge(p, env);
  registerPlan(p, env);
  registerShrink(p, env);
  registerSim(p, env, systems);
  registerDemos(p, env, systems);
  registerFrostTools(p, env);
  for (const c of p.commands) c.exitOverride().configureOutput({ outputError: () => {} });
  return p;
}

/** One line for a usage error, and where to look. */
function usage(message: string, hint: string): number {
  console.error(`${pc.red('error:')} ${message.replace(/^error: /, '')}`);
  console.error(pc.dim(hint));
  return USAGE;
}

/**
 * Whether `e` is a usage error: bad scenario options or plan, an unknown name, a bad config. The
 * kernel's error classes are loaded here, on the error path, not by every start of the CLI.
 */
async function isUsageError(e: unknown): Promise<boolean> {
  if (e instanceof UnknownNameError || e instanceof ConfigError) return true;
  const [{ OptionsError }, { FaultPlanError }] = await Promise.all([
    import('@fanout/scenarios'),
    import('@fanout/sim'),
  ]);
  return e instanceof OptionsError || e instanceof FaultPlanError;
}

async function main(argv: string[]): Promise<number> {
  const abort = new AbortController();
  let code = 0;
  const stop = (): void => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort(new Error('interrupted'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const args = argv.slice(2);
  const env = makeEnv(args, abort, (c) => (code = c));
  try {
    const p = await program(args, env);
    await p.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0)
        return 0;
      return usage(e.message, 'see: fanout --help, or fanout <command> --help');
    }
    if (await isUsageError(e))
      return usage((e as Error).message, 'see: fanout list, and fanout <command> --help');
    console.error(pc.red(e instanceof Error ? (e.stack ?? e.message) : String(e)));
    return INTERNAL;
  }
  return code;
}

process.exitCode = await main(process.argv);
