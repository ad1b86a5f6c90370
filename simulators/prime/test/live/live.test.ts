/**
 * Live tier on 127.0.0.1: the coordinator as an HTTP server, five trainers as HTTP servers (the
 * plan applied at their edge, `behave` rules included); trainers register over HTTP, a round runs
 * over real sockets on wall time, and /metrics is parsed. No wall-clock timing is asserted.
 */
import { randomBytes } from 'node:crypto';
import { realClock } from '@fanout/core';
import {
  Coordinator,
  httpTrainerTransport,
  prepareFederatedData,
  syntheticDataset,
  uniformFrom,
} from '@fanout/prime';
import { createRng, parseFaultPlan, rngBytesFn } from '@fanout/sim';
import { afterEach, describe, expect, it } from 'vitest';
import { behaveRule, registerOverHttp } from '../../src/index.js';
import { startCoordinatorServer, startTrainerServer } from '../../src/live/index.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('live tier (127.0.0.1)', () => {
  it('coordinator + 5 trainers run one round over real HTTP; the sign-flipper is caught; /metrics parses', async () => {
    const rng = createRng(77);
    const random = uniformFrom(rngBytesFn(rng.fork('data')));
    const data = prepareFederatedData(syntheticDataset(random, { samples: 1000, separation: 2 }), {
      trainers: 5,
      random,
    });
    const plan = parseFaultPlan({
      latency: { default: { kind: 'constant', ms: 5 } },
      rules: [behaveRule('sign-flip', ['trainer-4'])],
    });
    const startedAt = realClock.now();
    const trainers = await Promise.all(
      data.shards.map((shard, i) =>
        startTrainerServer({
          nodeId: `trainer-${i}`,
          shard,
          rng: rng.fork(`trainer-${i}`),
          computeLatency: { kind: 'constant', ms: 20 },
          authToken: 'train-token',
          plan,
          startedAt,
        }),
      ),
    );
    for (const t of trainers) closers.push(() => t.close());
    const coordinator = await Coordinator.open({
      id: 'live-coordinator',
      clock: realClock,
      randomBytes: (n) => randomBytes(n),
      transport: httpTrainerTransport({ fetch, authToken: 'train-token' }),
      model: { shape: data.shape, testSet: data.test },
      config: {
        minNodesForRound: 3,
        taskTimeoutMs: 20_000,
        roundDeadlineMs: 30_000,
        training: { batchSize: 10_000 },
      },
    });
    closers.push(() => coordinator.close());
    const server = await startCoordinatorServer({ coordinator, registrationToken: 'join' });
    closers.push(() => server.close());

    for (const t of trainers)
      expect(
        (
          await registerOverHttp(
            fetch,
            server.url,
            { nodeId: t.nodeId, endpoint: t.url, capabilities: ['cpu'] },
            { token: 'join' },
          )
        ).status,
      ).toBe(201);
    await expect(registerOverHttp(fetch, server.url, { nodeId: 'intruder' })).rejects.toMatchObject({
      status: 401,
    });
    const status = (await (await fetch(`${server.url}/status`)).json()) as { activeNodes: number };
    expect(status.activeNodes).toBe(5);

    const hb = await coordinator.heartbeatOnce();
    expect([...hb.answered].sort()).toEqual(trainers.map((t) => t.nodeId));

    const res = await fetch(`${server.url}/rounds`, {
      method: 'POST',
      headers: { authorization: 'Bearer join' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      status: string;
      outcomes: { nodeId: string; status: string; reason?: string }[];
      acceptedUpdateIds: string[];
      before: { loss: number };
      after: { loss: number };
    };
    expect(report.status).toBe('committed');
    expect(report.outcomes.find((o) => o.nodeId === 'trainer-4')).toMatchObject({
      status: 'rejected',
      reason: 'dissimilar',
    });
    expect(report.acceptedUpdateIds).toHaveLength(4);
    expect(report.after.loss).toBeLessThan(report.before.loss);
    expect(trainers[4]!.trainer.history[0]!.behaviours).toEqual(['sign-flip']);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const sample = (name: string): number => {
      const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
      expect(line, name).toBeDefined();
      return Number(line!.split(' ').at(-1));
    };
    expect(sample('daa_coordinator_active_nodes')).toBe(5);
    expect(sample('daa_coordinator_tasks_completed_total')).toBe(5);
    expect(sample('daa_coordinator_byzantine_faults_detected')).toBe(1);
    expect(sample('daa_coordinator_consensus_duration_count')).toBe(1);
    expect(sample('daa_coordinator_task_completion_time_count')).toBe(5);
  });
});
