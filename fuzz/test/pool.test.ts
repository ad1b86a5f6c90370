/**
 * The decoder phase's watchdog: a decoder stuck in a loop is reported as a hang with its input
 * index and seed, its worker is terminated, and the next target of the lane still runs.
 */
import { describe, expect, it } from 'vitest';
import { runDecoderPlan } from '../src/decoders/pool.js';

process.env.FANOUT_FUZZ_SELFTEST = '1';

describe('runDecoderPlan', () => {
  it('reports a hang and goes on with the next target', async () => {
    const results = await runDecoderPlan(
      [
        { name: 'selftest.hang', numRuns: 10_000, cost: 1 },
        { name: 'selftest.ok', numRuns: 100, cost: 1 },
      ],
      { seed: 1, jobs: 1, hangMs: 1500, heapMb: 256 },
    );
    const hang = results.find((r) => r.target === 'selftest.hang')!;
    expect(hang.failures[0]?.error).toMatch(/^hang: no new input for 1500 ms/);
    expect(hang.failures[0]?.path).toBe(String(hang.inputs - 1));
    expect(results.find((r) => r.target === 'selftest.ok')).toMatchObject({ inputs: 100, failures: [] });
  });
});
