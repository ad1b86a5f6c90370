/**
 * Reading a request body under a size limit the way axum's `Bytes` extractor does with its
 * `DefaultBodyLimit` (axum-core extract/default_body_limit.rs, http-body-util `Limited`): bytes are
 * counted as they arrive and reading stops as soon as the total passes the limit, so a body far
 * above the limit (chunked or not) is never held in memory. A declared `Content-Length` above the
 * limit is refused before reading.
 */
import { BufferedRequest } from '@fanout/sim';

/** axum's default request body limit (DefaultBodyLimit: 2 MiB = 2,097,152 bytes). */
export const DEFAULT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** axum-core rejection text for a body over the limit (`FailedToBufferBody::LengthLimitError`, 413). */
export const BODY_TOO_LARGE_TEXT = 'Failed to buffer the request body: length limit exceeded';

/** What {@link readBodyLimited} got. */
export type BodyRead =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: 'too-large' }
  | { ok: false; reason: 'unreadable'; detail: string };

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Read `request`'s body, at most `limitBytes` bytes.
 * @param limitBytes the largest body accepted, bytes (a body of exactly this size is accepted).
 * @returns the bytes; `too-large` as soon as the declared length or the bytes read pass the
 *   limit (the rest is not read; the stream is cancelled); `unreadable` when the body stream
 *   fails (e.g. the client went away mid-body), with the error text.
 */
export async function readBodyLimited(request: Request, limitBytes: number): Promise<BodyRead> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (Number.isFinite(declared) && declared > limitBytes) return { ok: false, reason: 'too-large' };
  if (request instanceof BufferedRequest && !request.bodyUsed) {
    // The simulated network's request holds its body whole: check its size, then read it at once.
    if (request.byteLength > limitBytes) return { ok: false, reason: 'too-large' };
    return { ok: true, bytes: new Uint8Array(await request.arrayBuffer()) };
  }
  if (request.body === null) return { ok: true, bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limitBytes) {
        reader.cancel().catch(() => {});
        return { ok: false, reason: 'too-large' };
      }
      chunks.push(value);
    }
  } catch (e) {
    return { ok: false, reason: 'unreadable', detail: e instanceof Error ? e.message : String(e) };
  }
  return { ok: true, bytes: concat(chunks, total) };
}
