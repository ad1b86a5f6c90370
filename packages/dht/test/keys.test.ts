import { describe, expect, test } from 'vitest';
import {
  FingerprintError,
  chunkKey,
  dhtInfoHash,
  outboxBaseKey,
  outboxInfoHash,
  outboxKey,
  watermarkKey,
} from '../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/*
 * Vectors computed independently with Python's hashlib (CPython's own SHA3 and SHA-1, not
 * @noble/hashes), using fingerprints that are themselves SHA3-512 hex digests:
 *
 *   import hashlib
 *   s = hashlib.sha3_512(b"alice").hexdigest(); r = hashlib.sha3_512(b"bob").hexdigest()
 *   k = hashlib.sha3_512(f"{s}:outbox:{r}".encode()).digest()
 *   k.hex(); hashlib.sha1(k).hexdigest()
 *   hashlib.sha3_512(f"{r}:watermark:{s}".encode()).hexdigest()
 *   c = hashlib.sha3_512(f"{s}:outbox:{r}:chunk:0".encode()).digest()[:32]; c.hex(); hashlib.sha1(c).hexdigest()
 */
const SENDER =
  'b224e0241310429c49072440cbf01872f0ab445cc137fc513b728ffa0de22f7de9446e24d409b9a8514c51fabad41a1e7ebe06c50056683e54544d1b552f77ce';
const RECIPIENT =
  'b859e98fe820d04451424b7c20fe15be1c9842cd265bcdeb51c53bb81e0e95d1001e4d1ae4ee99b2f4825245e61d4e25aa26c635e89c7bcd0cdbc4342bd3943b';
const OUTBOX_KEY =
  'c16dbd68409d624b3c15f81c8eeedeffc88997d3674d4cf15a24cba2b1d2b640482b9831f4d5069fac9267654bab30185dedcbe7a20e5de040e212c990b9ff12';
const OUTBOX_INFOHASH = '38d5ed96ded805589e12853eb3e28326c903afae';
const WATERMARK_KEY =
  'f168397f554d63d2be076df0f4851b354884147b3729b9284ef6df701dd8c70b0655fc56ef5f56dc660d7ce8a972d4731f57396a55c2b6b30e11bbeda34ae0a6';
const CHUNK0_KEY = 'edbb20f573843e0175387463512747b2b0e5797774a7cf18ac52a0dc11838f28';
const CHUNK0_INFOHASH = '0ba76e25fd087deac4f14c0d98d539c1e36ac9a1';

describe('outbox key derivation', () => {
  test('matches the independently computed vectors', () => {
    expect(outboxBaseKey(SENDER, RECIPIENT)).toBe(`${SENDER}:outbox:${RECIPIENT}`);
    expect(hex(outboxKey(SENDER, RECIPIENT))).toBe(OUTBOX_KEY);
    expect(hex(outboxInfoHash(SENDER, RECIPIENT))).toBe(OUTBOX_INFOHASH);
    expect(hex(dhtInfoHash(outboxKey(SENDER, RECIPIENT)))).toBe(OUTBOX_INFOHASH);
    expect(hex(watermarkKey(RECIPIENT, SENDER))).toBe(WATERMARK_KEY);
    expect(hex(chunkKey(outboxBaseKey(SENDER, RECIPIENT), 0))).toBe(CHUNK0_KEY);
    expect(hex(dhtInfoHash(chunkKey(outboxBaseKey(SENDER, RECIPIENT), 0)))).toBe(CHUNK0_INFOHASH);
  });

  test('direction matters: the reverse outbox is another key', () => {
    expect(hex(outboxInfoHash(RECIPIENT, SENDER))).not.toBe(OUTBOX_INFOHASH);
  });

  test.each([
    ['uppercase', SENDER.toUpperCase(), 'sender'],
    ['127 chars', SENDER.slice(1), 'sender'],
    ['129 chars', `${SENDER}0`, 'sender'],
    ['non-hex', `${SENDER.slice(0, 127)}g`, 'sender'],
    ['not a string', 42 as unknown as string, 'sender'],
  ])('fingerprint %s → FingerprintError', (_n, bad, field) => {
    expect(() => outboxKey(bad, RECIPIENT)).toThrow(FingerprintError);
    expect(() => outboxKey(bad, RECIPIENT)).toThrow(expect.objectContaining({ field }));
    expect(() => outboxKey(RECIPIENT, bad)).toThrow(expect.objectContaining({ field: 'recipient' }));
  });

  test('chunk index must be a u32', () => {
    expect(() => chunkKey('x', -1)).toThrow(RangeError);
    expect(() => chunkKey('x', 2 ** 32)).toThrow(RangeError);
  });
});
