import type { DatagramAddress, DatagramTransport } from '@fanout/core';
import type { DatagramService, SimNetwork } from '@fanout/sim';
import { toHex, type NodeId } from './ids.js';
import type { DhtReply, SendFn } from './messages.js';
import { DhtUnreachableError, type DhtEndpoint, type SwarmTransport } from './transport.js';
import { DhtFrameError, decodeFrame, encodeFrame, peekFrame, type FrameAddress } from './wire.js';

/**
 * DHT nodes on a datagram network: every node gets an address where it serves requests (a
 * {@link DatagramService}, so the sim kit applies its fault plan — per-node latency, loss,
 * partitions, crashes — at that node's edge) and a socket for its own outgoing requests. Each
 * request is one frame (see wire.ts) with a request id; the reply echoes it and is matched back
 * by rid and responder id. Addresses are learned the way Kademlia nodes learn them: from the
 * `addr` a requester announces, from the `contacts` a reply attaches to the node ids it lists,
 * and from bootstrap introductions. Nothing is shared between nodes but the network.
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
 * @throws the bind error.
 */
export type EndpointFactory = (target: string, service: DatagramService) => Promise<NodeEndpoint>;

/** Fault-plan target name of the swarm node with creation index `index`: "dht-<index>". */
export function dhtTarget(index: number): string {
  return `dht-${index}`;
}

/**
 * Endpoints on the sim kit's {@link SimNetwork}: node i serves at `host:(basePort + i-th call)`
 * (default 127.0.0.1:20000, 20001, …) and sends from a fresh `net.openDatagram()` socket.
 */
export function simEndpoints(
  net: SimNetwork,
  options: { readonly host?: string; readonly basePort?: number } = {},
): EndpointFactory {
  const host = options.host ?? '127.0.0.1';
  let port = options.basePort ?? 20000;
  return async (target, service) => {
    const address = { host, port: port++ };
    net.bindDatagram(address, target, service);
    const transport = net.openDatagram(host);
    return {
      address,
      transport,
      close: async () => {
        net.unbindDatagram(address);
        await transport.close();
      },
    };
  };
}

/** Options of {@link DatagramDhtNetwork}. */
export interface DatagramDhtNetworkOptions {
  /** How to bind a node (simEndpoints(net) or liveUdpEndpoints(...)). */
  readonly open: EndpointFactory;
  /** Fault-plan target name of a node (default {@link dhtTarget}(index)). */
  readonly target?: (index: number, id: NodeId) => string;
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
}

interface Pending {
  readonly to: string;
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
  readonly book: Map<string, DatagramAddress>;
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
  };
  readonly #open: EndpointFactory;
  readonly #targetName: (index: number, id: NodeId) => string;
  readonly #nodes = new Map<string, NodeState>();
  readonly #byTarget = new Map<string, NodeState>();
  readonly #closing: Promise<void>[] = [];

  constructor(options: DatagramDhtNetworkOptions) {
    this.#open = options.open;
    this.#targetName = options.target ?? ((index) => dhtTarget(index));
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
    return this.#nodes.get(toHex(id))?.endpoint?.address;
  }

  /** Fault-plan target name of node `id` ('' when never attached). */
  targetOf(id: NodeId): string {
    return this.#nodes.get(toHex(id))?.target ?? '';
  }

  /** Addresses node `id` knows (its address book size). */
  knownAddresses(id: NodeId): number {
    return this.#nodes.get(toHex(id))?.book.size ?? 0;
  }

  /**
   * The send function of node `id`: encode a request frame, send it to the address `id` knows
   * for `to`, resolve with the (unvalidated) reply message, reject with `signal.reason` on abort.
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
        const addr = st.book.get(toHexId);
        if (addr === undefined) {
          this.stats.noAddress++;
          return reject(new DhtUnreachableError(toHexId));
        }
        let rid = st.nextRid;
        while (st.pending.has(rid)) rid = (rid + 1) >>> 0;
        st.nextRid = (rid + 1) >>> 0;
        let bytes: Uint8Array;
        try {
          bytes = encodeFrame({ kind: 'request', rid, from: st.id, addr: endpoint.address, msg: message });
        } catch (e) {
          return reject(e);
        }
        const onAbort = (): void => {
          st.pending.delete(rid);
          reject(signal.reason);
        };
        st.pending.set(rid, {
          to: toHexId,
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
    const listed = new Set<string>();
    const nodes = (frame.msg as { nodes?: unknown } | null)?.nodes;
    if (Array.isArray(nodes)) for (const n of nodes) if (n instanceof Uint8Array) listed.add(toHex(n));
    for (const c of frame.contacts) {
      const hex = toHex(c.id);
      if (listed.has(hex) && hex !== st.hex) st.book.set(hex, { host: c.host, port: c.port });
    }
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
      handle: (bytes: Uint8Array): Uint8Array | null => {
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
        const fromHex = toHex(frame.from);
        if (fromHex !== st.hex) st.book.set(fromHex, frame.addr);
        const reply = node.handle(frame.from, frame.msg);
        const listed = reply.type === 'nodes' || reply.type === 'values' ? reply.nodes : [];
        const contacts: Array<{ id: NodeId } & FrameAddress> = [];
        for (const id of listed) {
          const a = st.book.get(toHex(id));
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

  /** Teach `node` the address of `peer` (bootstrap lists, direct swarm bootstrap). */
  introduce(node: NodeId, peer: NodeId): void {
    const addr = this.addressOf(peer);
    if (addr !== undefined && toHex(node) !== toHex(peer)) this.#state(node).book.set(toHex(peer), addr);
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
