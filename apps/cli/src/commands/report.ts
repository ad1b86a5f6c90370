/**
 * `fanout report FILE [--out PATH]`: one self-contained HTML page (ECharts and the data inlined,
 * nothing fetched when it is viewed) from a replay file, a trace (.jsonl) or a `fanout run --json`
 * summary; prints the path written. Exit 0 written; 2 the file is unreadable or of no known kind.
 * docs/report.md says how to read a report. The report code (and ECharts) is loaded by this
 * command only.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { ReplayModeError } from '@fanout/scenarios';
import { TraceParseError } from '@fanout/sim';
import { ReplayFileError } from '@fanout/sim/replay';
import type { Env } from '../env.js';
import type { DeclaredOf } from '../report/write.js';

/** A DeclaredOf over the catalogue: the scenario's guarantees, or undefined when it is unknown. */
export function declaredFromCatalog(env: Env): DeclaredOf {
  return async (name) => {
    try {
      const found = (await (await env.catalog()).pick([name])).find((s) => s.name === name);
      return found?.guarantees;
    } catch {
      return undefined; // an unknown scenario: the report lists only what the file recorded
    }
  };
}

async function report(env: Env, file: string, o: { out?: string }): Promise<number> {
  const [{ ReportInputError }, { defaultReportPath, writeReport }] = await Promise.all([
    import('../report/input.js'),
    import('../report/write.js'),
  ]);
  const out = o.out ?? defaultReportPath(file);
  try {
    const r = await writeReport(file, out, declaredFromCatalog(env));
    env.log(`report (${r.kind}) written to ${r.path}`);
    return 0;
  } catch (e) {
    const known =
      e instanceof ReportInputError ||
      e instanceof ReplayFileError ||
      e instanceof ReplayModeError ||
      e instanceof TraceParseError ||
      (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (!known) throw e;
    env.error(pc.red(`report: ${(e as Error).message}`));
    return 2;
  }
}

/** Register `report`. */
export function registerReport(program: Command, env: Env): void {
  program
    .command('report')
    .description('write a self-contained HTML timeline report of a replay file, a trace or a --json summary')
    .argument('<file>', 'a replay file (.json), a trace (.trace.jsonl) or a fanout run --json summary')
    .option('--out <path>', 'where to write the HTML (default: FILE with .report.html)')
    .action(async (file: string, o: { out?: string }) => env.exit(await report(env, file, o)));
}
