import { describe, expect, test } from 'vitest';
import { RaidaEncodeError } from '@fanout/raida';
import { TokenTable } from '../src/table.js';

describe('TokenTable', () => {
  test('set and get copy the AN; peek reads the stored AN in place', () => {
    const t = new TokenTable();
    const an = new Uint8Array(16).fill(7);
    t.set(1, 5, an);
    an[0] = 0; // the caller's array is not the table's
    expect(t.peek(1, 5)![0]).toBe(7);
    const got = t.get(1, 5)!;
    got[1] = 0; // nor is a returned copy
    expect(t.peek(1, 5)![1]).toBe(7);
    expect(t.peek(1, 5)).toBe(t.peek(1, 5));
    expect(t.peek(1, 6)).toBeUndefined();
    expect(() => t.set(1, 7, new Uint8Array(15))).toThrow(RaidaEncodeError);
  });
});
