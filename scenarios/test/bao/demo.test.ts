/**
 * `fanout bao demo` on the kernel, sim mode: virtual time, deterministic per seed, progress as
 * scenario events (phases and fan-out events with target labels), the summary through io.log,
 * the exit code from the oracle, and the speedup from the kernel's sequential twin.
 */
import { describe, expect, test } from 'vitest';
import { OptionsError, parseOptions, type ScenarioEvent } from '../../src/kernel/index.js';
import { baoDemo, runBaoDemo } from '../../src/bao/demo.js';
import { describeWorkerKeys } from '../../src/bao/workers.js';

const io = (events: ScenarioEvent[], lines: string[] = []) => ({
  log: (l: string) => void lines.push(l),
  onEvent: (e: ScenarioEvent) => void events.push(e),
  signal: new AbortController().signal,
  wallNow: () => 0,
});

const settled = (events: readonly ScenarioEvent[], command: string) =>
  events.flatMap((e) =>
    e.type === 'fanout' && e.command === command && e.event.type === 'settled'
      ? [`${e.labels?.[e.event.index] ?? e.event.index} ${e.event.outcome.status}`]
      : [],
  );

describe('the Bao demo (sim)', () => {
  test('worker 0 is the default account, workers 1..N-1 come from one createBatch; signs run in parallel; the twin signs one at a time', async () => {
    const events: ScenarioEvent[] = [];
    const { result, report } = await runBaoDemo({ workers: 4, mode: 'sim', seed: 1, signs: 12 }, io(events));
    expect(result.held).toBe(true);
    expect(report!.accounts.map((a) => a.name)).toEqual([
      'default',
      'parallel-worker-1',
      'parallel-worker-2',
      'parallel-worker-3',
    ]);
    expect(new Set(report!.accounts.map((a) => a.address)).size).toBe(4);
    expect(report).toMatchObject({
      createFailed: [],
      signs: 12,
      signed: 12,
      verified: 12,
      signFailed: 0,
      peakInFlight: 12,
    });
    // All 12 signs overlap: the batch takes one sign (50 ms) plus network jitter, not 12.
    expect(report!.signMs).toBeLessThan(100);
    // The kernel's twin signs one at a time: at least 12 × 50 ms.
    expect(result.sequentialMs).toBeGreaterThan(12 * 50);
    expect(events.filter((e) => e.type === 'phase').map((e) => (e as { name: string }).name)).toEqual([
      'creating 4 key(s): default (worker 0) + parallel-worker-1..3 (createBatch of 3)',
      'signing 12 transaction(s) over 4 worker(s)',
    ]);
    expect(settled(events, 'createBatch').sort()).toEqual([
      'parallel-worker-1 fulfilled',
      'parallel-worker-2 fulfilled',
      'parallel-worker-3 fulfilled',
    ]);
    const signs = settled(events, 'signBatch');
    expect(signs).toHaveLength(12);
    expect(signs).toContain('tx 1 default seq 0 fulfilled');
    expect(signs).toContain('tx 12 parallel-worker-3 seq 2 fulfilled');
    // Same seed, same run, same trace.
    const again = await runBaoDemo({ workers: 4, mode: 'sim', seed: 1, signs: 12 });
    expect(again.report).toEqual(report);
    expect(again.result.traceHash).toBe(result.traceHash);
  });

  test('says exactly which keys it creates; --named-workers creates parallel-worker-1..N and no default', async () => {
    expect(describeWorkerKeys(4)).toBe('default (worker 0) + parallel-worker-1..3');
    expect(describeWorkerKeys(2)).toBe('default (worker 0) + parallel-worker-1');
    expect(describeWorkerKeys(1)).toBe('default (worker 0)');
    expect(describeWorkerKeys(4, true)).toBe('parallel-worker-1..4');
    const events: ScenarioEvent[] = [];
    const { report } = await runBaoDemo({ workers: 4, namedWorkers: true, mode: 'sim', seed: 3 }, io(events));
    expect(report!.accounts.map((a) => a.name)).toEqual([
      'parallel-worker-1',
      'parallel-worker-2',
      'parallel-worker-3',
      'parallel-worker-4',
    ]);
    expect(report).toMatchObject({ createFailed: [], signs: 8, signed: 8, verified: 8 });
    expect(events[0]).toEqual({
      type: 'phase',
      name: 'creating 4 key(s): parallel-worker-1..4 (createBatch of 4)',
    });
    await expect(runBaoDemo({ workers: 101, namedWorkers: true, mode: 'sim', seed: 1 })).rejects.toThrow(
      /workers: must be an integer in 1\.\.100 with --named-workers/,
    );
  });

  test('one worker needs no createBatch; bad options are typed errors naming the field; flags keep their names and defaults', async () => {
    const { report } = await runBaoDemo({ workers: 1, mode: 'sim', seed: 2 });
    expect(report!.accounts.map((a) => a.name)).toEqual(['default']);
    expect(report!.signed).toBe(2);
    await expect(runBaoDemo({ workers: 0, mode: 'sim', seed: 1 })).rejects.toThrow(OptionsError);
    await expect(runBaoDemo({ workers: 102, mode: 'sim', seed: 1 })).rejects.toThrow(/workers/);
    await expect(runBaoDemo({ workers: 2, mode: 'sim', seed: 1, signs: 0 })).rejects.toThrow(/signs/);
    expect(parseOptions(baoDemo.options, {}, 'demo')).toEqual({
      workers: 4,
      namedWorkers: false,
      mode: 'sim',
      seed: 1,
      signLatency: 50,
    });
  });

  test('run() prints the summary through io.log and exits 0; signs slower than the client’s timeout exit 1', async () => {
    const lines: string[] = [];
    const ok = await baoDemo.run(
      parseOptions(baoDemo.options, { workers: 2, signs: 4 }, 'demo'),
      io([], lines),
    );
    expect(ok).toBe(0);
    expect(lines[0]).toContain('fanout bao demo: 2 worker(s) = keys default (worker 0) + parallel-worker-1');
    expect(lines.some((l) => /signatures {7}4\/4 signed, 4 verified independently, 0 failed/.test(l))).toBe(
      true,
    );
    expect(
      lines.some((l) => /one at a time \(the sequential twin\) [\d.]+ virtual ms \([\d.]+× faster\)/.test(l)),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('  trace            sha256 '))).toBe(true);
    expect(lines.at(-1)).toBe('All keys created, every signature verified.');
    const bad: string[] = [];
    const code = await baoDemo.run(
      parseOptions(baoDemo.options, { workers: 2, signs: 2, signLatency: 40_000, sequential: false }, 'demo'),
      io([], bad),
    );
    expect(code).toBe(1);
    expect(bad.some((l) => l.includes('0/2 signed'))).toBe(true);
    expect(bad.at(-1)).toBe('Some keys or signatures failed.');
  });
});
