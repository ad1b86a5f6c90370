/**
 * Key pairs that compute what they derive once (keys.ts), and the derived key source: the
 * remembered answers are byte for byte what a fresh computation gives, and the source's keys are
 * distinct per (space, name, creation), shared between servers, and never drawn from an rng.
 */
import { VirtualClock } from '@fanout/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BaoKeyPair,
  BaoOptionError,
  BoundedMemo,
  FORGER_KEY_PAIR,
  FORGER_PUBLIC_KEY,
  FORGE_KINDS,
  cosmosAddress,
  createBaoApp,
  derivedKeySource,
  ethAddress,
  forgeSignature,
  forgeWith,
  signDigest,
} from '../src/index.js';
import { b64, call, unb64 } from './helpers.js';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('BoundedMemo', () => {
  it('computes once per key and forgets the oldest entry when full', () => {
    const memo = new BoundedMemo<string, number>(2);
    let calls = 0;
    const get = (k: string): number => memo.get(k, () => (calls++, k.length));
    expect([get('a'), get('bb'), get('a')]).toEqual([1, 2, 1]);
    expect(calls).toBe(2);
    get('ccc'); // evicts 'a'
    expect(memo.size).toBe(2);
    get('a');
    expect(calls).toBe(4);
    expect(() => new BoundedMemo(0)).toThrow(RangeError);
  });
});

describe('BaoKeyPair', () => {
  it('derives the public key and addresses as crypto.ts does', () => {
    const sk = secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(3));
    const pair = new BaoKeyPair(sk, { signatureMemo: 4 });
    expect(pair.publicKey).toEqual(secp256k1.getPublicKey(sk, true));
    expect(pair.address).toBe(bytesToHex(cosmosAddress(pair.publicKey)));
    expect(pair.ethAddress).toBe(ethAddress(pair.publicKey));
  });

  it('remembered signatures are the ones noble computes, in both formats, and copies', () => {
    const sk = secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(5));
    const memo = new BaoKeyPair(sk, { signatureMemo: 2 });
    const plain = new BaoKeyPair(sk);
    fc.assert(
      fc.property(bytes32, fc.constantFrom('cosmos' as const, 'der' as const), (digest, format) => {
        const expected = signDigest(sk, digest, format);
        for (let i = 0; i < 2; i++) {
          const got = memo.sign(digest, format);
          expect(got).toEqual(expected);
          got.fill(0); // the caller's copy: the memo is unharmed
        }
        expect(plain.sign(digest, format)).toEqual(expected);
      }),
      { numRuns: 20 },
    );
  });

  it('forges with remembered signatures exactly as forgeSignature does', () => {
    const sk = secp256k1.utils.randomSecretKey(new Uint8Array(48).fill(8));
    const pair = new BaoKeyPair(sk, { signatureMemo: 8 });
    expect(FORGER_KEY_PAIR.publicKey).toEqual(FORGER_PUBLIC_KEY);
    const digest = sha256(utf8ToBytes('forge me'));
    for (const how of FORGE_KINDS)
      for (const format of ['cosmos', 'der'] as const)
        for (let i = 0; i < 2; i++)
          expect(forgeWith(pair, FORGER_KEY_PAIR, digest, format, how)).toEqual(
            forgeSignature(sk, digest, format, how),
          );
  });
});

describe('derivedKeySource', () => {
  it('derives each key from (label, space, name, nth) alone, as documented', () => {
    const source = derivedKeySource('label-1');
    const expected = (space: string, name: string, nth: number): Uint8Array => {
      const id = utf8ToBytes(`${space}\u0000${name}\u0000${nth}`);
      const half = (i: number): Uint8Array =>
        sha256(concatBytes(utf8ToBytes('label-1'), new Uint8Array([i]), id));
      return secp256k1.utils.randomSecretKey(concatBytes(half(0), half(1)).slice(0, 48));
    };
    expect(source('secp256k1/', 'a', 1).privateKey).toEqual(expected('secp256k1/', 'a', 1));
    expect(source('team-a/secp256k1/', 'a', 2).privateKey).toEqual(expected('team-a/secp256k1/', 'a', 2));
  });

  it('gives distinct keys per space, name and creation, the same pair again for the same ones', () => {
    const source = derivedKeySource('label-2');
    const ids: [string, string, number][] = [
      ['secp256k1/', 'a', 1],
      ['secp256k1/', 'a', 2],
      ['secp256k1/', 'b', 1],
      ['team-a/secp256k1/', 'a', 1],
    ];
    const pubs = ids.map(([s, n, k]) => bytesToHex(source(s, n, k).publicKey));
    expect(new Set(pubs).size).toBe(ids.length);
    expect(source('secp256k1/', 'a', 1)).toBe(source('secp256k1/', 'a', 1));
    expect(derivedKeySource('label-3')('secp256k1/', 'a', 1).publicKey).not.toEqual(
      source('secp256k1/', 'a', 1).publicKey,
    );
  });

  it('serves the same keys in every server; a name deleted and created again gets a new key', async () => {
    const keys = derivedKeySource('label-4');
    const pubOf = async (sim: ReturnType<typeof createBaoApp>, name: string): Promise<string> =>
      (await call(sim, 'POST', `/v1/secp256k1/keys/${name}`, { exportable: true })).json.data.public_key;
    const a = createBaoApp({ clock: new VirtualClock(), keys });
    const b = createBaoApp({ clock: new VirtualClock(), keys });
    const first = await pubOf(a, 'x');
    expect(await pubOf(b, 'x')).toBe(first);
    expect(first).toBe(bytesToHex(keys('secp256k1/', 'x', 1).publicKey));
    expect((await call(a, 'POST', '/v1/secp256k1/keys/x', {})).json.errors).toEqual(['key already exists']);
    await call(a, 'DELETE', '/v1/secp256k1/keys/x');
    const again = await pubOf(a, 'x');
    expect(again).not.toBe(first);
    expect(again).toBe(bytesToHex(keys('secp256k1/', 'x', 2).publicKey));
    // The export path hands out the derived private key; a sign verifies against the public key.
    const sk = unb64((await call(a, 'GET', '/v1/secp256k1/export/x')).json.data.keys['1']);
    expect(sk).toEqual(keys('secp256k1/', 'x', 2).privateKey);
    const digest = sha256(utf8ToBytes('m'));
    const sig = await call(a, 'POST', '/v1/secp256k1/sign/x', { input: b64(digest), prehashed: true });
    expect(
      secp256k1.verify(unb64(sig.json.data.signature), digest, unb64hex(again), { prehash: false }),
    ).toBe(true);
  });

  it('is one of the exclusive key options', () => {
    const keys = derivedKeySource('label-5');
    expect(() => createBaoApp({ clock: new VirtualClock(), keys, seed: 1 })).toThrow(BaoOptionError);
    expect(() => createBaoApp({ clock: new VirtualClock(), keys, rng: () => new Uint8Array(48) })).toThrow(
      /not both/,
    );
  });
});

function unb64hex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
