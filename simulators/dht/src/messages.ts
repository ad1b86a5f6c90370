import { DhtBadRequestError, type DhtErrorCode } from './errors.js';
import { isNodeId, type NodeId } from './ids.js';

/**
 * A value stored under a key, with OpenDHT semantics (include/opendht/value.h): several values
 * per key, told apart by `id`; a put with the same `id` and a higher `seq` replaces the stored
 * one. `owner` + `signature` make it a signed value (OpenDHT `putSigned`): the owner may not
 * change, and a node's `verifyValue` hook may check the signature.
 */
export interface DhtValue {
  /** Value id, uint64 (OpenDHT `Value::Id`). 0 is allowed here (OpenDHT reserves it as INVALID_ID and assigns a random id). */
  readonly id: bigint;
  /** Sequence number, a non-negative safe integer. (OpenDHT uses a uint16 that wraps; wrapping is not modelled.) */
  readonly seq: number;
  /** Payload bytes. At most 64 KiB on a default node. */
  readonly data: Uint8Array;
  /** Owner public key (any length; ed25519 keys are 32 bytes). Absent for unsigned values. */
  readonly owner?: Uint8Array;
  /** Signature over the value by `owner`. Absent for unsigned values. */
  readonly signature?: Uint8Array;
}

/** Requests a node understands (the RPC vocabulary). All ids and keys are 20 bytes. */
export type DhtRequest =
  | { readonly type: 'ping' }
  | { readonly type: 'findNode'; readonly target: NodeId }
  | { readonly type: 'get'; readonly key: NodeId }
  | { readonly type: 'put'; readonly key: NodeId; readonly value: DhtValue; readonly ttlMs?: number }
  /** Subscribe: the node pushes `update` requests to the sender when values under `key` are stored or expire. */
  | { readonly type: 'listen'; readonly key: NodeId; readonly token: number }
  | { readonly type: 'cancelListen'; readonly key: NodeId; readonly token: number }
  /** Push from a storing node to a listener: new/replaced values, or values that expired. */
  | {
      readonly type: 'update';
      readonly key: NodeId;
      readonly token: number;
      readonly values: readonly DhtValue[];
      readonly expired: boolean;
    };

/** Replies. `values` answers get and listen (values stored here + the closest nodes known). */
export type DhtReply =
  | { readonly type: 'pong' }
  | { readonly type: 'nodes'; readonly nodes: readonly NodeId[] }
  | { readonly type: 'values'; readonly values: readonly DhtValue[]; readonly nodes: readonly NodeId[] }
  | { readonly type: 'stored' }
  | { readonly type: 'ok' }
  /** `reason` refines the code: an `EditRefusal` for 'edit-refused', the field name for 'bad-request'. */
  | {
      readonly type: 'error';
      readonly code: DhtErrorCode;
      readonly message: string;
      readonly reason?: string;
    };

/** Reply of a known shape for a request type. */
export type ReplyFor<Q extends DhtRequest['type']> = Q extends 'ping'
  ? Extract<DhtReply, { type: 'pong' }>
  : Q extends 'findNode'
    ? Extract<DhtReply, { type: 'nodes' }>
    : Q extends 'get' | 'listen'
      ? Extract<DhtReply, { type: 'values' }>
      : Q extends 'put'
        ? Extract<DhtReply, { type: 'stored' }>
        : Extract<DhtReply, { type: 'ok' }>;

/**
 * How a node sends a request and waits for the reply. The transport (in-process, simulated
 * network, real UDP) implements it. It should reject with `signal.reason` once `signal` aborts;
 * the node also stops waiting on its own when the signal aborts.
 */
export type SendFn = (to: NodeId, message: DhtRequest, signal: AbortSignal) => Promise<DhtReply>;

/** Most node ids a reply may carry (2 × k for k = 8, with headroom). Longer lists are malformed. */
export const MAX_NODES_PER_REPLY = 64;
/** Most values a reply may carry. */
export const MAX_VALUES_PER_REPLY = 4096;

const U64_MAX = (1n << 64n) - 1n;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function needId(x: unknown, field: string): NodeId {
  if (!isNodeId(x)) throw new DhtBadRequestError(field, 'must be a 20-byte Uint8Array');
  return x;
}

/**
 * Check that `x` is a well-formed {@link DhtValue} (no size limit applied here).
 * @throws DhtBadRequestError naming the field (`${field}.id`, `.seq`, `.data`, `.owner`, `.signature`).
 */
export function parseValue(x: unknown, field = 'value'): DhtValue {
  if (!isRecord(x)) throw new DhtBadRequestError(field, 'must be an object');
  const { id, seq, data, owner, signature } = x;
  if (typeof id !== 'bigint' || id < 0n || id > U64_MAX)
    throw new DhtBadRequestError(`${field}.id`, 'must be a uint64 bigint');
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
    throw new DhtBadRequestError(`${field}.seq`, 'must be a non-negative safe integer');
  if (!(data instanceof Uint8Array)) throw new DhtBadRequestError(`${field}.data`, 'must be a Uint8Array');
  if (owner !== undefined && !(owner instanceof Uint8Array))
    throw new DhtBadRequestError(`${field}.owner`, 'must be a Uint8Array when present');
  if (signature !== undefined && !(signature instanceof Uint8Array))
    throw new DhtBadRequestError(`${field}.signature`, 'must be a Uint8Array when present');
  if ((owner === undefined) !== (signature === undefined))
    throw new DhtBadRequestError(
      owner === undefined ? `${field}.owner` : `${field}.signature`,
      'owner and signature come together',
    );
  const v: DhtValue =
    owner === undefined ? { id, seq, data } : { id, seq, data, owner, signature: signature as Uint8Array };
  return v;
}

function needToken(x: unknown): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0)
    throw new DhtBadRequestError('token', 'must be a non-negative safe integer');
  return x;
}

/**
 * Validate an incoming request of unknown shape (it may come from a faulty or hostile peer).
 * @throws DhtBadRequestError naming the first bad field ('type', 'key', 'target', 'value.*', 'ttlMs', 'token', 'values[i].*').
 */
export function parseRequest(x: unknown): DhtRequest {
  if (!isRecord(x)) throw new DhtBadRequestError('message', 'must be an object');
  switch (x.type) {
    case 'ping':
      return { type: 'ping' };
    case 'findNode':
      return { type: 'findNode', target: needId(x.target, 'target') };
    case 'get':
      return { type: 'get', key: needId(x.key, 'key') };
    case 'put': {
      const key = needId(x.key, 'key');
      const value = parseValue(x.value);
      if (
        x.ttlMs !== undefined &&
        (typeof x.ttlMs !== 'number' || !Number.isFinite(x.ttlMs) || x.ttlMs <= 0)
      ) {
        throw new DhtBadRequestError('ttlMs', 'must be a finite number > 0 when present');
      }
      return x.ttlMs === undefined
        ? { type: 'put', key, value }
        : { type: 'put', key, value, ttlMs: x.ttlMs as number };
    }
    case 'listen':
    case 'cancelListen':
      return { type: x.type, key: needId(x.key, 'key'), token: needToken(x.token) };
    case 'update': {
      const key = needId(x.key, 'key');
      const token = needToken(x.token);
      if (!Array.isArray(x.values) || x.values.length > MAX_VALUES_PER_REPLY)
        throw new DhtBadRequestError('values', 'must be an array');
      const values = x.values.map((v, i) => parseValue(v, `values[${i}]`));
      if (typeof x.expired !== 'boolean') throw new DhtBadRequestError('expired', 'must be a boolean');
      return { type: 'update', key, token, values, expired: x.expired };
    }
    default:
      throw new DhtBadRequestError('type', `unknown message type ${describe(x.type)}`);
  }
}

/**
 * A value of unknown shape for an error message: a string quoted (first 40 characters), else its
 * kind. Never throws (String() of an object with a non-callable toString would).
 */
function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${typeof v === 'symbol' ? '' : String(v)}`.trim();
}

/**
 * Validate a reply of unknown shape against the request type it answers. `error` replies are
 * returned as they are (the caller maps them).
 * @throws DhtBadRequestError naming the bad field ('type', 'nodes', 'nodes[i]', 'values[i].*', 'code').
 */
export function parseReply(request: DhtRequest['type'], x: unknown): DhtReply {
  if (!isRecord(x)) throw new DhtBadRequestError('reply', 'must be an object');
  if (x.type === 'error') {
    if (typeof x.code !== 'string') throw new DhtBadRequestError('code', 'must be a string');
    const message = typeof x.message === 'string' ? x.message : '';
    return typeof x.reason === 'string'
      ? { type: 'error', code: x.code as DhtErrorCode, message, reason: x.reason }
      : { type: 'error', code: x.code as DhtErrorCode, message };
  }
  const nodes = (): NodeId[] => {
    if (!Array.isArray(x.nodes) || x.nodes.length > MAX_NODES_PER_REPLY)
      throw new DhtBadRequestError('nodes', `must be an array of at most ${MAX_NODES_PER_REPLY} ids`);
    return x.nodes.map((n, i) => needId(n, `nodes[${i}]`));
  };
  const expect = (t: string): void => {
    if (x.type !== t)
      throw new DhtBadRequestError(
        'type',
        `expected '${t}' in reply to '${request}', got ${describe(x.type)}`,
      );
  };
  switch (request) {
    case 'ping':
      expect('pong');
      return { type: 'pong' };
    case 'findNode':
      expect('nodes');
      return { type: 'nodes', nodes: nodes() };
    case 'get':
    case 'listen': {
      expect('values');
      if (!Array.isArray(x.values) || x.values.length > MAX_VALUES_PER_REPLY)
        throw new DhtBadRequestError('values', 'must be an array');
      const values = x.values.map((v, i) => parseValue(v, `values[${i}]`));
      return { type: 'values', values, nodes: nodes() };
    }
    case 'put':
      expect('stored');
      return { type: 'stored' };
    case 'cancelListen':
    case 'update':
      expect('ok');
      return { type: 'ok' };
  }
}

/** Bytes a value occupies in a node's storage: data + owner + signature + 16 bytes of id/seq. */
export function valueStorageBytes(v: DhtValue): number {
  return v.data.length + (v.owner?.length ?? 0) + (v.signature?.length ?? 0) + 16;
}

/** Deep copy of a value (fresh byte arrays). */
export function copyValue(v: DhtValue): DhtValue {
  return v.owner === undefined
    ? { id: v.id, seq: v.seq, data: v.data.slice() }
    : { id: v.id, seq: v.seq, data: v.data.slice(), owner: v.owner.slice(), signature: v.signature!.slice() };
}
