/** Prometheus metrics: the seed's names, parsed back from the exposition text, one registry per coordinator. */
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../src/index.js';
import { testWorld } from './helpers.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse Prometheus text format 0.0.4: `# TYPE name kind` lines and `name{a="b",…} value` samples. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

const value = (s: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  s.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;

describe('metrics', () => {
  it('exposes the seed metric names with virtual-time observations', async () => {
    const w = await testWorld(5, {
      behaviour: (id) =>
        id === 't4' ? { answer: (h) => ({ ...h, delta: h.delta.map((v) => -v) }) } : { delayMs: 2_000 },
    });
    await w.coordinator.runRound();
    await w.coordinator.runRound();
    const { types, samples } = parseExposition(await w.coordinator.metrics.text());
    expect(Object.fromEntries([...types].filter(([k]) => k.startsWith('daa_')))).toEqual({
      [METRIC_NAMES.activeNodes]: 'gauge',
      [METRIC_NAMES.activeRounds]: 'gauge',
      [METRIC_NAMES.taskCompletionTime]: 'histogram',
      [METRIC_NAMES.consensusDuration]: 'histogram',
      [METRIC_NAMES.byzantineFaults]: 'counter',
      [METRIC_NAMES.tasksCompleted]: 'counter',
    });
    expect(value(samples, 'daa_coordinator_active_nodes', { coordinator: 'c1' })).toBe(5);
    expect(value(samples, 'daa_coordinator_active_rounds')).toBe(0);
    expect(value(samples, 'daa_coordinator_tasks_completed_total')).toBe(10);
    expect(value(samples, 'daa_coordinator_byzantine_faults_detected', { reason: 'dissimilar' })).toBe(2);
    // 8 honest answers after 2 s of virtual time, 2 flipped ones after 10 ms.
    expect(value(samples, 'daa_coordinator_task_completion_time_count', { status: 'received' })).toBe(10);
    expect(value(samples, 'daa_coordinator_task_completion_time_sum', { status: 'received' })).toBeCloseTo(
      8 * 2 + 2 * 0.01,
      9,
    );
    expect(
      value(samples, 'daa_coordinator_task_completion_time_bucket', { status: 'received', le: '1' }),
    ).toBe(2);
    expect(value(samples, 'daa_coordinator_consensus_duration_count', { status: 'committed' })).toBe(2);
    expect(value(samples, 'daa_coordinator_consensus_duration_sum', { status: 'committed' })).toBeCloseTo(
      4,
      9,
    );
  });

  it('two coordinators in one process keep separate registries; the global registry stays empty', async () => {
    const a = await testWorld(3);
    const b = await testWorld(4);
    await a.coordinator.runRound();
    const pa = parseExposition(await a.coordinator.metrics.text()).samples;
    const pb = parseExposition(await b.coordinator.metrics.text()).samples;
    expect(value(pa, 'daa_coordinator_tasks_completed_total')).toBe(3);
    expect(value(pb, 'daa_coordinator_tasks_completed_total')).toBe(0);
    expect(value(pb, 'daa_coordinator_active_nodes')).toBe(4);
    expect(await globalRegistry.metrics()).not.toContain('daa_coordinator');
  });
});
