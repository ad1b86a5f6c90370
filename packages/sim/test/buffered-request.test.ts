/**
 * BufferedRequest answers as undici's Request does for the same URL and init: every field, every
 * way of reading the body (first read, second read, streaming after a read, clone), errors
 * included, and its signal follows init.signal. The reference is `new Request(url, init)`.
 */
import { assertProperty } from '@fanout/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferedRequest } from '../src/index.js';
import { READS, copy, observe, syncOutcome, type Body, type Read } from './held-body-harness.js';

/** The Request's own fields. */
const head = (r: Request): unknown[] => [
  r instanceof Request,
  r.method,
  r.url,
  [...r.headers],
  r.mode,
  r.credentials,
  r.cache,
  r.redirect,
  r.referrer,
  r.keepalive,
  r.signal.aborted,
];

const both = async (url: string, body: Body, init: RequestInit, first: Read, second: Read) => ({
  mine: await observe(() => BufferedRequest.from(url, { ...init, body: copy(body) }), head, first, second),
  real: await observe(() => new Request(url, { ...init, body: copy(body) }), head, first, second),
});

describe('BufferedRequest: the same as new Request for the same URL and init', () => {
  const cases: [string, Body, RequestInit][] = [
    [
      'a JSON POST',
      '{"plaintext":"aGk=","x":[1,"é"]}',
      { method: 'POST', headers: { 'content-type': 'application/json' } },
    ],
    ['a PUT without content-type', 'a\ud800b', { method: 'PUT', headers: { 'x-vault-token': 't' } }],
    ['a lower-case post with a BOM', '\ufeff{"x":1}', { method: 'post' }],
    ['not JSON', 'nope', { method: 'PATCH' }],
    ['the empty string', '', { method: 'DELETE' }],
    [
      'bytes',
      new Uint8Array([0xef, 0xbb, 0xbf, 0x31, 0xff]),
      { method: 'POST', headers: { 'content-type': 'application/cbor' } },
    ],
  ];
  for (const [name, body, init] of cases)
    it(`${name}: every read, in every order`, async () => {
      for (const first of READS)
        for (const second of READS) {
          const { mine, real } = await both('http://kv.sim/put?x=1', body, init, first, second);
          expect(mine, `${first} then ${second}`).toEqual(real);
        }
      expect(BufferedRequest.from('http://a/', { ...init, body: copy(body) })).toBeInstanceOf(
        BufferedRequest,
      );
    });

  it('is an ordinary Request where it cannot be a buffered one, and throws as new Request does', () => {
    expect(BufferedRequest.from('http://a/', { method: 'POST', body: new Blob(['x']) })).not.toBeInstanceOf(
      BufferedRequest,
    );
    expect(
      BufferedRequest.from('http://a/', { method: 'POST', body: 'x', keepalive: true }),
    ).not.toBeInstanceOf(BufferedRequest);
    expect(BufferedRequest.from(new Request('http://a/'), {})).not.toBeInstanceOf(BufferedRequest);
    const bad: [string, RequestInit][] = [
      ['http://a/', { method: 'GET', body: 'x' }],
      ['http://a/', { body: 'x' }],
      ['not a url', { method: 'POST', body: 'x' }],
      ['http://a/', { method: 'PO ST', body: 'x' }],
      ['http://a/', { method: 'POST', body: 'x', headers: { 'a b': 'c' } }],
    ];
    for (const [url, init] of bad) {
      const real = syncOutcome(() => new Request(url, init));
      expect(real).toMatchObject({ error: 'TypeError' });
      expect(
        syncOutcome(() => BufferedRequest.from(url, init)),
        JSON.stringify(init),
      ).toEqual(real);
    }
  });

  it('its signal follows init.signal, and the body streams as undici’s', async () => {
    const ac = new AbortController();
    const r = BufferedRequest.from('http://a/', { method: 'POST', body: 'xyz', signal: ac.signal });
    expect(r.signal.aborted).toBe(false);
    ac.abort(new Error('stop'));
    expect([r.signal.aborted, (r.signal.reason as Error).message]).toEqual([true, 'stop']);
    const chunks: number[] = [];
    const reader = BufferedRequest.from('http://a/', { method: 'POST', body: 'xyz' }).body!.getReader();
    for (let x = await reader.read(); !x.done; x = await reader.read()) chunks.push(...x.value);
    expect(new TextDecoder().decode(Uint8Array.from(chunks))).toBe('xyz');
  });

  it('property: any string or bytes, any method with a body, any two reads', async () => {
    const body = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.uint8Array({ maxLength: 40 }));
    const readArb = fc.constantFrom(...READS);
    const method = fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'post', 'OPTIONS');
    await assertProperty(
      fc.asyncProperty(body, method, readArb, readArb, async (b, m, first, second) => {
        const { mine, real } = await both('http://h/p', b, { method: m }, first, second);
        expect(mine).toEqual(real);
      }),
      { numRuns: 300 },
    );
  });
});
