/**
 * The RAIDA oracle: the votes each RAIDA may cast under the effective plan ({@link allowedVotes}),
 * and a grading written independently of the client's `gradeVotes` so that a bug there cannot
 * hide itself (qmail-client get_grade_status: authentic = ≥ q passes and no fail; fracked = ≥ q
 * passes and some fail; counterfeit = ≥ q fails; else limbo).
 */
import type { Grade, GradeReport, Vote } from '@fanout/raida';
import type { Interval } from '../kernel/plan-view.js';
import type { World } from '../kernel/world.js';
import { allowedVotes, type AllowedVotes } from './plan.js';
import type { RaidaParties } from './world.js';

/** The oracle's grade of a token from its votes. */
export function oracleGrade(votes: readonly Vote[], quorum: number): Grade {
  const passes = votes.filter((v) => v === 'pass').length;
  const fails = votes.filter((v) => v === 'fail').length;
  if (passes >= quorum) return fails > 0 ? 'fracked' : 'authentic';
  return fails >= quorum ? 'counterfeit' : 'limbo';
}

/**
 * allowed[i][r]: the votes RAIDA r may cast for coin i during `at`. A RAIDA's allowed votes depend
 * on the coin only through whether the client holds its right AN there, so they are worked out
 * once per (RAIDA, holds) and shared by the coins (read-only).
 */
export function allowedMatrix(world: World, parties: RaidaParties, at: Interval): AllowedVotes[][] {
  const o = parties.clientOptions;
  const timeoutMs = o.timeoutMs * Math.max(1, retryGrowth(o));
  const memo = new Map<number, AllowedVotes>();
  const of = (r: number, holdsClientAn: boolean): AllowedVotes => {
    const key = r * 2 + (holdsClientAn ? 1 : 0);
    let a = memo.get(key);
    if (a === undefined)
      memo.set(
        key,
        (a = allowedVotes(world.view, r, { holdsClientAn, timeoutMs, earlyExit: o.earlyExit, at })),
      );
    return a;
  };
  return parties.coins.map((_, i) => parties.servers.map((s) => of(s.id, parties.holdsClientAn(i, s.id))));
}

/** The longest per-attempt timeout of the client's retries (timeout × factor^(attempts−1)). */
function retryGrowth(o: RaidaParties['clientOptions']): number {
  const r = o.retry;
  if (r === undefined) return 1;
  return Math.pow(r.timeoutFactor ?? 1.5, Math.max(0, r.attempts - 1));
}

/** The outcome of the grades check: undefined when it held, else what was wrong. */
export function gradeViolation(
  report: GradeReport,
  allowed: readonly AllowedVotes[][],
  quorum: number,
): string | undefined {
  for (const [i, t] of report.tokens.entries()) {
    const diff = t.votes.flatMap((v, r) =>
      allowed[i]![r]!.votes.has(v)
        ? []
        : [`raida ${r}: got ${v}, expected ${[...allowed[i]![r]!.votes].join('|')} (${allowed[i]![r]!.why})`],
    );
    if (diff.length > 0) return `coin ${i} (sn ${t.sn}) graded ${t.grade}: ${diff.join('; ')}`;
    const want = oracleGrade(t.votes, quorum);
    if (t.grade !== want)
      return `coin ${i} (sn ${t.sn}) graded ${t.grade}, expected ${want}; votes are the oracle's (${t.passes} pass, ${t.fails} fail): the grading is wrong`;
  }
  if (report.tokens.length !== allowed.length)
    return `${report.tokens.length} grades for ${allowed.length} coins`;
  return undefined;
}

/**
 * The never-authentic-below-quorum check: a coin graded authentic or fracked needs at least
 * `quorum` RAIDA that the plan lets pass it (they hold the client's AN and can answer).
 */
export function belowQuorumViolation(
  report: GradeReport,
  allowed: readonly AllowedVotes[][],
  quorum: number,
): string | undefined {
  for (const [i, t] of report.tokens.entries()) {
    const canPass = allowed[i]!.filter((a) => a.votes.has('pass')).length;
    if ((t.grade === 'authentic' || t.grade === 'fracked') && canPass < quorum)
      return `coin ${i} graded ${t.grade} with only ${canPass} RAIDA able to pass it`;
  }
  return undefined;
}

/** One letter per vote in 'outcome' trace events: pass, fail, error, noReply, cancelled. */
const VOTE_LETTER: Record<Vote, string> = { pass: 'p', fail: 'f', error: 'e', noReply: 'n', cancelled: 'c' };

/**
 * The client's decision as an 'outcome' trace event: `{step, grades: [...], votes: ['pfen…']}`
 * (one string per token, RAIDA 0–24), so a change in grading changes the trace hash.
 */
export function outcomeFields(
  grades: readonly Grade[],
  votes: readonly (readonly Vote[])[],
): { grades: readonly Grade[]; votes: string[] } {
  return { grades, votes: votes.map((v) => v.map((x) => VOTE_LETTER[x]).join('')) };
}
