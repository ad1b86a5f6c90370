/**
 * `LIST` over real sockets. OpenBao (Go's net/http) accepts any token as an HTTP method, and the
 * OpenBao API documents `LIST /v1/<mount>/keys`; Node's HTTP parser (llhttp) knows a fixed set of
 * methods and answers `LIST` with a bare 400 before any handler runs. So the live server sits
 * behind a small TCP front that rewrites, per request, the request line `LIST <target> HTTP/1.x`
 * into `GET <target>?list=true HTTP/1.x` (merged with an existing query), which is the form the
 * Vault/OpenBao API clients send for LIST and which the simulator routes to the same handler.
 *
 * {@link ListMethodRewriter} is the sans-I/O part: it takes the client's bytes in any chunking and
 * returns the bytes to forward, finding request boundaries by the header block and
 * `Content-Length` (LIST has no body), so every request of a keep-alive or pipelined connection
 * is rewritten. After a request with `Transfer-Encoding` (chunked bodies are not parsed here) or a
 * header block over 64 KiB it stops rewriting and passes the rest of that connection through
 * unchanged (a later LIST on that connection then gets Node's 400; no client of this project
 * sends either).
 */

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Header blocks larger than this switch the connection to pass-through (Node's own limit is 16 KiB). */
export const MAX_HEAD_BYTES = 64 * 1024;

/** `target` with `list=true` in its query (kept when already there). */
export function withListQuery(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return `${target}?list=true`;
  const query = target.slice(q + 1);
  if (query.split('&').some((p) => p === 'list=true')) return target;
  return query === '' ? `${target}list=true` : `${target}&list=true`;
}

/**
 * Rewrites `LIST` request lines of one HTTP/1.x connection (client → server direction).
 * `push(chunk)` returns the bytes to forward now (possibly empty while a header block is incomplete).
 */
export class ListMethodRewriter {
  #state: 'head' | 'body' | 'raw' = 'head';
  #pending: Buffer = Buffer.alloc(0);
  #bodyLeft = 0;
  /** Number of request lines rewritten so far. */
  rewritten = 0;

  /** Feed bytes from the client; returns the bytes to send to the server. */
  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.#state === 'raw') {
        out.push(data);
        break;
      }
      if (this.#state === 'body') {
        const n = Math.min(this.#bodyLeft, data.length);
        out.push(data.subarray(0, n));
        data = data.subarray(n);
        this.#bodyLeft -= n;
        if (this.#bodyLeft === 0) this.#state = 'head';
        continue;
      }
      // head: RFC 9112 §2.2, empty lines before a request line are ignored.
      let skip = 0;
      while (skip + 1 < data.length && data[skip] === 0x0d && data[skip + 1] === 0x0a) skip += 2;
      if (skip > 0) {
        out.push(data.subarray(0, skip));
        data = data.subarray(skip);
      }
      const end = data.indexOf(CRLFCRLF);
      if (end === -1) {
        if (data.length > MAX_HEAD_BYTES) {
          this.#state = 'raw';
          continue;
        }
        this.#pending = Buffer.from(data);
        break;
      }
      const head = data.subarray(0, end + 4).toString('latin1');
      data = data.subarray(end + 4);
      out.push(Buffer.from(this.#rewriteHead(head), 'latin1'));
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** Rewrite one header block (request line through the blank line) and set the body state. */
  #rewriteHead(head: string): string {
    const lineEnd = head.indexOf('\r\n');
    const requestLine = head.slice(0, lineEnd);
    const parts = requestLine.split(' ');
    let rewritten = head;
    if (parts.length === 3 && parts[0] === 'LIST') {
      rewritten = `GET ${withListQuery(parts[1]!)} ${parts[2]}${head.slice(lineEnd)}`;
      this.rewritten++;
    }
    let length = 0;
    for (const line of head.slice(lineEnd + 2, -4).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'transfer-encoding') {
        this.#state = 'raw';
        return rewritten;
      }
      if (name === 'content-length') {
        if (!/^\d+$/.test(value)) {
          // Let the server reject it; we can no longer find the next request.
          this.#state = 'raw';
          return rewritten;
        }
        length = Number(value);
      }
    }
    this.#bodyLeft = length;
    this.#state = length > 0 ? 'body' : 'head';
    return rewritten;
  }
}
