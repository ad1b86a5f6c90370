/**
 * What buffered-request.test.ts and buffered-response.test.ts observe of a Request or Response,
 * to compare a buffered one with undici's own: read outcomes (value or error name and message)
 * and the whole life of a body (head, clone, first and second read, the stream after them).
 */

/** A body given whole. */
export type Body = string | Uint8Array;

/** A copy of `b` (bytes are given up to the object that holds them). */
export const copy = (b: Body): Body => (typeof b === 'string' ? b : Uint8Array.from(b));

/** What a read gives: its value, or its error's name and message. */
export async function outcome(read: () => Promise<unknown>): Promise<unknown> {
  try {
    const v = await read();
    if (v instanceof ArrayBuffer) return { arrayBuffer: [...new Uint8Array(v)] };
    if (v instanceof Uint8Array) return { bytes: [...v] };
    if (v instanceof Blob) return { blob: v.type, bytes: [...new Uint8Array(await v.arrayBuffer())] };
    return { value: v };
  } catch (e) {
    return { error: (e as Error).name, message: (e as Error).message };
  }
}

/** What a synchronous call gives: null, the type of its value, or its error's name and message. */
export function syncOutcome(f: () => unknown): unknown {
  try {
    const v = f();
    return { value: v === null ? null : typeof v };
  } catch (e) {
    return { error: (e as Error).name, message: (e as Error).message };
  }
}

/** The Body mixin's reads compared. */
export const READS = ['text', 'json', 'arrayBuffer', 'bytes', 'blob'] as const;
export type Read = (typeof READS)[number];

const read = (r: Request | Response, how: Read) => () =>
  (r as unknown as Record<Read, () => Promise<unknown>>)[how].call(r);

/**
 * Everything a reader can observe of `make()`: `head` (its own fields) and bodyUsed; a clone read
 * with `first` and the clone's head; then `first` and `second` read, bodyUsed after each; a clone
 * of the read object; the body stream afterwards.
 */
export async function observe<R extends Request | Response>(
  make: () => R,
  head: (r: R) => unknown[],
  first: Read,
  second: Read,
): Promise<unknown[]> {
  const r = make();
  const seen: unknown[] = [...head(r), r.bodyUsed];
  const c = make().clone() as R;
  seen.push(await outcome(read(c, first)), ...head(c));
  seen.push(await outcome(read(r, first)), r.bodyUsed);
  seen.push(await outcome(read(r, second)), r.bodyUsed);
  seen.push(syncOutcome(() => r.clone()));
  seen.push(
    r.body === null,
    r.body?.locked,
    syncOutcome(() => r.body?.getReader()),
  );
  return seen;
}
