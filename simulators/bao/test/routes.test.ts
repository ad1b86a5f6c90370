import { VirtualClock, type FetchHandler, type FetchLike } from '@fanout/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { createBaoApp, type BaoAppOptions, type BaoSimulator } from '../src/index.js';
import { b64, call, unb64 } from './helpers.js';

const ENVELOPE_KEYS = [
  'auth',
  'data',
  'lease_duration',
  'lease_id',
  'renewable',
  'request_id',
  'warnings',
  'wrap_info',
];
// Private key 1: public key = the generator G.
const SK_ONE = hexToBytes('0000000000000000000000000000000000000000000000000000000000000001');

function fresh(extra: Partial<BaoAppOptions> = {}): BaoSimulator {
  return createBaoApp({ clock: new VirtualClock(), seed: 20, ...extra });
}

describe('keys: create / read / list / delete', () => {
  it('creates a key with the OpenBao envelope and correct derived fields', async () => {
    const sim = fresh();
    const r = await call(sim, 'POST', '/v1/secp256k1/keys/alice', { exportable: false });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(ENVELOPE_KEYS);
    expect(r.json).toMatchObject({
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      wrap_info: null,
      warnings: null,
      auth: null,
    });
    expect(r.json.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    const d = r.json.data;
    expect(d.name).toBe('alice');
    expect(d.exportable).toBe(false);
    expect(d).not.toHaveProperty('imported');
    const pub = hexToBytes(d.public_key);
    expect(pub.length).toBe(33);
    expect([2, 3]).toContain(pub[0]);
    expect(secp256k1.utils.isValidPublicKey(pub, true)).toBe(true);
    expect(d.address).toMatch(/^[0-9a-f]{40}$/);
    expect(d.eth_address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(d.created_at).toBe('2025-01-01T00:00:00Z');

    const read = await call(sim, 'GET', '/v1/secp256k1/keys/alice');
    expect(read.status).toBe(200);
    expect(read.json.data).toEqual({ ...d, imported: false });
  });

  it('derives the Cosmos and Ethereum addresses of known key 1 (known vectors)', async () => {
    const sim = fresh();
    const r = await call(sim, 'POST', '/v1/secp256k1/keys/one/import', { ciphertext: b64(SK_ONE) });
    expect(r.status).toBe(200);
    expect(r.json.data.public_key).toBe('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
    // hash160 of G (compressed): the well-known 1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH payload.
    expect(r.json.data.address).toBe('751e76e8199196d454941c45d1b3a323f1433bd6');
    expect(r.json.data.imported).toBe(true);
    // The import answer has no eth_address (path_import.go); a read has it.
    const read = await call(sim, 'GET', '/v1/secp256k1/keys/one');
    expect(read.json.data.eth_address).toBe('0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf');
  });

  it('rejects a duplicate create, bad JSON and mistyped fields with 400, and keeps serving', async () => {
    const sim = fresh();
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/k', {})).status).toBe(200);
    const dup = await call(sim, 'POST', '/v1/secp256k1/keys/k', {});
    expect(dup.status).toBe(400);
    expect(dup.json).toEqual({ errors: ['key already exists'] });
    const bad = await call(sim, 'POST', '/v1/secp256k1/keys/k2', '{"exportable":');
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0]).toMatch(/^failed to parse JSON input/);
    const typed = await call(sim, 'POST', '/v1/secp256k1/keys/k3', { exportable: 'yes' });
    expect(typed.status).toBe(400);
    expect(typed.json.errors[0]).toContain('"exportable"');
    const arr = await call(sim, 'POST', '/v1/secp256k1/keys/k4', '[1,2]');
    expect(arr.status).toBe(400);
    expect(
      (await call(sim, 'POST', '/v1/secp256k1/keys/k5', { exportable: 'true' })).json.data.exportable,
    ).toBe(true);
    expect(sim.keyNames()).toEqual(['k', 'k5']);
  });

  it('answers 400 "key not found" for a missing key, or 404 when asked', async () => {
    const r400 = await call(fresh(), 'GET', '/v1/secp256k1/keys/nope');
    expect(r400.status).toBe(400);
    expect(r400.json).toEqual({ errors: ['key not found'] });
    const sim404 = fresh({ missingKeyStatus: 404 });
    const r404 = await call(sim404, 'GET', '/v1/secp256k1/keys/nope');
    expect(r404.status).toBe(404);
    expect(r404.json).toEqual({ errors: ['key not found'] });
    const s404 = await call(sim404, 'POST', '/v1/secp256k1/sign/nope', {
      input: b64(new Uint8Array(32)),
      prehashed: true,
    });
    expect(s404.status).toBe(404);
    expect(() => createBaoApp({ clock: new VirtualClock(), seed: 1, missingKeyStatus: 500 as 400 })).toThrow(
      RangeError,
    );
  });

  it('lists keys by LIST and by GET ?list=true, with key_info; empty list is 404 {"errors":[]}', async () => {
    const sim = fresh();
    const empty = await call(sim, 'LIST', '/v1/secp256k1/keys');
    expect(empty.status).toBe(404);
    expect(empty.json).toEqual({ errors: [] });
    for (const n of ['b', 'a', 'c']) await call(sim, 'POST', `/v1/secp256k1/keys/${n}`, {});
    for (const [m, p] of [
      ['LIST', '/v1/secp256k1/keys'],
      ['LIST', '/v1/secp256k1/keys/'],
      ['GET', '/v1/secp256k1/keys?list=true'],
      ['GET', '/v1/secp256k1/keys/?list=true'],
    ] as const) {
      const r = await call(sim, m, p);
      expect(r.status, `${m} ${p}`).toBe(200);
      expect(r.json.data.keys).toEqual(['a', 'b', 'c']);
      expect(Object.keys(r.json.data.key_info).sort()).toEqual(['a', 'b', 'c']);
      expect(r.json.data.key_info.a.public_key).toMatch(/^0[23][0-9a-f]{64}$/);
    }
    expect((await call(sim, 'GET', '/v1/secp256k1/keys')).status).toBe(405);
  });

  it('deletes with 204 (also for a missing key)', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/gone', {});
    const del = await call(sim, 'DELETE', '/v1/secp256k1/keys/gone');
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await call(sim, 'GET', '/v1/secp256k1/keys/gone')).status).toBe(400);
    expect((await call(sim, 'DELETE', '/v1/secp256k1/keys/gone')).status).toBe(204);
    expect(sim.keyNames()).toEqual([]);
  });

  it('takes created_at from the injected clock, never the wall clock', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const sim = createBaoApp({ clock, seed: 21, epochMs: 1_000_000_000_000 });
    const a = await call(sim, 'POST', '/v1/secp256k1/keys/a', {});
    await clock.advance(5_000);
    const b = await call(sim, 'POST', '/v1/secp256k1/keys/b', {});
    expect(a.json.data.created_at).toBe('2001-09-09T01:46:40Z');
    expect(b.json.data.created_at).toBe('2001-09-09T01:46:45Z');
  });

  it('derives keys from the rng: same seed, same keys; other seed, other keys', async () => {
    const pubs = async (sim: BaoSimulator): Promise<string[]> => {
      const out: string[] = [];
      for (const n of ['x', 'y'])
        out.push((await call(sim, 'POST', `/v1/secp256k1/keys/${n}`, {})).json.data.public_key);
      return out;
    };
    const a = await pubs(createBaoApp({ clock: new VirtualClock(), seed: 7 }));
    const b = await pubs(createBaoApp({ clock: new VirtualClock(), seed: 7 }));
    const c = await pubs(createBaoApp({ clock: new VirtualClock(), seed: 8 }));
    expect(a).toEqual(b);
    expect(a[0]).not.toBe(a[1]);
    expect(c[0]).not.toBe(a[0]);
    const bad = createBaoApp({ clock: new VirtualClock(), rng: (n) => new Uint8Array(n - 1) });
    const r = await call(bad, 'POST', '/v1/secp256k1/keys/z', {});
    expect(r.status).toBe(500);
    expect(r.json.errors[0]).toContain('rng(48)');
  });
});

describe('sign', () => {
  async function withKey(): Promise<{ sim: BaoSimulator; pub: Uint8Array }> {
    const sim = fresh();
    const r = await call(sim, 'POST', '/v1/secp256k1/keys/signer', {});
    return { sim, pub: hexToBytes(r.json.data.public_key) };
  }

  it('signs a prehashed 32-byte digest: 64-byte low-S R‖S that verifies', async () => {
    const { sim, pub } = await withKey();
    const digest = sha256(new TextEncoder().encode('tx bytes'));
    const r = await call(sim, 'POST', '/v1/secp256k1/sign/signer', {
      input: b64(digest),
      prehashed: true,
      output_format: 'cosmos',
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(ENVELOPE_KEYS);
    expect(r.json.data.key_version).toBe(1);
    expect(r.json.data.public_key).toBe(bytesToHex(pub));
    const sig = unb64(r.json.data.signature);
    expect(sig.length).toBe(64);
    expect(secp256k1.verify(sig, digest, pub, { prehash: false, lowS: true })).toBe(true);
    // RFC 6979: deterministic.
    const again = await call(sim, 'POST', '/v1/secp256k1/sign/signer', {
      input: b64(digest),
      prehashed: true,
    });
    expect(again.json.data.signature).toBe(r.json.data.signature);
  });

  it('hashes with sha256 by default and keccak256 on request', async () => {
    const { sim, pub } = await withKey();
    const msg = new TextEncoder().encode('hello');
    const s1 = unb64(
      (await call(sim, 'POST', '/v1/secp256k1/sign/signer', { input: b64(msg) })).json.data.signature,
    );
    expect(secp256k1.verify(s1, sha256(msg), pub, { prehash: false })).toBe(true);
    const s2 = unb64(
      (await call(sim, 'POST', '/v1/secp256k1/sign/signer', { input: b64(msg), hash_algorithm: 'keccak256' }))
        .json.data.signature,
    );
    expect(secp256k1.verify(s2, keccak_256(msg), pub, { prehash: false })).toBe(true);
    expect(secp256k1.verify(s2, sha256(msg), pub, { prehash: false })).toBe(false);
  });

  it('returns DER on output_format der', async () => {
    const { sim, pub } = await withKey();
    const digest = sha256(new Uint8Array([1, 2, 3]));
    const r = await call(sim, 'POST', '/v1/secp256k1/sign/signer', {
      input: b64(digest),
      prehashed: true,
      output_format: 'der',
    });
    const der = unb64(r.json.data.signature);
    expect(der[0]).toBe(0x30);
    expect(secp256k1.verify(der, digest, pub, { prehash: false, format: 'der' })).toBe(true);
  });

  it.each([
    [{ prehashed: true, input: b64(new Uint8Array(31)) }, 'prehashed input must be 32 bytes'],
    [{ prehashed: true, input: b64(new Uint8Array(33)) }, 'prehashed input must be 32 bytes'],
    [{}, 'missing input'],
    [{ input: '' }, 'missing input'],
    [{ input: 'not base64!' }, 'invalid input: not valid base64'],
    [{ input: 'AAA' }, 'invalid input: not valid base64'],
    [{ input: 'AAAA', hash_algorithm: 'md5' }, 'unsupported hash algorithm: md5'],
    [{ input: 'AAAA', output_format: 'jws' }, 'unsupported output format: jws'],
  ])('rejects %j with 400 "%s"', async (body, message) => {
    const { sim } = await withKey();
    const r = await call(sim, 'POST', '/v1/secp256k1/sign/signer', body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ errors: [message] });
  });

  it('answers 400 "key not found" for a missing key', async () => {
    const r = await call(fresh(), 'POST', '/v1/secp256k1/sign/ghost', {
      input: b64(new Uint8Array(32)),
      prehashed: true,
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ errors: ['key not found'] });
  });
});

describe('import / export', () => {
  it('exports an exportable key as data.keys["1"] and refuses a non-exportable one', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/ex', { exportable: true });
    await call(sim, 'POST', '/v1/secp256k1/keys/nx', { exportable: false });
    const ex = await call(sim, 'GET', '/v1/secp256k1/export/ex');
    expect(ex.status).toBe(200);
    const sk = unb64(ex.json.data.keys['1']);
    expect(sk.length).toBe(32);
    expect(bytesToHex(secp256k1.getPublicKey(sk, true))).toBe(ex.json.data.public_key);
    const nx = await call(sim, 'GET', '/v1/secp256k1/export/nx');
    expect(nx.status).toBe(400);
    expect(nx.json).toEqual({ errors: ['key is not exportable'] });
    expect((await call(sim, 'GET', '/v1/secp256k1/export/none')).json).toEqual({ errors: ['key not found'] });
  });

  it('round-trips export → import under another name with the same public key', async () => {
    const sim = fresh();
    const created = await call(sim, 'POST', '/v1/secp256k1/keys/orig', { exportable: true });
    const sk = (await call(sim, 'GET', '/v1/secp256k1/export/orig')).json.data.keys['1'];
    const imp = await call(sim, 'POST', '/v1/secp256k1/keys/copy/import', {
      ciphertext: sk,
      exportable: false,
    });
    expect(imp.status).toBe(200);
    expect(imp.json.data.public_key).toBe(created.json.data.public_key);
    expect(imp.json.data.exportable).toBe(false);
    expect((await call(sim, 'GET', '/v1/secp256k1/export/copy')).status).toBe(400);
  });

  it.each([
    [{}, 'missing ciphertext'],
    [{ ciphertext: '%%%' }, 'invalid ciphertext: not valid base64'],
    [{ ciphertext: b64(new Uint8Array(31)) }, 'invalid secp256k1 key: private key must be 32 bytes, got 31'],
    [{ ciphertext: b64(new Uint8Array(32)) }, 'invalid secp256k1 key: scalar out of range'],
    [
      { ciphertext: b64(hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')) },
      'invalid secp256k1 key: scalar out of range',
    ],
  ])('rejects import body %j with 400 "%s"', async (body, message) => {
    const r = await call(fresh(), 'POST', '/v1/secp256k1/keys/imp/import', body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ errors: [message] });
  });

  it('refuses to import over an existing key', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/taken', {});
    const r = await call(sim, 'POST', '/v1/secp256k1/keys/taken/import', { ciphertext: b64(SK_ONE) });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ errors: ['key already exists'] });
  });
});

describe('auth, namespaces, paths', () => {
  it('answers 403 permission denied without or with a bad token; accepts Bearer', async () => {
    const sim = fresh({ tokens: ['s.good'] });
    const attempts: Record<string, string>[] = [
      {},
      { 'X-Vault-Token': 'root' },
      { Authorization: 'Bearer nope' },
      { Authorization: 'Basic s.good' },
    ];
    for (const headers of attempts) {
      const r = await call(sim, 'POST', '/v1/secp256k1/keys/a', {}, headers);
      expect(r.status).toBe(403);
      expect(r.json).toEqual({ errors: ['permission denied'] });
    }
    expect((await call(sim, 'GET', '/v1/unknown/thing', undefined, {})).status).toBe(403);
    expect(
      (await call(sim, 'POST', '/v1/secp256k1/keys/a', {}, { Authorization: 'Bearer s.good' })).status,
    ).toBe(200);
    expect(
      (await call(sim, 'GET', '/v1/secp256k1/keys/a', undefined, { 'X-Vault-Token': 's.good' })).status,
    ).toBe(200);
    expect(sim.keyNames()).toEqual(['a']);
    expect(() => createBaoApp({ clock: new VirtualClock(), seed: 1, tokens: [] })).toThrow(RangeError);
  });

  it('keeps keys separate per X-Vault-Namespace', async () => {
    const sim = fresh({ namespaces: ['team-a', 'team-b'] });
    const ns = (n: string): Record<string, string> => ({ 'X-Vault-Token': 'root', 'X-Vault-Namespace': n });
    const a = await call(sim, 'POST', '/v1/secp256k1/keys/same', {}, ns('team-a'));
    const b = await call(sim, 'POST', '/v1/secp256k1/keys/same', {}, ns('/team-b/'));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.json.data.public_key).not.toBe(b.json.data.public_key);
    expect((await call(sim, 'GET', '/v1/secp256k1/keys/same')).status).toBe(400);
    expect(
      (await call(sim, 'GET', '/v1/secp256k1/keys/same', undefined, ns('team-b'))).json.data.public_key,
    ).toBe(b.json.data.public_key);
    expect(sim.keyNames('team-a')).toEqual(['same']);
    expect(sim.keyNames()).toEqual([]);
  });

  it('404s unknown paths and invalid key names, 405s wrong methods, 415s a JSON PATCH', async () => {
    const sim = fresh();
    expect((await call(sim, 'GET', '/v1/other/keys/x')).json).toEqual({
      errors: ['no handler for route "other/keys/x". route entry not found.'],
    });
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/-bad', {})).status).toBe(404);
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/bad%2Fname', {})).status).toBe(404);
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/ok.name_x-1', {})).status).toBe(200);
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/ok.name@x-1', {})).status).toBe(404);
    // PATCH needs application/merge-patch+json (http/logical.go); with it, keys/:name has no patch operation.
    const patch = await call(sim, 'PATCH', '/v1/secp256k1/keys/x', {});
    expect(patch.status).toBe(415);
    expect(patch.json).toEqual({
      errors: ['PATCH requires Content-Type of application/merge-patch+json, provided application/json'],
    });
    const merge = await call(
      sim,
      'PATCH',
      '/v1/secp256k1/keys/x',
      {},
      {
        'X-Vault-Token': 'root',
        'Content-Type': 'application/merge-patch+json',
      },
    );
    expect(merge.status).toBe(405);
    expect(merge.json).toEqual({ errors: ['1 error occurred:\n\t* unsupported operation\n\n'] });
    expect((await call(sim, 'GET', '/v1/secp256k1/sign/x')).status).toBe(405);
    expect((await call(sim, 'OPTIONS', '/v1/secp256k1/keys/x')).json).toEqual({ errors: [] });
  });
});

describe('health and seal switches', () => {
  it('answers 200 / 429 / 501 / 503 and honours standbyok and code overrides', async () => {
    const sim = fresh();
    const h = async (q = ''): Promise<number> =>
      (await call(sim, 'GET', `/v1/sys/health${q}`, undefined, {})).status;
    expect(await h()).toBe(200);
    const body = (await call(sim, 'GET', '/v1/sys/health', undefined, {})).json;
    expect(body).toMatchObject({ initialized: true, sealed: false, standby: false });
    sim.setStandby(true);
    expect(await h()).toBe(429);
    expect(await h('?standbyok=true')).toBe(200);
    expect(await h('?standbycode=299')).toBe(299);
    sim.setSealed(true);
    expect(await h()).toBe(503);
    expect(await h('?sealedcode=200')).toBe(200);
    sim.setInitialized(false);
    expect(await h()).toBe(501);
    sim.setInitialized(true);
    sim.setSealed(false);
    sim.setStandby(false);
    expect(await h()).toBe(200);
    const head = await sim.fetch('http://bao.sim/v1/sys/health', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('answers every API call 503 "Vault is sealed" while sealed, before checking the token', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/k', {});
    sim.setSealed(true);
    for (const [m, p] of [
      ['GET', '/v1/secp256k1/keys/k'],
      ['POST', '/v1/secp256k1/sign/k'],
      ['LIST', '/v1/secp256k1/keys'],
    ] as const) {
      const r = await call(sim, m, p, m === 'POST' ? { input: 'AAAA' } : undefined, {});
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ errors: ['Vault is sealed'] });
    }
    sim.setSealed(false);
    sim.setInitialized(false);
    expect((await call(sim, 'GET', '/v1/secp256k1/keys/k')).json).toEqual({
      errors: ['Vault is not initialized'],
    });
    sim.setInitialized(true);
    expect((await call(sim, 'GET', '/v1/secp256k1/keys/k')).status).toBe(200);
  });
});

describe('fetch handler shapes', () => {
  it('app.fetch is a @fanout/core FetchHandler and sim.fetch a FetchLike', async () => {
    const sim = fresh();
    const handler: FetchHandler = sim.app.fetch;
    const fetchLike: FetchLike = sim.fetch;
    expect((await handler(new Request('http://bao.sim/v1/sys/health'))).status).toBe(200);
    const req = new Request('http://bao.sim/v1/secp256k1/keys/h', {
      method: 'POST',
      headers: { 'X-Vault-Token': 'root' },
      body: '{}',
    });
    expect((await fetchLike(req)).status).toBe(200);
    expect(
      (
        await fetchLike(new URL('http://bao.sim/v1/secp256k1/keys/h'), {
          headers: { 'X-Vault-Token': 'root' },
        })
      ).status,
    ).toBe(200);
  });
});

describe('Content-Length (Go net/http: computed for a body that fits its 2048-byte chunking buffer)', () => {
  it('a small reply declares its UTF-8 byte length; a longer one declares none (chunked); 204 none', async () => {
    const sim = fresh();
    const small = await call(sim, 'POST', '/v1/secp256k1/keys/alice', {});
    expect(small.status).toBe(200);
    expect(small.headers.get('content-length')).toBe(String(new TextEncoder().encode(small.text).length));
    // A list of 60 keys with 40-character names: over 2048 bytes of body.
    for (let i = 0; i < 60; i++)
      await call(sim, 'POST', `/v1/secp256k1/keys/${String(i).padStart(40, 'k')}`, {});
    const long = await call(sim, 'LIST', '/v1/secp256k1/keys');
    expect(long.json.data.keys).toHaveLength(61);
    expect(long.text.length).toBeGreaterThan(2048);
    expect(long.headers.get('content-length')).toBeNull();
    const gone = await call(sim, 'DELETE', '/v1/secp256k1/keys/alice');
    expect([gone.status, gone.headers.get('content-length')]).toEqual([204, null]);
  });
});
