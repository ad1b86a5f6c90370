/**
 * The FROST oracle: what the effective plan lets a DKG and a signing session do, read from the
 * plan the run used (never from the seed): each participant's possible acts per request (plan.ts),
 * its answer time against the coordinator's timeout and the faults that can lose its messages
 * (timing.ts). Where the plan is certain the expectation is exact (the DKG fails, at this round;
 * these signers are blamed); where it is not (a probability below 1, a window over part of the
 * run, an answer that may or may not beat the timeout) every outcome the uncertainty allows is
 * accepted, and the verdict's detail says why.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  groupVerifyingKey,
  type DkgFlowResult,
  type RoundName,
  type SignFlowResult,
  type Xid,
} from '@fanout/frost';
import { strongest, type Certainty, type PlanView } from '../kernel/plan-view.js';
import { all, CHEATS, DKG_STEPS, negate, participantTarget, type InboundStep } from './plan.js';
import { answerOutlook, type AnswerOutlook, type TimingParams } from './timing.js';
import type { FrostParties } from './world.js';

/** A guarantee's verdict. */
export interface Verdict {
  readonly held: boolean;
  readonly detail: string;
}

/** The coordinator round at which a deviation at each DKG request shows (a bad DKG share is sealed to its peer: seen at finalize). */
const DKG_ROUNDS: Readonly<Record<(typeof DKG_STEPS)[number], readonly RoundName[]>> = {
  dkgInvite: ['dkg round1'],
  dkgRound2: ['dkg round2', 'dkg finalize'],
  dkgFinalize: ['dkg finalize'],
};
const ALL_DKG_ROUNDS: readonly RoundName[] = ['dkg invite', 'dkg round1', 'dkg round2', 'dkg finalize'];

/** Every participant's outlook for `step`, index 0 = p1. */
export function outlooks(view: PlanView, n: number, step: InboundStep, t: TimingParams): AnswerOutlook[] {
  return Array.from({ length: n }, (_, i) => answerOutlook(view, i, step, n, t));
}

/** What the plan lets a DKG among `n` participants do. */
export interface DkgExpectation {
  /** Certainty that the DKG succeeds. */
  readonly ok: Certainty;
  /** Rounds the DKG may fail at (empty when it must succeed). */
  readonly failRounds: readonly RoundName[];
  /** Participants that may be blamed (they may send something wrong, or their replies may be damaged). */
  readonly mayBlame: ReadonlySet<number>;
  /** Participants that must be blamed (a certain cheat at the first, certain failing request). */
  readonly mustBlame: ReadonlySet<number>;
  /** Per request, per participant: the outlook (for details). */
  readonly steps: readonly { readonly step: InboundStep; readonly parties: readonly AnswerOutlook[] }[];
}

/** Read the DKG expectation from the plan (see the module docstring). */
export function dkgExpectation(view: PlanView, n: number, t: TimingParams): DkgExpectation {
  const steps = DKG_STEPS.map((step) => ({ step, parties: outlooks(view, n, step, t) }));
  const stepFails = steps.map((s) => strongest(s.parties.map((p) => p.fails)));
  const anyLost = steps.some((s) => s.parties.some((p) => p.lost !== 'never'));
  const failRounds = new Set<RoundName>(anyLost ? ALL_DKG_ROUNDS : []);
  let first: number | undefined;
  for (const [k, c] of stepFails.entries()) {
    if (c === 'never') continue;
    first ??= k;
    for (const r of DKG_ROUNDS[DKG_STEPS[k]!]) failRounds.add(r);
    if (c === 'always') break;
  }
  const mayBlame = new Set<number>();
  for (const s of steps)
    s.parties.forEach((p, i) => {
      if (p.damaged || [...p.acts.acts].some((a) => CHEATS.has(a))) mayBlame.add(i);
    });
  const mustBlame = new Set<number>();
  if (first !== undefined && stepFails[first] === 'always' && !anyLost) {
    const step = DKG_STEPS[first]!;
    steps[first]!.parties.forEach((p, i) => {
      const acts = [...p.acts.acts];
      const cheat = acts.length > 0 && acts.every((a) => CHEATS.has(a));
      if (cheat && p.late === 'never' && !(step === 'dkgRound2' && acts.includes('badShare')))
        mustBlame.add(i);
    });
  }
  return { ok: negate(strongest(stepFails)), failRounds: [...failRounds], mayBlame, mustBlame, steps };
}

/** What the plan does per participant, for details: `p2 busy@dkgRound2; answer ≤ 412.0 s`. */
export function describeSteps(exp: { steps: DkgExpectation['steps'] }): string {
  const parts = exp.steps.flatMap((s) =>
    s.parties.flatMap((p, i) =>
      p.fails === 'never'
        ? []
        : [`p${i + 1}@${s.step}: ${p.fails === 'always' ? '' : 'maybe '}fails (${p.why})`],
    ),
  );
  return parts.length === 0 ? 'every participant answers in time' : parts.join('; ');
}

/** The succeeds-iff-all-answer verdict of a DKG. */
export function dkgOutcomeVerdict(exp: DkgExpectation, dkg: DkgFlowResult): Verdict {
  const got = dkg.ok ? 'DKG ok' : `DKG failed at ${dkg.failure?.round} (${dkg.failure?.reason})`;
  const want =
    exp.ok === 'always'
      ? 'expected ok'
      : exp.ok === 'never'
        ? `expected failure at ${exp.failRounds.join('|')}`
        : `uncertain plan: accepted ok or failure at ${exp.failRounds.join('|')}`;
  const held = dkg.ok
    ? exp.ok !== 'never'
    : exp.ok !== 'always' && dkg.failure !== undefined && exp.failRounds.includes(dkg.failure.round);
  return { held, detail: `${describeSteps(exp)}: ${got}, ${want}` };
}

/** The culprits-blamed-honest-never verdict: blamed ⊆ may-blame, must-blame ⊆ blamed. */
export function blameVerdict(
  blamed: readonly Xid[],
  mayBlame: ReadonlySet<number>,
  mustBlame: readonly Xid[],
  parties: Pick<FrostParties, 'identities' | 'targets'>,
): Verdict {
  const index = (x: Xid): number => parties.identities.findIndex((id) => id.xid === x);
  const name = (x: Xid): string => parties.targets.get(x) ?? x;
  const honestBlamed = blamed.filter((x) => !mayBlame.has(index(x)));
  const missed = mustBlame.filter((x) => !blamed.includes(x));
  return {
    held: honestBlamed.length === 0 && missed.length === 0,
    detail:
      `blamed [${blamed.map(name).join(', ')}], may blame [${[...mayBlame].map(participantTarget).join(', ')}], ` +
      `must blame [${mustBlame.map(name).join(', ')}]`,
  };
}

/**
 * The group-key-agreement verdict: after a successful DKG every participant completed `group` with
 * the coordinator's key; after a failed one at most one key exists among those that completed.
 */
export function keyAgreementVerdict(
  parties: Pick<FrostParties, 'agents' | 'targets'>,
  dkg: DkgFlowResult,
): Verdict {
  const group = dkg.group?.group ?? dkg.invite.session.group;
  const keys = new Map<string, string>();
  for (const a of parties.agents)
    for (const g of Object.values(a.state.groups))
      if (g.group === group && g.phase === 'complete' && g.publicKeyPackage !== undefined)
        keys.set(parties.targets.get(a.xid)!, bytesToHex(groupVerifyingKey(g.publicKeyPackage)));
  if (dkg.ok && dkg.group !== undefined) {
    const want = bytesToHex(dkg.group.groupVerifyingKey);
    const held = keys.size === parties.agents.length && [...keys.values()].every((k) => k === want);
    return {
      held,
      detail: held
        ? `all ${keys.size} participants hold key ${want.slice(0, 16)}…`
        : `coordinator ${want.slice(0, 16)}…, participants ${JSON.stringify(Object.fromEntries(keys))}`,
    };
  }
  const distinct = new Set(keys.values()).size;
  return {
    held: distinct <= 1,
    detail: `${keys.size} participant(s) completed, ${distinct} distinct key(s)`,
  };
}

/** What the plan lets a signing flow among `n` participants with threshold `t` do. */
export interface SignExpectation {
  /** Per participant: certainty of committing honestly in time (signInvite). */
  readonly commits: readonly Certainty[];
  /** Per participant: certainty of an honest share in time (signRound2). */
  readonly shares: readonly Certainty[];
  /** Participants certainly honest (commit and share), and possibly honest. */
  readonly honestAlways: number;
  readonly honestMaybe: number;
  /** Participants that may take a signer slot without giving an honest share. */
  readonly slotTakers: number;
  /** Certainty that a signature comes (within `maxSessions` sessions). */
  readonly ok: Certainty;
  readonly mayBlame: ReadonlySet<number>;
  /** Certain round-2 cheats (blamed whenever they are in a session's signer set). */
  readonly certainCheats: ReadonlySet<number>;
  readonly why: string;
}

/**
 * Read the signing expectation from the plan: a signature iff at least `t` participants commit
 * and sign honestly in time — certain when `t` certainly do and at most `maxSessions − 1`
 * participants may take a signer slot without an honest share (each failed session drops at
 * least one of them); impossible when fewer than `t` possibly do.
 */
export function signExpectation(
  view: PlanView,
  n: number,
  minSigners: number,
  t: TimingParams,
  maxSessions: number,
): SignExpectation {
  const invite = outlooks(view, n, 'signInvite', t);
  const round2 = outlooks(view, n, 'signRound2', t);
  const commits = invite.map((o) => negate(o.fails));
  const shares = round2.map((o) => negate(o.fails));
  const honest = commits.map((c, i) => all([c, shares[i]!]));
  const honestAlways = honest.filter((h) => h === 'always').length;
  const honestMaybe = honest.filter((h) => h !== 'never').length;
  const slotTakers = commits.filter((c, i) => c !== 'never' && shares[i] !== 'always').length;
  const ok: Certainty =
    honestMaybe < minSigners
      ? 'never'
      : honestAlways >= minSigners && slotTakers <= maxSessions - 1
        ? 'always'
        : 'maybe';
  const mayBlame = new Set<number>();
  const certainCheats = new Set<number>();
  for (let i = 0; i < n; i++) {
    const acts = [...invite[i]!.acts.acts, ...round2[i]!.acts.acts];
    if (invite[i]!.damaged || round2[i]!.damaged || acts.some((a) => CHEATS.has(a))) mayBlame.add(i);
    const r2 = [...round2[i]!.acts.acts];
    if (
      commits[i] === 'always' &&
      r2.every((a) => CHEATS.has(a)) &&
      round2[i]!.late === 'never' &&
      round2[i]!.lost === 'never'
    )
      certainCheats.add(i);
  }
  const notes = invite.flatMap((o, i) => {
    const r = round2[i]!;
    return o.fails === 'never' && r.fails === 'never'
      ? []
      : [`p${i + 1}: commit ${commits[i]} (${o.why}), share ${shares[i]} (${r.why})`];
  });
  return {
    commits,
    shares,
    honestAlways,
    honestMaybe,
    slotTakers,
    ok,
    mayBlame,
    certainCheats,
    why: `${notes.join('; ') || 'every participant honest and in time'}; honest ${honestAlways} certain, ${honestMaybe} possible, threshold ${minSigners}`,
  };
}

/** The signature-iff-enough-honest verdict. */
export function signOutcomeVerdict(exp: SignExpectation, sign: SignFlowResult, extra: string): Verdict {
  const held = sign.ok ? exp.ok !== 'never' : exp.ok !== 'always';
  const want =
    exp.ok === 'always'
      ? 'expected a signature'
      : exp.ok === 'never'
        ? 'expected none'
        : 'uncertain plan: accepted either';
  const got = sign.ok ? 'signed' : `failed at ${sign.failure?.round} (${sign.failure?.reason})`;
  return { held, detail: `${exp.why}; ${extra}: ${got}, ${want}` };
}
