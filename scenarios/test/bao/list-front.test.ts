/**
 * The live Bao server's LIST front (ListMethodRewriter): for any keep-alive byte stream of HTTP/1.1
 * requests, split anywhere, every `LIST <path>` request line (and only those) becomes
 * `GET <path>?list=true` and everything else passes byte for byte. The oracle builds each
 * request's expected bytes directly, independent of the rewriter's parsing.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertProperty } from '@fanout/testkit';
import { ListMethodRewriter, withListQuery } from '@fanout/sim-bao/live';

interface Req {
  method: 'GET' | 'POST' | 'DELETE' | 'LIST' | 'PUT';
  path: string;
  query: string | undefined;
  body: string;
  headerCase: boolean;
  leadingCrlf: boolean;
}

const reqArb: fc.Arbitrary<Req> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'LIST', 'PUT'),
  path: fc.constantFrom(
    '/v1/secp256k1/keys',
    '/v1/secp256k1/keys/',
    '/v1/secp256k1/keys/w-1',
    '/v1/sys/health',
  ),
  query: fc.option(fc.constantFrom('', 'a=1', 'list=true', 'x=LIST%20y', 'list=false'), { nil: undefined }),
  // Bodies may contain anything, request lines and blank lines included.
  body: fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 60 }),
    fc.constant('LIST /v1/secp256k1/keys HTTP/1.1\r\n\r\n'),
  ),
  headerCase: fc.boolean(),
  leadingCrlf: fc.boolean(),
});

function wire(r: Req, rewrite: boolean): string {
  const target = r.query === undefined ? r.path : `${r.path}?${r.query}`;
  const line =
    rewrite && r.method === 'LIST'
      ? `GET ${withListQuery(target)} HTTP/1.1`
      : `${r.method} ${target} HTTP/1.1`;
  const body = Buffer.from(r.body, 'utf8');
  const cl = r.headerCase ? 'content-LENGTH' : 'Content-Length';
  const len = body.length > 0 || r.method === 'POST' ? `${cl}: ${body.length}\r\n` : '';
  return `${r.leadingCrlf ? '\r\n' : ''}${line}\r\nHost: bao\r\nX-Vault-Token: root\r\n${len}\r\n${body.toString('latin1')}`;
}

function run(input: Buffer, cuts: number[]): { out: Buffer; rewritten: number } {
  const rw = new ListMethodRewriter();
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of [...points, input.length]) {
    parts.push(rw.push(input.subarray(at, p)));
    at = p;
  }
  return { out: Buffer.concat(parts), rewritten: rw.rewritten };
}

describe('LIST front of the live Bao server', () => {
  test('withListQuery merges list=true into any query', () => {
    expect(withListQuery('/v1/secp256k1/keys')).toBe('/v1/secp256k1/keys?list=true');
    expect(withListQuery('/k?')).toBe('/k?list=true');
    expect(withListQuery('/k?a=1')).toBe('/k?a=1&list=true');
    expect(withListQuery('/k?a=1&list=true')).toBe('/k?a=1&list=true');
    expect(withListQuery('/k?list=false')).toBe('/k?list=false&list=true');
  });

  test('every LIST of a keep-alive stream is rewritten, whatever the chunking; nothing else changes', async () => {
    await assertProperty(
      fc.property(
        fc.array(reqArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (reqs, cuts) => {
          const input = Buffer.from(reqs.map((r) => wire(r, false)).join(''), 'latin1');
          const expected = Buffer.from(reqs.map((r) => wire(r, true)).join(''), 'latin1');
          const { out, rewritten } = run(input, cuts);
          expect(out.toString('latin1')).toBe(expected.toString('latin1'));
          expect(rewritten).toBe(reqs.filter((r) => r.method === 'LIST').length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('after a chunked request the rest of the connection passes through unchanged', () => {
    const chunked =
      'POST /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nLIST /v1/secp256k1/keys HTTP/1.1\r\n\r\n';
    const { out, rewritten } = run(Buffer.from(chunked, 'latin1'), [5, 40]);
    expect(out.toString('latin1')).toBe(chunked);
    expect(rewritten).toBe(0);
  });
});
