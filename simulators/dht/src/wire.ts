import { isNodeId, type NodeId } from './ids.js';
import type { DhtReply, DhtRequest } from './messages.js';

/**
 * The lab's DHT datagram format: how a {@link DhtRequest} / {@link DhtReply} travels as one
 * datagram over the sim kit's SimNetwork or a real UDP socket. It is the lab's own format, not
 * OpenDHT's msgpack; it carries the same information (sender id, request id, the message, and the
 * addresses of the nodes a reply names, like OpenDHT's "nodes4" compact info).
 *
 * Frame layout (all integers big-endian):
 *
 *     offset  size  field
 *     0       4     magic    "FDHT" (0x46 0x44 0x48 0x54)
 *     4       1     version  2
 *     5       1     kind     1 = request, 2 = reply
 *     6       4     rid      request id (u32), chosen by the requester, echoed by the reply
 *     10      n     body     UTF-8 JSON (below)
 *
 * Body of a request: `{"from": <id>, "msg": <DhtRequest>}`. A request carries no address of its
 * sender: the receiver takes the address the datagram really came from (a node serves and sends
 * on one socket), as OpenDHT does (`NetworkEngine::processMessage(buf, buflen, from)` hands the
 * socket's source address to the node cache). Version 1 carried a self-announced `addr`, which
 * let any sender redirect a node id to an address of its choosing; version 1 frames are refused.
 * Body of a reply: `{"from": <id>, "msg": <DhtReply>, "contacts": [{"id": <id>, "host",
 * "port"}…]}` — `contacts` gives the address of each node id the reply lists.
 *
 * JSON has no bytes or 64-bit integers, so two tagged objects stand for them:
 * `{"$b": "<base64>"}` is a Uint8Array (standard alphabet, padded) and `{"$u": "<decimal>"}` is a
 * bigint in 0..2^64-1 (value ids). Any other object or value is plain JSON. The decoder checks
 * the envelope; the message itself is checked afterwards by `parseRequest` / `parseReply`.
 */

/** "FDHT". */
export const FRAME_MAGIC = Uint8Array.of(0x46, 0x44, 0x48, 0x54);
/** Frame format version (2: requests no longer announce an address). */
export const FRAME_VERSION = 2;
/** Bytes before the JSON body. */
export const FRAME_HEADER_BYTES = 10;
/** Largest frame accepted or produced: 1 MiB (a 64 KiB value in base64 plus headroom). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Fields a frame error can name. */
export type FrameField =
  'frame' | 'magic' | 'version' | 'kind' | 'rid' | 'body' | 'from' | 'msg' | 'contacts';

/** A frame could not be encoded or decoded. `field` names the part that was wrong. */
export class DhtFrameError extends Error {
  override readonly name = 'DhtFrameError';
  constructor(
    readonly field: FrameField,
    detail: string,
  ) {
    super(`DHT frame ${field}: ${detail}`);
  }
}

/** A network address as frames carry it. */
export interface FrameAddress {
  readonly host: string;
  readonly port: number;
}

/** A decoded request frame. `msg` is unchecked (validate it with `parseRequest`). */
export interface RequestFrame {
  readonly kind: 'request';
  readonly rid: number;
  readonly from: NodeId;
  readonly msg: unknown;
}

/** A decoded reply frame. `msg` is unchecked (validate it with `parseReply`). */
export interface ReplyFrame {
  readonly kind: 'reply';
  readonly rid: number;
  readonly from: NodeId;
  readonly msg: unknown;
  readonly contacts: ReadonlyArray<{ readonly id: NodeId } & FrameAddress>;
}

/** Frames to encode. */
export type OutgoingFrame =
  | {
      readonly kind: 'request';
      readonly rid: number;
      readonly from: NodeId;
      readonly msg: DhtRequest;
    }
  | {
      readonly kind: 'reply';
      readonly rid: number;
      readonly from: NodeId;
      readonly msg: DhtReply;
      readonly contacts: ReadonlyArray<{ readonly id: NodeId } & FrameAddress>;
    };

const KIND_CODE = { request: 1, reply: 2 } as const;
const U64_MAX = (1n << 64n) - 1n;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
/** Padded standard base64 once the length is known to be a multiple of 4 ('=' only at the end, at most 2). */
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const DECIMAL_U64 = /^(0|[1-9][0-9]{0,19})$/;

/**
 * The JSON-ready form of a value: Uint8Array → `{"$b": base64}`, bigint → `{"$u": decimal}`,
 * arrays and plain objects copied with their members converted. One pass before a plain
 * `JSON.stringify` (a replacer function would be called for every member, which is slower).
 */
function toJsonTree(x: unknown): unknown {
  if (x instanceof Uint8Array)
    return { $b: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64') };
  if (typeof x === 'bigint') return { $u: x.toString() };
  if (typeof x !== 'object' || x === null) return x;
  if (Array.isArray(x)) return x.map(toJsonTree);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(x)) {
    const v = (x as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = toJsonTree(v);
  }
  return out;
}

/** A tagged `{"$b"}` / `{"$u"}` object's value, or `undefined` when `v` is not one. */
function untag(v: Record<string, unknown>): Uint8Array | bigint | undefined {
  let only: string | undefined;
  for (const k in v) {
    if (only !== undefined) return undefined;
    only = k;
  }
  if (only === '$b') {
    const b = v.$b;
    if (typeof b !== 'string' || b.length % 4 !== 0 || !BASE64_CHARS.test(b))
      throw new DhtFrameError('body', 'a {"$b"} value is not padded base64');
    return new Uint8Array(Buffer.from(b, 'base64'));
  }
  if (only === '$u') {
    if (typeof v.$u !== 'string' || !DECIMAL_U64.test(v.$u))
      throw new DhtFrameError('body', 'a {"$u"} value is not a decimal integer');
    const n = BigInt(v.$u);
    if (n > U64_MAX) throw new DhtFrameError('body', 'a {"$u"} value is over 2^64 - 1');
    return n;
  }
  return undefined;
}

/** Parsed JSON with every tagged object replaced by its bytes or bigint, in place (a reviver's work, one pass). */
function revive(x: unknown): unknown {
  if (typeof x !== 'object' || x === null) return x;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) x[i] = revive(x[i]);
    return x;
  }
  const o = x as Record<string, unknown>;
  const tagged = untag(o);
  if (tagged !== undefined) return tagged;
  for (const k of Object.keys(o)) {
    // JSON.parse makes "__proto__" an own data property; plain assignment would set the prototype.
    if (k === '__proto__')
      Object.defineProperty(o, k, {
        value: revive(o[k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else o[k] = revive(o[k]);
  }
  return o;
}

/**
 * Encode a frame.
 * @throws DhtFrameError('rid') for a rid outside u32; ('frame') when the result exceeds
 *   {@link MAX_FRAME_BYTES}.
 */
export function encodeFrame(frame: OutgoingFrame): Uint8Array {
  if (!Number.isInteger(frame.rid) || frame.rid < 0 || frame.rid > 0xffffffff)
    throw new DhtFrameError('rid', `must be a u32, got ${frame.rid}`);
  const body =
    frame.kind === 'request'
      ? { from: frame.from, msg: frame.msg }
      : {
          from: frame.from,
          msg: frame.msg,
          contacts: frame.contacts.map((c) => ({ id: c.id, host: c.host, port: c.port })),
        };
  const json = utf8.encode(JSON.stringify(toJsonTree(body)));
  const total = FRAME_HEADER_BYTES + json.length;
  if (total > MAX_FRAME_BYTES)
    throw new DhtFrameError('frame', `${total} bytes, over the ${MAX_FRAME_BYTES}-byte cap`);
  const out = new Uint8Array(total);
  out.set(FRAME_MAGIC, 0);
  out[4] = FRAME_VERSION;
  out[5] = KIND_CODE[frame.kind];
  new DataView(out.buffer).setUint32(6, frame.rid);
  out.set(json, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Read just the header: kind and rid, or undefined when the bytes are not a frame of this
 * version (wrong magic/version/kind, or shorter than the header). Never throws.
 */
export function peekFrame(bytes: Uint8Array): { kind: 'request' | 'reply'; rid: number } | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < FRAME_HEADER_BYTES) return undefined;
  for (let i = 0; i < 4; i++) if (bytes[i] !== FRAME_MAGIC[i]) return undefined;
  if (bytes[4] !== FRAME_VERSION) return undefined;
  const kind = bytes[5] === 1 ? 'request' : bytes[5] === 2 ? 'reply' : undefined;
  if (kind === undefined) return undefined;
  return { kind, rid: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(6) };
}

function parseAddress(x: unknown, field: FrameField): FrameAddress {
  const a = x as { host?: unknown; port?: unknown } | null;
  if (
    typeof a !== 'object' ||
    a === null ||
    typeof a.host !== 'string' ||
    a.host.length === 0 ||
    a.host.length > 255
  )
    throw new DhtFrameError(field, 'host must be a non-empty string');
  if (typeof a.port !== 'number' || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535)
    throw new DhtFrameError(field, 'port must be an integer in 0..65535');
  return { host: a.host, port: a.port };
}

/**
 * Decode a frame (envelope checked; `msg` returned as parsed JSON with bytes and bigints revived).
 * @throws DhtFrameError naming the field: 'frame' (too short or over the cap), 'magic', 'version',
 *   'kind', 'body' (not UTF-8 JSON, bad tagged value), 'from' (not a 20-byte id), 'msg'
 *   (missing), 'contacts' (not a list of {id, host, port}). Fields a body has beyond these are
 *   ignored (an `addr` in a request is never read).
 */
export function decodeFrame(bytes: Uint8Array): RequestFrame | ReplyFrame {
  if (!(bytes instanceof Uint8Array) || bytes.length < FRAME_HEADER_BYTES)
    throw new DhtFrameError('frame', `needs at least ${FRAME_HEADER_BYTES} bytes`);
  if (bytes.length > MAX_FRAME_BYTES)
    throw new DhtFrameError('frame', `${bytes.length} bytes, over the ${MAX_FRAME_BYTES}-byte cap`);
  for (let i = 0; i < 4; i++)
    if (bytes[i] !== FRAME_MAGIC[i]) throw new DhtFrameError('magic', 'is not "FDHT"');
  if (bytes[4] !== FRAME_VERSION) throw new DhtFrameError('version', `${bytes[4]} is not ${FRAME_VERSION}`);
  if (bytes[5] !== 1 && bytes[5] !== 2)
    throw new DhtFrameError('kind', `${bytes[5]} is not 1 (request) or 2 (reply)`);
  const rid = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(6);
  let body: unknown;
  try {
    body = revive(JSON.parse(utf8Strict.decode(bytes.subarray(FRAME_HEADER_BYTES))));
  } catch (e) {
    if (e instanceof DhtFrameError) throw e;
    throw new DhtFrameError('body', `is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new DhtFrameError('body', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  if (!isNodeId(b.from)) throw new DhtFrameError('from', 'must be a 20-byte id');
  if (!('msg' in b)) throw new DhtFrameError('msg', 'is missing');
  if (bytes[5] === 1) return { kind: 'request', rid, from: b.from, msg: b.msg };
  if (!Array.isArray(b.contacts) || b.contacts.length > 256)
    throw new DhtFrameError('contacts', 'must be a list of at most 256 entries');
  const contacts = b.contacts.map((c: unknown) => {
    const id = (c as { id?: unknown } | null)?.id;
    if (!isNodeId(id)) throw new DhtFrameError('contacts', 'an entry has no 20-byte id');
    return { id, ...parseAddress(c, 'contacts') };
  });
  return { kind: 'reply', rid, from: b.from, msg: b.msg, contacts };
}
