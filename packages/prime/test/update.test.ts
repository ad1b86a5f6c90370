/** Structural checks on an update, one per rejection reason, in the documented order. */
import { describe, expect, it } from 'vitest';
import { UpdateRejectedError, checkUpdate, deltaDigest, type SeenUpdates } from '../src/index.js';

const expectation = { nodeId: 'n1', round: 4, modelVersion: 3, dim: 3 };
const good = {
  updateId: 'u-1',
  nodeId: 'n1',
  round: 4,
  modelVersion: 3,
  numSamples: 12,
  delta: [0.1, -0.2, 0.3],
};
const none: SeenUpdates = { ids: new Set(), nodeRounds: new Set(), digests: new Set() };

function reason(input: unknown, seen: SeenUpdates = none): string {
  try {
    checkUpdate(input, expectation, seen);
  } catch (e) {
    expect(e).toBeInstanceOf(UpdateRejectedError);
    return (e as UpdateRejectedError).reason;
  }
  return 'accepted';
}

describe('checkUpdate', () => {
  it('accepts a well-formed update and returns its delta and digest', () => {
    const u = checkUpdate(good, expectation, none);
    expect(Array.from(u.delta)).toEqual(good.delta);
    expect(u.digest).toBe(deltaDigest(Float64Array.from(good.delta)));
  });
  it.each([
    ['not an object', 'hello', 'malformed'],
    ['an extra field', { ...good, bonus: 1 }, 'malformed'],
    ['another node', { ...good, nodeId: 'n2' }, 'malformed'],
    ['another round', { ...good, round: 5 }, 'malformed'],
    ['an old model version', { ...good, modelVersion: 2 }, 'stale'],
    ['a short delta', { ...good, delta: [1, 2] }, 'wrong-shape'],
    ['a null (NaN on the wire)', { ...good, delta: [1, null, 2] }, 'non-finite'],
    ['zero samples', { ...good, numSamples: 0 }, 'non-finite'],
  ])('rejects %s as %s', (_name, input, expected) => {
    expect(reason(input)).toBe(expected);
  });
  it('rejects a seen update id or (node, round) as duplicate, a seen delta as replay', () => {
    expect(reason(good, { ...none, ids: new Set(['u-1']) })).toBe('duplicate');
    expect(reason(good, { ...none, nodeRounds: new Set(['n1/4']) })).toBe('duplicate');
    const digest = deltaDigest(Float64Array.from(good.delta));
    expect(reason({ ...good, updateId: 'u-2' }, { ...none, digests: new Set([digest]) })).toBe('replay');
  });
  it('checks a duplicate id before the round (a verbatim resend of an old update is a duplicate)', () => {
    expect(reason({ ...good, round: 1 }, { ...none, ids: new Set(['u-1']) })).toBe('duplicate');
  });
});
