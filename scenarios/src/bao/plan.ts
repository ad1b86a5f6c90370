/**
 * Bao behaviours: what the Bao server itself does wrong, written in a fault plan as `behave` rules
 * on target `bao`.
 *
 * One Bao server is one plan target, so the plan's network rules (latency, delay, forceStatus,
 * dropRequest, dropReply, partition, pause, crash, corrupt…) concern every request it gets. What is
 * per key or per route — a slow key, a key whose create fails, a signer that lies — is a behaviour
 * with params. The world installs the simulator's fault hooks from the behaviours in force
 * (hooks.ts) and the oracle reads the same rules back (oracle.ts), so a hand-edited plan changes
 * both what happens and what is expected.
 *
 * Behaviour names and params (`key`: one key name or a list; `route`: one BaoRoute of
 * @fanout/sim-bao faults.ts, or a list):
 * - `latency` `{ ms, route? }` — every request (of those routes; default every route) takes `ms`
 *   longer at the server, before it is handled (seed 001's `time.Sleep` per sign).
 * - `slowKey` `{ key, ms, route = 'sign' }` — requests for those keys take `ms` longer (added to
 *   any `latency`).
 * - `keyError` `{ key, kind, route = 'keys.create', times? }` — requests for those keys fail as
 *   `kind` says ({@link KEY_ERROR_KINDS}); with `times`, only the first `times` such requests in
 *   the rule's window.
 * - `forge` `{ key, how }` — sign answers for those keys are falsified as `how` says (a ForgeKind
 *   of @fanout/sim-bao: otherKey, otherMessage, highS, zero, short, wrongPublicKey).
 * A rule's `window` limits when the behaviour is in force (plan time at which the request reaches
 * the server). Latencies of every matching behaviour add up; the first matching failure wins.
 */
import { z } from 'zod';
import { BAO_ROUTES, BAO_TARGET, FORGE_KINDS, type BaoFaultAction, type BaoRoute } from '@fanout/sim-bao';
import type { FaultPlanInput } from '@fanout/sim';

/** The plan target of the one Bao server of a world. */
export const BAO = BAO_TARGET;

/** Every behaviour name a Bao world understands. */
export const BAO_BEHAVIOURS = ['latency', 'slowKey', 'keyError', 'forge'] as const;
export type BaoBehaviourName = (typeof BAO_BEHAVIOURS)[number];

/**
 * How a `keyError` request fails: 500 / 502 / 400 errors, 503 sealed, 429 with Retry-After, a
 * connection reset before handling, a reply lost after handling (a create then really creates the
 * key), or no answer at all (the client's timeout ends it).
 */
export const KEY_ERROR_KINDS = [
  'error500',
  'error502',
  'invalid',
  'sealed',
  'rateLimited',
  'reset',
  'dropReply',
  'hang',
] as const;
export type KeyErrorKind = (typeof KEY_ERROR_KINDS)[number];

/** One plan rule (parseFaultPlan input). */
export type PlanRule = NonNullable<FaultPlanInput['rules']>[number];

/** A plan window, ms of plan time ([fromMs, toMs); toMs omitted: forever). */
export interface PlanWindow {
  readonly fromMs?: number;
  readonly toMs?: number;
}

const route = z.enum(BAO_ROUTES as unknown as [BaoRoute, ...BaoRoute[]]);
const routes = z.union([route, z.array(route).min(1)]);
const keys = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const ms = z.number().min(0).max(3_600_000);

const paramsOf = {
  latency: z.object({ ms, route: routes.optional() }).strict(),
  slowKey: z.object({ key: keys, ms, route: routes.default('sign') }).strict(),
  keyError: z
    .object({
      key: keys,
      kind: z.enum(KEY_ERROR_KINDS),
      route: routes.default('keys.create'),
      times: z.number().int().min(1).optional(),
    })
    .strict(),
  forge: z.object({ key: keys, how: z.enum(FORGE_KINDS as unknown as [string, ...string[]]) }).strict(),
} as const;

/** A `behave` rule on the Bao target named or parametrised wrongly; `field` names what was wrong. */
export class BaoBehaviourError extends Error {
  override readonly name = 'BaoBehaviourError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A Bao behaviour, read and normalised. */
export interface BaoBehaviour {
  readonly behaviour: BaoBehaviourName;
  /** Keys it applies to; undefined: every request, key-less ones included. */
  readonly keys: readonly string[] | undefined;
  /** Routes it applies to; undefined: every route. */
  readonly routes: readonly BaoRoute[] | undefined;
  /** Extra server time, ms (latency, slowKey; else 0). */
  readonly latencyMs: number;
  /** The simulator's fault action (keyError, forge; else undefined). */
  readonly action: BaoFaultAction | undefined;
  /** Only the first `times` matching requests in the window (keyError). */
  readonly times: number | undefined;
  /** keyError kind or forge kind, for details. */
  readonly kind: string | undefined;
}

const list = <T>(v: T | readonly T[] | undefined): readonly T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/** The simulator's fault action standing for a {@link KeyErrorKind}. */
export function keyErrorAction(kind: KeyErrorKind): BaoFaultAction {
  switch (kind) {
    case 'error500':
      return { type: 'error', status: 500, message: 'internal error' };
    case 'error502':
      return { type: 'error', status: 502, message: 'bad gateway' };
    case 'invalid':
      return { type: 'error', status: 400, message: 'invalid request' };
    case 'sealed':
      return { type: 'sealed' };
    case 'rateLimited':
      return { type: 'rateLimited', retryAfterS: 1 };
    case 'reset':
      return { type: 'reset' };
    case 'dropReply':
      return { type: 'dropReply' };
    case 'hang':
      return { type: 'hang' };
  }
}

/**
 * Read one `behave` rule of the Bao target (`{ behaviour, params }`, as PlanView.behaviours or
 * FaultInjector.behaviours return them).
 * @throws BaoBehaviourError naming the behaviour (unknown name, with the known ones) or the
 *   param that is wrong, e.g. `slowKey.params.ms: Too small: expected number to be >=0`.
 */
export function parseBaoBehaviour(b: {
  readonly behaviour: string;
  readonly params: Readonly<Record<string, unknown>>;
}): BaoBehaviour {
  if (!(BAO_BEHAVIOURS as readonly string[]).includes(b.behaviour))
    throw new BaoBehaviourError(
      'behaviour',
      `unknown Bao behaviour "${b.behaviour}" (known: ${BAO_BEHAVIOURS.join(', ')})`,
    );
  const name = b.behaviour as BaoBehaviourName;
  const r = paramsOf[name].safeParse(b.params);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new BaoBehaviourError(`${name}.params.${issue.path.map(String).join('.')}`, issue.message);
  }
  const p = r.data as {
    key?: string | string[];
    route?: BaoRoute | BaoRoute[];
    ms?: number;
    kind?: KeyErrorKind;
    how?: string;
    times?: number;
  };
  return {
    behaviour: name,
    keys: list(p.key),
    routes: name === 'forge' ? ['sign'] : list(p.route),
    latencyMs: p.ms ?? 0,
    action:
      name === 'keyError'
        ? keyErrorAction(p.kind!)
        : name === 'forge'
          ? ({ type: 'forgeSignature', how: p.how } as BaoFaultAction)
          : undefined,
    times: p.times,
    kind: p.kind ?? p.how,
  };
}

/** Whether behaviour `b` applies to a request on `route` for key `key` (undefined: key-less). */
export function behaviourMatches(b: BaoBehaviour, route: BaoRoute, key: string | undefined): boolean {
  if (b.routes !== undefined && !b.routes.includes(route)) return false;
  if (b.keys === undefined) return true;
  return key !== undefined && b.keys.includes(key);
}

const scoped = (
  window: PlanWindow | undefined,
): { targets: string[]; window?: { fromMs: number; toMs?: number } } => ({
  targets: [BAO],
  ...(window === undefined
    ? {}
    : {
        window: { fromMs: window.fromMs ?? 0, ...(window.toMs === undefined ? {} : { toMs: window.toMs }) },
      }),
});

const keyParam = (key: string | readonly string[]): string | string[] =>
  typeof key === 'string' ? key : [...key];

/** `behave` rules of the Bao behaviours (see the module docstring), for `plan()` and tests. */
export const baoBehave = {
  /** Every request (of `route`, default all) takes `ms` longer at the server. */
  latency: (
    latencyMs: number,
    o: { route?: BaoRoute | readonly BaoRoute[]; window?: PlanWindow } = {},
  ): PlanRule => ({
    fault: 'behave',
    behaviour: 'latency',
    params: { ms: latencyMs, ...(o.route === undefined ? {} : { route: o.route }) },
    ...scoped(o.window),
  }),
  /** Requests for `key` (on `route`, default 'sign') take `ms` longer. */
  slowKey: (
    key: string | readonly string[],
    latencyMs: number,
    o: { route?: BaoRoute | readonly BaoRoute[]; window?: PlanWindow } = {},
  ): PlanRule => ({
    fault: 'behave',
    behaviour: 'slowKey',
    params: { key: keyParam(key), ms: latencyMs, ...(o.route === undefined ? {} : { route: o.route }) },
    ...scoped(o.window),
  }),
  /** Requests for `key` (on `route`, default 'keys.create') fail as `kind` says. */
  keyError: (
    key: string | readonly string[],
    kind: KeyErrorKind,
    o: { route?: BaoRoute | readonly BaoRoute[]; times?: number; window?: PlanWindow } = {},
  ): PlanRule => ({
    fault: 'behave',
    behaviour: 'keyError',
    params: {
      key: keyParam(key),
      kind,
      ...(o.route === undefined ? {} : { route: o.route }),
      ...(o.times === undefined ? {} : { times: o.times }),
    },
    ...scoped(o.window),
  }),
  /** Sign answers for `key` are falsified as `how` says. */
  forge: (key: string | readonly string[], how: string, o: { window?: PlanWindow } = {}): PlanRule => ({
    fault: 'behave',
    behaviour: 'forge',
    params: { key: keyParam(key), how },
    ...scoped(o.window),
  }),
};
