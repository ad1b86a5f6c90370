/**
 * The oracles: which answers are refusals naming a field, which are server errors, how a raw
 * request's auth label follows its final bytes, and upstream Hubert's routing rule.
 */
import { describe, expect, it } from 'vitest';
import { judgeBao } from '../src/http/bao-judge.js';
import { hubertRoutingViolation, upstreamRoute } from '../src/http/hubert-grammar.js';
import { judgePrime } from '../src/http/prime-grammar.js';
import { openBaoRule, primeRule, relabelRaw } from '../src/http/request.js';

const errors = (...e: string[]): string => JSON.stringify({ errors: e });

describe('judgeBao', () => {
  it('reads refusals and flags 5xx and unreadable refusals', () => {
    expect(judgeBao('POST', '/v1/secp256k1/keys/k', 403, errors('permission denied')).label).toBe(
      'rejected 403(token)',
    );
    expect(
      judgeBao('POST', '/v1/secp256k1/sign/k', 400, errors('error converting input for field "prehashed": x'))
        .label,
    ).toBe('rejected 400(prehashed)');
    expect(judgeBao('POST', '/v1/sys/mounts/m', 500, errors('internal error: boom')).violation?.kind).toBe(
      'server-error',
    );
    expect(judgeBao('POST', '/v1/x', 400, errors('something new')).violation?.kind).toBe('untyped-rejection');
    expect(judgeBao('GET', '/v1/sys/health?activecode=500', 500, '{}').violation).toBeUndefined();
    expect(judgeBao('GET', '/v1/./secp256k1/keys?list=true', 200, '{}').privileged).toBe(true);
    expect(judgeBao('GET', '/v1/./sys/health', 200, '{}').privileged).toBe(false);
  });
});

describe('judgePrime', () => {
  it('marks a 2xx on a guarded route as privileged, after path normalisation', () => {
    expect(judgePrime('POST', '/nodes/../rounds', 200, '{}').privileged).toBe(true);
    expect(judgePrime('GET', '/status', 200, '{}').privileged).toBe(false);
    expect(judgePrime('POST', '/nodes', 401, '{"error":"unauthorized"}').label).toBe('rejected 401(token)');
    expect(judgePrime('POST', '/train', 500, '{"error":"x"}').violation?.kind).toBe('server-error');
  });
});

describe('relabelRaw', () => {
  const token = 'fz0123456789';
  const bao = openBaoRule(token);
  const raw = (head: string): Uint8Array => Buffer.from(`POST /v1/x HTTP/1.1\r\n${head}\r\n\r\n`, 'latin1');
  it('follows OpenBao: exact "Bearer " prefix, X-Vault-Token first', () => {
    expect(relabelRaw(raw(`Authorization: bearer ${token}`), token, bao)).toBe('invalid');
    expect(relabelRaw(raw(`Authorization: Bearer ${token}`), token, bao)).toBe('valid');
    expect(relabelRaw(raw(`X-Vault-Token: wrong\r\nAuthorization: Bearer ${token}`), token, bao)).toBe(
      'invalid',
    );
    expect(relabelRaw(raw('X-Vault-Token: wrong'), token, bao)).toBe('invalid');
  });
  it('re-labels a bit flip that turns "bearer" into "Bearer" as valid (no false bypass)', () => {
    const b = raw(`Authorization: bearer ${token}`);
    const at = Buffer.from(b).indexOf('bearer');
    b[at] = b[at]! ^ 0x20;
    expect(relabelRaw(b, token, bao)).toBe('valid');
  });
  it('calls a malformed head holding the token ambiguous, and a request without the token invalid', () => {
    expect(relabelRaw(raw(`X-A: 1\nX-Vault-Token: ${token}`), token, bao)).toBe('ambiguous');
    expect(relabelRaw(raw('X-A: 1\nbroken'), token, bao)).toBe('invalid');
  });
  it('follows the Prime apps: exactly one "Bearer <token>"', () => {
    const prime = primeRule(token);
    expect(relabelRaw(raw(`authorization: Bearer ${token}`), token, prime)).toBe('valid');
    expect(relabelRaw(raw(`Authorization: Bearer  ${token}`), token, prime)).toBe('invalid');
  });
});

describe('upstream Hubert routing', () => {
  it('routes on the raw path: no dot segments, no percent-decoding; absolute form by its path', () => {
    expect(upstreamRoute('/get')).toBe('/get');
    expect(upstreamRoute('/put/../get')).toBeUndefined();
    expect(upstreamRoute('/%2e%2e/get')).toBeUndefined();
    expect(upstreamRoute('/%67et')).toBeUndefined();
    expect(upstreamRoute('http://evil/get?x')).toBe('/get');
    expect(upstreamRoute('*')).toBeUndefined();
  });
  it('flags a traversal answered as /get, and an oversized body not answered 413', () => {
    expect(hubertRoutingViolation('POST', '/put/../get', 400, 'Invalid ur:arid', 10)).toMatch(
      /reaches no upstream route/,
    );
    expect(hubertRoutingViolation('POST', '/put/../get', 404, '', 10)).toBeUndefined();
    expect(hubertRoutingViolation('POST', '/put', 400, 'Invalid ur:arid', 10 * 1024 * 1024)).toMatch(
      /not 413/,
    );
    expect(hubertRoutingViolation('POST', '/put', 413, 'x', 10 * 1024 * 1024)).toBeUndefined();
  });
});
