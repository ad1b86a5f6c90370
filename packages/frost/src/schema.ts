/**
 * Shared zod building blocks for the wire formats, and the bridge from zod issues to
 * {@link MalformedMessageError} (which names the offending field as a dotted path).
 */
import { z } from 'zod';
import { MalformedMessageError } from './errors.js';

/** A byte string, optionally of exactly `length` bytes. */
export function bytes(length?: number) {
  const base = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected a byte string' });
  return length === undefined
    ? base
    : base.refine((b) => b.length === length, { message: `expected ${length} bytes` });
}

/** XID: 64 lowercase hex chars. */
export const xidSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a 64-char lowercase hex XID');
/** ARID in text form. Only the shape is checked here (`ur:arid/` + bytewords letters). */
export const aridSchema = z.string().regex(/^ur:arid\/[a-z]{76}$/, 'expected ur:arid/... (32-byte ARID)');
/** A clock time or duration in ms: a non-negative safe integer. */
export const msSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * Parse `value` with `schema`; on failure throw MalformedMessageError naming the first bad field
 * as `prefix.path.to.field` (array positions as numbers).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  throw new MalformedMessageError(path === '' ? '(root)' : path, issue?.message ?? 'invalid');
}
