import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ruleFaults, startBaoServer, type BaoServerHandle } from '../../src/index.js';

const handles: BaoServerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

async function start(): Promise<BaoServerHandle> {
  const h = await startBaoServer({ port: 0, seed: 'live' });
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
    // Node's HTTP parser has no LIST method: over real sockets only GET ?list=true works
    // (which is what the Vault/OpenBao API clients send anyway).
    expect((await fetch(`${h.url}/v1/secp256k1/keys`, { method: 'LIST', headers })).status).toBe(400);
    expect((await fetch(`${h.url}/v1/secp256k1/keys/live-1`, { method: 'DELETE', headers })).status).toBe(
      204,
    );
    expect((await fetch(`${h.url}/v1/sys/health`)).status).toBe(200);
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
