/**
 * `fanout plan schema` prints the JSON Schema of a fault plan, generated from the zod schema the
 * runner validates with (zod 4's built-in JSON Schema output, input side: defaults may be left
 * out), so an editor can validate and complete plan files; whatever fault kinds the schema has
 * when it runs are in it.
 *
 * `fanout plan check FILE` validates a plan file and explains it in words: its groups, its
 * latency, and per rule its targets, window, probability and what it does (docs/fault-plans.md).
 * Exit codes: 0 valid; 2 unreadable, not JSON, or invalid (every bad path printed).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import pc from 'picocolors';
import {
  FaultPlanError,
  describeLatency,
  faultPlanSchema,
  parseFaultPlan,
  type FaultPlan,
  type FaultRule,
  type LatencySpec,
} from '@fanout/sim';
import type { Env } from '../env.js';

/** The JSON Schema (draft 2020-12) of a fault plan file as people write it. */
export function faultPlanJsonSchema(): Record<string, unknown> {
  const schema = faultPlanSchema.toJSONSchema({
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: 'fanout-lab fault plan',
    description:
      'A fault plan: latency and faults applied per target, group and time window (docs/fault-plans.md). ' +
      'Cross-field rules (toMs > fromMs, known group names) are checked by `fanout plan check`.',
    ...rest,
  };
}

const ms = (x: number): string => `${Number(x.toFixed(3))} ms`;

/** "raida-1, raida-2", "group "edge" (a, b)" or "every target". */
function targetsText(
  plan: FaultPlan,
  rule: { targets?: string[] | undefined; group?: string | undefined },
): string {
  const parts: string[] = [];
  if (rule.targets !== undefined) parts.push(rule.targets.join(', ') || '(none)');
  if (rule.group !== undefined)
    parts.push(`group "${rule.group}" (${(plan.groups[rule.group] ?? []).join(', ') || 'empty'})`);
  return parts.length === 0 ? 'every target' : parts.join(' and ');
}

type Window = { fromMs: number; toMs?: number | undefined } | undefined;

/** "the whole run", "from 0 ms to 350 ms", "from 200 ms on". */
function windowText(w: Window): string {
  if (w === undefined) return 'the whole run';
  return w.toMs === undefined ? `from ${ms(w.fromMs)} on` : `from ${ms(w.fromMs)} to ${ms(w.toMs)}`;
}

/** What the older, documented kinds do (docs/fault-plans.md); undefined for any other kind. */
function effectOf(rule: FaultRule): string | undefined {
  switch (rule.fault) {
    case 'dropRequest':
      return 'the request is lost before the target sees it (no reply)';
    case 'dropReply':
      return 'the target handles the request, its reply is lost';
    case 'delay':
      return `the reply comes ${describeLatency(rule.latency)} later (on top of the round-trip latency)`;
    case 'duplicateReply':
      return `the reply arrives ${rule.copies + 1} times, ${ms(rule.gapMs)} apart`;
    case 'reorder':
      return `the reply is held back a uniform 0–${ms(rule.maxExtraMs)}, so replies overtake each other`;
    case 'corrupt':
      return `${rule.bytes} random byte(s) of the reply are flipped`;
    case 'truncate':
      return `the reply is cut to its first ${rule.keepBytes} byte(s)`;
    case 'wrongSender':
      return `the reply claims to come from "${rule.as}"`;
    case 'forceStatus':
      return `the target answers status ${rule.status}${rule.message === undefined ? '' : ` ("${rule.message}")`} instead of handling the request`;
    case 'crash':
      return (
        'the target is down: requests to it are lost' +
        (rule.restartAfterMs === undefined
          ? '; it never restarts'
          : `; it restarts ${rule.loseState ? 'without its volatile state' : 'with its state kept'}`)
      );
    case 'pause':
      return rule.window.toMs === undefined
        ? 'requests hang for good (the connection stays open, nothing is answered)'
        : 'requests that arrive in the window are held until it ends, then handled';
    case 'partition':
      return 'the target is unreachable: requests are lost, nothing comes back';
    case 'behave':
      return (
        `the target itself behaves "${rule.behaviour}"` +
        (Object.keys(rule.params).length === 0 ? '' : ` with ${JSON.stringify(rule.params)}`) +
        ' (the simulator defines what that means: see its docs page)'
      );
    default:
      return undefined;
  }
}

/** A parameter value with its unit read from its name (…Ms: ms, bytes, KBps). */
function paramText(name: string, value: unknown): string {
  if (typeof value === 'number') {
    if (/Ms$/.test(name)) return `${name} ${ms(value)}`;
    if (/[bB]ytes$/.test(name)) return `${name} ${value} byte(s)`;
    if (/KBps$/.test(name)) return `${name} ${value} KB/s`;
  }
  return `${name} ${JSON.stringify(value)}`;
}

const SCOPE_FIELDS = new Set(['fault', 'targets', 'group', 'window', 'probability']);

let fieldsByKind: Map<string, Set<string>> | undefined;

/** The fields each rule kind accepts, read from the JSON Schema (so newer kinds are covered). */
function fieldsOf(kind: string): Set<string> {
  if (fieldsByKind === undefined) {
    type Props = { properties?: Record<string, { const?: unknown }> };
    const rules = (faultPlanJsonSchema()['properties'] as Record<string, { items?: { oneOf?: Props[] } }>)[
      'rules'
    ];
    fieldsByKind = new Map(
      (rules?.items?.oneOf ?? []).map((o) => [
        String(o.properties?.['fault']?.const),
        new Set(Object.keys(o.properties ?? {})),
      ]),
    );
  }
  return fieldsByKind.get(kind) ?? new Set();
}

/**
 * One rule in words: `#i kind — targets: …; when: …; probability: …; does: …`. Kinds this
 * command has no words for (newer ones) list their parameters with units, and point to the docs.
 */
export function explainRule(plan: FaultPlan, rule: FaultRule, i: number): string[] {
  const r = rule as FaultRule & Record<string, unknown>;
  const lines = [`#${i} ${pc.bold(rule.fault)}`, `   targets: ${targetsText(plan, rule)}`];
  const fields = fieldsOf(rule.fault);
  if (rule.fault === 'crash')
    lines.push(
      `   when: ${windowText({ fromMs: rule.atMs, toMs: rule.restartAfterMs === undefined ? undefined : rule.atMs + rule.restartAfterMs })}`,
    );
  else if (fields.has('window')) lines.push(`   when: ${windowText(r['window'] as Window)}`);
  if (fields.has('probability') && typeof r['probability'] === 'number')
    lines.push(
      `   probability: ${r['probability'] === 1 ? 'every exchange (1)' : `${r['probability']} per exchange (one draw each)`}`,
    );
  const effect = effectOf(rule);
  if (effect !== undefined) lines.push(`   does: ${effect}`);
  else {
    const params = Object.entries(r).filter(([k]) => !SCOPE_FIELDS.has(k));
    lines.push(
      `   does: "${rule.fault}"${params.length === 0 ? '' : ` with ${params.map(([k, v]) => paramText(k, v)).join(', ')}`}` +
        ' (see docs/fault-plans.md and docs/fault-plans-new-kinds.md)',
    );
  }
  return lines;
}

const latencyText = (spec: LatencySpec | undefined): string =>
  spec === undefined ? 'none (0 ms)' : describeLatency(spec);

/** The whole plan in words (see the module docstring). */
export function explainPlan(plan: FaultPlan): string[] {
  const out: string[] = [];
  if (plan.description !== undefined) out.push(`description: ${plan.description}`);
  const groups = Object.entries(plan.groups);
  out.push(
    groups.length === 0
      ? 'groups: none'
      : `groups: ${groups.map(([g, m]) => `${g} = ${m.join(', ')}`).join('; ')}`,
  );
  out.push(`latency (round trip, half each way): ${latencyText(plan.latency.default)} by default`);
  for (const [id, spec] of Object.entries(plan.latency.perTarget)) out.push(`  ${id}: ${latencyText(spec)}`);
  out.push(
    plan.rules.length === 0
      ? 'rules: none (no faults)'
      : `rules (${plan.rules.length}, applied in this order to each exchange):`,
  );
  plan.rules.forEach((r, i) => out.push(...explainRule(plan, r, i).map((l) => `  ${l}`)));
  return out;
}

function check(env: Env, file: string): number {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    env.error(`${pc.red('error:')} ${file}: ${(e as Error).message}`);
    return 2;
  }
  let plan: FaultPlan;
  try {
    plan = parseFaultPlan(json);
  } catch (e) {
    if (!(e instanceof FaultPlanError)) throw e;
    env.error(`${pc.red('error:')} ${file} is not a valid fault plan (${e.issues.length} problem(s)):`);
    for (const i of e.issues) env.error(`  ${i.path}: ${i.message}`);
    env.error(pc.dim('see: docs/fault-plans.md, or fanout plan schema for the JSON Schema'));
    return 2;
  }
  env.log(`${pc.bold('fanout plan check')} ${file}: ${pc.green('valid')}`);
  for (const line of explainPlan(plan)) env.log(line);
  return 0;
}

/** Register `plan schema` and `plan check`. */
export function registerPlan(program: Command, env: Env): void {
  const plan = program
    .command('plan')
    .description('fault plans: their JSON Schema, and checking a plan file');
  plan
    .command('schema')
    .description(
      'print the JSON Schema of fault plan files (generated from the schema the runner validates with)',
    )
    .action(() => {
      env.log(JSON.stringify(faultPlanJsonSchema(), null, 2));
      env.exit(0);
    });
  plan
    .command('check')
    .description('validate a fault plan file and explain it in words; exit 2 naming every bad path')
    .argument('<file>', 'a fault plan (JSON)')
    .action((file: string) => env.exit(check(env, file)));
}
