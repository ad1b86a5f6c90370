/**
 * Errors of @fanout/sim-dht. Each has a stable `name`; the ones a node sends back over the wire
 * map to a {@link DhtErrorCode} in an `error` reply, so a remote refusal and a local one look
 * the same to callers.
 */

/** Codes carried by an `error` reply. */
export type DhtErrorCode =
  | 'bad-request' // malformed message (field named in the message)
  | 'value-too-large' // data over the 64 KiB OpenDHT MAX_VALUE_SIZE
  | 'storage-full' // the node's storage cap would be exceeded
  | 'edit-refused' // same value id, but lower seq / other owner / bad signature / conflict
  | 'unavailable'; // the node was stopped (left the swarm)

/** A message field was malformed. `field` names it (e.g. 'key', 'value.id', 'nodes[3]'). */
export class DhtBadRequestError extends Error {
  override readonly name = 'DhtBadRequestError';
  readonly code = 'bad-request' as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`bad DHT message field '${field}': ${message}`);
  }
}

/**
 * A value's data is larger than the limit (default 64 KiB = 65,536 bytes: OpenDHT
 * `MAX_VALUE_SIZE {1024 * 64}`, include/opendht/value.h). Exactly `max` bytes is accepted.
 */
export class DhtValueTooLargeError extends Error {
  override readonly name = 'DhtValueTooLargeError';
  readonly code = 'value-too-large' as const;
  readonly field = 'value.data';
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`DHT value data is ${size} bytes, over the ${max}-byte limit`);
  }
}

/** Storing the value would take the node over its storage cap (default 64 MiB, OpenDHT's default max_store_size). */
export class DhtStorageFullError extends Error {
  override readonly name = 'DhtStorageFullError';
  readonly code = 'storage-full' as const;
  constructor(
    readonly usedBytes: number,
    readonly valueBytes: number,
    readonly maxBytes: number,
  ) {
    super(`DHT node storage full: ${usedBytes} + ${valueBytes} bytes > ${maxBytes}`);
  }
}

/** Why a put for an existing value id was refused (OpenDHT edit policy semantics). */
export type EditRefusal =
  | 'lower-seq' // incoming seq < stored seq
  | 'conflict' // same seq, different content
  | 'owner-mismatch' // stored value has another owner (or one side is unsigned)
  | 'bad-signature'; // the node's verifyValue hook rejected the value

/** A put was refused by the edit policy. */
export class DhtEditRefusedError extends Error {
  override readonly name = 'DhtEditRefusedError';
  readonly code = 'edit-refused' as const;
  constructor(
    readonly reason: EditRefusal,
    detail?: string,
  ) {
    super(`DHT put refused (${reason})${detail === undefined ? '' : `: ${detail}`}`);
  }
}

/** The node was stopped (left the swarm) and can no longer serve or issue requests. */
export class DhtNodeStoppedError extends Error {
  override readonly name = 'DhtNodeStoppedError';
  readonly code = 'unavailable' as const;
  constructor(readonly nodeId: string) {
    super(`DHT node ${nodeId.slice(0, 8)}… is stopped`);
  }
}

/** An RPC got no reply within the node's `rpcTimeoutMs`. */
export class DhtRpcTimeoutError extends Error {
  override readonly name = 'DhtRpcTimeoutError';
  constructor(
    readonly to: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply from ${to.slice(0, 8)}… within ${timeoutMs} ms`);
  }
}

/**
 * A remote node replied with an `error` reply (`code`, and `reason`: the {@link EditRefusal}
 * for 'edit-refused', the field for 'bad-request'), or with a reply of the wrong shape ('bad-reply').
 */
export class DhtRemoteError extends Error {
  override readonly name = 'DhtRemoteError';
  constructor(
    readonly code: DhtErrorCode | 'bad-reply',
    readonly from: string,
    message: string,
    readonly reason?: string,
  ) {
    super(`${from.slice(0, 8)}… replied ${code}: ${message}`);
  }
}

/** A swarm option was invalid. `option` names it. */
export class SwarmOptionError extends Error {
  override readonly name = 'SwarmOptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`swarm option '${option}': ${message}`);
  }
}
