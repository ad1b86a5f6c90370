import { hexToBytes } from '@noble/hashes/utils.js';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '@fanout/core';
import {
  BaoAuthError,
  BaoClient,
  BaoKeyExistsError,
  BaoKeyNotFoundError,
  BaoRequestError,
  BaoResponseError,
  BaoSealedError,
  BaoSignatureInvalidError,
  BaoUnavailableError,
  BaoValidationError,
  classifyBaoError,
} from '../src/index.js';
import {
  BASE,
  MOUNT,
  b64,
  envelope,
  keyData,
  mswKeyring,
  testPublic,
  testSecret,
  type SignBody,
} from './msw-bao.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe('BaoClient requests', () => {
  it('creates a key: POST /keys/:name with token, namespace and JSON body; parses the metadata', async () => {
    const seen: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = [];
    server.use(
      http.post(`${MOUNT}/keys/:name`, async ({ request, params }) => {
        seen.push({
          method: request.method,
          url: request.url,
          headers: Object.fromEntries(request.headers.entries()),
          body: await request.json(),
        });
        return HttpResponse.json(envelope(keyData(String(params.name), true)));
      }),
    );
    const { client } = mswKeyring({ namespace: 'team-a' });
    const info = await client.createKey('k-1', { exportable: true });
    expect(info.name).toBe('k-1');
    expect(info.publicKey).toEqual(testPublic('k-1'));
    expect(info.exportable).toBe(true);
    expect(info.createdAt).toBe('2025-01-01T00:00:00Z');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe(`${MOUNT}/keys/k-1`);
    expect(seen[0]!.headers['x-vault-token']).toBe('test-token');
    expect(seen[0]!.headers['x-vault-namespace']).toBe('team-a');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.body).toEqual({ exportable: true });
    // A per-call namespace overrides; '' sends none.
    await client.createKey('k-2', { namespace: 'other' });
    await client.createKey('k-3', { namespace: '' });
    expect(seen[1]!.headers['x-vault-namespace']).toBe('other');
    expect(seen[2]!.headers['x-vault-namespace']).toBeUndefined();
  });

  it('rejects invalid key names and options with BaoValidationError, before any request', async () => {
    const { client } = mswKeyring();
    await expect(client.getKey('a/b')).rejects.toMatchObject({ name: 'BaoValidationError', field: 'name' });
    // GenericNameRegex has no '@' (OpenBao answers such a path 404 unsupported path).
    await expect(client.getKey('a@b')).rejects.toMatchObject({ name: 'BaoValidationError', field: 'name' });
    await expect(client.getKey('')).rejects.toBeInstanceOf(BaoValidationError);
    await expect(client.sign('k', new Uint8Array(31), { prehashed: true })).rejects.toMatchObject({
      field: 'input',
    });
    await expect(client.importKey('k', new Uint8Array(31))).rejects.toMatchObject({ field: 'privateKey' });
    await expect(client.importKey('k', new Uint8Array(32))).rejects.toMatchObject({ field: 'privateKey' });
    expect(() => new BaoClient({ clock: realClock, address: 'not a url', token: 't' })).toThrow(/address/);
    expect(() => new BaoClient({ clock: realClock, address: 'ftp://x', token: 't' })).toThrow(/address/);
    expect(() => new BaoClient({ clock: realClock, address: BASE, token: '' })).toThrow(/token/);
    expect(() => new BaoClient({ clock: realClock, address: BASE, token: 't', timeoutMs: 0 })).toThrow(
      /timeoutMs/,
    );
    expect(() => new BaoClient({ clock: realClock, address: BASE, token: 't', mount: 'a/b' })).toThrow(
      /mount/,
    );
    expect(() => new BaoClient({ clock: realClock, address: BASE, token: 't', connections: 0 })).toThrow(
      /connections/,
    );
  });

  it.each([
    [403, { errors: ['permission denied'] }, BaoAuthError, 'rejected'],
    [400, { errors: ['key not found'] }, BaoKeyNotFoundError, 'rejected'],
    [404, { errors: ['key not found'] }, BaoKeyNotFoundError, 'rejected'],
    [404, { errors: ['unsupported path'] }, BaoRequestError, 'rejected'],
    // OpenBao 404s that are not a missing key (they also say "not found").
    [404, { errors: ['namespace not found'] }, BaoRequestError, 'rejected'],
    [
      404,
      { errors: ['no handler for route "secp256k1/keys/k". route entry not found.'] },
      BaoRequestError,
      'rejected',
    ],
    [404, { errors: ['1 error occurred:\n\t* unsupported path\n\n'] }, BaoRequestError, 'rejected'],
    [404, { errors: [] }, BaoKeyNotFoundError, 'rejected'],
    [404, '', BaoKeyNotFoundError, 'rejected'],
    [400, { errors: ['key already exists'] }, BaoKeyExistsError, 'rejected'],
    [400, { errors: ['prehashed input must be 32 bytes'] }, BaoRequestError, 'rejected'],
    [503, { errors: ['Vault is sealed'] }, BaoSealedError, 'failed'],
    [429, { errors: ['rate limit quota exceeded'] }, BaoUnavailableError, 'failed'],
    [500, { errors: ['internal error'] }, BaoUnavailableError, 'failed'],
    [502, 'Bad Gateway', BaoUnavailableError, 'failed'],
  ] as const)('maps HTTP %i %j to %o', async (status, body, Cls, klass) => {
    server.use(
      http.get(`${MOUNT}/keys/:name`, () =>
        typeof body === 'string'
          ? new HttpResponse(body, { status })
          : HttpResponse.json(body, { status, headers: { 'Retry-After': '2' } }),
      ),
    );
    const { client } = mswKeyring();
    const err = await client.getKey('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Cls);
    // BaoKeyNotFoundError is a BaoRequestError: the other 4xx must not be one.
    if ((Cls as unknown) !== BaoKeyNotFoundError) expect(err).not.toBeInstanceOf(BaoKeyNotFoundError);
    expect((err as BaoRequestError).status).toBe(status);
    if (typeof body !== 'string') expect((err as BaoRequestError).errors).toEqual(body.errors);
    else expect((err as BaoRequestError).errors).toEqual(body === '' ? [] : [body]);
    if (err instanceof BaoKeyNotFoundError) expect(err.keyName).toBe('k');
    if (status === 429) expect((err as BaoUnavailableError).retryAfterMs).toBe(2000);
    expect(classifyBaoError(err)).toBe(klass);
  });

  it('maps a network error to BaoUnavailableError', async () => {
    server.use(http.get(`${MOUNT}/keys/:name`, () => HttpResponse.error()));
    const err = await mswKeyring()
      .client.getKey('k')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoUnavailableError);
    expect((err as Error).message).toMatch(/network error/);
    expect((err as BaoUnavailableError).status).toBeUndefined();
  });

  it('rejects malformed 2xx bodies with BaoResponseError naming the field', async () => {
    const { client } = mswKeyring();
    server.use(http.get(`${MOUNT}/keys/:name`, () => new HttpResponse('<html>', { status: 200 })));
    await expect(client.getKey('k')).rejects.toMatchObject({ name: 'BaoResponseError', field: 'body' });
    server.use(
      http.get(`${MOUNT}/keys/:name`, () =>
        HttpResponse.json(envelope({ ...keyData('k'), public_key: 'zz' })),
      ),
    );
    await expect(client.getKey('k')).rejects.toMatchObject({ field: 'data.public_key' });
    const notOnCurve = `02${'00'.repeat(32)}`;
    server.use(
      http.get(`${MOUNT}/keys/:name`, () =>
        HttpResponse.json(envelope({ ...keyData('k'), public_key: notOnCurve })),
      ),
    );
    await expect(client.getKey('k')).rejects.toMatchObject({ field: 'data.public_key' });
    server.use(http.get(`${MOUNT}/keys/:name`, () => HttpResponse.json({ data: null })));
    await expect(client.getKey('k')).rejects.toBeInstanceOf(BaoResponseError);
  });
});

describe('BaoClient list / sign / export / health', () => {
  it('lists with GET ?list=true, reads key_info, and treats 404 {"errors":[]} as empty', async () => {
    const { client } = mswKeyring();
    server.use(
      http.get(`${MOUNT}/keys`, ({ request }) => {
        expect(new URL(request.url).searchParams.get('list')).toBe('true');
        return HttpResponse.json(
          envelope({ keys: ['a', 'b'], key_info: { a: keyData('a'), b: keyData('b') } }),
        );
      }),
    );
    const { keys, keyInfo } = await client.listKeys();
    expect(keys).toEqual(['a', 'b']);
    expect(keyInfo.get('b')!.publicKey).toEqual(testPublic('b'));
    server.use(http.get(`${MOUNT}/keys`, () => HttpResponse.json({ errors: [] }, { status: 404 })));
    expect(await client.listKeys()).toEqual({ keys: [], keyInfo: new Map() });
    server.use(
      http.get(`${MOUNT}/keys`, () => HttpResponse.json({ errors: ['unsupported path'] }, { status: 404 })),
    );
    await expect(client.listKeys()).rejects.toBeInstanceOf(BaoRequestError);
  });

  it('signs: sends base64 input with prehashed / hash_algorithm / output_format', async () => {
    const seen: SignBody[] = [];
    server.use(
      http.post(`${MOUNT}/sign/:name`, async ({ request }) => {
        seen.push((await request.json()) as SignBody);
        return HttpResponse.json(
          envelope({
            signature: b64(new Uint8Array(64).fill(1)),
            public_key: keyData('k').public_key,
            key_version: 1,
          }),
        );
      }),
    );
    const { client } = mswKeyring();
    const digest = new Uint8Array(32).fill(7);
    const out = await client.sign('k', digest, { prehashed: true });
    expect(out.signature).toEqual(new Uint8Array(64).fill(1));
    expect(out.publicKey).toEqual(testPublic('k'));
    expect(out.keyVersion).toBe(1);
    await client.sign('k', new Uint8Array([1, 2, 3]), { hashAlgorithm: 'keccak256' });
    expect(seen).toEqual([
      { input: b64(digest), prehashed: true, output_format: 'cosmos' },
      { input: 'AQID', prehashed: false, output_format: 'cosmos', hash_algorithm: 'keccak256' },
    ]);
  });

  it('rejects a cosmos signature that is not 64 bytes', async () => {
    server.use(
      http.post(`${MOUNT}/sign/:name`, () =>
        HttpResponse.json(envelope({ signature: b64(new Uint8Array(65)) })),
      ),
    );
    const err = await mswKeyring()
      .client.sign('k', new Uint8Array(32), { prehashed: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoSignatureInvalidError);
    expect((err as Error).message).toMatch(/got 65/);
  });

  it('exports data.keys versions and imports base64 ciphertext', async () => {
    let imported: unknown;
    server.use(
      http.get(`${MOUNT}/export/:name`, () =>
        HttpResponse.json(envelope({ ...keyData('x', true), keys: { '1': b64(testSecret('x')) } })),
      ),
      http.post(`${MOUNT}/keys/:name/import`, async ({ request }) => {
        imported = await request.json();
        return HttpResponse.json(envelope({ ...keyData('x'), imported: true }));
      }),
    );
    const { client } = mswKeyring();
    const ex = await client.exportKey('x');
    expect(ex.latest).toEqual(testSecret('x'));
    expect([...ex.keys.keys()]).toEqual([1]);
    const info = await client.importKey('x', testSecret('x'), { exportable: false });
    expect(info.imported).toBe(true);
    expect(imported).toEqual({ ciphertext: b64(testSecret('x')), exportable: false });
    server.use(
      http.get(`${MOUNT}/export/:name`, () =>
        HttpResponse.json(envelope({ ...keyData('x', true), keys: { '1': 'AAAA' } })),
      ),
    );
    await expect(client.exportKey('x')).rejects.toMatchObject({ field: 'data.keys.1' });
  });

  it('health: 200 → status; 503 → BaoSealedError; 429 / 501 → BaoUnavailableError', async () => {
    const { client } = mswKeyring();
    let status = 200;
    server.use(
      http.get(`${BASE}/v1/sys/health`, () =>
        HttpResponse.json(
          { initialized: status !== 501, sealed: status === 503, standby: status === 429, version: '2.4.0' },
          { status },
        ),
      ),
    );
    expect(await client.health()).toEqual({
      initialized: true,
      sealed: false,
      standby: false,
      version: '2.4.0',
    });
    status = 503;
    await expect(client.health()).rejects.toBeInstanceOf(BaoSealedError);
    status = 429;
    await expect(client.health()).rejects.toMatchObject({ name: 'BaoUnavailableError', status: 429 });
    status = 501;
    await expect(client.health()).rejects.toMatchObject({ name: 'BaoUnavailableError', status: 501 });
  });

  it('deletes with DELETE and accepts 204', async () => {
    let method = '';
    server.use(
      http.delete(`${MOUNT}/keys/:name`, ({ request }) => {
        method = request.method;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await expect(mswKeyring().client.deleteKey('gone')).resolves.toBeUndefined();
    expect(method).toBe('DELETE');
    expect(hexToBytes(keyData('gone').public_key as string)).toEqual(testPublic('gone'));
  });
});

describe('404 with empty errors on a key route', () => {
  it('is key-not-found for the keyring (read and sign), but an empty list on LIST', async () => {
    const empty404 = () => HttpResponse.json({ errors: [] }, { status: 404 });
    server.use(
      http.get(`${MOUNT}/keys/:name`, empty404),
      http.post(`${MOUNT}/sign/:name`, empty404),
      http.get(`${MOUNT}/keys`, empty404),
    );
    const { client, keyring } = mswKeyring();
    await expect(keyring.get('ghost')).rejects.toMatchObject({
      name: 'BaoKeyNotFoundError',
      keyName: 'ghost',
    });
    await expect(keyring.sign('ghost', new Uint8Array([1]))).rejects.toBeInstanceOf(BaoKeyNotFoundError);
    await expect(client.sign('ghost', new Uint8Array(32), { prehashed: true })).rejects.toMatchObject({
      name: 'BaoKeyNotFoundError',
      status: 404,
    });
    expect((await client.listKeys()).keys).toEqual([]);
  });
});
