/**
 * Live HTTP targets: the Hubert server, the Bao simulator and the Prime coordinator with its
 * trainers. Each round holds up to `halfOpen` connections that sent only the start of a request,
 * then sends raw requests (grammar + wire-level breakages). For servers with tokens a round
 * starts with requests that carry no valid token only, and the server's state (read in the
 * child, not from the answers) must be the same afterwards: nothing created, signed into being,
 * listed into a response, exported or deleted. After each round the canary is read back.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createRng } from '@fanout/sim';
import { baoRequestArb } from '../http/bao-grammar.js';
import { judgeBao } from '../http/bao-judge.js';
import { hubertRequestArb, hubertRoutingViolation, judgeHubert } from '../http/hubert-grammar.js';
import { judgePrime, primeRequestArb } from '../http/prime-grammar.js';
import { HALF_OPEN_PARTIALS } from '../http/raw.js';
import { openBaoRule, primeRule, type FuzzRequest } from '../http/request.js';
import { buildJobs, runJobs, type HttpEndpoint } from './http-round.js';
import type { ServerProcess } from './process.js';
import { holdHalfOpen } from './raw-http.js';
import type { LiveRecorder } from './report.js';
import type { LiveSession } from './session.js';

/** Options every HTTP session takes. */
export interface HttpSessionOptions {
  readonly seed: number;
  /** Connections left half-open during each round (≤ 200). */
  readonly halfOpen: number;
  readonly concurrency: number;
  /** No answer within this long = a hang, ms. */
  readonly timeoutMs: number;
}

const portOf = (url: string): number => Number(new URL(url).port);

/** Hold half-open connections spread over `ports` while `body` runs. */
async function withHalfOpen<T>(
  ports: readonly number[],
  total: number,
  rec: LiveRecorder,
  body: () => Promise<T>,
): Promise<T> {
  const holders = await Promise.all(
    ports.map((p, i) =>
      holdHalfOpen(Math.ceil(total / ports.length), p, HALF_OPEN_PARTIALS[i % HALF_OPEN_PARTIALS.length]!),
    ),
  );
  try {
    return await body();
  } finally {
    rec.count(
      'half-open connections held',
      holders.reduce((n, h) => n + h.open(), 0),
    );
    for (const h of holders) h.close();
  }
}

/** Ask `url` with global fetch; answers status and text, or the error text (never throws). */
async function probe(url: string, init: RequestInit): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
    return { status: res.status, text: await res.text() };
  } catch (e) {
    return { status: 0, text: String(e) };
  }
}

/** The Hubert server's session. */
export async function hubertSession(proc: ServerProcess, o: HttpSessionOptions): Promise<LiveSession> {
  const info = proc.info as { url: string; canary: { arid: string; envelope: string } };
  const endpoint: HttpEndpoint = {
    name: 'hubert',
    port: portOf(info.url),
    token: '\u0000no token\u0000',
    rule: () => 'valid',
    judge: (a) => {
      const routing =
        a.method === ''
          ? undefined
          : hubertRoutingViolation(a.method, a.target, a.status, a.body, a.broken ? 0 : a.bodyBytes);
      if (routing !== undefined)
        return {
          label: `${a.status} (routing)`,
          violation: { kind: 'untyped-rejection', detail: `routing: ${routing}` },
        };
      return judgeHubert(a.method, a.status, a.body);
    },
  };
  const arb = hubertRequestArb(
    { knownArid: info.canary.arid, envelopes: [] },
    createRng(o.seed).fork('live:hubert'),
    { hugeBodies: true, rawTargets: true },
  );
  return {
    async round(round, count, seed, rec) {
      const jobs = buildJobs(arb, (request) => ({ endpoint, request }), { count, seed });
      await withHalfOpen([endpoint.port], o.halfOpen, rec, () =>
        runJobs(jobs, { rec, round, concurrency: o.concurrency, timeoutMs: o.timeoutMs }),
      );
    },
    async check(_round, rec) {
      const got = await probe(`${info.url}/get`, { method: 'POST', body: info.canary.arid });
      if (got.status !== 200 || got.text !== info.canary.envelope)
        rec.find({
          kind: 'canary',
          detail: `the canary no longer reads back: ${got.status} ${got.text.slice(0, 120)}`,
        });
      const again = await probe(`${info.url}/put`, {
        method: 'POST',
        body: `${info.canary.arid}\n${info.canary.envelope}`,
      });
      if (again.status !== 409)
        rec.find({
          kind: 'canary',
          detail: `a second put to the canary ARID answered ${again.status} (write-once broken?)`,
        });
      return `canary reads back: ${got.status === 200 && got.text === info.canary.envelope ? 'yes' : 'NO'}; second put ${again.status}`;
    },
    close: async () => undefined,
  };
}

/** The Bao simulator's session. */
export async function baoSession(proc: ServerProcess, o: HttpSessionOptions): Promise<LiveSession> {
  const info = proc.info as {
    url: string;
    token: string;
    canary: string;
    publicKey: string;
    namespaces: string[];
  };
  const endpoint: HttpEndpoint = {
    name: 'bao',
    port: portOf(info.url),
    token: info.token,
    rule: openBaoRule(info.token),
    judge: (a) => judgeBao(a.method, a.target, a.status, a.body),
  };
  const arb = baoRequestArb(
    { token: info.token, canary: info.canary, namespaces: info.namespaces },
    { hugeBodies: true },
  );
  const fingerprint = async (): Promise<string> =>
    (await proc.ask<{ fingerprint: string }>('state')).fingerprint;
  return {
    async round(round, count, seed, rec) {
      await withHalfOpen([endpoint.port], o.halfOpen, rec, async () => {
        const before = await fingerprint();
        const unauth = buildJobs(arb, (request) => ({ endpoint, request }), {
          count: Math.floor(count * 0.4),
          seed,
          unauthenticatedOnly: true,
        });
        await runJobs(unauth, { rec, round, concurrency: o.concurrency, timeoutMs: o.timeoutMs });
        const after = await fingerprint();
        rec.count('requests without a valid token', unauth.length);
        if (after !== before)
          rec.find({
            kind: 'auth-bypass',
            detail: `state changed during ${unauth.length} requests without a valid token: ${before.slice(0, 200)} → ${after.slice(0, 200)}`,
            round,
          });
        const rest = buildJobs(arb, (request) => ({ endpoint, request }), {
          count: count - unauth.length,
          seed: seed ^ 0x5a5a5a5a,
        });
        await runJobs(rest, { rec, round, concurrency: o.concurrency, timeoutMs: o.timeoutMs });
      });
    },
    async check(_round, rec) {
      const message = Buffer.from(`canary check ${_round}`);
      const signed = await probe(`${info.url}/v1/secp256k1/sign/${info.canary}`, {
        method: 'POST',
        headers: { 'X-Vault-Token': info.token },
        body: JSON.stringify({ input: message.toString('base64') }),
      });
      let signs = false;
      try {
        const sig = Buffer.from(
          (JSON.parse(signed.text) as { data: { signature: string } }).data.signature,
          'base64',
        );
        signs = secp256k1.verify(sig, sha256(message), Buffer.from(info.publicKey, 'hex'), {
          prehash: false,
        });
      } catch {
        signs = false;
      }
      if (!signs)
        rec.find({
          kind: 'canary',
          detail: `the canary key no longer signs: ${signed.status} ${signed.text.slice(0, 160)}`,
        });
      const state = await fingerprint();
      if (!state.includes(`${info.canary}=${info.publicKey}`))
        rec.find({
          kind: 'canary',
          detail: 'the canary key is gone from the store or has another public key',
        });
      return `canary key signs (verified with @noble/curves): ${signs ? 'yes' : 'NO'}`;
    },
    close: async () => undefined,
  };
}

/** The Prime coordinator's and trainers' session. */
export async function primeSession(proc: ServerProcess, o: HttpSessionOptions): Promise<LiveSession> {
  const info = proc.info as {
    coordinator: string;
    trainers: { nodeId: string; url: string }[];
    joinToken: string;
    trainToken: string;
    paramCount: number;
  };
  const coordinator: HttpEndpoint = {
    name: 'coordinator',
    port: portOf(info.coordinator),
    token: info.joinToken,
    rule: primeRule(info.joinToken),
    judge: (a) => judgePrime(a.method, a.target, a.status, a.body),
  };
  const trainers: HttpEndpoint[] = info.trainers.map((t) => ({
    name: t.nodeId,
    port: portOf(t.url),
    token: info.trainToken,
    rule: primeRule(info.trainToken),
    judge: (a) => judgePrime(a.method, a.target, a.status, a.body),
  }));
  const arb = primeRequestArb(
    { joinToken: info.joinToken, trainToken: info.trainToken, paramCount: info.paramCount },
    trainers.length,
  );
  const route = (v: { to: 'coordinator' | 'trainer'; trainer: number; request: FuzzRequest }) => ({
    endpoint: v.to === 'coordinator' ? coordinator : trainers[v.trainer]!,
    request: v.request,
  });
  const state = async (): Promise<string> => JSON.stringify(await proc.ask('state'));
  const ports = [coordinator.port, ...trainers.map((t) => t.port)];
  return {
    async round(round, count, seed, rec) {
      await withHalfOpen(ports, o.halfOpen, rec, async () => {
        const before = await state();
        const unauth = buildJobs(arb, route, {
          count: Math.floor(count * 0.4),
          seed,
          unauthenticatedOnly: true,
        });
        await runJobs(unauth, { rec, round, concurrency: o.concurrency, timeoutMs: o.timeoutMs });
        const after = await state();
        rec.count('requests without a valid token', unauth.length);
        if (after !== before)
          rec.find({
            kind: 'auth-bypass',
            detail: `state changed during ${unauth.length} requests without a valid token: ${before} → ${after}`,
            round,
          });
        const rest = buildJobs(arb, route, { count: count - unauth.length, seed: seed ^ 0x5a5a5a5a });
        await runJobs(rest, { rec, round, concurrency: o.concurrency, timeoutMs: o.timeoutMs });
      });
    },
    async check(_round, rec) {
      const nodes = await probe(`${info.coordinator}/nodes`, {});
      const listed = info.trainers.filter((t) => nodes.text.includes(`"${t.nodeId}"`)).length;
      if (nodes.status !== 200 || listed !== info.trainers.length)
        rec.find({
          kind: 'canary',
          detail: `GET /nodes: ${nodes.status}, ${listed}/${info.trainers.length} trainers listed`,
        });
      let trained = 0;
      for (const t of info.trainers) {
        const res = await probe(`${t.url}/train`, {
          method: 'POST',
          headers: { authorization: `Bearer ${info.trainToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            taskId: 'check',
            taskType: 'gradient_computation',
            round: 1,
            modelVersion: 0,
            params: new Array<number>(info.paramCount).fill(0),
            epochs: 1,
            learningRate: 0.1,
            batchSize: 8,
            issuedAt: 0,
            timeoutMs: 1000,
          }),
        });
        if (
          res.status === 200 &&
          (JSON.parse(res.text) as { delta?: unknown[] }).delta?.length === info.paramCount
        )
          trained++;
        else
          rec.find({
            kind: 'canary',
            detail: `${t.nodeId} no longer trains: ${res.status} ${res.text.slice(0, 120)}`,
          });
      }
      return `trainers listed ${listed}/${info.trainers.length}; trainers that still train ${trained}/${info.trainers.length}`;
    },
    close: async () => undefined,
  };
}
