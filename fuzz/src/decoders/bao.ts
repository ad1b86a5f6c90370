/**
 * Bao target: request bodies, paths, query strings and token forms through the simulator's fetch
 * handler in-process (simulators/bao app.ts `createBaoApp(...).app.fetch`). Besides the refusal
 * rules, every request that does not carry a valid token is checked against the server's state:
 * a 2xx answer, or any change of namespaces or key names, is an auth bypass.
 */
import { VirtualClock } from '@fanout/core';
import { createBaoApp, type BaoSimulator } from '@fanout/sim-bao';
import { baoRequestArb, type BaoContext } from '../http/bao-grammar.js';
import { judgeBao } from '../http/bao-judge.js';
import { bodyLength, toFetchRequest, type FuzzRequest } from '../http/request.js';
import { FuzzViolation, textOf, type DecoderTarget } from './target.js';

/** Inputs served by one app before a fresh one is made (created keys would pile up). */
const APP_LIFETIME = 2000;

/** Namespaces, key names and public keys of every namespace: what no unauthorised request may change. */
export function baoStateFingerprint(sim: BaoSimulator): string {
  return sim
    .namespaces()
    .map(
      (ns) =>
        `${ns}:${sim
          .keyInfo(ns)
          .map((k) => `${k.name}=${Buffer.from(k.publicKey).toString('hex')}`)
          .join(',')}`,
    )
    .join(';');
}

/** Show a request in one line. */
export function showRequest(r: FuzzRequest): string {
  const body =
    r.body === null
      ? ''
      : r.body instanceof Uint8Array
        ? ` ${textOf(Buffer.from(r.body.subarray(0, 300)).toString('latin1'), 300)}`
        : ` (${r.body.size} bytes of 0x${r.body.fill.toString(16)})`;
  const headers = r.headers.map(([k, v]) => `${k}: ${textOf(v, 80)}`).join('; ');
  return `[${r.kind}, auth ${r.auth}] ${r.method} ${r.target} {${headers}}${body}${bodyLength(r) > 300 ? ` (${bodyLength(r)} bytes)` : ''}`;
}

/** Options of {@link baoHttp}. */
export interface BaoHttpOptions {
  /**
   * Wrap the app's fetch handler (tests: a deliberately lenient front, to check that the oracle
   * catches what it should). Default: none.
   */
  readonly wrapFetch?: (fetch: (r: Request) => Promise<Response>) => (r: Request) => Promise<Response>;
}

/** Bao requests through app.fetch with the judge of http/bao-judge.ts and the state oracle. */
export function baoHttp(o: BaoHttpOptions = {}): DecoderTarget<FuzzRequest> {
  let ctx: BaoContext | undefined;
  let sim: BaoSimulator | undefined;
  let served = 0;
  const fresh = async (c: BaoContext): Promise<BaoSimulator> => {
    const s = createBaoApp({
      clock: new VirtualClock(),
      seed: 1,
      tokens: [c.token],
      namespaces: [...c.namespaces],
    });
    const res = await s.app.fetch(
      new Request(`http://bao.local/v1/secp256k1/keys/${c.canary}`, {
        method: 'POST',
        headers: { 'X-Vault-Token': c.token, 'Content-Type': 'application/json' },
        body: '{"exportable":true}',
      }),
    );
    if (res.status !== 200)
      throw new Error(`could not create the canary key: ${res.status} ${await res.text()}`);
    return s;
  };
  return {
    name: 'bao.http',
    drives:
      'createBaoApp(...).app.fetch: plugin + sys routes, JSON bodies, queries, namespaces, token forms in-process — simulators/bao app.ts',
    cost: 6,
    async: true,
    arbitrary(rng) {
      ctx = {
        token: `fz${Buffer.from(rng.bytes(12)).toString('hex')}`,
        canary: `canary-${Buffer.from(rng.bytes(6)).toString('hex')}`,
        namespaces: ['ns1', 'ns1/ns2'],
      };
      sim = undefined;
      served = 0;
      return baoRequestArb(ctx);
    },
    async run(r) {
      const c = ctx!;
      if (sim === undefined || served++ >= APP_LIFETIME) {
        sim = await fresh(c);
        served = 1;
      }
      const request = toFetchRequest(r, 'http://bao.local');
      if (request === undefined) return 'skipped (not expressible as a fetch Request)';
      const before = r.auth === 'invalid' ? baoStateFingerprint(sim) : '';
      const app = sim.app;
      const fetch =
        o.wrapFetch === undefined
          ? (q: Request) => Promise.resolve(app.fetch(q))
          : o.wrapFetch((q) => Promise.resolve(app.fetch(q)));
      const res = await fetch(request);
      const text = await res.text();
      const verdict = judgeBao(r.method, r.target, res.status, text);
      if (verdict.violation !== undefined)
        throw new FuzzViolation(verdict.violation.kind, verdict.violation.detail);
      if (r.auth === 'invalid') {
        if (verdict.privileged) throw new FuzzViolation('auth-bypass', `${res.status} ${text.slice(0, 200)}`);
        if (baoStateFingerprint(sim) !== before)
          throw new FuzzViolation('auth-bypass', `state changed (answer ${res.status})`);
      }
      return `${verdict.label}${r.auth === 'valid' && res.status === 403 ? ' (valid token refused)' : ''}`;
    },
    show: showRequest,
  };
}
