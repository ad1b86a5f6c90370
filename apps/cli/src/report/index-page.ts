/**
 * The index page of a whole `fanout run` (or of a `--json` summary): every scenario with its runs
 * held and violated, its checks, its decision-time percentiles and histogram (from the summary's
 * samples), and its violating runs, each linked to its run report when one was written (else its
 * replay command).
 */
import type { Failure } from '@fanout/scenarios';
import { histogramOption, type ChartOption } from './chart-options.js';
import { histogram } from './histogram.js';
import type { SummaryEntry } from './input.js';
import { esc, htmlPage } from './page.js';

/** One violating run on the index: its seed, what it violated, where its report or replay is. */
export interface IndexRun {
  readonly seed: number;
  readonly guarantees: readonly string[];
  /** Link to the run's report, relative to the index page. */
  readonly href?: string;
  readonly replayFile?: string;
}

/** One scenario on the index. */
export interface IndexEntry {
  readonly summary: SummaryEntry;
  readonly violating: readonly IndexRun[];
}

/** The violating runs a summary lists (its kept failures, grouped by seed, in order). */
export function violatingRuns(failures: readonly Failure[]): IndexRun[] {
  const bySeed = new Map<number, { guarantees: string[]; replayFile?: string }>();
  for (const f of failures) {
    const run = bySeed.get(f.seed) ?? { guarantees: [] };
    run.guarantees.push(f.guarantee);
    if (f.replayFile !== undefined) run.replayFile = f.replayFile;
    bySeed.set(f.seed, run);
  }
  return [...bySeed].map(([seed, r]) => ({ seed, ...r }));
}

const fmt = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));

function runList(e: IndexEntry): string {
  if (e.violating.length === 0) return '';
  const items = e.violating.map((r) => {
    const what = `seed ${r.seed}: ${esc(r.guarantees.join(', '))}`;
    const link = r.href === undefined ? what : `<a href="${esc(r.href)}">${what}</a>`;
    const replay = r.replayFile === undefined ? '' : ` <code>fanout replay ${esc(r.replayFile)}</code>`;
    return `<li data-seed="${r.seed}">${link}${replay}</li>`;
  });
  const more = e.summary.runsViolated - e.violating.length;
  const tail = more > 0 ? `<li class="muted">… and ${more} more violating run(s) not listed</li>` : '';
  return `<ul>${items.join('\n')}${tail}</ul>`;
}

/**
 * The whole index page (self-contained HTML).
 * @param entries the scenarios in run order
 * @param title the page's heading
 */
export function renderIndexPage(entries: readonly IndexEntry[], title: string): string {
  const charts: Record<string, ChartOption> = {};
  const rows = entries
    .map((e, i) => {
      const s = e.summary;
      const checks =
        s.checksHeld === undefined ? '–' : `${s.checksHeld}/${s.checksHeld + (s.checksViolated ?? 0)}`;
      return `<tr data-scenario="${esc(s.scenario)}" data-held="${s.runsHeld}" data-violated="${s.runsViolated}">
<td><a href="#s${i}">${esc(s.scenario)}</a></td><td>${esc(s.mode)}</td><td>${s.runs}</td>
<td class="held">${s.runsHeld}</td><td class="${s.runsViolated > 0 ? 'violated' : ''}">${s.runsViolated}</td>
<td>${checks}</td><td>${fmt(s.p50Ms)}</td><td>${fmt(s.p99Ms)}</td></tr>`;
    })
    .join('\n');
  const sections = entries
    .map((e, i) => {
      const samples = e.summary.samples?.latencyMs ?? [];
      let chart = '<p class="muted">No decision-time samples in this summary.</p>';
      if (samples.length > 0) {
        charts[`s${i}`] = histogramOption(
          histogram(samples),
          `decision time, ${e.summary.mode === 'sim' ? 'virtual' : 'wall'} ms`,
        );
        chart = `<div class="chart" data-chart="s${i}" style="height:240px"></div>`;
      }
      return `<h2 id="s${i}">${esc(e.summary.scenario)} (${esc(e.summary.mode)})</h2>\n${chart}\n${runList(e)}`;
    })
    .join('\n');
  const body = `<h1>${esc(title)}</h1>
<table id="scenarios"><tr><th>scenario</th><th>mode</th><th>runs</th><th>runs held</th><th>runs violated</th><th>checks held / made</th><th>p50 ms</th><th>p99 ms</th></tr>
${rows}</table>
${sections}`;
  const summary = entries.map((e) => ({
    scenario: e.summary.scenario,
    runsHeld: e.summary.runsHeld,
    runsViolated: e.summary.runsViolated,
    reports: e.violating.filter((r) => r.href !== undefined).length,
  }));
  return htmlPage({ title, body, charts, summary });
}
