import type { Clock, DatagramAddress, DatagramTransport } from '@fanout/core';
import type { DatagramService, SimNetwork } from '@fanout/sim';
import { sameAddress } from '@fanout/core';
import { DhtRpcTimeoutError } from './errors.js';
import { bytesEqual, toHex, type NodeId } from './ids.js';
import type { DhtReply, SendFn } from './messages.js';
import { DhtUnreachableError, type DhtEndpoint, type SwarmTransport } from './transport.js';
import { DhtFrameError, decodeFrame, encodeFrame, peekFrame, type FrameAddress } from './wire.js';

/**
 * DHT nodes on a datagram network: every node gets an address where it serves requests (a
 * {@link DatagramService}, so the sim kit applies its fault plan — per-node latency, loss,
 * partitions, crashes — at that node's edge) and a socket for its own outgoing requests. Each
 * request is one frame (see wire.ts) with a request id; the reply echoes it and is matched back
 * by rid and responder id. A node serves and sends on the same address, so the address a request
 * really came from is where its sender can be called back.
 *
 * Each node keeps an address book (node id → address), learned the way Kademlia nodes learn
 * addresses, with the rules OpenDHT's node cache follows (src/node_cache.cpp,
 * `NodeCache::NodeTree::get(id, addr, now, confirm)`: a known node's address changes only on a
 * confirmed exchange or once the node has gone quiet) and that this lab makes explicit:
 * - a request teaches the address it really came from (the datagram's source, never anything the
 *   frame claims); a reply's `contacts` teach the addresses of the node ids it lists; bootstrap
 *   introductions teach addresses too — but each only for a node id the book does not know yet.
 *   An entry that is known is never overwritten by a request or a contact list, so spoofed
 *   requests claiming known node ids (or forged contact lists) redirect nothing
 *   ({@link DatagramDhtStats.addressConflicts} counts them);
 * - an entry becomes verified when a request sent to that address was answered by that node id;
 * - an entry is evicted when its node stops answering: after {@link DatagramDhtNetworkOptions.maxMisses}
 *   (default 3) requests in a row that ended in a timeout ({@link DhtRpcTimeoutError}) for a
 *   verified entry, after 1 for an entry that never answered. Only then can the node id be learned
 *   at another address (a node that moved, or a real node whose id an attacker claimed first).
 * Nothing is shared between nodes but the network.
 *
 * The same class runs over the simulated network ({@link simEndpoints}: virtual time, seeded,
 * traced) and over real UDP sockets on 127.0.0.1 (`liveUdpEndpoints` in ./live/udp.ts).
 */

/** One node's network presence: the address it serves on and the socket it sends from. */
export interface NodeEndpoint {
  /** Where the node serves requests. */
  readonly address: DatagramAddress;
  /** Socket for the node's outgoing requests; replies arrive on it. */
  readonly transport: DatagramTransport;
  /** Unbind the service and close the socket. */
  close(): Promise<void>;
}

/**
 * Opens a node's endpoint: bind `service` as fault-plan target `target` and give it a socket.
 * Optionally also says which clock the node serving as `target` reads its time from
 * (`clockFor`: the sim kit's skewed clock of that target, so clockSkew / clockStrobe rules move
 * its value expiry); {@link simEndpoints} and `liveUdpEndpoints` provide it.
 * @throws the bind error.
 */
export type EndpointFactory = ((target: string, service: DatagramService) => Promise<NodeEndpoint>) & {
  readonly clockFor?: (target: string) => Clock;
};

/** Fault-plan target name of the swarm node with creation index `index`: "dht-<index>". */
export function dhtTarget(index: number): string {
  return `dht-${index}`;
}

/**
 * Endpoints on the sim kit's {@link SimNetwork}: each node gets a fresh `net.openDatagram(host)`
 * socket (host default 127.0.0.1, ports from the network's counter) and serves on that socket's
 * own address, as a real DHT node serves and sends on one UDP socket: the address a request
 * comes from is the address its sender answers on.
 */
export function simEndpoints(net: SimNetwork, options: { readonly host?: string } = {}): EndpointFactory {
  const host = options.host ?? '127.0.0.1';
  const open = async (target: string, service: DatagramService): Promise<NodeEndpoint> => {
    const transport = net.openDatagram(host);
    const address = transport.address;
    net.bindDatagram(address, target, service);
    return {
      address,
      transport,
      close: async () => {
        net.unbindDatagram(address);
        await transport.close();
      },
    };
  };
  // Each node reads its fault-plan target's clock (clockSkew / clockStrobe), and sends from the
  // address it serves on, so the network knows it as that target (linkPartition between nodes).
  return Object.assign(open, { clockFor: (target: string) => net.clockFor(target) });
}

/** Options of {@link DatagramDhtNetwork}. */
export interface DatagramDhtNetworkOptions {
  /** How to bind a node (simEndpoints(net) or liveUdpEndpoints(...)). */
  readonly open: EndpointFactory;
  /** Fault-plan target name of a node (default {@link dhtTarget}(index)). */
  readonly target?: (index: number, id: NodeId) => string;
  /**
   * Requests in a row that time out before a verified address is evicted from a node's address
   * book (integer ≥ 1, default 3). An address that never answered goes after one timeout.
   */
  readonly maxMisses?: number;
}

/** One address-book entry (see the file comment). */
export interface AddressBookEntry {
  readonly address: DatagramAddress;
  /** A request sent to `address` was answered by the node id this entry is for. */
  readonly verified: boolean;
  /** Requests to it in a row that timed out. */
  readonly misses: number;
}

/** Counters of a {@link DatagramDhtNetwork}. */
export interface DatagramDhtStats {
  /** Requests handed to the network. */
  sent: number;
  /** Replies matched to a pending request. */
  replies: number;
  /** Replies with no pending request (late, duplicated) or from the wrong node (spoofed): ignored. */
  unmatched: number;
  /** Datagrams that were not frames, or frames that did not decode. */
  badFrames: number;
  /** Requests to a node id with no known address (rejected with DhtUnreachableError). */
  noAddress: number;
  /** Requests served (handed to a node). */
  served: number;
  /**
   * Requests (by their real source) or reply contact lists that named a known node id at another
   * address: ignored, the known address kept.
   */
  addressConflicts: number;
  /** Address-book entries evicted because their node stopped answering. */
  evicted: number;
}

/** An option of {@link DatagramDhtNetwork} was invalid. `field` names it. */
export class DatagramOptionError extends Error {
  override readonly name = 'DatagramOptionError';
  constructor(
    readonly field: 'maxMisses',
    detail: string,
  ) {
    super(`DatagramDhtNetwork option ${field}: ${detail}`);
  }
}

interface Pending {
  readonly to: string;
  /** Where the request went (an answer verifies the entry only if it still holds this address). */
  readonly addr: DatagramAddress;
  readonly resolve: (reply: DhtReply) => void;
  readonly reject: (error: unknown) => void;
}

interface NodeState {
  readonly id: NodeId;
  readonly hex: string;
  index: number;
  target: string;
  endpoint: NodeEndpoint | undefined;
  online: boolean;
  readonly book: Map<string, { address: DatagramAddress; verified: boolean; misses: number }>;
  readonly pending: Map<number, Pending>;
  nextRid: number;
  unsubscribe: (() => void) | undefined;
}

/** A request was sent by a node that is not (or no longer) on the network. */
export class DhtOfflineError extends Error {
  override readonly name = 'DhtOfflineError';
  constructor(readonly node: string) {
    super(`node ${node.slice(0, 8)}… is not on the network`);
  }
}

/**
 * A {@link SwarmTransport} over datagrams (see the file comment). Requests time out through the
 * caller's signal (the node's RPC timeout): a lost request or reply simply never resolves.
 */
export class DatagramDhtNetwork implements SwarmTransport {
  readonly stats: DatagramDhtStats = {
    sent: 0,
    replies: 0,
    unmatched: 0,
    badFrames: 0,
    noAddress: 0,
    served: 0,
    addressConflicts: 0,
    evicted: 0,
  };
  readonly #open: EndpointFactory;
  readonly #targetName: (index: number, id: NodeId) => string;
  readonly #maxMisses: number;
  readonly #nodes = new Map<string, NodeState>();
  /** The state {@link introduce} used last (states are never removed from #nodes). */
  #introduced: NodeState | undefined;
  readonly #byTarget = new Map<string, NodeState>();
  readonly #closing: Promise<void>[] = [];

  /** @throws DatagramOptionError('maxMisses') when it is not an integer ≥ 1. */
  constructor(options: DatagramDhtNetworkOptions) {
    this.#open = options.open;
    this.#targetName = options.target ?? ((index) => dhtTarget(index));
    this.#maxMisses = options.maxMisses ?? 3;
    if (!Number.isInteger(this.#maxMisses) || this.#maxMisses < 1)
      throw new DatagramOptionError('maxMisses', `must be an integer >= 1, got ${options.maxMisses}`);
  }

  /**
   * Learn `address` for node `hex` in `st`'s book — only when the book has no entry for it (see
   * the file comment); a different address for a known id is counted and ignored.
   */
  #learnAddress(st: NodeState, hex: string, address: DatagramAddress): void {
    if (hex === st.hex) return;
    const known = st.book.get(hex);
    if (known === undefined) {
      st.book.set(hex, { address: { host: address.host, port: address.port }, verified: false, misses: 0 });
      return;
    }
    if (!sameAddress(known.address, address)) this.stats.addressConflicts++;
  }

  /** A request to `hex` at `addr` ended without an answer: count a timeout, evict when due. */
  #missed(st: NodeState, hex: string, addr: DatagramAddress, reason: unknown): void {
    if (!(reason instanceof DhtRpcTimeoutError)) return; // the caller gave up for its own reasons
    const e = st.book.get(hex);
    if (e === undefined || !sameAddress(e.address, addr)) return;
    e.misses++;
    if (e.misses >= (e.verified ? this.#maxMisses : 1)) {
      st.book.delete(hex);
      this.stats.evicted++;
    }
  }

  #state(id: NodeId): NodeState {
    const hex = toHex(id);
    let st = this.#nodes.get(hex);
    if (st === undefined) {
      st = {
        id: id.slice(),
        hex,
        index: -1,
        target: '',
        endpoint: undefined,
        online: false,
        book: new Map(),
        pending: new Map(),
        nextRid: 1,
        unsubscribe: undefined,
      };
      this.#nodes.set(hex, st);
    }
    return st;
  }

  /** Address node `id` serves on, if attached. */
  addressOf(id: NodeId): DatagramAddress | undefined {
    return this.#addressOfHex(toHex(id));
  }

  #addressOfHex(hex: string): DatagramAddress | undefined {
    return this.#nodes.get(hex)?.endpoint?.address;
  }

  /**
   * The clock node `index` reads its time from: the endpoint factory's `clockFor` of its
   * fault-plan target (see {@link EndpointFactory}), or undefined (the swarm's clock).
   */
  clockFor(index: number, id: NodeId): Clock | undefined {
    return this.#open.clockFor?.(this.#targetName(index, id));
  }

  /** Fault-plan target name of node `id` ('' when never attached). */
  targetOf(id: NodeId): string {
    return this.#nodes.get(toHex(id))?.target ?? '';
  }

  /** Addresses node `id` knows (its address book size). */
  knownAddresses(id: NodeId): number {
    return this.#nodes.get(toHex(id))?.book.size ?? 0;
  }

  /** Node `id`'s address-book entry for `peer` (a copy), if it has one. */
  addressBookEntry(id: NodeId, peer: NodeId): AddressBookEntry | undefined {
    const e = this.#nodes.get(toHex(id))?.book.get(toHex(peer));
    return e === undefined
      ? undefined
      : { address: { ...e.address }, verified: e.verified, misses: e.misses };
  }

  /**
   * The send function of node `id`: encode a request frame, send it to the address `id` knows
   * for `to`, resolve with the (unvalidated) reply message, reject with `signal.reason` on abort
   * (an abort whose reason is a {@link DhtRpcTimeoutError} counts as a timeout of that address).
   * Rejects at once with DhtUnreachableError when no address is known for `to`, with
   * DhtOfflineError when `id` is not on the network, with DhtFrameError when the reply's body
   * does not decode.
   */
  sender(id: NodeId): SendFn {
    const st = this.#state(id);
    return (to, message, signal) =>
      new Promise<DhtReply>((resolve, reject) => {
        this.stats.sent++;
        if (signal.aborted) return reject(signal.reason);
        const endpoint = st.endpoint;
        if (!st.online || endpoint === undefined) return reject(new DhtOfflineError(st.hex));
        const toHexId = toHex(to);
        const addr = st.book.get(toHexId)?.address;
        if (addr === undefined) {
          this.stats.noAddress++;
          return reject(new DhtUnreachableError(toHexId));
        }
        let rid = st.nextRid;
        while (st.pending.has(rid)) rid = (rid + 1) >>> 0;
        st.nextRid = (rid + 1) >>> 0;
        let bytes: Uint8Array;
        try {
          bytes = encodeFrame({ kind: 'request', rid, from: st.id, msg: message });
        } catch (e) {
          return reject(e);
        }
        const onAbort = (): void => {
          st.pending.delete(rid);
          this.#missed(st, toHexId, addr, signal.reason);
          reject(signal.reason);
        };
        st.pending.set(rid, {
          to: toHexId,
          addr,
          resolve: (reply) => {
            signal.removeEventListener('abort', onAbort);
            resolve(reply);
          },
          reject: (error) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        });
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          endpoint.transport.send(addr, bytes);
        } catch (e) {
          st.pending.delete(rid);
          signal.removeEventListener('abort', onAbort);
          reject(e);
        }
      });
  }

  #onReply(st: NodeState, bytes: Uint8Array): void {
    const head = peekFrame(bytes);
    if (head === undefined || head.kind !== 'reply') {
      this.stats.badFrames++;
      return;
    }
    const p = st.pending.get(head.rid);
    if (p === undefined) {
      this.stats.unmatched++;
      return;
    }
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      this.stats.badFrames++;
      st.pending.delete(head.rid);
      p.reject(e);
      return;
    }
    if (frame.kind !== 'reply' || toHex(frame.from) !== p.to) {
      this.stats.unmatched++; // a reply claiming another sender: not ours, keep waiting
      return;
    }
    st.pending.delete(head.rid);
    const entry = st.book.get(p.to);
    if (entry !== undefined && sameAddress(entry.address, p.addr)) {
      entry.verified = true;
      entry.misses = 0;
    }
    const nodes = (frame.msg as { nodes?: unknown } | null)?.nodes;
    if (Array.isArray(nodes))
      for (const c of frame.contacts)
        if (nodes.some((n) => n instanceof Uint8Array && bytesEqual(n, c.id)))
          this.#learnAddress(st, toHex(c.id), c);
    this.stats.replies++;
    p.resolve(frame.msg as DhtReply);
  }

  #service(st: NodeState, node: DhtEndpoint): DatagramService {
    const errorReply = (rid: number, e: DhtFrameError): Uint8Array =>
      encodeFrame({
        kind: 'reply',
        rid,
        from: st.id,
        msg: { type: 'error', code: 'bad-request', message: e.message, reason: e.field },
        contacts: [],
      });
    return {
      handle: (bytes: Uint8Array, from: DatagramAddress): Uint8Array | null => {
        const head = peekFrame(bytes);
        if (head === undefined || head.kind !== 'request') {
          this.stats.badFrames++;
          return null;
        }
        let frame;
        try {
          frame = decodeFrame(bytes);
        } catch (e) {
          this.stats.badFrames++;
          return e instanceof DhtFrameError ? errorReply(head.rid, e) : null;
        }
        if (frame.kind !== 'request') return null;
        this.stats.served++;
        this.#learnAddress(st, toHex(frame.from), from); // the real source, never a claimed address
        const reply = node.handle(frame.from, frame.msg);
        const listed = reply.type === 'nodes' || reply.type === 'values' ? reply.nodes : [];
        const contacts: Array<{ id: NodeId } & FrameAddress> = [];
        for (const id of listed) {
          const a = st.book.get(toHex(id))?.address;
          if (a !== undefined) contacts.push({ id, host: a.host, port: a.port });
        }
        try {
          return encodeFrame({ kind: 'reply', rid: frame.rid, from: st.id, msg: reply, contacts });
        } catch (e) {
          return e instanceof DhtFrameError ? errorReply(frame.rid, e) : null;
        }
      },
      onCrashLoseState: () => {
        (node as { storage?: { clear(): number } }).storage?.clear();
      },
      // wrongSender fault: the reply claims to come from the node serving as target `as`.
      spoofSender: (reply: Uint8Array, as: string): Uint8Array => {
        const other = this.#byTarget.get(as);
        if (other === undefined) return reply;
        try {
          const f = decodeFrame(reply);
          if (f.kind !== 'reply') return reply;
          return encodeFrame({ ...f, from: other.id, msg: f.msg as DhtReply });
        } catch {
          return reply;
        }
      },
    };
  }

  /**
   * Bind node `node` (its service and its socket).
   * @throws the endpoint factory's bind error.
   */
  async attach(node: DhtEndpoint, index: number): Promise<void> {
    const st = this.#state(node.id);
    st.index = index;
    st.target = this.#targetName(index, node.id);
    this.#byTarget.set(st.target, st);
    const endpoint = await this.#open(st.target, this.#service(st, node));
    st.endpoint = endpoint;
    st.online = true;
    st.unsubscribe = endpoint.transport.onMessage((bytes) => this.#onReply(st, bytes));
  }

  /**
   * `false`: the node leaves the network — its address is unbound (requests to it are lost, so
   * callers time out) and its socket closed. `true` is only honoured for a node still bound.
   */
  setOnline(id: NodeId, online: boolean): void {
    const st = this.#nodes.get(toHex(id));
    if (st === undefined) return;
    if (online) {
      st.online = st.endpoint !== undefined;
      return;
    }
    st.online = false;
    st.unsubscribe?.();
    st.unsubscribe = undefined;
    const ep = st.endpoint;
    st.endpoint = undefined;
    if (ep !== undefined) this.#closing.push(ep.close());
  }

  /**
   * Teach `node` the address of `peer` (bootstrap lists, direct swarm bootstrap) — unless it
   * already knows one (same rule as every other source: see the file comment).
   */
  introduce(node: NodeId, peer: NodeId): void {
    const hex = toHex(peer);
    const addr = this.#addressOfHex(hex);
    if (addr === undefined) return;
    // A bootstrap introduces one node to many peers in a row: its state is looked up once.
    if (this.#introduced === undefined || !bytesEqual(this.#introduced.id, node))
      this.#introduced = this.#state(node);
    this.#learnAddress(this.#introduced, hex, addr);
  }

  /** Unbind every node and close every socket. */
  async close(): Promise<void> {
    for (const st of this.#nodes.values()) {
      st.online = false;
      st.unsubscribe?.();
      st.unsubscribe = undefined;
      if (st.endpoint !== undefined) this.#closing.push(st.endpoint.close());
      st.endpoint = undefined;
    }
    await Promise.all(this.#closing.splice(0));
  }
}
