/**
 * `fanout sim <system>`: start a system's simulator as a stand-alone server on 127.0.0.1 for a
 * client in any language, with a fault plan at its edge (`--plan FILE`) and a run-time
 * fault-control HTTP API (list, add, remove, reset rules; see @fanout/sim fault-control.ts), until
 * Ctrl-C or SIGTERM, then print how many requests it served.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { parseOptions, type SimServer } from '@fanout/scenarios';
import { FaultControl, NO_FAULTS, type FaultPlan } from '@fanout/sim';
import { readPlanFile, wallNow, type Env } from '../env.js';
import { addSchemaFlags, intArg, pickOptions } from '../flags.js';

interface SimFlags {
  plan?: FaultPlan;
  controlPort: number;
  json?: boolean;
  [k: string]: unknown;
}

async function startSim(
  env: Env,
  system: string,
  sim: SimServer,
  names: readonly string[],
  flags: SimFlags,
): Promise<number> {
  const options = parseOptions(sim.options, pickOptions(flags, names), `fanout sim ${system}`);
  const plan = flags.plan ?? NO_FAULTS;
  const io = {
    log: (l: string) => (flags.json ? env.error(l) : env.log(l)),
    onEvent: () => {},
    signal: env.signal,
    wallNow,
  };
  let running;
  try {
    running = await sim.start(options, plan, io);
  } catch (e) {
    env.error(pc.red(`cannot bind the ${system} simulator: ${(e as Error).message}`));
    return 1;
  }
  // The HTTP server code (hono) is loaded here, by the one command that serves.
  const { startFaultControl } = await import('@fanout/sim/live');
  const control = await startFaultControl({
    control: new FaultControl(running.injector),
    port: flags.controlPort,
  });
  if (flags.json === true) {
    env.log(
      JSON.stringify({ system, endpoints: running.endpoints, control: control.url, info: running.info }),
    );
  } else {
    env.log(`${pc.bold(`fanout sim ${system}`)}: ${sim.description}`);
    for (const [name, url] of Object.entries(running.endpoints)) env.log(`  ${name.padEnd(12)} ${url}`);
    for (const [k, v] of Object.entries(running.info))
      env.log(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    env.log(
      `fault control: ${control.url} (GET /plan, GET /rules, POST /rules, DELETE /rules/:id, PUT /plan, POST /reset)`,
    );
    env.log(`fault plan: ${plan.rules.length} rule(s)${flags.plan ? ' from file' : ''}. Ctrl-C to stop.`);
  }
  if (!env.signal.aborted)
    await new Promise<void>((resolve) =>
      env.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  const served = running.requests();
  await control.close();
  await running.close();
  (flags.json ? env.error : env.log)(`\nstopped after ${served} request(s).`);
  return 0;
}

/**
 * Register `sim` with one subcommand per system that has a simulator. Systems in `loaded` get
 * their schema's flags; the others a placeholder (the CLI loads a system before parsing when the
 * command line names it).
 */
export function registerSim(
  program: Command,
  env: Env,
  systems: readonly { name: string; title: string; sim: SimServer | undefined | 'lazy' }[],
): void {
  const sim = program
    .command('sim')
    .description('start a system’s simulator on 127.0.0.1 for any client, with a fault-control API');
  for (const s of systems) {
    if (s.sim === undefined) continue;
    const cmd = sim.command(s.name).description(s.sim === 'lazy' ? s.title : s.sim.description);
    if (s.sim === 'lazy') {
      cmd.allowUnknownOption().action(() => env.exit(2));
      continue;
    }
    const server = s.sim;
    const names = addSchemaFlags(cmd, server.options);
    cmd
      .option('--plan <file>', 'fault plan (JSON) applied at every server edge from the start', readPlanFile)
      .option(
        '--control-port <n>',
        'port of the fault-control API (0: ephemeral)',
        intArg('--control-port', 0, 65535),
        0,
      )
      .option('--json', 'print the endpoints as one JSON line (for scripts)')
      .action(async (flags: SimFlags) => env.exit(await startSim(env, s.name, server, names, flags)));
  }
}
