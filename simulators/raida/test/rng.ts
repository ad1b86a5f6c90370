import type { RandomBytes } from '@fanout/core';

/** Deterministic test byte source (SplitMix32 stream; not crypto). */
export function seededRng(seed: number): RandomBytes {
  let s = seed >>> 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      z ^= z >>> 16;
      out[i] = z & 0xff;
    }
    return out;
  };
}

/** Bytes from a hex string. */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}
