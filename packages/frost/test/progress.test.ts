/**
 * The progress display's text: the TTY frame (one line per participant, countdown footer) and the
 * non-interactive lines (`Waiting for N responses...`, one line per result).
 */
import { describe, expect, it } from 'vitest';
import {
  RoundBoard,
  plainLines,
  reasonSuffix,
  type ParticipantOutcome,
  type RoundEvent,
} from '../src/index.js';

const names = new Map([
  ['x-bob', 'Bob'],
  ['x-carol', 'Carol'],
  ['x-dan', 'Dan'],
]);
const start: RoundEvent = {
  type: 'phase-start',
  round: 'dkg round1',
  phase: 'collect',
  mode: 'parallel',
  at: 1_000,
  timeoutMs: 600_000,
  targets: [...names.keys()].map((xid) => ({ xid, arid: `arid-${xid}` })),
};
const settled = (o: Omit<ParticipantOutcome<unknown>, 'settledAt'>, at: number): RoundEvent => ({
  type: 'participant-settled',
  round: 'dkg round1',
  phase: 'collect',
  at,
  outcome: { ...o, settledAt: at },
});

describe('RoundBoard (TTY frame)', () => {
  it('shows ⏳ with a countdown, ✅, ❌ with the rejection reason, and a countdown footer', () => {
    const b = new RoundBoard(names);
    b.apply(start);
    for (const xid of names.keys())
      b.apply({ type: 'participant-start', round: 'dkg round1', phase: 'collect', xid, at: 1_000 });
    b.apply(settled({ xid: 'x-carol', status: 'success', durationMs: 4_000 }, 5_000));
    b.apply(
      settled({ xid: 'x-dan', status: 'rejected', reason: 'Busy right now', durationMs: 6_000 }, 7_000),
    );
    expect(b.frame(566_000)).toEqual([
      'dkg round1 — collecting 3 responses (parallel, timeout 600 s)',
      '⏳ Bob -35s',
      '✅ Carol (4.0 s)',
      '❌ Dan - Rejected: "Busy right now" (6.0 s)',
      '...waiting for 35 more seconds...',
    ]);
    b.apply(
      settled(
        { xid: 'x-bob', status: 'timeout', reason: 'no response within 600 s', durationMs: 600_000 },
        601_000,
      ),
    );
    b.apply({
      type: 'phase-end',
      round: 'dkg round1',
      phase: 'collect',
      at: 601_000,
      report: undefined as never,
    });
    const frame = b.frame(601_000);
    expect(frame[1]).toBe('❌ Bob - Timeout: no response within 600 s (600.0 s)');
    expect(frame.at(-1)).toBe('1/3 responses in 600.0 s');
    expect(b.ended).toBe(true);
  });

  it('puts count up (+Ns) and queued participants show as ·', () => {
    const b = new RoundBoard(names);
    b.apply({ ...start, phase: 'send', mode: 'sequential', timeoutMs: 30_000 });
    b.apply({ type: 'participant-start', round: 'dkg round1', phase: 'send', xid: 'x-bob', at: 1_000 });
    const f = b.frame(3_500);
    expect(f[0]).toBe('dkg round1 — sending 3 requests (sequential, timeout 30 s)');
    expect(f.slice(1)).toEqual(['⏳ Bob +2s', '· Carol', '· Dan', '...storing 1 request(s)...']);
  });

  it('a new phase resets the board; unknown XIDs show shortened', () => {
    const b = new RoundBoard();
    b.apply(start);
    b.apply({ ...start, round: 'sign round1', quorum: 2, targets: [{ xid: '0123456789abcdef', arid: 'a' }] });
    expect(b.frame(1_000)).toEqual([
      'sign round1 — collecting 1 responses (parallel, timeout 600 s, quorum exit at 2)',
      '· 01234567',
      '...',
    ]);
  });
});

describe('plainLines (pipe / CI)', () => {
  it('prints Waiting for N responses... then one line per result', () => {
    expect(plainLines(start, names)).toEqual([
      '[dkg round1: collect] parallel, timeout 600 s per participant',
      'Waiting for 3 responses...',
    ]);
    expect(
      plainLines(settled({ xid: 'x-carol', status: 'success', durationMs: 2_500 }, 3_500), names),
    ).toEqual(['✅ Carol (2.5 s)']);
    expect(
      plainLines(
        settled({ xid: 'x-dan', status: 'rejected', reason: 'Busy right now', durationMs: 100 }, 1_100),
        names,
      ),
    ).toEqual(['❌ Dan - Rejected: "Busy right now" (0.1 s)']);
    expect(
      plainLines({ type: 'participant-start', round: 'dkg round1', phase: 'collect', xid: 'x-bob', at: 0 }),
    ).toEqual([]);
  });

  it('names every kind of ending', () => {
    expect(reasonSuffix('error', 'forged message')).toBe(' - Error: forged message');
    expect(reasonSuffix('timeout', undefined)).toBe(' - Timeout: no response');
    expect(reasonSuffix('cancelled', 'quorum')).toBe(' - not needed (quorum reached)');
    expect(reasonSuffix('cancelled', 'aborted')).toBe(' - cancelled');
    expect(reasonSuffix('success', undefined)).toBe('');
  });
});
