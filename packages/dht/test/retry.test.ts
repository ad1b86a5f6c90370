/**
 * Opt-in retry of outbox gets (seed 002, "No retry logic: failed queries don't retry"), on
 * fanOut's retry, in virtual time over a scripted stub DHT.
 */
import { VirtualClock } from '@fanout/core';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { describe, expect, test } from 'vitest';
import {
  OutboxLookupIncompleteError,
  encodeOutbox,
  outboxInfoHash,
  retrieveOfflineMessages,
  signValue,
  type DhtGetResultLike,
  type DhtGetter,
  type DhtValueLike,
  type OfflineRetrieveOptions,
} from '../src/index.js';

const fp = (name: string): string => Buffer.from(sha3_512(new TextEncoder().encode(name))).toString('hex');
const sk = (name: string): Uint8Array => sha3_512(new TextEncoder().encode(`sk:${name}`)).slice(0, 32);
const ME = fp('me');
const NOW = 1_700_000_000;
const NAMES = ['a', 'b', 'c'];

function outboxOf(name: string, text: string): DhtValueLike[] {
  const key = outboxInfoHash(fp(name), ME);
  const data = encodeOutbox([
    {
      seq: 1n,
      timestamp: BigInt(NOW),
      expiry: BigInt(NOW + 1000),
      sender: fp(name),
      recipient: ME,
      ciphertext: new TextEncoder().encode(text),
    },
  ]);
  return [signValue(key, { id: 1n, seq: 0, data }, sk(name))];
}

/** What one get of a contact does: throw, hang for `ms`, answer with nobody near the key, or answer. */
type Step = 'throw' | { hang: number } | 'holders-gone' | 'found' | 'absent';

const node = (b: number): Uint8Array => new Uint8Array(20).fill(b);

/**
 * A DHT whose gets follow a script per contact (the last step repeats); every get takes 100 ms
 * unless it hangs. Records the clock time of each get.
 */
function scripted(
  clock: VirtualClock,
  script: Record<string, Step[]>,
): DhtGetter & { starts: Record<string, number[]> } {
  const byKey = new Map(NAMES.map((n) => [Buffer.from(outboxInfoHash(fp(n), ME)).toString('hex'), n]));
  const starts: Record<string, number[]> = {};
  return {
    starts,
    async get(key, { signal }): Promise<DhtGetResultLike> {
      const n = byKey.get(Buffer.from(key).toString('hex'))!;
      const seen = (starts[n] ??= []);
      const steps = script[n] ?? ['absent'];
      const step = steps[Math.min(seen.length, steps.length - 1)]!;
      seen.push(clock.now());
      if (step === 'throw') throw new Error(`transport error for ${n}`);
      await clock.sleep(typeof step === 'object' ? step.hang : 100, signal);
      if (step === 'found') return { values: outboxOf(n, `hi ${n}`), closest: [node(1)], failed: [] };
      if (step === 'holders-gone') return { values: [], closest: [node(1)], failed: range(2, 8) };
      return { values: [], closest: range(2, 8), failed: [] };
    },
  };
}

const range = (from: number, n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => node(from + i));

function run(
  clock: VirtualClock,
  dht: DhtGetter,
  extra: Partial<OfflineRetrieveOptions> = {},
): ReturnType<typeof retrieveOfflineMessages> {
  return retrieveOfflineMessages(NAMES.map(fp), {
    recipient: ME,
    dht,
    nowSeconds: NOW,
    clock,
    queryTimeoutMs: 1_000,
    ...extra,
  });
}

describe('retry of outbox gets (opt-in, virtual time)', () => {
  const flaky = {
    a: ['throw', 'found'],
    b: [{ hang: 60_000 }, 'found'],
    c: ['holders-gone', 'found'],
  } satisfies Record<string, Step[]>;

  test('off (default): a get that fails once is error / timeout, one get per contact', async () => {
    const clock = new VirtualClock();
    const report = await run(clock, scripted(clock, flaky));
    expect(report.contacts.map((r) => [r.status, r.reason, r.attempts])).toEqual([
      ['error', undefined, 1],
      ['timeout', 'query-timeout', 1],
      ['timeout', 'holders-unreachable', 1],
    ]);
    expect(report.contacts[0]!.error).toMatchObject({ message: 'transport error for a' });
    expect([report.attempts, report.retries]).toEqual([3, 0]);
  });

  test('on: the same gets, retried once, are delivered; attempts counted per contact and in total', async () => {
    const clock = new VirtualClock();
    const dht = scripted(clock, flaky);
    const report = await run(clock, dht, { retry: { attempts: 2, backoff: 250 } });
    expect(report.contacts.map((r) => [r.status, r.attempts])).toEqual([
      ['delivered', 2],
      ['delivered', 2],
      ['delivered', 2],
    ]);
    expect(report.messages.map((m) => new TextDecoder().decode(m.ciphertext))).toEqual([
      'hi a',
      'hi b',
      'hi c',
    ]);
    expect([report.attempts, report.retries]).toEqual([6, 3]);
    // The second get starts after the first ended plus the backoff (virtual ms).
    expect(dht.starts).toEqual({ a: [0, 250], b: [0, 1_250], c: [0, 350] });
    expect(report.elapsedMs).toBe(1_350);
  });

  test('retries exhausted: the last get decides (error, query-timeout, holders-unreachable)', async () => {
    const clock = new VirtualClock();
    const dht = scripted(clock, { a: ['throw'], b: [{ hang: 60_000 }], c: ['holders-gone'] });
    const report = await run(clock, dht, { retry: { attempts: 3 } });
    expect(report.contacts.map((r) => [r.status, r.reason, r.attempts])).toEqual([
      ['error', undefined, 3],
      ['timeout', 'query-timeout', 3],
      ['timeout', 'holders-unreachable', 3],
    ]);
    expect(report.contacts[2]!.error).toBeUndefined();
    expect([report.attempts, report.retries]).toEqual([9, 6]);
  });

  test('never retried: not-found and delivered; `when` can refuse; the deadline still holds', async () => {
    const clock = new VirtualClock();
    const dht = scripted(clock, { a: ['absent'], b: ['found'], c: ['holders-gone', 'found'] });
    const seen: string[] = [];
    const report = await run(clock, dht, {
      retry: {
        attempts: 5,
        when: (e) => {
          seen.push((e as Error).name);
          return !(e instanceof OutboxLookupIncompleteError);
        },
      },
    });
    expect(report.contacts.map((r) => [r.status, r.reason, r.attempts])).toEqual([
      ['not-found', undefined, 1],
      ['delivered', undefined, 1],
      ['timeout', 'holders-unreachable', 1],
    ]);
    expect(seen).toEqual(['OutboxLookupIncompleteError']);

    const late = scripted(clock, { a: [{ hang: 60_000 }] });
    const cut = await run(clock, late, { retry: { attempts: 10 }, deadlineMs: 2_500 });
    expect(cut.contacts[0]).toMatchObject({ status: 'timeout', reason: 'deadline', attempts: 3 });
    expect(late.starts.a!.map((t) => t - late.starts.a![0]!)).toEqual([0, 1_000, 2_000]);
  });

  test('bad retry options are refused with the field named, before any get', () => {
    const clock = new VirtualClock();
    const dht = scripted(clock, {});
    for (const [field, retry] of [
      ['retry.attempts', { attempts: 0 }],
      ['retry.attempts', { attempts: 1.5 }],
      ['retry.backoff', { attempts: 2, backoff: -1 }],
      ['retry.backoff', { attempts: 2, backoff: Infinity }],
      ['retry.when', { attempts: 2, when: 'always' }],
    ] as const)
      expect(() => run(clock, dht, { retry: retry as never })).toThrow(
        expect.objectContaining({ name: 'RetrievalOptionError', field }),
      );
    expect(dht.starts).toEqual({});
  });
});
