import { VirtualClock } from '@fanout/core';
import { BufferedRequest } from '@fanout/sim';
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
  type KvStore,
} from '../src/index.js';
import { Tag } from 'cbor2';
import { aridUr, envelopeUrOf, envOf, seededRng } from './helpers.js';

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
    ['ARID line ending in a bare CR', `${arid}\r\r\n${env}`, 'Invalid ur:arid'],
    ['ARID with U+2028 inside', `${arid.slice(0, 20)}\u2028${arid.slice(20)}\n${env}`, 'Invalid ur:arid'],
    ['envelope line ending in a bare CR (last line)', `${arid}\n${env}\r`, 'Invalid ur:envelope'],
    ['envelope with U+2029 before the TTL', `${arid}\n${env}\u2029\n60`, 'Invalid ur:envelope'],
    [
      'a node whose assertion is a leaf',
      `${arid}\n${envelopeUrOf([new Tag(201, 1), new Tag(201, 2)])}`,
      'Invalid ur:envelope',
    ],
    [
      'an encrypted envelope without its digest',
      `${arid}\n${envelopeUrOf(new Tag(40002, [Uint8Array.of(1), new Uint8Array(12), new Uint8Array(16)]))}`,
      'Invalid ur:envelope',
    ],
    ['a float that is no known value', `${arid}\n${envelopeUrOf(1e300)}`, 'Invalid ur:envelope'],
    ['TTL with a bare CR (last line)', `${arid}\n${env}\n60\r`, 'Invalid TTL'],
    ['TTL "+" alone', `${arid}\n${env}\n+`, 'Invalid TTL'],
    ['TTL "-0"', `${arid}\n${env}\n-0`, 'Invalid TTL'],
    ['TTL in Arabic-Indic digits', `${arid}\n${env}\n\u0666\u0660`, 'Invalid TTL'],
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
    ['leading zeros in the TTL', `${arid}\n${env}\n0060`],
  ])('200 for %s', async (_name, body) => {
    const { call, store } = setup();
    expect(await call('/put', body)).toMatchObject({ status: 200, text: 'OK' });
    expect(store.peek(arid)).toBe(env);
  });

  it('200 for an envelope upstream accepts that is no byte-string leaf (tag-24 leaf, known-value predicate)', async () => {
    const { call, store } = setup();
    const r = seededRng(103);
    const [a, b] = [aridUr(r), aridUr(r)];
    const tag24 = envelopeUrOf(new Tag(24, 'x'));
    const knows = envelopeUrOf([new Tag(201, 'Alice'), new Map([[1, new Tag(201, 'Bob')]])]);
    expect(await call('/put', `${a}\n${tag24}`)).toMatchObject({ status: 200, text: 'OK' });
    expect(await call('/put', `${b}\n${knows}`)).toMatchObject({ status: 200, text: 'OK' });
    expect(store.peek(b)).toBe(knows);
  });

  it('409 with `<ur:arid> already exists`, for both conflictText settings (v0.5.0 memory storage is MemoryKv)', async () => {
    for (const conflictText of [undefined, 'store', 'upstream-memory'] as const) {
      const a = setup(conflictText === undefined ? {} : { conflictText });
      await a.call('/put', `${arid}\n${env}`);
      expect(await a.call('/put', `${arid.toUpperCase()}\n${envOf('other')}`)).toMatchObject({
        status: 409,
        text: `${arid} already exists`,
        type: TEXT_PLAIN,
      });
    }
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
      type: TEXT_PLAIN,
    });
  });

  it('the same limit for a body the simulated network holds whole (BufferedRequest)', async () => {
    const body = `${arid}\n${env}`;
    const { app } = setup({ bodyLimitBytes: Buffer.byteLength(body) });
    const send = async (text: string) => {
      const res = await app.fetch(
        BufferedRequest.from('http://hubert.sim/put', { method: 'POST', body: text }),
      );
      return [res.status, await res.text()];
    };
    expect(await send(`${body} `)).toEqual([413, 'Failed to buffer the request body: length limit exceeded']);
    expect(await send(body)).toEqual([200, 'OK']);
  });

  it('413 for a body without a length: reading stops at the limit (at most one chunk more)', async () => {
    const { app } = setup({ bodyLimitBytes: 1000 });
    let pulled = 0;
    const chunk = new Uint8Array(300).fill(0x61);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 4 * 1024 * 1024) return controller.close(); // long enough to tell
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await app.fetch(
      new Request('http://hubert.sim/put', { method: 'POST', body: endless, duplex: 'half' } as RequestInit),
    );
    expect([res.status, await res.text()]).toEqual([
      413,
      'Failed to buffer the request body: length limit exceeded',
    ]);
    expect(pulled).toBeLessThanOrEqual(1000 + 2 * chunk.length);
  });

  it('a body that fails mid-read is a 400, not a 500', async () => {
    const { app } = setup();
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(Uint8Array.of(0x75, 0x72));
        controller.error(new Error('connection reset'));
      },
    });
    const res = await app.fetch(
      new Request('http://hubert.sim/put', { method: 'POST', body: broken, duplex: 'half' } as RequestInit),
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Failed to buffer the request body: /);
  });
});

describe('storage failures (hubert-rust server_kv.rs get_sync `.ok().flatten()`, server.rs handle_put `map_err(Conflict)`)', () => {
  const failing: KvStore = {
    put: () => Promise.reject(new Error('database is locked')),
    get: () => Promise.reject(new Error('disk I/O error')),
    exists: () => Promise.reject(new Error('disk I/O error')),
  };
  const arid = aridUr(seededRng(110));

  it('a failed get is 404 `Not found`', async () => {
    const app = createHubertApp(failing);
    const res = await app.fetch(new Request('http://hubert.sim/get', { method: 'POST', body: arid }));
    expect([res.status, await res.text(), res.headers.get('content-type')]).toEqual([
      404,
      'Not found',
      TEXT_PLAIN,
    ]);
  });

  it('a failed put is 409 with the error text', async () => {
    const app = createHubertApp(failing);
    const res = await app.fetch(
      new Request('http://hubert.sim/put', { method: 'POST', body: `${arid}\n${envOf('x')}` }),
    );
    expect([res.status, await res.text()]).toEqual([409, 'database is locked']);
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
  it('GET /health: text/plain, keys in serde_json order (server.rs handle_health)', async () => {
    const { call } = setup();
    expect(await call('/health', undefined, 'GET')).toMatchObject({
      status: 200,
      text: '{"server":"hubert","status":"ok","version":"0.5.0"}',
      type: TEXT_PLAIN,
    });
    const custom = setup({ version: '9.9.9' });
    expect((await custom.call('/health', undefined, 'GET')).text).toBe(
      '{"server":"hubert","status":"ok","version":"9.9.9"}',
    );
    const head = await custom.app.fetch(new Request('http://hubert.sim/health', { method: 'HEAD' }));
    expect([head.status, await head.text(), head.headers.get('content-length')]).toEqual([200, '', '51']);
  });

  it('unknown path → 404 empty; wrong method → 405 empty with allow; no content type on either', async () => {
    const { call } = setup();
    expect(await call('/nope', 'x')).toMatchObject({ status: 404, text: '', type: null });
    expect(await call('/put', undefined, 'GET')).toMatchObject({
      status: 405,
      text: '',
      allow: 'POST',
      type: null,
    });
    expect(await call('/health', 'x', 'POST')).toMatchObject({ status: 405, allow: 'GET,HEAD', type: null });
    expect(await call('/get', undefined, 'HEAD')).toMatchObject({ status: 405, allow: 'POST' });
  });

  it('routes on the path as sent, without decoding (axum/matchit): /%67et and /GET are 404', async () => {
    const { call } = setup();
    expect(await call('/%67et', aridUr(seededRng(301)))).toMatchObject({ status: 404, text: '', type: null });
    expect(await call('/GET', aridUr(seededRng(301)))).toMatchObject({ status: 404, text: '' });
    expect(await call('/get/', aridUr(seededRng(301)))).toMatchObject({ status: 404, text: '' });
    expect(await call('/get?x=1', aridUr(seededRng(301)))).toMatchObject({ status: 404, text: 'Not found' });
  });

  it('never answers 500 to input: 400 mutated bodies, each answered 200, 400 or 409', async () => {
    const { call } = setup();
    const rng = seededRng(302);
    const base = new TextEncoder().encode(`${aridUr(rng)}\n${envOf('fuzz')}\n60`);
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const body = base.slice();
      const [a, b, c] = rng(3);
      const edits = 1 + (a! % 4);
      for (let k = 0; k < edits; k++) body[(b! * 256 + c! + k * 37) % body.length] = rng(1)[0]!;
      const res = await call(i % 2 === 0 ? '/put' : '/get', body);
      seen.add(res.status);
      expect([200, 400, 404, 409]).toContain(res.status);
    }
    expect(seen.has(400)).toBe(true);
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
