/**
 * One round of raw HTTP requests against live servers: build the requests from a grammar and the
 * round's seed, send them with bounded concurrency (each on its own connection, half-closed after
 * the request), judge each answer, and record: a 5xx or unreadable refusal, a 2xx on a guarded
 * route for a request without a valid token (auth bypass), and no answer within the timeout (hang).
 */
import fc from 'fast-check';
import { breakageArb, toRaw, type RawRequest } from '../http/raw.js';
import type { FuzzRequest, RawAuthRule } from '../http/request.js';
import { exchange } from './raw-http.js';
import { printable, type LiveRecorder } from './report.js';

/** What a judge sees of one exchange. */
export interface Answered {
  /** Method and request-target as sent (read back from the final head bytes). */
  readonly method: string;
  readonly target: string;
  readonly status: number;
  readonly body: string;
  /** Body bytes sent. */
  readonly bodyBytes: number;
  /** The request has a wire-level breakage (its framing may not be what the headers say). */
  readonly broken: boolean;
}

/** How an answer is judged (see the grammars' judge functions). */
export type Judge = (a: Answered) => {
  readonly label: string;
  readonly privileged?: boolean;
  readonly violation?: { readonly kind: 'server-error' | 'untyped-rejection'; readonly detail: string };
};

/** A request bound for a port, with its judge. */
export interface HttpJob {
  readonly endpoint: string;
  readonly port: number;
  readonly raw: RawRequest;
  readonly judge: Judge;
}

/** Where a grammar's requests go: port, token rule and judge. */
export interface HttpEndpoint {
  /** Name for findings and replay ('bao', 'hubert', 'coordinator', 'trainer-0', …). */
  readonly name: string;
  readonly port: number;
  readonly token: string;
  readonly rule: RawAuthRule;
  readonly judge: Judge;
}

/** Options of {@link buildJobs}. */
export interface BuildJobsOptions {
  readonly count: number;
  readonly seed: number;
  /** Keep only requests without a valid token (after raw re-labelling). */
  readonly unauthenticatedOnly?: boolean;
}

/**
 * Draw `count` requests from `arb` (each with a wire-level breakage 1 time in 3) for the endpoint
 * `route` picks.
 */
export function buildJobs<T>(
  arb: fc.Arbitrary<T>,
  route: (value: T) => { readonly endpoint: HttpEndpoint; readonly request: FuzzRequest },
  o: BuildJobsOptions,
): HttpJob[] {
  const out: HttpJob[] = [];
  for (let batch = 0; out.length < o.count && batch < 20; batch++) {
    const values = fc.sample(fc.tuple(arb, breakageArb()), {
      seed: (o.seed + batch * 7919) | 0,
      numRuns: o.count * (o.unauthenticatedOnly ? 2 : 1),
    });
    for (const [v, { breakage, edits }] of values) {
      const { endpoint, request } = route(v);
      const raw = toRaw(request, {
        port: endpoint.port,
        token: endpoint.token,
        rule: endpoint.rule,
        ...(breakage === undefined ? {} : { breakage, edits }),
      });
      if (o.unauthenticatedOnly === true && raw.auth !== 'invalid') continue;
      out.push({ endpoint: endpoint.name, port: endpoint.port, raw, judge: endpoint.judge });
      if (out.length >= o.count) break;
    }
  }
  return out;
}

/** Options of {@link runJobs}. */
export interface RunJobsOptions {
  readonly rec: LiveRecorder;
  readonly round: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
}

/**
 * A refusal by the HTTP layer in front of the app (node:http's parser, @hono/node-server's
 * request adapter): 400, 414, 431, 501 or 505 with an empty body — malformed request line or
 * headers, a request-target no URL parser accepts. There is no field to name but the request
 * itself; counted apart, not a violation.
 */
export function httpLayerRefusal(status: number, body: string): ReturnType<Judge> | undefined {
  const empty = body === '' || body === '0\r\n\r\n' || body === 'Bad Request';
  if (empty && [400, 414, 431, 501, 505].includes(status)) return { label: `rejected ${status}(HTTP layer)` };
  return undefined;
}

/**
 * Method and target of the request line at the start of `head`: the first word, and the words
 * between it and the version (a target with spaces, which lenient parsers accept). '' when the
 * line has fewer than 3 words.
 */
export function requestLine(head: Uint8Array): { method: string; target: string } {
  const text = Buffer.from(head.subarray(0, 8192)).toString('latin1');
  const end = text.indexOf('\r\n');
  const parts = text.slice(0, end < 0 ? undefined : end).split(' ');
  return parts.length >= 3
    ? { method: parts[0]!, target: parts.slice(1, -1).join(' ') }
    : { method: '', target: '' };
}

function wholeRequest(raw: RawRequest): Uint8Array {
  const body = raw.bodyBytes <= 64 * 1024 ? [...raw.body()] : [];
  return Buffer.concat([raw.head, ...body]);
}

/** Send every job (see the module comment); resolves when all have ended. */
export async function runJobs(jobs: readonly HttpJob[], o: RunJobsOptions): Promise<void> {
  let next = 0;
  const worker = async (lane: number): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= jobs.length) return;
      const job = jobs[i]!;
      const raw = job.raw;
      const chunks = (): Iterable<Uint8Array> => [raw.head, ...raw.body()];
      o.rec.sent++;
      const ex = await exchange(chunks, {
        port: job.port,
        timeoutMs: o.timeoutMs,
        head: raw.method.toUpperCase() === 'HEAD',
        halfClose: raw.halfClose,
        localAddress: `127.0.0.${2 + (lane % 8)}`,
      });
      const at = { round: o.round, index: i, endpoint: job.endpoint };
      if (ex.kind === 'timeout') {
        o.rec.count('no answer (timeout)');
        o.rec.find({
          kind: 'hang',
          detail: `no answer within ${o.timeoutMs} ms [${raw.kind}]`,
          input: printable(wholeRequest(raw)),
          bytes: wholeRequest(raw),
          ...at,
        });
        continue;
      }
      if (ex.kind !== 'response') {
        o.rec.count(ex.kind === 'closed' ? 'closed without answer' : `reset (${ex.error})`);
        continue;
      }
      o.rec.answered++;
      const body = ex.body.toString('utf8');
      const line = requestLine(raw.head);
      const verdict =
        httpLayerRefusal(ex.status, body) ??
        job.judge({
          method: line.method,
          target: line.target,
          status: ex.status,
          body,
          bodyBytes: raw.bodyBytes,
          broken: raw.kind.includes(' +'),
        });
      o.rec.count(verdict.label);
      if (verdict.violation !== undefined)
        o.rec.find({
          kind: verdict.violation.kind,
          detail: `${verdict.violation.detail} [${raw.kind}]`,
          input: printable(wholeRequest(raw)),
          bytes: wholeRequest(raw),
          ...at,
        });
      if (verdict.privileged === true && raw.auth === 'invalid')
        o.rec.find({
          kind: 'auth-bypass',
          detail: `${ex.status} to a request without a valid token [${raw.kind}]: ${body.slice(0, 200)}`,
          input: printable(wholeRequest(raw)),
          bytes: wholeRequest(raw),
          ...at,
        });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, lane) => worker(lane)));
}
