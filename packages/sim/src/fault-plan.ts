/**
 * Fault plans: JSON-serialisable, schema-validated descriptions of latency and faults that drive
 * every simulator the same way, in the simulated network and at the edge of the live servers.
 *
 * Fault vocabulary from Jepsen's nemeses, Toxiproxy's toxics and tc netem (see
 * shared/reference/harness.md): drops, delay, duplicate, reorder, corrupt, truncate, spoofed
 * sender, forced status, crash (+ restart), pause (hang without closing), partition; and the
 * newer kinds (docs/fault-plans-new-kinds.md): clock skew and strobe per target (clock-faults.ts),
 * one-way and node-to-node link partitions, Gilbert–Elliott correlated loss (burst-loss.ts),
 * Toxiproxy's bandwidth / slicer / limitData / slowClose / timeout / resetPeer for HTTP edges
 * (http-toxics.ts) and FoundationDB's swizzle-clog (swizzle.ts). The newer kinds draw from their
 * own per-target stream, so plans without them draw exactly as before.
 */
import { z } from 'zod';
import {
  LATENCY_CEILING_MS,
  formatSchemaIssues,
  latencySpecSchema,
  sampleLatency,
  type LatencySpec,
} from './latency.js';
import { burstStep, type BurstState } from './burst-loss.js';
import { clockRuleOffset } from './clock-faults.js';
import type { HttpToxics } from './http-toxics.js';
import type { Rng } from './rng.js';
import { swizzleSchedule, type SwizzleEntry } from './swizzle.js';

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

/** The other side of a `linkPartition`: target ids and/or a group; neither = every other party, clients included. */
const peers = z
  .object({
    targets: z.array(z.string().min(1)).optional(),
    group: z.string().min(1).optional(),
  })
  .strict();

/** A probability in [0, 1]. */
const chance = () => z.number().min(0).max(1);

/** Plan times, ms: finite, within the timer ceiling. */
const planMs = () => z.number().min(0).max(LATENCY_CEILING_MS);

/** Toxiproxy direction of a timeout / resetPeer toxic (see http-toxics.ts). */
const toxicStream = z.enum(['upstream', 'downstream']).default('downstream');

/**
 * The kinds added after version 1's first release (docs/fault-plans-new-kinds.md): clock faults,
 * link partitions, correlated loss, HTTP connection toxics and swizzle-clog. Each names its
 * targets as every other rule does; none draws from the streams of the older kinds.
 */
const newKinds = [
  z
    .object({
      /** The target's clock reads `offsetMs` ahead (negative: behind) while the window is open. */
      fault: z.literal('clockSkew'),
      targets: scope.targets,
      group: scope.group,
      window: window.optional(),
      /** Ms added to the target's "now" (may be negative). */
      offsetMs: z.number().min(-LATENCY_CEILING_MS).max(LATENCY_CEILING_MS),
    })
    .strict(),
  z
    .object({
      /** The target's clock flips between +deltaMs and the true time every periodMs (Jepsen strobe). */
      fault: z.literal('clockStrobe'),
      targets: scope.targets,
      group: scope.group,
      window: window.optional(),
      /** Ms added to "now" in the even periods (may be negative). */
      deltaMs: z.number().min(-LATENCY_CEILING_MS).max(LATENCY_CEILING_MS),
      /** Length of one period, ms (> 0). */
      periodMs: z.number().positive().max(LATENCY_CEILING_MS),
    })
    .strict(),
  z
    .object({
      /**
       * Messages between the rule's targets and `peers` are lost while the window is open, in the
       * `direction` given relative to the targets: 'both', 'outbound' (targets → peers: requests
       * reach a target, its replies do not) or 'inbound' (peers → targets).
       */
      fault: z.literal('linkPartition'),
      targets: scope.targets,
      group: scope.group,
      window: window.optional(),
      peers: peers.optional(),
      direction: z.enum(['both', 'outbound', 'inbound']).default('both'),
    })
    .strict(),
  z
    .object({
      /** Gilbert–Elliott correlated loss, one chain per target stepped once per exchange (burst-loss.ts). */
      fault: z.literal('burstLoss'),
      targets: scope.targets,
      group: scope.group,
      window: window.optional(),
      /** Chance good → bad after a message (netem p). */
      pGoodToBad: chance(),
      /** Chance bad → good after a message (netem r). */
      pBadToGood: chance(),
      /** Loss probability in the good state. Default 0. */
      lossInGood: chance().default(0),
      /** Loss probability in the bad state. Default 1. */
      lossInBad: chance().default(1),
      /** Which message of the exchange is lost: the request (default) or the reply. */
      leg: z.enum(['request', 'reply']).default('request'),
    })
    .strict(),
  z
    .object({
      fault: z.literal('bandwidth'),
      ...scope,
      /** KB/s (1 KB = 1000 bytes) of the response body. */
      rateKBps: z.number().positive().max(1e9),
    })
    .strict(),
  z
    .object({
      fault: z.literal('slicer'),
      ...scope,
      /** Mean piece size, bytes. */
      averageBytes: z.number().int().min(1).max(1e9),
      /** Piece sizes vary by up to ± this many bytes (kept below averageBytes). Default 0. */
      variationBytes: z.number().int().min(0).max(1e9).default(0),
      /** Pause after each piece, ms. Default 0. */
      delayMs: planMs().default(0),
    })
    .strict(),
  z
    .object({
      fault: z.literal('limitData'),
      ...scope,
      /** Body bytes after which the connection is closed. */
      bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    })
    .strict(),
  z
    .object({
      fault: z.literal('slowClose'),
      ...scope,
      /** Ms between the last body byte and the end of the response. */
      delayMs: planMs(),
    })
    .strict(),
  z
    .object({
      fault: z.literal('timeout'),
      ...scope,
      /** Ms after which the connection is closed; 0 = never (a black hole). */
      timeoutMs: planMs(),
      stream: toxicStream,
    })
    .strict(),
  z
    .object({
      fault: z.literal('resetPeer'),
      ...scope,
      /** Ms after which the connection is reset (TCP RST); 0 = at once. */
      timeoutMs: planMs(),
      stream: toxicStream,
    })
    .strict(),
  z
    .object({
      /** FoundationDB swizzle-clog over the rule's members (swizzle.ts); needs targets or group. */
      fault: z.literal('swizzleClog'),
      targets: scope.targets,
      group: scope.group,
      /** Plan time of the first clog, ms. Default 0. */
      atMs: planMs().default(0),
      /** Ms between two clogs and between two unclogs. */
      periodMs: z.number().positive().max(LATENCY_CEILING_MS),
      /** Ms all members stay clogged before the first unclog. Default periodMs. */
      holdMs: planMs().optional(),
    })
    .strict(),
] as const;

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
  ...newKinds,
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
      if (r.fault === 'linkPartition' && r.peers?.group !== undefined && !(r.peers.group in plan.groups)) {
        const message = `unknown group "${r.peers.group}"`;
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'peers', 'group'], message });
      }
      if (r.fault === 'swizzleClog' && r.targets === undefined && r.group === undefined) {
        const message = 'swizzleClog needs targets or a group (the members it clogs in turn)';
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'targets'], message });
      }
      if (r.fault === 'slicer' && r.variationBytes >= r.averageBytes && r.variationBytes > 0) {
        const message = 'must be less than averageBytes';
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'variationBytes'], message });
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
  /**
   * The request is lost to a newer rule kind, named for the trace: 'linkPartition' (the link from
   * the sender to the target is cut) or 'burstLoss' (a Gilbert–Elliott chain lost it).
   */
  requestLost: 'linkPartition' | 'burstLoss' | undefined;
  /** The reply is lost (the target handled the request): 'linkPartition' or 'burstLoss'. */
  replyLost: 'linkPartition' | 'burstLoss' | undefined;
  /** HTTP connection toxics that fired (HTTP edges only: datagram edges ignore them). */
  toxics: HttpToxics | undefined;
  /** Names of the rules that fired (for the trace). */
  fired: string[];
}

/** The rule kinds of {@link newKinds}: decided apart from the older kinds, on their own streams. */
type NewKindRule = Extract<
  FaultRule,
  {
    fault:
      | 'clockSkew'
      | 'clockStrobe'
      | 'linkPartition'
      | 'burstLoss'
      | 'bandwidth'
      | 'slicer'
      | 'limitData'
      | 'slowClose'
      | 'timeout'
      | 'resetPeer'
      | 'swizzleClog';
  }
>;

const NEW_KINDS: ReadonlySet<string> = new Set(newKinds.map((k) => k.shape.fault.value));

/** Whether `rule` is one of the newer kinds (decided by {@link FaultInjector}'s second pass). */
export function isNewKindRule(rule: FaultRule): rule is NewKindRule {
  return NEW_KINDS.has(rule.fault);
}

type Win = { fromMs: number; toMs?: number | undefined } | undefined;
const inWindowAt = (w: Win, t: number): boolean =>
  w === undefined || (t >= w.fromMs && (w.toMs === undefined || t < w.toMs));

/** Whether a rule's `targets` / `group` (or a `peers` side) names party `p` (a target id). */
function names(
  side: { targets?: string[] | undefined; group?: string | undefined },
  groups: Readonly<Record<string, readonly string[]>>,
  p: string,
): boolean {
  if (side.targets === undefined && side.group === undefined) return true;
  return (
    side.targets?.includes(p) === true ||
    (side.group !== undefined && groups[side.group]?.includes(p) === true)
  );
}

/**
 * Whether a `linkPartition` rule (window aside) loses a message from party `from` to party `to`;
 * undefined stands for a party that is no plan target (a client). Side A is the rule's targets /
 * group (a client belongs to it only when the rule names neither); the peers are `peers` (a
 * client belongs to it only when `peers` names neither) or, when `peers` is omitted, every party
 * outside side A, clients included. 'outbound' loses A → peers, 'inbound' peers → A, 'both' both.
 * A party never loses messages to itself. Pure: oracles ask it too.
 */
export function linkCuts(
  rule: Extract<FaultRule, { fault: 'linkPartition' }>,
  groups: Readonly<Record<string, readonly string[]>>,
  from: string | undefined,
  to: string | undefined,
): boolean {
  if (from === to) return false;
  const named = (r: { targets?: string[] | undefined; group?: string | undefined }): boolean =>
    r.targets !== undefined || r.group !== undefined;
  const inA = (p: string | undefined): boolean => (p === undefined ? !named(rule) : names(rule, groups, p));
  const inPeers = (p: string | undefined): boolean => {
    const peers = rule.peers;
    if (peers === undefined) return !inA(p);
    return p === undefined ? !named(peers) : names(peers, groups, p);
  };
  const out = rule.direction !== 'inbound' && inA(from) && inPeers(to);
  const back = rule.direction !== 'outbound' && inPeers(from) && inA(to);
  return out || back;
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
  /** Streams of the newer kinds, "faults+:<target>": their draws never shift the older kinds'. */
  readonly #newStreams = new Map<string, Rng>();
  /** Gilbert–Elliott chain states by target and rule content (they survive an unrelated setPlan). */
  readonly #burst = new Map<string, BurstState>();
  readonly #ruleKeys = new WeakMap<object, string>();
  readonly #swizzles = new WeakMap<object, SwizzleEntry[]>();

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
   * `source` is the plan target the request comes from, when the sender is one (a DHT node calling
   * another); undefined for a client. Only `linkPartition` rules look at it. The newer kinds are
   * decided after the older ones, from the target's second stream "faults+:<target>", so a plan
   * without them draws exactly as before.
   */
  decide(target: string, t: number, source?: string): ExchangeDecision {
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
      requestLost: undefined,
      replyLost: undefined,
      toxics: undefined,
      fired: [],
    };
    const spec = this.latencyFor(target);
    if (spec !== undefined) d.latencyMs = sampleLatency(spec, rng);
    const inWindow = (w: { fromMs: number; toMs?: number | undefined } | undefined): boolean =>
      w === undefined || (t >= w.fromMs && (w.toMs === undefined || t < w.toMs));
    this.plan.rules.forEach((r, i) => {
      if (isNewKindRule(r) || !this.applies(r, target)) return;
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
    this.#decideNewKinds(target, t, source, d);
    return d;
  }

  /**
   * The stream of the newer kinds for `target`, "faults+:<target>" (Gilbert–Elliott steps, toxic
   * draws, slicer piece sizes): separate from the older kinds' "faults:<target>", so a plan without
   * newer kinds draws exactly as before. Keep using the returned instance to continue it.
   */
  newKindStream(target: string): Rng {
    let s = this.#newStreams.get(target);
    if (s === undefined) {
      s = this.#rng.fork(`faults+:${target}`);
      this.#newStreams.set(target, s);
    }
    return s;
  }

  /** A stable text key of a rule's content (JSON), cached per rule object. */
  #ruleKey(rule: FaultRule): string {
    let k = this.#ruleKeys.get(rule);
    if (k === undefined) {
      k = JSON.stringify(rule);
      this.#ruleKeys.set(rule, k);
    }
    return k;
  }

  /**
   * Second pass of {@link decide}, for the newer kinds (rule order, their own "faults+:<target>"
   * stream): link partitions, Gilbert–Elliott loss (two draws per exchange and rule), swizzle
   * clogs (a hold until the target unclogs) and HTTP toxics (one draw each, like the older
   * probabilistic rules).
   */
  #decideNewKinds(target: string, t: number, source: string | undefined, d: ExchangeDecision): void {
    this.plan.rules.forEach((r, i) => {
      if (!isNewKindRule(r)) return;
      const name = `${r.fault}#${i}`;
      if (r.fault === 'linkPartition') {
        if (!inWindowAt(r.window, t)) return;
        if (linkCuts(r, this.plan.groups, source, target)) d.requestLost ??= 'linkPartition';
        else if (linkCuts(r, this.plan.groups, target, source)) d.replyLost ??= 'linkPartition';
        else return;
        d.fired.push(name);
        return;
      }
      if (!this.applies(r, target)) return;
      switch (r.fault) {
        case 'clockSkew':
        case 'clockStrobe':
          return; // what the target reads as now: clockOffsetMs()
        case 'swizzleClog': {
          const until = this.#clogUntilOf(r, target, t);
          if (until === undefined) return;
          d.holdMs = Math.max(d.holdMs, until - t);
          d.fired.push(name);
          return;
        }
        case 'burstLoss': {
          if (!inWindowAt(r.window, t)) return;
          const key = `${target}\u0000${this.#ruleKey(r)}`;
          const step = burstStep(this.#burst.get(key) ?? 'good', r, this.newKindStream(target));
          this.#burst.set(key, step.next);
          if (!step.lost) return;
          if (r.leg === 'request') d.requestLost ??= 'burstLoss';
          else d.replyLost ??= 'burstLoss';
          d.fired.push(name);
          return;
        }
      }
      if (!inWindowAt(r.window, t)) return;
      if (!(this.newKindStream(target).float() < r.probability)) return;
      d.fired.push(name);
      const x = (d.toxics ??= {});
      switch (r.fault) {
        case 'bandwidth':
          x.bandwidthKBps = Math.min(x.bandwidthKBps ?? Infinity, r.rateKBps);
          break;
        case 'slicer':
          x.slicer ??= { averageBytes: r.averageBytes, variationBytes: r.variationBytes, delayMs: r.delayMs };
          break;
        case 'limitData':
          x.limitBytes = Math.min(x.limitBytes ?? Infinity, r.bytes);
          break;
        case 'slowClose':
          x.slowCloseMs = Math.max(x.slowCloseMs ?? 0, r.delayMs);
          break;
        case 'timeout':
          x.timeout ??= { timeoutMs: r.timeoutMs, stream: r.stream };
          break;
        case 'resetPeer':
          x.resetPeer ??= { timeoutMs: r.timeoutMs, stream: r.stream };
          break;
      }
    });
  }

  /**
   * Whether a message from party `from` to party `to` at plan time `t` (ms) is lost to a
   * `linkPartition` rule (undefined party: a client, not a plan target). Draws nothing.
   */
  linkCut(from: string | undefined, to: string | undefined, t: number): boolean {
    return this.plan.rules.some(
      (r) =>
        r.fault === 'linkPartition' && inWindowAt(r.window, t) && linkCuts(r, this.plan.groups, from, to),
    );
  }

  /**
   * The schedule of a `swizzleClog` rule: members in clog order with their clog intervals (plan
   * ms), the unclog order drawn from the stream "swizzle:<rule JSON>" (so it depends on the seed
   * and the rule's content only). Cached per rule object.
   */
  swizzleSchedule(rule: Extract<FaultRule, { fault: 'swizzleClog' }>): readonly SwizzleEntry[] {
    let s = this.#swizzles.get(rule);
    if (s === undefined) {
      s = swizzleSchedule(rule, this.plan.groups, this.#rng.fork(`swizzle:${this.#ruleKey(rule)}`));
      this.#swizzles.set(rule, s);
    }
    return s;
  }

  #clogUntilOf(
    rule: Extract<FaultRule, { fault: 'swizzleClog' }>,
    target: string,
    t: number,
  ): number | undefined {
    const e = this.swizzleSchedule(rule).find((x) => x.target === target);
    return e !== undefined && t >= e.clogAtMs && t < e.unclogAtMs ? e.unclogAtMs : undefined;
  }

  /**
   * When `target` unclogs, if a swizzle-clog holds it at plan time `t` (ms): the latest unclog time
   * of the rules that clog it then; undefined when it is not clogged. Draws nothing from the
   * target streams (a rule's unclog order is drawn once, from its own stream).
   */
  clogUntil(target: string, t: number): number | undefined {
    let until: number | undefined;
    for (const r of this.plan.rules) {
      if (r.fault !== 'swizzleClog' || !this.applies(r, target)) continue;
      const u = this.#clogUntilOf(r, target, t);
      if (u !== undefined) until = Math.max(until ?? u, u);
    }
    return until;
  }

  /**
   * What `target`'s clock is off by at plan time `t` (ms since the run started): the sum of the
   * active `clockSkew` and `clockStrobe` offsets, ms (0 when none applies). Draws nothing.
   */
  clockOffsetMs(target: string, t: number): number {
    let offset = 0;
    for (const r of this.plan.rules)
      if ((r.fault === 'clockSkew' || r.fault === 'clockStrobe') && this.applies(r, target))
        offset += clockRuleOffset(r, t);
    return offset;
  }

  /** Plan time as `target` reads it at true plan time `t`: `t + clockOffsetMs(target, t)`, ms. */
  nowFor(target: string, t: number): number {
    return t + this.clockOffsetMs(target, t);
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
