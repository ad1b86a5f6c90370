/**
 * The createBatch guarantees (bao.create-batch-faults), with the expectations read from the
 * effective plan: which creates the plan fails for sure (they must be reported), which it leaves
 * alone (sim: they must succeed), and which it may still disturb during the rerun (then any
 * outcome of that name is accepted, and the detail says so).
 */
import type { FanOutEvent } from '@fanout/core';
import {
  BaoKeyExistsError,
  BatchPartialFailureError,
  type CreateBatchResult,
  type KeyRecord,
} from '@fanout/bao-keyring';
import { cosmosAddress } from '@fanout/sim-bao';
import type { PlanView } from '../../kernel/plan-view.js';
import type { GuaranteeCheck } from '../../kernel/types.js';
import type { World } from '../../kernel/world.js';
import { expectRequest, networkDisturbed, quietPoint } from '../oracle.js';
import type { BaoParties } from '../world.js';
import { batchOutcome, check, errName } from './signing.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Options of {@link runCreateBatchCheck}. */
export interface CreateBatchCheckOptions {
  readonly prefix: string;
  readonly count: number;
  /**
   * The plan the oracle reads (default: the world's effective plan). A test passes another one to
   * show the verdict follows what the oracle reads.
   */
  readonly view?: PlanView;
  /** createBatch concurrency (the sequential twin passes 1). */
  readonly concurrency?: number;
  /** The fan-out listener of each createBatch, by command ('createBatch', 'createBatch rerun'). */
  readonly events?: (command: string) => (e: FanOutEvent<string, KeyRecord>) => void;
  /** Records the client's decisions (ctx.outcome). */
  readonly outcome?: (step: string, fields: Record<string, unknown>) => void;
  readonly signal?: AbortSignal;
  /**
   * For canaries (tests showing the checks can fail): `afterFirstRun` runs after the first
   * createBatch and its wire verdict, before guarantee 2 reads the server; `afterRerun` after the
   * rerun, before guarantee 3 reads the server.
   */
  readonly interpose?: { afterFirstRun?: () => Promise<void>; afterRerun?: () => Promise<void> };
}

/** Outcome of {@link runCreateBatchCheck}. */
export interface CreateBatchCheck {
  readonly guarantees: GuaranteeCheck[];
  /** Duration of the first createBatch, ms on the world's clock. */
  readonly latencyMs: number;
  readonly facts: Record<string, number>;
}

interface BatchRun {
  readonly failed: string[];
  readonly result: CreateBatchResult;
}

async function createOnce(
  parties: BaoParties,
  o: CreateBatchCheckOptions,
  command: string,
): Promise<BatchRun> {
  const onEvent = o.events?.(command);
  try {
    const result = await parties.keyring.createBatch({
      prefix: o.prefix,
      count: o.count,
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      ...(onEvent === undefined ? {} : { onEvent }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
    return { failed: [], result };
  } catch (e) {
    if (!(e instanceof BatchPartialFailureError)) throw e;
    return { failed: [...e.failed], result: e.result as CreateBatchResult };
  }
}

/** How many of the `failed` names the server has now (created despite a failure the client saw). */
function createdDespite(parties: BaoParties, failed: readonly string[]): number {
  const server = new Set(parties.oracleKeys().map((k) => k.name));
  return failed.filter((n) => server.has(n)).length;
}

/**
 * Guarantee 1, 'exactly-failed-names-reported': the reported names are exactly those whose create
 * failed on the wire (in input order), each create was sent once (no retry of a non-idempotent
 * call), every name the plan fails for sure is among them and (sim) no name the plan leaves alone.
 */
function exactlyFailed(
  parties: BaoParties,
  names: readonly string[],
  first: BatchRun,
  t: { from: number; to: number },
  expectFirst: (name: string) => ReturnType<typeof expectRequest>,
  sim: boolean,
): GuaranteeCheck {
  const creates = parties.wire.filter(
    (w) => w.route === 'keys.create' && w.startedAt >= t.from && w.startedAt <= t.to,
  );
  const perName = new Map<string, number>();
  for (const w of creates) perName.set(w.key!, (perName.get(w.key!) ?? 0) + 1);
  const resent = names.filter((n) => (perName.get(n) ?? 0) !== 1);
  const wireFailed = names.filter((n) => {
    const w = creates.find((x) => x.key === n);
    return w === undefined || typeof w.outcome !== 'number' || w.outcome < 200 || w.outcome > 299;
  });
  const faulted = names.filter((n) => expectFirst(n).fails === 'always');
  const missed = faulted.filter((n) => !first.failed.includes(n));
  const clean = sim ? names.filter((n) => expectFirst(n).fails === 'never' && first.failed.includes(n)) : [];
  const exact =
    first.failed.length === wireFailed.length && first.failed.every((n, i) => n === wireFailed[i]);
  const ambiguous = createdDespite(parties, first.failed);
  return check(
    'exactly-failed-names-reported',
    exact && missed.length === 0 && clean.length === 0 && resent.length === 0,
    !exact
      ? `reported [${first.failed.join(',')}], the wire says [${wireFailed.join(',')}]`
      : missed.length > 0
        ? `keys the plan fails reported as created: ${missed.map((n) => `${n} (${expectFirst(n).why})`).join(', ')}`
        : clean.length > 0
          ? `keys the plan leaves alone reported failed: ${clean.join(',')}`
          : resent.length > 0
            ? `create not sent exactly once for ${resent.join(',')}`
            : `${first.failed.length} of ${names.length} failed, each reported (${faulted.length} failed by the plan for sure, ${ambiguous} created despite a lost reply)`,
  );
}

/** Guarantee 2, 'successful-keys-exist-once': every reported key is on the server once, as recorded. */
function existOnce(parties: BaoParties, names: ReadonlySet<string>, first: BatchRun): GuaranteeCheck {
  const server = parties.oracleKeys();
  const serverPubs = new Map(server.map((k) => [k.name, hex(k.publicKey)]));
  const succeeded = first.result.items.filter((i) => i.key !== undefined);
  const problems: string[] = [];
  for (const k of server) if (!names.has(k.name)) problems.push(`server has unexpected key ${k.name}`);
  if (new Set(serverPubs.values()).size !== serverPubs.size)
    problems.push('two server keys share a public key');
  for (const item of succeeded) {
    const pub = serverPubs.get(item.uid);
    if (pub === undefined) problems.push(`${item.uid} reported created but missing on the server`);
    else if (pub !== hex(item.key!.publicKey))
      problems.push(`${item.uid}: recorded public key differs from the server's`);
    else if (item.key!.address !== hex(cosmosAddress(item.key!.publicKey)))
      problems.push(`${item.uid}: address is not RIPEMD160(SHA256(pub))`);
  }
  return check(
    'successful-keys-exist-once',
    problems.length === 0,
    problems.length === 0
      ? `${succeeded.length} created keys match the server`
      : problems.slice(0, 5).join('; '),
  );
}

/**
 * Guarantee 3, 'rerun-no-duplicate-or-overwrite', after a rerun made once every fault that ends
 * has ended: names the plan leaves alone in the rerun are created when missing and reported as
 * "already exists" when present; names it may still disturb may fail any way and stay missing;
 * no key is ever replaced and no other key appears; `refresh()` then agrees with the server.
 */
async function rerunCheck(
  parties: BaoParties,
  names: readonly string[],
  before: ReadonlyMap<string, string>,
  rerun: BatchRun,
  disturbed: (name: string) => boolean,
  listDisturbed: boolean,
): Promise<GuaranteeCheck> {
  const after = new Map(parties.oracleKeys().map((k) => [k.name, hex(k.publicKey)]));
  const problems: string[] = [];
  for (const [i, n] of names.entries()) {
    if (disturbed(n)) continue;
    const failed = rerun.failed.includes(n);
    const err = rerun.result.items[i]?.error;
    if (before.has(n) && !failed) problems.push(`${n} existed but the rerun did not report it`);
    if (before.has(n) && failed && !(err instanceof BaoKeyExistsError))
      problems.push(`${n}: rerun failed with ${errName(err)}, not "already exists"`);
    if (!before.has(n) && failed) problems.push(`${n} was missing but the rerun failed: ${errName(err)}`);
    if (!after.has(n)) problems.push(`${n} is missing after the rerun`);
  }
  for (const n of after.keys()) if (!names.includes(n)) problems.push(`the server has an extra key ${n}`);
  for (const [n, pub] of before) if (after.get(n) !== pub) problems.push(`${n} was overwritten by the rerun`);
  try {
    const refreshed = await parties.keyring.refresh();
    const local = new Map(refreshed.map((r) => [r.uid, hex(r.publicKey)]));
    for (const [n, pub] of after)
      if (local.get(n) !== pub) problems.push(`after refresh, local ${n} disagrees with the server`);
  } catch (e) {
    if (!listDisturbed) problems.push(`refresh failed: ${errName(e)}`);
  }
  const loose = names.filter(disturbed);
  return check(
    'rerun-no-duplicate-or-overwrite',
    problems.length === 0,
    problems.length > 0
      ? problems.slice(0, 5).join('; ')
      : `rerun created ${names.length - before.size}, kept ${before.size}` +
          (loose.length === 0 ? '' : `; the plan may still disturb ${loose.join(',')}: any outcome accepted`),
  );
}

/**
 * Run createBatch of `${prefix}-1..count`, check guarantees 1 and 2, wait until every fault of
 * the plan that ends has ended, rerun the same batch, check guarantee 3 (see the functions above).
 * @throws what the keyring throws besides BatchPartialFailureError (e.g. a validation error).
 */
export async function runCreateBatchCheck(
  world: World,
  parties: BaoParties,
  o: CreateBatchCheckOptions,
): Promise<CreateBatchCheck> {
  const view = o.view ?? world.view;
  const names = Array.from({ length: o.count }, (_, i) => `${o.prefix}-${i + 1}`);
  const t0 = world.elapsed();
  const first = await createOnce(parties, o, 'createBatch');
  const t1 = world.elapsed();
  o.outcome?.('createBatch', { ...batchOutcome(first.result.items, t0), failed: first.failed });
  const expectAt = (from: number, to: number, nth: number) => (name: string) =>
    expectRequest(view, {
      route: 'keys.create',
      key: name,
      nth,
      at: { fromMs: from, toMs: to + 1 },
      timeoutMs: parties.timeoutMs,
    });
  const expectFirst = expectAt(t0, t1, 1);
  const g1 = exactlyFailed(parties, names, first, { from: t0, to: t1 }, expectFirst, world.mode === 'sim');
  await o.interpose?.afterFirstRun?.();
  const g2 = existOnce(parties, new Set(names), first);
  const ambiguous = createdDespite(parties, first.failed);

  await world.sleepUntil(quietPoint(view.plan), o.signal);
  const before = new Map(parties.oracleKeys().map((k) => [k.name, hex(k.publicKey)]));
  const r0 = world.elapsed();
  const rerun = await createOnce(parties, o, 'createBatch rerun');
  const r1 = world.elapsed();
  o.outcome?.('createBatch rerun', { ...batchOutcome(rerun.result.items, r0), failed: rerun.failed });
  await o.interpose?.afterRerun?.();
  const expectRerun = expectAt(r0, r1, 2);
  const listDisturbed =
    networkDisturbed(view, { fromMs: r1, toMs: Infinity }) !== 'never' ||
    expectRequest(view, {
      route: 'keys.list',
      at: { fromMs: r1, toMs: Infinity },
      timeoutMs: parties.timeoutMs,
    }).fails !== 'never';
  const g3 = await rerunCheck(
    parties,
    names,
    before,
    rerun,
    (n) => expectRerun(n).fails !== 'never',
    listDisturbed,
  );
  return {
    latencyMs: t1 - t0,
    guarantees: [g1, g2, g3],
    facts: {
      keys: o.count,
      failed: first.failed.length,
      planFaulted: names.filter((n) => expectFirst(n).fails === 'always').length,
      ambiguous,
    },
  };
}
