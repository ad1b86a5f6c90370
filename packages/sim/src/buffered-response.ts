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

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
const SURROGATE = /[\ud800-\udfff]/;
const NULL_BODY_STATUS: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** The body-reading methods answered from memory until the body is first streamed. */
type ReadMethod = 'text' | 'json' | 'arrayBuffer' | 'bytes';

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
  /** The body as it was given: a string (not yet encoded) or bytes (owned from now on). */
  #source: string | Uint8Array;
  /** The encoded body, once computed. */
  #encoded: Uint8Array | undefined;
  /** The ordinary Response that answers for the body once it was streamed. */
  #streamed: Response | undefined;
  #used = false;

  /**
   * @param body the whole body: a string (sent as UTF-8) or bytes (not copied: the caller gives
   *   up the array).
   * @param init status, statusText and headers as for `new Response`.
   * @throws TypeError as `new Response` does: a bad status or statusText, bad headers, or a body
   *   with a null-body status.
   */
  constructor(body: string | Uint8Array, init: ResponseInit = {}) {
    const status = init.status ?? 200;
    if (NULL_BODY_STATUS.has(status)) {
      new Response(body, init); // undici's own TypeError for a body on a null-body status
    }
    super(null, init);
    this.#source = body;
    if (typeof body === 'string' && !this.headers.has('content-type'))
      this.headers.set('content-type', 'text/plain;charset=UTF-8');
  }

  /** The body's bytes (a string is UTF-8 encoded once). */
  #bytes(): Uint8Array {
    if (this.#encoded === undefined)
      this.#encoded = typeof this.#source === 'string' ? UTF8_ENCODER.encode(this.#source) : this.#source;
    return this.#encoded;
  }

  /** The ordinary Response that answers from now on (built on first use, with this one's state). */
  #asStreamed(): Response {
    if (this.#streamed === undefined) {
      this.#streamed = new Response(this.#bytes(), {
        status: this.status,
        statusText: this.statusText,
        headers: this.headers,
      });
    }
    return this.#streamed;
  }

  /**
   * The result of reading the body with `method`: from memory on the first read; from undici
   * (a copy whose body was read already, so undici rejects as it would) on any later one.
   */
  async #read<T>(method: ReadMethod, fromMemory: () => T): Promise<T> {
    const readWith = (r: Response): Promise<T> =>
      (r as unknown as Record<ReadMethod, () => Promise<T>>)[method].call(r);
    if (this.#streamed !== undefined) return readWith(this.#streamed);
    if (this.#used) {
      const used = new Response(new Uint8Array(0));
      await used.arrayBuffer();
      return readWith(used);
    }
    this.#used = true;
    return fromMemory();
  }

  #text(): string {
    const s = this.#source;
    // A string with no surrogate (so none unpaired) and no leading BOM decodes back to itself.
    if (typeof s === 'string' && s.charCodeAt(0) !== 0xfeff && !SURROGATE.test(s)) return s;
    return UTF8_DECODER.decode(this.#bytes());
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#used && this.#streamed === undefined) {
      // Read already from memory: a used, locked-out stream, as undici leaves it.
      const used = new Response(new Uint8Array(0));
      void used.arrayBuffer();
      this.#streamed = used;
    }
    return this.#asStreamed().body;
  }

  get bodyUsed(): boolean {
    return this.#streamed === undefined ? this.#used : this.#streamed.bodyUsed;
  }

  text(): Promise<string> {
    return this.#read('text', () => this.#text());
  }

  json(): Promise<unknown> {
    return this.#read('json', () => JSON.parse(this.#text()) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read('arrayBuffer', () => {
      const b = this.#bytes();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    });
  }

  /** The body's bytes, a copy (undici's `bytes()`, Node ≥ 20.16). */
  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#read('bytes', () => Uint8Array.from(this.#bytes()));
  }

  blob(): Promise<Blob> {
    return this.#streamedOrUsed().blob();
  }

  formData(): Promise<FormData> {
    return this.#streamedOrUsed().formData();
  }

  clone(): Response {
    return this.#streamedOrUsed().clone();
  }

  /** The ordinary Response to delegate to (a used one when the body was read from memory). */
  #streamedOrUsed(): Response {
    if (this.#used && this.#streamed === undefined) void this.body;
    return this.#asStreamed();
  }
}
