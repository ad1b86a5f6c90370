/**
 * The contacts of a DHT world and their outboxes (shared/reference/dht.md, "Offline queue"):
 * what each contact queues to the recipient, every version of its outbox value as written, and
 * how those versions reach the swarm — straight into the k closest nodes' storage ('direct', no
 * traffic) or through the DHT with @fanout/dht's queueToOutbox ('network', a get → append → put
 * per message from the contact's home node). Node behaviours ('stale', 'drop') shape what ends
 * up stored in both modes; the oracle reads the storage afterwards.
 */
import {
  OutboxQueueError,
  queueMessage,
  queueToOutbox,
  signValue,
  type SignedValue,
  type ValueVerifier,
} from '@fanout/dht';
import { dhtTarget, type DhtNode, type DhtValue, type Swarm } from '@fanout/sim-dht';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { World } from '../kernel/world.js';
import { RECIPIENT, contactIdentity } from './ids.js';
import { nodeFaultOf } from './plan.js';

/** Unix seconds at which senders queue (the world's epoch); reads happen at NOW0 + readAfterSeconds. */
export const NOW0 = 1_700_000_000;
/** DHT-level TTL of every outbox put: 7 days (upstream's message TTL), ms. */
export const PUT_TTL_MS = 7 * 24 * 3600 * 1000;
/** Replication factor of the swarm (OpenDHT: 8). */
export const K = 8;

/** One message a contact queues, in queue order. */
export interface QueuedSpec {
  /** The message's own seq (upstream message_backup_get_next_seq). */
  readonly seq: bigint;
  /** Lifetime in seconds from its queue time. */
  readonly ttlSeconds: number;
}

/** What one contact does before the read. */
export interface ContactSpec {
  /** Messages queued one by one (each a read-modify-write of the outbox); [] = never queued. */
  readonly messages: readonly QueuedSpec[];
  /** Publish a signed outbox whose data does not decode instead (→ 'malformed' decode). */
  readonly garbage?: boolean;
}

/** How outboxes reach the DHT (see the module docstring). */
export type PublishMode = 'network' | 'direct';

/** One contact: identity, keys, and every version of its outbox as written. */
export interface WorldContact {
  readonly index: number;
  readonly fingerprint: string;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** DHT key of its outbox to the recipient. */
  readonly key: Uint8Array;
  /**
   * Versions written, in order ('direct': versions[i].value.seq === i; 'network': every value a
   * queueToOutbox put, refused rounds included, so seqs can repeat or skip).
   */
  readonly versions: { readonly value: SignedValue; readonly texts: readonly string[] }[];
  /** Every message queued: text (the ciphertext, as UTF-8), seq, queue time, expiry (Unix s). */
  readonly queued: readonly {
    readonly text: string;
    readonly seq: bigint;
    readonly timestamp: bigint;
    readonly expiry: bigint;
  }[];
  readonly garbage: boolean;
}

const decoder = new TextDecoder();

/** A ciphertext as text (the worlds queue UTF-8 texts `c<i>m<j>s<seq>`). */
export const textOf = (ct: Uint8Array): string => decoder.decode(ct);

/** A signed outbox value whose data is not an outbox (version 1 header, then junk): 'malformed' decode. */
function garbageValue(key: Uint8Array, secretKey: Uint8Array): SignedValue {
  return signValue(key, { id: 1n, seq: 0, data: Uint8Array.of(0, 0, 0, 1, 0x44, 0x4e, 0x41) }, secretKey);
}

/**
 * The contacts of a world: identities and keys from the fixed population (ids.ts
 * `contactIdentity`), every message as queued, and — in 'direct' mode — every outbox version
 * built with queueMessage (in 'network' mode the versions are recorded as queueToOutbox puts
 * them, see {@link publishContacts}).
 */
export function buildContacts(
  specs: readonly ContactSpec[],
  publish: PublishMode,
  verify: ValueVerifier,
): WorldContact[] {
  const recipient = RECIPIENT;
  return specs.map((c, index) => {
    const { fingerprint, secretKey, publicKey, key } = contactIdentity(index);
    const versions: WorldContact['versions'] = [];
    const queued: WorldContact['queued'][number][] = [];
    if (c.garbage === true) versions.push({ value: garbageValue(key, secretKey), texts: [] });
    else {
      let current: SignedValue | undefined;
      for (const [m, q] of c.messages.entries()) {
        const text = `c${index}m${m}s${q.seq}`;
        const now = NOW0 + m;
        queued.push({ text, seq: q.seq, timestamp: BigInt(now), expiry: BigInt(now + q.ttlSeconds) });
        if (publish === 'network') continue; // written through the DHT by publishContacts
        const r = queueMessage(
          current,
          { ciphertext: utf8ToBytes(text), seq: q.seq, ttlSeconds: q.ttlSeconds },
          { sender: fingerprint, recipient, secretKey, nowSeconds: now, verify },
        );
        current = r.value;
        versions.push({ value: r.value, texts: r.messages.map((x) => textOf(x.ciphertext)) });
      }
    }
    return { index, fingerprint, secretKey, publicKey, key, versions, queued, garbage: c.garbage === true };
  });
}

/** What publishing did, for facts. */
export interface PublishReport {
  /** queueToOutbox calls that gave up (OutboxQueueError: contended, refused, no holder). */
  readonly queueFailures: number;
}

/**
 * Put every contact's outbox into the swarm. 'direct': each version straight into the storage
 * of the k closest live nodes, honouring their behaviour at this plan time ('stale' keeps the
 * first version, 'drop' stores nothing; a refused put stores nothing, as over the network).
 * 'network': contacts publish concurrently, each its messages in order from a home node drawn
 * from `world.rng.fork('homes')` (never the reader, node 0), with queueToOutbox through the DHT;
 * a queueToOutbox that gives up is counted, not thrown (the oracle reads what was stored).
 */
export async function publishContacts(
  world: World,
  swarm: Swarm,
  contacts: readonly WorldContact[],
  specs: readonly ContactSpec[],
  o: { readonly publish: PublishMode; readonly recipient: string; readonly verify: ValueVerifier },
): Promise<PublishReport> {
  if (o.publish === 'direct') {
    for (const c of contacts) storeDirect(world, swarm, c);
    return { queueFailures: 0 };
  }
  const homeRng = world.rng.fork('homes');
  const homes = contacts.map(() => swarm.node(1 + homeRng.int(0, swarm.nodes.length - 2)));
  let queueFailures = 0;
  await Promise.all(
    contacts.map(async (c, i) => {
      if (c.garbage) {
        await homes[i]!.put(c.key, c.versions[0]!.value as DhtValue, { ttlMs: PUT_TTL_MS });
        return;
      }
      for (const [m, q] of c.queued.entries())
        queueFailures += await queueOne(homes[i]!, c, q.text, specs[i]!.messages[m]!, NOW0 + m, o);
    }),
  );
  return { queueFailures };
}

async function queueOne(
  home: DhtNode,
  c: WorldContact,
  text: string,
  q: QueuedSpec,
  nowSeconds: number,
  o: { readonly recipient: string; readonly verify: ValueVerifier },
): Promise<number> {
  try {
    await queueToOutbox(
      home,
      { ciphertext: utf8ToBytes(text), seq: q.seq, ttlSeconds: q.ttlSeconds },
      {
        sender: c.fingerprint,
        recipient: o.recipient,
        secretKey: c.secretKey,
        nowSeconds,
        verify: o.verify,
        putTtlMs: PUT_TTL_MS,
        onPut: (value, messages) =>
          c.versions.push({ value, texts: messages.map((x) => textOf(x.ciphertext)) }),
      },
    );
    return 0;
  } catch (e) {
    if (!(e instanceof OutboxQueueError)) throw e;
    return 1;
  }
}

function storeDirect(world: World, swarm: Swarm, c: WorldContact): void {
  const holders = swarm.closestLive(c.key, K);
  const t = world.elapsed();
  for (const v of c.versions)
    for (const h of holders) {
      const fault = nodeFaultOf(world.injector.behaviours(dhtTarget(swarm.indexOf(h)), t));
      const mode = fault === 'stale' || fault === 'drop' ? fault : 'none';
      try {
        h.storage.put(c.key, v.value as DhtValue, PUT_TTL_MS, world.clock.now(), mode);
      } catch {
        // refused like a real put would be (e.g. lower seq): nothing stored
      }
    }
}
