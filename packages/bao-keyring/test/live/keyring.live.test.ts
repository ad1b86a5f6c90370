/**
 * Integration: BaoClient (default undici fetch + pooled Agent) and BaoKeyring against the real
 * simulator over HTTP on 127.0.0.1. Wall time; no timing assertions (concurrency is read from
 * the server's in-flight counter instead).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ruleFaults } from '@fanout/sim-bao';
import { startBaoServer, type BaoServerHandle } from '@fanout/sim-bao/live';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '@fanout/core';
import {
  BaoAuthError,
  BaoClient,
  BaoKeyNotFoundError,
  BaoKeyring,
  BaoSealedError,
  BaoTimeoutError,
  BaoUnavailableError,
} from '../../src/index.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function rig(
  token = 'root',
  timeoutMs?: number,
): Promise<{ h: BaoServerHandle; client: BaoClient; keyring: BaoKeyring }> {
  const h = await startBaoServer({ port: 0, seed: 3 });
  cleanup.push(() => h.close());
  const client = new BaoClient({
    clock: realClock,
    address: h.url,
    token,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  cleanup.push(() => client.close());
  return { h, client, keyring: new BaoKeyring({ client }) };
}

describe('BaoKeyring against the live simulator', () => {
  it('runs the full lifecycle over HTTP', async () => {
    const { h, client, keyring } = await rig();
    expect(await client.health()).toMatchObject({ initialized: true, sealed: false, standby: false });
    const rec = await keyring.create('live-alice', { exportable: true });
    const { signature } = await keyring.sign('live-alice', utf8ToBytes('tx'));
    expect(secp256k1.verify(signature, sha256(utf8ToBytes('tx')), rec.publicKey, { prehash: false })).toBe(
      true,
    );
    expect(secp256k1.getPublicKey(await keyring.export('live-alice'), true)).toEqual(rec.publicKey);
    const { keys } = await client.listKeys();
    expect(keys).toEqual(['live-alice']);
    await keyring.delete('live-alice');
    expect(await client.listKeys()).toEqual({ keys: [], keyInfo: new Map() });
    await expect(keyring.sign('live-alice', utf8ToBytes('tx'))).rejects.toBeInstanceOf(BaoKeyNotFoundError);
    expect(h.sim.counters().inFlight).toBe(0);
  });

  it('sends batch requests in parallel over the connection pool', async () => {
    const { h, keyring } = await rig();
    const batch = await keyring.createBatch({ prefix: 'parallel-worker', count: 8 });
    expect(batch.keys.every(Boolean)).toBe(true);
    h.sim.resetCounters();
    h.sim.setFaults(ruleFaults([{ match: { route: 'sign' }, latencyMs: 150 }]));
    const results = await keyring.signBatch(
      batch.keys.map((k) => ({ uid: k!.uid, msg: utf8ToBytes(`tx-${k!.uid}`) })),
    );
    expect(results.every((r) => r.signature?.length === 64)).toBe(true);
    expect(h.sim.counters().peakInFlight).toBeGreaterThan(1);
    expect(h.sim.counters().byRoute.sign).toBe(8);
  });

  it('maps live failures: reset → unavailable, hang → timeout, sealed, bad token', async () => {
    const { h, client, keyring } = await rig('root', 300);
    await keyring.create('k');
    h.sim.setFaults(ruleFaults([{ match: { route: 'sign' }, times: 1, action: { type: 'reset' } }]));
    await expect(keyring.sign('k', utf8ToBytes('x'))).rejects.toBeInstanceOf(BaoUnavailableError);
    expect((await keyring.sign('k', utf8ToBytes('x'))).signature).toHaveLength(64);
    h.sim.setFaults(ruleFaults([{ match: { route: 'keys.read' }, times: 1, action: { type: 'hang' } }]));
    await expect(client.getKey('k')).rejects.toBeInstanceOf(BaoTimeoutError);
    h.sim.setFaults(undefined);
    h.sim.setSealed(true);
    await expect(client.health()).rejects.toBeInstanceOf(BaoSealedError);
    await expect(keyring.sign('k', utf8ToBytes('x'))).rejects.toBeInstanceOf(BaoSealedError);
    h.sim.setSealed(false);
    const other = new BaoClient({ clock: realClock, address: h.url, token: 'nope' });
    cleanup.push(() => other.close());
    await expect(other.getKey('k')).rejects.toBeInstanceOf(BaoAuthError);
  });

  it('reports a refused connection as BaoUnavailableError', async () => {
    const h = await startBaoServer({ port: 0 });
    const url = h.url;
    await h.close();
    const client = new BaoClient({ clock: realClock, address: url, token: 'root' });
    cleanup.push(() => client.close());
    await expect(client.health()).rejects.toBeInstanceOf(BaoUnavailableError);
  });

  it('close() before any request (the pool is made at the first one): requests then fail, as after close() on a used client', async () => {
    const { h, client } = await rig();
    const used = new BaoClient({ clock: realClock, address: h.url, token: 'root' });
    await used.health();
    await used.close();
    await client.close();
    const a = await client.health().catch((e: unknown) => e);
    const b = await used.health().catch((e: unknown) => e);
    expect(a).toBeInstanceOf(BaoUnavailableError);
    expect(b).toBeInstanceOf(BaoUnavailableError);
    expect(h.sim.counters().total).toBe(1); // only the used client’s one request reached Bao
  });
});
