/**
 * Requests for the Hubert server (hubert-rust 0.5.0 routes: GET /health, POST /put with
 * `ur:arid\nur:envelope[\nttl]`, POST /get with `ur:arid`): bodies built line by line from valid
 * and broken ARIDs, envelopes and TTLs, text and byte mutations, invalid UTF-8, bodies over the
 * 2 MiB limit (10 MB live), and request-targets upstream's router must not treat as /get or /put
 * (`/put/../get`, `/%2e%2e/get`, `//put`, …). Hubert has no auth: every request is 'valid'.
 */
import fc from 'fast-check';
import { aridToUr, envelopeCborToUr, envelopeToUr } from '@fanout/sim-hubert';
import type { Rng } from '@fanout/sim';
import { bytesInput, textInput } from '../mutate.js';
import type { FuzzRequest } from './request.js';

/** What the grammar needs: a stored ARID (gets hit it, puts conflict with it). */
export interface HubertContext {
  readonly knownArid: string;
  /** Extra valid envelope texts (other structures than a leaf). */
  readonly envelopes: readonly string[];
}

const enc = new TextEncoder();

/** Options of {@link hubertRequestArb}. */
export interface HubertGrammarOptions {
  /** Bodies of 10 MB (live; default: limit + 1 = 2 MiB + 1 bytes). */
  readonly hugeBodies?: boolean;
  /** Raw request-targets with dot segments and escapes (live only: fetch normalises them). */
  readonly rawTargets?: boolean;
  /** Weight of an over-limit body among ~50 (default 2; each one costs MiBs to copy). */
  readonly largeWeight?: number;
}

/** Requests for Hubert (see the module comment). */
export function hubertRequestArb(
  ctx: HubertContext,
  rng: Rng,
  o: HubertGrammarOptions = {},
): fc.Arbitrary<FuzzRequest> {
  const known = ctx.knownArid;
  const arids = [aridToUr(rng.bytes(32)), known, known.toUpperCase(), ` ${known}\n`];
  const envelopes = [envelopeToUr(rng.bytes(40)), ...ctx.envelopes];
  const ttls = ['60', '+5', '0', '86401', '18446744073709551616', '-1', '1e3', ' 5', '٣'];
  const put = fc
    .tuple(
      fc.constantFrom(...arids),
      fc.constantFrom(...envelopes),
      fc.option(fc.constantFrom(...ttls), { nil: undefined }),
      fc.constantFrom('\n', '\r\n', '\r', '\n\n'),
      fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    )
    .map(([a, e, ttl, nl, extra]) =>
      [a, e, ...(ttl === undefined ? [] : [ttl]), ...(extra === undefined ? [] : [extra])].join(nl),
    );
  const get = fc.constantFrom(...arids, '', ' ', '\ufeff' + known, `${known}\n${known}`);
  const text = textInput({
    corpus: [`${arids[0]}\n${envelopes[0]}\n60`, known],
    dictionary: ['\n', '\r\n', 'ur:arid/', 'ur:envelope/', '\ufeff', '\u00a0'],
    maxEdits: 4,
  });
  const bytes = bytesInput({
    corpus: [enc.encode(`${arids[0]}\n${envelopes[0]}`)],
    dictionary: [Uint8Array.of(0xff), Uint8Array.of(0xc3), Uint8Array.of(0xed, 0xa0, 0x80)],
    maxRandom: 200,
  });
  const large = { size: o.hugeBodies === true ? 10 * 1024 * 1024 : 2 * 1024 * 1024 + 1, fill: 0x61 };
  const body: fc.Arbitrary<FuzzRequest['body']> = fc.oneof(
    { weight: 16, arbitrary: put.map((s) => enc.encode(s)) },
    { weight: 8, arbitrary: get.map((s) => enc.encode(s)) },
    { weight: 12, arbitrary: text.map((s) => enc.encode(s)) },
    { weight: 8, arbitrary: bytes },
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: o.largeWeight ?? 2, arbitrary: fc.constant(large) },
  );
  const rawTargets =
    o.rawTargets === true
      ? [
          '/put/../get',
          '/%2e%2e/get',
          '/get/..',
          '/./get',
          '/get%2f',
          '/GET',
          '/get?',
          '/get#x',
          '/put;x',
          '/%67et',
        ]
      : [];
  const path = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('/put', '/get') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '/health',
        '/PUT',
        '/put/',
        '//put',
        '/put?x=1',
        '/%70ut',
        '/',
        '/x',
        ...rawTargets,
      ),
    },
  );
  const method = fc.oneof(
    { weight: 6, arbitrary: fc.constant('POST') },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'FOO') },
  );
  return fc
    .record({ method, path, body, chunked: fc.boolean() })
    .map(({ method: m, path: p, body: b, chunked }): FuzzRequest => ({
      method: m,
      target: p,
      headers: b === null ? [] : [['Content-Type', 'text/plain']],
      body: b,
      chunked,
      auth: 'valid',
      kind: `${m} ${p}`,
    }));
}

/** Envelope texts of other structures than a leaf (for {@link HubertContext.envelopes}). */
export function extraEnvelopes(bodies: readonly Uint8Array[]): string[] {
  return bodies.map((b) => envelopeCborToUr(b));
}

/** axum's 413 text (hubert http/body.ts BODY_TOO_LARGE_TEXT, not exported by the package). */
const BODY_TOO_LARGE_TEXT = 'Failed to buffer the request body: length limit exceeded';

/** 4xx texts of the Hubert server → the field they name (server.rs texts; see http/app.ts). */
const HUBERT_REJECTIONS: readonly [RegExp, string][] = [
  [/^Invalid UTF-8$/, 'body(utf-8)'],
  [/^Expected at least 2 lines: ur:arid and ur:envelope$/, 'body(lines)'],
  [/^Invalid ur:arid$/, 'arid'],
  [/^Expected ur:arid$/, 'arid'],
  [/^Invalid ur:envelope$/, 'envelope'],
  [/^Invalid TTL$/, 'ttl'],
  [new RegExp(`^${BODY_TOO_LARGE_TEXT}$`), 'body(length)'],
  [/^Failed to buffer the request body: /, 'body'],
];

/**
 * How upstream's axum router treats a raw request-target (hubert-rust server.rs `Server::run`;
 * axum routes on `uri.path()` verbatim: no percent-decoding, no dot-segment removal; an
 * absolute-form target's path is the part after the authority): the route it reaches, or
 * undefined for a path no route serves (axum's empty 404).
 */
export function upstreamRoute(target: string): '/health' | '/put' | '/get' | undefined {
  let path: string;
  if (target.startsWith('/')) path = target.split(/[?#]/, 1)[0]!;
  else {
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    if (m === null) return undefined;
    path = target.slice(m[0].length).split(/[?#]/, 1)[0]! || '/';
  }
  return path === '/health' || path === '/put' || path === '/get' ? path : undefined;
}

/**
 * The routing oracle: a request-target upstream routes nowhere must get the router's empty 404,
 * whatever its method and body (a `/put/../get` answered as /get was a bug); a body over the
 * 2 MiB limit sent to /put or /get must get 413.
 * @returns a violation detail, or undefined when the answer fits.
 */
export function hubertRoutingViolation(
  method: string,
  target: string,
  status: number,
  body: string,
  bodyBytes: number,
): string | undefined {
  const route = upstreamRoute(target);
  if (route === undefined && status !== 404 && !(status === 400 && body === ''))
    return `${method} ${JSON.stringify(target)} reaches no upstream route but was answered ${status} ${JSON.stringify(body.slice(0, 80))}`;
  if (
    route !== undefined &&
    route !== '/health' &&
    method === 'POST' &&
    bodyBytes > 2 * 1024 * 1024 &&
    status !== 413 &&
    !(status === 400 && body === '')
  )
    return `a ${bodyBytes}-byte body to ${route} was answered ${status}, not 413`;
  return undefined;
}

/** What a Hubert answer was. */
export interface HubertVerdict {
  readonly label: string;
  readonly violation?: { readonly kind: 'server-error' | 'untyped-rejection'; readonly detail: string };
}

/**
 * Judge a Hubert answer: 200, 404 "Not found" and 409 "<arid> already exists" are outcomes;
 * 404/405 with an empty body are the router's refusals; a 400/413 must carry one of the texts
 * above. A 400 with an empty body from the live HTTP parser (malformed framing) is node's own
 * refusal, before the app. 5xx is a server error; anything else an unreadable refusal.
 */
export function judgeHubert(method: string, status: number, body: string): HubertVerdict {
  if (status === 200) return { label: 'accepted 200' };
  if (status === 404 && body === 'Not found') return { label: 'accepted 404 not found' };
  if (status === 409 && / already exists$/.test(body)) return { label: 'accepted 409 conflict' };
  if ((status === 404 || status === 405) && body === '') return { label: `rejected ${status}(path/method)` };
  if (method.toUpperCase() === 'HEAD' && body === '' && status < 500)
    return { label: `rejected ${status}(HEAD)` };
  if (status === 400 || status === 413)
    for (const [re, field] of HUBERT_REJECTIONS)
      if (re.test(body)) return { label: `rejected ${status}(${field})` };
  if (status >= 500)
    return {
      label: `${status}`,
      violation: { kind: 'server-error', detail: `${status} ${body.slice(0, 200)}` },
    };
  return {
    label: `${status}`,
    violation: { kind: 'untyped-rejection', detail: `${status} ${JSON.stringify(body.slice(0, 200))}` },
  };
}
