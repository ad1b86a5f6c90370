import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
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
      client: new BaoClient({ address: 'http://bao.sim', token: 'root', fetch: sim.fetch }),
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
    expect((await keyring.sign('w2', msg)).publicKey).toEqual(b.publicKey);
    await keyring.delete('w2');
    expect(sim.keyNames('team-b')).toEqual([]);
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
