/**
 * `fanout list [--json]`: every scenario (built-in and from the config) with its tiers, default
 * runs, options and guarantees.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { describeOptions } from '@fanout/scenarios';
import type { Env } from '../env.js';

async function list(env: Env, o: { json?: boolean }): Promise<number> {
  const all = await (await env.catalog()).all();
  if (o.json === true) {
    env.log(
      JSON.stringify(
        all.map((s) => ({
          name: s.name,
          title: s.title,
          tiers: s.tiers,
          defaultRuns: s.defaultRuns,
          guarantees: s.guarantees,
          options: describeOptions(s.options).map((i) => ({
            name: i.name,
            kind: i.kind,
            default: i.default,
            description: i.description,
          })),
        })),
        null,
        2,
      ),
    );
    return 0;
  }
  for (const s of all) {
    const opts = describeOptions(s.options)
      .map((i) => `${i.name}${i.default === undefined ? '' : `=${JSON.stringify(i.default)}`}`)
      .join(', ');
    env.log(
      `${pc.bold(s.name)} [${s.tiers.join(', ')}; ${s.defaultRuns.sim} sim / ${s.defaultRuns.live} live runs by default]`,
    );
    env.log(`  ${s.title}`);
    env.log(`  guarantees: ${s.guarantees.join(', ')}`);
    if (opts !== '') env.log(`  options (--set key=value): ${opts}`);
  }
  return 0;
}

/** Register `list`. */
export function registerList(program: Command, env: Env): void {
  program
    .command('list')
    .description('list scenarios, their tiers, options and guarantees')
    .option('--json', 'machine-readable')
    .action(async (o: { json?: boolean }) => env.exit(await list(env, o)));
}
