/**
 * The DHT parties of a world (shared/reference/dht.md): a Kademlia swarm of DhtNodes served as
 * plan targets `dht-0` … `dht-<n−1>` on the kernel World's edge (the SimNetwork on the virtual
 * clock in sim; real UDP sockets on 127.0.0.1 with the world's one fault injector in live),
 * contacts who queued messages in their outboxes to one recipient, and the reader (node 0) that
 * retrieves with @fanout/dht's retrieveOfflineMessages.
 *
 * Node ids are drawn by the world from `world.rng.fork('node-ids')` and handed to the swarm;
 * node behaviours ('stale', 'corrupt', 'drop': plan.ts) are read from the plan through
 * `world.injector.behaviours(target, t)` before every request a node handles, so a plan swapped
 * at run time (the fault-control API) changes them too. The oracle (oracle.ts) reads the same plan.
 */
import type { Clock, RandomBytes } from '@fanout/core';
import {
  EmptyOutboxCache,
  memoizedVerifier,
  retrieveOfflineMessages,
  type DhtGetter,
  type OfflineRetrieval,
  type OfflineRetrieveOptions,
  type OutboxContact,
  type ValueVerifier,
} from '@fanout/dht';
import {
  DatagramDhtNetwork,
  Swarm,
  dhtTarget,
  simEndpoints,
  toHex,
  type DhtEndpoint,
  type DhtNode,
  type EndpointFactory,
  type NodeFault,
  type SwarmOptions,
  type SwarmTransport,
} from '@fanout/sim-dht';
import { rngBytesFn } from '@fanout/sim';
import type { World } from '../kernel/world.js';
import {
  buildContacts,
  NOW0,
  publishContacts,
  type ContactSpec,
  type PublishMode,
  type PublishReport,
  type WorldContact,
} from './contacts.js';
import { NODE_IDS_STREAM, RECIPIENT, drawNodeIds, idFeed } from './ids.js';
import { nodeFaultOf } from './plan.js';

/** The client under test: retrieveOfflineMessages, or a deliberately broken stand-in (tests). */
export type RetrieveFn = (
  contacts: readonly (OutboxContact | string)[],
  options: OfflineRetrieveOptions,
) => OfflineRetrieval;

/**
 * One signature check for every world of the process: verification is a pure function of the
 * value, and the population's keys (ids.ts) sign the same outbox versions in many runs, so the
 * memo (at most 100,000 values) answers most checks without a scalar multiplication.
 */
const SHARED_VERIFIER: ValueVerifier = memoizedVerifier(100_000);

/** Nodes' RPC timeout by tier, ms (a lookup pays it per silent node it asks). */
export const RPC_TIMEOUT_MS = { sim: 1000, live: 500 } as const;

/** What a DHT world holds besides the plan. */
export interface DhtWorldSpec {
  /** Swarm size, integer 2..2000 (node 0 is the reader). */
  readonly nodes: number;
  readonly contacts: readonly ContactSpec[];
  readonly publish: PublishMode;
  /** Nodes' RPC timeout, ms (default {@link RPC_TIMEOUT_MS} of the tier). */
  readonly rpcTimeoutMs?: number;
  /** The read happens this many seconds after NOW0 (expiry filter). Default 600. */
  readonly readAfterSeconds?: number;
  /** Test seam: the retrieval client (default retrieveOfflineMessages). */
  readonly retrieve?: RetrieveFn;
}

/** The DHT side of a world. */
export interface DhtParties {
  readonly swarm: Swarm;
  readonly network: DatagramDhtNetwork;
  /** Node 0. */
  readonly reader: DhtNode;
  readonly recipient: string;
  readonly contacts: readonly WorldContact[];
  readonly verify: ValueVerifier;
  /** Unix seconds of the read. */
  readonly nowSeconds: number;
  /** The nodes' RPC timeout, ms. */
  readonly rpcTimeoutMs: number;
  readonly published: PublishReport;
  /** The reader as a DhtGetter that records each get's start/end (clock ms) by contact index. */
  readonly timedReader: DhtGetter & { readonly spans: Map<number, { start: number; end: number }> };
  /** Run a retrieval from the reader (options merged over the world's: recipient, dht, now, clock, verify). */
  retrieve(options?: Partial<OfflineRetrieveOptions>): OfflineRetrieval;
  /** A fresh empty-outbox cache on the world's clock. */
  cache(): EmptyOutboxCache;
}

/**
 * A SwarmTransport that, before a node handles a request, sets the node's fault mode to
 * `faultOf(target)` (the behaviours the plan gives its target now: plan.ts). Everything else is
 * the datagram network's.
 */
export class BehavingTransport implements SwarmTransport {
  constructor(
    readonly inner: DatagramDhtNetwork,
    readonly faultOf: (target: string) => NodeFault,
  ) {}

  get stats(): { readonly sent: number } {
    return this.inner.stats;
  }

  sender(id: Uint8Array): ReturnType<SwarmTransport['sender']> {
    return this.inner.sender(id);
  }

  attach(endpoint: DhtEndpoint, index: number): Promise<void> {
    const node = endpoint as DhtNode;
    const target = dhtTarget(index);
    const faultOf = this.faultOf;
    const behaving: DhtEndpoint & { readonly storage: DhtNode['storage'] } = {
      id: node.id,
      get storage() {
        return node.storage;
      },
      handle(from, message) {
        node.fault = faultOf(target);
        return node.handle(from, message);
      },
    };
    node.fault = faultOf(target);
    return this.inner.attach(behaving, index);
  }

  setOnline(id: Uint8Array, online: boolean): void {
    this.inner.setOnline(id, online);
  }

  introduce(node: Uint8Array, peer: Uint8Array): void {
    this.inner.introduce(node, peer);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The fault mode the plan in force gives `target` at plan time `elapsed()`. */
export function planFaults(
  injector: { behaviours(target: string, t?: number): { behaviour: string }[] },
  elapsed: () => number,
): (target: string) => NodeFault {
  return (target) => nodeFaultOf(injector.behaviours(target, elapsed()));
}

/** Where nodes are served: the world's SimNetwork, or live sockets with the world's injector. */
async function endpointsOf(world: World): Promise<EndpointFactory> {
  if (world.mode === 'sim') return simEndpoints(world.net);
  // Loaded only for live runs: sim runs never touch sockets.
  const { sharedInjectorEndpoints } = await import('./live/endpoints.js');
  return sharedInjectorEndpoints({
    injector: world.injector,
    clock: world.clock,
    startedAt: world.startedAt,
  }).open;
}

/**
 * Build a swarm on `transport` with the given node ids (direct bootstrap: routing tables filled
 * without traffic). Passes `ids` (the option Swarm.create is to take) and, until it does, an
 * {@link idFeed} that hands them out; `rest` serves later draws (joins, churn).
 * @throws Error when the swarm's ids are not `ids` (neither mechanism took).
 */
export async function createSwarm(o: {
  readonly ids: readonly Uint8Array[];
  readonly rest: RandomBytes;
  readonly transport: SwarmTransport;
  readonly clock: Clock;
  readonly verify: ValueVerifier;
  readonly rpcTimeoutMs: number;
}): Promise<Swarm> {
  const feed = idFeed(o.ids, o.rest);
  const options: SwarmOptions & { readonly ids: readonly Uint8Array[] } = {
    size: o.ids.length,
    ids: o.ids,
    clock: o.clock,
    rng: feed.rng,
    transport: o.transport,
    bootstrap: 'direct',
    node: { verifyValue: o.verify, rpcTimeoutMs: o.rpcTimeoutMs },
  };
  const swarm = await Swarm.create(options);
  feed.built();
  if (swarm.nodes.some((n, i) => n.idHex !== toHex(o.ids[i]!))) {
    await swarm.close();
    throw new Error('Swarm.create did not take the world’s node ids');
  }
  return swarm;
}

/**
 * Build the DHT parties in `world`: swarm (ids from `world.rng.fork('node-ids')`), contacts and
 * their outboxes (published per `spec.publish`), the reader's retrieval. The swarm closes with
 * the world.
 * @throws RangeError for fewer than 2 nodes; what Swarm.create throws (bad size, bind errors).
 */
export async function buildDhtWorld(world: World, spec: DhtWorldSpec): Promise<DhtParties> {
  if (!Number.isInteger(spec.nodes) || spec.nodes < 2)
    throw new RangeError(`DHT world: nodes must be an integer >= 2, got ${spec.nodes}`);
  const rpcTimeoutMs = spec.rpcTimeoutMs ?? RPC_TIMEOUT_MS[world.mode];
  const network = new DatagramDhtNetwork({ open: await endpointsOf(world) });
  const verify = SHARED_VERIFIER;
  const swarm = await createSwarm({
    ids: drawNodeIds(world.rng.fork(NODE_IDS_STREAM), spec.nodes),
    rest: rngBytesFn(world.rng.fork('swarm')),
    transport: new BehavingTransport(
      network,
      planFaults(world.injector, () => world.elapsed()),
    ),
    clock: world.clock,
    verify,
    rpcTimeoutMs,
  }).catch(async (e: unknown) => {
    await network.close();
    throw e;
  });
  world.defer(() => swarm.close());
  const recipient = RECIPIENT;
  const contacts = buildContacts(spec.contacts, spec.publish, verify);
  const published = await publishContacts(world, swarm, contacts, spec.contacts, {
    publish: spec.publish,
    recipient,
    verify,
  });
  const reader = swarm.node(0);
  const nowSeconds = NOW0 + (spec.readAfterSeconds ?? 600);
  const timedReader = timed(world, reader, contacts);
  const retrieve = spec.retrieve ?? retrieveOfflineMessages;
  const owners = contacts.map((c) => ({ fingerprint: c.fingerprint, owner: c.publicKey }));
  return {
    swarm,
    network,
    reader,
    recipient,
    contacts,
    verify,
    nowSeconds,
    rpcTimeoutMs,
    published,
    timedReader,
    retrieve: (options = {}) =>
      retrieve(owners, { recipient, dht: timedReader, nowSeconds, clock: world.clock, verify, ...options }),
    cache: () => new EmptyOutboxCache({ clock: world.clock }),
  };
}

/** The reader as a DhtGetter recording each get's span (clock ms) by contact index (−1: unknown key). */
function timed(world: World, reader: DhtNode, contacts: readonly WorldContact[]): DhtParties['timedReader'] {
  const byKey = new Map(contacts.map((c) => [toHex(c.key), c.index]));
  const spans = new Map<number, { start: number; end: number }>();
  return {
    spans,
    get: async (key, options) => {
      const i = byKey.get(toHex(key)) ?? -1;
      const start = world.clock.now();
      try {
        return await reader.get(key, options);
      } finally {
        spans.set(i, { start, end: world.clock.now() });
      }
    },
  };
}
