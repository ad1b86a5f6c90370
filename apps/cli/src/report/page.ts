/**
 * The shell every report page shares: one self-contained HTML document, with ECharts
 * (echarts/dist/echarts.min.js from node_modules), the styles, the page's data (JSON in a
 * `<script type="application/json" id="fanout-report-data">`) and the glue script inlined, so a
 * report opens from file:// with no network. The glue turns each `<div data-chart="NAME">` into a
 * chart with `data.charts[NAME]` and sets `data-ready="true"` on <body> when all are drawn.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartOption } from './chart-options.js';

let echartsCache: string | undefined;

/**
 * The minified ECharts bundle, read once from the installed `echarts` package.
 * @throws the resolution or fs error when echarts is not installed.
 */
export function echartsSource(): string {
  const file = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
  // Inlined in a <script>: a `</script` inside a string would end the element early.
  echartsCache ??= readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  return echartsCache;
}

/** Escape text for HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element (no `</script`, no `<!--`, no U+2028/2029). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The browser side: tooltips, plan-window rectangles, chart creation, the ready flag. */
const GLUE = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('fanout-report-data').textContent);
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c];
    });
  }
  function tip(p) {
    var d = p.data || {};
    return d.tip ? esc(d.tip).replace(/\\n/g, '<br>') : esc(p.name || '');
  }
  function renderWindow(params, api) {
    var a = api.coord([api.value(0), api.value(2)]);
    var b = api.coord([api.value(1), api.value(2)]);
    var h = api.size([0, 1])[1] * 0.9;
    var cs = params.coordSys;
    var shape = echarts.graphic.clipRectByRect(
      { x: a[0], y: a[1] - h / 2, width: Math.max(2, b[0] - a[0]), height: h },
      { x: cs.x, y: cs.y, width: cs.width, height: cs.height }
    );
    return shape && { type: 'rect', transition: [], shape: shape, style: api.style() };
  }
  var charts = [];
  document.querySelectorAll('[data-chart]').forEach(function (el) {
    var option = data.charts[el.getAttribute('data-chart')];
    option.tooltip = Object.assign({}, option.tooltip, { formatter: tip });
    (option.series || []).forEach(function (s) {
      if (s.type === 'custom') s.renderItem = renderWindow;
    });
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.resize(); });
  });
  document.body.setAttribute('data-ready', 'true');
})();`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 8px; } h2 { font-size: 16px; margin: 28px 0 8px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; } code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #f6f6f6; padding: 8px; overflow: auto; max-height: 420px; white-space: pre-wrap; }
.held { color: #1a7f37; font-weight: 600; } .violated { color: #cf222e; font-weight: 600; }
.chart { width: 100%; border: 1px solid #eee; } .muted { color: #666; font-size: 12px; }
.legend span { display: inline-block; margin-right: 14px; }
`;

/** A whole page: `body` is trusted HTML (escape what goes in it); `charts` are chart options by name. */
export function htmlPage(o: {
  readonly title: string;
  readonly body: string;
  readonly charts: Readonly<Record<string, ChartOption>>;
  readonly summary: unknown;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${o.body}
<script type="application/json" id="fanout-report-data">${scriptJson({ charts: o.charts, summary: o.summary })}</script>
<script>${echartsSource()}</script>
<script>${GLUE}</script>
</body>
</html>
`;
}
