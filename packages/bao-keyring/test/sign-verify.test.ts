import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BaoSignatureInvalidError } from '../src/index.js';
import { mswKeyring, readHandler, signHandler, testPublic, testSign, type SignBody } from './msw-bao.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const msg = utf8ToBytes('sign bytes of a Cosmos tx');
const N = secp256k1.Point.CURVE().n;

describe('BaoKeyring.sign verifies every signature before handing it out', () => {
  it('sends SHA-256(sign bytes) prehashed and returns a verified 64-byte signature', async () => {
    const seen: SignBody[] = [];
    server.use(readHandler(), signHandler({ seen }));
    const { keyring } = mswKeyring();
    const out = await keyring.sign('worker-1', msg);
    expect(seen).toEqual([
      { input: Buffer.from(sha256(msg)).toString('base64'), prehashed: true, output_format: 'cosmos' },
    ]);
    expect(out.signature).toEqual(testSign('worker-1', sha256(msg)));
    expect(out.publicKey).toEqual(testPublic('worker-1'));
  });

  const cases: [string, (name: string, digest: Uint8Array) => Uint8Array, RegExp][] = [
    ['all-zero 64 bytes', () => new Uint8Array(64), /does not verify/],
    ['65 bytes', (n, d) => Uint8Array.from([...testSign(n, d), 1]), /64 bytes/],
    ['63 bytes', (n, d) => testSign(n, d).subarray(0, 63), /64 bytes/],
    ['a signature by another key', (_, d) => testSign('someone-else', d), /does not verify/],
    ['a signature over another digest', (n) => testSign(n, sha256(utf8ToBytes('other'))), /does not verify/],
    [
      'the high-S twin of a valid signature',
      (n, d) => {
        const sig = secp256k1.Signature.fromBytes(testSign(n, d), 'compact');
        return new secp256k1.Signature(sig.r, N - sig.s).toBytes('compact');
      },
      /not low-S/,
    ],
  ];
  it.each(cases)('rejects %s with BaoSignatureInvalidError', async (_label, signature, message) => {
    server.use(readHandler(), signHandler({ signature }));
    const { keyring } = mswKeyring();
    const err = await keyring.sign('worker-1', msg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoSignatureInvalidError);
    expect((err as BaoSignatureInvalidError).keyName).toBe('worker-1');
    expect((err as Error).message).toMatch(message);
  });

  it('rejects an answer that names another public key', async () => {
    server.use(readHandler(), signHandler({ publicKey: () => testPublic('impostor') }));
    const err = await mswKeyring()
      .keyring.sign('worker-1', msg)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaoSignatureInvalidError);
    expect((err as Error).message).toMatch(/server signed with public key/);
  });
});
