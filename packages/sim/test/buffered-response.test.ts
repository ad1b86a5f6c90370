/**
 * BufferedResponse answers as undici's Response does for the same body and init: every field,
 * every way of reading the body (first read, second read, streaming after a read, clone), errors
 * included. The reference is `new Response(body, init)` in the same process.
 */
import { assertProperty } from '@fanout/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferedResponse } from '../src/index.js';
import { READS, copy, observe, outcome, syncOutcome, type Body, type Read } from './held-body-harness.js';

/** The Response's own fields. */
const head = (r: Response): unknown[] => [
  r instanceof Response,
  r.status,
  r.statusText,
  r.ok,
  r.type,
  r.url,
  r.redirected,
  [...r.headers],
];

const both = async (body: Body, init: ResponseInit, first: Read, second: Read) => {
  const mine = await observe(() => new BufferedResponse(copy(body), init), head, first, second);
  const real = await observe(() => new Response(copy(body), init), head, first, second);
  return { mine, real };
};

describe('BufferedResponse: the same as new Response for the same body and init', () => {
  const cases: [string, Body, ResponseInit][] = [
    ['JSON text, default init', '{"a":[1,2,{"b":"é"}]}', {}],
    [
      'JSON with content-type and length',
      '{"ok":true}',
      { headers: { 'content-type': 'application/json', 'content-length': '11' } },
    ],
    ['a 404 with a status text', '{"errors":["no handler"]}\n', { status: 404, statusText: 'Not Found' }],
    ['a string with a leading BOM', '\ufeff{"x":1}', {}],
    ['a lone surrogate', 'a\ud800b', {}],
    ['an emoji (a surrogate pair)', '"😀"', {}],
    ['not JSON', 'nope', { status: 500 }],
    ['the empty string', '', {}],
    ['bytes with a BOM', new Uint8Array([0xef, 0xbb, 0xbf, 0x31]), {}],
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe, 0x22, 0x80]), { headers: { 'x-a': 'b' } }],
    ['no bytes', new Uint8Array(0), { status: 201 }],
  ];
  for (const [name, body, init] of cases)
    it(`${name}: every read, in every order`, async () => {
      for (const first of READS)
        for (const second of READS) {
          const { mine, real } = await both(body, init, first, second);
          expect(mine, `${first} then ${second}`).toEqual(real);
        }
    });

  it('streaming the body first: the stream, then reads, as undici', async () => {
    for (const body of ['{"a":1}', new Uint8Array([1, 2, 3])] as Body[]) {
      const seen = async (r: Response) => {
        const chunks: number[] = [];
        const reader = r.body!.getReader();
        for (let x = await reader.read(); !x.done; x = await reader.read()) chunks.push(...x.value);
        return [chunks, r.bodyUsed, await outcome(() => r.text())];
      };
      expect(await seen(new BufferedResponse(body))).toEqual(await seen(new Response(body)));
    }
  });

  it('a body on a null-body status throws undici’s TypeError', () => {
    for (const status of [204, 304]) {
      const real = syncOutcome(() => new Response('x', { status }));
      expect(syncOutcome(() => new BufferedResponse('x', { status }))).toEqual(real);
      expect(real).toMatchObject({ error: 'TypeError' });
    }
    expect(syncOutcome(() => new BufferedResponse('x', { status: 99 }))).toEqual(
      syncOutcome(() => new Response('x', { status: 99 })),
    );
  });

  it('a read resolves after the current microtask, never synchronously', async () => {
    const order: string[] = [];
    const p = new BufferedResponse('x').text().then(() => order.push('read'));
    order.push('sync');
    await p;
    expect(order).toEqual(['sync', 'read']);
  });

  it('property: any string or bytes, any status, any two reads', async () => {
    const body = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.uint8Array({ maxLength: 40 }));
    const readArb = fc.constantFrom(...READS);
    await assertProperty(
      fc.asyncProperty(
        body,
        fc.integer({ min: 200, max: 599 }),
        readArb,
        readArb,
        async (b, status, first, second) => {
          const init = [204, 205, 304].includes(status) ? { status: 200 } : { status };
          const { mine, real } = await both(b, init, first, second);
          expect(mine).toEqual(real);
        },
      ),
      { numRuns: 300 },
    );
  });
});
