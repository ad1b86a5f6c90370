/**
 * The report page of one run: what it was (scenario, seed, tier, commit, replay command, plan),
 * its guarantees held or violated with their details, the timeline (lanes, events, plan windows,
 * markers) and the round-trip latency histogram. The page's DOM carries a small summary for tools
 * and tests: `#timeline[data-lanes][data-events][data-markers][data-windows]` and
 * `data.summary` in the embedded JSON.
 */
import type { GuaranteeCheck } from '@fanout/scenarios';
import { histogramOption, timelineHeight, timelineOption, MARKER_COLOR } from './chart-options.js';
import type { RunSource } from './input.js';
import { esc, htmlPage } from './page.js';
import type { Timeline } from './timeline.js';

/** Everything the run page shows. */
export interface RunReport {
  readonly source: RunSource;
  readonly timeline: Timeline;
  readonly guarantees: readonly GuaranteeCheck[];
  /** False when the scenario's declared guarantees were unknown (only violated ones listed). */
  readonly guaranteesComplete: boolean;
}

/** The command that reproduces the run: `fanout replay FILE`, else a `fanout run` for the seed. */
export function replayCommand(s: RunSource): string | undefined {
  if (s.replayFile !== undefined) return `fanout replay ${s.replayFile}`;
  if (s.scenario !== undefined && s.seed !== undefined)
    return `fanout run ${s.scenario} --mode ${s.mode ?? 'sim'} --seed ${s.seed} --runs 1`;
  return undefined;
}

/** Counts per key of a list. */
function countBy<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

/** The machine-readable summary of a run page (also in the DOM, see the module docstring). */
export function runSummary(r: RunReport): Record<string, unknown> {
  const tl = r.timeline;
  return {
    scenario: r.source.scenario ?? null,
    seed: r.source.seed ?? null,
    lanes: tl.lanes,
    events: countBy(tl.events, (e) => e.type),
    markers: countBy(tl.markers, (m) => m.type),
    windows: tl.windows.length,
    guarantees: r.guarantees.map((g) => ({ name: g.name, held: g.held })),
  };
}

function metaTable(s: RunSource, events: number): string {
  const row = (k: string, v: string | undefined): string =>
    v === undefined ? '' : `<tr><th>${esc(k)}</th><td>${v}</td></tr>`;
  const cmd = replayCommand(s);
  return `<table>
${row('scenario', s.scenario === undefined ? 'unknown (no replay file next to the trace)' : esc(s.scenario))}
${row('seed', s.seed === undefined ? undefined : String(s.seed))}
${row('tier', s.mode)}
${row('commit', s.commit === undefined ? undefined : `<code>${esc(s.commit)}</code>`)}
${row('replay', cmd === undefined ? undefined : `<code>${esc(cmd)}</code>`)}
${row('replay file', s.replayFile === undefined ? undefined : `<code>${esc(s.replayFile)}</code>`)}
${row('trace', s.traceFile === undefined ? 'none (live runs keep no trace)' : `<code>${esc(s.traceFile)}</code> (${events} events)`)}
${row('trace hash', s.traceHash === undefined ? undefined : `<code>${esc(s.traceHash)}</code>`)}
${row('plan', s.planKnown ? esc(s.plan.description ?? `${s.plan.rules.length} rule(s)`) : 'unknown: no windows drawn')}
${row('options', Object.keys(s.options).length === 0 ? undefined : `<code>${esc(JSON.stringify(s.options))}</code>`)}
</table>`;
}

function guaranteeTable(r: RunReport): string {
  const rows = r.guarantees
    .map(
      (g) =>
        `<tr data-guarantee="${esc(g.name)}" data-held="${g.held}"><td>${esc(g.name)}</td>` +
        `<td class="${g.held ? 'held' : 'violated'}">${g.held ? 'held' : 'VIOLATED'}</td>` +
        `<td>${g.detail === undefined ? '' : `<pre>${esc(g.detail)}</pre>`}</td></tr>`,
    )
    .join('\n');
  const note = r.guaranteesComplete
    ? ''
    : '<p class="muted">The scenario is not known here: only the violated guarantees recorded in the file are listed.</p>';
  return `<table id="guarantees"><tr><th>guarantee</th><th>verdict</th><th>detail</th></tr>\n${rows}</table>${note}`;
}

/** What the chart's own legend (the event types) does not say: markers and windows. */
function legend(): string {
  const mk = Object.entries(MARKER_COLOR)
    .map(([t, c]) => `<span><b style="color:${c}">|</b> ${t}</span>`)
    .join('');
  return `<p class="legend muted">${mk}<span>shaded: plan windows (hover for the rule)</span><span>hover any mark for its trace event</span></p>`;
}

/** The whole page of one run (self-contained HTML). */
export function renderRunPage(r: RunReport): string {
  const s = r.source;
  const tl = r.timeline;
  const title = s.scenario === undefined ? 'fanout trace report' : `${s.scenario} seed ${s.seed} (${s.mode})`;
  const summary = runSummary(r);
  const unplaced = Object.entries(tl.unplaced);
  const body = `<h1>${esc(title)}</h1>
${metaTable(s, tl.events.length + tl.markers.length)}
<h2>Guarantees</h2>
${guaranteeTable(r)}
<h2>Timeline (one lane per target, virtual ms)</h2>
${legend()}
<div id="timeline" class="chart" data-chart="timeline" data-lanes="${tl.lanes.length}" data-events="${tl.events.length}" data-markers="${tl.markers.length}" data-windows="${tl.windows.length}" style="height:${timelineHeight(tl.lanes.length)}px"></div>
${unplaced.length === 0 ? '' : `<p class="muted">Not on a lane (no target named): ${esc(unplaced.map(([k, n]) => `${n} × ${k}`).join(', '))}</p>`}
<h2>Round-trip latency (send → first reply on the same lane)</h2>
<p class="muted">${tl.roundTrips.count} exchange(s)${tl.roundTrips.count === 0 ? '' : `, ${tl.roundTrips.minMs.toFixed(1)}–${tl.roundTrips.maxMs.toFixed(1)} ms`}</p>
<div id="latency" class="chart" data-chart="latency" style="height:280px"></div>
<h2>Fault plan</h2>
<details><summary>${s.plan.rules.length} rule(s), JSON</summary><pre>${esc(JSON.stringify(s.plan, null, 2))}</pre></details>`;
  return htmlPage({
    title,
    body,
    charts: { timeline: timelineOption(tl), latency: histogramOption(tl.roundTrips, 'round trip, ms') },
    summary,
  });
}
