/**
 * The body limit over real sockets: an oversized request is answered 413 with OpenBao's text and
 * `Connection: close` while the client is still sending; the server never waits for (or keeps)
 * the rest of the body. No timing is asserted: a server that read the whole declared body would
 * never answer, and the test would time out.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBaoServer, type BaoServerHandle } from '../../src/live/index.js';

const handles: BaoServerHandle[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

/** Open a raw connection; resolves the first full response head + body once it has arrived. */
function rawExchange(port: number, write: (s: Socket) => void): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let got = Buffer.alloc(0);
    socket.on('error', () => undefined); // the server may close while we still write
    socket.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      const text = got.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = text.slice(0, end);
      const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? '0');
      if (text.length >= end + 4 + len) resolve({ head, body: text.slice(end + 4, end + 4 + len) });
    });
    socket.on('close', () => reject(new Error(`closed before a full response: ${got.toString('latin1')}`)));
    socket.on('connect', () => write(socket));
  });
}

describe('live body limit', () => {
  it('answers a 64 MiB declared body 413 after 1 MiB was sent', async () => {
    const h = await startBaoServer({ seed: 1 });
    handles.push(h);
    const { head, body } = await rawExchange(h.port, (s) => {
      s.write(
        'POST /v1/secp256k1/keys/k HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: root\r\n' +
          `Content-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`,
      );
      s.write(Buffer.alloc(1024 * 1024, 0x20));
    });
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head).toMatch(/\r\nconnection: close/i);
    expect(head).toMatch(/\r\ncache-control: no-store/i);
    expect(JSON.parse(body)).toEqual({
      errors: ['failed to parse JSON input: http: request body too large'],
    });
    expect(h.sim.keyNames()).toEqual([]);
  });

  it('answers a chunked body 413 once it passes the limit', async () => {
    const h = await startBaoServer({ seed: 1, maxRequestBytes: 64 * 1024 });
    handles.push(h);
    const { head } = await rawExchange(h.port, (s) => {
      s.write(
        'POST /v1/secp256k1/keys/k HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: root\r\n' +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      for (let i = 0; i < 8; i++)
        s.write(Buffer.concat([Buffer.from('4000\r\n'), chunk, Buffer.from('\r\n')]));
    });
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    // The server is still up for the next client.
    expect((await fetch(`${h.url}/v1/sys/health`)).status).toBe(200);
  });
});
