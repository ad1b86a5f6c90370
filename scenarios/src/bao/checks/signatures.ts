/**
 * The signature-soundness guarantees (bao.signatures), expectations read from the effective plan:
 * keys the plan makes the server forge for (`forge` behaviours) must never get a signature, keys
 * the plan leaves alone must be signed, and every signature handed out verifies for its own key
 * and message only.
 */
import type { FanOutEvent } from '@fanout/core';
import {
  BaoResponseError,
  BaoSignatureInvalidError,
  type SignOutput,
  type SignRequest,
  type SignResult,
} from '@fanout/bao-keyring';
import { strongest, type Certainty, type Interval, type PlanView } from '../../kernel/plan-view.js';
import type { GuaranteeCheck } from '../../kernel/types.js';
import type { World } from '../../kernel/world.js';
import { expectRequest, networkDisturbed, windowCertainty, type RequestExpectation } from '../oracle.js';
import { BAO, behaviourMatches, parseBaoBehaviour } from '../plan.js';
import type { BaoParties } from '../world.js';
import { check, errName, everySignatureVerifies, type Verify } from './signing.js';
import type { VerifyingKeys } from './verifying-keys.js';

/** Options of {@link runSignatureCheck}. */
export interface SignatureCheckOptions {
  /** The plan the oracle reads (default: the world's effective plan). */
  readonly view?: PlanView;
  /** signBatch concurrency (the sequential twin passes 1). */
  readonly concurrency?: number;
  readonly onEvent?: (e: FanOutEvent<SignRequest, SignOutput>) => void;
  readonly signal?: AbortSignal;
}

/** Outcome of {@link runSignatureCheck}. */
export interface SignatureCheck {
  readonly guarantees: GuaranteeCheck[];
  readonly results: SignResult[];
  /** Duration of the signBatch, ms on the world's clock. */
  readonly latencyMs: number;
  /** Keys the plan forges for during the whole batch. */
  readonly forged: readonly string[];
}

/** Certainty that the server forges every sign answer for `key` during `at`. */
export function forgeCertainty(view: PlanView, key: string, at: Interval): Certainty {
  return strongest(
    view
      .rulesOf(BAO, 'behave')
      .filter((r) => r.behaviour === 'forge' && behaviourMatches(parseBaoBehaviour(r), 'sign', key))
      .map((r) => windowCertainty(r.window, at)),
  );
}

/**
 * Forge kinds whose signature is the right one, only the reported public key being the forger's
 * (@fanout/sim-bao faults.ts `wrongPublicKey`).
 */
const VALID_SIGNATURE_FORGERIES: ReadonlySet<string> = new Set(['wrongPublicKey']);

/**
 * Whether a forged answer for `key` during `at` may carry a valid signature: a forge rule in
 * force there only falsifies the reported `public_key`. That field is all that tells such an
 * answer from an honest one, and reply corruption can erase it (a damaged member name is dropped
 * by the client's schema, where `public_key` is optional), leaving a valid signature the client
 * rightly hands out.
 */
export function mayForgeValidSignature(view: PlanView, key: string, at: Interval): boolean {
  return view
    .rulesOf(BAO, 'behave')
    .filter((r) => r.behaviour === 'forge' && windowCertainty(r.window, at) !== 'never')
    .map((r) => parseBaoBehaviour(r))
    .some((b) => behaviourMatches(b, 'sign', key) && VALID_SIGNATURE_FORGERIES.has(b.kind ?? ''));
}

/**
 * 'no-cross-verification': no signature handed out verifies for any other key, nor for the next
 * (up to) three other messages of the batch (bounded: verification costs ms). The keys a
 * signature verifies for come from `keysOf` (key recovery: two recoveries per signature instead
 * of a verification per key; the same verdicts, see verifying-keys.ts).
 */
export function noCrossVerification(
  verify: Verify,
  keysOf: (msg: Uint8Array, signature: Uint8Array | undefined) => VerifyingKeys,
  pubs: ReadonlyMap<string, Uint8Array>,
  requests: readonly SignRequest[],
  results: readonly SignResult[],
): GuaranteeCheck {
  const cross: string[] = [];
  results.forEach((r, i) => {
    if (r.signature === undefined) return;
    const keys = keysOf(requests[i]!.msg, r.signature);
    for (const [name, pub] of pubs)
      if (name !== r.uid && keys.has(pub)) cross.push(`${i} verifies for key ${name}`);
    const own = pubs.get(r.uid);
    for (let step = 1; step <= Math.min(3, requests.length - 1); step++) {
      const j = (i + step) % requests.length;
      const q = requests[j]!.msg;
      const m = requests[i]!.msg;
      const same = q.length === m.length && q.every((b, x) => b === m[x]);
      if (!same && own !== undefined && verify(own, q, r.signature))
        cross.push(`${i} verifies for message ${j}`);
    }
  });
  return check(
    'no-cross-verification',
    cross.length === 0,
    cross.length === 0 ? 'no signature verifies for another key or message' : cross.slice(0, 5).join('; '),
  );
}

/**
 * 'forgeries-never-handed-out': a key the plan forges for during the whole batch never gets a
 * signature, and fails with BaoSignatureInvalidError / BaoResponseError (any failure when the
 * network may also disturb it). Keys forged for part of the batch may go either way (any
 * signature they get must verify: 'every-signature-verifies'), and so may keys in `validForgery`
 * ({@link mayForgeValidSignature}) while the network may damage replies.
 */
function forgeriesRejected(
  results: readonly SignResult[],
  forged: ReadonlySet<string>,
  maybe: readonly string[],
  networkMay: boolean,
  validForgery: ReadonlySet<string>,
): GuaranteeCheck {
  const handedOut = results.filter((r) => forged.has(r.uid) && r.signature !== undefined);
  const excused = (r: SignResult): boolean => networkMay && validForgery.has(r.uid);
  const handed = handedOut.filter((r) => !excused(r));
  const passed = handedOut.filter(excused);
  const wrongError = results.filter(
    (r) =>
      forged.has(r.uid) &&
      r.signature === undefined &&
      !networkMay &&
      !(r.error instanceof BaoSignatureInvalidError || r.error instanceof BaoResponseError),
  );
  const n = results.filter((r) => forged.has(r.uid) && r.signature === undefined).length;
  return check(
    'forgeries-never-handed-out',
    handed.length === 0 && wrongError.length === 0,
    handed.length > 0
      ? `forged signatures handed out for ${[...new Set(handed.map((r) => r.uid))].join(',')}`
      : wrongError.length > 0
        ? `forged keys failed with ${wrongError.map((r) => errName(r.error)).join(',')}`
        : `${n} forged answers rejected (keys ${[...forged].join(',') || 'none'})` +
          (maybe.length === 0 ? '' : `; forged for part of the batch: ${maybe.join(',')}`) +
          (passed.length === 0
            ? ''
            : `; ${passed.length} valid-signature forgeries handed out as reply corruption allows (${[...new Set(passed.map((r) => r.uid))].join(',')})`),
  );
}

/**
 * 'honest-keys-signed': every request the plan lets succeed (no forge, no fault that may strike
 * it) for a key the server has is signed.
 */
function honestSigned(
  results: readonly SignResult[],
  expect: (i: number) => RequestExpectation,
  present: (uid: string) => boolean,
): GuaranteeCheck {
  const failed = results.filter(
    (r, i) => r.signature === undefined && present(r.uid) && expect(i).fails === 'never',
  );
  const excused = results.filter((r, i) => r.signature === undefined && expect(i).fails !== 'never').length;
  return check(
    'honest-keys-signed',
    failed.length === 0,
    failed.length > 0
      ? `${failed.length} requests the plan lets succeed failed: ${failed
          .slice(0, 3)
          .map((r) => `${r.uid} ${errName(r.error)}`)
          .join(', ')}`
      : `${results.filter((r) => r.signature !== undefined).length} signed` +
          (excused === 0 ? '' : `; ${excused} failed as the plan allows (forged or maybe damaged)`),
  );
}

/**
 * Sign `requests` with one signBatch and check the four guarantees against the plan in force
 * during the batch (see the functions above and 'every-signature-verifies' in signing.ts).
 */
export async function runSignatureCheck(
  world: World,
  parties: BaoParties,
  requests: readonly SignRequest[],
  o: SignatureCheckOptions = {},
): Promise<SignatureCheck> {
  const view = o.view ?? world.view;
  const t0 = world.elapsed();
  const results = await parties.keyring.signBatch(requests, {
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
  });
  const latencyMs = world.elapsed() - t0;
  const at = { fromMs: t0, toMs: world.elapsed() + 1 };
  const pubs = parties.oraclePubs();
  const expectations = requests.map((q) =>
    expectRequest(view, { route: 'sign', key: q.uid, at, timeoutMs: parties.timeoutMs }),
  );
  const expect = (i: number): RequestExpectation => expectations[i]!;
  const keys = [...new Set(requests.map((q) => q.uid))];
  const forged = new Set(keys.filter((k) => forgeCertainty(view, k, at) === 'always'));
  const maybe = keys.filter((k) => forgeCertainty(view, k, at) === 'maybe');
  const networkMay = networkDisturbed(view, at) !== 'never';
  return {
    results,
    latencyMs,
    forged: [...forged],
    guarantees: [
      everySignatureVerifies(parties.verify, pubs, requests, results, expect),
      noCrossVerification(parties.verify, parties.verifyingKeys, pubs, requests, results),
      forgeriesRejected(
        results,
        forged,
        maybe,
        networkMay,
        new Set(keys.filter((k) => mayForgeValidSignature(view, k, at))),
      ),
      honestSigned(results, expect, (uid) => pubs.has(uid)),
    ],
  };
}
