/**
 * Fault plans: JSON-serialisable, schema-validated descriptions of latency and faults that drive
 * every simulator the same way, in the simulated network and at the edge of the live servers.
 *
 * Fault vocabulary from Jepsen's nemeses, Toxiproxy's toxics and tc netem (see
 * shared/reference/harness.md): drops, delay, duplicate, reorder, corrupt, truncate, spoofed
 * sender, forced status, crash (+ restart), pause (hang without closing), partition.
 */
import { z } from 'zod';
import { formatSchemaIssues, latencySpecSchema, sampleLatency, type LatencySpec } from './latency.js';
import type { Rng } from './rng.js';

/** A plan failed validation. `issues` lists every problem with its JSON path. */
export class FaultPlanError extends Error {
  override readonly name = 'FaultPlanError';
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(message);
  }
}

const window = z
  .object({
    /** Start of the window, ms from the start of the run (inclusive). */
    fromMs: z.number().min(0).default(0),
    /** End of the window, ms (exclusive). Omitted: forever. */
    toMs: z.number().positive().optional(),
  })
  .strict()
  .refine((w) => w.toMs === undefined || w.toMs > w.fromMs, {
    message: 'toMs must be greater than fromMs',
    path: ['toMs'],
  });

/** Who a rule applies to: explicit target ids and/or named groups; neither = every target. */
const scope = {
  targets: z.array(z.string().min(1)).optional(),
  group: z.string().min(1).optional(),
  window: window.optional(),
  /** Chance that the rule fires for a given message (0..1). Default 1. */
  probability: z.number().min(0).max(1).default(1),
};

const rule = z.discriminatedUnion('fault', [
  z.object({ fault: z.literal('dropRequest'), ...scope }).strict(),
  z.object({ fault: z.literal('dropReply'), ...scope }).strict(),
  z.object({ fault: z.literal('delay'), ...scope, latency: latencySpecSchema }).strict(),
  z
    .object({
      fault: z.literal('duplicateReply'),
      ...scope,
      copies: z.number().int().min(1).max(16).default(1),
      gapMs: z.number().min(0).default(1),
    })
    .strict(),
  z.object({ fault: z.literal('reorder'), ...scope, maxExtraMs: z.number().positive() }).strict(),
  z.object({ fault: z.literal('corrupt'), ...scope, bytes: z.number().int().min(1).default(1) }).strict(),
  z.object({ fault: z.literal('truncate'), ...scope, keepBytes: z.number().int().min(0) }).strict(),
  z.object({ fault: z.literal('wrongSender'), ...scope, as: z.string().min(1) }).strict(),
  z
    .object({
      fault: z.literal('forceStatus'),
      ...scope,
      status: z.number().int().min(0).max(999),
      message: z.string().optional(),
    })
    .strict(),
  z
    .object({
      fault: z.literal('crash'),
      targets: scope.targets,
      group: scope.group,
      atMs: z.number().min(0),
      /** Back up after this long; omitted = stays down. */
      restartAfterMs: z.number().positive().optional(),
      /** Whether volatile state is lost on crash (simulators decide what is volatile). Default false. */
      loseState: z.boolean().default(false),
    })
    .strict(),
  z.object({ fault: z.literal('pause'), targets: scope.targets, group: scope.group, window }).strict(),
  z
    .object({
      /**
       * A behaviour of the target itself, not of the network: what a simulator's node does wrong
       * (e.g. RAIDA 'wrongAn', a DHT node 'stale', a FROST participant 'forged', a Byzantine trainer
       * 'sign-flip'). Each simulator documents the behaviour names it knows; an oracle reads them
       * from the plan, so a hand-edited plan changes both what happens and what is expected.
       */
      fault: z.literal('behave'),
      targets: scope.targets,
      group: scope.group,
      window: window.optional(),
      /** Simulator-defined behaviour name. */
      behaviour: z.string().min(1),
      /** Simulator-defined parameters of the behaviour (JSON). */
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  z
    .object({
      fault: z.literal('partition'),
      targets: scope.targets,
      group: scope.group,
      window: window.optional(),
    })
    .strict(),
]);

export const faultPlanSchema = z
  .object({
    /** Schema version. */
    version: z.literal(1).default(1),
    /** Human description. */
    description: z.string().optional(),
    /** Named groups of target ids. */
    groups: z.record(z.string(), z.array(z.string().min(1))).default({}),
    /** Round-trip latency: a default and per-target overrides. */
    latency: z
      .object({
        default: latencySpecSchema.optional(),
        perTarget: z.record(z.string(), latencySpecSchema).default({}),
      })
      .strict()
      .default({ perTarget: {} }),
    rules: z.array(rule).default([]),
  })
  .strict()
  .superRefine((plan, ctx) => {
    plan.rules.forEach((r, i) => {
      if (r.group !== undefined && !(r.group in plan.groups)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'group'], message: `unknown group "${r.group}"` });
      }
    });
  });

export type FaultPlan = z.output<typeof faultPlanSchema>;
export type FaultPlanInput = z.input<typeof faultPlanSchema>;
export type FaultRule = FaultPlan['rules'][number];
export type FaultKind = FaultRule['fault'];

/**
 * Validate and normalise a plan (defaults filled in).
 * @throws FaultPlanError naming every bad path, e.g. `plan.rules.2.probability: Too big: expected number to be <=1`.
 */
export function parseFaultPlan(input: unknown): FaultPlan {
  const r = faultPlanSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = formatSchemaIssues(r.error, 'plan');
  throw new FaultPlanError(
    `invalid fault plan:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    issues,
  );
}

/** An empty plan: no latency, no faults. */
export const NO_FAULTS: FaultPlan = parseFaultPlan({});

/** What the injector decided for one request/reply exchange with a target. */
export interface ExchangeDecision {
  /** The target is unreachable now (partition or crashed): the request is lost. */
  unreachable: 'partition' | 'crashed' | undefined;
  dropRequest: boolean;
  dropReply: boolean;
  /** Ms to hold the request before the target sees it (pause windows). */
  holdMs: number;
  /** Round-trip latency sampled from the plan, ms (split half/half between the legs). */
  latencyMs: number;
  /** Extra delay on the reply leg, ms (delay and reorder faults). */
  extraReplyMs: number;
  /** Extra copies of the reply and the gap between them, ms. */
  duplicates: { copies: number; gapMs: number } | undefined;
  /** Number of bytes of the reply to corrupt (0 = none). */
  corruptBytes: number;
  /** Truncate the reply to this many bytes. */
  truncateTo: number | undefined;
  /** Reply claims to come from this target id. */
  wrongSender: string | undefined;
  /** The target answers this status instead of handling the request. */
  forceStatus: { status: number; message: string | undefined } | undefined;
  /** Names of the rules that fired (for the trace). */
  fired: string[];
}

/**
 * Applies a {@link FaultPlan} deterministically: every random draw for target X comes from
 * `rng.fork("faults:" + X)`, so adding a target or a message to another target never changes X's
 * draws. Time is passed in (virtual or wall ms since the run started); the injector never reads a clock.
 */
export class FaultInjector {
  #plan: FaultPlan;
  readonly #rng: Rng;
  readonly #streams = new Map<string, Rng>();

  constructor(plan: FaultPlan, rng: Rng) {
    this.#plan = plan;
    this.#rng = rng;
  }

  /** The plan in force (replaced at run time by {@link setPlan}, e.g. by a fault-control API). */
  get plan(): FaultPlan {
    return this.#plan;
  }

  /**
   * Replace the plan in force from the next exchange on (live fault control). The per-target
   * random streams continue; time windows keep their time base.
   */
  setPlan(plan: FaultPlan): void {
    this.#plan = plan;
  }

  /**
   * The `behave` rules that apply to `target` at `t` (ms since the run started; undefined: any
   * time), in plan order: `[{ behaviour, params }]`. Simulators ask this to decide what a node
   * does wrong; it draws nothing.
   */
  behaviours(target: string, t?: number): { behaviour: string; params: Record<string, unknown> }[] {
    const out: { behaviour: string; params: Record<string, unknown> }[] = [];
    for (const r of this.plan.rules) {
      if (r.fault !== 'behave' || !this.applies(r, target)) continue;
      const w = r.window;
      if (t !== undefined && w !== undefined && (t < w.fromMs || (w.toMs !== undefined && t >= w.toMs)))
        continue;
      out.push({ behaviour: r.behaviour, params: r.params });
    }
    return out;
  }

  #stream(target: string): Rng {
    let s = this.#streams.get(target);
    if (s === undefined) {
      s = this.#rng.fork(`faults:${target}`);
      this.#streams.set(target, s);
    }
    return s;
  }

  /** Whether `rule` names `target` (by id or group; a rule naming neither applies to all). */
  applies(rule: Pick<FaultRule, 'targets' | 'group'>, target: string): boolean {
    if (rule.targets === undefined && rule.group === undefined) return true;
    if (rule.targets?.includes(target)) return true;
    if (rule.group !== undefined && this.plan.groups[rule.group]?.includes(target)) return true;
    return false;
  }

  /** The latency spec for a target (per-target override, else default), or undefined for zero latency. */
  latencyFor(target: string): LatencySpec | undefined {
    return this.plan.latency.perTarget[target] ?? this.plan.latency.default;
  }

  /** Whether `target` is crashed at time `t` (ms), and whether its state was lost. */
  crashState(target: string, t: number): { down: boolean; loseState: boolean } {
    for (const r of this.plan.rules) {
      if (r.fault !== 'crash' || !this.applies(r, target)) continue;
      const end = r.restartAfterMs === undefined ? Infinity : r.atMs + r.restartAfterMs;
      if (t >= r.atMs && t < end) return { down: true, loseState: r.loseState };
    }
    return { down: false, loseState: false };
  }

  /** Crash rules for a target (simulators use them to wipe volatile state at restart). */
  crashesOf(target: string): { atMs: number; restartAfterMs: number | undefined; loseState: boolean }[] {
    return this.plan.rules
      .filter(
        (r): r is Extract<FaultRule, { fault: 'crash' }> => r.fault === 'crash' && this.applies(r, target),
      )
      .map((r) => ({ atMs: r.atMs, restartAfterMs: r.restartAfterMs, loseState: r.loseState }));
  }

  /**
   * Decide the fate of one exchange with `target` that starts at time `t` (ms since run start).
   * Draws from the target's own stream in rule order: deterministic for a given sequence of calls.
   */
  decide(target: string, t: number): ExchangeDecision {
    const rng = this.#stream(target);
    const d: ExchangeDecision = {
      unreachable: undefined,
      dropRequest: false,
      dropReply: false,
      holdMs: 0,
      latencyMs: 0,
      extraReplyMs: 0,
      duplicates: undefined,
      corruptBytes: 0,
      truncateTo: undefined,
      wrongSender: undefined,
      forceStatus: undefined,
      fired: [],
    };
    const spec = this.latencyFor(target);
    if (spec !== undefined) d.latencyMs = sampleLatency(spec, rng);
    const inWindow = (w: { fromMs: number; toMs?: number | undefined } | undefined): boolean =>
      w === undefined || (t >= w.fromMs && (w.toMs === undefined || t < w.toMs));
    this.plan.rules.forEach((r, i) => {
      if (!this.applies(r, target)) return;
      const name = `${r.fault}#${i}`;
      switch (r.fault) {
        case 'crash': {
          const end = r.restartAfterMs === undefined ? Infinity : r.atMs + r.restartAfterMs;
          if (t >= r.atMs && t < end) {
            d.unreachable ??= 'crashed';
            d.fired.push(name);
          }
          return;
        }
        case 'partition':
          if (inWindow(r.window)) {
            d.unreachable ??= 'partition';
            d.fired.push(name);
          }
          return;
        case 'behave':
          return; // a node behaviour, not a network fault: simulators ask behaviours()
        case 'pause':
          if (inWindow(r.window) && r.window.toMs !== undefined) {
            d.holdMs = Math.max(d.holdMs, r.window.toMs - t);
            d.fired.push(name);
          } else if (inWindow(r.window)) {
            d.holdMs = Infinity;
            d.fired.push(name);
          }
          return;
      }
      if (!inWindow(r.window)) return;
      // Probabilistic rules: one draw each, always taken (so a rule's draws do not depend on others' outcomes).
      const hit = rng.float() < r.probability;
      if (!hit) return;
      d.fired.push(name);
      switch (r.fault) {
        case 'dropRequest':
          d.dropRequest = true;
          break;
        case 'dropReply':
          d.dropReply = true;
          break;
        case 'delay':
          d.extraReplyMs += sampleLatency(r.latency, rng);
          break;
        case 'duplicateReply':
          d.duplicates = { copies: r.copies, gapMs: r.gapMs };
          break;
        case 'reorder':
          d.extraReplyMs += rng.float() * r.maxExtraMs;
          break;
        case 'corrupt':
          d.corruptBytes = Math.max(d.corruptBytes, r.bytes);
          break;
        case 'truncate':
          d.truncateTo = d.truncateTo === undefined ? r.keepBytes : Math.min(d.truncateTo, r.keepBytes);
          break;
        case 'wrongSender':
          d.wrongSender = r.as;
          break;
        case 'forceStatus':
          d.forceStatus = { status: r.status, message: r.message };
          break;
      }
    });
    return d;
  }

  /** Flip `count` random bytes of `bytes` (a copy), drawing from the target's stream. */
  corrupt(target: string, bytes: Uint8Array, count: number): Uint8Array {
    const out = bytes.slice();
    if (out.length === 0) return out;
    const rng = this.#stream(target);
    for (let i = 0; i < count; i++) {
      const at = rng.int(0, out.length - 1);
      out[at] = out[at]! ^ rng.int(1, 255);
    }
    return out;
  }
}
