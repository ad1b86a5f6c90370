/**
 * RAIDA behaviours as fault-plan rules, and the oracle's reading of a plan back into the votes a
 * RAIDA can cast.
 *
 * A scenario draws behaviours from its seed and turns them into rules ({@link behaviourRules});
 * the oracle never looks at the drawn behaviours again: it asks the effective plan, through
 * {@link allowedVotes}, what each RAIDA can answer. A hand-edited plan (a rule removed, a window
 * widened) therefore changes the expected votes exactly as it changes the run.
 */
import { RAIDA_COUNT, isPreChallengeStatus, type Vote } from '@fanout/raida';
import { raidaTarget } from '@fanout/sim-raida';
import type { FaultPlanInput } from '@fanout/sim';
import type { PlanView, Interval } from '../kernel/plan-view.js';

/** What one RAIDA does in a run (each becomes plan rules). */
export type Behaviour =
  | 'honest' // answers with the truth
  | 'wrongAn' // answers, but holds a different AN for every coin (votes fail): behave 'wrongAn'
  | 'dropRequest' // never sees requests
  | 'dropReply' // sees requests, replies are lost
  | 'errorStatus' // answers with an error status (37)
  | 'crash' // down for the whole run
  | 'partition' // unreachable for the whole run
  | 'spoof' // replies claim another RAIDA id (byte 0): must be ignored
  | 'slow' // honest, but slower than the client's patience
  | 'duplicate' // honest, every reply sent three times
  | 'reorder'; // honest, replies delayed by up to 2 s (overtaking each other)

/** The behaviour name RAIDA worlds read from `behave` rules: the server holds other ANs. */
export const WRONG_AN = 'wrongAn';

/** The behaviour name of stale error replies (simulators/raida service.ts). */
export const STALE_ERRORS = 'staleErrorReplies';

/**
 * Plan rules realising `behaviours` (RAIDA i at index i) for a client whose per-attempt timeout
 * is `timeoutMs` (slow = 20 × the timeout; reorder up to min(2 s, timeout / 2)).
 */
export function behaviourRules(
  behaviours: readonly Behaviour[],
  timeoutMs: number,
): NonNullable<FaultPlanInput['rules']> {
  const rules: NonNullable<FaultPlanInput['rules']> = [];
  const targetsOf = (b: Behaviour): string[] =>
    behaviours.flatMap((x, i) => (x === b ? [raidaTarget(i)] : []));
  const add = (b: Behaviour, rule: Record<string, unknown>): void => {
    const targets = targetsOf(b);
    if (targets.length > 0) rules.push({ ...rule, targets } as never);
  };
  add('wrongAn', { fault: 'behave', behaviour: WRONG_AN });
  add('dropRequest', { fault: 'dropRequest' });
  add('dropReply', { fault: 'dropReply' });
  add('errorStatus', { fault: 'forceStatus', status: 37 });
  add('crash', { fault: 'crash', atMs: 0 });
  add('partition', { fault: 'partition' });
  // Each spoofer claims to be its neighbour (never itself).
  behaviours.forEach((b, r) => {
    if (b === 'spoof')
      rules.push({ fault: 'wrongSender', targets: [raidaTarget(r)], as: raidaTarget((r + 1) % RAIDA_COUNT) });
  });
  add('duplicate', { fault: 'duplicateReply', copies: 2, gapMs: 1 });
  add('reorder', { fault: 'reorder', maxExtraMs: Math.min(2000, timeoutMs / 2) });
  add('slow', { fault: 'delay', latency: { kind: 'constant', ms: timeoutMs * 20 } });
  return rules;
}

/** A one-line description of behaviours for the plan's `description`. */
export function describeBehaviours(behaviours: readonly Behaviour[]): string {
  const odd = behaviours.map((b, i) => (b === 'honest' ? '' : `${i}=${b}`)).filter(Boolean);
  return `RAIDA behaviours: ${odd.join(' ') || 'all honest'}`;
}

/** The votes the oracle allows RAIDA r to cast for one coin, and why (for violation details). */
export interface AllowedVotes {
  readonly votes: ReadonlySet<Vote>;
  /** What the plan does to this RAIDA, e.g. 'honest', 'silent', 'error 37', 'maybe silent'. */
  readonly why: string;
}

/**
 * The votes RAIDA `r` may cast for a coin under the effective plan, for an exchange during
 * `at` with a client waiting `timeoutMs` per attempt:
 * - silent (partition, crash, dropped request or reply), a spoofed sender, or a reply that
 *   surely comes after the timeout: `noReply`;
 * - a forced status: `error` (raidax error replies carry no votes);
 * - otherwise the truth: `fail` when the plan gives the RAIDA other ANs (behave 'wrongAn') or the
 *   client holds a wrong AN there, `pass` when it holds the right one.
 * Where the plan is not certain (a probability below 1, a window over part of the run, damaged
 * replies, a delay that may or may not pass the timeout), every vote the uncertain effect could
 * lead to is allowed. With `earlyExit`, `cancelled` is always allowed.
 */
export function allowedVotes(
  view: PlanView,
  r: number,
  o: { holdsClientAn: boolean; timeoutMs: number; earlyExit: boolean; at: Interval },
): AllowedVotes {
  const target = raidaTarget(r);
  const truth: Vote = view.behaves(target, WRONG_AN, o.at) === 'always' || !o.holdsClientAn ? 'fail' : 'pass';
  const votes = new Set<Vote>(o.earlyExit ? ['cancelled'] : []);
  const whys: string[] = [];
  const silent = view.silent(target, o.at);
  const spoof = view.spoofsAs(target, o.at);
  const forced = view.forcedStatus(target, o.at);
  const [minDelay, maxDelay] = view.replyDelayBounds(target, o.at);
  const late: 'always' | 'never' | 'maybe' =
    minDelay >= o.timeoutMs ? 'always' : maxDelay < o.timeoutMs ? 'never' : 'maybe';
  if (silent === 'always' || spoof?.certainty === 'always' || late === 'always') {
    votes.add('noReply');
    whys.push(
      silent === 'always' ? 'silent' : spoof?.certainty === 'always' ? `spoofs ${spoof.as}` : 'too slow',
    );
    return { votes, why: whys.join(', ') };
  }
  if (
    silent === 'maybe' ||
    spoof !== undefined ||
    late === 'maybe' ||
    view.damagesReplies(target, o.at) !== 'never'
  ) {
    votes.add('noReply');
    whys.push('maybe no reply');
  }
  // A RAIDA with stale error replies (raidax-server's reused UDP slot, simulators/raida slot.ts)
  // answers header and body errors with the previous request's challenge: the client drops them.
  const stale =
    forced !== undefined && (isPreChallengeStatus(forced.status) || forced.status === 16)
      ? view.behaves(target, STALE_ERRORS, o.at)
      : 'never';
  if (forced?.certainty === 'always' && stale === 'always') {
    votes.add('noReply');
    whys.push(`stale error ${forced.status}`);
    return { votes, why: whys.join(', ') };
  }
  if (stale === 'maybe' || (stale === 'always' && forced !== undefined)) {
    votes.add('noReply');
    whys.push(`maybe stale error ${forced!.status}`);
  }
  if (forced?.certainty === 'always') {
    votes.add('error');
    whys.push(`error ${forced.status}`);
    return { votes, why: whys.join(', ') };
  }
  if (forced !== undefined) {
    votes.add('error');
    whys.push(`maybe error ${forced.status}`);
  }
  if (view.behaves(target, WRONG_AN, o.at) === 'maybe') {
    votes.add('fail');
    whys.push('maybe wrong ANs');
  }
  votes.add(truth);
  whys.unshift(
    truth === 'pass'
      ? 'honest'
      : view.behaves(target, WRONG_AN, o.at) === 'always'
        ? 'wrong ANs'
        : 'client AN wrong',
  );
  return { votes, why: whys.join(', ') };
}
