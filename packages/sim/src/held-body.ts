/**
 * The body of a BufferedResponse or BufferedRequest: a string or bytes held in memory, read
 * without a WHATWG stream until something asks for the stream.
 *
 * Reads follow undici's Body mixin (the Fetch standard's "consume body"): a string is UTF-8
 * encoded (a lone surrogate becomes U+FFFD); text decodes UTF-8 with replacement and drops one
 * leading BOM; json is JSON.parse of that text; a body can be read once, and a second read
 * rejects with undici's own TypeError (produced by undici, from a used stand-in of the same
 * class). Once the stream is asked for, an ordinary undici object made from the same bytes
 * answers every body member from then on.
 */

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
const SURROGATE = /[\ud800-\udfff]/;

/** The body-reading methods answered from memory until the body is first streamed. */
export type ReadMethod = 'text' | 'json' | 'arrayBuffer' | 'bytes';

/** Makes an ordinary undici object with the owner's head (status or method, URL, headers) and `bytes` as its body. */
export type MakeStreamed<R extends Request | Response> = (bytes: Uint8Array) => R;

/** A body in memory (see the module docstring). */
export class HeldBody<R extends Request | Response> {
  #source: string | Uint8Array;
  #encoded: Uint8Array | undefined;
  #streamed: R | undefined;
  #used = false;

  /**
   * @param source a string (UTF-8 encoded when bytes are asked for) or bytes (not copied: the
   *   caller gives up the array).
   */
  constructor(
    source: string | Uint8Array,
    private readonly makeStreamed: MakeStreamed<R>,
  ) {
    this.#source = source;
  }

  /** The body's bytes (a string is encoded once). */
  bytes(): Uint8Array {
    if (this.#encoded === undefined)
      this.#encoded = typeof this.#source === 'string' ? UTF8_ENCODER.encode(this.#source) : this.#source;
    return this.#encoded;
  }

  /** The body as text, as undici's text() decodes it. */
  text(): string {
    const s = this.#source;
    // A string with no surrogate (so none unpaired) and no leading BOM decodes back to itself.
    if (typeof s === 'string' && s.charCodeAt(0) !== 0xfeff && !SURROGATE.test(s)) return s;
    return UTF8_DECODER.decode(this.bytes());
  }

  /** `bodyUsed` of the owner. */
  get used(): boolean {
    return this.#streamed === undefined ? this.#used : this.#streamed.bodyUsed;
  }

  /**
   * The result of reading the body with `method`: from memory on the first read, from undici
   * after the body was streamed or read (so undici's rejection for a used body is the one given).
   */
  read<T>(method: ReadMethod, fromMemory: () => T): Promise<T> {
    const readWith = (r: R): Promise<T> =>
      (r as unknown as Record<ReadMethod, () => Promise<T>>)[method].call(r);
    if (this.#streamed !== undefined) return readWith(this.#streamed);
    if (this.#used) return readWith(this.streamed());
    this.#used = true;
    // Resolved in a later microtask, as undici's reads are; a throw (json) becomes a rejection.
    return Promise.resolve().then(fromMemory);
  }

  /** text(), json(), arrayBuffer() and bytes() of the Body mixin. */
  readText(): Promise<string> {
    return this.read('text', () => this.text());
  }

  readJson(): Promise<unknown> {
    return this.read('json', () => JSON.parse(this.text()) as unknown);
  }

  readArrayBuffer(): Promise<ArrayBuffer> {
    return this.read('arrayBuffer', () => {
      const b = this.bytes();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    });
  }

  readBytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.read('bytes', () => Uint8Array.from(this.bytes()));
  }

  /**
   * The ordinary object that answers for the body from now on: made from the bytes, or (when the
   * body was read from memory) a used stand-in, so `body`, `clone()`, `blob()` and `formData()`
   * behave as undici's on a used body.
   */
  streamed(): R {
    if (this.#streamed === undefined) {
      if (this.#used) {
        const stub = this.makeStreamed(new Uint8Array(0));
        void (stub as Response).arrayBuffer(); // disturbed at once, as a read body is
        this.#streamed = stub;
      } else this.#streamed = this.makeStreamed(this.bytes());
    }
    return this.#streamed;
  }
}

/** Where a BufferedRequest or BufferedResponse keeps its {@link HeldBody}. */
export const HELD: unique symbol = Symbol('held body');

/** A Request or Response whose body is held (see {@link holdBody}). */
interface Holder {
  readonly [HELD]: HeldBody<Request | Response>;
}

/**
 * Give `owner` (a Request or Response built with a null body) `body` to hold: a string body gets
 * `Content-Type: text/plain;charset=UTF-8` unless its headers name one, as undici gives it.
 */
export function holdBody<R extends Request | Response>(
  owner: R,
  body: string | Uint8Array,
  makeStreamed: MakeStreamed<R>,
): void {
  if (typeof body === 'string' && !owner.headers.has('content-type'))
    owner.headers.set('content-type', 'text/plain;charset=UTF-8');
  (owner as unknown as { [HELD]: HeldBody<R> })[HELD] = new HeldBody(body, makeStreamed);
}

const held = (self: unknown): HeldBody<Request | Response> => (self as Holder)[HELD];

/**
 * Put the Body mixin's members on `prototype` (BufferedRequest's or BufferedResponse's), answered by
 * the instance's held body: `body`, `bodyUsed`, `text()`, `json()`, `arrayBuffer()` and `bytes()`
 * (undici's, Node ≥ 20.16) from memory until the body is streamed; `blob()`, `formData()` and
 * `clone()` by the ordinary object that then answers.
 */
export function defineHeldBodyMembers(prototype: object): void {
  const method = (value: (this: unknown) => unknown): PropertyDescriptor => ({
    value,
    writable: true,
    configurable: true,
  });
  Object.defineProperties(prototype, {
    body: {
      get(this: unknown) {
        return held(this).streamed().body;
      },
      configurable: true,
    },
    bodyUsed: {
      get(this: unknown) {
        return held(this).used;
      },
      configurable: true,
    },
    text: method(function (this: unknown) {
      return held(this).readText();
    }),
    json: method(function (this: unknown) {
      return held(this).readJson();
    }),
    arrayBuffer: method(function (this: unknown) {
      return held(this).readArrayBuffer();
    }),
    bytes: method(function (this: unknown) {
      return held(this).readBytes();
    }),
    blob: method(function (this: unknown) {
      return held(this).streamed().blob();
    }),
    formData: method(function (this: unknown) {
      return held(this).streamed().formData();
    }),
    clone: method(function (this: unknown) {
      return held(this).streamed().clone();
    }),
  });
}
