/**
 * A node's recent searches, for puts that follow a get (OpenDHT keeps one search per key:
 * `Dht::announce` in src/dht.cpp puts through the key's existing search, so a put right after a
 * get of the same key goes straight to the nodes that get found, without a second lookup).
 *
 * Simplified on purpose: a search is remembered when a lookup converged (not aborted, not stopped
 * early) and is reused for {@link SEARCH_REUSE_MS} while none of its nodes is dead for this node;
 * OpenDHT instead keeps its searches synced by re-asking their nodes. A put whose nodes did not
 * all answer forgets the search, so the next put looks the key up again.
 */
import type { NodeId } from './ids.js';

/**
 * How long a converged search is reused by puts, ms: OpenDHT's `Node::NODE_EXPIRE_TIME`
 * (10 min), the age after which a search node that has not answered counts as expired.
 */
export const SEARCH_REUSE_MS = 10 * 60 * 1000;
/** Most searches one node remembers; the oldest are forgotten first. */
export const MAX_SEARCHES = 1024;

/** A converged search: the k closest nodes that answered, and when (clock ms). */
export interface Search {
  readonly closest: readonly NodeId[];
  readonly k: number;
  readonly at: number;
}

/** Recent converged searches by key (hex), oldest first. */
export class SearchMemory {
  readonly #byKey = new Map<string, Search>();

  /** @param reuseMs how long a search is reused, ms (0: never). */
  constructor(readonly reuseMs: number = SEARCH_REUSE_MS) {}

  /** Remember a converged search for `keyHex` (no-op when reuse is off or no node answered). */
  remember(keyHex: string, search: Search): void {
    if (this.reuseMs <= 0 || search.closest.length === 0) return;
    this.#byKey.delete(keyHex);
    this.#byKey.set(keyHex, search);
    if (this.#byKey.size > MAX_SEARCHES) this.#byKey.delete(this.#byKey.keys().next().value!);
  }

  /**
   * The search a put of `keyHex` with bucket size `k` at clock `now` may reuse: at most reuseMs
   * old, same k, and no node for which `dead` is true. Undefined otherwise.
   */
  reusable(keyHex: string, k: number, now: number, dead: (id: NodeId) => boolean): Search | undefined {
    const s = this.#byKey.get(keyHex);
    if (s === undefined) return undefined;
    if (now - s.at > this.reuseMs || s.k !== k || s.closest.some(dead)) {
      this.#byKey.delete(keyHex);
      return undefined;
    }
    return s;
  }

  /** Forget the search for `keyHex`. */
  forget(keyHex: string): void {
    this.#byKey.delete(keyHex);
  }

  /** Forget every search. */
  clear(): void {
    this.#byKey.clear();
  }
}
