/**
 * The timeline report without a browser: the model (lanes per target, events per lane, markers,
 * plan windows from a known plan, round trips), the guarantees read back from a replay file, the
 * histogram, the input-kind detection with its typed error, the page being self-contained, and
 * `fanout report` / `fanout run --report` as CI runs them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseFaultPlan, type TraceEvent } from '@fanout/sim';
import { runScenario, saveRun } from '@fanout/scenarios';
import raida from '@fanout/scenarios/raida';
import { histogram, niceStep } from '../src/report/histogram.js';
import { checksFromViolation } from '../src/report/guarantees.js';
import { detectInputKind, ReportInputError } from '../src/report/input.js';
import { timelineOption } from '../src/report/chart-options.js';
import { buildTimeline, naturalCompare } from '../src/report/timeline.js';
import { buildRunReport, defaultReportPath, writeReport } from '../src/report/write.js';
import { renderRunPage } from '../src/report/run-page.js';
import { fanout } from './run-cli.js';

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'fanout-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = parseFaultPlan({
  groups: { slow: ['t-2'] },
  latency: { perTarget: { 't-0': { kind: 'constant', ms: 10 } } },
  rules: [
    { fault: 'partition', targets: ['t-1'], window: { fromMs: 5, toMs: 50 } },
    { fault: 'dropReply', group: 'slow', probability: 0.5 },
    { fault: 'crash', targets: ['t-3'], atMs: 20, restartAfterMs: 30 },
    { fault: 'delay', latency: { kind: 'constant', ms: 5 }, window: { fromMs: 60 } },
  ],
});

const ev = (t: number, kind: string, fields: Record<string, unknown> = {}): TraceEvent => ({
  t,
  kind,
  ...fields,
});
const events: TraceEvent[] = [
  ev(0, 'send', { to: 't-0' }),
  ev(0, 'send', { to: 't-1' }),
  ev(0, 'drop', { to: 't-1', reason: 'partition' }),
  ev(0, 'send', { to: 't-2' }),
  ev(0, 'fault', { target: 't-2', fired: ['dropReply#1'] }),
  ev(0, 'send', { to: 't-3' }),
  ev(1.5, 'deliver', { to: 't-2' }),
  ev(3, 'drop', { from: 't-2', reason: 'dropReply' }),
  ev(5, 'deliver', { to: 't-0' }),
  ev(5, 'deliver', { to: 't-3' }),
  ev(10, 'reply', { from: 't-0', copy: 0 }),
  ev(11, 'reply', { from: 't-0', copy: 1 }),
  ev(12, 'reply', { from: 't-3' }),
  ev(12, 'timer', { command: 'detect', decision: 'quorum-met' }),
  ev(12, 'timer', { command: 'detect', decision: 'cancelled', target: '2' }),
  ev(20, 'timer', { command: 'detect', decision: 'retry', target: 't-3', attempt: 2, delayMs: 5 }),
  ev(30, 'timer', { command: 'detect', decision: 'hedge', target: '1', attempt: 2 }),
  ev(40, 'agent', { who: 't-0', type: 'hello' }),
  ev(41, 'round', { round: 1 }),
  ev(100, 'timer', { command: 'detect', decision: 'timedOut', target: 't-1' }),
  ev(100, 'timer', { command: 'detect', decision: 'deadline' }),
  ev(100, 'outcome', { step: 'decide', grades: ['ok'] }),
];

describe('the timeline model', () => {
  const tl = buildTimeline(events, plan);
  const on = (lane: string) => tl.events.filter((e) => tl.lanes[e.lane] === lane).map((e) => e.type);

  test('one lane per target, in natural order, events on their lanes', () => {
    expect(tl.lanes).toEqual(['t-0', 't-1', 't-2', 't-3']);
    expect(on('t-0')).toEqual(['send', 'deliver', 'reply', 'reply', 'other']);
    expect(on('t-1')).toEqual(['send', 'drop', 'hedge', 'timeout']);
    expect(on('t-2')).toEqual(['send', 'fault', 'deliver', 'drop', 'cancel']); // fan-out key "2" → t-2
    expect(on('t-3')).toEqual(['send', 'deliver', 'reply', 'retry']);
    expect(tl.unplaced).toEqual({ round: 1 });
    expect(tl.endMs).toBe(100);
    expect(['raida-10', 'raida-2', 'raida-1', 'a'].sort(naturalCompare)).toEqual([
      'a',
      'raida-1',
      'raida-2',
      'raida-10',
    ]);
  });

  test('markers: quorum met, deadline, decision', () => {
    expect(tl.markers.map((m) => [m.type, m.t, m.label])).toEqual([
      ['quorum-met', 12, 'detect'],
      ['deadline', 100, 'detect'],
      ['decision', 100, 'decide'],
    ]);
  });

  test('plan windows per rule and lane, clipped to the run', () => {
    const w = tl.windows.map((x) => [x.label, tl.lanes[x.lane], x.fromMs, x.toMs, x.wholeRun]);
    expect(w).toEqual([
      ['partition#0', 't-1', 5, 50, false],
      ['dropReply#1 p=0.5', 't-2', 0, 100, true],
      ['crash#2', 't-3', 20, 50, false],
      ['delay#3', 't-0', 60, 100, false],
      ['delay#3', 't-1', 60, 100, false],
      ['delay#3', 't-2', 60, 100, false],
      ['delay#3', 't-3', 60, 100, false],
    ]);
  });

  test('round trips pair a send with the next first-copy reply of its lane', () => {
    expect(tl.roundTrips.count).toBe(2); // t-0: 10 ms, t-3: 12 ms; the duplicate copy is not one
    expect([tl.roundTrips.minMs, tl.roundTrips.maxMs]).toEqual([10, 12]);
  });

  test('the chart option has one category per lane, a series per event type and the markers', () => {
    const o = timelineOption(tl) as {
      yAxis: { data: string[] };
      series: { id: string; data: unknown[]; markLine?: { data: { markerType: string }[] } }[];
    };
    expect(o.yAxis.data).toEqual(tl.lanes);
    const series = new Map(o.series.map((s) => [s.id, s]));
    expect(series.get('plan-windows')!.data).toHaveLength(7);
    expect(series.get('events-send')!.data).toHaveLength(4);
    expect(series.get('events-cancel')!.data).toHaveLength(1);
    expect(series.get('markers')!.markLine!.data.map((m) => m.markerType)).toEqual([
      'quorum-met',
      'deadline',
      'decision',
    ]);
  });

  test('a real run: raida.no-hol seed 3 has 25 lanes, quorum met, cancels and a decision', async () => {
    const s = raida.scenarios.find((x) => x.name === 'raida.no-hol')!;
    const r = await runScenario(s, { seed: 3 });
    const real = buildTimeline(r.trace!.events(), r.plan);
    expect(real.lanes).toHaveLength(25);
    expect(real.lanes[10]).toBe('raida-10');
    expect(real.markers.map((m) => m.type)).toEqual(['quorum-met', 'decision']);
    expect(real.events.filter((e) => e.type === 'cancel').length).toBeGreaterThan(0);
    expect(real.unplaced).toEqual({});
  });
});

describe('guarantees read back from a replay file', () => {
  test('declared ones held unless violated; kernel checks and multi-line details kept', () => {
    const text = 'b: first line\nsecond line\nran-to-completion: Error: boom\n    at x (y.ts:1:1)';
    expect(checksFromViolation(text, ['a', 'b'])).toEqual([
      { name: 'a', held: true },
      { name: 'b', held: false, detail: 'first line\nsecond line' },
      { name: 'ran-to-completion', held: false, detail: 'Error: boom\n    at x (y.ts:1:1)' },
    ]);
    expect(checksFromViolation(undefined, ['a'])).toEqual([{ name: 'a', held: true }]);
    expect(checksFromViolation('no-hol: late', undefined)).toEqual([
      { name: 'no-hol', held: false, detail: 'late' },
    ]);
  });
});

describe('histogram', () => {
  test('nice widths, at most maxBins bins, every value counted once', () => {
    expect([niceStep(0.3), niceStep(3), niceStep(7), niceStep(10), niceStep(11)]).toEqual([
      0.5, 5, 10, 10, 20,
    ]);
    const values = Array.from({ length: 97 }, (_, i) => 3 + i * 1.7);
    const h = histogram(values, 12);
    expect(h.bins.length).toBeLessThanOrEqual(12);
    expect(h.bins.reduce((a, b) => a + b.count, 0)).toBe(97);
    expect(h.bins[0]!.fromMs).toBeLessThanOrEqual(3);
    expect(h.bins.at(-1)!.toMs).toBeGreaterThanOrEqual(3 + 96 * 1.7);
    expect(histogram([5, 5, 5]).bins).toEqual([{ fromMs: 5, toMs: 6, count: 3 }]);
    expect(histogram([NaN]).count).toBe(0);
    expect(() => histogram([1], 0)).toThrow('maxBins must be an integer');
  });
});

describe('input kinds', () => {
  test('replay file, trace (JSON Lines or one line), run summary', () => {
    expect(detectInputKind('{"version":1,"scenario":"x","seed":1,"plan":{}}', 'r.json')).toBe('replay');
    expect(detectInputKind('{"t":0,"kind":"send"}\n{"t":1,"kind":"reply"}\n', 'a.jsonl')).toBe('trace');
    expect(detectInputKind('{"t":0,"kind":"send"}\n', 'a.jsonl')).toBe('trace');
    const summary = [{ scenario: 'x', mode: 'sim', runs: 2, runsHeld: 2, runsViolated: 0, failures: [] }];
    expect(detectInputKind(JSON.stringify(summary), 's.json')).toBe('summary');
  });

  test('anything else is a ReportInputError naming the file and why', () => {
    const cases: [string, string][] = [
      ['', 'is empty'],
      ['[]', 'empty JSON array'],
      ['[{"scenario":"x"}]', 'field "mode" must be a string'],
      ['{"a":1}', 'neither a replay file'],
      ['not json', 'neither JSON nor JSON Lines'],
      ['{"t":0}\n{"t":1}', 'no trace event'],
    ];
    for (const [text, why] of cases) {
      let err: unknown;
      try {
        detectInputKind(text, 'odd.txt');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ReportInputError);
      expect((err as ReportInputError).file).toBe('odd.txt');
      expect((err as ReportInputError).reason).toContain(why);
    }
  });
});

describe('writing reports', () => {
  test('a run page is self-contained: echarts and data inlined, nothing loaded from elsewhere', async () => {
    const s = raida.scenarios.find((x) => x.name === 'raida.no-hol')!;
    const { replayFile } = saveRun(dir, await runScenario(s, { seed: 3 }));
    const report = await buildRunReport(replayFile, 'replay', () => s.guarantees);
    expect(report.guarantees.map((g) => [g.name, g.held])).toEqual([
      ['decision-not-delayed-by-slow-raida', true],
      ['grades-match-oracle', true],
    ]);
    const html = renderRunPage(report);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.(js|css)/);
    expect(html).toContain('echarts');
    expect(html).toContain('data-lanes="25"');
    expect(html).toContain(`fanout replay ${replayFile}`);
    expect(defaultReportPath('a/b.trace.jsonl')).toBe('a/b.report.html');
    const w = await writeReport(replayFile, join(dir, 'w.html'), () => undefined);
    expect(w.kind).toBe('replay');
    expect(existsSync(w.path)).toBe(true);
  }, 60_000);

  test('fanout report: prints the path; exit 2 with the reason for a file of no known kind', () => {
    const s = join(dir, 'summary.json');
    writeFileSync(
      s,
      JSON.stringify([
        {
          scenario: 'raida.no-hol',
          mode: 'sim',
          runs: 3,
          runsHeld: 2,
          runsViolated: 1,
          failures: [{ seed: 4, guarantee: 'grades-match-oracle', detail: 'x' }],
          samples: { latencyMs: [50, 55, 60] },
        },
      ]),
    );
    const ok = fanout(['report', s]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`report (summary) written to ${join(dir, 'summary.report.html')}`);
    expect(readFileSync(join(dir, 'summary.report.html'), 'utf8')).toContain('data-violated="1"');
    const odd = join(dir, 'odd.json');
    writeFileSync(odd, '{"hello":1}');
    const bad = fanout(['report', odd]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`${odd}: is JSON but neither a replay file`);
  }, 60_000);

  test('fanout run --report DIR: a page per violating run and an index with counts and links', () => {
    const out = join(dir, 'rep');
    const r = fanout(
      [
        'run',
        'oracle.quorum',
        '--config',
        'fanout.broken.config.ts',
        '--runs',
        '3',
        '--jobs',
        '1',
        '--replay-dir',
        join(dir, 'replays'),
        '--report',
        out,
      ],
      join(root, 'examples/own-client'),
    );
    expect(r.code, r.err).toBe(1); // the broken client violates no-hol
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    const m = /data-scenario="oracle\.quorum" data-held="(\d+)" data-violated="(\d+)"/.exec(index);
    expect(m).not.toBeNull();
    const violated = Number(m![2]);
    expect(Number(m![1]) + violated).toBe(3);
    expect(violated).toBeGreaterThan(0);
    const links = [...index.matchAll(/<a href="(oracle\.quorum-sim-\d+\.html)">/g)].map((x) => x[1]!);
    expect(links).toHaveLength(violated);
    for (const l of links)
      expect(readFileSync(join(out, l), 'utf8')).toContain('data-guarantee="no-hol" data-held="false"');
    expect(r.out).toContain(`HTML report: ${violated} violating run page(s) and ${join(out, 'index.html')}`);
  }, 120_000);
});
