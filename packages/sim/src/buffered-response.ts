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
 * What stays as undici does it (checked against a plain `Response` in buffered-response.test.ts):
 * - a string body is UTF-8 encoded (a lone surrogate becomes U+FFFD) and gets
 *   `Content-Type: text/plain;charset=UTF-8` unless the init names one; bytes get none;
 * - `text()` / `json()` decode UTF-8 with replacement and drop one leading BOM (the Fetch
 *   standard's "UTF-8 decode"); `json()` throws JSON.parse's SyntaxError;
 * - a body can be read once: `bodyUsed` turns true and a second read rejects with undici's
 *   TypeError (produced by undici itself, from a used copy);
 * - each read resolves in a later microtask, never synchronously.
 * A null-body status (101, 103, 204, 205, 304) with a body throws undici's TypeError, as
 * `new Response` does.
 */

import { HeldBody } from './held-body.js';

const NULL_BODY_STATUS: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/**
 * undici's Response as a base class. Typed loosely because the DOM typings declare the body
 * members as properties, which a subclass may not redefine as accessors or methods; the interface
 * below gives BufferedResponse the whole Response type back.
 */
const ResponseBase = Response as unknown as new (body: null, init?: ResponseInit) => object;

/** The Response type of a {@link BufferedResponse} (declaration merging with the class). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface BufferedResponse extends Response {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class BufferedResponse extends ResponseBase {
  readonly #held: HeldBody<Response>;

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
    if (typeof body === 'string' && !this.headers.has('content-type'))
      this.headers.set('content-type', 'text/plain;charset=UTF-8');
    this.#held = new HeldBody<Response>(
      body,
      (bytes) =>
        new Response(bytes, { status: this.status, statusText: this.statusText, headers: this.headers }),
    );
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#held.streamed().body;
  }

  get bodyUsed(): boolean {
    return this.#held.used;
  }

  text(): Promise<string> {
    return this.#held.readText();
  }

  json(): Promise<unknown> {
    return this.#held.readJson();
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#held.readArrayBuffer();
  }

  /** The body's bytes, a copy (undici's `bytes()`, Node ≥ 20.16). */
  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#held.readBytes();
  }

  blob(): Promise<Blob> {
    return this.#held.streamed().blob();
  }

  formData(): Promise<FormData> {
    return this.#held.streamed().formData();
  }

  clone(): Response {
    return this.#held.streamed().clone();
  }
}
