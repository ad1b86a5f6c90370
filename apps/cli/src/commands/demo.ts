/**
 * `fanout <system> demo`: one system end to end with the progress board, flags derived from the
 * demo's option schema. Ctrl-C aborts the in-flight work, prints the partial picture of the last
 * fan-out and exits 130.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { parseOptions, type Demo } from '@fanout/scenarios';
import { Board } from '../board.js';
import { wallNow, type Env } from '../env.js';
import { addSchemaFlags, pickOptions } from '../flags.js';

async function runDemo(
  env: Env,
  system: string,
  demo: Demo,
  names: readonly string[],
  flags: Record<string, unknown>,
): Promise<number> {
  const given = pickOptions(flags, names);
  const input = given['mode'] === 'live' ? { ...(demo.liveDefaults ?? {}), ...given } : given;
  const options = parseOptions(demo.options, input, `fanout ${system} demo`);
  const board = await Board.open({ interactive: env.interactive, now: wallNow, write: (l) => env.log(l) });
  const code = await demo
    .run(options, { log: (l) => env.log(l), onEvent: (e) => board.event(e), signal: env.signal, wallNow })
    .finally(() => board.done());
  if (env.signal.aborted) {
    env.log(pc.yellow('\nInterrupted: in-flight work aborted. Partial picture of the last round:'));
    for (const l of board.picture()) env.log(l);
    return 130;
  }
  return code;
}

/** Register `<system> demo` for each system with a demo (placeholders for systems not loaded). */
export function registerDemos(
  program: Command,
  env: Env,
  systems: readonly { name: string; title: string; demo: Demo | undefined | 'lazy' }[],
): void {
  for (const s of systems) {
    if (s.demo === undefined) continue;
    const group = program.command(s.name).description(s.title);
    const cmd = group
      .command('demo')
      .description(s.demo === 'lazy' ? `${s.name} end to end` : s.demo.description);
    if (s.demo === 'lazy') {
      cmd.allowUnknownOption().action(() => env.exit(2));
      continue;
    }
    const demo = s.demo;
    const names = addSchemaFlags(cmd, demo.options);
    cmd.action(async (flags: Record<string, unknown>) =>
      env.exit(await runDemo(env, s.name, demo, names, flags)),
    );
  }
}
