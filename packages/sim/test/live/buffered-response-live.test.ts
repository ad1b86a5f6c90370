/**
 * A BufferedResponse over a real socket: the live edge sends it as the handler made it, and
 * starting live servers leaves the process's global Request / Response alone (@hono/node-server
 * would replace them by default, and a BufferedResponse made before would stop being
 * `instanceof Response`).
 */
import { describe, expect, it } from 'vitest';
import { BufferedResponse } from '../../src/index.js';
import { startHttpService } from '../../src/live/index.js';

describe('BufferedResponse on the live tier', () => {
  it('is served byte for byte with its headers, and the globals stay undici’s', async () => {
    const globals = [globalThis.Request, globalThis.Response];
    const svc = await startHttpService({
      target: 'b',
      handler: () =>
        new BufferedResponse('{"é":1}', {
          status: 201,
          headers: { 'content-type': 'application/json', 'content-length': '8' },
        }),
    });
    try {
      const res = await fetch(svc.url);
      expect([res.status, res.headers.get('content-type'), res.headers.get('content-length')]).toEqual([
        201,
        'application/json',
        '8',
      ]);
      expect(await res.text()).toBe('{"é":1}');
      expect([globalThis.Request, globalThis.Response]).toEqual(globals);
      expect(new BufferedResponse('x')).toBeInstanceOf(Response);
    } finally {
      await svc.close();
    }
  });
});
