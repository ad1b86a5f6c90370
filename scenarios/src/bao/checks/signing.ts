/**
 * Checks of signBatch results against the oracle: results keyed to their requests, every
 * signature verifying independently (with the server's public keys, not the client's), and no
 * head-of-line blocking (each result settling within what the plan allows for its own key).
 */
import type { SignRequest, SignResult } from '@fanout/bao-keyring';
import type { GuaranteeCheck } from '../../kernel/types.js';
import type { RequestExpectation } from '../oracle.js';

/** Verifies a signature of `msg` by `publicKey` (the world's oracle check). */
export type Verify = (publicKey: Uint8Array, msg: Uint8Array, signature: Uint8Array | undefined) => boolean;

/** A check result (kernel GuaranteeCheck) without an undefined detail. */
export function check(name: string, held: boolean, detail?: string): GuaranteeCheck {
  return detail === undefined ? { name, held } : { name, held, detail };
}

/** An error's class name, for details and trace outcomes. */
export const errName = (e: unknown): string => (e instanceof Error ? e.name : typeof e);

/**
 * 'results-keyed-to-requests': result i has request i's uid, and any signature in it is one of
 * request i's message by that key (oracle public keys `pubs`).
 */
export function keyedToRequests(
  verify: Verify,
  pubs: ReadonlyMap<string, Uint8Array>,
  requests: readonly SignRequest[],
  results: readonly SignResult[],
): GuaranteeCheck {
  const name = 'results-keyed-to-requests';
  if (results.length !== requests.length)
    return check(name, false, `${results.length} results for ${requests.length} requests`);
  for (let i = 0; i < requests.length; i++) {
    const q = requests[i]!;
    const r = results[i]!;
    if (r.uid !== q.uid) return check(name, false, `result ${i} is for ${r.uid}, request was ${q.uid}`);
    const pub = pubs.get(q.uid);
    if (r.signature !== undefined && (pub === undefined || !verify(pub, q.msg, r.signature)))
      return check(name, false, `result ${i} (${q.uid}) is not a signature of request ${i}'s message`);
  }
  return check(name, true, `${results.length} results, each for its own request`);
}

/**
 * 'every-signature-verifies': every signature handed out verifies for its key and message (oracle
 * public keys), and every request the plan cannot fail (`expect(i).fails === 'never'`) got one.
 * Requests the plan may fail may fail; the detail says how many did and why.
 */
export function everySignatureVerifies(
  verify: Verify,
  pubs: ReadonlyMap<string, Uint8Array>,
  requests: readonly SignRequest[],
  results: readonly SignResult[],
  expect: (i: number) => RequestExpectation,
): GuaranteeCheck {
  const bad: string[] = [];
  const allowed = new Map<string, number>();
  let verified = 0;
  results.forEach((r, i) => {
    const pub = pubs.get(r.uid);
    if (r.signature !== undefined) {
      if (pub !== undefined && verify(pub, requests[i]!.msg, r.signature)) verified++;
      else bad.push(`${i} (${r.uid}) does not verify`);
      return;
    }
    const e = expect(i);
    if (e.fails === 'never' && pub !== undefined)
      bad.push(
        `${i} (${r.uid}) failed: ${errName(r.error)}: ${(r.error as Error)?.message ?? ''} (plan: ${e.why})`,
      );
    else {
      const why = pub === undefined ? 'key not on the server' : e.why;
      allowed.set(why, (allowed.get(why) ?? 0) + 1);
    }
  });
  const failedOk = [...allowed].map(([why, n]) => `${n} × ${why}`).join('; ');
  return check(
    'every-signature-verifies',
    bad.length === 0,
    bad.length > 0
      ? bad.slice(0, 5).join('; ')
      : `${verified} verified${failedOk === '' ? '' : `; failed as the plan allows: ${failedOk}`}`,
  );
}

/** Options of {@link fastKeysNotDelayed}. */
export interface NoHolOptions {
  /** Clock time the batch started, ms. */
  readonly t0: number;
  /** Settle bounds of result i from the plan, ms since `t0` (see RequestExpectation.settleMs). */
  readonly bounds: (i: number) => readonly [number, number];
  readonly mode: 'sim' | 'live';
}

/**
 * 'fast-keys-not-delayed'. Sim (virtual time): every result settled within the bounds the plan
 * gives its own key — exact when the plan is (constant latencies, no uncertain fault) — so no key
 * waited for another. Live (wall time on a shared machine) the check is structural: a request
 * whose key the plan makes strictly faster than another's (its upper bound below the other's
 * lower bound) was sent before any result of that slower key came back, and settled before every
 * one of them and before the slower key's lower bound had passed. Measured from the batch start,
 * so a queue in front of fast keys counts.
 */
export function fastKeysNotDelayed(results: readonly SignResult[], o: NoHolOptions): GuaranteeCheck {
  const name = 'fast-keys-not-delayed';
  const doneAt = (r: SignResult): number => r.settledAt - o.t0;
  const late: string[] = [];
  const bounds = results.map((_, i) => o.bounds(i));
  results.forEach((r, i) => {
    const [lo, hi] = bounds[i]!;
    if (o.mode === 'sim') {
      if (doneAt(r) < lo - 1e-6 || doneAt(r) > hi + 1e-6)
        late.push(`${r.uid} done at ${doneAt(r).toFixed(1)} ms, plan allows ${fmt(lo, hi)}`);
      return;
    }
    const startedAt = r.settledAt - r.durationMs;
    results.forEach((s, j) => {
      const [slo] = bounds[j]!;
      if (!(hi < slo)) return;
      if (startedAt >= s.settledAt)
        late.push(`${r.uid} sent at ${(startedAt - o.t0).toFixed(1)} ms, after ${s.uid} answered`);
      else if (r.settledAt >= s.settledAt || doneAt(r) >= slo)
        late.push(`${r.uid} done at ${doneAt(r).toFixed(1)} ms, after ${s.uid} (plan: ≥ ${slo} ms)`);
    });
  });
  const summary = [...new Set(results.map((r, i) => `${r.uid} ${fmt(...bounds[i]!)}`))]
    .slice(0, 8)
    .join(', ');
  return check(
    name,
    late.length === 0,
    late.length > 0
      ? `keys delayed: ${[...new Set(late)].slice(0, 5).join('; ')}`
      : o.mode === 'sim'
        ? `${results.length} results, each within its own key's plan bounds (${summary})`
        : `${results.length} results; every faster key settled before any slower one (${summary})`,
  );
}

function fmt(lo: number, hi: number): string {
  return lo === hi ? `= ${lo} ms` : `${lo}–${hi === Infinity ? '∞' : hi} ms`;
}

/**
 * The client's decisions of a batch for the trace: one string per item,
 * `<uid> ok|<ErrorName> <settled ms since t0>`.
 */
export function batchOutcome(
  items: readonly { uid: string; error: unknown; settledAt: number }[],
  t0: number,
): { items: string[] } {
  return {
    items: items.map(
      (r) => `${r.uid} ${r.error === undefined ? 'ok' : errName(r.error)} ${+(r.settledAt - t0).toFixed(3)}`,
    ),
  };
}
