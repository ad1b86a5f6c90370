/**
 * The token-auth guarantees (bao.auth): with each bad credential, every operation through the
 * client and raw requests without a token or with a wrong `Authorization: Bearer` are refused,
 * and nothing is created, changed, signed or revealed. Where the effective plan may disturb the
 * exchanges (a forced status, a lost request or reply), a failure other than "permission denied"
 * is no violation — a success always is — and the detail says so.
 */
import { BaoAuthError, BatchPartialFailureError, type BaoClient } from '@fanout/bao-keyring';
import { cosmosAddress, hashInput } from '@fanout/sim-bao';
import type { Rng } from '@fanout/sim';
import { strongest, type Certainty, type PlanView } from '../../kernel/plan-view.js';
import type { GuaranteeCheck } from '../../kernel/types.js';
import type { World } from '../../kernel/world.js';
import { networkDisturbed, windowCertainty } from '../oracle.js';
import { BAO, parseBaoBehaviour } from '../plan.js';
import type { BaoParties } from '../world.js';
import { check, errName } from './signing.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Options of {@link runAuthCheck}. */
export interface AuthCheckOptions {
  /** Tokens the server does not accept. */
  readonly badTokens: readonly string[];
  /** Keys on the server (at least one); exportable ones' private keys are in `secrets`. */
  readonly existing: readonly string[];
  readonly secrets: readonly Uint8Array[];
  /** Stream for the messages and digests of the attempts (the workload's). */
  readonly rng: Rng;
  /** The plan the oracle reads (default: the world's effective plan). */
  readonly view?: PlanView;
  /** Records each attempt's outcome (ctx.outcome). */
  readonly outcome?: (step: string, fields: Record<string, unknown>) => void;
}

/** Outcome of {@link runAuthCheck}. */
export interface AuthCheck {
  readonly guarantees: GuaranteeCheck[];
  readonly attempts: number;
}

/** Whether the plan may make any exchange fail during `at` (network rules or Bao behaviours). */
function mayDisturb(view: PlanView, at: { fromMs: number; toMs: number }): Certainty {
  const behaviours = view
    .rulesOf(BAO, 'behave')
    .filter((r) => parseBaoBehaviour(r).action !== undefined)
    .map((r) => windowCertainty(r.window, at));
  return strongest([networkDisturbed(view, at), ...behaviours]);
}

/**
 * Attempts through the client and the keyring with one bad token (the `index`-th). The single
 * calls go through `expectAuth` (which counts them); returns the number of batch attempts made
 * besides them (2).
 */
async function clientAttempts(
  parties: BaoParties,
  token: string,
  index: number,
  o: AuthCheckOptions,
  expectAuth: (label: string, p: Promise<unknown>) => Promise<void>,
  notRefused: string[],
  signatures: string[],
): Promise<number> {
  const client: BaoClient = parties.newClient({ token });
  const keyring = parties.newKeyring(client);
  const tag = JSON.stringify(token);
  const target = o.existing[0]!;
  const exportable =
    o.existing.find((n) => parties.oracleKeys().find((k) => k.name === n)?.exportable) ?? target;
  const digest = hashInput(o.rng.bytes(20), 'sha256');
  await expectAuth(`${tag} create`, keyring.create(`intruder-${index}`, { exportable: true }));
  await expectAuth(`${tag} get`, client.getKey(target));
  await expectAuth(`${tag} list`, client.listKeys());
  await expectAuth(`${tag} sign`, client.sign(target, digest, { prehashed: true }));
  await expectAuth(`${tag} keyring.sign`, keyring.sign(target, o.rng.bytes(10)));
  await expectAuth(`${tag} export`, client.exportKey(exportable));
  await expectAuth(`${tag} import`, client.importKey(`intruder-import-${index}`, new Uint8Array(32).fill(7)));
  await expectAuth(`${tag} delete`, client.deleteKey(target));
  try {
    await keyring.createBatch({ prefix: 'intruder-batch', count: 3 });
    notRefused.push(`${tag} createBatch: succeeded`);
  } catch (e) {
    const items = e instanceof BatchPartialFailureError ? (e.errors as unknown[]) : [e];
    const other = items.filter((x) => !(x instanceof BaoAuthError));
    if (other.length > 0) notRefused.push(`~${tag} createBatch: ${other.map(errName).join(',')}`);
  }
  const batch = await keyring.signBatch(o.existing.map((uid) => ({ uid, msg: o.rng.bytes(16) })));
  for (const r of batch) {
    if (r.signature !== undefined) signatures.push(`${tag} signBatch ${r.uid}`);
    else if (!(r.error instanceof BaoAuthError))
      notRefused.push(`~${tag} signBatch ${r.uid}: ${errName(r.error)}`);
  }
  return 2;
}

/** Raw requests the client cannot make: no token, a wrong Bearer token, an empty X-Vault-Token. */
async function rawAttempts(
  parties: BaoParties,
  o: AuthCheckOptions,
  notRefused: string[],
  signatures: string[],
): Promise<number> {
  const target = o.existing[0]!;
  const body = JSON.stringify({
    input: Buffer.from(hashInput(o.rng.bytes(8), 'sha256')).toString('base64'),
    prehashed: true,
  });
  const raw: [string, string, string | undefined][] = [
    ['POST', `/v1/secp256k1/keys/intruder-raw`, '{"exportable":true}'],
    ['POST', `/v1/secp256k1/sign/${target}`, body],
    ['GET', `/v1/secp256k1/keys/${target}`, undefined],
    ['GET', `/v1/secp256k1/keys?list=true`, undefined],
    ['GET', `/v1/secp256k1/export/${target}`, undefined],
    ['DELETE', `/v1/secp256k1/keys/${target}`, undefined],
    [
      'POST',
      `/v1/secp256k1/keys/intruder-raw/import`,
      JSON.stringify({ ciphertext: Buffer.from(new Uint8Array(32).fill(9)).toString('base64') }),
    ],
  ];
  const auths: Record<string, string>[] = [
    {},
    { Authorization: 'Bearer not-a-token' },
    { 'X-Vault-Token': '' },
  ];
  let attempts = 0;
  for (const auth of auths) {
    for (const [method, path, b] of raw) {
      attempts++;
      const label = `raw ${method} ${path} ${JSON.stringify(auth)}`;
      try {
        const res = await parties.rawFetch(`${parties.address}${path}`, {
          method,
          headers: { 'Content-Type': 'application/json', ...auth },
          ...(b === undefined ? {} : { body: b }),
        });
        const text = await res.text();
        if (res.status >= 200 && res.status < 300) notRefused.push(`${label}: HTTP ${res.status}`);
        else if (res.status !== 403) notRefused.push(`~${label}: HTTP ${res.status}`);
        if (text.includes('"signature"')) signatures.push(label);
      } catch (e) {
        notRefused.push(`~${label}: ${errName(e)}`);
      }
    }
  }
  return attempts;
}

/** What refused answers revealed: key names, public keys, addresses, exported private keys. */
function leaksOf(
  parties: BaoParties,
  before: ReturnType<BaoParties['oracleKeys']>,
  o: AuthCheckOptions,
): string[] {
  const badBodies = parties.wire.filter((w) => w.token !== 'root').map((w) => w.body ?? '');
  const needles: string[] = [];
  for (const k of before) needles.push(hex(k.publicKey), hex(cosmosAddress(k.publicKey)), `"${k.name}"`);
  for (const s of o.secrets) needles.push(hex(s), Buffer.from(s).toString('base64'));
  return needles.filter((n) => badBodies.some((b) => b.includes(n)));
}

/**
 * With each bad credential, try every operation (create, createBatch, sign, signBatch, read, list,
 * export, import, delete) through the client, and raw requests with no token, a wrong
 * `Authorization: Bearer` and an empty token; then check nothing was created, changed, signed or
 * revealed, and that the root token still signs. The world must capture bodies.
 * Labels starting with '~' in the internal list are failures other than 403: violations unless
 * the plan may disturb exchanges.
 */
export async function runAuthCheck(
  world: World,
  parties: BaoParties,
  o: AuthCheckOptions,
): Promise<AuthCheck> {
  const view = o.view ?? world.view;
  const t0 = world.elapsed();
  const before = parties.oracleKeys();
  const snapshot = (ks: typeof before): string =>
    ks.map((k) => `${k.name}:${hex(k.publicKey)}:${k.exportable}`).join('|');
  const notRefused: string[] = [];
  const signatures: string[] = [];
  let attempts = 0;
  const expectAuth = async (label: string, p: Promise<unknown>): Promise<void> => {
    attempts++;
    try {
      const v = await p;
      notRefused.push(`${label}: succeeded`);
      if (v !== null && typeof v === 'object' && 'signature' in v) signatures.push(label);
    } catch (e) {
      if (!(e instanceof BaoAuthError))
        notRefused.push(`~${label}: ${errName(e)} ${(e as Error)?.message ?? ''}`);
    }
  };
  for (const [i, token] of o.badTokens.entries()) {
    const batches = await clientAttempts(parties, token, i, o, expectAuth, notRefused, signatures);
    attempts += batches;
  }
  const raw = await rawAttempts(parties, o, notRefused, signatures);
  attempts += raw;
  const after = parties.oracleKeys();
  const leaks = leaksOf(parties, before, o);
  const badSigns = parties.wire.filter(
    (w) => w.token !== 'root' && w.route === 'sign' && typeof w.outcome === 'number' && w.outcome < 300,
  );
  const target = o.existing[0]!;
  const msg = new Uint8Array([1, 2, 3]);
  const rootSig = await parties.keyring.sign(target, msg).catch((e: unknown) => e);
  const targetPub = after.find((k) => k.name === target)?.publicKey;
  const rootOk =
    !(rootSig instanceof Error) &&
    targetPub !== undefined &&
    parties.verify(targetPub, msg, (rootSig as { signature: Uint8Array }).signature);
  const disturbed = mayDisturb(view, { fromMs: t0, toMs: world.elapsed() + 1 });
  const violations = notRefused.filter((n) => !n.startsWith('~') || disturbed === 'never');
  const excused = notRefused.length - violations.length;
  o.outcome?.('auth', { notRefused: notRefused.length, signatures: signatures.length, rootOk });
  const changed = snapshot(before) !== snapshot(after);
  return {
    attempts,
    guarantees: [
      check(
        'every-attempt-refused',
        violations.length === 0,
        violations.length > 0
          ? violations.slice(0, 5).join('; ')
          : `${attempts} attempts, none succeeded` +
              (excused === 0
                ? ', all 403'
                : `; ${excused} failed otherwise, as the plan allows (${disturbed} disturbed)`),
      ),
      check(
        'nothing-created-or-changed',
        !changed,
        !changed
          ? `${after.length} keys unchanged`
          : `keys before: ${before.map((k) => k.name).join(',')}; after: ${after.map((k) => k.name).join(',')}`,
      ),
      check(
        'nothing-signed',
        signatures.length === 0 && badSigns.length === 0,
        signatures.length + badSigns.length === 0
          ? 'no signature in any answer to a bad credential'
          : `signatures handed out: ${[...signatures, ...badSigns.map((w) => w.path)].slice(0, 5).join(', ')}`,
      ),
      check(
        'nothing-revealed',
        leaks.length === 0,
        leaks.length === 0 ? `no refused answer names a key` : `leaked: ${leaks.slice(0, 3).join(', ')}`,
      ),
      check(
        'valid-token-still-works',
        rootOk || disturbed !== 'never',
        rootOk
          ? 'the root token still signs'
          : `root sign failed: ${errName(rootSig)}${disturbed === 'never' ? '' : ' (the plan allows it)'}`,
      ),
    ],
  };
}
