/**
 * Test helpers: a seeded byte generator (test-only, not cryptographic) and small builders.
 */
import { UR, UREncoder } from '@ngraveio/bc-ur';
import { encode } from 'cbor2';
import { aridToUr, envelopeToUr, newArid, type Rng } from '../src/index.js';

/** Deterministic byte stream from `seed` (mulberry32). Test-only. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  };
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = next();
    return out;
  };
}

/** A fresh `ur:arid/...` from `rng`. */
export function aridUr(rng: Rng): string {
  return aridToUr(newArid(rng));
}

/** A leaf envelope holding the UTF-8 bytes of `text`. */
export function envOf(text: string): string {
  return envelopeToUr(new TextEncoder().encode(text));
}

/** A leaf envelope holding `n` bytes of value `fill`. */
export function envOfSize(n: number, fill = 0x61): string {
  return envelopeToUr(new Uint8Array(n).fill(fill));
}

/** A single-part UR of `type` whose body is `cbor` exactly (no checks): for malformed inputs. */
export function rawUr(type: string, cbor: Uint8Array): string {
  return UREncoder.encodeSinglePart(new UR(Buffer.from(cbor), type));
}

/** `ur:envelope/...` whose body is `value` encoded as dCBOR (cbor2), valid envelope or not. */
export function envelopeUrOf(value: unknown): string {
  return rawUr('envelope', encode(value, { dcbor: true }));
}
