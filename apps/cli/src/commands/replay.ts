/**
 * `fanout replay FILE [--trace OUT]`: re-run the run a replay file describes (scenario, seed, mode,
 * plan, options) and compare its trace hash. The plan in the file is the plan the run uses, so a
 * hand-edited plan is replayed, and judged, as written.
 * Exit codes: 0 every guarantee held and the hash (if any) reproduced; 1 a guarantee violated;
 * 2 unreadable file, unknown scenario or tier; 3 trace hash differs.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { existingTraceFile, loadReplay, ReplayModeError, runScenario } from '@fanout/scenarios';
import { ReplayFileError, writeTraceFile } from '@fanout/sim/replay';
import { wallNow, type Env } from '../env.js';

async function replay(env: Env, file: string, o: { trace?: string }): Promise<number> {
  let loaded;
  try {
    loaded = loadReplay(file);
  } catch (e) {
    if (e instanceof ReplayFileError || e instanceof ReplayModeError) {
      env.error(pc.red(e.message));
      return 2;
    }
    throw e;
  }
  const { file: r, mode, options } = loaded;
  const scenario = (await (await env.catalog()).pick([r.scenario]).catch(() => [])).find(
    (s) => s.name === r.scenario,
  );
  if (scenario === undefined) {
    env.error(pc.red(`replay: unknown scenario "${r.scenario}" in ${file}`));
    return 2;
  }
  env.log(
    `${pc.bold('fanout replay')} ${file}: ${r.scenario}, seed ${r.seed}, mode ${mode}, recorded at commit ${r.commit.slice(0, 12)}`,
  );
  if (r.violation) env.log(pc.dim(`recorded violation:\n${r.violation}`));
  const recorded = existingTraceFile(file);
  if (recorded !== undefined) env.log(`recorded trace (JSON Lines): ${recorded}`);
  const result = await runScenario(scenario, {
    seed: r.seed,
    mode,
    plan: r.plan,
    options,
    signal: env.signal,
    wallNow,
  });
  if (o.trace !== undefined) {
    if (result.trace === undefined) env.log(pc.yellow(`no trace to write: ${mode} runs keep none`));
    else {
      mkdirSync(dirname(o.trace), { recursive: true });
      writeTraceFile(o.trace, result.trace);
      env.log(`replayed trace (JSON Lines, ${result.trace.total} events) written to ${o.trace}`);
    }
  }
  for (const g of result.guarantees)
    env.log(
      `  ${g.held ? pc.green('held    ') : pc.red('VIOLATED')} ${g.name}${g.detail ? `: ${g.detail}` : ''}`,
    );
  let code = result.held ? 0 : 1;
  if (r.traceHash !== undefined && result.traceHash !== undefined) {
    if (r.traceHash === result.traceHash) env.log(pc.green(`trace hash reproduced: ${result.traceHash}`));
    else {
      env.log(
        pc.red(
          `trace hash differs: recorded ${r.traceHash}, now ${result.traceHash} (code or plan changed since ${r.commit.slice(0, 12)}?)`,
        ),
      );
      code = 3;
    }
  }
  return code;
}

/** Register `replay`. */
export function registerReplay(program: Command, env: Env): void {
  program
    .command('replay')
    .description('re-run a saved run (replay file) and check it reproduces its trace hash')
    .argument('<file>', 'a replay file (.fanout/replays/<scenario>-<mode>-<seed>.json)')
    .option('--trace <out>', 'write the replayed run’s trace (sim) as JSON Lines to this file')
    .action(async (file: string, o: { trace?: string }) => env.exit(await replay(env, file, o)));
}
