import { connect } from 'node:net';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ruleFaults } from '../../src/index.js';
import { startBaoServer, type BaoServerHandle } from '../../src/live/index.js';

const handles: BaoServerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

async function start(): Promise<BaoServerHandle> {
  const h = await startBaoServer({ port: 0, seed: 8 });
  handles.push(h);
  return h;
}

const headers = { 'X-Vault-Token': 'root', 'Content-Type': 'application/json' };

describe('live Bao simulator on 127.0.0.1', () => {
  it('serves create / sign / LIST / delete over real HTTP', async () => {
    const h = await start();
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.port).toBeGreaterThan(0);
    const created = await fetch(`${h.url}/v1/secp256k1/keys/live-1`, {
      method: 'POST',
      headers,
      body: '{"exportable":false}',
    });
    expect(created.status).toBe(200);
    const sig = await fetch(`${h.url}/v1/secp256k1/sign/live-1`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        input: Buffer.from(sha256(new Uint8Array([1]))).toString('base64'),
        prehashed: true,
      }),
    });
    expect(sig.status).toBe(200);
    expect(
      Buffer.from(((await sig.json()) as { data: { signature: string } }).data.signature, 'base64').length,
    ).toBe(64);
    const list = await fetch(`${h.url}/v1/secp256k1/keys?list=true`, { headers });
    expect(((await list.json()) as { data: { keys: string[] } }).data.keys).toEqual(['live-1']);
    // LIST over a real socket (undici sends the method verbatim), as OpenBao accepts it.
    const listed = await fetch(`${h.url}/v1/secp256k1/keys`, { method: 'LIST', headers });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { data: { keys: string[] } }).data.keys).toEqual(['live-1']);
    expect((await fetch(`${h.url}/v1/secp256k1/keys/live-1`, { method: 'DELETE', headers })).status).toBe(
      204,
    );
    expect((await fetch(`${h.url}/v1/sys/health`)).status).toBe(200);
  });

  it('answers every LIST of a keep-alive connection, between requests with bodies and pipelined', async () => {
    const h = await start();
    const body = '{"exportable":false}';
    const req = (line: string, extra = ''): string =>
      `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: root\r\n${extra}\r\n`;
    const post = (name: string): string =>
      req(
        `POST /v1/secp256k1/keys/${name}`,
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`,
      ) + body;
    const socket = connect(h.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let wake: (() => void) | undefined;
    socket.on('data', (c: Buffer) => {
      received = Buffer.concat([received, c]);
      wake?.();
    });
    /** Complete responses in `received` (status, body), by head + Content-Length. */
    const responses = (): { status: number; body: string }[] => {
      const out: { status: number; body: string }[] = [];
      let rest = received.toString('latin1');
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (end === -1) return out;
        const head = rest.slice(0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? '0');
        if (rest.length < end + 4 + len) return out;
        out.push({ status: Number(head.slice(9, 12)), body: rest.slice(end + 4, end + 4 + len) });
        rest = rest.slice(end + 4 + len);
      }
    };
    /** Send `wire` split in three (mid-line, mid-body), wait until `total` responses arrived. */
    const send = async (wire: string, total: number): Promise<void> => {
      const a = Math.floor(wire.length / 3);
      for (const part of [wire.slice(0, a), wire.slice(a, 2 * a), wire.slice(2 * a)]) {
        socket.write(part);
        await new Promise((r) => setTimeout(r, 2));
      }
      while (responses().length < total) await new Promise<void>((r) => (wake = r));
    };
    await send(post('k-1'), 1);
    await send(req('LIST /v1/secp256k1/keys'), 2);
    await send(post('k-2'), 3);
    // Pipelined read-only requests on the same connection.
    await send(
      req('LIST /v1/secp256k1/keys/?foo=1') +
        req('LIST /v1/secp256k1/keys?list=true') +
        req('GET /v1/secp256k1/keys/k-2') +
        req('LIST /v1/secp256k1/keys'),
      7,
    );
    socket.destroy();
    const got = responses();
    expect(got.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    const keys = (i: number): string[] =>
      (JSON.parse(got[i]!.body) as { data: { keys: string[] } }).data.keys;
    expect(keys(1)).toEqual(['k-1']);
    expect([keys(3), keys(4), keys(6)]).toEqual([
      ['k-1', 'k-2'],
      ['k-1', 'k-2'],
      ['k-1', 'k-2'],
    ]);
    expect(h.sim.counters().byRoute['keys.list']).toBe(4);
  });

  it('resets the socket on a reset fault and serves the next request', async () => {
    const h = await start();
    h.sim.setFaults(ruleFaults([{ match: { route: 'keys.read' }, times: 1, action: { type: 'reset' } }]));
    await expect(fetch(`${h.url}/v1/secp256k1/keys/x`, { headers })).rejects.toThrow(TypeError);
    const after = await fetch(`${h.url}/v1/secp256k1/keys/x`, { headers });
    expect(after.status).toBe(400);
    expect(h.sim.counters().dropped).toBe(1);
  });

  it('keeps a hung request pending until the client aborts, then frees the slot', async () => {
    const h = await start();
    h.sim.setFaults(ruleFaults([{ match: { route: 'keys.read' }, times: 1, action: { type: 'hang' } }]));
    const ctl = new AbortController();
    const p = fetch(`${h.url}/v1/secp256k1/keys/x`, { headers, signal: ctl.signal });
    await new Promise((r) => setTimeout(r, 100));
    expect(h.sim.counters().inFlight).toBe(1);
    ctl.abort();
    await expect(p).rejects.toThrow();
    for (let i = 0; i < 50 && h.sim.counters().inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.sim.counters().inFlight).toBe(0);
    expect((await fetch(`${h.url}/v1/sys/health`)).status).toBe(200);
  });

  it('rejects a taken port', async () => {
    const h = await start();
    await expect(startBaoServer({ port: h.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
