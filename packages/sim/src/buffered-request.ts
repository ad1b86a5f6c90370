/**
 * A `Request` whose whole body is already in memory (a string or bytes): what the simulated
 * network builds from a client's `fetch(url, { method, headers, body })`.
 *
 * Why: undici's `new Request(url, { body })` builds a WHATWG ReadableStream for the body at
 * once (extractBody), and a handler reading it with `json()` / `text()` goes through that stream;
 * for a POST of a few hundred bytes on the simulated network that was most of the Request's cost.
 * A BufferedRequest is a real `Request` (undici's own method, url, headers, signal, mode, …),
 * built with a null body; the body-reading methods answer from memory (held-body.ts), and the
 * first time anything asks for the body as a stream (`body`, `clone()`, `blob()`, `formData()`)
 * an ordinary Request made from the same bytes answers from then on. A string body gets
 * `Content-Type: text/plain;charset=UTF-8` unless the init names one, as undici gives it.
 * buffered-request.test.ts compares every observable member with `new Request`.
 */
import { HeldBody } from './held-body.js';

/** undici's Request as a base class, typed loosely (see BufferedResponse for why). */
const RequestBase = Request as unknown as new (input: string | URL, init?: RequestInit) => object;

/** The Request type of a {@link BufferedRequest} (declaration merging with the class). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface BufferedRequest extends Request {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class BufferedRequest extends RequestBase {
  readonly #held: HeldBody<Request>;

  /**
   * `new Request(input, init)`, as a BufferedRequest when it can be one: a string or URL input
   * and a string or Uint8Array body, with a method that may carry one and no keepalive (whose
   * 64 KiB limit undici checks on the body). Anything else is an ordinary Request.
   * @throws TypeError as `new Request` does (a bad URL or method, bad headers, a body on GET/HEAD).
   */
  static from(input: string | URL | Request, init?: RequestInit): Request {
    const body = init?.body;
    const method = init?.method?.toUpperCase();
    if (
      input instanceof Request ||
      !(typeof body === 'string' || body instanceof Uint8Array) ||
      method === undefined ||
      method === 'GET' ||
      method === 'HEAD' ||
      init?.keepalive === true
    )
      return new Request(input, init);
    return new BufferedRequest(input, init as RequestInit & { body: string | Uint8Array });
  }

  /**
   * @param input the URL.
   * @param init as for `new Request`, with the whole body as a string (sent as UTF-8) or bytes
   *   (not copied: the caller gives up the array); use {@link BufferedRequest.from} when either may
   *   be otherwise.
   * @throws TypeError as `new Request` does.
   */
  constructor(input: string | URL, init: RequestInit & { body: string | Uint8Array }) {
    super(input, { ...init, body: null });
    const body = init.body;
    if (typeof body === 'string' && !this.headers.has('content-type'))
      this.headers.set('content-type', 'text/plain;charset=UTF-8');
    this.#held = new HeldBody<Request>(
      body,
      (bytes) => new Request(this as unknown as Request, { body: bytes, duplex: 'half' } as RequestInit),
    );
  }

  /**
   * The body's length in bytes (UTF-8 for a string body), known without reading it: a server that
   * streams bodies to stop at a size limit can check this instead and then read the body whole
   * (building the stream would cost what BufferedRequest saves).
   */
  get byteLength(): number {
    return this.#held.bytes().byteLength;
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

  clone(): Request {
    return this.#held.streamed().clone();
  }
}
