import { UR, UREncoder } from '@ngraveio/bc-ur';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aridFromUr,
  aridToUr,
  canonicalAridUr,
  canonicalEnvelopeUr,
  decodeEnvelopeUr,
  envelopeFromUr,
  envelopeToUr,
  envelopeUrSize,
  HubertArgumentError,
  InvalidAridError,
  InvalidEnvelopeError,
  newArid,
  parseReferenceEnvelope,
  referenceEnvelopeToUr,
  toHex,
} from '../src/index.js';

// Vectors: BlockchainCommons/bc-envelope-cli-rust tests/common/mod.rs (ARID_HEX/ARID, HELLO_ENVELOPE_UR,
// ALICE_KNOWS_BOB_EXAMPLE), tests/test_subject_type.rs (`subject type data 010203`), and
// BlockchainCommons/hubert-rust SERVER.md (the PUT example ARID).
const VECTOR_ARID_HEX = 'dec7e82893c32f7a4fcec633c02c0ec32a4361ca3ee3bc8758ae07742e940550';
const VECTOR_ARID = 'ur:arid/hdcxuestvsdemusrdlkngwtosweortdwbasrdrfxhssgfmvlrflthdplatjydmmwahgdwlflguqz';
const SERVER_MD_ARID = 'ur:arid/hdcxjelehfmtuoosqzjypfgasbntjlsnihrhgepsdensolzmhgfyfzcptydeknatfmnloncmadva';
const HELLO_ENVELOPE = 'ur:envelope/tpsoiyfdihjzjzjldmksbaoede';
const DATA_010203_ENVELOPE = 'ur:envelope/tpsofxadaoaxloyncwms';
const ALICE_KNOWS_BOB = 'ur:envelope/lftpsoihfpjziniaihoytpsoihjejtjlktjktpsoiafwjlidutgmnnns';

const hexBytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
const rawUr = (type: string, cborHex: string): string =>
  UREncoder.encodeSinglePart(new UR(Buffer.from(cborHex, 'hex'), type));

describe('ARID UR', () => {
  it('decodes the Blockchain Commons vector and re-encodes it byte for byte', () => {
    expect(toHex(aridFromUr(VECTOR_ARID))).toBe(VECTOR_ARID_HEX);
    expect(aridToUr(hexBytes(VECTOR_ARID_HEX))).toBe(VECTOR_ARID);
  });

  it('round-trips the hubert SERVER.md example ARID', () => {
    const bytes = aridFromUr(SERVER_MD_ARID);
    expect(bytes).toHaveLength(32);
    expect(aridToUr(bytes)).toBe(SERVER_MD_ARID);
  });

  it('is case-insensitive on input and lowercase on output', () => {
    expect(toHex(aridFromUr(VECTOR_ARID.toUpperCase()))).toBe(VECTOR_ARID_HEX);
    expect(canonicalAridUr(VECTOR_ARID.toUpperCase())).toBe(VECTOR_ARID);
  });

  it('newArid takes 32 bytes from the rng and rejects a short rng', () => {
    const a = newArid((n) => new Uint8Array(n).fill(7));
    expect(a).toEqual(new Uint8Array(32).fill(7));
    expect(() => newArid(() => new Uint8Array(31))).toThrow(HubertArgumentError);
  });

  it.each([
    ['wrong scheme', 'urn:arid/hdcxuestvsdem', /invalid scheme/],
    ['no type', 'ur:arid', /type unspecified/],
    ['wrong type', HELLO_ENVELOPE, /unexpected UR type "envelope"/],
    [
      'multi-part',
      'ur:arid/1-3/lpadaxcsencylobemohsgmoyadhdeynteelblrcygldwvarflojtcywyjytpdkfwprylienshnjnpluypmamtkmybsjkspvseesawmrltpwltyd',
      /not a single-part UR/,
    ],
    ['bad byteword', VECTOR_ARID.slice(0, -2) + 'qq', /bad bytewords or checksum/],
    ['CRC mismatch', VECTOR_ARID.slice(0, -2) + 'ae', /Invalid Checksum/],
    ['empty body', 'ur:arid/', /bytewords/],
    ['16-byte ARID', rawUr('arid', '50' + '11'.repeat(16)), /an ARID is 32 bytes, got 16/],
    ['non-minimal length (not dCBOR)', rawUr('arid', '590020' + VECTOR_ARID_HEX), /invalid dCBOR/],
    [
      'tagged body (UR bodies are untagged)',
      rawUr('arid', 'd99c4c5820' + VECTOR_ARID_HEX),
      /not a byte string/,
    ],
  ])('aridFromUr rejects %s with InvalidAridError', (_name, text, reason) => {
    let err: unknown;
    try {
      aridFromUr(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidAridError);
    expect((err as InvalidAridError).name).toBe('InvalidAridError');
    expect((err as InvalidAridError).field).toBe('arid');
    expect((err as Error).message).toMatch(reason);
  });

  // bc-ur-rust `UR::from_ur_string` → ur `bytewords::decode`: the body must be ASCII and every
  // pair a minimal byteword. @ngraveio/bc-ur alone splits the body with /.{1,2}/g, which skips
  // line terminators (\r, U+2028, U+2029) silently: these were answered 200 by /put.
  it.each([
    ['a bare CR at the end', VECTOR_ARID + '\r'],
    ['a CR inside the bytewords', VECTOR_ARID.slice(0, 20) + '\r' + VECTOR_ARID.slice(20)],
    ['U+2028 inside the bytewords', VECTOR_ARID.slice(0, 20) + '\u2028' + VECTOR_ARID.slice(20)],
    ['U+2029 at the end', VECTOR_ARID + '\u2029'],
    ['a trailing space', VECTOR_ARID + ' '],
    ['a NUL inside', VECTOR_ARID.slice(0, 20) + '\0' + VECTOR_ARID.slice(20)],
  ])('aridFromUr rejects %s (bytewords are letters only)', (_name, text) => {
    expect(() => aridFromUr(text)).toThrow(InvalidAridError);
    expect(() => aridFromUr(text)).toThrow(/bytewords/);
  });

  it.each([
    ['a bare CR at the end', HELLO_ENVELOPE + '\r'],
    ['U+2028 inside the bytewords', HELLO_ENVELOPE.slice(0, 16) + '\u2028' + HELLO_ENVELOPE.slice(16)],
  ])('decodeEnvelopeUr rejects %s (bytewords are letters only)', (_name, text) => {
    expect(() => decodeEnvelopeUr(text)).toThrow(InvalidEnvelopeError);
  });

  it('aridToUr rejects a wrong length', () => {
    expect(() => aridToUr(new Uint8Array(33))).toThrow(InvalidAridError);
  });

  it('property: any 32 bytes round-trip, in either case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const ur = aridToUr(bytes);
        expect(ur.startsWith('ur:arid/hdcx')).toBe(true); // 0x58 0x20: byte string of 32
        expect(aridFromUr(ur)).toEqual(bytes);
        expect(aridFromUr(ur.toUpperCase())).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });
});

describe('envelope UR', () => {
  it('encodes a byte-string leaf exactly as envelope-cli `subject type data 010203`', () => {
    expect(envelopeToUr(Uint8Array.of(1, 2, 3))).toBe(DATA_010203_ENVELOPE);
    expect(envelopeFromUr(DATA_010203_ENVELOPE)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('accepts other real envelopes (text leaf, node with assertion) unchanged', () => {
    expect(canonicalEnvelopeUr(HELLO_ENVELOPE)).toBe(HELLO_ENVELOPE);
    expect(canonicalEnvelopeUr(ALICE_KNOWS_BOB)).toBe(ALICE_KNOWS_BOB);
    expect(canonicalEnvelopeUr(ALICE_KNOWS_BOB.toUpperCase())).toBe(ALICE_KNOWS_BOB);
  });

  it('envelopeFromUr rejects an envelope that is not a byte-string leaf', () => {
    expect(() => envelopeFromUr(HELLO_ENVELOPE)).toThrow(/not a leaf envelope holding a byte string/);
    expect(() => envelopeFromUr(ALICE_KNOWS_BOB)).toThrow(InvalidEnvelopeError);
  });

  it.each([
    ['an ARID', VECTOR_ARID, /unexpected UR type "arid"/],
    ['a bare text string', rawUr('envelope', '6568656c6c6f'), /not an envelope/],
    ['a one-element node', rawUr('envelope', '81d8c943010203'), /not an envelope/],
    [
      'a map with two entries (an assertion has one)',
      rawUr('envelope', 'a2d8c901d8c902d8c903d8c904'),
      /not an envelope/,
    ],
    ['CRC mismatch', DATA_010203_ENVELOPE.slice(0, -2) + 'ae', /checksum/],
  ])('decodeEnvelopeUr rejects %s with InvalidEnvelopeError', (_name, text, reason) => {
    expect(() => decodeEnvelopeUr(text)).toThrow(InvalidEnvelopeError);
    expect(() => decodeEnvelopeUr(text)).toThrow(reason);
  });

  it('size is the tagged CBOR length (what the DHT limit measures)', () => {
    // d8c8 d8c9 43 010203 → 2 + 2 + 1 + 3
    expect(envelopeUrSize(DATA_010203_ENVELOPE)).toBe(8);
    expect(envelopeUrSize(envelopeToUr(new Uint8Array(993)))).toBe(1000); // 4 + 3-byte header + 993
    expect(envelopeUrSize(envelopeToUr(new Uint8Array(23)))).toBe(28); // 1-byte header
  });

  it('property: any payload round-trips and its size is 4 + header + length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (payload) => {
        const ur = envelopeToUr(payload);
        expect(envelopeFromUr(ur)).toEqual(payload);
        const header = payload.length < 24 ? 1 : payload.length < 256 ? 2 : 3;
        expect(envelopeUrSize(ur)).toBe(4 + header + payload.length);
      }),
      { numRuns: 100 },
    );
  });

  it('reference envelopes carry the ARID and size; payload envelopes are not references', () => {
    const arid = hexBytes(VECTOR_ARID_HEX);
    const ref = referenceEnvelopeToUr(arid, 5000);
    expect(parseReferenceEnvelope(decodeEnvelopeUr(ref))).toEqual({ arid, size: 5000 });
    expect(parseReferenceEnvelope(decodeEnvelopeUr(envelopeToUr(arid)))).toBeNull();
    expect(parseReferenceEnvelope(decodeEnvelopeUr(HELLO_ENVELOPE))).toBeNull();
  });
});
