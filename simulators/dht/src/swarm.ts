import type { Clock, RandomBytes } from '@fanout/core';
import { createRng, rngBytesFn, validateSeed } from '@fanout/sim';
import { SwarmOptionError } from './errors.js';
import { compareDistance, ID_BYTES, toHex, type NodeId } from './ids.js';
import { DhtNode, type DhtNodeOptions, type NodeFault } from './node.js';
import { rngInt } from './rng.js';
import {
  InProcessNetwork,
  pairLatency,
  type InProcessNetworkOptions,
  type SwarmTransport,
} from './transport.js';

/** Node options a swarm passes to every node (id, clock and send are the swarm's). */
export type SwarmNodeOptions = Omit<DhtNodeOptions, 'id' | 'clock' | 'send'>;

/** Options for {@link Swarm.create}. */
export interface SwarmOptions {
  /** Number of nodes, integer 1..2000 (the lab uses 20–500). */
  size: number;
  /** Clock for every node and link (a VirtualClock for deterministic runs). */
  clock: Clock;
  /**
   * Seed for node ids and churn choices (default 0), ignored when `rng` is given: a uint32 draws
   * from `createRng(seed).fork('swarm')` (the stream scenario worlds use), a string from
   * `createRng(0).fork('swarm:' + seed)`.
   */
  seed?: string | number;
  /** Random bytes for node ids and churn choices, e.g. `rngBytesFn(createRng(seed).fork('swarm'))`. */
  rng?: RandomBytes;
  /**
   * The network (default: a new {@link InProcessNetwork} with `latencyMs` and `unreachable`).
   * Pass a DatagramDhtNetwork over a SimNetwork (fault plans, virtual time) or over live UDP.
   * It must use the same clock as the swarm.
   */
  transport?: SwarmTransport;
  /** One-way link latency of the default in-process network (default {@link pairLatency}(10, 90): 10–100 ms). */
  latencyMs?: (from: NodeId, to: NodeId) => number;
  /** Unreachable-node behaviour of the default in-process network (default 'drop': callers time out). */
  unreachable?: InProcessNetworkOptions['unreachable'];
  /** Options for every node (k, alpha, rpcTimeoutMs, verifyValue, caps, onTrace …). */
  node?: SwarmNodeOptions;
  /**
   * 'lookup' (default): node 0 starts alone; every later node, in index order, bootstraps from
   * node 0 with a self-lookup (real joins over the network, in virtual time).
   * 'direct': routing tables are filled without traffic (every node offered every other node
   * in index order; k-bucket keeps what fits). Faster for large swarms.
   */
  bootstrap?: 'lookup' | 'direct';
  /** After bootstrap, each node (index order) looks up this many random ids to fill its far buckets. Default 0. */
  refreshLookups?: number;
}

function swarmRng(seed: string | number): RandomBytes {
  if (typeof seed === 'string') return rngBytesFn(createRng(0).fork(`swarm:${seed}`));
  try {
    return rngBytesFn(createRng(validateSeed(seed)).fork('swarm'));
  } catch {
    throw new SwarmOptionError('seed', `a numeric seed must be an integer in 0..4294967295, got ${seed}`);
  }
}

/**
 * A swarm of {@link DhtNode}s on a {@link SwarmTransport} (by default an {@link InProcessNetwork}),
 * built deterministically from a seed: node ids come from the rng in index order, bootstrap runs
 * sequentially in index order, so the same seed and options give the same routing tables and
 * the same lookup paths.
 */
export class Swarm {
  readonly clock: Clock;
  readonly network: SwarmTransport;
  readonly rng: RandomBytes;
  readonly #nodes: DhtNode[] = [];
  readonly #nodeOptions: SwarmNodeOptions;
  readonly #ids = new Set<string>();

  private constructor(
    clock: Clock,
    network: SwarmTransport,
    rng: RandomBytes,
    nodeOptions: SwarmNodeOptions,
  ) {
    this.clock = clock;
    this.network = network;
    this.rng = rng;
    this.#nodeOptions = nodeOptions;
  }

  /**
   * Build and bootstrap a swarm. Under a VirtualClock with autoAdvance (default) just await
   * it; with autoAdvance false, drive it with `clock.run(Swarm.create(...))`.
   * @throws SwarmOptionError for a size outside 1..2000, a negative refreshLookups, or a numeric
   *   seed that is not a uint32.
   */
  static async create(options: SwarmOptions): Promise<Swarm> {
    if (!Number.isInteger(options.size) || options.size < 1 || options.size > 2000) {
      throw new SwarmOptionError('size', `must be an integer in 1..2000, got ${options.size}`);
    }
    const refresh = options.refreshLookups ?? 0;
    if (!Number.isInteger(refresh) || refresh < 0)
      throw new SwarmOptionError('refreshLookups', 'must be an integer >= 0');
    const rng = options.rng ?? swarmRng(options.seed ?? 0);
    const network: SwarmTransport =
      options.transport ??
      new InProcessNetwork({
        clock: options.clock,
        latencyMs: options.latencyMs ?? pairLatency(),
        ...(options.unreachable !== undefined && { unreachable: options.unreachable }),
      });
    const swarm = new Swarm(options.clock, network, rng, options.node ?? {});
    for (let i = 0; i < options.size; i++) await swarm.#spawn();
    const nodes = swarm.#nodes;
    if ((options.bootstrap ?? 'lookup') === 'direct') {
      for (const a of nodes) for (const b of nodes) if (a !== b) a.addContact(b.id);
      for (const a of nodes) for (const c of a.contacts()) network.introduce?.(a.id, c);
    } else {
      for (let i = 1; i < nodes.length; i++) {
        network.introduce?.(nodes[i]!.id, nodes[0]!.id);
        await nodes[i]!.bootstrap([nodes[0]!.id]);
      }
    }
    for (let r = 0; r < refresh; r++) for (const n of nodes) await n.findNode(rng(ID_BYTES));
    return swarm;
  }

  async #spawn(): Promise<DhtNode> {
    let id = this.rng(ID_BYTES);
    while (this.#ids.has(toHex(id))) id = this.rng(ID_BYTES);
    this.#ids.add(toHex(id));
    const index = this.#nodes.length;
    // A node reads its time from its own (possibly skewed) clock when the network gives one.
    const clock = this.network.clockFor?.(index, id) ?? this.clock;
    const node = new DhtNode({ ...this.#nodeOptions, id, clock, send: this.network.sender(id) });
    this.#nodes.push(node);
    await this.network.attach(node, index);
    return node;
  }

  /** Creation index of `node` (its fault-plan target is "dht-<index>" on a DatagramDhtNetwork); -1 if not ours. */
  indexOf(node: DhtNode): number {
    return this.#nodes.indexOf(node);
  }

  /** Stop every node and close the network (sockets, in the live tier). Idempotent. */
  async close(): Promise<void> {
    for (const n of this.#nodes) n.stop();
    await this.network.close?.();
  }

  /** Every node ever created (left ones included), in creation order. */
  get nodes(): readonly DhtNode[] {
    return this.#nodes;
  }

  /** Nodes still in the swarm, in creation order. */
  live(): DhtNode[] {
    return this.#nodes.filter((n) => !n.stopped);
  }

  /**
   * Node by creation index.
   * @throws RangeError for an index out of range.
   */
  node(index: number): DhtNode {
    const n = this.#nodes[index];
    if (n === undefined) throw new RangeError(`no node at index ${index} (swarm has ${this.#nodes.length})`);
    return n;
  }

  /** Live node with this id, if any. */
  byId(id: NodeId): DhtNode | undefined {
    const hex = toHex(id);
    return this.#nodes.find((n) => n.idHex === hex && !n.stopped);
  }

  /** Make a node leave: it stops and goes offline (requests to it are dropped). Idempotent. */
  leave(node: DhtNode | number): DhtNode {
    const n = typeof node === 'number' ? this.node(node) : node;
    n.stop();
    this.network.setOnline(n.id, false);
    return n;
  }

  /**
   * Make `floor(fraction × live count)` live nodes leave, chosen with the swarm's rng
   * (deterministic), skipping `keep`. Returns the nodes that left.
   * @throws SwarmOptionError for a fraction outside [0, 1].
   */
  churn(fraction: number, keep: readonly DhtNode[] = []): DhtNode[] {
    if (!(fraction >= 0 && fraction <= 1))
      throw new SwarmOptionError('fraction', `must be in [0, 1], got ${fraction}`);
    const candidates = this.live().filter((n) => !keep.includes(n));
    const count = Math.floor(fraction * this.live().length);
    const left: DhtNode[] = [];
    for (let i = 0; i < count && candidates.length > 0; i++) {
      const [n] = candidates.splice(rngInt(this.rng, candidates.length), 1);
      left.push(this.leave(n!));
    }
    return left;
  }

  /**
   * A new node joins: fresh id from the rng, bootstraps (self-lookup) from the first live node.
   * @throws SwarmOptionError when no live node is left to bootstrap from.
   */
  async join(): Promise<DhtNode> {
    const seed = this.live()[0];
    if (seed === undefined) throw new SwarmOptionError('join', 'no live node to bootstrap from');
    const node = await this.#spawn();
    this.network.introduce?.(node.id, seed.id);
    await node.bootstrap([seed.id]);
    return node;
  }

  /** Set a node's fault mode ('none' | 'stale' | 'corrupt' | 'drop'). */
  setFault(node: DhtNode | number, fault: NodeFault): void {
    (typeof node === 'number' ? this.node(node) : node).fault = fault;
  }

  /** Ground truth: the `n` live nodes closest to `key` (default k of node 0). */
  closestLive(key: NodeId, n = this.#nodes[0]?.k ?? 8): DhtNode[] {
    return this.live()
      .sort((a, b) => compareDistance(key, a.id, b.id))
      .slice(0, n);
  }

  /** The live node farthest from `key` (XOR metric). */
  farthestLive(key: NodeId): DhtNode {
    const live = this.live().sort((a, b) => compareDistance(key, b.id, a.id));
    if (live[0] === undefined) throw new SwarmOptionError('farthestLive', 'no live node');
    return live[0];
  }

  /** Live nodes holding at least one unexpired value under `key`. */
  holders(key: NodeId): DhtNode[] {
    const now = this.clock.now();
    return this.live().filter((n) => n.storage.get(key, now).length > 0);
  }
}
