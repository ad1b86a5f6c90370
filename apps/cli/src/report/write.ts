/**
 * Writing reports to disk: one run's page from its replay or trace file, a summary's index page,
 * and, after `fanout run --report DIR`, one page per violating run plus DIR/index.html.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Summary } from '@fanout/scenarios';
import type { RunRecord } from '../reports.js';
import { checksFromViolation } from './guarantees.js';
import { renderIndexPage, violatingRuns, type IndexEntry, type IndexRun } from './index-page.js';
import { detectInputKind, loadRun, loadSummary } from './input.js';
import { renderRunPage, type RunReport } from './run-page.js';
import { buildTimeline } from './timeline.js';

/** Where `fanout report FILE` writes by default: FILE without .json / .trace.jsonl / .jsonl, plus .report.html. */
export function defaultReportPath(file: string): string {
  return `${file.replace(/(\.trace\.jsonl|\.jsonl|\.json)$/, '')}.report.html`;
}

/** The declared guarantees of a scenario by name; undefined when it is not known here. */
export type DeclaredOf = (
  scenario: string,
) => Promise<readonly string[] | undefined> | readonly string[] | undefined;

function write(path: string, html: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, html, 'utf8');
}

/**
 * Read one run (replay or trace file) into its report.
 * @param declaredOf the declared guarantees of a scenario by name (undefined: unknown here)
 * @throws what {@link loadRun} throws.
 */
export async function buildRunReport(
  file: string,
  kind: 'replay' | 'trace',
  declaredOf: DeclaredOf,
): Promise<RunReport> {
  const source = loadRun(file, kind);
  const declared = source.scenario === undefined ? undefined : await declaredOf(source.scenario);
  return {
    source,
    timeline: buildTimeline(source.events, source.plan),
    guarantees: checksFromViolation(source.violation, declared),
    guaranteesComplete: declared !== undefined,
  };
}

/**
 * `fanout report FILE`: detect the input's kind, write its page to `out`.
 * @returns the kind read and the path written.
 * @throws ReportInputError for a file of no known kind; what {@link buildRunReport} throws.
 */
export async function writeReport(
  file: string,
  out: string,
  declaredOf: DeclaredOf,
): Promise<{ kind: 'replay' | 'trace' | 'summary'; path: string }> {
  const kind = detectInputKind(readFileSync(file, 'utf8'), file);
  if (kind === 'summary') {
    const entries: IndexEntry[] = loadSummary(file).map((summary) => ({
      summary,
      violating: violatingRuns(summary.failures),
    }));
    write(out, renderIndexPage(entries, `fanout run summary: ${basename(file)}`));
  } else write(out, renderRunPage(await buildRunReport(file, kind, declaredOf)));
  return { kind, path: out };
}

/**
 * After `fanout run --report DIR`: a page per violating run that has a replay file
 * (`DIR/<scenario>-<mode>-<seed>.html`) and `DIR/index.html` over every scenario.
 * @param declaredOf the declared guarantees of a scenario by name
 * @returns the index path and the number of run pages written.
 */
export async function writeRunReports(
  dir: string,
  summaries: readonly Summary[],
  records: readonly RunRecord[],
  declaredOf: DeclaredOf,
): Promise<{ index: string; pages: number }> {
  let pages = 0;
  const entries: IndexEntry[] = [];
  for (const summary of summaries) {
    const violating: IndexRun[] = [];
    for (const r of records) {
      if (r.scenario !== summary.scenario || r.mode !== summary.mode || r.held) continue;
      const replayFile = r.failures.find((f) => f.replayFile !== undefined)?.replayFile;
      const guarantees = [...new Set(r.failures.map((f) => f.guarantee))];
      if (replayFile === undefined) {
        violating.push({ seed: r.seed, guarantees });
        continue;
      }
      const name = `${r.scenario}-${r.mode}-${r.seed}.html`;
      write(join(dir, name), renderRunPage(await buildRunReport(replayFile, 'replay', declaredOf)));
      pages++;
      violating.push({ seed: r.seed, guarantees, href: name, replayFile });
    }
    entries.push({ summary, violating });
  }
  const index = join(dir, 'index.html');
  write(index, renderIndexPage(entries, `fanout run report: ${dir}`));
  return { index, pages };
}
