/**
 * A `Response` whose whole body is already in memory (a string or bytes), for simulators that
 * build their replies in one piece.
 *
 * Why: in Node 20 a `new Response(body)` builds a WHATWG ReadableStream for the body at once
 * (undici's extractBody; the stream's constructor calls `makeTransferable`), and reading it back
 * with `text()` / `json()` / `arrayBuffer()` goes through that stream's reader. For a reply that
 * the simulated network hands to the client unread (network.ts, `passThroughLength`) that stream
 * work was a fifth of a Bao scenario's CPU. A BufferedResponse is a real `Response` (it passes
 * `instanceof Response`; status, statusText, headers, ok, type, url and redirected are undici's
 * own) built with a null body, and it answers the body-reading methods from the bytes it holds.
 * The first time anything asks for the body as a stream (`body`, `clone()`, `blob()`,
 * `formData()`), it builds an ordinary `Response` from the same bytes and answers everything
 * from then on from that one, so code that streams sees exactly what undici gives.
 *
 * How the body is read and what stays as undici does it (string encoding, default Content-Type,
 * BOM, one read, undici's own errors): held-body.ts, checked against a plain `Response` in
 * buffered-response.test.ts.
 * A null-body status (101, 103, 204, 205, 304) with a body throws undici's TypeError, as
 * `new Response` does.
 */

import { defineHeldBodyMembers, holdBody } from './held-body.js';

const NULL_BODY_STATUS: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

export class BufferedResponse extends Response {
  /**
   * @param body the whole body: a string (sent as UTF-8) or bytes (not copied: the caller gives
   *   up the array).
   * @param init status, statusText and headers as for `new Response`.
   * @throws TypeError as `new Response` does: a bad status or statusText, bad headers, or a body
   *   with a null-body status.
   */
  constructor(body: string | Uint8Array, init: ResponseInit = {}) {
    if (NULL_BODY_STATUS.has(init.status ?? 200)) new Response(body, init); // undici's own TypeError
    super(null, init);
    holdBody<Response>(
      this,
      body,
      (bytes) =>
        new Response(bytes, { status: this.status, statusText: this.statusText, headers: this.headers }),
    );
  }
}

// body, bodyUsed, text(), json(), arrayBuffer(), bytes(), blob(), formData(), clone()
defineHeldBodyMembers(BufferedResponse.prototype);
