/**
 * The live server's HTTP edge over a real socket (127.0.0.1, raw bytes through node:net, so that
 * nothing on the client side normalises the request): routing as axum routes (hubert-rust
 * server.rs `run`), empty 404/405 as axum's fallbacks, `/health` as `handle_health`, and the
 * request body limit (axum DefaultBodyLimit, 2 MiB) on a chunked body far above it.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubertServer, type RunningHubertServer } from '../../src/live/server.js';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../src/index.js';
import { aridUr, envOf, seededRng } from '../helpers.js';

/** A parsed HTTP/1.1 response: status, lowercase headers, body text. */
interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseResponse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  let body = split < 0 ? '' : raw.slice(split + 4);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  if (headers['transfer-encoding'] === 'chunked') {
    let out = '';
    let rest = body;
    for (;;) {
      const eol = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, eol), 16);
      if (!(size > 0)) break;
      out += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 2 + size + 2);
    }
    body = out;
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body };
}

let server: RunningHubertServer;

/** Send `request` verbatim on a fresh connection (`Connection: close`) and read the whole answer. */
function raw(request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseResponse(data)));
  });
}

/** A POST with a body, `Connection: close`, the request target sent as given. */
function post(target: string, body: string, extra = ''): Promise<RawResponse> {
  const len = Buffer.byteLength(body);
  return raw(
    `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}Content-Length: ${len}\r\n\r\n${body}`,
  );
}

beforeAll(async () => {
  server = await startHubertServer({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
});

describe('live edge: /health (server.rs handle_health: `(StatusCode::OK, String)`)', () => {
  it('GET is text/plain with serde_json-sorted keys; HEAD has the same length and no body', async () => {
    const get = await raw('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(get.body).toBe('{"server":"hubert","status":"ok","version":"0.5.0"}');
    expect(get.headers['content-length']).toBe('51');
    const head = await raw('HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect([head.status, head.body, head.headers['content-length']]).toEqual([200, '', '51']);
  });
});

describe('live edge: 404 and 405 are empty, as axum fallbacks (no content type)', () => {
  it('unknown path: 404, content-length 0, no content-type', async () => {
    const r = await post('/nope', 'x');
    expect([r.status, r.body, r.headers['content-length'], r.headers['content-type']]).toEqual([
      404,
      '',
      '0',
      undefined,
    ]);
  });

  it('wrong method: 405 with allow, content-length 0, no content-type', async () => {
    const put = await raw('GET /put HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect([put.status, put.body, put.headers.allow, put.headers['content-type']]).toEqual([
      405,
      '',
      'POST',
      undefined,
    ]);
    expect(put.headers['content-length']).toBe('0');
    const health = await post('/health', 'x');
    expect([health.status, health.headers.allow, health.headers['content-type']]).toEqual([
      405,
      'GET,HEAD',
      undefined,
    ]);
  });
});

describe('live edge: request targets are routed as axum routes them (path as sent, no normalisation)', () => {
  const arid = aridUr(seededRng(950));

  it.each([
    ['a dot-dot segment', '/put/../get'],
    ['a percent-encoded dot-dot segment', '/%2e%2e/get'],
    ['a dot segment', '/./get'],
    ['a percent-encoded letter', '/%67et'],
    ['a dot-dot segment in absolute form', 'http://evil/put/../get'],
    ['a double slash', '//get'],
    ['a trailing slash', '/get/'],
    ['the asterisk form', '*'],
  ])('%s (%s) is 404, empty', async (_name, target) => {
    const r = await post(target, arid);
    expect([r.status, r.body, r.headers['content-type']]).toEqual([404, '', undefined]);
  });

  it('the absolute form http://evil/get is /get to axum (its path is /get): answered as /get', async () => {
    const env = envOf('absolute');
    expect((await post('http://evil/put', `${arid}\n${env}`)).status).toBe(200);
    const r = await post('http://evil/get', arid);
    expect([r.status, r.body]).toEqual([200, env]);
    expect((await post('/get?x=1', arid)).body).toBe(env); // the query is not part of the path
  });
});

describe('live edge: body limit (axum DefaultBodyLimit, 2 MiB)', () => {
  it('a declared Content-Length above the limit: 413 without reading the body', async () => {
    const r = await raw(
      `POST /put HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${DEFAULT_BODY_LIMIT_BYTES + 1}\r\n\r\nur:arid/`,
    );
    expect([r.status, r.body, r.headers['content-type']]).toEqual([
      413,
      'Failed to buffer the request body: length limit exceeded',
      'text/plain; charset=utf-8',
    ]);
  });

  it('a chunked body 20x the limit: 413 once the limit is passed, the server stays small and keeps serving', async () => {
    const total = 20 * DEFAULT_BODY_LIMIT_BYTES; // 40 MiB
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const chunkFrame = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const sample = (): void => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    };
    const result = await new Promise<{ response: RawResponse; sent: number }>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let data = '';
      let sent = 0;
      let answered = false;
      socket.setEncoding('latin1');
      const finish = (): void => resolve({ response: parseResponse(data), sent });
      socket.on('data', (d: string) => {
        data += d;
        const headEnd = data.indexOf('\r\n\r\n');
        const length = /content-length: *(\d+)/i.exec(data.slice(0, Math.max(headEnd, 0)));
        if (!answered && headEnd >= 0 && length && data.length >= headEnd + 4 + Number(length[1])) {
          answered = true; // a client that reads the early answer stops sending
          sample();
          socket.destroy();
          finish();
        }
      });
      socket.on('error', (e) => (answered ? undefined : reject(e)));
      socket.on('close', () => (answered ? undefined : finish()));
      const pump = (): void => {
        while (!answered && sent < total) {
          sent += chunk.length;
          sample();
          if (!socket.write(chunkFrame)) {
            socket.once('drain', pump);
            return;
          }
        }
        if (!answered) socket.write('0\r\n\r\n');
      };
      socket.write('POST /put HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', pump);
    });
    expect(result.response.status).toBe(413);
    expect(result.response.body).toBe('Failed to buffer the request body: length limit exceeded');
    // The old edge buffered the whole body (a 200 MB put peaked at 764 MB): here at most a few
    // socket buffers' worth of it is ever held.
    expect(peak - baseline).toBeLessThan(16 * 1024 * 1024);
    expect(result.sent).toBeLessThan(total);
    const arid = aridUr(seededRng(951));
    expect((await post('/put', `${arid}\n${envOf('after')}`)).status).toBe(200);
    expect((await post('/get', arid)).body).toBe(envOf('after'));
  });
});
