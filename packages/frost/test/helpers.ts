import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Rng } from '../src/index.js';

/** Deterministic test RNG: SHA-256(seed ‖ counter) blocks. Not for real keys. */
export function seededRng(seed: string): Rng {
  let counter = 0;
  let buffer = new Uint8Array(0);
  return (n) => {
    while (buffer.length < n) {
      const block = sha256(utf8ToBytes(`${seed}/${counter++}`));
      const next = new Uint8Array(buffer.length + block.length);
      next.set(buffer);
      next.set(block, buffer.length);
      buffer = next;
    }
    const out = buffer.slice(0, n);
    buffer = buffer.slice(n);
    return out;
  };
}

/** A copy of `bytes` with bit 0 of byte `index` flipped. */
export function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index] = (out[index] ?? 0) ^ 1;
  return out;
}
