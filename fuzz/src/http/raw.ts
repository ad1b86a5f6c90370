/**
 * A {@link FuzzRequest} as raw HTTP/1.1 bytes, optionally broken at the wire level: lowercase or
 * unknown methods, header injection (CR LF or a bare LF inside a value), duplicate or conflicting
 * Content-Length / Transfer-Encoding (request smuggling shapes), bad chunk sizes, missing or
 * doubled Host, odd versions, obs-fold, a space before the colon, 20 KB headers, 300 headers,
 * absolute-form and asterisk targets, bodies shorter or longer than declared, Expect:
 * 100-continue, NUL or raw UTF-8 in the target, and byte edits of the head.
 */
import fc from 'fast-check';
import { applyEdits, byteEditArb, type ByteEdit } from '../mutate.js';
import { relabelRaw, type AuthLabel, type FuzzRequest, type RawAuthRule } from './request.js';

/** Wire-level breakages (see the module comment). */
export const RAW_BREAKAGES = [
  'lowercase-method',
  'unknown-method',
  'header-injection-crlf',
  'header-injection-lf',
  'smuggle-second-request',
  'duplicate-content-length',
  'content-length-and-chunked',
  'bad-transfer-encoding',
  'bad-chunk-size',
  'no-host',
  'two-hosts',
  'http-version',
  'obs-fold',
  'space-before-colon',
  'long-header',
  'many-headers',
  'absolute-form',
  'asterisk-form',
  'short-body',
  'long-body',
  'expect-continue',
  'odd-target-bytes',
  'byte-edits',
] as const;

/** One wire-level breakage. */
export type RawBreakage = (typeof RAW_BREAKAGES)[number];

/** A request ready for the socket. */
export interface RawRequest {
  /** The head (request line + headers + blank line). */
  readonly head: Uint8Array;
  /** The body as chunks to write after the head (generated lazily for 10 MB bodies). */
  readonly body: () => Iterable<Uint8Array>;
  readonly bodyBytes: number;
  /** Auth label from the final bytes (see request.ts relabelRaw). */
  readonly auth: AuthLabel;
  readonly method: string;
  readonly target: string;
  readonly kind: string;
  /**
   * Half-close after sending: the framing may leave the server waiting for bytes that never come
   * (a declared length above what is sent, a bad chunk size, edited bytes). A server then sees
   * the end and must answer or close. Well-formed requests are not half-closed: node:http aborts
   * a request whose client half-closed before the answer, which would cut slow handlers short.
   */
  readonly halfClose: boolean;
}

/** Breakages after which the server may wait for more bytes (see RawRequest.halfClose). */
const INCOMPLETE: ReadonlySet<RawBreakage> = new Set<RawBreakage>([
  'short-body',
  'bad-chunk-size',
  'byte-edits',
  'content-length-and-chunked',
  'duplicate-content-length',
  'bad-transfer-encoding',
  'header-injection-lf',
  'obs-fold',
]);

const enc = new TextEncoder();
const CHUNK = 64 * 1024;

function* sized(size: number, fill: number): Iterable<Uint8Array> {
  const block = new Uint8Array(Math.min(CHUNK, size)).fill(fill);
  for (let left = size; left > 0; left -= block.length)
    yield left >= block.length ? block : block.subarray(0, left);
}

function* chunkedOf(parts: Iterable<Uint8Array>, badSize: boolean): Iterable<Uint8Array> {
  for (const p of parts) {
    yield enc.encode(`${badSize ? 'zz' : p.length.toString(16)}\r\n`);
    yield p;
    yield enc.encode('\r\n');
  }
  yield enc.encode('0\r\n\r\n');
}

/** Options of {@link toRaw}. */
export interface ToRawOptions {
  readonly port: number;
  /** The server's token and its rule, to re-label the request from its final bytes. */
  readonly token: string;
  readonly rule: RawAuthRule;
  /** Breakage to apply (none: a well-formed request). */
  readonly breakage?: RawBreakage;
  /** Edits for 'byte-edits'. */
  readonly edits?: readonly ByteEdit[];
}

/** Serialise `r` (see the module comment). */
export function toRaw(r: FuzzRequest, o: ToRawOptions): RawRequest {
  const b = o.breakage;
  let method = r.method;
  if (b === 'lowercase-method') method = method.toLowerCase();
  if (b === 'unknown-method') method = 'BREW';
  let target = r.target;
  if (b === 'absolute-form') target = `http://evil.invalid${r.target}`;
  if (b === 'asterisk-form') target = '*';
  if (b === 'odd-target-bytes') target = `${r.target}\u0000é /x`;
  const version = b === 'http-version' ? 'HTTP/1.0' : 'HTTP/1.1';
  const lines: string[] = [`${method} ${target} ${version}`];
  if (b !== 'no-host') lines.push(`Host: 127.0.0.1:${o.port}`);
  if (b === 'two-hosts') lines.push('Host: evil.invalid');
  for (const [k, v] of r.headers) lines.push(b === 'space-before-colon' ? `${k} : ${v}` : `${k}: ${v}`);
  if (b === 'header-injection-crlf') lines.push('X-Note: a\r\nX-Injected: 1');
  if (b === 'header-injection-lf') lines.push('X-Note: a\nX-Injected: 1');
  if (b === 'obs-fold') lines.push('X-Folded: a', ' b');
  if (b === 'long-header') lines.push(`X-Long: ${'a'.repeat(20_000)}`);
  if (b === 'many-headers') for (let i = 0; i < 300; i++) lines.push(`X-H${i}: ${i}`);
  if (b === 'expect-continue') lines.push('Expect: 100-continue');

  let bodyBytes = 0;
  let parts: () => Iterable<Uint8Array> = () => [];
  if (r.body !== null) {
    const body = r.body;
    bodyBytes = body instanceof Uint8Array ? body.length : body.size;
    parts =
      body instanceof Uint8Array
        ? () => (body.length === 0 ? [] : [body])
        : () => sized(body.size, body.fill);
  }
  const chunked = r.chunked === true || b === 'content-length-and-chunked' || b === 'bad-chunk-size';
  let body = parts;
  if (chunked) {
    lines.push('Transfer-Encoding: chunked');
    body = () => chunkedOf(parts(), b === 'bad-chunk-size');
  }
  if (!chunked || b === 'content-length-and-chunked') {
    const declared =
      b === 'short-body' ? bodyBytes + 100 : b === 'long-body' ? Math.max(0, bodyBytes - 3) : bodyBytes;
    if (r.body !== null || b === 'short-body') lines.push(`Content-Length: ${declared}`);
    if (b === 'duplicate-content-length') lines.push(`Content-Length: ${declared + 1}`);
  }
  if (b === 'bad-transfer-encoding') lines.push('Transfer-Encoding: xchunked');
  lines.push('Connection: close');
  let head: Uint8Array = enc.encode(`${lines.join('\r\n')}\r\n\r\n`);
  if (b === 'smuggle-second-request')
    body = ((inner) => () => [
      ...inner(),
      enc.encode(`GET /v1/secp256k1/keys?list=true HTTP/1.1\r\nHost: x\r\n\r\n`),
    ])(body);
  if (b === 'byte-edits' && o.edits !== undefined) head = applyEdits(head, o.edits);
  const small =
    bodyBytes <= 64 * 1024 ? Buffer.concat([...body()].map((c) => Buffer.from(c))) : Buffer.alloc(0);
  const auth =
    b === undefined && r.auth !== 'ambiguous'
      ? r.auth
      : relabelRaw(Buffer.concat([head, small]), o.token, o.rule);
  return {
    head,
    body,
    bodyBytes,
    auth,
    method,
    target,
    kind: b === undefined ? r.kind : `${r.kind} +${b}`,
    halfClose: b !== undefined && INCOMPLETE.has(b),
  };
}

/** Raw breakage choice: none 2 times in 3, else one breakage (with its byte edits). */
export function breakageArb(): fc.Arbitrary<{ breakage?: RawBreakage; edits: ByteEdit[] }> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ edits: [] as ByteEdit[] }) },
    {
      weight: 1,
      arbitrary: fc.record({
        breakage: fc.constantFrom(...RAW_BREAKAGES),
        edits: fc.array(byteEditArb({ maxInsert: 8 }), { minLength: 1, maxLength: 4 }),
      }),
    },
  );
}

/** A request that never completes: its start only (for half-open connections). */
export const HALF_OPEN_PARTIALS: readonly Uint8Array[] = [
  enc.encode('POST /v1/secp256k1/keys/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{"exp'),
  enc.encode('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '),
  enc.encode('POST /put HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc'),
];
