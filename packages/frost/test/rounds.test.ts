/**
 * The round machinery (sendRequests / collectResponsesOver over fanOut) with a scripted KvStore and
 * a trivial check, on a VirtualClock: no FROST crypto, so every case is cheap and exact in time.
 */
import { VirtualClock } from '@fanout/core';
import { describe, expect, it } from 'vitest';
import {
  PARALLEL_TIMEOUT_MS,
  ResponseNotFoundError,
  RoundOptionError,
  SEQUENTIAL_TIMEOUT_MS,
  collectResponsesOver,
  isPermanentPutError,
  resolveRoundOptions,
  sealedFromEnvelopeUr,
  sealedToEnvelopeUr,
  sendRequests,
  sendRequestsProceeding,
  type FrostKv,
  type FrostKvGetOptions,
  type Outbound,
  type ResponseCheck,
  type RoundEvent,
} from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Where and when a scripted value appears, and how gets fail. */
interface Script {
  /** Value text appearing at ARID `arid` at time `at` (ms). */
  values?: Record<string, { at: number; text: string }>;
  /** Gets of this ARID throw a transport error until this time (ms). */
  downUntil?: Record<string, number>;
  /** Gets of this ARID return null at once (the store's own deadline). */
  nullFor?: string[];
}

/** A KvStore whose values appear on a schedule; gets poll every 1000 ms like Hubert's server. */
class ScriptedKv implements FrostKv {
  readonly puts: { arid: string; at: number }[] = [];
  putFailures = new Map<string, unknown[]>();
  constructor(
    readonly clock: VirtualClock,
    readonly script: Script,
  ) {}
  async put(arid: string, envelope: string): Promise<string> {
    const queue = this.putFailures.get(arid);
    const failure = queue?.shift();
    if (failure !== undefined) throw failure;
    this.puts.push({ arid, at: this.clock.now() });
    void envelope;
    return 'Stored successfully';
  }
  async get(arid: string, options: FrostKvGetOptions = {}): Promise<string | null> {
    const start = this.clock.now();
    const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
    for (;;) {
      options.signal?.throwIfAborted();
      if (this.script.nullFor?.includes(arid)) return null;
      if ((this.script.downUntil?.[arid] ?? -1) > this.clock.now())
        throw new Error('Network error: connection refused');
      const v = this.script.values?.[arid];
      if (v !== undefined && v.at <= this.clock.now()) return sealedToEnvelopeUr(enc.encode(v.text));
      if (this.clock.now() - start >= timeoutMs) return null;
      await this.clock.sleep(1000, options.signal);
    }
  }
}

/** Response text → verdict: "ok:<x>", "no:<reason>", anything else an error. */
function check(_xid: string, sealed: Uint8Array): ResponseCheck<string> {
  const text = dec.decode(sealed);
  if (text.startsWith('ok:')) return { kind: 'success', value: text.slice(3) };
  if (text.startsWith('no:')) return { kind: 'rejected', reason: text.slice(3), accused: [] };
  return { kind: 'error', error: new Error(`bad response ${text}`) };
}

const targets = ['a', 'b', 'c', 'd'].map((xid) => ({ xid, arid: `arid-${xid}` }));

describe('collect phase (parallel fetch over fanOut)', () => {
  it('sorts outcomes into successes, rejections, errors and timeouts keyed by participant (600 s default)', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, {
      values: {
        'arid-a': { at: 5_000, text: 'ok:A' },
        'arid-b': { at: 2_000, text: 'no:Busy right now' },
        'arid-c': { at: 1_000, text: 'garbage' },
      },
    });
    const events: RoundEvent[] = [];
    const o = resolveRoundOptions({ kv, clock, onEvent: (e) => events.push(e) });
    expect(o.timeoutMs).toBe(PARALLEL_TIMEOUT_MS);
    const r = await collectResponsesOver(o, 'dkg round1', targets, check);
    expect(r.successes).toEqual([{ xid: 'a', value: 'A' }]);
    expect(r.rejections).toEqual([{ xid: 'b', reason: 'Busy right now', accused: [] }]);
    expect(r.errors.map((e) => [e.xid, e.error.message])).toEqual([['c', 'bad response garbage']]);
    expect(r.timeouts).toEqual(['d']);
    expect(r.byParticipant.get('d')).toMatchObject({ status: 'timeout', reason: 'no response within 600 s' });
    // Parallel: the phase lasts as long as its slowest participant (d, cut at the timeout).
    expect(r.elapsedMs).toBe(PARALLEL_TIMEOUT_MS);
    expect(r.byParticipant.get('a')!.durationMs).toBe(5_000);
    expect(events[0]).toMatchObject({
      type: 'phase-start',
      round: 'dkg round1',
      phase: 'collect',
      mode: 'parallel',
    });
    expect(events.at(-1)).toMatchObject({ type: 'phase-end' });
    expect(events.filter((e) => e.type === 'participant-settled')).toHaveLength(4);
  });

  it('sequential mode: one participant after the other, 30 s each by default, time ≈ sum', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, {
      values: {
        'arid-a': { at: 10_000, text: 'ok:A' },
        'arid-b': { at: 0, text: 'ok:B' },
        'arid-c': { at: 25_000, text: 'ok:C' },
      },
    });
    const o = resolveRoundOptions({ kv, clock, mode: 'sequential' });
    expect(o.timeoutMs).toBe(SEQUENTIAL_TIMEOUT_MS);
    const r = await collectResponsesOver(o, 'sign round2', targets.slice(0, 3), check);
    expect(r.successes.map((s) => s.xid)).toEqual(['a', 'b', 'c']);
    // a: 10 s; b: already there at 10 s; c: appears at 25 s → found by the poll at 25 s.
    expect(r.elapsedMs).toBe(25_000);
    const par = await collectResponsesOver(
      resolveRoundOptions({ kv, clock }),
      'sign round2',
      targets.slice(0, 3),
      check,
    );
    expect(par.elapsedMs).toBe(0); // everything is there by now
  });

  it('quorum exit: stops at the k-th success, cancels the rest, lists successes in arrival order', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, {
      values: {
        'arid-a': { at: 9_000, text: 'ok:A' },
        'arid-b': { at: 3_000, text: 'ok:B' },
        'arid-c': { at: 600_000_000, text: 'ok:C' },
        'arid-d': { at: 1_000, text: 'ok:D' },
      },
    });
    const r = await collectResponsesOver(resolveRoundOptions({ kv, clock }), 'sign round1', targets, check, {
      quorum: 2,
    });
    expect(r.quorumMet).toBe(true);
    expect(r.arrivalOrder).toEqual(['d', 'b']);
    expect(r.successes.map((s) => s.xid)).toEqual(['d', 'b']);
    expect([...r.cancelled].sort()).toEqual(['a', 'c']);
    expect(r.elapsedMs).toBe(3_000);
    expect(r.byParticipant.get('c')).toMatchObject({ status: 'cancelled', reason: 'quorum' });
  });

  it('retries a get that fails at the transport level; a persistent failure ends as a timeout naming the error', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, {
      values: { 'arid-a': { at: 0, text: 'ok:A' }, 'arid-b': { at: 0, text: 'ok:B' } },
      downUntil: { 'arid-a': 4_500, 'arid-b': Number.POSITIVE_INFINITY },
    });
    const retries: string[] = [];
    const o = resolveRoundOptions({
      kv,
      clock,
      timeoutMs: 20_000,
      onEvent: (e) => {
        if (e.type === 'participant-retry') retries.push(e.xid);
      },
    });
    const r = await collectResponsesOver(o, 'dkg round2', targets.slice(0, 2), check);
    expect(r.successes.map((s) => s.xid)).toEqual(['a']);
    expect(r.byParticipant.get('a')!.durationMs).toBe(5_000);
    expect(r.timeouts).toEqual(['b']);
    expect(r.byParticipant.get('b')!.reason).toBe(
      'no response within 20 s (last error: Network error: connection refused)',
    );
    expect(retries.filter((x) => x === 'a')).toHaveLength(5);
  });

  it('a get that ends with nothing is an error (ResponseNotFoundError), not a timeout', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, { nullFor: ['arid-a'] });
    const r = await collectResponsesOver(
      resolveRoundOptions({ kv, clock }),
      'dkg finalize',
      targets.slice(0, 1),
      check,
    );
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.error).toBeInstanceOf(ResponseNotFoundError);
    expect(r.errors[0]!.error.message).toBe('Value not found within 601 seconds');
  });

  it('the signal aborts in-flight gets: unsettled participants are cancelled and the report says aborted', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, { values: { 'arid-a': { at: 1_000, text: 'ok:A' } } });
    const ac = new AbortController();
    clock.setTimer(() => ac.abort(new Error('Ctrl-C')), 2_500);
    const r = await collectResponsesOver(
      resolveRoundOptions({ kv, clock, signal: ac.signal }),
      'dkg round1',
      targets,
      check,
    );
    expect(r.aborted).toBe(true);
    expect(r.successes.map((s) => s.xid)).toEqual(['a']);
    expect([...r.cancelled].sort()).toEqual(['b', 'c', 'd']);
    expect(r.elapsedMs).toBe(2_500);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('send phase (parallel puts)', () => {
  const requests: Outbound[] = ['a', 'b', 'c'].map((to) => ({
    to,
    arid: `req-${to}`,
    type: 'dkgInvite',
    sealed: enc.encode(`invite ${to}`),
  }));
  const already = Object.assign(new Error('ur:arid/x already exists'), { name: 'AlreadyExistsError' });

  it('puts every request as an envelope leaf; retries transport errors; AlreadyExists after a retry counts as stored', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, {});
    kv.putFailures.set('req-a', [new Error('Network error: reset'), already]);
    kv.putFailures.set('req-b', [already]);
    const r = await sendRequests(resolveRoundOptions({ kv, clock }), 'dkg invite', requests);
    expect(r.successes.map((s) => [s.xid, s.value]).sort()).toEqual([
      ['a', 'stored by an earlier attempt'],
      ['c', 'Stored successfully'],
    ]);
    // A conflict on the first attempt is a real conflict: an error of that participant.
    expect(r.errors.map((e) => e.xid)).toEqual(['b']);
    expect(r.byParticipant.get('a')!.durationMs).toBe(1_000);
    expect(kv.puts.map((p) => p.arid).sort()).toEqual(['req-c']);
  });

  it('gives up after putAttempts', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, {});
    kv.putFailures.set('req-a', [new Error('503'), new Error('503'), new Error('503')]);
    const r = await sendRequests(resolveRoundOptions({ kv, clock, putAttempts: 2 }), 'sign invite', requests);
    expect(r.errors.map((e) => [e.xid, e.error.message])).toEqual([['a', '503']]);
    expect(r.successes).toHaveLength(2);
  });

  it('a permanent put error (Mainline 1000-byte limit) is not retried: one attempt, the exact text', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, {});
    const tooBig = Object.assign(new Error('Value size 1456 exceeds DHT limit of 1000 bytes'), {
      name: 'ValueTooLargeError',
    });
    kv.putFailures.set('req-a', [tooBig, tooBig]);
    const r = await sendRequests(resolveRoundOptions({ kv, clock }), 'dkg invite', requests);
    expect(r.errors.map((e) => [e.xid, e.error.message])).toEqual([
      ['a', 'Value size 1456 exceeds DHT limit of 1000 bytes'],
    ]);
    expect(kv.putFailures.get('req-a')).toHaveLength(1); // tried once
    expect(clock.now()).toBe(0);
    expect(isPermanentPutError(tooBig)).toBe(true);
    expect(isPermanentPutError(new Error('Network error: reset'))).toBe(false);
  });

  it('proceeding send: returns once `need` are stored, the rest go on in the background (pending), events stop', async () => {
    const clock = new VirtualClock();
    const kv = new ScriptedKv(clock, {});
    const slowKv: FrostKv = {
      put: async (arid, envelope) => {
        await clock.sleep(arid === 'req-c' ? 600_000 : arid === 'req-b' ? 2000 : 1000);
        return kv.put(arid, envelope);
      },
      get: (arid, o) => kv.get(arid, o),
    };
    const events: RoundEvent[] = [];
    const o = resolveRoundOptions({ kv: slowKv, clock, onEvent: (e) => events.push(e) });
    const { sent, delivery } = await sendRequestsProceeding(o, 'sign invite', requests, 2);
    expect(clock.now()).toBe(2000);
    expect(sent.successes.map((x) => x.xid)).toEqual(['a', 'b']);
    expect(sent.pending).toEqual(['c']);
    expect(sent.byParticipant.has('c')).toBe(false);
    expect(events.at(-1)!.type).toBe('phase-end');
    const seen = events.length;
    const full = await delivery;
    expect(clock.now()).toBe(600_000);
    expect(full.successes.map((x) => x.xid)).toEqual(['a', 'b', 'c']);
    expect(full.pending).toBeUndefined();
    expect(events).toHaveLength(seen); // the background part is silent
    await expect(sendRequestsProceeding(o, 'sign invite', requests, 0)).rejects.toBeInstanceOf(
      RoundOptionError,
    );
  });

  it('envelope round trip of a sealed message', () => {
    const bytes = enc.encode('sealed bytes');
    expect(sealedFromEnvelopeUr(sealedToEnvelopeUr(bytes))).toEqual(bytes);
  });
});

describe('round options', () => {
  const clock = new VirtualClock();
  const kv = new ScriptedKv(clock, {});
  it.each([
    ['timeoutMs', { timeoutMs: 0 }],
    ['timeoutMs', { timeoutMs: Number.NaN }],
    ['retryIntervalMs', { retryIntervalMs: -1 }],
    ['putAttempts', { putAttempts: 0 }],
    ['putAttempts', { putAttempts: 1.5 }],
    ['ttlSeconds', { ttlSeconds: -3 }],
    ['mode', { mode: 'fast' as never }],
  ])('rejects a bad %s', (option, bad) => {
    expect(() => resolveRoundOptions({ kv, clock, ...bad })).toThrow(RoundOptionError);
    try {
      resolveRoundOptions({ kv, clock, ...bad });
    } catch (e) {
      expect((e as RoundOptionError).option).toBe(option);
    }
  });
});
