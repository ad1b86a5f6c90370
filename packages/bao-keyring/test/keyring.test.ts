import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { realClock } from '@fanout/core';
import {
  BaoAuthError,
  BaoClient,
  BaoKeyExistsError,
  BaoKeyNotExportableError,
  BaoKeyNotFoundError,
  BaoKeyring,
  BaoRequestError,
  BaoSealedError,
  BaoValidationError,
  BatchPartialFailureError,
  addressOf,
} from '../src/index.js';
import { simRig } from './sim.js';

const msg = utf8ToBytes('{"body":{"messages":[]},"chain_id":"mocha-4"}');

describe('BaoKeyring over the simulator', () => {
  it('creates, reads, lists, signs and deletes', async () => {
    const { keyring, sim } = simRig();
    const rec = await keyring.create('alice');
    expect(rec).toMatchObject({ uid: 'alice', name: 'alice', exportable: false, namespace: '' });
    expect(rec.publicKey.length).toBe(33);
    expect(rec.address).toBe(addressOf(rec.publicKey));
    expect(Object.isFrozen(rec)).toBe(true);
    await keyring.newAccount('bob', { exportable: true });
    expect(keyring.list().map((r) => r.uid)).toEqual(['alice', 'bob']);
    expect((await keyring.get('alice')).publicKey).toEqual(rec.publicKey);

    const { signature, publicKey } = await keyring.sign('alice', msg);
    expect(signature.length).toBe(64);
    expect(publicKey).toEqual(rec.publicKey);
    // Independent check: the signature is over SHA-256(sign bytes).
    expect(secp256k1.verify(signature, sha256(msg), rec.publicKey, { prehash: false })).toBe(true);
    expect(secp256k1.verify(signature, msg.subarray(0, 32), rec.publicKey, { prehash: false })).toBe(false);

    await keyring.delete('alice');
    expect(keyring.list().map((r) => r.uid)).toEqual(['bob']);
    expect(sim.keyNames()).toEqual(['bob']);
    await expect(keyring.sign('alice', msg)).rejects.toBeInstanceOf(BaoKeyNotFoundError);
  });

  it('refuses a duplicate uid locally (no request) and on the server', async () => {
    const { keyring, sim } = simRig();
    await keyring.create('dup');
    sim.resetCounters();
    await expect(keyring.create('dup')).rejects.toBeInstanceOf(BaoKeyExistsError);
    expect(sim.counters().total).toBe(0);
    // A key the server has but a second keyring does not know.
    const fresh = new BaoKeyring({
      client: new BaoClient({ clock: realClock, address: 'http://bao.sim', token: 'root', fetch: sim.fetch }),
    });
    const err = await fresh.create('dup').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoKeyExistsError);
    expect((err as BaoKeyExistsError).status).toBe(400);
  });

  it('get() fetches a key unknown locally from Bao and records it', async () => {
    const { keyring, client } = simRig();
    await client.createKey('remote');
    expect(keyring.list()).toEqual([]);
    const rec = await keyring.get('remote');
    expect(rec.uid).toBe('remote');
    expect(keyring.list().map((r) => r.uid)).toEqual(['remote']);
    await expect(keyring.get('nowhere')).rejects.toBeInstanceOf(BaoKeyNotFoundError);
    // Signing with a key known only remotely works too.
    await client.createKey('remote-2');
    expect((await keyring.sign('remote-2', msg)).signature.length).toBe(64);
  });

  it('maps a missing key to BaoKeyNotFoundError with the 404 quirk switched on too', async () => {
    const { keyring } = simRig({ app: { missingKeyStatus: 404 } });
    const err = await keyring.get('ghost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoKeyNotFoundError);
    expect((err as BaoKeyNotFoundError).status).toBe(404);
  });

  it('keeps keys in their namespace and signs there', async () => {
    const { keyring, sim } = simRig({ keyring: { namespace: 'team-a' } });
    const a = await keyring.create('w');
    const b = await keyring.create('w2', { namespace: 'team-b' });
    expect(a.namespace).toBe('team-a');
    expect(b.namespace).toBe('team-b');
    expect(sim.keyNames('team-a')).toEqual(['w']);
    expect(sim.keyNames('team-b')).toEqual(['w2']);
    expect(sim.keyNames()).toEqual([]);
    expect((await keyring.sign('w2', msg, { namespace: 'team-b' })).publicKey).toEqual(b.publicKey);
    // Without a namespace the keyring's own (team-a) is meant, where w2 does not exist.
    await expect(keyring.sign('w2', msg)).rejects.toBeInstanceOf(BaoKeyNotFoundError);
    await keyring.delete('w2', { namespace: 'team-b' });
    expect(sim.keyNames('team-b')).toEqual([]);
  });

  it('keys the same uid separately per namespace: create, get, has, list, sign, delete', async () => {
    const { keyring, sim } = simRig();
    const a = await keyring.create('k', { namespace: 'a' });
    // Same uid in another namespace: a new key on the server, not a local "already exists".
    const b = await keyring.create('k', { namespace: 'b' });
    expect(b.namespace).toBe('b');
    expect(b.publicKey).not.toEqual(a.publicKey);
    expect(sim.keyInfo('a').map((k) => k.publicKey)).toEqual([a.publicKey]);
    expect(sim.keyInfo('b').map((k) => k.publicKey)).toEqual([b.publicKey]);
    // Locally known in a and b, not in the default namespace.
    expect(keyring.has('k', { namespace: 'a' })).toBe(true);
    expect(keyring.has('k', { namespace: 'b' })).toBe(true);
    expect(keyring.has('k')).toBe(false);
    expect((await keyring.get('k', { namespace: 'a' })).publicKey).toEqual(a.publicKey);
    expect((await keyring.get('k', { namespace: 'b' })).publicKey).toEqual(b.publicKey);
    expect(keyring.list().map((r) => `${r.namespace}/${r.uid}`)).toEqual(['a/k', 'b/k']);
    expect(keyring.list({ namespace: 'b' }).map((r) => r.publicKey)).toEqual([b.publicKey]);
    // A key only in b is not handed out for a: get asks a's server and finds nothing.
    await keyring.create('k2', { namespace: 'b' });
    await expect(keyring.get('k2', { namespace: 'a' })).rejects.toBeInstanceOf(BaoKeyNotFoundError);
    // Each namespace signs with its own key.
    const sa = await keyring.sign('k', msg, { namespace: 'a' });
    const sb = await keyring.sign('k', msg, { namespace: 'b' });
    expect(sa.publicKey).toEqual(a.publicKey);
    expect(sb.publicKey).toEqual(b.publicKey);
    expect(secp256k1.verify(sb.signature, sha256(msg), b.publicKey, { prehash: false })).toBe(true);
    // Deleting in a leaves b's key alone, locally and on the server.
    await keyring.delete('k', { namespace: 'a' });
    expect(sim.keyNames('a')).toEqual([]);
    expect(sim.keyNames('b')).toEqual(['k', 'k2']);
    expect(keyring.list().map((r) => `${r.namespace}/${r.uid}`)).toEqual(['b/k', 'b/k2']);
    // refresh() of one namespace leaves the other alone.
    expect((await keyring.refresh({ namespace: 'a' })).length).toBe(0);
    expect(keyring.list({ namespace: 'b' }).length).toBe(2);
  });

  it("createBatch rerun: by default every existing name fails; existing: 'adopt' reads and records it, never overwriting", async () => {
    const { keyring, client, sim } = simRig();
    // First run: pw-2 is created elsewhere beforehand (another keyring), pw-1 and pw-3 by this one.
    const other = await client.createKey('pw-2');
    await keyring.create('pw-1');
    await keyring.create('pw-3');
    const before = sim.keyInfo().map((k) => [k.name, k.publicKey]);
    // Default: unchanged behaviour, every existing name (local or on the server) fails.
    const err = await keyring.createBatch({ prefix: 'pw', count: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchPartialFailureError);
    expect((err as BatchPartialFailureError).failed).toEqual(['pw-1', 'pw-2', 'pw-3']);
    expect((err as BatchPartialFailureError).errors.every((e) => e instanceof BaoKeyExistsError)).toBe(true);
    sim.resetCounters();
    // adopt: pw-1..4 exist (pw-4 from the failed run above) and are read (GET); only pw-5 is
    // created; nothing is replaced.
    const r = await keyring.createBatch({ prefix: 'pw', count: 5, existing: 'adopt' });
    expect(r.items.map((i) => [i.uid, i.adopted])).toEqual([
      ['pw-1', true],
      ['pw-2', true],
      ['pw-3', true],
      ['pw-4', true],
      ['pw-5', false],
    ]);
    expect(r.keys[1]!.publicKey).toEqual(other.publicKey);
    // pw-2 unknown locally: asked, refused "already exists", adopted; pw-5 created.
    expect(sim.counters().byRoute['keys.create']).toBe(2);
    expect(sim.counters().byRoute['keys.read']).toBe(4);
    expect(sim.counters().byRoute['keys.import']).toBe(0);
    expect(sim.counters().byRoute['keys.delete']).toBe(0);
    const after = new Map(sim.keyInfo().map((k) => [k.name, k.publicKey]));
    for (const [name, pub] of before) expect(after.get(name as string)).toEqual(pub);
    expect(after.size).toBe(5);
    for (const rec of keyring.list()) expect(after.get(rec.uid)).toEqual(rec.publicKey);
    // A failure other than "already exists" is still a failure with adopt.
    sim.setSealed(true);
    await expect(keyring.createBatch({ prefix: 'pw', count: 6, existing: 'adopt' })).rejects.toBeInstanceOf(
      BatchPartialFailureError,
    );
    sim.setSealed(false);
    await expect(
      keyring.createBatch({ prefix: 'pw', count: 1, existing: 'overwrite' as unknown as 'adopt' }),
    ).rejects.toMatchObject({ name: 'BaoValidationError', field: 'existing' });
  });

  it('createBatch in a second namespace asks the server and creates there', async () => {
    const { keyring, sim } = simRig();
    await keyring.createBatch({ prefix: 'pw', count: 3, namespace: 'a' });
    sim.resetCounters();
    const r = await keyring.createBatch({ prefix: 'pw', count: 3, namespace: 'b' });
    expect(r.items.map((i) => i.key?.namespace)).toEqual(['b', 'b', 'b']);
    expect(sim.counters().byRoute['keys.create']).toBe(3);
    expect(sim.keyNames('b')).toEqual(['pw-1', 'pw-2', 'pw-3']);
    // Signs routed per request namespace.
    const res = await keyring.signBatch([
      { uid: 'pw-1', msg, namespace: 'a' },
      { uid: 'pw-1', msg, namespace: 'b' },
    ]);
    expect(res[0]!.publicKey).toEqual(keyring.list({ namespace: 'a' })[0]!.publicKey);
    expect(res[1]!.publicKey).toEqual(r.keys[0]!.publicKey);
    await expect(
      keyring.signBatch([{ uid: 'pw-1', msg, namespace: 7 as unknown as string }]),
    ).rejects.toMatchObject({ name: 'BaoValidationError', field: 'requests[0].namespace' });
  });

  it('imports and exports where allowed; never asks to export a non-exportable key', async () => {
    const { keyring, sim } = simRig();
    const sk = hexToBytes('a3f1c2d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00');
    const imp = await keyring.import('imp', sk, { exportable: true });
    expect(imp.publicKey).toEqual(secp256k1.getPublicKey(sk, true));
    expect(bytesToHex(await keyring.export('imp'))).toBe(bytesToHex(sk));
    await keyring.create('locked');
    sim.resetCounters();
    await expect(keyring.export('locked')).rejects.toBeInstanceOf(BaoKeyNotExportableError);
    expect(sim.counters().byRoute.export).toBe(0);
    await expect(keyring.import('bad', new Uint8Array(31))).rejects.toMatchObject({
      name: 'BaoValidationError',
      field: 'privateKey',
    });
    await expect(keyring.import('imp', sk)).rejects.toBeInstanceOf(BaoKeyExistsError);
  });

  it('surfaces Bao refusing an export as BaoRequestError when local metadata is stale', async () => {
    const { keyring, client } = simRig();
    await client.createKey('remote-locked', { exportable: false });
    // Local store claims exportable (stale), so the request goes out and Bao says no.
    await keyring.store.put({ ...(await keyring.get('remote-locked')), exportable: true });
    const err = await keyring.export('remote-locked').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoRequestError);
    expect((err as BaoRequestError).errors).toEqual(['key is not exportable']);
  });

  it('refresh() reconciles the local store with the server list', async () => {
    const { keyring, client } = simRig();
    await keyring.create('stays');
    await keyring.create('goes');
    await client.deleteKey('goes');
    await client.createKey('new-remote');
    const recs = await keyring.refresh();
    expect(recs.map((r) => r.uid)).toEqual(['new-remote', 'stays']);
    expect(keyring.list().map((r) => r.uid)).toEqual(['new-remote', 'stays']);
    await client.deleteKey('stays');
    await client.deleteKey('new-remote');
    expect(await keyring.refresh()).toEqual([]);
  });

  it('reports sealed and auth failures with typed errors', async () => {
    const { keyring, sim, clock } = simRig();
    await keyring.create('k');
    sim.setSealed(true);
    await expect(keyring.sign('k', msg)).rejects.toBeInstanceOf(BaoSealedError);
    sim.setSealed(false);
    const bad = simRig({ clock, client: { token: 'wrong' } });
    await expect(bad.keyring.create('k')).rejects.toBeInstanceOf(BaoAuthError);
  });

  it('validates uids and sign bytes', async () => {
    const { keyring } = simRig();
    await expect(keyring.create('has space')).rejects.toMatchObject({
      name: 'BaoValidationError',
      field: 'uid',
    });
    await expect(keyring.sign('k', 'text' as unknown as Uint8Array)).rejects.toBeInstanceOf(
      BaoValidationError,
    );
  });
});
