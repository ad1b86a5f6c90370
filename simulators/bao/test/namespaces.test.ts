/**
 * Namespaces as OpenBao resolves them: explicit creation, one plugin mount per namespace, the
 * header canonicalised by helper/namespace Canonicalize (one leading '/' trimmed, path.Clean, a
 * trailing '/'), "root" meaning the root namespace, namespaces named in the path as well as in
 * the header (vault/namespace_store.go ResolveNamespaceFromRequest), 404 "namespace not found"
 * otherwise (vault/request_handling.go switchedLockHandleRequest).
 */
import { VirtualClock } from '@fanout/core';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { canonicalNamespace, createBaoApp, type BaoAppOptions, type BaoSimulator } from '../src/index.js';
import { b64, call } from './helpers.js';

const ns = (n: string): Record<string, string> => ({ 'X-Vault-Token': 'root', 'X-Vault-Namespace': n });

function fresh(extra: Partial<BaoAppOptions> = {}): BaoSimulator {
  return createBaoApp({ clock: new VirtualClock(), seed: 2, ...extra });
}

describe('namespace existence and mounts', () => {
  it('answers 404 "namespace not found" for a namespace that was never created', async () => {
    const sim = fresh();
    const r = await call(sim, 'POST', '/v1/secp256k1/keys/k', {}, ns('team-a'));
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ errors: ['namespace not found'] });
    expect(sim.keyNames('team-a')).toEqual([]);
  });

  it('needs a plugin mount in each namespace: without one the route has no handler', async () => {
    const sim = fresh();
    sim.createNamespace('bare', { mountPlugin: false });
    const r = await call(sim, 'POST', '/v1/secp256k1/keys/k', {}, ns('bare'));
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ errors: ['no handler for route "secp256k1/keys/k". route entry not found.'] });
  });

  it('creates namespaces from the option, from the control and through sys/namespaces + sys/mounts', async () => {
    const sim = fresh({ namespaces: ['team-a'] });
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/k', {}, ns('team-a'))).status).toBe(200);
    expect(sim.createNamespace('/team-b/')).toBe('team-b/');
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/k', {}, ns('team-b'))).status).toBe(200);

    const created = await call(sim, 'POST', '/v1/sys/namespaces/team-c', {});
    expect(created.status).toBe(200);
    expect(created.json.data.path).toBe('team-c/');
    const before = await call(sim, 'POST', '/v1/secp256k1/keys/k', {}, ns('team-c'));
    expect(before.json.errors[0]).toMatch(/^no handler for route/);
    const mounted = await call(sim, 'POST', '/v1/sys/mounts/secp256k1', { type: 'secp256k1' }, ns('team-c'));
    expect(mounted.status).toBe(204);
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/k', {}, ns('team-c'))).status).toBe(200);
    // Creating a namespace needs the token like any other request.
    const anon = await call(sim, 'POST', '/v1/sys/namespaces/team-d', {}, {});
    expect(anon.status).toBe(403);
    expect(sim.namespaces()).toEqual(['', 'team-a/', 'team-b/', 'team-c/']);
  });

  it('refuses namespace names OpenBao refuses (spaces, reserved names, missing parent)', async () => {
    const sim = fresh();
    expect(() => sim.createNamespace('has space')).toThrow(/space/);
    expect(() => sim.createNamespace('sys')).toThrow(/reserved/);
    expect(() => sim.createNamespace('a/b')).toThrow(/parent/);
    expect(() => sim.createNamespace('')).toThrow(/root/);
    const r = await call(sim, 'POST', '/v1/sys/namespaces/auth', {});
    expect(r.status).toBe(400);
  });
});

describe('namespace spelling (Canonicalize) and resolution', () => {
  it('canonicalises like helper/namespace Canonicalize', () => {
    expect(canonicalNamespace('')).toBe('');
    expect(canonicalNamespace('/')).toBe('');
    expect(canonicalNamespace('team-a')).toBe('team-a/');
    expect(canonicalNamespace('/team-a/')).toBe('team-a/');
    expect(canonicalNamespace('team-a//')).toBe('team-a/');
    expect(canonicalNamespace('x/../team-a')).toBe('team-a/');
    expect(canonicalNamespace('a//b/./c')).toBe('a/b/c/');
    // Only ONE leading slash is trimmed: "//team-a" stays rooted and names no namespace.
    expect(canonicalNamespace('//team-a')).toBe('/team-a/');
  });

  it('reaches the same namespace through every spelling of it, and echoes the header', async () => {
    const sim = fresh({ namespaces: ['team-a'] });
    const made = await call(sim, 'POST', '/v1/secp256k1/keys/k', { exportable: true }, ns('team-a'));
    const pub = made.json.data.public_key;
    for (const spelling of [
      'team-a',
      '/team-a',
      'team-a/',
      '/team-a/',
      'team-a//',
      'x/../team-a',
      ' team-a ',
    ]) {
      const r = await call(sim, 'GET', '/v1/secp256k1/keys/k', undefined, ns(spelling));
      expect(r.status, spelling).toBe(200);
      expect(r.json.data.public_key, spelling).toBe(pub);
      expect(r.headers.get('x-vault-namespace'), spelling).toBe(spelling.trim());
      expect(r.headers.get('cache-control'), spelling).toBe('no-store');
    }
    // The namespace named in the path instead of the header, and split between both.
    const inPath = await call(sim, 'GET', '/v1/team-a/secp256k1/keys/k');
    expect(inPath.json.data.public_key).toBe(pub);
    expect(inPath.headers.get('x-vault-namespace')).toBeNull();
    expect(inPath.headers.get('cache-control')).toBe('no-store');
  });

  it('never reaches a namespace through a spelling that is not its own', async () => {
    const sim = fresh({ namespaces: ['team-a'] });
    await call(sim, 'POST', '/v1/secp256k1/keys/k', { exportable: true }, ns('team-a'));
    for (const spelling of ['//team-a', 'team a', 'TEAM-A', 'team-a/x', 'team', 'team-a.', '.']) {
      const r = await call(sim, 'GET', '/v1/secp256k1/keys/k', undefined, ns(spelling));
      expect(r.status, spelling).toBe(404);
      expect(r.json, spelling).toEqual({ errors: ['namespace not found'] });
    }
  });

  it('"root" is the root namespace', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/k', {});
    const r = await call(sim, 'GET', '/v1/secp256k1/keys/k', undefined, ns('root'));
    expect(r.status).toBe(200);
    expect(sim.namespaces()).toEqual(['']);
  });

  it('answers health with a namespace header 400 "operation unavailable in namespaces"', async () => {
    const sim = fresh({ namespaces: ['team-a'] });
    const r = await call(sim, 'GET', '/v1/sys/health', undefined, { 'X-Vault-Namespace': 'team-a' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ errors: ['operation unavailable in namespaces'] });
  });
});

describe('keys of one namespace are never reachable from another namespace', () => {
  const segment = fc.constantFrom('a', 'b', 'ab', 'a-b', 'a.b', 'root2');
  const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
  /** A spelling of canonical path `p` (no trailing slash) that OpenBao canonicalises back to it. */
  const spelling = (p: string) =>
    fc
      .record({
        lead: fc.boolean(),
        trail: fc.constantFrom('', '/', '//'),
        dots: fc.boolean(),
      })
      .map(({ lead, trail, dots }) => `${lead ? '/' : ''}${dots ? `./${p}` : p}${trail}`);

  it('create in A; read, sign and export through any spelling of B ≠ A never see the key', async () => {
    await assertProperty(
      fc.asyncProperty(
        fc
          .tuple(path, path)
          .filter(([a, b]) => a !== b)
          .chain(([a, b]) => fc.tuple(fc.constant(a), fc.constant(b), spelling(b))),
        async ([a, b, spelledB]) => {
          const sim = fresh();
          const made: string[] = [];
          // Create both namespaces and every ancestor (parents first).
          for (const p of [a, b]) {
            const parts = p.split('/');
            for (let i = 1; i <= parts.length; i++) {
              const q = parts.slice(0, i).join('/');
              if (!made.includes(q)) {
                sim.createNamespace(q);
                made.push(q);
              }
            }
          }
          const created = await call(sim, 'POST', '/v1/secp256k1/keys/k', { exportable: true }, ns(a));
          expect(created.status).toBe(200);
          const pub: string = created.json.data.public_key;
          const digest = b64(sha256(new Uint8Array([1])));
          const replies = [
            await call(sim, 'GET', '/v1/secp256k1/keys/k', undefined, ns(spelledB)),
            await call(sim, 'POST', '/v1/secp256k1/sign/k', { input: digest, prehashed: true }, ns(spelledB)),
            await call(sim, 'GET', '/v1/secp256k1/export/k', undefined, ns(spelledB)),
            await call(sim, 'GET', '/v1/secp256k1/keys?list=true', undefined, ns(spelledB)),
          ];
          for (const r of replies) {
            expect(r.status).not.toBe(200);
            expect(r.text.includes(pub)).toBe(false);
          }
          expect(sim.keyNames(b)).toEqual([]);
          expect(sim.keyNames(a)).toEqual(['k']);
        },
      ),
      { numRuns: 60 },
    );
  });
});
