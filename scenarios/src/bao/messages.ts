/**
 * Sign bytes of the Bao scenarios' workloads. They depend on a label only, never on the seed: the
 * seed still draws how many requests there are, for which keys and in which order (and the plan),
 * while the bytes of the j-th message of a key are the same in every run. With the process-wide
 * keys of the Bao worlds (world.ts), a signature, and every verification of it, is then computed
 * once per process instead of once per run (see docs/bao.md, "What a run reuses").
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * `minBytes..maxBytes` bytes derived from `label` alone (length and contents from SHA-256 of the
 * label): distinct labels give distinct messages (but for a ~2⁻¹²⁸ chance, or both empty).
 * @param minBytes, maxBytes integers, 0 ≤ minBytes ≤ maxBytes.
 * @returns a fresh array.
 * @throws RangeError for bounds that are not such integers.
 */
export function workloadMessage(label: string, minBytes: number, maxBytes: number): Uint8Array {
  if (
    !Number.isSafeInteger(minBytes) ||
    !Number.isSafeInteger(maxBytes) ||
    minBytes < 0 ||
    maxBytes < minBytes
  )
    throw new RangeError(`workloadMessage: bad bounds ${minBytes}..${maxBytes}`);
  const h = sha256(utf8ToBytes(label));
  const length = minBytes + (((h[0]! << 8) | h[1]!) % (maxBytes - minBytes + 1));
  const blocks: Uint8Array[] = [];
  for (let i = 0; 32 * i < length; i++) blocks.push(sha256(concatBytes(h, new Uint8Array([i]))));
  return concatBytes(...blocks).slice(0, length);
}
