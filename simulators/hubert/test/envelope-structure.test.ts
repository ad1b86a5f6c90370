/**
 * Which `ur:envelope` bodies Hubert accepts: the Gordian Envelope decoding of bc-envelope v0.43
 * (src/base/cbor.rs `from_untagged_cbor`, src/base/envelope.rs `new_with_assertions` /
 * `new_with_encrypted` / `new_with_compressed`, src/base/assertion.rs) and bc-components v0.31
 * (`EncryptedMessage`, `Compressed`, `Digest` from_untagged_cbor), which hubert-rust's `/put` runs
 * through `Envelope::from_ur_string` before it stores anything.
 */
import { Tag, encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { canonicalEnvelopeUr, decodeEnvelopeUr, InvalidEnvelopeError } from '../src/index.js';
import { envelopeUrOf } from './helpers.js';

const leaf = (x: unknown): Tag => new Tag(201, x);
const DIGEST = new Uint8Array(32).fill(9);
const digestTag = new Tag(40001, DIGEST);
const dcbor = (v: unknown): Uint8Array => encode(v, { dcbor: true });
const DIGEST_AAD = dcbor(digestTag);
const NONCE = new Uint8Array(12).fill(1);
const AUTH = new Uint8Array(16).fill(2);
const CT = Uint8Array.of(5, 6, 7);
const encrypted = (...items: unknown[]): Tag => new Tag(40002, items);
const compressed = (...items: unknown[]): Tag => new Tag(40003, items);

describe('envelope structure (bc-envelope v0.43 from_untagged_cbor)', () => {
  it.each<[string, unknown]>([
    ['a leaf tagged 24 (TAG_ENCODED_CBOR, read as a leaf upstream)', new Tag(24, 'x')],
    ['a known value', 1],
    ['the largest known value (u64)', 0xffff_ffff_ffff_ffffn],
    ['a wrapped envelope', new Tag(200, leaf('x'))],
    ['an elided envelope (32-byte digest)', DIGEST],
    ['an assertion', new Map([[leaf('knows'), leaf('Bob')]])],
    ['a node whose assertion has a known-value predicate', [leaf('Alice'), new Map([[1, leaf('Bob')]])]],
    ['a node with an elided assertion', [leaf('Alice'), DIGEST]],
    ['a node with an encrypted assertion', [leaf('Alice'), encrypted(CT, NONCE, AUTH, DIGEST_AAD)]],
    ['a node with a compressed assertion', [leaf('Alice'), compressed(7, 3, CT, digestTag)]],
    ['an encrypted subject', encrypted(CT, NONCE, AUTH, DIGEST_AAD)],
    [
      'an encrypted message with extra elements (ignored upstream)',
      encrypted(CT, NONCE, AUTH, DIGEST_AAD, 'x'),
    ],
    ['a compressed subject', compressed(0xffff_ffff, 3, CT, digestTag)],
  ])('accepts %s', (_name, value) => {
    const ur = envelopeUrOf(value);
    expect(() => decodeEnvelopeUr(ur)).not.toThrow();
    expect(canonicalEnvelopeUr(ur)).toBe(ur);
  });

  it.each<[string, unknown, RegExp]>([
    ['a node with one element', [leaf('x')], /node must have at least two elements/],
    ['a node whose "assertion" is a leaf', [leaf('x'), leaf('y')], /invalid format/],
    ['a node whose "assertion" is a known value', [leaf('x'), 1], /invalid format/],
    ['a node whose "assertion" is wrapped', [leaf('x'), new Tag(200, leaf('y'))], /invalid format/],
    [
      'a node whose assertion has a bad object',
      [leaf('x'), new Map([[leaf('p'), 'text']])],
      /invalid envelope/,
    ],
    [
      'an assertion map with two entries',
      new Map([
        [leaf('a'), leaf('b')],
        [leaf('c'), leaf('d')],
      ]),
      /exactly one/,
    ],
    ['an empty map', new Map(), /exactly one/],
    ['an assertion with a text predicate', new Map([['p', leaf('o')]]), /invalid envelope/],
    ['an encrypted message with two elements', encrypted(CT, NONCE), /at least 3 elements/],
    ['an encrypted message with an 11-byte nonce', encrypted(CT, NONCE.slice(1), AUTH, DIGEST_AAD), /nonce/],
    [
      'an encrypted message with a 15-byte tag',
      encrypted(CT, NONCE, AUTH.slice(1), DIGEST_AAD),
      /authentication tag/,
    ],
    ['an encrypted message with a text ciphertext', encrypted('ct', NONCE, AUTH, DIGEST_AAD), /ciphertext/],
    ['an encrypted message without aad', encrypted(CT, NONCE, AUTH), /digest was expected/],
    [
      'an encrypted message whose aad is an untagged digest',
      encrypted(CT, NONCE, AUTH, dcbor(DIGEST)),
      /digest was expected/,
    ],
    [
      'an encrypted message whose aad is not CBOR',
      encrypted(CT, NONCE, AUTH, Uint8Array.of(0xff)),
      /digest was expected/,
    ],
    [
      'an encrypted message whose aad has trailing bytes',
      encrypted(CT, NONCE, AUTH, Uint8Array.of(...DIGEST_AAD, 0)),
      /digest was expected/,
    ],
    [
      'an encrypted message whose aad digest is 31 bytes',
      encrypted(CT, NONCE, AUTH, dcbor(new Tag(40001, DIGEST.slice(1)))),
      /digest was expected/,
    ],
    ['an encrypted message that is not an array', new Tag(40002, CT), /must be an array/],
    ['a compressed value without digest', compressed(1, 3, CT), /digest was expected/],
    ['a compressed value with five elements', compressed(1, 3, CT, digestTag, 0), /number of elements/],
    [
      'a compressed value longer than its size',
      compressed(1, 2, CT, digestTag),
      /larger than uncompressed size/,
    ],
    ['a compressed value with a checksum over u32', compressed(0x1_0000_0000, 3, CT, digestTag), /checksum/],
    ['a compressed value with a negative checksum', compressed(-1, 3, CT, digestTag), /checksum/],
    ['a compressed value with an untagged digest', compressed(1, 3, CT, DIGEST), /digest/],
    [
      'a compressed value with a wrongly tagged digest',
      compressed(1, 3, CT, new Tag(40012, DIGEST)),
      /digest/,
    ],
    ['an elided envelope of 31 bytes', DIGEST.slice(1), /invalid digest size/],
    ['a negative integer', -1, /invalid envelope/],
    ['a non-integral float', 1.5, /invalid envelope/],
    ['an integral float beyond u64 (not a known value)', 1e300, /invalid envelope/],
    ['a text', 'hello', /invalid envelope/],
    ['null', null, /invalid envelope/],
    ['true', true, /invalid envelope/],
    ['an unknown tag', new Tag(202, 1), /unknown envelope tag: 202/],
    ['a bignum (tag 2)', new Tag(2, Uint8Array.of(1)), /unknown envelope tag: 2/],
    ['a wrapped non-envelope', new Tag(200, 'text'), /invalid envelope/],
  ])('rejects %s with InvalidEnvelopeError', (_name, value, reason) => {
    const ur = envelopeUrOf(value);
    let err: unknown;
    try {
      decodeEnvelopeUr(ur);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidEnvelopeError);
    expect((err as Error).message).toMatch(reason);
  });
});
