import { VirtualClock } from '@fanout/core';
import { Swarm, type DhtValue } from '@fanout/sim-dht';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { describe, expect, test } from 'vitest';
import {
  EmptyOutboxCache,
  classifyOutbox,
  encodeOutbox,
  likelyHolders,
  inflightLookups,
  memoizedVerifier,
  outboxInfoHash,
  queueMessage,
  retrieveOfflineMessages,
  signValue,
  type ContactResult,
  type DhtGetResultLike,
  type DhtGetter,
  type OutboxMessageInit,
  type SignedValue,
} from '../src/index.js';

const fp = (name: string): string => Buffer.from(sha3_512(new TextEncoder().encode(name))).toString('hex');
const sk = (name: string): Uint8Array => sha3_512(new TextEncoder().encode(`sk:${name}`)).slice(0, 32);
const ME = fp('me');
const NOW = 1_700_000_000;
const WEEK_MS = 7 * 24 * 3600 * 1000;
/** One memo shared by every simulated node and the reader: each distinct value is verified once. */
const verify = memoizedVerifier();
const texts = (r: { messages: ReadonlyArray<{ ciphertext: Uint8Array }> }): string[] =>
  r.messages.map((m) => new TextDecoder().decode(m.ciphertext));

async function world(): Promise<{ clock: VirtualClock; swarm: Swarm }> {
  const clock = new VirtualClock();
  const swarm = await Swarm.create({
    size: 100,
    clock,
    seed: 'client',
    bootstrap: 'direct',
    node: { verifyValue: verify },
  });
  return { clock, swarm };
}

async function publish(
  swarm: Swarm,
  name: string,
  items: string[],
  opts: { ttlSeconds?: number } = {},
): Promise<SignedValue> {
  let current: SignedValue | undefined;
  for (const [i, t] of items.entries()) {
    const q = queueMessage(
      current,
      {
        ciphertext: new TextEncoder().encode(t),
        seq: BigInt(i + 1),
        ...(opts.ttlSeconds !== undefined && { ttlSeconds: opts.ttlSeconds }),
      },
      { sender: fp(name), recipient: ME, secretKey: sk(name), nowSeconds: NOW },
    );
    const put = await swarm.node(i % 10).put(q.key, q.value as DhtValue, { ttlMs: WEEK_MS });
    expect(put.stored.length).toBe(8);
    current = q.value;
  }
  return current!;
}

describe('retrieveOfflineMessages over the simulated DHT (in-process)', () => {
  test('20 contacts: every contact gets one outcome (delivered / empty / not-found / malformed), in about one get time', async () => {
    const { swarm } = await world();
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    for (const n of names.slice(0, 12)) await publish(swarm, n, [`${n}-1`, `${n}-2`]);
    // c12: a signed outbox whose data is garbage; c13: signed by another key than the one we expect;
    // c14: every message expired by the time we read.
    const k12 = outboxInfoHash(fp('c12'), ME);
    await swarm
      .node(0)
      .put(
        k12,
        signValue(k12, { id: 1n, seq: 0, data: Uint8Array.of(0, 0, 0, 1, 1, 2, 3) }, sk('c12')) as DhtValue,
      );
    await publish(swarm, 'c13', ['c13-1']);
    await publish(swarm, 'c14', ['c14-1'], { ttlSeconds: 5 });
    const reader = swarm.farthestLive(outboxInfoHash(fp('c0'), ME));
    const contacts = names.map((n) =>
      n === 'c13' ? { fingerprint: fp(n), owner: ed25519.getPublicKey(sk('someone else')) } : fp(n),
    );
    const report = await retrieveOfflineMessages(contacts, {
      recipient: ME,
      dht: reader,
      nowSeconds: NOW + 10,
      clock: swarm.clock,
      verify,
    });
    expect(report.contacts.map((r) => r.status)).toEqual([
      ...Array(12).fill('delivered'),
      'malformed',
      'malformed',
      'empty',
      ...Array(5).fill('not-found'),
    ]);
    expect(report.contacts[12]).toMatchObject({ reason: 'decode', error: { name: 'OutboxDecodeError' } });
    expect(report.contacts[13]).toMatchObject({
      reason: 'owner',
      error: { name: 'OutboxOwnerError', field: 'owner' },
    });
    expect(report.contacts[14]).toMatchObject({ expired: 1, outboxSeq: 0 });
    expect(report.counts).toEqual({
      delivered: 12,
      empty: 1,
      'not-found': 5,
      malformed: 2,
      timeout: 0,
      error: 0,
    });
    expect(texts(report)).toEqual(names.slice(0, 12).flatMap((n) => [`${n}-1`, `${n}-2`]));
    expect(report.lookups).toBe(20);
    // Parallel: the whole retrieval takes about as long as the slowest single get, far less than the sum.
    let sequential = 0;
    for (const n of names.slice(0, 5)) sequential += (await reader.get(outboxInfoHash(fp(n), ME))).elapsedMs;
    expect(report.elapsedMs).toBeLessThan(sequential / 2);
    expect(Object.isFrozen(report.contacts[0])).toBe(true);
  });

  test('an outbox whose 8 holders all left is a timeout (holders-unreachable), not not-found, and is not cached as empty', async () => {
    const { swarm } = await world();
    await publish(swarm, 'gone', ['g1']);
    await publish(swarm, 'here', ['h1']);
    const key = outboxInfoHash(fp('gone'), ME);
    const reader = swarm.farthestLive(key);
    for (const n of swarm.closestLive(key, 8)) if (n !== reader) swarm.leave(n);
    const cache = new EmptyOutboxCache({ clock: swarm.clock });
    const opts = { recipient: ME, dht: reader, nowSeconds: NOW, clock: swarm.clock, verify, cache };
    const report = await retrieveOfflineMessages([fp('gone'), fp('here'), fp('never')], opts);
    expect(report.contacts.map((r) => [r.status, r.reason])).toEqual([
      ['timeout', 'holders-unreachable'],
      ['delivered', undefined],
      ['not-found', undefined],
    ]);
    expect([cache.get(ME, fp('gone')), cache.get(ME, fp('never'))]).toEqual([undefined, 'not-found']);
    // Strictest rule: every likely holder must answer; the 'never' contact's holders all did.
    const strict = await retrieveOfflineMessages([fp('never')], {
      ...opts,
      cache: undefined,
      absenceQuorum: 8,
    });
    expect(strict.contacts[0]!.status).toBe('not-found');
  });

  test('the newest outbox version wins even when most holders serve older ones; expired messages are dropped', async () => {
    const { swarm } = await world();
    const key = outboxInfoHash(fp('alice'), ME);
    await publish(swarm, 'alice', ['a1']);
    swarm
      .closestLive(key, 8)
      .slice(0, 5)
      .forEach((n) => swarm.setFault(n, 'stale'));
    await publish(swarm, 'bob', ['b1'], { ttlSeconds: 5 });
    let current = (await swarm.node(0).get(key)).values[0] as SignedValue;
    for (const t of ['a2', 'a3']) {
      const q = queueMessage(
        current,
        { ciphertext: new TextEncoder().encode(t), seq: BigInt(t.at(1)!) },
        { sender: fp('alice'), recipient: ME, secretKey: sk('alice'), nowSeconds: NOW },
      );
      await swarm.node(3).put(key, q.value as DhtValue, { ttlMs: WEEK_MS });
      current = q.value;
    }
    const report = await retrieveOfflineMessages([fp('alice'), fp('bob')], {
      recipient: ME,
      dht: swarm.farthestLive(key),
      nowSeconds: NOW + 6,
      clock: swarm.clock,
      verify,
    });
    expect(texts(report)).toEqual(['a1', 'a2', 'a3']); // bob's message expired at NOW + 5
    expect(report.contacts.map((r) => [r.status, r.outboxSeq])).toEqual([
      ['delivered', 2],
      ['empty', 0],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

const msg = (seq: number, ts: number, text: string, expiry = NOW + 1000): OutboxMessageInit => ({
  seq: BigInt(seq),
  timestamp: BigInt(ts),
  expiry: BigInt(expiry),
  sender: 'a',
  recipient: 'b',
  ciphertext: new TextEncoder().encode(text),
});

describe('classifyOutbox', () => {
  describe('nothing found: the likely holders decide between not-found and timeout (holders-unreachable)', () => {
    const key = outboxInfoHash(fp('s'), ME);
    const base = { key, nowSeconds: BigInt(NOW), verify };
    /** Node id at XOR distance `d` (first byte) from the key: smaller d = closer. */
    const at = (d: number): Uint8Array =>
      Uint8Array.from({ length: 20 }, (_, j) => key[j]! ^ (j === 0 ? d : 0));
    const range = (from: number, n: number): Uint8Array[] =>
      Array.from({ length: n }, (_, i) => at(from + i));

    test('likelyHolders: the replication closest nodes among answered and failed, counted per group', () => {
      expect(likelyHolders(key, range(8, 8), range(0, 8))).toEqual({ answered: 0, unanswered: 8 });
      expect(likelyHolders(key, range(0, 8), range(8, 8))).toEqual({ answered: 8, unanswered: 0 });
      expect(likelyHolders(key, [at(1), at(3), at(5)], [at(0), at(2), at(4)], 4)).toEqual({
        answered: 2,
        unanswered: 2,
      });
      expect(likelyHolders(key, [at(9)], [], 8)).toEqual({ answered: 1, unanswered: 0 });
    });

    test('all 8 holders gone → timeout holders-unreachable; 5 of 8 answered → not-found; absenceQuorum 8 → any gap is a timeout', () => {
      const cut = classifyOutbox({ values: [], closest: range(8, 8), failed: range(0, 8) }, base);
      expect(cut).toMatchObject({ status: 'timeout', reason: 'holders-unreachable' });
      const most = classifyOutbox({ values: [], closest: range(3, 8), failed: range(0, 3) }, base);
      expect(most.status).toBe('not-found'); // 5 of the 8 likely holders answered: ≥ ⌈8/2⌉
      const half = classifyOutbox({ values: [], closest: range(4, 8), failed: range(0, 4) }, base);
      expect(half.status).toBe('not-found'); // exactly 4 = the default quorum
      const less = classifyOutbox({ values: [], closest: range(5, 8), failed: range(0, 5) }, base);
      expect(less).toMatchObject({ status: 'timeout', reason: 'holders-unreachable' });
      const strict = classifyOutbox(
        { values: [], closest: range(1, 8), failed: [at(0)] },
        { ...base, absenceQuorum: 8 },
      );
      expect(strict).toMatchObject({ status: 'timeout', reason: 'holders-unreachable' });
      // Failed nodes farther than the k-th answering node do not matter.
      const far = classifyOutbox({ values: [], closest: range(0, 8), failed: range(100, 20) }, base);
      expect(far.status).toBe('not-found');
      // Without the failed list (a DHT that does not report it), nothing found is not-found.
      expect(classifyOutbox({ values: [], closest: range(8, 8) }, base).status).toBe('not-found');
    });
  });

  const key = outboxInfoHash(fp('s'), ME);
  const value = (seq: number, messages: OutboxMessageInit[], who = 's'): SignedValue =>
    signValue(key, { id: 1n, seq, data: encodeOutbox(messages) }, sk(who));
  const base = { key, nowSeconds: BigInt(NOW), verify };

  test('messages sorted by (seq, timestamp) whatever their order in the value; exact duplicates, watermarked and expired dropped', () => {
    const v = value(4, [
      msg(5, 50, 'e'),
      msg(2, 20, 'b'),
      msg(2, 10, 'a'),
      msg(9, 1, 'old', NOW - 1),
      msg(3, 30, 'c'),
      msg(5, 50, 'e'),
      { ...msg(0, 5, 'v1'), version: 1 },
      msg(1, 1, 'seen'),
    ]);
    const c = classifyOutbox({ values: [v] }, { ...base, watermark: 1n });
    expect(c.status).toBe('delivered');
    expect(texts(c)).toEqual(['a', 'b', 'c', 'e']);
    expect([c.expired, c.duplicates, c.belowWatermark, c.outboxSeq]).toEqual([1, 1, 2, 4]);
    const noMark = classifyOutbox({ values: [v] }, base);
    expect(texts(noMark)).toEqual(['v1', 'seen', 'a', 'b', 'c', 'e']);
  });

  test('the newest valid value wins whatever the order values arrive in; other value ids are ignored', () => {
    const v1 = value(1, [msg(1, 1, 'one')]);
    const v2 = value(2, [msg(1, 1, 'one'), msg(2, 2, 'two')]);
    const other = { id: 7n, seq: 99, data: Uint8Array.of(1) };
    for (const values of [
      [v1, v2, other],
      [v2, v1],
      [other, v1, v2],
    ])
      expect(texts(classifyOutbox({ values }, base))).toEqual(['one', 'two']);
  });

  test('malformed, unreachable and not-found are told apart', () => {
    const good = value(0, [msg(1, 1, 'x')]);
    const forged = { ...good, data: Uint8Array.of(0, 0, 0, 0) };
    expect(classifyOutbox({ values: [forged] }, base)).toMatchObject({
      status: 'malformed',
      reason: 'signature',
      error: { name: 'OutboxOwnerError', field: 'signature' },
    });
    expect(classifyOutbox({ values: [], rejected: 3 }, base)).toMatchObject({
      status: 'malformed',
      reason: 'signature',
      rejectedValues: 3,
    });
    expect(
      classifyOutbox({ values: [good] }, { ...base, owner: ed25519.getPublicKey(sk('x')) }),
    ).toMatchObject({
      status: 'malformed',
      reason: 'owner',
      error: { name: 'OutboxOwnerError', field: 'owner' },
    });
    const garbage = signValue(key, { id: 1n, seq: 0, data: Uint8Array.of(0, 0, 0, 2) }, sk('s'));
    expect(classifyOutbox({ values: [garbage] }, base)).toMatchObject({
      status: 'malformed',
      reason: 'decode',
      error: { name: 'OutboxDecodeError', field: 'magic' },
    });
    expect(classifyOutbox({ values: [], closest: [], rejected: 0 }, base)).toMatchObject({
      status: 'timeout',
      reason: 'unreachable',
    });
    expect(classifyOutbox({ values: [], closest: [new Uint8Array(20)] }, base).status).toBe('not-found');
    expect(classifyOutbox({ values: [], aborted: true }, base)).toMatchObject({
      status: 'timeout',
      reason: 'aborted',
    });
    // Nothing found, but the likely holders did not answer: not 'not-found' (see the holders tests).
    const ids = Array.from({ length: 12 }, (_, i) =>
      Uint8Array.from({ length: 20 }, (_, j) => key[j]! ^ (j === 0 ? i : 0)),
    );
    expect(
      classifyOutbox({ values: [], closest: ids.slice(8), failed: ids.slice(0, 8) }, base),
    ).toMatchObject({
      status: 'timeout',
      reason: 'holders-unreachable',
    });
    // A forged copy next to a good one does not hide the good one.
    expect(classifyOutbox({ values: [forged, good], rejected: 2 }, base)).toMatchObject({
      status: 'delivered',
      rejectedValues: 3,
    });
  });
});

// ---------------------------------------------------------------------------------------------

/** A stub DHT whose get for contact `name` takes `delays[name]` ms (default 100) and returns `values[name]`. */
function stub(
  clock: VirtualClock,
  spec: { delays?: Record<string, number>; values?: Record<string, DhtValue[]>; throws?: string[] } = {},
): DhtGetter & { calls: string[]; aborted: string[]; byKey: Map<string, string> } {
  const byKey = new Map<string, string>();
  const name = (key: Uint8Array): string => byKey.get(Buffer.from(key).toString('hex')) ?? '?';
  for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'slow'])
    byKey.set(Buffer.from(outboxInfoHash(fp(n), ME)).toString('hex'), n);
  const calls: string[] = [];
  const aborted: string[] = [];
  return {
    calls,
    aborted,
    byKey,
    async get(key, { signal }): Promise<DhtGetResultLike> {
      const n = name(key);
      calls.push(n);
      signal?.addEventListener('abort', () => aborted.push(n), { once: true });
      if (spec.throws?.includes(n)) throw new Error(`boom ${n}`);
      await clock.sleep(spec.delays?.[n] ?? 100, signal);
      return { values: spec.values?.[n] ?? [], closest: [new Uint8Array(20)] };
    },
  };
}

const outboxOf = (name: string, texts: string[]): DhtValue[] => {
  const key = outboxInfoHash(fp(name), ME);
  return [
    signValue(
      key,
      {
        id: 1n,
        seq: 0,
        data: encodeOutbox(texts.map((t, i) => ({ ...msg(i + 1, i, t), sender: fp(name), recipient: ME }))),
      },
      sk(name),
    ) as DhtValue,
  ];
};

describe('timeouts, deadline, errors, abort (stub DHT, virtual time)', () => {
  test('each contact gets its own outcome: query-timeout, deadline, a throwing get as status error (not a timeout), delivered', async () => {
    const clock = new VirtualClock();
    const dht = stub(clock, {
      delays: { slow: 60_000, b: 2_000, c: 9_000 },
      throws: ['d'],
      values: { a: outboxOf('a', ['hi']) },
    });
    const report = await retrieveOfflineMessages(['a', 'slow', 'b', 'c', 'd'].map(fp), {
      recipient: ME,
      dht,
      nowSeconds: NOW,
      clock,
      queryTimeoutMs: 5_000,
      deadlineMs: 8_000,
    });
    expect(report.contacts.map((r) => [r.status, r.reason])).toEqual([
      ['delivered', undefined],
      ['timeout', 'query-timeout'],
      ['not-found', undefined],
      ['timeout', 'query-timeout'],
      ['error', undefined],
    ]);
    expect(report.contacts[4]!.error).toMatchObject({ message: 'boom d' });
    expect(report.counts).toMatchObject({ error: 1, timeout: 2 });
    expect(report.elapsedMs).toBe(5_000);
    const tight = await retrieveOfflineMessages(['a', 'slow'].map(fp), {
      recipient: ME,
      dht,
      nowSeconds: NOW,
      clock,
      queryTimeoutMs: Infinity,
      deadlineMs: 1_000,
    });
    expect(tight.contacts.map((r) => [r.status, r.reason, r.settledAt - r.startedAt!])).toEqual([
      ['delivered', undefined, 100],
      ['timeout', 'deadline', 1_000],
    ]);
  });

  test('abort: unsettled contacts are reported as timeout (aborted), none dropped', async () => {
    const clock = new VirtualClock();
    const dht = stub(clock, { delays: { b: 5_000 } });
    const ctl = new AbortController();
    clock.setTimer(() => ctl.abort(new Error('user')), 1_000);
    const report = await retrieveOfflineMessages(['a', 'b'].map(fp), {
      recipient: ME,
      dht,
      nowSeconds: NOW,
      clock,
      signal: ctl.signal,
    });
    expect(report.contacts.map((r) => [r.status, r.reason])).toEqual([
      ['not-found', undefined],
      ['timeout', 'aborted'],
    ]);
  });

  test('progressive results: yielded in completion order, each at its own time; early completion at 70 %', async () => {
    const clock = new VirtualClock();
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    const delays = Object.fromEntries(names.map((n, i) => [n, (10 - i) * 100]));
    const dht = stub(clock, { delays });
    const seen: Array<[string, number]> = [];
    const run = retrieveOfflineMessages(names.map(fp), {
      recipient: ME,
      dht,
      nowSeconds: NOW,
      clock,
      earlyCompletion: 0.7,
    });
    for await (const r of run) seen.push([names[r.index]!, clock.now()]);
    const report = await run;
    expect(seen.slice(0, 7)).toEqual(
      names
        .slice(3)
        .reverse()
        .map((n) => [n, delays[n]]),
    );
    expect(
      seen
        .slice(7)
        .map(([n]) => n)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(report.earlyCompleted).toBe(true);
    expect(report.elapsedMs).toBe(700);
    expect(report.contacts.slice(0, 3).map((r) => [r.status, r.reason])).toEqual(
      Array(3).fill(['timeout', 'early-completion']),
    );
    expect(dht.aborted.sort()).toEqual(['a', 'b', 'c']); // their gets were told to stop
  });

  test('no state outlives the call: late answers change nothing, every get is aborted or done, no callback after the report', async () => {
    const clock = new VirtualClock();
    const dht = stub(clock, { delays: { b: 3_000, c: 4_000 }, values: { b: outboxOf('b', ['late']) } });
    const results: ContactResult[] = [];
    const report = await retrieveOfflineMessages(['a', 'b', 'c'].map(fp), {
      recipient: ME,
      dht,
      nowSeconds: NOW,
      clock,
      deadlineMs: 1_000,
      onResult: (r) => results.push(r),
    });
    const snapshot = JSON.stringify(report.contacts, (_k, v: unknown) =>
      typeof v === 'bigint' ? String(v) : v,
    );
    expect(inflightLookups(dht)).toBe(0);
    expect(dht.aborted.sort()).toEqual(['b', 'c']);
    await clock.sleep(10_000); // whatever was still scheduled has long fired
    expect(results.length).toBe(3);
    expect(JSON.stringify(report.contacts, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(
      snapshot,
    );
    expect(() => (report.contacts as ContactResult[]).push(results[0]!)).toThrow(TypeError);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('coalescing and the empty-outbox cache', () => {
  test('two overlapping retrievals share one get per outbox and report the same results', async () => {
    const clock = new VirtualClock();
    const dht = stub(clock, {
      delays: { a: 300, b: 500, c: 700 },
      values: { b: outboxOf('b', ['m1', 'm2']) },
    });
    const contacts = ['a', 'b', 'c'].map(fp);
    const first = retrieveOfflineMessages(contacts, { recipient: ME, dht, nowSeconds: NOW, clock });
    await clock.sleep(200);
    const second = retrieveOfflineMessages([...contacts].reverse(), {
      recipient: ME,
      dht,
      nowSeconds: NOW,
      clock,
    });
    expect(inflightLookups(dht)).toBe(3);
    const [r1, r2] = await Promise.all([first.result, second.result]);
    expect(dht.calls.sort()).toEqual(['a', 'b', 'c']);
    expect([r1.lookups, r1.joined, r2.lookups, r2.joined]).toEqual([3, 0, 0, 3]);
    const view = (r: typeof r1) =>
      [...r.bySender.values()]
        .map((c) => [c.sender, c.status, texts(c).join(',')])
        .sort((x, y) => x[0]!.localeCompare(y[0]!));
    expect(view(r2)).toEqual(view(r1));
    expect(r2.elapsedMs).toBe(500); // joined the gets in flight: done when they are
    expect(inflightLookups(dht)).toBe(0);
    // Without coalescing the second caller would have started its own gets.
    const again = stub(clock);
    await Promise.all([
      retrieveOfflineMessages(contacts, {
        recipient: ME,
        dht: again,
        nowSeconds: NOW,
        clock,
        coalesce: false,
      }).result,
      retrieveOfflineMessages(contacts, {
        recipient: ME,
        dht: again,
        nowSeconds: NOW,
        clock,
        coalesce: false,
      }).result,
    ]);
    expect(again.calls.length).toBe(6);
  });

  test('a caller giving up does not cancel a get another caller still waits for', async () => {
    const clock = new VirtualClock();
    const dht = stub(clock, { delays: { a: 1_000 }, values: { a: outboxOf('a', ['x']) } });
    const impatient = retrieveOfflineMessages([fp('a')], {
      recipient: ME,
      dht,
      nowSeconds: NOW,
      clock,
      deadlineMs: 300,
    });
    const patient = retrieveOfflineMessages([fp('a')], { recipient: ME, dht, nowSeconds: NOW, clock });
    const [r1, r2] = await Promise.all([impatient.result, patient.result]);
    expect([r1.contacts[0]!.status, r2.contacts[0]!.status]).toEqual(['timeout', 'delivered']);
    expect(dht.calls).toEqual(['a']);
    expect(dht.aborted).toEqual([]);
  });

  test('empty and absent outboxes are cached for the TTL; delivered, malformed and timeouts never are', async () => {
    const clock = new VirtualClock();
    const dht = stub(clock, { delays: { slow: 20_000 }, values: { b: outboxOf('b', ['x']) } });
    const cache = new EmptyOutboxCache({ clock });
    expect(cache.ttlMs).toBe(600_000);
    const contacts = ['a', 'b', 'slow'].map(fp);
    const opts = { recipient: ME, dht, nowSeconds: NOW, clock, cache, queryTimeoutMs: 1_000 };
    const r1 = await retrieveOfflineMessages(contacts, opts);
    expect(r1.contacts.map((r) => [r.status, r.cached])).toEqual([
      ['not-found', false],
      ['delivered', false],
      ['timeout', false],
    ]);
    expect(cache.size).toBe(1);
    const r2 = await retrieveOfflineMessages(contacts, opts);
    expect(r2.contacts.map((r) => [r.status, r.cached])).toEqual([
      ['not-found', true],
      ['delivered', false],
      ['timeout', false],
    ]);
    expect([r2.cacheHits, r2.lookups]).toEqual([1, 2]);
    expect(dht.calls.filter((n) => n === 'a').length).toBe(1);
    await clock.sleep(600_000);
    await retrieveOfflineMessages([fp('a')], opts);
    expect(dht.calls.filter((n) => n === 'a').length).toBe(2);
    cache.invalidate(ME);
    expect(cache.size).toBe(0);
  });

  test('a get that throws is status error (typed error kept), counted apart from timeouts, never cached; rejectedValues summed', async () => {
    const clock = new VirtualClock();
    const forged = { ...outboxOf('c', ['x'])[0]!, data: Uint8Array.of(0, 0, 0, 0) };
    const dht = stub(clock, { throws: ['a'], values: { c: [forged] } });
    const inner: DhtGetter = {
      get: async (key, o) => ({ ...(await dht.get(key, o)), rejected: 2 }),
    };
    const cache = new EmptyOutboxCache({ clock });
    const report = await retrieveOfflineMessages(['a', 'b', 'c'].map(fp), {
      recipient: ME,
      dht: inner,
      nowSeconds: NOW,
      clock,
      cache,
    });
    expect(report.contacts.map((r) => [r.status, r.reason])).toEqual([
      ['error', undefined],
      ['malformed', 'signature'],
      ['malformed', 'signature'],
    ]);
    expect(report.contacts[0]!.error).toMatchObject({ message: 'boom a' });
    expect(report.counts).toMatchObject({ error: 1, timeout: 0, malformed: 2 });
    expect(report.rejectedValues).toBe(2 + 3); // b: 2 dropped by the DHT; c: 2 + the forged one here
    expect(cache.size).toBe(0);
  });

  test('bad input is refused before any traffic, with a typed error naming the field', () => {
    const clock = new VirtualClock();
    const dht = stub(clock);
    const o = { recipient: ME, dht, nowSeconds: NOW, clock };
    expect(() => retrieveOfflineMessages(['nope'], o)).toThrow(
      expect.objectContaining({ name: 'FingerprintError', field: 'contacts[0]' }),
    );
    expect(() => retrieveOfflineMessages([fp('a')], { ...o, recipient: 'x' })).toThrow(
      expect.objectContaining({ field: 'recipient' }),
    );
    expect(() => retrieveOfflineMessages([fp('a'), fp('a')], o)).toThrow(
      expect.objectContaining({ name: 'RetrievalOptionError', field: 'contacts[1]' }),
    );
    for (const [field, bad] of [
      ['concurrency', { concurrency: 0 }],
      ['queryTimeoutMs', { queryTimeoutMs: -1 }],
      ['deadlineMs', { deadlineMs: 0 }],
      ['earlyCompletion', { earlyCompletion: 1.5 }],
      ['nowSeconds', { nowSeconds: -5 }],
      ['replication', { replication: 0 }],
      ['absenceQuorum', { absenceQuorum: 9 }],
      ['absenceQuorum', { replication: 3, absenceQuorum: 4 }],
    ] as const)
      expect(() => retrieveOfflineMessages([fp('a')], { ...o, ...bad })).toThrow(
        expect.objectContaining({ field }),
      );
    expect(() => new EmptyOutboxCache({ ttlMs: 0, clock: new VirtualClock() })).toThrow(
      expect.objectContaining({ field: 'ttlMs' }),
    );
    expect(dht.calls).toEqual([]);
  });
});
