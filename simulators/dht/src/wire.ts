import { Packr, Unpackr } from 'msgpackr';
import { isNodeId, type NodeId } from './ids.js';
import type { DhtReply, DhtRequest } from './messages.js';

/**
 * The lab's DHT datagram format: how a {@link DhtRequest} / {@link DhtReply} travels as one
 * datagram over the sim kit's SimNetwork or a real UDP socket. The body is MessagePack, as
 * OpenDHT's own wire is (its NetworkEngine packs every message with msgpack), but the layout is
 * the lab's, not OpenDHT's: it carries the same information (sender id, request id, the message,
 * and the addresses of the nodes a reply names, like OpenDHT's "nodes4" compact info).
 *
 * Frame layout (all integers big-endian):
 *
 *     offset  size  field
 *     0       4     magic    "FDHT" (0x46 0x44 0x48 0x54)
 *     4       1     version  3
 *     5       1     kind     1 = request, 2 = reply
 *     6       4     rid      request id (u32), chosen by the requester, echoed by the reply
 *     10      n     body     one MessagePack map (below), nothing after it
 *
 * Body of a request: `{"from": <id>, "msg": <DhtRequest>}`. A request carries no address of its
 * sender: the receiver takes the address the datagram really came from (a node serves and sends
 * on one socket), as OpenDHT does (`NetworkEngine::processMessage(buf, buflen, from)` hands the
 * socket's source address to the node cache). Version 1 carried a self-announced `addr`, which
 * let any sender redirect a node id to an address of its choosing; version 1 frames are refused.
 * Body of a reply: `{"from": <id>, "msg": <DhtReply>, "contacts": [{"id": <id>, "host",
 * "port"}…]}` — `contacts` gives the address of each node id the reply lists.
 *
 * Types: maps with string keys, arrays, strings, booleans, nil, numbers, `bin` for bytes (ids,
 * keys, value data, owners, signatures) and a 64-bit integer (int 64, or uint 64 from 2^63) for
 * each bigint (value ids); a member that is undefined is left out. Version 2 was UTF-8 JSON with
 * `{"$b": base64}` / `{"$u": decimal}` tags for bytes and bigints (2–4× slower to encode and
 * decode, a third larger); version 2 frames are refused. The decoder checks the envelope and
 * refuses extension types that decode to anything else (a timestamp's Date, msgpackr's Set,
 * Error…); msgpackr's records (extension 0x72) decode to plain maps and are read like maps, with
 * no state kept from one frame to the next. The message itself is checked
 * afterwards by `parseRequest` / `parseReply`. A map key `__proto__` is read as `__proto_`
 * (msgpackr), so it cannot set a prototype.
 */

/** "FDHT". */
export const FRAME_MAGIC = Uint8Array.of(0x46, 0x44, 0x48, 0x54);
/** Frame format version (3: MessagePack body; 2: requests no longer announce an address). */
export const FRAME_VERSION = 3;
/** Bytes before the body. */
export const FRAME_HEADER_BYTES = 10;
/** Largest frame accepted or produced: 1 MiB (a 64 KiB value plus headroom). */
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
/** Encoder: plain maps (no records), undefined members left out, bigints as 64-bit integers. */
// skipValues is a msgpackr option its type declarations do not list (pack.js writePlainObject).
const packr = new Packr({
  useRecords: false,
  variableMapSize: true,
  skipValues: [undefined],
} as ConstructorParameters<typeof Packr>[0]);
/** Decoder: maps as plain objects, bytes copied out of the datagram, 64-bit integers as bigints. */
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  copyBuffers: true,
  int64AsType: 'bigint',
});

/**
 * Check that a decoded body holds only what the encoder writes (plain objects, arrays, strings,
 * numbers, booleans, null, bytes, bigints); anything else came from an extension type.
 * @throws DhtFrameError('body') naming the unexpected type.
 */
function checkTree(x: unknown, depth = 0): void {
  if (x === null || typeof x !== 'object') {
    if (typeof x === 'undefined' || typeof x === 'function' || typeof x === 'symbol')
      throw new DhtFrameError('body', `holds ${typeof x}, which MessagePack frames do not carry`);
    return;
  }
  if (depth > 64) throw new DhtFrameError('body', 'is nested more than 64 levels deep');
  if (x instanceof Uint8Array && x.constructor === Uint8Array) return;
  if (Array.isArray(x)) {
    for (const v of x) checkTree(v, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(x) !== Object.prototype)
    throw new DhtFrameError(
      'body',
      `holds a ${x.constructor?.name ?? 'non-plain object'} (an extension type)`,
    );
  for (const k in x) checkTree((x as Record<string, unknown>)[k], depth + 1);
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
  let packed: Uint8Array;
  try {
    packed = packr.pack(body);
  } catch (e) {
    throw new DhtFrameError('body', `cannot be encoded (${(e as Error).message})`);
  }
  const total = FRAME_HEADER_BYTES + packed.length;
  if (total > MAX_FRAME_BYTES)
    throw new DhtFrameError('frame', `${total} bytes, over the ${MAX_FRAME_BYTES}-byte cap`);
  const out = new Uint8Array(total);
  out.set(FRAME_MAGIC, 0);
  out[4] = FRAME_VERSION;
  out[5] = KIND_CODE[frame.kind];
  new DataView(out.buffer).setUint32(6, frame.rid);
  out.set(packed, FRAME_HEADER_BYTES);
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
 * Decode a frame (envelope checked; `msg` returned as decoded, bytes as Uint8Array, 64-bit integers as bigint).
 * @throws DhtFrameError naming the field: 'frame' (too short or over the cap), 'magic', 'version',
 *   'kind', 'body' (not one MessagePack map, an extension type), 'from' (not a 20-byte id), 'msg'
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
    // A plain Uint8Array view (not a Buffer), so decoded bytes are plain Uint8Arrays too.
    body = unpackr.unpack(
      new Uint8Array(bytes.buffer, bytes.byteOffset + FRAME_HEADER_BYTES, bytes.length - FRAME_HEADER_BYTES),
    );
  } catch (e) {
    throw new DhtFrameError('body', `is not one MessagePack value (${(e as Error).message.slice(0, 120)})`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Uint8Array)
    throw new DhtFrameError('body', 'must be a MessagePack map');
  checkTree(body);
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
