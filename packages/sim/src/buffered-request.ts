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
import { HELD, defineHeldBodyMembers, holdBody, type HeldBody } from './held-body.js';

export class BufferedRequest extends Request {
  /** The held body (set by holdBody in the constructor). */
  declare readonly [HELD]: HeldBody<Request>;

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
    holdBody<Request>(
      this,
      init.body,
      (bytes) => new Request(this, { body: bytes, duplex: 'half' } as RequestInit),
    );
  }

  /**
   * The body's length in bytes (UTF-8 for a string body), known without reading it: a server that
   * streams bodies to stop at a size limit can check this instead and then read the body whole
   * (building the stream would cost what BufferedRequest saves).
   */
  get byteLength(): number {
    return this[HELD].bytes().byteLength;
  }
}

// body, bodyUsed, text(), json(), arrayBuffer(), bytes(), blob(), formData(), clone()
defineHeldBodyMembers(BufferedRequest.prototype);
