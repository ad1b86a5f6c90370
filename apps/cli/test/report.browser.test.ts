/**
 * The timeline report in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) opens a report of a known run from file:// — raida.no-hol seed 3 under a
 * hand-written plan with partition, drop and delay windows — and the test checks, on the page's
 * own ECharts instance, one lane per target, the event series, the shaded plan windows, the
 * quorum-met and decision markers, that hovering a mark shows its trace event, and that the page
 * logged no error. Screenshots go to reports/ (timeline.png, index.png).
 *
 * The browser: env FANOUT_CHROMIUM, else /usr/bin/chromium, else /usr/bin/chromium-browser. With
 * none, the test fails under CI (env CI set) and is skipped elsewhere.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { effectivePlan, resolveOptions, runMany, runScenario, saveRun } from '@fanout/scenarios';
import raida from '@fanout/scenarios/raida';
import type { FaultPlanInput } from '@fanout/sim';
import { renderIndexPage } from '../src/report/index-page.js';
import { renderRunPage } from '../src/report/run-page.js';
import { buildRunReport } from '../src/report/write.js';

const root = resolve(import.meta.dirname, '../../..');
const candidates = [process.env.FANOUT_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (p): p is string => p !== undefined && p !== '',
);
const executablePath = candidates.find((p) => existsSync(p));
const inCI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const missing = `no Chromium found (looked at ${candidates.join(', ')}): install Debian's chromium or set FANOUT_CHROMIUM`;
/** Skipped only outside CI; in CI a missing browser fails every test below. */
const skip = executablePath === undefined && !inCI;

const noHol = raida.scenarios.find((s) => s.name === 'raida.no-hol')!;
const dir = mkdtempSync(join(tmpdir(), 'fanout-report-browser-'));

/** The few DOM and ECharts shapes the page callbacks use (this package compiles without the DOM lib). */
interface El {
  readonly dataset: Record<string, string | undefined>;
  readonly innerText: string;
  querySelectorAll(selector: string): ArrayLike<El>;
  getAttribute(name: string): string | null;
}
interface ChartOpt {
  yAxis: { data: string[] }[];
  series: {
    id: string;
    type: string;
    data: { value: number }[];
    markLine?: { data: { markerType: string }[] };
  }[];
}
interface Win {
  document: { getElementById(id: string): El | null; querySelector(s: string): El | null };
  echarts: { getInstanceByDom(el: El): { getOption(): ChartOpt; dispatchAction(a: object): void } };
}

/** A page with every console error and page error collected. */
async function open(browser: Browser, file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, errors };
}

describe.skipIf(skip)(`report in headless Chromium${skip ? ` (skipped: ${missing})` : ''}`, () => {
  let launched: Browser | undefined;
  beforeAll(async () => {
    if (executablePath !== undefined)
      launched = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  }, 60_000);
  /** The browser; a test without one fails naming where it looked (CI). */
  const need = (): Browser => {
    if (launched === undefined) throw new Error(missing);
    return launched;
  };
  afterAll(async () => {
    await launched?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a known run: lanes, events, windows, markers, hover details, no console errors', async () => {
    const browser = need();
    const options = resolveOptions(noHol, 'sim');
    const base = effectivePlan(noHol, 3, 'sim', options);
    const plan: FaultPlanInput = {
      ...base,
      rules: [
        { fault: 'partition', targets: ['raida-1', 'raida-2'], window: { fromMs: 0, toMs: 40 } },
        { fault: 'dropRequest', targets: ['raida-9'], window: { fromMs: 0, toMs: 30 } },
        {
          fault: 'delay',
          targets: ['raida-20'],
          latency: { kind: 'constant', ms: 30 },
          window: { fromMs: 0 },
        },
      ],
    };
    const result = await runScenario(noHol, { seed: 3, plan });
    const { replayFile } = saveRun(dir, result);
    const file = join(dir, 'run.html');
    writeFileSync(file, renderRunPage(await buildRunReport(replayFile, 'replay', () => noHol.guarantees)));
    const events = result.trace!.events();
    const sends = events.filter((e) => e.kind === 'send').length;
    const cancels = events.filter((e) => e.kind === 'timer' && e.decision === 'cancelled').length;

    const { page, errors } = await open(browser, file);
    const seen = await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      const el = w.document.getElementById('timeline')!;
      const o = w.echarts.getInstanceByDom(el).getOption();
      const series = Object.fromEntries(o.series.map((s) => [s.id, s]));
      return {
        lanesAttr: Number(el.dataset.lanes),
        lanes: o.yAxis[0]!.data,
        canvas: el.querySelectorAll('canvas').length,
        sends: series['events-send']!.data.length,
        cancels: series['events-cancel']!.data.length,
        drops: series['events-drop']!.data.length,
        windows: series['plan-windows']!.data.length,
        windowType: series['plan-windows']!.type,
        markers: series.markers!.markLine!.data.map((m) => m.markerType),
        rows: Array.from(w.document.querySelector('#guarantees')!.querySelectorAll('tr[data-guarantee]')).map(
          (r) => `${r.getAttribute('data-guarantee')}=${r.getAttribute('data-held')}`,
        ),
      };
    });
    expect(seen.lanesAttr).toBe(25);
    expect(seen.lanes).toHaveLength(25);
    expect(seen.lanes).toEqual(Array.from({ length: 25 }, (_, i) => `raida-${i}`));
    expect(seen.canvas).toBeGreaterThan(0);
    expect(seen.sends).toBe(sends);
    expect(seen.cancels).toBe(cancels);
    expect(seen.cancels).toBeGreaterThan(0);
    expect(seen.drops).toBe(3); // raida-1 and raida-2 partitioned, raida-9's request dropped
    expect(seen.windowType).toBe('custom');
    expect(seen.windows).toBe(4); // partition × 2 lanes, dropRequest, delay
    expect(seen.markers).toEqual(['quorum-met', 'decision']);
    expect(seen.rows).toEqual(
      noHol.guarantees.map((g) => `${g}=${result.guarantees.find((c) => c.name === g)!.held}`),
    );

    // Hover: the tooltip of the first send shows the trace event's fields.
    const tip = await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      const el = w.document.getElementById('timeline')!;
      const chart = w.echarts.getInstanceByDom(el);
      const seriesIndex = chart.getOption().series.findIndex((s) => s.id === 'events-send');
      chart.dispatchAction({ type: 'showTip', seriesIndex, dataIndex: 0 });
      return el.innerText;
    });
    expect(tip).toContain('send · raida-0 · t = 0 ms');
    expect(tip).toContain('to: raida-0');

    mkdirSync(join(root, 'reports'), { recursive: true });
    await page.screenshot({ path: join(root, 'reports/timeline.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);

  test('the index page of a run draws its histogram without errors', async () => {
    const browser = need();
    const summary = await runMany(noHol, { seed: 3, runs: 5, keepSamples: true, replayDir: false });
    const file = join(dir, 'index.html');
    writeFileSync(file, renderIndexPage([{ summary, violating: [] }], 'raida.no-hol, 5 runs'));
    const { page, errors } = await open(browser, file);
    const bars = await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      const o = w.echarts.getInstanceByDom(w.document.querySelector('[data-chart="s0"]')!).getOption();
      return o.series[0]!.data.reduce((a, d) => a + d.value, 0);
    });
    expect(bars).toBe(5);
    expect(await page.locator('tr[data-scenario="raida.no-hol"]').getAttribute('data-held')).toBe(
      String(summary.runsHeld),
    );
    await page.screenshot({ path: join(root, 'reports/index.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);
});
