/**
 * Checksums and crypto used by RAIDAX: the request challenge (CRC32), the fix AN derivation (MD5),
 * and encryption type 1 (AES-128-CTR). MD5 and AES come from @noble (hashes, ciphers); CRC32 is
 * node's zlib.crc32 (IEEE polynomial, the same as raidax-server utils.c crc32b).
 */

import { crc32 } from 'node:zlib';
import { ctr } from '@noble/ciphers/aes.js';
import { md5 } from '@noble/hashes/legacy.js';

import type { RandomBytes } from '@fanout/core';

import { checkInt, checkLen, concatBytes, readU32, writeU32 } from './bytes.js';
import { AN_SIZE, CHALLENGE_SIZE, RAIDA_COUNT } from './constants.js';
import { RaidaEncodeError } from './errors.js';

/** CRC-32 (IEEE 802.3, reflected, init/xorout 0xFFFFFFFF) of `data`, as an unsigned 32-bit number. */
export function crc32Of(data: Uint8Array): number {
  return crc32(data) >>> 0;
}

/**
 * A fresh 16-byte request challenge: 12 bytes from `rng` followed by their CRC32, big-endian
 * (reference "Body"; raidax-server protocol.c validate_decrypt_body checks it → status 37).
 * @throws RaidaEncodeError when `rng` does not return 12 bytes.
 */
export function makeChallenge(rng: RandomBytes): Uint8Array {
  const random = rng(12);
  checkLen('rng(12)', random, 12);
  const out = new Uint8Array(CHALLENGE_SIZE);
  out.set(random, 0);
  writeU32(out, 12, crc32Of(random));
  return out;
}

/** True when the last 4 bytes of the 16-byte `challenge` are the big-endian CRC32 of its first 12. */
export function challengeValid(challenge: Uint8Array): boolean {
  if (challenge.length < CHALLENGE_SIZE) return false;
  return readU32(challenge, 12) === crc32Of(challenge.subarray(0, 12));
}

/**
 * The AN a RAIDA sets when fix (2/80) succeeds: MD5(raida_id ‖ den ‖ SN_BE32 ‖ PG), 22 input bytes
 * (raidax-server cmd_healing.c cmd_fix hash_input; qmail-client heal_protocol.py calculate_new_an).
 * `den` is the signed int8 denomination (written as its low byte).
 * @throws RaidaEncodeError on out-of-range inputs or a PG that is not 16 bytes.
 */
export function fixAn(raidaId: number, den: number, sn: number, pg: Uint8Array): Uint8Array {
  checkInt('raidaId', raidaId, 0, RAIDA_COUNT - 1);
  checkInt('den', den, -128, 127);
  checkInt('sn', sn, 0, 0xffff_ffff);
  checkLen('pg', pg, AN_SIZE);
  const head = new Uint8Array(6);
  head[0] = raidaId;
  head[1] = den & 0xff;
  writeU32(head, 2, sn);
  return md5(concatBytes(head, pg));
}

/**
 * AES-128-CTR as used by encryption type 1: key = the 16-byte AN of the key token, IV = the 8 header
 * nonce bytes 24-31 followed by 8 zero bytes (raidax-server protocol.c validate_header: nonce copied
 * from buf[24..31], rest zero). Encryption and decryption are the same operation.
 * @throws RaidaEncodeError when the key is not 16 bytes or the nonce not 8.
 */
export function aes128Ctr(key: Uint8Array, nonce8: Uint8Array, data: Uint8Array): Uint8Array {
  checkLen('key', key, 16);
  checkLen('nonce8', nonce8, 8);
  const iv = new Uint8Array(16);
  iv.set(nonce8, 0);
  return ctr(key, iv).encrypt(data);
}

/** XOR of two equal-length byte arrays. @throws RaidaEncodeError on a length mismatch. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RaidaEncodeError('xor', `length mismatch ${a.length} vs ${b.length}`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}
