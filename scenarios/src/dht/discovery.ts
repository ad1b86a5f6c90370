/**
 * What a lookup can learn of a key's holders, from the routing tables (ground truth of the
 * simulated swarm, never the client's view).
 *
 * A Kademlia lookup only meets the nodes that the nodes it asks list in their replies: each lists
 * the k contacts of its own routing table closest to the key (simulators/dht node.ts, `get` and
 * `findNode` replies). A k-bucket keeps k contacts per distance range from its OWNER, so when the
 * nodes near a key fill their buckets with contacts that are now silent, the holders that still
 * answer can be listed by no node in reach: the data is there, and no lookup can find it. (A
 * full bucket takes a newcomer only when its oldest contact fails a ping, Kademlia §2.2, so
 * silent contacts stay until traffic replaces them.) dht.churn-partition meets exactly that; see
 * {@link RoutingSnapshot.reachable}.
 */
import { closestTo, toHex, type NodeId, type Swarm } from '@fanout/sim-dht';
import { K } from './contacts.js';

/** The routing tables of a swarm at one instant, by node index. */
export class RoutingSnapshot {
  readonly #ids: readonly NodeId[];
  /** Per node, the indexes of its routing-table contacts (contacts not in the swarm are left out). */
  readonly #tables: readonly (readonly number[])[];

  private constructor(ids: readonly NodeId[], tables: readonly (readonly number[])[]) {
    this.#ids = ids;
    this.#tables = tables;
  }

  /**
   * The routing tables of every node of `swarm` now (`DhtNode.contacts()`; reading them changes
   * nothing). A stopped node's table is kept as it is (it answers nobody, so it is never read).
   */
  static of(swarm: Swarm): RoutingSnapshot {
    const ids = swarm.nodes.map((n) => n.id);
    const index = new Map(ids.map((id, i) => [toHex(id), i]));
    const tables = swarm.nodes.map((n) =>
      n.contacts().flatMap((id) => {
        const i = index.get(toHex(id));
        return i === undefined ? [] : [i];
      }),
    );
    return new RoutingSnapshot(ids, tables);
  }

  /**
   * A snapshot from explicit tables: `tables[n]` lists the indexes (into `ids`) of node `n`'s
   * routing-table contacts. For tests and for tables kept elsewhere.
   * @throws RangeError when `tables` and `ids` differ in length or a contact index is not in `ids`.
   */
  static fromTables(ids: readonly NodeId[], tables: readonly (readonly number[])[]): RoutingSnapshot {
    if (tables.length !== ids.length)
      throw new RangeError(`RoutingSnapshot: ${tables.length} tables for ${ids.length} nodes`);
    for (const [n, t] of tables.entries())
      for (const c of t)
        if (!Number.isInteger(c) || c < 0 || c >= ids.length)
          throw new RangeError(`RoutingSnapshot: node ${n} lists contact ${c}, not a node index`);
    return new RoutingSnapshot(
      ids,
      tables.map((t) => [...t]),
    );
  }

  /** Node `n`'s `k` contacts closest to `key` (XOR metric), closest first: what its replies list. */
  closestContacts(n: number, key: NodeId, k = K): number[] {
    const table = this.#tables[n];
    if (table === undefined) throw new RangeError(`RoutingSnapshot: no node ${n}`);
    // The node's own selection (node.ts #closestKnown → closestTo).
    return closestTo(key, table, k, (i) => this.#ids[i]!);
  }

  /**
   * Every node a lookup by `from` toward `key` can learn of: `from`'s `k` contacts closest to
   * the key (where a lookup starts), then, for every node learned that `answers`, the `k`
   * contacts its replies list, to a fixpoint. This over-approximates what one lookup learns (a
   * lookup asks only the closest candidates that have not failed, and stops once k of them
   * answered), so a node outside the set is one no lookup from `from` can reach while the
   * tables stay as they are. The result includes the silent nodes learned (they fail when
   * asked) and not `from` itself.
   * @throws RangeError for a node index that is not in the snapshot.
   */
  reachable(from: number, key: NodeId, answers: (n: number) => boolean, k = K): Set<number> {
    const seen = new Set<number>();
    const todo: number[] = [];
    const learn = (ns: readonly number[]): void => {
      for (const n of ns) {
        if (n === from || seen.has(n)) continue;
        seen.add(n);
        if (answers(n)) todo.push(n);
      }
    };
    learn(this.closestContacts(from, key, k));
    for (let n = todo.pop(); n !== undefined; n = todo.pop()) learn(this.closestContacts(n, key, k));
    return seen;
  }
}
