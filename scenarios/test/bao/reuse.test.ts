/**
 * What the Bao worlds reuse across runs (docs/bao.md, "What a run reuses"): keys derived from
 * their names (the same in every world, unless `seededKeys`), the oracle's remembered
 * verifications (the same answers as a fresh check), and workload messages derived from labels.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { verifyCosmosSignature } from '@fanout/sim-bao';
import type { SignRequest } from '@fanout/bao-keyring';
import { createRng } from '@fanout/sim';
import { noHolRequests, signatureRequests, workloadMessage } from '../../src/bao/index.js';
import { baoWorld } from './helpers.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function pubsOf(seed: number, seededKeys: boolean, names: readonly string[]): Promise<string[]> {
  const { world, parties } = await baoWorld(seed, {}, { seededKeys });
  try {
    for (const n of names) await parties.keyring.create(n);
    return names.map((n) => hex(parties.oraclePubs().get(n)!));
  } finally {
    await world.close();
  }
}

describe('keys of the Bao worlds', () => {
  it('are derived from the names: the same in worlds of any seed, distinct per name', async () => {
    const a = await pubsOf(1, false, ['worker-1', 'worker-2']);
    const b = await pubsOf(2, false, ['worker-2', 'worker-1']);
    expect(b).toEqual([a[1], a[0]]);
    expect(a[0]).not.toBe(a[1]);
  });

  it('with seededKeys come from the seed, as the demo wants (other seed, other keys)', async () => {
    const a = await pubsOf(1, true, ['default']);
    expect(await pubsOf(1, true, ['default'])).toEqual(a);
    expect(await pubsOf(2, true, ['default'])).not.toEqual(a);
    expect(await pubsOf(1, false, ['default'])).not.toEqual(a);
  });

  it('a key deleted and created again is another key (an overwrite stays visible)', async () => {
    const { world, parties } = await baoWorld(3);
    try {
      const first = await parties.client.createKey('k');
      await parties.client.deleteKey('k');
      const second = await parties.client.createKey('k');
      expect(second.publicKey).not.toEqual(first.publicKey);
    } finally {
      await world.close();
    }
  });
});

describe("the oracle's remembered verification", () => {
  it('answers as a fresh verification, whatever was verified before', async () => {
    const { world, parties } = await baoWorld(4);
    try {
      await parties.keyring.create('s');
      await parties.keyring.create('t');
      const pubs = parties.oraclePubs();
      const msg = new Uint8Array([7, 7, 7]);
      const { signature } = await parties.keyring.sign('s', msg);
      const tampered = signature.slice();
      tampered[10]! ^= 0x40;
      const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
        [pubs.get('s')!, msg, signature],
        [pubs.get('s')!, msg, tampered],
        [pubs.get('t')!, msg, signature],
        [pubs.get('s')!, new Uint8Array([7, 7]), signature],
      ];
      for (let round = 0; round < 2; round++)
        for (const [pub, m, sig] of cases)
          expect(parties.verify(pub, m, sig)).toBe(verifyCosmosSignature(pub, sha256(m), sig));
      expect(parties.verify(pubs.get('s')!, msg, signature)).toBe(true);
      expect(parties.verify(pubs.get('s')!, msg, undefined)).toBe(false);
      expect(secp256k1.verify(signature, sha256(msg), pubs.get('s')!, { prehash: false })).toBe(true);
    } finally {
      await world.close();
    }
  });
});

describe('workloadMessage', () => {
  it('depends on the label only, within its bounds, distinct per label', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const m = workloadMessage(`t/${i}`, 1, 96);
      expect(m.length).toBeGreaterThanOrEqual(1);
      expect(m.length).toBeLessThanOrEqual(96);
      expect(workloadMessage(`t/${i}`, 1, 96)).toEqual(m);
      seen.add(hex(m));
    }
    expect(seen.size).toBe(200);
    expect(workloadMessage('x', 32, 32).length).toBe(32);
    expect(workloadMessage('x', 0, 0).length).toBe(0);
    expect(() => workloadMessage('x', 3, 2)).toThrow(RangeError);
    expect(() => workloadMessage('x', -1, 2)).toThrow(RangeError);
  });

  it('gives the requests of a bao.no-hol / bao.signatures batch distinct messages, the same per seed', () => {
    const keys = ['k-1', 'k-2', 'k-3', 'k-4'];
    const shared = hex(workloadMessage('bao.signatures/shared', 32, 32));
    const perKey = (rs: readonly SignRequest[]): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      for (const r of rs) m.set(r.uid, [...(m.get(r.uid) ?? []), hex(r.msg)]);
      return m;
    };
    for (const seed of [1, 2, 3]) {
      const noHol = noHolRequests(createRng(seed).fork('workload'), keys);
      expect(new Set(noHol.map((r) => hex(r.msg))).size).toBe(noHol.length);
      const sigs = signatureRequests(createRng(seed).fork('workload'), keys);
      expect(sigs.length).toBeGreaterThanOrEqual(keys.length);
      expect(sigs.length).toBeLessThanOrEqual(3 * keys.length);
      const own = sigs.map((r) => hex(r.msg)).filter((m) => m !== shared);
      expect(new Set(own).size).toBe(own.length);
      // The m-th message of a key does not depend on the seed.
      for (const [uid, msgs] of perKey(sigs.filter((r) => hex(r.msg) !== shared)))
        msgs.forEach((m, i) => expect(m).toBe(hex(workloadMessage(`bao.signatures/${uid}/${i}`, 0, 200))));
      for (const [uid, msgs] of perKey(noHol))
        expect(new Set(msgs)).toEqual(
          new Set(msgs.map((_, j) => hex(workloadMessage(`bao.no-hol/${uid}/${j}`, 1, 96)))),
        );
    }
  });
});
