/**
 * The fuzzer's HTTP request model, shared by the in-process targets (a fetch `Request` built from
 * it) and the live ones (raw bytes on a socket, where malformed framing and header injection are
 * possible: no HTTP client sends those).
 *
 * `auth` records, by construction, whether the request carries the server's token in a form the
 * real server accepts ('valid'), carries none or only a refused form ('invalid'), or is a case
 * where the lab and the real server may legitimately differ ('ambiguous': excluded from the
 * auth-bypass oracle, counted). Raw byte mutations can turn a refused form into an accepted one
 * (one bit separates "bearer" from "Bearer"), so a raw-mutated request is re-labelled from its
 * final bytes (see {@link relabelRaw}).
 */

/** Auth label of a request (see the module comment). */
export type AuthLabel = 'valid' | 'invalid' | 'ambiguous';

/** One request. `target` is the raw request-target (origin, absolute or asterisk form). */
export interface FuzzRequest {
  readonly method: string;
  readonly target: string;
  /** Header lines in order, names and values as sent. */
  readonly headers: readonly (readonly [string, string])[];
  /** Body bytes, or `null` for none. A `{ size }` body is `size` bytes of `fill` (10 MB bodies). */
  readonly body: Uint8Array | null | { readonly size: number; readonly fill: number };
  /** Send the body chunked (live only). */
  readonly chunked?: boolean;
  readonly auth: AuthLabel;
  /** Short name of the generator case (report histograms). */
  readonly kind: string;
}

/** Sized bodies already materialised (read-only by convention: a fetch Request copies them). */
const SIZED = new Map<string, Uint8Array>();

/** The body as bytes (a sized body materialised once per size and fill byte). */
export function bodyBytes(r: FuzzRequest): Uint8Array | null {
  if (r.body === null || r.body instanceof Uint8Array) return r.body;
  const key = `${r.body.size}/${r.body.fill}`;
  let b = SIZED.get(key);
  if (b === undefined) SIZED.set(key, (b = new Uint8Array(r.body.size).fill(r.body.fill)));
  return b;
}

/** Body length in bytes (0 for none). */
export function bodyLength(r: FuzzRequest): number {
  if (r.body === null) return 0;
  return r.body instanceof Uint8Array ? r.body.length : r.body.size;
}

const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD']);
/** Header names a fetch Request refuses or manages itself. */
const FORBIDDEN = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'expect',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE = /^[^\0\r\n]*$/;

/**
 * The request as a fetch `Request` for an in-process handler at `origin`, or undefined when fetch
 * cannot express it (an invalid method or header, a non-origin target): those are live-only cases.
 */
export function toFetchRequest(r: FuzzRequest, origin: string): Request | undefined {
  if (!r.target.startsWith('/') || !TOKEN.test(r.method)) return undefined;
  const upper = r.method.toUpperCase();
  if (upper === 'CONNECT' || upper === 'TRACE' || upper === 'TRACK') return undefined;
  const headers = new Headers();
  for (const [name, value] of r.headers) {
    if (!TOKEN.test(name) || !VALUE.test(value)) return undefined;
    if (FORBIDDEN.has(name.toLowerCase())) continue;
    headers.append(name, value);
  }
  const body = METHODS_WITHOUT_BODY.has(upper) ? null : bodyBytes(r);
  try {
    return new Request(`${origin}${r.target}`, {
      method: r.method,
      headers,
      ...(body === null ? {} : { body }),
    });
  } catch {
    return undefined;
  }
}

/** A header line (name and value) of raw request bytes. */
interface RawHeader {
  readonly name: string;
  readonly value: string;
}

/**
 * The header section of raw request bytes as a strict HTTP/1.1 parser reads it (lines end with
 * CRLF, `name: value`, OWS trimmed), or undefined when the head is not well formed (bare LF,
 * obs-fold, a name with spaces, no blank line, NUL): then a server refuses the request with 400
 * or reads it in some lenient way the fuzzer does not model.
 */
export function parseRawHead(bytes: Uint8Array): { requestLine: string; headers: RawHeader[] } | undefined {
  const text = Buffer.from(bytes).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = text.slice(0, end).split('\r\n');
  const requestLine = lines.shift()!;
  if (/[\n\r\0]/.test(text.slice(0, end).replace(/\r\n/g, ''))) return undefined;
  const headers: RawHeader[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    headers.push({ name: name.toLowerCase(), value: line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '') });
  }
  return { requestLine, headers };
}

/** Decide a raw request's auth label from its final bytes (see the module comment). */
export type RawAuthRule = (head: { headers: readonly RawHeader[] }) => 'valid' | 'invalid';

/**
 * Re-label a raw-mutated request: 'invalid' when the token's bytes appear nowhere in it (no
 * reading can find a token that is not there); otherwise the server's rule applied to a
 * well-formed head, and 'ambiguous' for a malformed head that contains the token.
 */
export function relabelRaw(bytes: Uint8Array, token: string, rule: RawAuthRule): AuthLabel {
  if (!Buffer.from(bytes).includes(Buffer.from(token, 'latin1'))) return 'invalid';
  const head = parseRawHead(bytes);
  if (head === undefined) return 'ambiguous';
  return rule(head);
}

/**
 * OpenBao's token rule on a well-formed head (openbao http/handler.go getTokenFromReq): the first
 * `X-Vault-Token` value when non-empty, else an `Authorization` value with the exact prefix
 * "Bearer " (rest trimmed).
 */
export function openBaoRule(token: string): RawAuthRule {
  return ({ headers }) => {
    const vault = headers.find((h) => h.name === 'x-vault-token');
    if (vault !== undefined && vault.value !== '') return vault.value === token ? 'valid' : 'invalid';
    for (const h of headers)
      if (h.name === 'authorization' && h.value.startsWith('Bearer ') && h.value.slice(7).trim() === token)
        return 'valid';
    return 'invalid';
  };
}

/** The Prime apps' rule: an `Authorization` header equal to "Bearer <token>". */
export function primeRule(token: string): RawAuthRule {
  return ({ headers }) => {
    const auth = headers.filter((h) => h.name === 'authorization');
    return auth.length === 1 && auth[0]!.value === `Bearer ${token}` ? 'valid' : 'invalid';
  };
}

/**
 * The path and query a fetch-based server routes on for a raw request-target: WHATWG URL parsing
 * removes dot segments (`/v1/./sys/health` is `/v1/sys/health`) and takes the path of an
 * absolute-form target; anything else is returned as it is.
 */
export function effectivePath(target: string): string {
  try {
    const url = target.startsWith('/') ? new URL(target, 'http://host.invalid') : new URL(target);
    return url.pathname + url.search;
  } catch {
    return target;
  }
}
