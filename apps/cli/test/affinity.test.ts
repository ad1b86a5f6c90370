/**
 * Which queued share an idle lane (worker process) of `fanout run --jobs N` takes (apps/cli/src/affinity.ts): a
 * thread keeps to the systems it has run, claims a system nobody runs next, and only then helps
 * with another thread's system, so each system is warmed up on as few threads as the load allows.
 */
import { describe, expect, test } from 'vitest';
import { pickShare, systemOf } from '../src/affinity.js';

describe('systemOf', () => {
  test('the name up to the first dot, the whole name without one', () => {
    expect(systemOf('dht.no-loss')).toBe('dht');
    expect(systemOf('mine.a.b')).toBe('mine');
    expect(systemOf('custom')).toBe('custom');
  });
});

describe('pickShare', () => {
  const warm = (...lanes: string[][]) => lanes.map((l) => new Set(l));

  test('an empty queue gives -1; an unknown thread is a RangeError', () => {
    expect(pickShare([], 0, warm([]))).toBe(-1);
    expect(() => pickShare(['a'], 1, warm([]))).toThrow(RangeError);
  });

  test('a thread takes the oldest share of a system it has run, even behind older shares', () => {
    expect(pickShare(['raida', 'frost', 'dht', 'dht'], 0, warm(['dht'], ['raida']))).toBe(2);
  });

  test('else the oldest share of a system no thread has run', () => {
    expect(pickShare(['raida', 'raida', 'frost', 'dht'], 1, warm(['raida'], []))).toBe(2);
    expect(pickShare(['raida', 'frost', 'dht'], 1, warm(['raida', 'frost'], ['bao']))).toBe(2);
  });

  test('else the oldest share, whoever runs its system', () => {
    expect(pickShare(['raida', 'frost'], 1, warm(['raida', 'frost'], ['dht']))).toBe(0);
  });

  /**
   * Threads take shares as they free up (lowest index first at a tie), every share costs one
   * time unit; returns each thread's systems in the order it first ran them, and when the last
   * share ends.
   */
  function schedule(
    queue: string[],
    threads: number,
    pick: (q: readonly string[], lane: number, warm: readonly ReadonlySet<string>[]) => number,
  ): { systems: string[][]; makespan: number } {
    const q = [...queue];
    const warmSets = Array.from({ length: threads }, () => new Set<string>());
    const order: string[][] = Array.from({ length: threads }, () => []);
    const free = Array<number>(threads).fill(0);
    let makespan = 0;
    while (q.length > 0) {
      const lane = free.indexOf(Math.min(...free));
      const k = pick(q, lane, warmSets);
      const [s] = q.splice(k, 1);
      if (!warmSets[lane]!.has(s!)) order[lane]!.push(s!);
      warmSets[lane]!.add(s!);
      free[lane]! += 1;
      makespan = Math.max(makespan, free[lane]!);
    }
    return { systems: order, makespan };
  }

  test('three systems of eight shares on two threads: four warm-ups instead of six, same makespan', () => {
    const queue = [
      ...Array<string>(8).fill('raida'),
      ...Array<string>(8).fill('frost'),
      ...Array<string>(8).fill('dht'),
    ];
    const affine = schedule(queue, 2, pickShare);
    expect(affine.systems).toEqual([
      ['raida', 'dht'],
      ['frost', 'dht'],
    ]);
    expect(affine.makespan).toBe(12);
    const fifo = schedule(queue, 2, (q) => (q.length > 0 ? 0 : -1));
    expect(fifo.systems.flat()).toHaveLength(6);
    expect(fifo.makespan).toBe(12);
  });

  test('one system on two threads: both threads share it from the start', () => {
    const affine = schedule(Array<string>(6).fill('dht'), 2, pickShare);
    expect(affine.systems).toEqual([['dht'], ['dht']]);
    expect(affine.makespan).toBe(3);
  });
});
