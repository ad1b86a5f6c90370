/** Small byte helpers (big-endian, as on the RAIDAX wire). */

import { RaidaEncodeError } from './errors.js';

/** Reads a big-endian u16 at `offset` (caller checks bounds). */
export function readU16(b: Uint8Array, offset: number): number {
  return ((b[offset] ?? 0) << 8) | (b[offset + 1] ?? 0);
}

/** Reads a big-endian u24 at `offset` (caller checks bounds). */
export function readU24(b: Uint8Array, offset: number): number {
  return ((b[offset] ?? 0) << 16) | ((b[offset + 1] ?? 0) << 8) | (b[offset + 2] ?? 0);
}

/** Reads a big-endian u32 at `offset` (caller checks bounds). */
export function readU32(b: Uint8Array, offset: number): number {
  return (
    (((b[offset] ?? 0) << 24) |
      ((b[offset + 1] ?? 0) << 16) |
      ((b[offset + 2] ?? 0) << 8) |
      (b[offset + 3] ?? 0)) >>>
    0
  );
}

/** Writes a big-endian u16 at `offset`. */
export function writeU16(b: Uint8Array, offset: number, v: number): void {
  b[offset] = (v >>> 8) & 0xff;
  b[offset + 1] = v & 0xff;
}

/** Writes a big-endian u24 at `offset`. */
export function writeU24(b: Uint8Array, offset: number, v: number): void {
  b[offset] = (v >>> 16) & 0xff;
  b[offset + 1] = (v >>> 8) & 0xff;
  b[offset + 2] = v & 0xff;
}

/** Writes a big-endian u32 at `offset`. */
export function writeU32(b: Uint8Array, offset: number, v: number): void {
  b[offset] = (v >>> 24) & 0xff;
  b[offset + 1] = (v >>> 16) & 0xff;
  b[offset + 2] = (v >>> 8) & 0xff;
  b[offset + 3] = v & 0xff;
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** True when both arrays hold the same bytes (not constant-time: simulation and parsing only). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lower-case hex of `b`. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Throws {@link RaidaEncodeError} unless `v` is an integer in [min, max]. */
export function checkInt(field: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RaidaEncodeError(field, `must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
}

/** Throws {@link RaidaEncodeError} unless `b` is a Uint8Array of exactly `len` bytes. */
export function checkLen(field: string, b: Uint8Array, len: number): void {
  if (!(b instanceof Uint8Array) || b.length !== len) {
    throw new RaidaEncodeError(
      field,
      `must be ${len} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`,
    );
  }
}
