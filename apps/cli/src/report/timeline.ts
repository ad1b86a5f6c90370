/**
 * The timeline model of one run, from its trace and its effective fault plan: one lane per plan
 * target, the events on each lane, the plan's windows behind them, the run-wide markers and the
 * round-trip latency histogram. Pure: it reads the events and the plan, draws nothing, and gives
 * the same model for the same input. Rendering is html.ts's job.
 *
 * Trace kinds (packages/sim/src/network.ts, scenarios/src/kernel/run.ts) and where they go:
 * - `send` {to} → 'send' on lane `to` (the request leaves the client);
 * - `deliver` {to} → 'deliver' (the request reached the target);
 * - `reply` {from} → 'reply' (`copy` > 0: a duplicated copy);
 * - `drop` {to | from, reason} → 'drop' (request leg when `to`, reply leg when `from`);
 * - `fault` {target, fired} → 'fault' (plan rules that fired on an exchange);
 * - `note` {target | from} → 'note' (a handler error, a slow close);
 * - `timer` {command, decision: 'timedOut' | 'cancelled' | 'retry' | 'hedge', target} → 'timeout' /
 *   'cancel' / 'retry' / 'hedge' on the lane of the fan-out key `target` (its lane, or the one lane
 *   named `<prefix>-<key>`);
 * - `timer` {decision: 'quorum-met' | 'deadline'} → a run-wide marker; `outcome` {step} → a
 *   'decision' marker;
 * - any other kind naming a lane (`target`, `to`, `from` or `who`) → 'other' on that lane; the
 *   rest is counted in `unplaced`.
 */
import { PlanView } from '@fanout/scenarios';
import { swizzleBounds, type FaultPlan, type FaultRule, type TraceEvent } from '@fanout/sim';
import { histogram, type Histogram } from './histogram.js';

/** What a mark on a lane stands for (see the module docstring). */
export type LaneEventType =
  | 'send'
  | 'deliver'
  | 'reply'
  | 'drop'
  | 'timeout'
  | 'cancel'
  | 'retry'
  | 'hedge'
  | 'fault'
  | 'note'
  | 'other';

/** Every lane event type, in legend order. */
export const LANE_EVENT_TYPES: readonly LaneEventType[] = [
  'send',
  'deliver',
  'reply',
  'drop',
  'timeout',
  'cancel',
  'retry',
  'hedge',
  'fault',
  'note',
  'other',
];

/** One mark on a lane: `t` in virtual ms since the world started; `fields` the trace event's own. */
export interface LaneEvent {
  readonly lane: number;
  readonly t: number;
  readonly type: LaneEventType;
  readonly kind: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A run-wide marker: quorum met, the fan-out deadline, or a decision (a scenario `outcome`). */
export interface Marker {
  readonly type: 'quorum-met' | 'deadline' | 'decision';
  readonly t: number;
  /** The fan-out (`command`) or the decision step. */
  readonly label: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Where one plan rule is active on one lane: [fromMs, toMs) of plan time. */
export interface PlanWindow {
  readonly lane: number;
  readonly fromMs: number;
  readonly toMs: number;
  /** Index of the rule in `plan.rules` (the trace's `fired` names it `<fault>#<rule>`). */
  readonly rule: number;
  readonly fault: FaultRule['fault'];
  /** e.g. `dropRequest#1 p=0.5`, `crash#4 (loses state)`, `behave:wrongAn#0`. */
  readonly label: string;
  /** True when the rule has no window of its own (active for the whole run). */
  readonly wholeRun: boolean;
}

/** The timeline of one run (see the module docstring). */
export interface Timeline {
  /** Lane names (plan targets), in natural order (raida-2 before raida-10). */
  readonly lanes: readonly string[];
  readonly events: readonly LaneEvent[];
  readonly windows: readonly PlanWindow[];
  readonly markers: readonly Marker[];
  /** Round-trip times of the run's exchanges (a send and the next reply on its lane), ms. */
  readonly roundTrips: Histogram;
  /** End of the time axis, ms: the last trace event (no events: the plan's last window edge; at least 1). */
  readonly endMs: number;
  /** Trace events that name no lane, counted by kind. */
  readonly unplaced: Readonly<Record<string, number>>;
}

const NETWORK_KINDS = new Set(['send', 'deliver', 'reply', 'drop', 'fault', 'note']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The party a network event is about. */
function partyOf(e: TraceEvent): string | undefined {
  switch (e.kind) {
    case 'send':
    case 'deliver':
      return str(e.to);
    case 'reply':
      return str(e.from);
    case 'drop':
      return str(e.to) ?? str(e.from);
    default:
      return str(e.target) ?? str(e.from) ?? str(e.to);
  }
}

/** Natural order: digit runs compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x) && /^\d/.test(y);
    if (nx && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The targets the plan names: per-target latencies, rule targets, group members. */
function planTargets(plan: FaultPlan): string[] {
  const out = new Set<string>(Object.keys(plan.latency.perTarget));
  for (const members of Object.values(plan.groups)) for (const m of members) out.add(m);
  for (const r of plan.rules) for (const t of r.targets ?? []) out.add(t);
  return [...out];
}

/** The lanes: every party of a network event and every target the plan names, naturally sorted. */
export function lanesOf(events: readonly TraceEvent[], plan: FaultPlan): string[] {
  const names = new Set(planTargets(plan));
  for (const e of events) {
    if (!NETWORK_KINDS.has(e.kind)) continue;
    const p = partyOf(e);
    if (p !== undefined) names.add(p);
  }
  return [...names].sort(naturalCompare);
}

/** A resolver from a name or fan-out key to a lane index (exact name, else the one `*-<key>`). */
function laneResolver(lanes: readonly string[]): (key: string | undefined) => number | undefined {
  const exact = new Map(lanes.map((l, i) => [l, i]));
  const bySuffix = new Map<string, number | null>();
  lanes.forEach((l, i) => {
    const m = /[-_:.]([^-_:.]+)$/.exec(l);
    if (m === null) return;
    bySuffix.set(m[1]!, bySuffix.has(m[1]!) ? null : i); // null: ambiguous
  });
  return (key) => {
    if (key === undefined) return undefined;
    return exact.get(key) ?? bySuffix.get(key) ?? undefined;
  };
}

/** The event's fields without t and kind. */
function fieldsOf(e: TraceEvent): Record<string, unknown> {
  const { t: _t, kind: _k, ...rest } = e;
  return rest;
}

type Placed = { lane: LaneEvent } | { marker: Marker } | undefined;

/** Where one trace event goes (see the module docstring). */
function place(e: TraceEvent, resolve: (key: string | undefined) => number | undefined): Placed {
  const fields = fieldsOf(e);
  const on = (lane: number | undefined, type: LaneEventType): Placed =>
    lane === undefined ? undefined : { lane: { lane, t: e.t, type, kind: e.kind, fields } };
  if (e.kind === 'timer') {
    const label = str(e.command) ?? '';
    if (e.decision === 'quorum-met' || e.decision === 'deadline')
      return { marker: { type: e.decision, t: e.t, label, fields } };
    if (e.decision === 'timedOut') return on(resolve(str(e.target)), 'timeout');
    if (e.decision === 'cancelled') return on(resolve(str(e.target)), 'cancel');
    if (e.decision === 'retry' || e.decision === 'hedge') return on(resolve(str(e.target)), e.decision);
    return on(resolve(str(e.target)), 'other');
  }
  if (e.kind === 'outcome') return { marker: { type: 'decision', t: e.t, label: str(e.step) ?? '', fields } };
  if (NETWORK_KINDS.has(e.kind)) return on(resolve(partyOf(e)), e.kind as LaneEventType);
  return on(resolve(str(e.target) ?? str(e.to) ?? str(e.from) ?? str(e.who)), 'other');
}

/** Round-trip times: per lane, each first-copy reply closes the oldest open send. */
function roundTrips(events: readonly LaneEvent[]): number[] {
  const open = new Map<number, number[]>();
  const out: number[] = [];
  for (const e of events) {
    if (e.type === 'send') {
      const q = open.get(e.lane) ?? [];
      q.push(e.t);
      open.set(e.lane, q);
    } else if (e.type === 'reply' && (e.fields.copy === undefined || e.fields.copy === 0)) {
      const sent = open.get(e.lane)?.shift();
      if (sent !== undefined) out.push(e.t - sent);
    }
  }
  return out;
}

/**
 * Build the timeline of one run.
 * @param events the run's trace events, in trace order (`Trace.events()`, or parsed JSON Lines)
 * @param plan the run's effective plan (validated)
 * @returns lanes, events, windows, markers, round-trip histogram (ms); see {@link Timeline}.
 */
export function buildTimeline(events: readonly TraceEvent[], plan: FaultPlan): Timeline {
  const lanes = lanesOf(events, plan);
  const resolve = laneResolver(lanes);
  const laneEvents: LaneEvent[] = [];
  const markers: Marker[] = [];
  const unplaced: Record<string, number> = {};
  let end = 0;
  for (const e of events) {
    end = Math.max(end, e.t);
    const p = place(e, resolve);
    if (p === undefined) unplaced[e.kind] = (unplaced[e.kind] ?? 0) + 1;
    else if ('lane' in p) laneEvents.push(p.lane);
    else markers.push(p.marker);
  }
  // Without events (a live run keeps no trace) the axis spans the plan's windows instead.
  if (end === 0) end = Math.max(1, ...planBounds(plan));
  return {
    lanes,
    events: laneEvents,
    windows: planWindows(plan, lanes, end),
    markers,
    roundTrips: histogram(roundTrips(laneEvents)),
    endMs: end,
    unplaced,
  };
}

/** The finite window edges of the plan, ms. */
function planBounds(plan: FaultPlan): number[] {
  const out: number[] = [];
  for (const r of plan.rules) {
    if ('window' in r && r.window !== undefined) out.push(r.window.fromMs, r.window.toMs ?? 0);
    if (r.fault === 'crash') out.push(r.atMs + (r.restartAfterMs ?? 0));
  }
  return out;
}

/** The extent of `rule` on `target`, ms, or undefined when it does not apply there. */
function extentOf(
  rule: FaultRule,
  plan: FaultPlan,
  target: string,
  endMs: number,
): { fromMs: number; toMs: number; wholeRun: boolean } | undefined {
  if (rule.fault === 'crash')
    return { fromMs: rule.atMs, toMs: rule.atMs + (rule.restartAfterMs ?? Infinity), wholeRun: false };
  if (rule.fault === 'swizzleClog') {
    const b = swizzleBounds(rule, plan.groups, target);
    return b === undefined ? undefined : { fromMs: b.clogAtMs, toMs: b.lastUnclogMs, wholeRun: false };
  }
  const w = 'window' in rule ? rule.window : undefined;
  if (w === undefined) return { fromMs: 0, toMs: endMs, wholeRun: true };
  return { fromMs: w.fromMs, toMs: w.toMs ?? Infinity, wholeRun: false };
}

/** A rule's label: `<fault>#<index>`, with its behaviour, probability or crash detail. */
export function ruleLabel(rule: FaultRule, index: number): string {
  const name = rule.fault === 'behave' ? `behave:${rule.behaviour}` : rule.fault;
  const p = 'probability' in rule && rule.probability !== undefined && rule.probability < 1;
  const extra =
    rule.fault === 'crash' && rule.loseState
      ? ' (loses state)'
      : p
        ? ` p=${(rule as { probability: number }).probability}`
        : '';
  return `${name}#${index}${extra}`;
}

/** Every (rule, lane) window of the plan, clipped to [0, endMs]. */
export function planWindows(plan: FaultPlan, lanes: readonly string[], endMs: number): PlanWindow[] {
  const view = new PlanView(plan);
  const out: PlanWindow[] = [];
  plan.rules.forEach((rule, index) => {
    lanes.forEach((target, lane) => {
      if (rule.fault !== 'swizzleClog' && !view.applies(rule, target)) return;
      const x = extentOf(rule, plan, target, endMs);
      if (x === undefined || x.fromMs >= endMs) return;
      const toMs = Math.min(x.toMs, endMs);
      const label = ruleLabel(rule, index);
      out.push({ lane, fromMs: x.fromMs, toMs, rule: index, fault: rule.fault, label, wholeRun: x.wholeRun });
    });
  });
  return out;
}
