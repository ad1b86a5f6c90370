/**
 * Request size: OpenBao reads a body through http.MaxBytesReader with max_request_size (default
 * 32 MiB, openbao http/handler.go DefaultMaxRequestSize, http/util.go wrapMaxRequestSizeHandler)
 * and answers an oversized one 413 `failed to parse JSON input: http: request body too large`
 * (http/handler.go parseJSONRequest; sdk/logical/response_util.go AdjustErrorStatusCode turns
 * "http: request body too large" into 413). The simulator stops reading at the limit, and no
 * input (large, deep or malformed) makes it answer 5xx.
 */
import { VirtualClock } from '@fanout/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { BufferedRequest } from '@fanout/sim';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  createBaoApp,
  type BaoAppOptions,
  type BaoSimulator,
} from '../src/index.js';
import { b64, call, unb64 } from './helpers.js';

const TOO_LARGE = { errors: ['failed to parse JSON input: http: request body too large'] };

function fresh(extra: Partial<BaoAppOptions> = {}): BaoSimulator {
  return createBaoApp({ clock: new VirtualClock(), seed: 4, ...extra });
}

describe('body limit', () => {
  it('is 32 MiB by default, as OpenBao', () => {
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(32 * 1024 * 1024);
  });

  it('answers a body over the limit 413 with OpenBao text, before the token is checked', async () => {
    const sim = fresh({ maxRequestBytes: 1024 });
    const body = JSON.stringify({ input: 'A'.repeat(2000) });
    for (const headers of [{ 'X-Vault-Token': 'root' }, {}] as Record<string, string>[]) {
      const r = await call(sim, 'POST', '/v1/secp256k1/sign/k', body, headers);
      expect(r.status).toBe(413);
      expect(r.json).toEqual(TOO_LARGE);
    }
    // Exactly at the limit is fine.
    const exact = `{"exportable":false${' '.repeat(1024 - 20)}}`;
    expect(exact.length).toBe(1024);
    expect((await call(sim, 'POST', '/v1/secp256k1/keys/k', exact)).status).toBe(200);
  });

  it('stops reading at the limit: a streamed body is cancelled, not read to its end', async () => {
    const sim = fresh({ maxRequestBytes: 64 * 1024 });
    let pulled = 0;
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 10_000) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await sim.fetch('http://bao.sim/v1/secp256k1/keys/k', {
      method: 'POST',
      headers: { 'X-Vault-Token': 'root' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(TOO_LARGE);
    expect(pulled).toBeLessThan(20);
  });

  it('the same limit for a body the simulated network holds whole (BufferedRequest)', async () => {
    const sim = fresh({ maxRequestBytes: 1024 });
    const send = (body: string) =>
      sim.app.fetch(
        BufferedRequest.from('http://bao.sim/v1/secp256k1/keys/k', {
          method: 'POST',
          headers: { 'X-Vault-Token': 'root' },
          body,
        }),
      );
    const over = await send(JSON.stringify({ input: 'A'.repeat(2000) }));
    expect([over.status, await over.json()]).toEqual([413, TOO_LARGE]);
    // 1,024 bytes of UTF-8 (é is two): at the limit, accepted; one byte more is not.
    const atLimit = `{"exportable":false,"x":"é"${' '.repeat(1024 - 29)}}`;
    expect(Buffer.byteLength(atLimit)).toBe(1024);
    expect((await send(atLimit)).status).toBe(200);
    expect((await send(`${atLimit} `)).status).toBe(413);
  });

  it('answers a declared Content-Length over the limit without reading the body', async () => {
    const sim = fresh({ maxRequestBytes: 1024 });
    const req = new Request('http://bao.sim/v1/secp256k1/keys/k', {
      method: 'POST',
      headers: { 'X-Vault-Token': 'root', 'Content-Length': '5000' },
      body: 'x'.repeat(5000),
    });
    const r = await sim.fetch(req);
    expect(r.status).toBe(413);
    expect(r.headers.get('connection')).toBe('close');
  });

  it('takes a 33 MiB body as 413 at the default limit', async () => {
    const sim = fresh();
    const big = `{"input":"${'A'.repeat(33 * 1024 * 1024)}"}`;
    const r = await call(sim, 'POST', '/v1/secp256k1/sign/k', big);
    expect(r.status).toBe(413);
    expect(r.json).toEqual(TOO_LARGE);
  });
});

describe('large and odd input never answers 5xx', () => {
  it('signs a 6 MiB input (8 MiB of base64) instead of overflowing the stack', async () => {
    const sim = fresh();
    const pub = hexToBytes((await call(sim, 'POST', '/v1/secp256k1/keys/big', {})).json.data.public_key);
    const input = new Uint8Array(6 * 1024 * 1024).fill(0x61);
    const r = await call(sim, 'POST', '/v1/secp256k1/sign/big', { input: b64(input) });
    expect(r.status).toBe(200);
    const sig = unb64(r.json.data.signature);
    expect(secp256k1.verify(sig, sha256(input), pub, { prehash: false })).toBe(true);
  });

  it.each([
    ['deeply nested JSON', `{"input":${'['.repeat(200_000)}${']'.repeat(200_000)}}`],
    ['a JSON array body', '[1,2,3]'],
    ['a JSON string body', '"x"'],
    ['broken JSON', '{"input":'],
    ['a huge invalid base64 input', `{"input":"${'!'.repeat(8 * 1024 * 1024)}"}`],
    ['a huge unpadded base64 input', `{"input":"${'A'.repeat(8 * 1024 * 1024 + 3)}"}`],
    ['an object as input', '{"input":{"a":1}}'],
    ['null fields', '{"input":null,"prehashed":null}'],
  ])('%s → 4xx', async (_label, body) => {
    const sim = fresh();
    await call(sim, 'POST', '/v1/secp256k1/keys/k', {});
    const r = await call(sim, 'POST', '/v1/secp256k1/sign/k', body);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(Array.isArray(r.json.errors)).toBe(true);
    // The server keeps serving.
    expect((await call(sim, 'GET', '/v1/secp256k1/keys/k')).status).toBe(200);
  });
});
