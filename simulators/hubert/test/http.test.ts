import { VirtualClock } from '@fanout/core';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  createHubertApp,
  createServerKvStore,
  HubertHttpClient,
  HubertParseError,
  HubertRequestTimeoutError,
  HubertServerError,
  HubertUnavailableError,
  type HubertAppOptions,
  type HubertFaults,
} from '../src/index.js';
import { aridUr, envOf, seededRng } from './helpers.js';

const TEXT_PLAIN = 'text/plain; charset=utf-8';

function setup(options: HubertAppOptions = {}, faults: HubertFaults = {}) {
  const clock = new VirtualClock({ autoAdvance: false });
  const store = createServerKvStore({ clock, faults });
  const app = createHubertApp(store, options);
  const call = async (path: string, body?: string | Uint8Array, method = 'POST') => {
    const init: RequestInit = { method };
    if (body !== undefined) init.body = body;
    const res = await app.fetch(new Request(`http://hubert.sim${path}`, init));
    return {
      status: res.status,
      text: await res.text(),
      type: res.headers.get('content-type'),
      allow: res.headers.get('allow'),
    };
  };
  return { clock, store, app, call };
}

describe('POST /put (byte-exact)', () => {
  const rng = seededRng(100);
  const arid = aridUr(rng);
  const env = envOf('payload');

  it('200 OK as text/plain', async () => {
    const { call, store } = setup();
    expect(await call('/put', `${arid}\n${env}`)).toMatchObject({
      status: 200,
      text: 'OK',
      type: TEXT_PLAIN,
    });
    expect(store.peek(arid)).toBe(env);
  });

  it.each([
    ['invalid UTF-8', Uint8Array.of(0x75, 0x72, 0xff, 0x0a, 0x61), 'Invalid UTF-8'],
    ['empty body', '', 'Expected at least 2 lines: ur:arid and ur:envelope'],
    ['one line', arid, 'Expected at least 2 lines: ur:arid and ur:envelope'],
    ['one line + trailing newline', `${arid}\n`, 'Expected at least 2 lines: ur:arid and ur:envelope'],
    ['garbage ARID', `hello\n${env}`, 'Invalid ur:arid'],
    ['envelope UR as ARID', `${env}\n${env}`, 'Invalid ur:arid'],
    ['ARID with a leading space (no trim on /put)', ` ${arid}\n${env}`, 'Invalid ur:arid'],
    ['leading BOM', `\uFEFF${arid}\n${env}`, 'Invalid ur:arid'],
    ['both bad: ARID checked first', `x\ny`, 'Invalid ur:arid'],
    ['garbage envelope', `${arid}\nur:envelope/zzzz`, 'Invalid ur:envelope'],
    ['ARID UR as envelope', `${arid}\n${arid}`, 'Invalid ur:envelope'],
    ['bad envelope before bad TTL', `${arid}\nnope\nnope`, 'Invalid ur:envelope'],
    ['TTL not a number', `${arid}\n${env}\nabc`, 'Invalid TTL'],
    ['negative TTL', `${arid}\n${env}\n-5`, 'Invalid TTL'],
    ['empty third line', `${arid}\n${env}\n\n`, 'Invalid TTL'],
    ['TTL with a space', `${arid}\n${env}\n 60`, 'Invalid TTL'],
    ['TTL over u64', `${arid}\n${env}\n18446744073709551616`, 'Invalid TTL'],
    ['fractional TTL', `${arid}\n${env}\n1.5`, 'Invalid TTL'],
  ])('400 for %s', async (_name, body, expected) => {
    const { call, store } = setup();
    expect(await call('/put', body)).toMatchObject({ status: 400, text: expected, type: TEXT_PLAIN });
    expect(store.volume.size).toBe(0);
  });

  it.each([
    ['CRLF line endings', `${arid}\r\n${env}\r\n60\r\n`],
    ['a "+" TTL', `${arid}\n${env}\n+60`],
    ['the largest u64 TTL (clamped)', `${arid}\n${env}\n18446744073709551615`],
    ['extra lines after the TTL (ignored)', `${arid}\n${env}\n60\nwhatever`],
    ['uppercase UR text', `${arid.toUpperCase()}\n${env.toUpperCase()}`],
  ])('200 for %s', async (_name, body) => {
    const { call, store } = setup();
    expect(await call('/put', body)).toMatchObject({ status: 200, text: 'OK' });
    expect(store.peek(arid)).toBe(env);
  });

  it('409 with `<ur:arid> already exists` (or the upstream in-memory text when asked)', async () => {
    const a = setup();
    await a.call('/put', `${arid}\n${env}`);
    expect(await a.call('/put', `${arid}\n${envOf('other')}`)).toMatchObject({
      status: 409,
      text: `${arid} already exists`,
      type: TEXT_PLAIN,
    });
    const b = setup({ conflictText: 'upstream-memory' });
    await b.call('/put', `${arid}\n${env}`);
    expect(await b.call('/put', `${arid}\n${env}`)).toMatchObject({
      status: 409,
      text: 'ARID already exists',
    });
  });

  it('TTL: as given, clamped to 86400 s, 86400 s when absent', async () => {
    const { call, store, clock } = setup();
    const r = seededRng(101);
    const [a, b, c] = [aridUr(r), aridUr(r), aridUr(r)];
    await call('/put', `${a}\n${env}\n60`);
    await call('/put', `${b}\n${env}\n999999`);
    await call('/put', `${c}\n${env}`);
    expect(store.volume.get(a)!.expiresAtMs).toBe(60_000);
    expect(store.volume.get(b)!.expiresAtMs).toBe(86_400_000);
    expect(store.volume.get(c)!.expiresAtMs).toBe(86_400_000);
    await clock.advance(60_000);
    expect(await call('/get', a)).toMatchObject({ status: 404, text: 'Not found' });
    expect(await call('/get', b)).toMatchObject({ status: 200, text: env });
  });

  it('a maxTtlSeconds option changes default and clamp', async () => {
    const { call, store } = setup({ maxTtlSeconds: 2 });
    const r = seededRng(102);
    const [a, b] = [aridUr(r), aridUr(r)];
    await call('/put', `${a}\n${env}`);
    await call('/put', `${b}\n${env}\n10`);
    expect(store.volume.get(a)!.expiresAtMs).toBe(2000);
    expect(store.volume.get(b)!.expiresAtMs).toBe(2000);
  });

  it('injected faults: {status} → that status and body; down → 503 Service Unavailable', async () => {
    const failing = setup({}, { beforePut: () => ({ status: 500, body: 'boom' }) });
    expect(await failing.call('/put', `${arid}\n${env}`)).toMatchObject({
      status: 500,
      text: 'boom',
      type: TEXT_PLAIN,
    });
    const down = setup({}, { isDown: () => true });
    expect(await down.call('/put', `${arid}\n${env}`)).toMatchObject({
      status: 503,
      text: 'Service Unavailable',
    });
    expect(await down.call('/get', arid)).toMatchObject({ status: 503, text: 'Service Unavailable' });
  });

  it('413 above the body limit', async () => {
    const { call } = setup({ bodyLimitBytes: 100 });
    expect(await call('/put', `${arid}\n${env}`)).toMatchObject({
      status: 413,
      text: 'Failed to buffer the request body: length limit exceeded',
    });
  });
});

describe('POST /get (byte-exact)', () => {
  const rng = seededRng(200);
  const arid = aridUr(rng);
  const env = envOf('payload');

  it('200 with the lowercase envelope UR; uppercase and surrounding whitespace accepted', async () => {
    const { call } = setup();
    await call('/put', `${arid}\n${env}`);
    expect(await call('/get', arid)).toEqual({ status: 200, text: env, type: TEXT_PLAIN, allow: null });
    expect(await call('/get', ` \t${arid.toUpperCase()}\r\n`)).toMatchObject({ status: 200, text: env });
  });

  it.each([
    ['missing ARID', () => aridUr(seededRng(201)), 404, 'Not found'],
    ['empty body', () => '', 400, 'Expected ur:arid'],
    ['whitespace only', () => ' \r\n\t ', 400, 'Expected ur:arid'],
    ['garbage', () => 'xyz', 400, 'Invalid ur:arid'],
    ['an envelope UR', () => env, 400, 'Invalid ur:arid'],
    ['a BOM (not whitespace to Rust trim)', () => `\uFEFF${arid}`, 400, 'Invalid ur:arid'],
  ])('%s', async (_name, body, status, text) => {
    const { call } = setup();
    expect(await call('/get', body())).toMatchObject({ status, text, type: TEXT_PLAIN });
  });

  it('400 Invalid UTF-8', async () => {
    const { call } = setup();
    expect(await call('/get', Uint8Array.of(0xc3, 0x28))).toMatchObject({
      status: 400,
      text: 'Invalid UTF-8',
    });
  });
});

describe('other routes', () => {
  it('GET /health', async () => {
    const { call } = setup();
    expect(await call('/health', undefined, 'GET')).toMatchObject({
      status: 200,
      text: '{"server":"hubert","version":"0.5.0","status":"ok"}',
      type: 'application/json',
    });
    const custom = setup({ version: '9.9.9' });
    expect((await custom.call('/health', undefined, 'GET')).text).toBe(
      '{"server":"hubert","version":"9.9.9","status":"ok"}',
    );
  });

  it('unknown path → 404 empty; wrong method → 405 empty with allow', async () => {
    const { call } = setup();
    expect(await call('/nope', 'x')).toMatchObject({ status: 404, text: '' });
    expect(await call('/put', undefined, 'GET')).toMatchObject({ status: 405, text: '', allow: 'POST' });
    expect(await call('/health', 'x', 'POST')).toMatchObject({ status: 405, allow: 'GET,HEAD' });
  });

  it('keeps serving after every kind of bad input', async () => {
    const { call } = setup();
    for (const body of ['', 'x\ny', Uint8Array.of(0xff), `\n\n\n`]) await call('/put', body);
    for (const body of ['', 'zz', Uint8Array.of(0xff)]) await call('/get', body);
    const arid = aridUr(seededRng(300));
    expect((await call('/put', `${arid}\n${envOf('still ok')}`)).status).toBe(200);
    expect(await call('/get', arid)).toMatchObject({ status: 200, text: envOf('still ok') });
  });
});

describe('HubertHttpClient', () => {
  it('sends the upstream body format, with the TTL line only when given', async () => {
    const clock = new VirtualClock();
    const app = createHubertApp(createServerKvStore({ clock }));
    const bodies: string[] = [];
    const client = new HubertHttpClient({
      baseUrl: 'http://hubert.sim/',
      clock,
      fetch: async (req) => {
        bodies.push(`${req.method} ${new URL(req.url).pathname} ${await req.clone().text()}`);
        return app.fetch(req);
      },
    });
    const r = seededRng(400);
    const [a, b] = [aridUr(r), aridUr(r)];
    expect(await client.put(a.toUpperCase(), envOf('x'), 60)).toBe('Stored successfully');
    await client.put(b, envOf('y'));
    await client.get(a, { timeoutSeconds: 0 });
    expect(bodies).toEqual([
      `POST /put ${a}\n${envOf('x')}\n60`,
      `POST /put ${b}\n${envOf('y')}`,
      `POST /get ${a}`,
    ]);
  });

  it('maps statuses and failures to typed errors', async () => {
    const clock = new VirtualClock();
    const arid = aridUr(seededRng(401));
    const respond = (status: number, body: string) =>
      new HubertHttpClient({ baseUrl: 'http://h', clock, fetch: () => new Response(body, { status }) });
    await expect(respond(409, 'whatever').put(arid, envOf('x'))).rejects.toThrow(
      new AlreadyExistsError(arid).message,
    );
    const e500 = await respond(500, 'boom')
      .put(arid, envOf('x'))
      .catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(HubertServerError);
    expect(e500).toMatchObject({ status: 500, body: 'boom' });
    await expect(respond(400, 'Invalid ur:arid').get(arid, { timeoutSeconds: 0 })).rejects.toMatchObject({
      status: 400,
      body: 'Invalid ur:arid',
    });
    await expect(respond(200, 'not an envelope').get(arid, { timeoutSeconds: 0 })).rejects.toBeInstanceOf(
      HubertParseError,
    );
    const refused = new HubertHttpClient({
      baseUrl: 'http://h',
      clock,
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    await expect(refused.put(arid, envOf('x'))).rejects.toThrow(HubertUnavailableError);
    await expect(refused.get(arid)).rejects.toThrow('Network error: fetch failed');
  });

  it('health() reads the JSON', async () => {
    const clock = new VirtualClock();
    const app = createHubertApp(createServerKvStore({ clock }));
    const client = new HubertHttpClient({ baseUrl: 'http://hubert.sim', fetch: app.fetch, clock });
    expect(await client.health()).toEqual({ server: 'hubert', version: '0.5.0', status: 'ok' });
  });

  it('get polls the server every 1000 ms (request count over a 3 s miss)', async () => {
    const clock = new VirtualClock();
    const app = createHubertApp(createServerKvStore({ clock }));
    let requests = 0;
    const client = new HubertHttpClient({
      baseUrl: 'http://hubert.sim',
      clock,
      fetch: (r) => (requests++, app.fetch(r)),
    });
    expect(await client.get(aridUr(seededRng(402)), { timeoutSeconds: 3 })).toBeNull();
    expect(requests).toBe(4); // t = 0, 1000, 2000, 3000
    expect(clock.now()).toBe(3000);
  });

  it('a request that never answers fails with HubertRequestTimeoutError at requestTimeoutMs (virtual time); the caller can retry', async () => {
    const clock = new VirtualClock();
    const app = createHubertApp(createServerKvStore({ clock }));
    let swallow = true;
    const seen: (AbortSignal | null)[] = [];
    const client = new HubertHttpClient({
      baseUrl: 'http://hubert.sim',
      clock,
      requestTimeoutMs: 5000,
      // A black hole that ignores its signal (the worst case), until `swallow` is cleared.
      fetch: (r) => (seen.push(r.signal), swallow ? new Promise<Response>(() => {}) : app.fetch(r)),
    });
    const arid = aridUr(seededRng(403));
    const put = client.put(arid, envOf('p')).catch((e: unknown) => e);
    const e = (await put) as HubertRequestTimeoutError;
    expect(e).toBeInstanceOf(HubertRequestTimeoutError);
    expect(e).toBeInstanceOf(HubertUnavailableError);
    expect(e.message).toBe('Network error: no response to POST /put within 5000 ms');
    expect(clock.now()).toBe(5000);
    expect(seen[0]!.aborted).toBe(true); // the request's own signal was fired too
    await expect(client.get(arid, 30)).rejects.toBeInstanceOf(HubertRequestTimeoutError);
    expect(clock.now()).toBe(10_000);
    swallow = false;
    expect(await client.put(arid, envOf('p'))).toBe('Stored successfully');
    // Upstream's `get(arid, timeoutSeconds)` form and the options form.
    expect(await client.get(arid, 0)).toBe(envOf('p'));
    expect(await client.get(arid, { timeoutSeconds: 0 })).toBe(envOf('p'));
    expect(
      () => new HubertHttpClient({ baseUrl: 'http://h', clock, fetch: app.fetch, requestTimeoutMs: 0 }),
    ).toThrow('requestTimeoutMs');
  });

  it('put and get pass the caller signal through: an abort rejects with its reason at once', async () => {
    const clock = new VirtualClock();
    const client = new HubertHttpClient({
      baseUrl: 'http://h',
      clock,
      fetch: () => new Promise<Response>(() => {}),
    });
    const ac = new AbortController();
    const arid = aridUr(seededRng(404));
    const put = client.put(arid, envOf('q'), undefined, { signal: ac.signal }).catch((e: unknown) => e);
    const get = client.get(arid, { timeoutSeconds: 30, signal: ac.signal }).catch((e: unknown) => e);
    clock.setTimer(() => ac.abort(new Error('stop')), 1234);
    expect(((await put) as Error).message).toBe('stop');
    expect(((await get) as Error).message).toBe('stop');
    expect(clock.now()).toBe(1234);
  });
});
