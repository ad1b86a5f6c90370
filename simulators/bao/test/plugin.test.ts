/**
 * The popsigner secp256k1 plugin as OpenBao serves it: exactly the plugin's fields per route, the
 * plugin's routes (verify, sign-evm), its name regex, its validation order, the framework's field
 * decoding and warnings, and OpenBao's error forms and headers.
 *
 * Sources: popsigner plugin/secp256k1 path_keys.go (create/read/list fields), path_import.go,
 * path_export.go, path_sign.go (validation order), path_verify.go, path_sign_evm.go, crypto.go
 * (formatEthereumAddress, EIP-55); openbao sdk/framework/backend.go (route anchoring, ignored /
 * replaced parameter warnings, "Field validation failed"), sdk/framework/field_data.go (TypeBool
 * via mapstructure.WeakDecode), vault/router.go ("no handler for route"), http/handler.go
 * (respondOk: 204 with Content-Type), http/sys_health.go.
 */
import { VirtualClock } from '@fanout/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { createBaoApp, type BaoAppOptions, type BaoSimulator } from '../src/index.js';
import { b64, call, unb64 } from './helpers.js';

const SK_ONE = hexToBytes('0000000000000000000000000000000000000000000000000000000000000001');

function fresh(extra: Partial<BaoAppOptions> = {}): BaoSimulator {
  return createBaoApp({ clock: new VirtualClock(), seed: 3, ...extra });
}

const keysOf = (o: object): string[] => Object.keys(o).sort();

describe('response shapes: exactly the plugin fields', () => {
  it('create: name, public_key, address, eth_address, exportable, created_at (no imported)', async () => {
    const r = await call(fresh(), 'POST', '/v1/secp256k1/keys/k', {});
    expect(keysOf(r.json.data)).toEqual([
      'address',
      'created_at',
      'eth_address',
      'exportable',
      'name',
      'public_key',
    ]);
  });

  it('read adds imported', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/k', {});
    const r = await call(sim, 'GET', '/v1/secp256k1/keys/k');
    expect(keysOf(r.json.data)).toEqual([
      'address',
      'created_at',
      'eth_address',
      'exportable',
      'imported',
      'name',
      'public_key',
    ]);
    expect(r.json.data.imported).toBe(false);
  });

  it('LIST key_info entries have no imported', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/k', {});
    const r = await call(sim, 'LIST', '/v1/secp256k1/keys');
    expect(keysOf(r.json.data)).toEqual(['key_info', 'keys']);
    expect(keysOf(r.json.data.key_info.k)).toEqual([
      'address',
      'created_at',
      'eth_address',
      'exportable',
      'name',
      'public_key',
    ]);
  });

  it('import has no eth_address; export has neither eth_address nor exportable', async () => {
    const sim = fresh();
    const imp = await call(sim, 'POST', '/v1/secp256k1/keys/one/import', {
      ciphertext: b64(SK_ONE),
      exportable: true,
    });
    expect(keysOf(imp.json.data)).toEqual([
      'address',
      'created_at',
      'exportable',
      'imported',
      'name',
      'public_key',
    ]);
    const exp = await call(sim, 'GET', '/v1/secp256k1/export/one');
    expect(keysOf(exp.json.data)).toEqual([
      'address',
      'created_at',
      'imported',
      'keys',
      'name',
      'public_key',
    ]);
    expect(exp.json.data.keys).toEqual({ '1': b64(SK_ONE) });
  });

  it('eth_address is EIP-55 checksummed (key 1: 0x7E5F…5Bdf)', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/one/import', { ciphertext: b64(SK_ONE) });
    const r = await call(sim, 'GET', '/v1/secp256k1/keys/one');
    expect(r.json.data.eth_address).toBe('0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf');
  });
});

describe('key names: GenericNameRegex \\w(([\\w-.]+)?\\w)?', () => {
  it.each(['a@b', '-a', 'a-', '.a', 'a b', 'a%2Fb', 'é'])(
    '"%s" is an unsupported path (404)',
    async (name) => {
      const sim = fresh();
      const r = await call(sim, 'POST', `/v1/secp256k1/keys/${name}`, {});
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ errors: ['1 error occurred:\n\t* unsupported path\n\n'] });
      expect(sim.keyNames()).toEqual([]);
    },
  );

  it.each(['a', 'a.b-c_d', 'A9', '_'])('"%s" is a key name', async (name) => {
    expect((await call(fresh(), 'POST', `/v1/secp256k1/keys/${name}`, {})).status).toBe(200);
  });
});

describe('routes', () => {
  it('verify/:name answers valid / public_key for cosmos and DER signatures', async () => {
    const sim = fresh();
    const pub = (await call(sim, 'POST', '/v1/secp256k1/keys/v', {})).json.data.public_key;
    const digest = sha256(new Uint8Array([5]));
    const sig = (await call(sim, 'POST', '/v1/secp256k1/sign/v', { input: b64(digest), prehashed: true }))
      .json.data.signature;
    const der = (
      await call(sim, 'POST', '/v1/secp256k1/sign/v', {
        input: b64(digest),
        prehashed: true,
        output_format: 'der',
      })
    ).json.data.signature;
    const verify = (body: object) => call(sim, 'POST', '/v1/secp256k1/verify/v', body);
    const ok = await verify({ input: b64(digest), signature: sig, prehashed: true });
    expect(ok.status).toBe(200);
    expect(ok.json.data).toEqual({ public_key: pub, valid: true });
    expect((await verify({ input: b64(digest), signature: der, prehashed: true })).json.data.valid).toBe(
      true,
    );
    const other = sha256(new Uint8Array([6]));
    expect((await verify({ input: b64(other), signature: sig, prehashed: true })).json.data.valid).toBe(
      false,
    );
    expect(
      (await verify({ input: b64(digest), signature: b64(new Uint8Array(10)), prehashed: true })).json.data,
    ).toEqual({ public_key: pub, valid: false });
    expect((await verify({ input: b64(digest) })).json).toEqual({ errors: ['missing signature'] });
    expect((await verify({ signature: sig })).json).toEqual({ errors: ['missing input'] });
    expect(
      (await call(sim, 'POST', '/v1/secp256k1/verify/none', { input: 'AAAA', signature: sig })).json,
    ).toEqual({ errors: ['key not found'] });
  });

  it('sign-evm/:name answers v, r, s, v_int, public_key, eth_address (EIP-155 and legacy)', async () => {
    const sim = fresh();
    const made = (await call(sim, 'POST', '/v1/secp256k1/keys/e', {})).json.data;
    const hash = keccak_256(new Uint8Array([7]));
    for (const [chainId, base] of [
      [10, 10 * 2 + 35],
      [0, 27],
    ] as const) {
      const r = await call(sim, 'POST', '/v1/secp256k1/sign-evm/e', { hash: b64(hash), chain_id: chainId });
      expect(r.status).toBe(200);
      const d = r.json.data;
      expect(keysOf(d)).toEqual(['eth_address', 'public_key', 'r', 's', 'v', 'v_int']);
      expect(d.eth_address).toBe(made.eth_address);
      expect(d.public_key).toBe(made.public_key);
      expect(d.r).toMatch(/^[0-9a-f]{64}$/);
      const recovery = d.v_int - base;
      expect([0, 1]).toContain(recovery);
      expect(d.v).toBe(d.v_int.toString(16));
      const sig = new secp256k1.Signature(BigInt(`0x${d.r}`), BigInt(`0x${d.s}`)).addRecoveryBit(recovery);
      expect(sig.recoverPublicKey(hash).toHex(true)).toBe(made.public_key);
    }
    const short = await call(sim, 'POST', '/v1/secp256k1/sign-evm/e', { hash: b64(new Uint8Array(31)) });
    expect(short.json).toEqual({ errors: ['hash must be 32 bytes, got 31'] });
    expect((await call(sim, 'POST', '/v1/secp256k1/sign-evm/e', {})).json).toEqual({
      errors: ['missing hash'],
    });
  });

  it('keys/:name/config is an unsupported path (404), not a wrong method', async () => {
    const r = await call(fresh(), 'GET', '/v1/secp256k1/keys/k/config');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ errors: ['1 error occurred:\n\t* unsupported path\n\n'] });
  });

  it('a wrong operation on a plugin path is 405 in the wrapped form', async () => {
    const r = await call(fresh(), 'GET', '/v1/secp256k1/sign/k');
    expect(r.status).toBe(405);
    expect(r.json).toEqual({ errors: ['1 error occurred:\n\t* unsupported operation\n\n'] });
  });

  it('a path outside any mount has no handler (404)', async () => {
    const r = await call(fresh(), 'GET', '/v1/other/keys/x');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ errors: ['no handler for route "other/keys/x". route entry not found.'] });
  });

  it('sign looks the key up before it checks the output format', async () => {
    const r = await call(fresh(), 'POST', '/v1/secp256k1/sign/missing', {
      input: b64(new Uint8Array(32)),
      prehashed: true,
      output_format: 'jws',
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ errors: ['key not found'] });
  });

  it('DELETE answers 204 with Content-Type application/json and Cache-Control no-store', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/d', {});
    const r = await call(sim, 'DELETE', '/v1/secp256k1/keys/d');
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('a write to a path ending in "/" is refused before anything else', async () => {
    const r = await call(fresh(), 'POST', '/v1/secp256k1/keys/', {}, {});
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ errors: ["cannot write to a path ending in '/'"] });
  });
});

describe('framework fields', () => {
  it.each([
    ['1', true],
    ['t', true],
    ['TRUE', true],
    ['true', true],
    ['0', false],
    ['f', false],
    ['false', false],
    ['', false],
    [1, true],
    [0, false],
  ])('TypeBool takes exportable=%j as %s', async (value, expected) => {
    const sim = fresh();
    const r = await call(sim, 'POST', '/v1/secp256k1/keys/k', { exportable: value });
    expect(r.status).toBe(200);
    expect(r.json.data.exportable).toBe(expected);
  });

  it('TypeBool refuses other strings with 400 naming the field', async () => {
    const r = await call(fresh(), 'POST', '/v1/secp256k1/keys/k', { exportable: 'yes' });
    expect(r.status).toBe(400);
    expect(r.json.errors[0]).toMatch(/^error converting input for field "exportable": /);
    const s = await call(fresh(), 'POST', '/v1/secp256k1/sign/k', { input: 'AAAA', prehashed: 'maybe' });
    expect(s.status).toBe(400);
    expect(s.json.errors[0]).toMatch(
      /^Field validation failed: error converting input for field "prehashed": /,
    );
  });

  it('prehashed "true" as a string is true', async () => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/s', {});
    const r = await call(sim, 'POST', '/v1/secp256k1/sign/s', {
      input: b64(new Uint8Array(31)),
      prehashed: 'true',
    });
    expect(r.json).toEqual({ errors: ['prehashed input must be 32 bytes'] });
  });

  it('unknown parameters give a warning, in sorted order; a body "name" is replaced by the path', async () => {
    const sim = fresh();
    const r = await call(sim, 'POST', '/v1/secp256k1/keys/k', { zeta: 1, alpha: 'x', exportable: false });
    expect(r.status).toBe(200);
    expect(r.json.warnings).toEqual(['Endpoint ignored these unrecognized parameters: [alpha zeta]']);
    const named = await call(sim, 'POST', '/v1/secp256k1/keys/k2', { name: 'other' });
    expect(named.json.data.name).toBe('k2');
    expect(named.json.warnings).toEqual([
      "Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [name]",
    ]);
    const plain = await call(sim, 'GET', '/v1/secp256k1/keys/k');
    expect(plain.json.warnings).toBeNull();
  });
});

describe('health', () => {
  it('carries cluster_name and cluster_id while unsealed, neither while sealed', async () => {
    const sim = fresh();
    const up = await call(sim, 'GET', '/v1/sys/health', undefined, {});
    expect(up.json.cluster_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(typeof up.json.cluster_name).toBe('string');
    sim.setSealed(true);
    const down = await call(sim, 'GET', '/v1/sys/health', undefined, {});
    expect(down.status).toBe(503);
    expect(down.json.cluster_id).toBeUndefined();
    expect(down.json.cluster_name).toBeUndefined();
  });

  it.each(['?activecode=abc', '?standbycode=', '?sealedcode=1.5', '?standbyok=maybe'])(
    'answers a bad code query %s with 400 {"errors":[]}',
    async (q) => {
      const r = await call(fresh(), 'GET', `/v1/sys/health${q}`, undefined, {});
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ errors: [] });
    },
  );
});

describe('secp256k1 helpers stay in agreement with the plugin', () => {
  it('cosmos signatures of sign/:name verify with noble', async () => {
    const sim = fresh();
    const pub = hexToBytes((await call(sim, 'POST', '/v1/secp256k1/keys/n', {})).json.data.public_key);
    const digest = sha256(new Uint8Array([3]));
    const sig = unb64(
      (await call(sim, 'POST', '/v1/secp256k1/sign/n', { input: b64(digest), prehashed: true })).json.data
        .signature,
    );
    expect(secp256k1.verify(sig, digest, pub, { prehash: false })).toBe(true);
    expect(bytesToHex(pub)).toHaveLength(66);
  });
});
