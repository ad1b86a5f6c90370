/**
 * Token sources exactly as OpenBao reads them (openbao http/handler.go getTokenFromReq): a
 * non-empty `X-Vault-Token`, else an `Authorization` value with the exact, case-sensitive prefix
 * `"Bearer "` (one space), the rest trimmed with strings.TrimSpace. One test per form.
 */
import { VirtualClock } from '@fanout/core';
import { describe, expect, it } from 'vitest';
import { createBaoApp, type BaoSimulator } from '../src/index.js';
import { call } from './helpers.js';

function fresh(): BaoSimulator {
  return createBaoApp({ clock: new VirtualClock(), seed: 1, tokens: ['root'] });
}

const create = (sim: BaoSimulator, name: string, headers: Record<string, string>) =>
  call(sim, 'POST', `/v1/secp256k1/keys/${name}`, {}, headers);

describe('accepted token forms', () => {
  it.each([
    ['X-Vault-Token: root', { 'X-Vault-Token': 'root' }],
    ['Authorization: Bearer root', { Authorization: 'Bearer root' }],
    // v[7:] is " root", and strings.TrimSpace makes it "root".
    ['Authorization: Bearer + two spaces', { Authorization: 'Bearer  root' }],
    // An empty X-Vault-Token is no token: the Authorization header is read next.
    ['empty X-Vault-Token, then Bearer root', { 'X-Vault-Token': '', Authorization: 'Bearer root' }],
    // A non-empty X-Vault-Token wins over any Authorization header.
    ['X-Vault-Token root beside a bad Bearer', { 'X-Vault-Token': 'root', Authorization: 'Bearer nope' }],
  ])('%s → 200', async (_label, headers) => {
    const sim = fresh();
    const r = await create(sim, 'k', headers);
    expect(r.status).toBe(200);
    expect(sim.keyNames()).toEqual(['k']);
  });
});

describe('refused token forms (403, nothing created)', () => {
  it.each([
    ['no token at all', {}],
    ['lower-case scheme "bearer root"', { Authorization: 'bearer root' }],
    ['upper-case scheme "BEARER root"', { Authorization: 'BEARER root' }],
    ['a tab after the scheme', { Authorization: 'Bearer\troot' }],
    ['no space after the scheme', { Authorization: 'Bearerroot' }],
    ['a colon after the scheme', { Authorization: 'Bearer:root' }],
    ['another scheme', { Authorization: 'Basic root' }],
    ['no scheme', { Authorization: 'root' }],
    ['the token followed by more text', { Authorization: 'Bearer root extra' }],
    ['a wrong X-Vault-Token beside a good Bearer', { 'X-Vault-Token': 'nope', Authorization: 'Bearer root' }],
    ['the X-Vault-Token in another case', { 'X-Vault-Token': 'ROOT' }],
  ])('%s → 403', async (_label, headers) => {
    const sim = fresh();
    const r = await create(sim, 'k', headers as Record<string, string>);
    expect(r.status).toBe(403);
    // A token the server does not know at all is a plain ErrPermissionDenied (vault/request_handling.go
    // fetchACLTokenEntryAndEntity → handleRequest: ErrorResponse(ctErr.Error())).
    expect(r.json).toEqual({ errors: ['permission denied'] });
    expect(sim.keyNames()).toEqual([]);
  });
});
