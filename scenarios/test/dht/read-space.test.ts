/**
 * The oracle's read enumeration (read-space.ts) against the plain definition: every combination
 * of the relevant nodes' states, each read summarised on its own, weights summed per summary.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { K } from '../../src/dht/contacts.js';
import {
  ABSENT,
  CORRUPT,
  SILENT,
  STATE_CODE,
  enumerateReads,
  summaryKey,
  unpackSummary,
  type Holding,
  type ReadSpace,
  type StateOption,
} from '../../src/dht/read-space.js';

/** The read of one combination (`states[n]` for every node), as the oracle defines it. */
function summariseOne(space: ReadSpace, states: readonly number[]): number {
  let newest = -1;
  let corrupt = false;
  const h0 = space.holdingOf[0]!;
  if (h0 >= 0) {
    if (states[0] === CORRUPT) corrupt = true;
    else newest = h0;
  }
  let reachable = 0;
  let positions = 0;
  let likely = 0;
  let silentSeen = 0;
  let front = 0;
  for (const n of space.order) {
    const s = states[n]!;
    if (s === ABSENT) continue;
    if (positions < K) {
      positions++;
      if (s !== SILENT) likely++;
    }
    if (s === SILENT) silentSeen++;
    else if (reachable < K) {
      const h = space.holdingOf[n]!;
      if (h >= 0) {
        if (s === CORRUPT) corrupt = true;
        else if (newest < 0 || space.holdings[h]!.seq > space.holdings[newest]!.seq) newest = h;
      }
      reachable++;
      front = silentSeen;
    }
    if (reachable >= K && positions >= K) break;
  }
  return summaryKey(newest, corrupt, likely, front);
}

/** Every combination of the relevant nodes' options, in order, each summarised. */
function bruteForce(space: ReadSpace): Map<number, number> {
  const states = space.options.map((o) => STATE_CODE[o[0]!.state]);
  const acc = new Map<number, number>();
  const visit = (k: number, w: number): void => {
    if (w === 0) return;
    if (k === space.relevant.length) {
      const key = summariseOne(space, states);
      acc.set(key, (acc.get(key) ?? 0) + w);
      return;
    }
    const n = space.relevant[k]!;
    for (const o of space.options[n]!) {
      states[n] = STATE_CODE[o.state];
      visit(k + 1, w * o.p);
    }
    states[n] = STATE_CODE[space.options[n]![0]!.state];
  };
  visit(0, 1);
  return acc;
}

/** The option sets the oracle gives nodes (oracle.ts optionsOf), with loss q. */
const optionSet = (q: number): fc.Arbitrary<StateOption[]> =>
  fc.constantFrom<StateOption[]>(
    [{ state: 'answers', p: 1 }],
    [{ state: 'silent', p: 1 }],
    [{ state: 'corrupt', p: 1 }],
    [
      { state: 'answers', p: 1 },
      { state: 'silent', p: 1 },
    ],
    [
      { state: 'answers', p: 1 - q },
      { state: 'silent', p: q },
    ],
    [
      { state: 'corrupt', p: 1 - q },
      { state: 'silent', p: q },
    ],
    [
      { state: 'answers', p: 1 },
      { state: 'corrupt', p: 1 },
      { state: 'silent', p: 1 },
    ],
    [
      { state: 'answers', p: 1 - q },
      { state: 'silent', p: q },
      { state: 'absent', p: 1 },
    ],
    [
      { state: 'answers', p: 1 },
      { state: 'absent', p: 1 },
    ],
  );

const readSpace: fc.Arbitrary<ReadSpace> = fc
  .record({
    nodes: fc.integer({ min: 2, max: 24 }),
    q: fc.constantFrom(0.001, 0.03, 0.059, 0.5),
  })
  .chain(({ nodes, q }) =>
    fc.record({
      options: fc.array(optionSet(q), { minLength: nodes, maxLength: nodes }),
      holds: fc.array(fc.integer({ min: -1, max: 5 }), { minLength: nodes, maxLength: nodes }),
      seqs: fc.array(fc.nat(4), { minLength: 6, maxLength: 6 }),
      order: fc.shuffledSubarray(
        Array.from({ length: nodes - 1 }, (_, k) => k + 1),
        { minLength: nodes - 1, maxLength: nodes - 1 },
      ),
      readerSure: fc.boolean(),
    }),
  )
  .map(({ options, holds, seqs, order, readerSure }) => {
    if (readerSure) options[0] = [{ state: 'answers', p: 1 }];
    const holdings: Holding[] = seqs.map((seq, k) => ({ seq, signature: `s${k}` }));
    // The oracle's rule (oracle.ts #relevant): uncertain nodes, reader first, then closest first, at most 2^10 combinations.
    const relevant: number[] = [];
    let combinations = 1;
    for (const n of [0, ...order])
      if (options[n]!.length > 1 && combinations * options[n]!.length <= 1024) {
        relevant.push(n);
        combinations *= options[n]!.length;
      }
    return { order, relevant, options, holdingOf: Int32Array.from(holds), holdings };
  });

describe('read-space.ts: the oracle enumeration equals summarising every combination', () => {
  test('same summaries, first seen in the same order, same summed weights', () => {
    fc.assert(
      fc.property(readSpace, (space) => {
        const walked = enumerateReads(space);
        const plain = bruteForce(space);
        expect([...walked.keys()]).toEqual([...plain.keys()]);
        for (const [key, w] of plain) expect(walked.get(key)!).toBeCloseTo(w, 12);
      }),
      { numRuns: 300 },
    );
  });

  test('a summary key round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 2000 }), fc.boolean(), fc.nat(K), fc.nat(2000), (n, c, l, f) => {
        expect(unpackSummary(summaryKey(n, c, l, f))).toEqual({
          newest: n,
          corruptHolder: c,
          likely: l,
          front: f,
        });
      }),
    );
  });
});
