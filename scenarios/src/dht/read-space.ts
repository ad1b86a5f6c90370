/**
 * The reads the DHT oracle weighs for one contact (oracle.ts): every combination of the uncertain
 * nodes' states near the key, each giving a read summary (which copy is in reach, whether a
 * corrupt node holds one, how many likely holders answer), with the summed weight of the
 * combinations giving it.
 */
import { K } from './contacts.js';

/** What the oracle lets one node be during the read. */
export type NodeState = 'answers' | 'corrupt' | 'silent' | 'absent';
/** State codes ({@link STATE_CODE}) the walk compares with. */
export const CORRUPT = 1;
export const SILENT = 2;
export const ABSENT = 3;
/** Node states as small integers for the enumeration (answers 0). */
export const STATE_CODE: Readonly<Record<NodeState, number>> = {
  answers: 0,
  corrupt: CORRUPT,
  silent: SILENT,
  absent: ABSENT,
};
/** A state with an upper bound of its probability (1 when the plan gives no number). */
export interface StateOption {
  readonly state: NodeState;
  readonly p: number;
}

/** A copy of the outbox one node holds: its seq and signature (hex). */
export interface Holding {
  readonly seq: number;
  readonly signature: string;
}

/** What one combination of node states gives a read of one key. */
export interface ReadSummary {
  /** Index (into the key's holdings) of the newest honest copy in reach; −1: none. */
  readonly newest: number;
  /** A corrupt node in reach holds a copy. */
  readonly corruptHolder: boolean;
  /** Of the K nodes closest to the key (the reader aside), how many answer. */
  readonly likely: number;
  /** Silent nodes closer than the farthest node in reach. */
  readonly front: number;
}

/** Largest `likely` / `front` a summary key holds (exclusive): both are at most the swarm size (2000). */
export const SUMMARY_FIELD = 4096;

/** A {@link ReadSummary} as one number (`newest` ≥ −1, `likely` and `front` < {@link SUMMARY_FIELD}). */
export function summaryKey(newest: number, corruptHolder: boolean, likely: number, front: number): number {
  return (((newest + 1) * 2 + (corruptHolder ? 1 : 0)) * SUMMARY_FIELD + likely) * SUMMARY_FIELD + front;
}

/** The {@link ReadSummary} packed by {@link summaryKey}. */
export function unpackSummary(key: number): ReadSummary {
  const front = key % SUMMARY_FIELD;
  const rest = (key - front) / SUMMARY_FIELD;
  const likely = rest % SUMMARY_FIELD;
  const head = (rest - likely) / SUMMARY_FIELD;
  return { newest: Math.floor(head / 2) - 1, corruptHolder: head % 2 === 1, likely, front };
}

/** What {@link enumerateReads} reads: one contact's nodes, their options and holdings. */
export interface ReadSpace {
  /** Nodes other than the reader, closest to the key first. */
  readonly order: readonly number[];
  /** Uncertain nodes enumerated (the reader first when it is one, then in `order`'s order). */
  readonly relevant: readonly number[];
  /** Each node's options (its first is its state when it is not enumerated). */
  readonly options: readonly (readonly StateOption[])[];
  /** Index into `holdings` of the copy each node holds; −1: none. */
  readonly holdingOf: Int32Array;
  readonly holdings: readonly Holding[];
}

/**
 * Every combination of the relevant nodes' states, as the read summaries ({@link summaryKey})
 * they give with their summed weights (a summary's first combination first). The read of one
 * combination takes the reader plus the K closest nodes that answer (plan.ts, the module
 * docstring). The walk goes along `order` and branches at each relevant node; once K nodes are
 * in reach and K positions are taken the read is decided, so the relevant nodes beyond are not
 * branched on: their combinations all give that summary, with the weight of the walk so far
 * times the product of their options' summed weights (the same sum, in another order).
 */
export function enumerateReads(space: ReadSpace): Map<number, number> {
  const { order, options, holdingOf, holdings } = space;
  const relevant = new Uint8Array(holdingOf.length);
  for (const n of space.relevant) relevant[n] = 1;
  // tail[i]: product over the relevant nodes at order[i…] of their options' summed weights.
  const tail = new Float64Array(order.length + 1).fill(1);
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    tail[i] = relevant[n] === 1 ? tail[i + 1]! * options[n]!.reduce((sum, o) => sum + o.p, 0) : tail[i + 1]!;
  }
  const acc = new Map<number, number>();
  // weight[i]: the walk's weight on entering node order[i] (the reader's option at 0). Kept here,
  // not passed: a double passed as an argument is boxed, an allocation at every step.
  const weight = new Float64Array(order.length + 1);
  // The rest of the walk's state is passed in small-integer arguments (runs up to
  // MAX_COMBINATIONS times per contact: no objects).
  const walk = (
    i: number,
    newest: number,
    corrupt: boolean,
    reachable: number,
    positions: number,
    likely: number,
    silentSeen: number,
    front: number,
  ): void => {
    const w = weight[i]!;
    if (w === 0) return;
    if (i === order.length || (reachable >= K && positions >= K)) {
      const total = w * tail[i]!;
      if (total === 0) return;
      const key = summaryKey(newest, corrupt, likely, front);
      acc.set(key, (acc.get(key) ?? 0) + total);
      return;
    }
    const n = order[i]!;
    const opts = options[n]!;
    const count = relevant[n] === 1 ? opts.length : 1;
    for (let k = 0; k < count; k++) {
      const o = opts[k]!;
      const s = STATE_CODE[o.state];
      const p = count === 1 ? 1 : o.p;
      weight[i + 1] = w * p;
      if (s === ABSENT) {
        walk(i + 1, newest, corrupt, reachable, positions, likely, silentSeen, front);
        continue;
      }
      let nw = newest;
      let cr = corrupt;
      let re = reachable;
      let po = positions;
      let li = likely;
      let si = silentSeen;
      let fr = front;
      if (po < K) {
        po++;
        if (s !== SILENT) li++;
      }
      if (s === SILENT) si++;
      else if (re < K) {
        const h = holdingOf[n]!;
        if (h >= 0) {
          if (s === CORRUPT) cr = true;
          else if (nw < 0 || holdings[h]!.seq > holdings[nw]!.seq) nw = h;
        }
        re++;
        fr = si;
      }
      walk(i + 1, nw, cr, re, po, li, si, fr);
    }
  };
  // The reader first: its own copy is in reach unless it is corrupt (then it is a corrupt holder).
  const reader = options[0]!;
  const readerCount = relevant[0] === 1 ? reader.length : 1;
  const h0 = holdingOf[0]!;
  for (let k = 0; k < readerCount; k++) {
    const o = reader[k]!;
    const p = readerCount === 1 ? 1 : o.p;
    const corrupt = h0 >= 0 && STATE_CODE[o.state] === CORRUPT;
    weight[0] = p;
    walk(0, h0 >= 0 && !corrupt ? h0 : -1, corrupt, 0, 0, 0, 0, 0);
  }
  return acc;
}
