/**
 * ECharts options for the reports, built here as plain JSON (testable, embedded in the page):
 * the timeline (lanes on a category y axis, virtual ms on x, one scatter series per event type, a
 * custom series of plan-window rectangles behind them, run-wide markers as mark lines) and the
 * latency histograms (bar charts). The page's script (browser-glue.ts) adds the two functions JSON
 * cannot carry: the tooltip formatter (shows each item's `tip`) and the windows' renderItem.
 */
import { niceStep, type Histogram } from './histogram.js';
import {
  LANE_EVENT_TYPES,
  type LaneEvent,
  type LaneEventType,
  type Marker,
  type Timeline,
} from './timeline.js';

/** A JSON-serialisable ECharts option object. */
export type ChartOption = Record<string, unknown>;

/** Colour and symbol of each lane event type (legend order = {@link LANE_EVENT_TYPES}). */
export const EVENT_STYLE: Readonly<Record<LaneEventType, { color: string; symbol: string; size: number }>> = {
  send: { color: '#4e79a7', symbol: 'triangle', size: 9 },
  deliver: { color: '#9ecae9', symbol: 'circle', size: 6 },
  reply: { color: '#59a14f', symbol: 'circle', size: 9 },
  drop: { color: '#e15759', symbol: 'diamond', size: 11 },
  timeout: { color: '#f28e2b', symbol: 'rect', size: 10 },
  cancel: { color: '#7f7f7f', symbol: 'emptyCircle', size: 10 },
  retry: { color: '#ff9da7', symbol: 'emptyTriangle', size: 10 },
  hedge: { color: '#17becf', symbol: 'arrow', size: 10 },
  fault: { color: '#b07aa1', symbol: 'pin', size: 12 },
  note: { color: '#edc948', symbol: 'roundRect', size: 8 },
  other: { color: '#76b7b2', symbol: 'emptyDiamond', size: 8 },
};

/** Colour of each marker type. */
export const MARKER_COLOR: Readonly<Record<Marker['type'], string>> = {
  'quorum-met': '#2ca02c',
  deadline: '#d62728',
  decision: '#1f3b73',
};

/** Shade of a plan window by the family of its fault kind. */
export function windowColor(fault: string): string {
  if (['partition', 'crash', 'pause', 'linkPartition', 'swizzleClog'].includes(fault))
    return 'rgba(214, 39, 40, 0.16)';
  if (['dropRequest', 'dropReply', 'burstLoss', 'timeout', 'resetPeer', 'limitData'].includes(fault))
    return 'rgba(242, 142, 43, 0.18)';
  if (['delay', 'reorder', 'bandwidth', 'slicer', 'slowClose'].includes(fault))
    return 'rgba(78, 121, 167, 0.16)';
  if (fault === 'behave') return 'rgba(148, 103, 189, 0.18)';
  return 'rgba(127, 127, 127, 0.16)';
}

const ms = (t: number): string => `${Number(t.toFixed(3))} ms`;

/** One field of a tooltip: `key: JSON value`, cut to 160 characters. */
function fieldLine(key: string, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `${key}: ${text.length > 160 ? `${text.slice(0, 157)}…` : text}`;
}

/** The hover text of a lane event: what, where, when, then the trace event's fields. */
export function eventTip(e: LaneEvent, lane: string): string {
  const head = `${e.type} · ${lane} · t = ${ms(e.t)} (trace kind "${e.kind}")`;
  return [head, ...Object.entries(e.fields).map(([k, v]) => fieldLine(k, v))].join('\n');
}

/** The hover text of a marker. */
export function markerTip(m: Marker): string {
  const head = `${m.type}${m.label === '' ? '' : ` · ${m.label}`} · t = ${ms(m.t)}`;
  return [head, ...Object.entries(m.fields).map(([k, v]) => fieldLine(k, v))].join('\n');
}

/** The end of the time axis for a run that ends at `endMs`: a multiple of a nice tenth of it, >= 1.02 × endMs. */
export function axisEnd(endMs: number): number {
  const step = niceStep(endMs / 10);
  return Number((Math.ceil((endMs * 1.02) / step) * step).toPrecision(12));
}

/** Height of the timeline chart, px, for `lanes` lanes. */
export function timelineHeight(lanes: number): number {
  return Math.max(260, lanes * 24 + 150);
}

/** The timeline chart's option (see the module docstring). */
export function timelineOption(tl: Timeline): ChartOption {
  const windows = {
    id: 'plan-windows',
    name: 'plan windows',
    type: 'custom',
    encode: { x: [0, 1], y: 2 },
    z: 1,
    data: tl.windows.map((w) => ({
      value: [w.fromMs, w.toMs, w.lane],
      tip: `plan rule ${w.label} on ${tl.lanes[w.lane]}: ${w.wholeRun ? 'whole run' : `${ms(w.fromMs)} – ${ms(w.toMs)}`}`,
      itemStyle: { color: windowColor(w.fault) },
    })),
  };
  const byType = LANE_EVENT_TYPES.map((type) => ({
    id: `events-${type}`,
    name: type,
    type: 'scatter',
    symbol: EVENT_STYLE[type].symbol,
    symbolSize: EVENT_STYLE[type].size,
    itemStyle: { color: EVENT_STYLE[type].color },
    z: 3,
    data: tl.events
      .filter((e) => e.type === type)
      .map((e) => ({ value: [e.t, e.lane], tip: eventTip(e, tl.lanes[e.lane]!) })),
  }));
  const markers = {
    id: 'markers',
    name: 'markers',
    type: 'scatter',
    data: [],
    markLine: {
      symbol: 'none',
      silent: false,
      data: tl.markers.map((m) => ({
        xAxis: m.t,
        name: m.label === '' ? m.type : `${m.type}: ${m.label}`,
        markerType: m.type,
        tip: markerTip(m),
        lineStyle: {
          color: MARKER_COLOR[m.type],
          type: m.type === 'decision' ? 'solid' : 'dashed',
          width: 2,
        },
        // Decisions and quorum / deadline labelled at opposite ends of their line: they often coincide.
        label: {
          formatter: '{b}',
          position: m.type === 'decision' ? 'insideEndTop' : 'insideStartTop',
          color: MARKER_COLOR[m.type],
          fontSize: 10,
        },
      })),
    },
  };
  return {
    animation: false,
    grid: { left: 120, right: 40, top: 50, bottom: 90 },
    legend: { top: 8, data: [...LANE_EVENT_TYPES, 'plan windows'] },
    tooltip: { trigger: 'item', confine: true },
    // A round number at least 2 % past the last event, so a marker at the very end stays visible.
    xAxis: {
      type: 'value',
      name: 'virtual ms since the world started',
      nameLocation: 'middle',
      nameGap: 26,
      min: 0,
      max: axisEnd(tl.endMs),
      splitLine: { show: true },
    },
    yAxis: {
      type: 'category',
      data: [...tl.lanes],
      inverse: true,
      axisLabel: { fontSize: 11 },
      splitLine: { show: true, lineStyle: { color: '#eee' } },
    },
    dataZoom: [
      { type: 'slider', xAxisIndex: 0, bottom: 10 },
      { type: 'inside', xAxisIndex: 0 },
    ],
    series: [windows, ...byType, markers],
  };
}

/** A histogram's bar chart: one bar per bin, labelled `from–to`. */
export function histogramOption(h: Histogram, xName: string): ChartOption {
  return {
    animation: false,
    grid: { left: 60, right: 30, top: 30, bottom: 60 },
    tooltip: { trigger: 'item' },
    xAxis: {
      type: 'category',
      name: xName,
      nameLocation: 'middle',
      nameGap: 40,
      data: h.bins.map((b) => `${Number(b.fromMs.toFixed(3))}–${Number(b.toMs.toFixed(3))}`),
    },
    yAxis: { type: 'value', name: 'count', minInterval: 1 },
    series: [
      {
        id: 'histogram',
        name: xName,
        type: 'bar',
        itemStyle: { color: '#4e79a7' },
        data: h.bins.map((b) => ({
          value: b.count,
          tip: `${b.count} in [${ms(b.fromMs)}, ${ms(b.toMs)})`,
        })),
      },
    ],
  };
}
