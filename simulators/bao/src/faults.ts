/**
 * Fault hooks of the Bao simulator: the small interface a fault plan drives.
 *
 * Before every request is handled the simulator asks {@link BaoFaultHooks.decide} what to do with
 * it. The answer can add latency (slept on the injected Clock, so virtual time in simulation) and
 * then replace the normal handling with one {@link BaoFaultAction}. No hooks (or `undefined` from
 * `decide`) means no fault: the default.
 */

/**
 * Which API a request addressed: a plugin route, health, the simulator's `sys/` endpoints
 * (namespaces, mounts), or `unknown` for every path nothing serves (wrong method, invalid key
 * name, unknown namespace or mount included).
 */
export type BaoRoute =
  | 'keys.create'
  | 'keys.read'
  | 'keys.list'
  | 'keys.delete'
  | 'keys.import'
  | 'sign'
  | 'sign-evm'
  | 'verify'
  | 'export'
  | 'health'
  | 'sys'
  | 'unknown';

/** Every {@link BaoRoute}, in a fixed order (handy for counters). */
export const BAO_ROUTES: readonly BaoRoute[] = [
  'keys.create',
  'keys.read',
  'keys.list',
  'keys.delete',
  'keys.import',
  'sign',
  'sign-evm',
  'verify',
  'export',
  'health',
  'sys',
  'unknown',
];

/** What the fault hooks see about one request. */
export interface BaoRequestInfo {
  /** 0-based sequence number of the request since the simulator was created. */
  readonly seq: number;
  readonly route: BaoRoute;
  /** HTTP method, upper case (`LIST` included). */
  readonly method: string;
  /** URL path, e.g. `/v1/secp256k1/sign/worker-1`. */
  readonly path: string;
  /** The `:name` of the key for key-scoped routes, else undefined. */
  readonly keyName: string | undefined;
  /**
   * The request's namespace without its trailing '/' ('' for the root, 'team-a', 'team-a/child'):
   * the namespace it resolves to (header and path), else the header's canonical form.
   */
  readonly namespace: string;
  /** Clock time the request arrived, ms. */
  readonly at: number;
}

/** A fault that replaces the normal answer. */
export type BaoFaultAction =
  /** Answer `status` with `{"errors":[message]}`. */
  | { readonly type: 'error'; readonly status: number; readonly message: string }
  /** Answer as a sealed Vault would: 503 `{"errors":["Vault is sealed"]}`. */
  | { readonly type: 'sealed' }
  /** Answer 429 with `Retry-After: retryAfterS` (seconds, default 1) and `{"errors":["rate limit quota exceeded"]}`. */
  | { readonly type: 'rateLimited'; readonly retryAfterS?: number }
  /** Drop the connection: the fetch handler rejects with {@link BaoConnectionResetError} (live: the socket is reset). */
  | { readonly type: 'reset' }
  /** Never answer: the request stays pending until its AbortSignal aborts (then rejects with the signal's reason). */
  | { readonly type: 'hang' }
  /**
   * Reply lost: the request is handled normally (a create really creates the key) and then the
   * connection drops, so the client cannot know the outcome (rejects like `reset`; live: TCP RST).
   */
  | { readonly type: 'dropReply' }
  /**
   * A lying server, for sign requests only (other routes are served normally): the request is
   * handled, then the answer is falsified as `how` says (see {@link ForgeKind}). Used to check that a
   * client never hands out a signature it did not verify.
   */
  | { readonly type: 'forgeSignature'; readonly how: ForgeKind };

/**
 * How a `forgeSignature` fault falsifies a sign answer:
 * - `otherKey`: a valid low-S signature of the same digest by another key (the simulator's fixed "forger" key);
 * - `otherMessage`: a valid signature by the right key, of another digest;
 * - `highS`: the right signature in its high-S form (s' = n − s), which Cosmos rejects;
 * - `zero`: 64 zero bytes;
 * - `short`: the right signature without its last byte (63 bytes);
 * - `wrongPublicKey`: the right signature, but `public_key` names the forger's key.
 */
export type ForgeKind = 'otherKey' | 'otherMessage' | 'highS' | 'zero' | 'short' | 'wrongPublicKey';

/** Every {@link ForgeKind}. */
export const FORGE_KINDS: readonly ForgeKind[] = [
  'otherKey',
  'otherMessage',
  'highS',
  'zero',
  'short',
  'wrongPublicKey',
];

/** The hooks' answer for one request. Both fields optional; `{}` means "no fault". */
export interface BaoFaultDecision {
  /** Extra latency before anything else happens, ms (slept on the simulator's Clock; ≤ 0 ignored). */
  readonly latencyMs?: number;
  /** Replace the normal handling (applied after the latency). */
  readonly action?: BaoFaultAction;
}

/** Consulted once per request, synchronously, in arrival order. Must not throw. */
export interface BaoFaultHooks {
  decide(info: BaoRequestInfo): BaoFaultDecision | undefined;
}

/** The no-fault default. */
export const noFaults: BaoFaultHooks = { decide: () => undefined };

/** Rejection of the fetch handler for a `reset` fault (like undici's "fetch failed" with ECONNRESET). */
export class BaoConnectionResetError extends TypeError {
  override readonly name = 'BaoConnectionResetError';
  readonly code = 'ECONNRESET';
  constructor(readonly path: string) {
    super(`simulated connection reset on ${path}`);
  }
}

/** One declarative fault rule for {@link ruleFaults}. */
export interface BaoFaultRule {
  /** Request filter; every given field must match. Omitted: every request. */
  readonly match?: {
    /** Exact key name, or a RegExp tested against it (requests without a key never match). */
    readonly key?: string | RegExp;
    /** One route or a list of routes. */
    readonly route?: BaoRoute | readonly BaoRoute[];
    /** Exact namespace as in {@link BaoRequestInfo.namespace} ('' = root). */
    readonly namespace?: string;
  };
  /** Clock window [fromMs, toMs): the rule applies only to requests arriving inside it. */
  readonly window?: { readonly fromMs?: number; readonly toMs?: number };
  /** Apply to the first `times` matching requests only (≥ 1). Default: unlimited. */
  readonly times?: number;
  /**
   * Chance (0..1) that the rule applies to a matching request; one draw from `options.random` per
   * matching request (error rates). Default 1 (no draw). A rule whose draw misses counts no hit.
   */
  readonly probability?: number;
  /** Extra latency, ms. Latencies of every matching rule add up. */
  readonly latencyMs?: number;
  /** Fault action. The first matching rule with an action wins. */
  readonly action?: BaoFaultAction;
}

/** Thrown by {@link ruleFaults} for a malformed rule; `field` names it (e.g. 'rules[2].times'). */
export class BaoFaultRuleError extends Error {
  override readonly name = 'BaoFaultRuleError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Hooks built from rules, with a per-rule hit count. */
export interface RuleFaultHooks extends BaoFaultHooks {
  /** How many requests each rule (by index) has applied to. */
  readonly hits: readonly number[];
}

function routeMatches(want: BaoRoute | readonly BaoRoute[] | undefined, route: BaoRoute): boolean {
  if (want === undefined) return true;
  return typeof want === 'string' ? want === route : want.includes(route);
}

function keyMatches(want: string | RegExp | undefined, key: string | undefined): boolean {
  if (want === undefined) return true;
  if (key === undefined) return false;
  return typeof want === 'string' ? want === key : want.test(key);
}

/** Options of {@link ruleFaults}. */
export interface RuleFaultOptions {
  /**
   * Uniform float source in [0, 1) for rules with a `probability` (a seeded stream, e.g.
   * `() => createRng(seed).fork('bao-faults').float()` from @fanout/sim). Required when any rule has
   * a probability below 1.
   */
  readonly random?: () => number;
}

/**
 * Build fault hooks from declarative rules, e.g. per-key latency
 * `[{ match: { key: 'worker-1' }, latencyMs: 500 }, { latencyMs: 50 }]` (worker-1 takes 550 ms,
 * all others 50 ms), a sealed window `[{ window: { fromMs: 100, toMs: 200 }, action: { type: 'sealed' } }]`,
 * or a one-off reset `[{ match: { route: 'sign' }, times: 1, action: { type: 'reset' } }]`.
 * @throws BaoFaultRuleError for a negative/non-finite latency, `times` not an integer ≥ 1, an
 *   error action whose status is not 200-599, a `probability` outside 0..1, a probability below 1
 *   without `options.random`, or an unknown forge kind.
 */
export function ruleFaults(rules: readonly BaoFaultRule[], options: RuleFaultOptions = {}): RuleFaultHooks {
  rules.forEach((rule, i) => {
    if (rule.latencyMs !== undefined && !(Number.isFinite(rule.latencyMs) && rule.latencyMs >= 0)) {
      throw new BaoFaultRuleError(
        `rules[${i}].latencyMs`,
        `must be a finite number >= 0, got ${rule.latencyMs}`,
      );
    }
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 1)) {
      throw new BaoFaultRuleError(`rules[${i}].times`, `must be an integer >= 1, got ${rule.times}`);
    }
    const a = rule.action;
    if (a?.type === 'error' && !(Number.isInteger(a.status) && a.status >= 200 && a.status <= 599)) {
      throw new BaoFaultRuleError(
        `rules[${i}].action.status`,
        `must be an HTTP status 200-599, got ${a.status}`,
      );
    }
    if (a?.type === 'forgeSignature' && !FORGE_KINDS.includes(a.how)) {
      throw new BaoFaultRuleError(
        `rules[${i}].action.how`,
        `must be one of ${FORGE_KINDS.join(', ')}, got ${String(a.how)}`,
      );
    }
    const p = rule.probability;
    if (p !== undefined && !(typeof p === 'number' && p >= 0 && p <= 1)) {
      throw new BaoFaultRuleError(`rules[${i}].probability`, `must be a number in 0..1, got ${String(p)}`);
    }
    if (p !== undefined && p < 1 && options.random === undefined) {
      throw new BaoFaultRuleError(`rules[${i}].probability`, 'a probability below 1 needs options.random');
    }
  });
  const hits = rules.map(() => 0);
  return {
    hits,
    decide(info) {
      let latencyMs = 0;
      let action: BaoFaultAction | undefined;
      rules.forEach((rule, i) => {
        const m = rule.match;
        if (!routeMatches(m?.route, info.route) || !keyMatches(m?.key, info.keyName)) return;
        if (m?.namespace !== undefined && m.namespace !== info.namespace) return;
        if (rule.window?.fromMs !== undefined && info.at < rule.window.fromMs) return;
        if (rule.window?.toMs !== undefined && info.at >= rule.window.toMs) return;
        if (rule.times !== undefined && hits[i]! >= rule.times) return;
        if (rule.probability !== undefined && rule.probability < 1 && !(options.random!() < rule.probability))
          return;
        hits[i]!++;
        latencyMs += rule.latencyMs ?? 0;
        if (action === undefined && rule.action !== undefined) action = rule.action;
      });
      return action === undefined ? { latencyMs } : { latencyMs, action };
    },
  };
}
