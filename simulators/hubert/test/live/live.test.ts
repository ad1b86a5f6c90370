/**
 * Live tier: the Hubert server on a real socket (127.0.0.1, ephemeral port, wall time) and the
 * HTTP client over the global fetch.
 */
import { realClock } from '@fanout/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubertHttpClient } from '../../src/index.js';
import { startHubertServer, type RunningHubertServer } from '../../src/live/server.js';
import { kvStoreContract } from '../contract.js';
import { aridUr, envOf, seededRng } from '../helpers.js';

let server: RunningHubertServer;
beforeAll(async () => {
  server = await startHubertServer({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
});

describe('live Hubert server', () => {
  it('listens on 127.0.0.1 with an ephemeral port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers byte-exact texts over a real socket', async () => {
    const arid = aridUr(seededRng(900));
    const env = envOf('live');
    const post = async (path: string, body: string) => {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', body });
      return [res.status, await res.text(), res.headers.get('content-type')] as const;
    };
    expect(await post('/put', `${arid}\n${env}\n60`)).toEqual([200, 'OK', 'text/plain; charset=utf-8']);
    expect(await post('/put', `${arid}\n${env}`)).toEqual([
      409,
      `${arid} already exists`,
      'text/plain; charset=utf-8',
    ]);
    expect(await post('/put', 'only one line')).toEqual([
      400,
      'Expected at least 2 lines: ur:arid and ur:envelope',
      'text/plain; charset=utf-8',
    ]);
    expect(await post('/get', arid)).toEqual([200, env, 'text/plain; charset=utf-8']);
    expect(await post('/get', aridUr(seededRng(901)))).toEqual([
      404,
      'Not found',
      'text/plain; charset=utf-8',
    ]);
    expect(await post('/get', '')).toEqual([400, 'Expected ur:arid', 'text/plain; charset=utf-8']);
    const health = await fetch(`${server.url}/health`);
    expect([health.status, await health.text(), health.headers.get('content-type')]).toEqual([
      200,
      '{"server":"hubert","status":"ok","version":"0.5.0"}',
      'text/plain; charset=utf-8',
    ]);
  });
});

let seed = 1000;
describe('KvStore contract: http client over the live server', () => {
  kvStoreContract(() => ({
    store: new HubertHttpClient({ baseUrl: server.url, fetch: (r) => fetch(r), clock: realClock }),
    clock: realClock,
    pollMs: 1000,
    rng: seededRng(seed++),
  }));
});
