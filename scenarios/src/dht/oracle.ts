/**
 * The DHT oracle: what each contact's result may be, from ground truth (what each contact queued,
 * which node stores which outbox version after publishing) and from the EFFECTIVE plan (which
 * nodes answer the read, which serve corrupt copies: plan.ts `readNode`) — never from the seed or
 * from the client.
 *
 * Per contact, the reader's lookup converges on the K (8) nodes closest to the outbox key among
 * those that answer; the newest version an honest one of them (or the reader) holds is what must
 * be delivered, its unexpired messages in (seq, timestamp) order; no honest value in reach → a
 * corrupt holder makes it 'malformed', else 'not-found' when at least ⌈K/2⌉ of the K closest
 * nodes answered, else 'timeout' (the absence rule, packages/dht client.ts `classifyOutbox`).
 *
 * Where the plan is uncertain the oracle enumerates what the uncertain nodes may do:
 * - a node 'maybe' silent or corrupt (a window over part of the read, a crash during it, replies
 *   that may or may not beat the RPC timeout), or a node that joined during the read (present or
 *   not): every combination is accepted;
 * - per-exchange loss with probability q < 1: the node answers with chance 1 − q, and an outcome
 *   is accepted when its probability (summed over the combinations giving it) is at least
 *   {@link NEGLIGIBLE} — so 3 % loss lets an absent outbox come back 'timeout' (5 of 8 likely
 *   holders lost, ~3·10⁻⁵) but not a stale version when 8 holders had the newest (~10⁻¹⁰).
 * At most {@link MAX_COMBINATIONS} combinations are enumerated per contact (the uncertain nodes
 * closest to the key first); nodes beyond take their most likely state, and the detail says so.
 */
import { compareDistance, dhtTarget, toHex } from '@fanout/sim-dht';
import type { OfflineReport, ContactResult } from '@fanout/dht';
import type { Interval } from '../kernel/plan-view.js';
import type { World } from '../kernel/world.js';
import { K, textOf, type WorldContact } from './contacts.js';
import { readNode, type NodeReading } from './plan.js';
import type { DhtParties } from './world.js';
import {
  enumerateReads,
  unpackSummary,
  type Holding,
  type ReadSummary,
  type StateOption,
} from './read-space.js';

/** Likely holders that must answer for an absent outbox to be 'not-found' (the client's default, ⌈K/2⌉). */
export const ABSENCE_QUORUM = Math.ceil(K / 2);
/** Outcomes less likely than this (per contact, under the plan's per-exchange loss) count as impossible. */
export const NEGLIGIBLE = 1e-7;
/** Most node-state combinations enumerated per contact. */
export const MAX_COMBINATIONS = 4096;

/** One acceptable outcome for one contact. */
export interface ContactTruth {
  /** Status the client must report. */
  readonly expected: 'delivered' | 'empty' | 'not-found' | 'malformed' | 'timeout';
  /** Texts to deliver, in (seq, timestamp) order ([] unless 'delivered'). */
  readonly texts: readonly string[];
  /** Highest outbox seq an honest node in reach holds (undefined: none). */
  readonly newestSeq: number | undefined;
  /** Texts of messages expired at read time (never to be delivered). */
  readonly expiredTexts: readonly string[];
  /** How many of the K nodes closest to the key (the reader aside) answer. */
  readonly likelyHoldersAnswering: number;
  /** Silent nodes closer to the key than the farthest node in reach. */
  readonly unreachableInFront: number;
  /** Upper bound of the outcome's probability under the plan (1: certain, or not weighable). */
  readonly weight: number;
}

/** What the oracle is told about the read. */
export interface OracleOptions {
  /** The read interval in plan time (ms since the world started), e.g. `{fromMs: t0, toMs: t1 + 1}`. */
  readonly at: Interval;
  /** Nodes (indexes) that joined during the read: present for the lookup, or not yet. */
  readonly joined?: readonly number[];
}

/** The oracle of one read (see the module docstring). */
export class DhtOracle {
  /** What the plan does to each node (by index) during the read. */
  readonly readings: readonly NodeReading[];
  readonly #parties: DhtParties;
  readonly #joined: ReadonlySet<number>;
  readonly #options: readonly (readonly StateOption[])[];
  readonly #now: number;
  readonly #memo = new Map<number, { truths: ContactTruth[]; approximated: boolean; uncertain: number[] }>();

  constructor(world: World, parties: DhtParties, o: OracleOptions) {
    this.#parties = parties;
    this.#now = world.clock.now();
    const joined = new Set(o.joined ?? []);
    this.#joined = joined;
    this.readings = parties.swarm.nodes.map((_, n) =>
      readNode(world.view, dhtTarget(n), o.at, parties.rpcTimeoutMs),
    );
    this.#options = parties.swarm.nodes.map((node, n) =>
      optionsOf(this.readings[n]!, n === 0, node.stopped, joined.has(n)),
    );
  }

  /** The acceptable outcomes for contact `i` (at least one; deduplicated). */
  outcomes(i: number): readonly ContactTruth[] {
    return this.#solve(i).truths;
  }

  /**
   * What makes contact `i` uncertain, for details: the uncertain nodes near its key with what the
   * plan does to them; undefined when its outcome is certain.
   */
  uncertainty(i: number): string | undefined {
    const s = this.#solve(i);
    if (s.uncertain.length === 0) return undefined;
    const nodes = s.uncertain
      .map((n) => `dht-${n} ${this.#joined.has(n) ? 'joined during the read, ' : ''}${this.readings[n]!.why}`)
      .join('; ');
    return `plan uncertain near contact ${i} (${nodes})${s.approximated ? ', more uncertain nodes taken at their likeliest' : ''}: ${s.truths.length} outcome(s) accepted`;
  }

  #solve(i: number): { truths: ContactTruth[]; approximated: boolean; uncertain: number[] } {
    const known = this.#memo.get(i);
    if (known !== undefined) return known;
    const c = this.#parties.contacts[i]!;
    const nodes = this.#parties.swarm.nodes;
    const order = byDistance(c.key, nodes);
    const holdings: Holding[] = [];
    const holdingOf = new Int32Array(nodes.length).fill(-1);
    for (const n of [0, ...order]) {
      const e = nodes[n]!.storage.entry(c.key, 1n);
      if (e === undefined || this.#now >= e.expiresAt) continue;
      holdingOf[n] = holdings.length;
      holdings.push({ seq: e.value.seq, signature: toHex(e.value.signature ?? new Uint8Array()) });
    }
    const { relevant, approximated } = this.#relevant(order);
    const acc = enumerateReads({
      order,
      relevant,
      options: this.#options,
      holdingOf,
      holdings,
    });
    const facts = contactFacts(c, holdings, this.#parties.nowSeconds);
    const all = merge([...acc].map(([key, weight]) => ({ ...truthFrom(facts, unpackSummary(key)), weight })));
    const truths = all.filter((t) => t.weight >= NEGLIGIBLE);
    const out = { truths: truths.length > 0 ? truths : all.slice(0, 1), approximated, uncertain: relevant };
    this.#memo.set(i, out);
    return out;
  }

  /** Uncertain nodes that can matter, closest first, until K nodes surely answer (capped). */
  #relevant(order: readonly number[]): { relevant: number[]; approximated: boolean } {
    const relevant: number[] = [];
    let combinations = 1;
    let approximated = false;
    const consider = (n: number): void => {
      const opts = this.#options[n]!.length;
      if (opts === 1) return;
      if (combinations * opts > MAX_COMBINATIONS) approximated = true;
      else {
        relevant.push(n);
        combinations *= opts;
      }
    };
    consider(0);
    let sure = 0;
    for (const n of order) {
      if (sure >= K) break;
      const opts = this.#options[n]!;
      if (opts.length === 1) {
        if (opts[0]!.state === 'answers' || opts[0]!.state === 'corrupt') sure++;
      } else consider(n);
    }
    return { relevant, approximated };
  }
}

/**
 * Indexes of `nodes` but the reader's (0), closest to `key` first (XOR distance, compareDistance's
 * order): sorted by the distance's first 48 bits, ties broken by compareDistance.
 */
function byDistance(key: Uint8Array, nodes: readonly { readonly id: Uint8Array }[]): number[] {
  const head = new Float64Array(nodes.length);
  for (let n = 1; n < nodes.length; n++) {
    const id = nodes[n]!.id;
    let d = 0;
    for (let b = 0; b < 6; b++) d = d * 256 + (id[b]! ^ key[b]!);
    head[n] = d;
  }
  const order = Array.from({ length: nodes.length - 1 }, (_, k) => k + 1);
  return order.sort((a, b) => head[a]! - head[b]! || compareDistance(key, nodes[a]!.id, nodes[b]!.id));
}

/** The states the oracle lets a node be in, from its plan reading (see the module docstring). */
function optionsOf(r: NodeReading, reader: boolean, stopped: boolean, joined: boolean): StateOption[] {
  let out: StateOption[];
  if (stopped) out = [{ state: 'silent', p: 1 }];
  else if (reader) out = [{ state: 'answers', p: 1 }];
  else if (r.reach === 'silent') out = [{ state: 'silent', p: 1 }];
  else if (r.reach === 'maybe')
    out = [
      { state: 'answers', p: 1 },
      { state: 'silent', p: 1 },
    ];
  else if (r.lossQ > 0)
    out = [
      { state: 'answers', p: 1 - r.lossQ },
      { state: 'silent', p: r.lossQ },
    ];
  else out = [{ state: 'answers', p: 1 }];
  if (r.corrupt === 'always') out = out.map((o) => (o.state === 'answers' ? { ...o, state: 'corrupt' } : o));
  else if (r.corrupt === 'maybe')
    out = out.flatMap((o) => (o.state === 'answers' ? [o, { ...o, state: 'corrupt' as const }] : [o]));
  if (joined) out = [...out, { state: 'absent', p: 1 }];
  return out;
}

/** Compare (seq, timestamp) of two queued messages. */
function byOutboxOrder(a: WorldContact['queued'][number], b: WorldContact['queued'][number]): number {
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0;
}

/** What every outcome of one contact shares, and its delivered texts per newest holding (memo). */
interface ContactFacts {
  readonly contact: WorldContact;
  readonly holdings: readonly Holding[];
  /** Texts of messages expired at read time. */
  readonly expiredTexts: readonly string[];
  readonly nowSeconds: bigint;
  /** Texts delivered when holding h is the newest honest copy in reach, by h. */
  readonly textsByHolding: Map<number, readonly string[]>;
}

function contactFacts(c: WorldContact, holdings: readonly Holding[], nowSeconds: number): ContactFacts {
  const now = BigInt(nowSeconds);
  return {
    contact: c,
    holdings,
    expiredTexts: c.queued.filter((q) => q.expiry < now).map((q) => q.text),
    nowSeconds: now,
    textsByHolding: new Map(),
  };
}

/** The unexpired texts of the version holding `h` is, in (seq, timestamp) order. */
function textsOfHolding(f: ContactFacts, h: number): readonly string[] {
  const known = f.textsByHolding.get(h);
  if (known !== undefined) return known;
  const newest = f.holdings[h]!;
  const version = f.contact.versions.find(
    (v) => v.value.seq === newest.seq && toHex(v.value.signature ?? new Uint8Array()) === newest.signature,
  );
  const inVersion = new Set(version?.texts ?? []);
  const texts = f.contact.queued
    .filter((q) => inVersion.has(q.text) && q.expiry >= f.nowSeconds)
    .sort(byOutboxOrder)
    .map((q) => q.text);
  f.textsByHolding.set(h, texts);
  return texts;
}

/** The outcome a read summary gives the contact of `f` (weight filled by the caller). */
function truthFrom(f: ContactFacts, r: ReadSummary): Omit<ContactTruth, 'weight'> {
  const newest = r.newest < 0 ? undefined : f.holdings[r.newest]!;
  const common = {
    newestSeq: newest?.seq,
    expiredTexts: f.expiredTexts,
    likelyHoldersAnswering: r.likely,
    unreachableInFront: r.front,
  };
  if (newest === undefined) {
    const expected = r.corruptHolder ? 'malformed' : r.likely < ABSENCE_QUORUM ? 'timeout' : 'not-found';
    return { ...common, expected, texts: [] };
  }
  if (f.contact.garbage) return { ...common, expected: 'malformed', texts: [] };
  const texts = textsOfHolding(f, r.newest);
  return { ...common, expected: texts.length > 0 ? 'delivered' : 'empty', texts };
}

/**
 * Outcomes the checks tell apart by status, texts and newest seq: variants that differ only in
 * how many nodes answered are merged (weights added up; the fewest likely holders answering and
 * the most silent nodes in front kept, the most permissive for a scenario's timeout allowance).
 */
function merge(truths: readonly ContactTruth[]): ContactTruth[] {
  const out = new Map<string, ContactTruth>();
  for (const t of truths) {
    const key = `${t.expected}|${t.texts.join(',')}|${t.newestSeq}`;
    const prev = out.get(key);
    out.set(
      key,
      prev === undefined
        ? t
        : {
            ...prev,
            weight: prev.weight + t.weight,
            likelyHoldersAnswering: Math.min(prev.likelyHoldersAnswering, t.likelyHoldersAnswering),
            unreachableInFront: Math.max(prev.unreachableInFront, t.unreachableInFront),
          },
    );
  }
  return [...out.values()].sort((a, b) => b.weight - a.weight);
}

/** Texts of a contact result's messages, in the order delivered. */
export function resultTexts(r: ContactResult): string[] {
  return r.messages.map((m) => textOf(m.ciphertext));
}

/** Which contacts may time out beyond what the oracle expects (scenario-specific allowances). */
export type MayTimeOut = (i: number, truth: ContactTruth) => boolean;

/** What {@link checkAgainstOracle} found: undefined = held, else the first violation. */
export interface OracleVerdict {
  readonly oneEach: string | undefined;
  readonly exactlyOnce: string | undefined;
  readonly status: string | undefined;
  /** Contacts with more than one acceptable outcome (the plan was uncertain around them). */
  readonly uncertainContacts: number;
}

/**
 * The guarantees every DHT scenario checks against the oracle:
 * - one result per contact, none dropped (`oneEach`);
 * - delivered messages are exactly the unexpired ones of an acceptable newest version, once
 *   each; nothing expired, nothing invented (`exactlyOnce`);
 * - the status is one the oracle accepts, a timeout only where an acceptable outcome says so or
 *   `mayTimeOut` allows it (`status`).
 */
export function checkAgainstOracle(
  oracle: DhtOracle,
  contacts: readonly WorldContact[],
  report: OfflineReport,
  mayTimeOut: MayTimeOut = () => false,
): OracleVerdict {
  let oneEach: string | undefined;
  if (report.contacts.length !== contacts.length)
    oneEach = `${report.contacts.length} results for ${contacts.length} contacts`;
  report.contacts.forEach((r, i) => {
    if (oneEach === undefined && r.sender !== contacts[i]?.fingerprint)
      oneEach = `result ${i} is for another sender`;
  });
  let exactlyOnce: string | undefined;
  let status: string | undefined;
  let uncertainContacts = 0;
  for (const [i, r] of report.contacts.entries()) {
    if (i >= contacts.length) break;
    const ts = oracle.outcomes(i);
    if (ts.length > 1) uncertainContacts++;
    // Built only for a violation's detail.
    const note = (): string => {
      const why = oracle.uncertainty(i);
      return why === undefined ? '' : `; ${why}`;
    };
    exactlyOnce ??= exactlyOnceViolation(i, r, ts, note);
    status ??= statusViolation(i, r, ts, mayTimeOut, note);
  }
  return { oneEach, exactlyOnce, status, uncertainContacts };
}

function exactlyOnceViolation(
  i: number,
  r: ContactResult,
  ts: readonly ContactTruth[],
  note: () => string,
): string | undefined {
  const got = resultTexts(r);
  const expired = got.filter((x) => ts[0]!.expiredTexts.includes(x));
  if (expired.length > 0) return `contact ${i}: expired message(s) delivered: ${expired.join(',')}`;
  if (new Set(got).size !== got.length) return `contact ${i}: duplicate message(s): ${got.join(',')}`;
  if (r.status === 'delivered' && !ts.some((x) => got.join('|') === x.texts.join('|')))
    return `contact ${i}: delivered [${got.join(',')}], expected [${ts.map((x) => x.texts.join(',')).join('] or [')}] (newest reachable seq ${ts.map((x) => x.newestSeq).join(' or ')})${note()}`;
  return undefined;
}

function statusViolation(
  i: number,
  r: ContactResult,
  ts: readonly ContactTruth[],
  mayTimeOut: MayTimeOut,
  note: () => string,
): string | undefined {
  const expected = [...new Set(ts.map((x) => x.expected))];
  const ok =
    expected.includes(r.status as ContactTruth['expected']) ||
    (r.status === 'timeout' && ts.some((x) => mayTimeOut(i, x)));
  if (ok) return undefined;
  const t = ts[0]!;
  return r.status === 'timeout'
    ? `contact ${i}: timeout (${r.reason}) but nothing in its way (${t.unreachableInFront} unreachable in front, ${t.likelyHoldersAnswering}/${K} likely holders answering), expected ${expected.join(' or ')}${note()}`
    : `contact ${i}: ${r.status}${r.reason ? ` (${r.reason})` : ''}, expected ${expected.join(' or ')} (${t.likelyHoldersAnswering}/${K} likely holders answering)${note()}`;
}

/** One compact string per contact for 'outcome' trace events: `status:reason:outboxSeq:texts`. */
export function outcomeFields(report: OfflineReport): { contacts: string[] } {
  return {
    contacts: report.contacts.map(
      (c) => `${c.status}:${c.reason ?? ''}:${c.outboxSeq ?? ''}:${resultTexts(c).join(',')}`,
    ),
  };
}
