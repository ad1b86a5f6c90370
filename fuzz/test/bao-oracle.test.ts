/**
 * The in-process Bao target's auth oracle can fail: behind a front that accepts a lowercase
 * "bearer" (the lenient regex the simulator had, issue 15), the fuzzer reports an auth bypass.
 */
import { describe, expect, it } from 'vitest';
import { baoHttp } from '../src/decoders/bao.js';
import { driveTarget } from '../src/decoders/drive.js';

describe('bao.http auth oracle', () => {
  it('finds the bypass of a lenient "bearer" front', async () => {
    const lenient = baoHttp({
      wrapFetch: (fetch) => (request) => {
        const auth = request.headers.get('authorization');
        if (auth === null || !/^bearer /i.test(auth)) return fetch(request);
        const headers = new Headers(request.headers);
        headers.set('authorization', `Bearer ${auth.slice(7)}`);
        return fetch(new Request(request, { headers }));
      },
    });
    const r = await driveTarget(lenient, { numRuns: 3000, seed: 4 });
    expect(r.failures.some((f) => f.error.startsWith('auth-bypass:'))).toBe(true);
  });

  it('finds no bypass in the simulator as it is', async () => {
    const r = await driveTarget(baoHttp(), { numRuns: 3000, seed: 4 });
    expect(r.failures.filter((f) => f.error.startsWith('auth-bypass:'))).toEqual([]);
  });
});
