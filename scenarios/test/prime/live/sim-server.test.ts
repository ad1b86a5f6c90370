/**
 * `fanout sim prime` in-process: the live coordinator and 5 trainers on 127.0.0.1 behind one
 * shared injector; the trainers registered over HTTP; a round started over HTTP with the token
 * (and refused without it); /metrics scraped and its exposition text parsed; a `behave` rule
 * added at run time through the shared injector makes a trainer Byzantine for the next round.
 */
import { describe, expect, test } from 'vitest';
import { realClock } from '@fanout/core';
import { NO_FAULTS, parseFaultPlan } from '@fanout/sim';
import { primeSim } from '../../../src/prime/live/sim.js';

/** Prometheus text exposition → samples `{name, labels, value}` (comments and blank lines skipped). */
function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

describe('fanout sim prime (in-process)', () => {
  test('register, round over HTTP with the token, /metrics parsed, a behave rule added at run time', async () => {
    const io = {
      log: () => {},
      onEvent: () => {},
      signal: new AbortController().signal,
      wallNow: () => realClock.now(),
    };
    const sim = await primeSim.start(
      primeSim.options.parse({ trainers: 5, data: 'synthetic', token: 'token-12345678', computeMs: 10 }),
      NO_FAULTS,
      io,
    );
    try {
      const url = sim.endpoints['coordinator']!;
      expect(Object.keys(sim.endpoints)).toEqual([
        'coordinator',
        'trainer-0',
        'trainer-1',
        'trainer-2',
        'trainer-3',
        'trainer-4',
      ]);
      const status = (await (await fetch(`${url}/status`)).json()) as {
        registeredNodes: number;
        activeNodes: number;
      };
      expect(status).toMatchObject({ registeredNodes: 5, activeNodes: 5 });
      const post = (token?: string) =>
        fetch(`${url}/rounds`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          body: '{}',
        });
      expect((await post()).status).toBe(401);
      expect((await post('wrong-token')).status).toBe(401);
      const first = (await (await post('token-12345678')).json()) as {
        status: string;
        acceptedUpdateIds: string[];
      };
      expect(first).toMatchObject({ status: 'committed' });
      expect(first.acceptedUpdateIds).toHaveLength(5);

      // Through the shared injector (what the fault-control API does): trainer-3 flips its sign.
      sim.injector.setPlan(
        parseFaultPlan({
          rules: [{ fault: 'behave', targets: ['trainer-3'], behaviour: 'sign-flip', params: {} }],
        }),
      );
      const second = (await (await post('token-12345678')).json()) as {
        outcomes: { nodeId: string; status: string; reason?: string }[];
      };
      expect(second.outcomes.find((o) => o.nodeId === 'trainer-3')).toMatchObject({
        status: 'rejected',
        reason: 'dissimilar',
      });

      const res = await fetch(`${url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const samples = parseExposition(await res.text());
      const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
        samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
          ?.value;
      expect(value('daa_coordinator_active_nodes', { coordinator: 'coordinator-001' })).toBe(5);
      expect(value('daa_coordinator_tasks_completed_total')).toBe(10);
      expect(value('daa_coordinator_byzantine_faults_detected', { reason: 'dissimilar' })).toBe(1);
      expect(value('daa_coordinator_consensus_duration_count', { status: 'committed' })).toBe(2);
      expect(value('daa_coordinator_task_completion_time_count', { status: 'received' })).toBe(10);
      expect(sim.requests()).toBeGreaterThan(10);
    } finally {
      await sim.close();
    }
  });
});
