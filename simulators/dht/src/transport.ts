import type { Clock } from '@fanout/core';
import { toHex, type NodeId } from './ids.js';
import type { DhtReply, DhtRequest, SendFn } from './messages.js';

/** Anything that can answer DHT requests (a {@link DhtNode}, or a stub in tests). */
export interface DhtEndpoint {
  readonly id: NodeId;
  handle(from: unknown, message: unknown): DhtReply;
}

/**
 * What a {@link Swarm} needs from a network: a send function per node, a way to make a node
 * reachable, and a way to take it off the network. {@link InProcessNetwork} (direct calls),
 * {@link DatagramDhtNetwork} over the sim kit's SimNetwork (virtual time, fault plans) and the
 * same over real UDP sockets on 127.0.0.1 all implement it.
 */
export interface SwarmTransport {
  /** Traffic counters; `sent` counts requests handed to the network. */
  readonly stats: { readonly sent: number };
  /** The {@link SendFn} node `id` sends with (called before the node exists). */
  sender(id: NodeId): SendFn;
  /** Make a node reachable (bind its address). `index` is its creation index in the swarm. */
  attach(endpoint: DhtEndpoint, index: number): void | Promise<void>;
  /** Take a node off the network (`false`) or bring it back (`true`, where supported). */
  setOnline(id: NodeId, online: boolean): void;
  /**
   * The clock node `index` (id `id`) reads its time from, when the network gives each node its
   * own: the sim kit's skewed clock of its fault-plan target, so the plan's clockSkew /
   * clockStrobe rules move what that node reads as now (value expiry). Optional; undefined or
   * absent: the swarm's clock.
   */
  clockFor?(index: number, id: NodeId): Clock | undefined;
  /** Let `node` know how to reach `peer` without any traffic (direct bootstrap). Optional. */
  introduce?(node: NodeId, peer: NodeId): void;
  /** Release sockets and timers. Optional. */
  close?(): Promise<void>;
}

/** Thrown (with `unreachable: 'reject'`) for a request to a node that is unknown or offline. */
export class DhtUnreachableError extends Error {
  override readonly name = 'DhtUnreachableError';
  constructor(readonly to: string) {
    super(`node ${to.slice(0, 8)}… is unreachable`);
  }
}

/** Options for {@link InProcessNetwork}. */
export interface InProcessNetworkOptions {
  /** Clock used for latency sleeps. */
  clock: Clock;
  /**
   * One-way latency in ms for a message from → to (applied to the request and, reversed, to
   * the reply). Default: 0 (still asynchronous: one clock timer per hop).
   */
  latencyMs?: (from: NodeId, to: NodeId) => number;
  /**
   * A request to a node that is unknown or offline: 'drop' (default) is never answered, so the
   * caller's signal (its RPC timeout) ends it, like UDP; 'reject' rejects at once with
   * {@link DhtUnreachableError}.
   */
  unreachable?: 'drop' | 'reject';
  /** Deep-copy (structuredClone) every message and reply so nodes never share buffers. Default true. */
  clone?: boolean;
}

/** Traffic counters of an {@link InProcessNetwork}. */
export interface InProcessNetworkStats {
  /** Requests handed to the network. */
  sent: number;
  /** Requests that reached a live node. */
  delivered: number;
  /** Requests to unknown/offline nodes. */
  dropped: number;
}

/**
 * In-process transport for tests: direct `handle` calls, with an optional per-link latency
 * slept on the injected Clock (so a VirtualClock makes it deterministic and instant). Nodes
 * are addressed by id; a node can be taken offline (it stops answering) and back.
 * The lead's simulated network (loss, partitions) and real UDP implement the same {@link SendFn}.
 */
export class InProcessNetwork implements SwarmTransport {
  readonly stats: InProcessNetworkStats = { sent: 0, delivered: 0, dropped: 0 };
  readonly #clock: Clock;
  readonly #latency: (from: NodeId, to: NodeId) => number;
  readonly #unreachable: 'drop' | 'reject';
  readonly #clone: boolean;
  readonly #nodes = new Map<string, { endpoint: DhtEndpoint; online: boolean }>();

  constructor(options: InProcessNetworkOptions) {
    this.#clock = options.clock;
    this.#latency = options.latencyMs ?? (() => 0);
    this.#unreachable = options.unreachable ?? 'drop';
    this.#clone = options.clone ?? true;
  }

  /** Register an endpoint (online). Replaces an earlier one with the same id. */
  attach(endpoint: DhtEndpoint, _index?: number): void {
    this.#nodes.set(toHex(endpoint.id), { endpoint, online: true });
  }

  /** Forget an endpoint entirely. */
  detach(id: NodeId): void {
    this.#nodes.delete(toHex(id));
  }

  /** Take a node offline (requests to it are dropped/rejected) or bring it back. Unknown ids are ignored. */
  setOnline(id: NodeId, online: boolean): void {
    const n = this.#nodes.get(toHex(id));
    if (n !== undefined) n.online = online;
  }

  /** True when the id is attached and online. */
  isOnline(id: NodeId): boolean {
    return this.#nodes.get(toHex(id))?.online === true;
  }

  /**
   * The {@link SendFn} for node `from`: sleeps the request latency, calls the target's
   * `handle`, sleeps the reply latency, returns the reply. Rejects with `signal.reason` when
   * `signal` aborts first; a request to an unknown/offline node (or from an offline one) waits
   * for the signal ('drop') or rejects with {@link DhtUnreachableError} ('reject').
   */
  sender(from: NodeId): SendFn {
    const fromId = from.slice();
    const fromHex = toHex(fromId);
    return async (to: NodeId, message: DhtRequest, signal: AbortSignal): Promise<DhtReply> => {
      this.stats.sent++;
      const msg = this.#clone ? structuredClone(message) : message;
      await this.#clock.sleep(this.#latency(fromId, to), signal);
      const target = this.#nodes.get(toHex(to));
      if (target === undefined || !target.online || this.#nodes.get(fromHex)?.online === false) {
        this.stats.dropped++;
        if (this.#unreachable === 'reject') throw new DhtUnreachableError(toHex(to));
        return new Promise<DhtReply>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
      this.stats.delivered++;
      const reply = target.endpoint.handle(fromId.slice(), msg);
      await this.#clock.sleep(this.#latency(to, fromId), signal);
      return this.#clone ? structuredClone(reply) : reply;
    };
  }
}

/**
 * Deterministic symmetric link latency from the two ids: `baseMs` plus a spread in
 * [0, spreadMs] taken from bytes 10–11 of `from XOR to` (so latency is unrelated to the
 * Kademlia distance, which lives in the leading bits). Integer ms.
 */
export function pairLatency(baseMs = 10, spreadMs = 90): (from: NodeId, to: NodeId) => number {
  return (from, to) => {
    const x = ((from[10]! ^ to[10]!) << 8) | (from[11]! ^ to[11]!);
    return baseMs + (x % (spreadMs + 1));
  };
}
