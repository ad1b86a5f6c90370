/**
 * A raw HTTP/1.1 exchange over a TCP socket: write bytes exactly as given (malformed framing,
 * injected headers, 10 MB bodies included), half-close, and read one response. No HTTP client
 * sends such requests, which is why this is not undici. The client may half-close after the
 * request so that a server waiting for more bytes sees the end: such an exchange then ends with an
 * answer, a close or a reset — except on a server that hangs, which the timeout reports.
 */
import { connect, type Socket } from 'node:net';

/** How one exchange ended. */
export type Exchange =
  | { readonly kind: 'response'; readonly status: number; readonly head: string; readonly body: Buffer }
  | { readonly kind: 'closed'; readonly bytes: number }
  | { readonly kind: 'reset'; readonly error: string }
  | { readonly kind: 'timeout' };

/** Where to connect, and the bounds of one exchange. */
export interface ExchangeOptions {
  readonly port: number;
  readonly host?: string;
  /** Local address (127.0.0.x spreads the client ports over several source addresses). */
  readonly localAddress?: string;
  /** Give up after this long without an answer (a hang), ms. */
  readonly timeoutMs: number;
  /** The request is a HEAD (its response has no body whatever its headers say). */
  readonly head?: boolean;
  /** Half-close the connection once the request is written (default true; see raw.ts). */
  readonly halfClose?: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Parse the response bytes read so far: the first final (non-1xx) response once it is complete. */
function complete(
  buf: Buffer,
  headRequest: boolean,
): { status: number; head: string; body: Buffer } | undefined {
  let at = 0;
  for (;;) {
    const end = buf.indexOf(CRLFCRLF, at);
    if (end < 0) return undefined;
    const head = buf.subarray(at, end).toString('latin1');
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(head)?.[1] ?? NaN);
    const start = end + 4;
    if (status >= 100 && status < 200) {
      at = start;
      continue;
    }
    if (headRequest || status === 204 || status === 304) return { status, head, body: Buffer.alloc(0) };
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length !== null) {
      const n = Number(length[1]);
      return buf.length - start >= n ? { status, head, body: buf.subarray(start, start + n) } : undefined;
    }
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const rest = buf.subarray(start);
      return rest.includes('\r\n0\r\n\r\n') || rest.subarray(0, 5).toString() === '0\r\n\r\n'
        ? { status, head, body: rest }
        : undefined;
    }
    return undefined; // body until close
  }
}

/**
 * The first final (non-1xx) response head in `buf` and whatever body followed it, for a
 * connection that ended (its body runs to the close); undefined when there is none (nothing, or
 * only `100 Continue`).
 */
function finalHead(buf: Buffer): { status: number; head: string; body: Buffer } | undefined {
  let at = 0;
  for (;;) {
    const end = buf.indexOf(CRLFCRLF, at);
    if (end < 0) return undefined;
    const head = buf.subarray(at, end).toString('latin1');
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(status)) return undefined;
    if (status >= 200) return { status, head, body: buf.subarray(end + 4) };
    at = end + 4;
  }
}

/**
 * Send `request` (bytes, or a generator of chunks for large bodies) and read one response.
 * @returns how the exchange ended (never throws).
 */
export function exchange(
  request: Uint8Array | (() => Iterable<Uint8Array>),
  o: ExchangeOptions,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket: Socket = connect({
      port: o.port,
      host: o.host ?? '127.0.0.1',
      ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
    });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (e: Exchange): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(e);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), o.timeoutMs);
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const r = complete(buf, o.head === true);
      if (r !== undefined) finish({ kind: 'response', ...r });
    });
    socket.on('end', () => {
      const r = finalHead(buf);
      finish(r === undefined ? { kind: 'closed', bytes: buf.length } : { kind: 'response', ...r });
    });
    socket.on('close', () => finish({ kind: 'closed', bytes: buf.length }));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A reset after a complete answer is an answer (the server closed while we were writing).
      const r = complete(buf, o.head === true);
      if (r !== undefined) finish({ kind: 'response', ...r });
      else finish({ kind: 'reset', error: e.code ?? e.message });
    });
    socket.on('connect', () => {
      void (async () => {
        const chunks = request instanceof Uint8Array ? [request] : request();
        for (const chunk of chunks) {
          if (done || socket.destroyed) return;
          if (!socket.write(chunk)) await new Promise<void>((r) => socket.once('drain', r).once('close', r));
        }
        if (!done && !socket.destroyed && o.halfClose !== false) socket.end();
      })();
    });
  });
}

/**
 * Open `count` half-open connections: each sends the start of a request (`partial`) and then
 * nothing. Resolves once all are connected; `close()` destroys them.
 */
export async function holdHalfOpen(
  count: number,
  port: number,
  partial: Uint8Array,
): Promise<{ readonly open: () => number; close(): void }> {
  const sockets: Socket[] = [];
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const s = connect({ port, host: '127.0.0.1' }, () => {
            s.write(partial);
            resolve();
          });
          s.on('error', () => resolve());
          sockets.push(s);
        }),
    ),
  );
  return {
    open: () => sockets.filter((s) => !s.destroyed).length,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
