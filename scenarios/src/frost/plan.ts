/**
 * FROST-over-Hubert fault plans: the plan targets of a FROST world, the participant behaviours as
 * `behave` rules, and the two readings of those rules — the agents' at run time
 * ({@link resolveAct}: what participant pN does with one request now) and the oracle's
 * ({@link possibleActs}: every act the plan allows over an interval, with its certainty).
 *
 * Targets (see world.ts for how each is applied):
 * - `coordinator`, `p1` … `pN`: each party's link to Hubert (latency, partition, pause, drops,
 *   forced statuses, delay, crash of that link);
 * - `store:pN`: Hubert storage operations on pN's ARIDs (latency, delay, reorder, pause; a
 *   `dropRequest` on a put is a lost write; `forceStatus` fails a put with that status);
 * - `store-get:pN`: gets of pN's ARIDs only (latency, delay, `forceStatus` on a get);
 * - `hubert`: the server process (`crash` with `restartAfterMs`; `loseState` wipes its data).
 *
 * Participant behaviours (rules `{ fault: 'behave', targets: ['p2'], behaviour, params }`):
 * - `think` — answer honestly after `params.thinkMs` ms (required);
 * - `busy` — decline with "Busy right now"; `vanish` — read the request, never answer;
 * - `late` — answer 60 s after the coordinator's timeout (plus any think time);
 * - `malformed` — a reply that does not parse; `forged` — signed with the wrong key;
 * - `badShare` — a cryptographically bad package or signature share.
 * `params.on` (a request type: dkgInvite, dkgRound2, dkgFinalize, signInvite, signRound2,
 * signFinalize) limits a rule to that request; without it the rule applies to every request. Any
 * act may carry `params.thinkMs` (think before acting). Precedence per request: rules naming the
 * request (`on`) before general ones, then plan order; the first act rule decides what is done,
 * its own thinkMs (else the first `think` rule's) how long the participant thinks first.
 */
import { z } from 'zod';
import type { FaultPlan, FaultPlanInput, FaultRule, LatencySpec } from '@fanout/sim';
import { WHOLE_RUN, type Certainty, type Interval, type PlanView } from '../kernel/plan-view.js';

/** The coordinator's link target. */
export const COORDINATOR = 'coordinator';
/** The Hubert server process target (crash rules). */
export const HUBERT = 'hubert';
/** The plan group listing the participants' targets (p1 … pN). */
export const PARTICIPANTS_GROUP = 'participants';

/** Plan target of participant `i` (0-based): `p1`, `p2`, … */
export function participantTarget(i: number): string {
  return `p${i + 1}`;
}

/** Store target of participant `i`'s ARIDs: `store:p1`, … */
export function storeTarget(i: number): string {
  return `store:${participantTarget(i)}`;
}

/** Store-get target of participant `i`'s ARIDs: `store-get:p1`, … */
export function storeGetTarget(i: number): string {
  return `store-get:${participantTarget(i)}`;
}

/** The 0-based participant index of a `pN` target, or undefined for any other target. */
export function participantIndex(target: string): number | undefined {
  const m = /^p([1-9]\d*)$/.exec(target);
  return m === null ? undefined : Number(m[1]) - 1;
}

/** Requests a participant receives, in flow order. */
export const INBOUND_STEPS = [
  'dkgInvite',
  'dkgRound2',
  'dkgFinalize',
  'signInvite',
  'signRound2',
  'signFinalize',
] as const;
/** A request a participant receives. */
export type InboundStep = (typeof INBOUND_STEPS)[number];

/** The DKG requests, in order. */
export const DKG_STEPS = ['dkgInvite', 'dkgRound2', 'dkgFinalize'] as const;

/** What a participant can do wrong (behaviour names of `behave` rules). */
export const DEVIATIONS = ['busy', 'vanish', 'late', 'malformed', 'forged', 'badShare'] as const;
/** What a participant does with one request. */
export type Act = 'accept' | (typeof DEVIATIONS)[number];
/** The behaviour name of honest think time. */
export const THINK = 'think';
/** Every behaviour name a participant target knows. */
export const BEHAVIOURS: readonly string[] = [THINK, ...DEVIATIONS];
/** Acts that send something wrong (the coordinator can blame the sender). */
export const CHEATS: ReadonlySet<Act> = new Set<Act>(['malformed', 'forged', 'badShare']);
/** How much later than the coordinator's timeout a `late` participant answers, ms. */
export const LATE_BY_MS = 60_000;

const paramsSchema = z
  .object({
    on: z.enum(INBOUND_STEPS).optional(),
    thinkMs: z.number().min(0).max(86_400_000).optional(),
  })
  .strict();

/** Parameters of a participant behaviour rule. */
export type BehaviourParams = z.output<typeof paramsSchema>;

/** A plan names something a FROST world cannot do; `field` is the plan path (e.g. `rules.3.params.on`). */
export class FrostPlanError extends Error {
  override readonly name = 'FrostPlanError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Rule kinds each store target applies (others would silently do nothing, so they are refused). */
const STORE_KINDS: ReadonlySet<string> = new Set(['delay', 'reorder', 'pause', 'dropRequest', 'forceStatus']);
const STORE_GET_KINDS: ReadonlySet<string> = new Set(['delay', 'forceStatus']);

/** The targets a rule names explicitly (by id or group; a rule naming neither names nobody here). */
function namedTargets(plan: FaultPlan, rule: FaultRule): string[] {
  return [...(rule.targets ?? []), ...(rule.group === undefined ? [] : (plan.groups[rule.group] ?? []))];
}

/**
 * Check the FROST-specific parts of a plan for a world of `participants`: behaviour names and
 * params of `behave` rules on participants, rules on `hubert` (crash only), on store targets
 * (the kinds listed in the module docstring) and on participants that do not exist.
 * @throws FrostPlanError naming the first bad rule field (`rules.<i>.behaviour`, `rules.<i>.params…`,
 *   `rules.<i>.fault`, `rules.<i>.targets`).
 */
export function checkFrostPlan(plan: FaultPlan, participants: number): void {
  plan.rules.forEach((rule, i) => {
    const at = `rules.${i}`;
    for (const target of namedTargets(plan, rule)) {
      const p = participantIndex(target);
      if (p !== undefined && p >= participants)
        throw new FrostPlanError(`${at}.targets`, `${target} does not exist (${participants} participants)`);
      if (rule.fault === 'behave') {
        if (p === undefined)
          throw new FrostPlanError(`${at}.targets`, `${target} has no behaviours (participants p1…pN do)`);
        if (!BEHAVIOURS.includes(rule.behaviour))
          throw new FrostPlanError(
            `${at}.behaviour`,
            `unknown participant behaviour "${rule.behaviour}" (known: ${BEHAVIOURS.join(', ')})`,
          );
        const parsed = paramsSchema.safeParse(rule.params);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw new FrostPlanError(`${at}.params.${issue.path.join('.')}`, issue.message);
        }
        if (rule.behaviour === THINK && parsed.data.thinkMs === undefined)
          throw new FrostPlanError(`${at}.params.thinkMs`, 'a think rule needs thinkMs');
      } else if (target === HUBERT && rule.fault !== 'crash') {
        throw new FrostPlanError(`${at}.fault`, `${HUBERT} takes crash rules only, got ${rule.fault}`);
      } else if (target.startsWith('store-get:') && !STORE_GET_KINDS.has(rule.fault)) {
        throw new FrostPlanError(`${at}.fault`, `${target} takes ${[...STORE_GET_KINDS].join(', ')}`);
      } else if (target.startsWith('store:') && !STORE_KINDS.has(rule.fault)) {
        throw new FrostPlanError(`${at}.fault`, `${target} takes ${[...STORE_KINDS].join(', ')}`);
      }
    }
  });
}

/** One participant's behaviour as a spec (turned into `behave` rules by {@link participantRules}). */
export interface ParticipantSpec {
  /** Think time before every answer, ms (default 0). */
  readonly thinkMs?: number;
  /** Think time per request type (overrides thinkMs), ms. */
  readonly thinkMsOn?: Readonly<Partial<Record<InboundStep, number>>>;
  /** What to do per request type (default 'accept'). */
  readonly on?: Readonly<Partial<Record<InboundStep, Act>>>;
}

type RuleInput = NonNullable<FaultPlanInput['rules']>[number];

/** `behave` rules realising `specs` (index 0 = p1): acts first, then think times. */
export function participantRules(specs: readonly (ParticipantSpec | undefined)[]): RuleInput[] {
  const rules: RuleInput[] = [];
  specs.forEach((s, i) => {
    const targets = [participantTarget(i)];
    for (const step of INBOUND_STEPS) {
      const act = s?.on?.[step];
      if (act !== undefined && act !== 'accept')
        rules.push({ fault: 'behave', targets, behaviour: act, params: { on: step } });
    }
    for (const step of INBOUND_STEPS) {
      const ms = s?.thinkMsOn?.[step];
      if (ms !== undefined)
        rules.push({ fault: 'behave', targets, behaviour: THINK, params: { on: step, thinkMs: ms } });
    }
    if (s?.thinkMs !== undefined && s.thinkMs > 0)
      rules.push({ fault: 'behave', targets, behaviour: THINK, params: { thinkMs: s.thinkMs } });
  });
  return rules;
}

/** A FROST plan: participants, store latency per participant, link latency, behaviours, extra rules. */
export interface FrostPlanSpec {
  readonly participants: number;
  readonly description?: string;
  /** Store latency of each participant's ARIDs (index 0 = p1), per operation. */
  readonly storeLatency?: readonly (LatencySpec | undefined)[];
  /** Latency of every party's link (coordinator and participants). */
  readonly linkLatency?: LatencySpec;
  readonly behaviours?: readonly (ParticipantSpec | undefined)[];
  /** Extra rules (targets: coordinator, p1…pN, store:pN, store-get:pN, hubert). */
  readonly rules?: readonly RuleInput[];
}

/** The plan input of `spec`, with the `participants` group (p1…pN). */
export function frostPlan(spec: FrostPlanSpec): FaultPlanInput {
  const perTarget: Record<string, LatencySpec> = {};
  spec.storeLatency?.forEach((l, i) => {
    if (l !== undefined) perTarget[storeTarget(i)] = l;
  });
  const ids = Array.from({ length: spec.participants }, (_, i) => participantTarget(i));
  if (spec.linkLatency !== undefined) for (const t of [COORDINATOR, ...ids]) perTarget[t] = spec.linkLatency;
  return {
    ...(spec.description === undefined ? {} : { description: spec.description }),
    groups: { [PARTICIPANTS_GROUP]: ids },
    latency: { perTarget },
    rules: [...participantRules(spec.behaviours ?? []), ...(spec.rules ?? [])],
  };
}

/** A behaviour as the injector reports it. */
type ActiveBehaviour = { readonly behaviour: string; readonly params: Record<string, unknown> };

/** Params of a behaviour, or undefined when they do not parse (skipped at run time). */
function paramsOf(b: { params: Record<string, unknown> }): BehaviourParams | undefined {
  const r = paramsSchema.safeParse(b.params);
  return r.success ? r.data : undefined;
}

/** Behaviours relevant to `step`, specific (`on: step`) first, then general, each in plan order. */
function byPrecedence<B extends { params: Record<string, unknown> }>(
  list: readonly B[],
  step: InboundStep,
): { b: B; p: BehaviourParams }[] {
  const parsed = list.flatMap((b) => {
    const p = paramsOf(b);
    return p === undefined || (p.on !== undefined && p.on !== step) ? [] : [{ b, p }];
  });
  return [...parsed.filter((x) => x.p.on !== undefined), ...parsed.filter((x) => x.p.on === undefined)];
}

/**
 * What a participant does with request `step`, given the behaviours active now (run time; see the
 * module docstring for precedence). Rules whose params do not parse are skipped.
 * @returns the act and the think time before it, ms.
 */
export function resolveAct(
  active: readonly ActiveBehaviour[],
  step: InboundStep,
): { act: Act; thinkMs: number } {
  const ordered = byPrecedence(active, step).filter((x) => BEHAVIOURS.includes(x.b.behaviour));
  const actRule = ordered.find((x) => x.b.behaviour !== THINK);
  const thinkRule = ordered.find((x) => x.b.behaviour === THINK);
  return {
    act: (actRule?.b.behaviour as Act | undefined) ?? 'accept',
    thinkMs: actRule?.p.thinkMs ?? thinkRule?.p.thinkMs ?? 0,
  };
}

/** Certainty that a window covers the whole interval ('maybe': part of it). */
export function windowCover(
  w: { fromMs: number; toMs?: number | undefined } | undefined,
  at: Interval,
): Certainty {
  if (w === undefined) return 'always';
  const to = w.toMs ?? Infinity;
  if (to <= at.fromMs || w.fromMs >= at.toMs) return 'never';
  return w.fromMs <= at.fromMs && to >= at.toMs ? 'always' : 'maybe';
}

/** The oracle's reading of one participant's behaviour for one request type. */
export interface PossibleActs {
  /** Every act the plan allows (one when the plan is certain). */
  readonly acts: ReadonlySet<Act>;
  /** Bounds of the think time before the act, ms. */
  readonly thinkMs: readonly [number, number];
  /** e.g. 'busy@signInvite', 'maybe vanish@dkgRound2 (window)'; '' when honest and instant. */
  readonly why: string;
}

/**
 * Every act participant `target` may take on request `step` during `at` under the effective plan:
 * rules are walked in precedence order; a rule whose window covers `at` only in part adds its act
 * as a possibility and lets the next ones through; the first rule covering all of `at` ends the
 * walk. 'accept' is possible unless such a rule is an act. Think bounds are read the same way.
 */
export function possibleActs(
  view: PlanView,
  target: string,
  step: InboundStep,
  at: Interval = WHOLE_RUN,
): PossibleActs {
  const rules = byPrecedence(
    view.rulesOf(target, 'behave').filter((r) => BEHAVIOURS.includes(r.behaviour)),
    step,
  )
    .map((x) => ({ ...x, cover: windowCover(x.b.window, at) }))
    .filter((x) => x.cover !== 'never');
  const acts = new Set<Act>();
  const why: string[] = [];
  const thinks: number[] = [];
  let decided = false;
  for (const x of rules.filter((r) => r.b.behaviour !== THINK)) {
    acts.add(x.b.behaviour as Act);
    if (x.p.thinkMs !== undefined) thinks.push(x.p.thinkMs);
    why.push(`${x.cover === 'always' ? '' : 'maybe '}${x.b.behaviour}@${x.p.on ?? 'every request'}`);
    if (x.cover === 'always') {
      decided = true;
      break;
    }
  }
  if (!decided) acts.add('accept');
  let thinkDecided = false;
  for (const x of rules.filter((r) => r.b.behaviour === THINK)) {
    thinks.push(x.p.thinkMs ?? 0);
    if (x.cover === 'always') {
      thinkDecided = true;
      break;
    }
  }
  if (!thinkDecided) thinks.push(0);
  return { acts, thinkMs: [Math.min(...thinks), Math.max(...thinks)], why: why.join(', ') };
}

/** 'always' ↔ 'never'; 'maybe' stays. */
export function negate(c: Certainty): Certainty {
  return c === 'always' ? 'never' : c === 'never' ? 'always' : 'maybe';
}

/** Certainty that every one of `list` holds ('never' if any never, 'always' if all always). */
export function all(list: readonly Certainty[]): Certainty {
  if (list.includes('never')) return 'never';
  return list.every((c) => c === 'always') ? 'always' : 'maybe';
}
