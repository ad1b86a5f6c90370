/**
 * DHT targets: the lab's datagram frames (simulators/dht wire.ts decodeFrame, then messages.ts
 * parseRequest / parseReply for every request type) and DNA Messenger outbox values
 * (packages/dht codec.ts decodeOutbox, with and without trailing bytes allowed).
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { decodeOutbox, encodeOutbox, OutboxDecodeError, type OutboxMessageInit } from '@fanout/dht';
import {
  decodeFrame,
  DhtBadRequestError,
  DhtFrameError,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FRAME_VERSION,
  parseReply,
  parseRequest,
  type DhtReply,
  type DhtRequest,
} from '@fanout/sim-dht';
import type { Rng } from '@fanout/sim';
import { bytesInput, dictionary } from '../mutate.js';
import { treeInput } from '../tree-mutate.js';
import { attempt, fieldProp, hexOf, type DecoderTarget, type TypedClass } from './target.js';

const FRAME_TYPED: readonly TypedClass[] = [
  [DhtFrameError, fieldProp],
  [DhtBadRequestError, fieldProp],
];
const REQUEST_TYPES: readonly DhtRequest['type'][] = [
  'ping',
  'findNode',
  'get',
  'put',
  'listen',
  'cancelListen',
  'update',
];

/** Messages of every request and reply type (decoded form: ids as bytes, value ids as bigint). */
function messages(rng: Rng): { requests: DhtRequest[]; replies: DhtReply[] } {
  const id = (): Uint8Array => rng.bytes(20);
  const value = () => ({
    id: BigInt(rng.nextU32()) * 7919n,
    seq: rng.int(0, 5),
    data: rng.bytes(rng.int(0, 40)),
  });
  const signed = () => ({ ...value(), owner: rng.bytes(32), signature: rng.bytes(64) });
  return {
    requests: [
      { type: 'ping' },
      { type: 'findNode', target: id() },
      { type: 'get', key: id() },
      { type: 'put', key: id(), value: value() },
      { type: 'put', key: id(), value: signed(), ttlMs: 60_000 },
      { type: 'listen', key: id(), token: 7 },
      { type: 'cancelListen', key: id(), token: 7 },
      { type: 'update', key: id(), token: 3, values: [value(), signed()], expired: false },
    ],
    replies: [
      { type: 'pong' },
      { type: 'nodes', nodes: [id(), id()] },
      { type: 'values', values: [value(), signed()], nodes: [id()] },
      { type: 'stored' },
      { type: 'ok' },
      { type: 'error', code: 'edit-refused', message: 'lower seq', reason: 'lower-seq' },
    ],
  };
}

/** Packs any tree the structured mutator makes (maps, not records; undefined members kept as msgpackr writes them). */
const packr = new Packr({ useRecords: false, variableMapSize: true });

/** A frame around any body (what encodeFrame does, without checking the message); unpackable trees pack as nil. */
function frameOf(kind: 'request' | 'reply', rid: number, body: unknown): Uint8Array {
  let packed: Uint8Array;
  try {
    packed = packr.pack(body);
  } catch {
    packed = Uint8Array.of(0xc0);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + packed.length);
  out.set(FRAME_MAGIC, 0);
  out[4] = FRAME_VERSION;
  out[5] = kind === 'request' ? 1 : 2;
  new DataView(out.buffer).setUint32(6, rid >>> 0);
  out.set(packed, FRAME_HEADER_BYTES);
  return out;
}

/** DHT datagram frames through decodeFrame, then parseRequest or parseReply (every request type). */
export function dhtFrame(): DecoderTarget<Uint8Array> {
  return {
    name: 'dht.frame',
    drives: 'decodeFrame, then parseRequest / parseReply(each type) — simulators/dht wire.ts, messages.ts',
    cost: 2,
    arbitrary(rng) {
      const { requests, replies } = messages(rng);
      const from = rng.bytes(20);
      const contacts = [{ id: rng.bytes(20), host: '127.0.0.1', port: 4000 }];
      const corpus = [
        ...requests.map((msg, i) => encodeFrame({ kind: 'request', rid: i, from, msg })),
        ...replies.map((msg, i) => encodeFrame({ kind: 'reply', rid: i, from, msg, contacts })),
      ];
      const trees: unknown[] = [
        ...requests.map((msg) => ({ kind: 'request', body: { from, msg } })),
        ...replies.map((msg) => ({ kind: 'reply', body: { from, msg, contacts } })),
      ];
      const structured = fc
        .tuple(
          treeInput(trees, {
            binary: true,
            keys: ['from', 'msg', 'type', 'key', 'value', 'contacts', 'nodes', 'values'],
          }),
          fc.nat(),
        )
        .map(([t, rid]) => {
          const x = t as { kind?: unknown; body?: unknown } | null;
          const kind = x !== null && typeof x === 'object' && x.kind === 'reply' ? 'reply' : 'request';
          return frameOf(kind, rid, x !== null && typeof x === 'object' ? x.body : x);
        });
      const bytes = bytesInput({
        corpus,
        dictionary: [
          ...dictionary('FDHT', 'from', 'msg', 'type', 'put', 'contacts', '__proto__'),
          Uint8Array.of(0xc4, 0x14), // bin 8, 20 bytes (an id)
          Uint8Array.of(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // uint 64, 2^64 - 1
          Uint8Array.of(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), // int 64, -2^63
          Uint8Array.of(0xd6, 0xff, 0, 0, 0, 0), // timestamp 32 (extension -1)
          Uint8Array.of(0xd4, 0x72, 0x40), // msgpackr record definition
          Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff), // map 32 claiming 2^32 - 1 entries
          Uint8Array.of(0xdd, 0x7f, 0xff, 0xff, 0xff), // array 32, huge
        ],
        maxRandom: 600,
      });
      return fc.oneof(bytes, structured);
    },
    run(bytes) {
      let frame: ReturnType<typeof decodeFrame> | undefined;
      const head = attempt(() => {
        frame = decodeFrame(bytes);
      }, FRAME_TYPED);
      if (frame === undefined) return head;
      const f = frame;
      if (f.kind === 'request') return `request: ${attempt(() => parseRequest(f.msg), FRAME_TYPED)}`;
      const outcomes = REQUEST_TYPES.map((t) => attempt(() => parseReply(t, f.msg), FRAME_TYPED));
      return `reply: ${outcomes.some((o) => o === 'accepted') ? 'accepted' : outcomes[0]}`;
    },
    show: (b) => hexOf(b),
  };
}

const OUTBOX_TYPED: readonly TypedClass[] = [[OutboxDecodeError, fieldProp]];

function outboxCorpus(rng: Rng): Uint8Array[] {
  const hex = (n: number): string => Buffer.from(rng.bytes(n)).toString('hex');
  const message = (version: 1 | 2): OutboxMessageInit => ({
    version,
    seq: version === 1 ? 0n : BigInt(rng.int(0, 1000)),
    timestamp: 1_700_000_000n + BigInt(rng.int(0, 1e6)),
    expiry: 1_700_604_800n,
    sender: rng.bool(0.7) ? hex(64) : 'añb€',
    recipient: hex(64),
    ciphertext: rng.bytes(rng.int(0, 60)),
  });
  return [
    encodeOutbox([]),
    encodeOutbox([message(2)]),
    encodeOutbox([message(1)]),
    encodeOutbox([message(2), message(1), message(2)]),
  ];
}

/**
 * Outbox values through decodeOutbox (strict and with trailing bytes allowed). An accepted strict
 * decode is re-encoded: a value that does not come back byte for byte is reported as a note
 * (the codec claims byte compatibility with upstream) but does not fail the run.
 */
export function dhtOutbox(): DecoderTarget<Uint8Array> {
  return {
    name: 'dht.outbox',
    drives: 'decodeOutbox (strict, and allowTrailingBytes), re-encode check — packages/dht codec.ts',
    cost: 1,
    arbitrary(rng) {
      return bytesInput({
        corpus: outboxCorpus(rng),
        dictionary: [
          Uint8Array.of(0x44, 0x4e, 0x41, 0x20),
          Uint8Array.of(0xef, 0xbb, 0xbf),
          Uint8Array.of(0xc0, 0x80),
          Uint8Array.of(0xed, 0xa0, 0x80),
          Uint8Array.of(0),
        ],
        maxRandom: 800,
      });
    },
    run(bytes) {
      attempt(() => decodeOutbox(bytes, { allowTrailingBytes: true }), OUTBOX_TYPED);
      let decoded: ReturnType<typeof decodeOutbox> | undefined;
      const head = attempt(() => {
        decoded = decodeOutbox(bytes);
      }, OUTBOX_TYPED);
      if (decoded === undefined) return head;
      const again = encodeOutbox(decoded);
      if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0)
        return 'note: accepted value re-encodes to other bytes';
      return `${head} (${decoded.length} messages)`;
    },
    show: (b) => hexOf(b),
  };
}
