/**
 * Node registry, heartbeats and selection: idempotent registration, the seed's load test (1,000
 * concurrent registrations, 100 at a time → exactly 1,000 active), heartbeat expiry in virtual
 * time, selection by capability and ranking.
 */
import fc from 'fast-check';
import { VirtualClock, fanOut } from '@fanout/core';
import { assertProperty } from '@fanout/testkit';
import { describe, expect, it } from 'vitest';
import {
  Coordinator,
  PerformanceBasedSelector,
  PrimeInputError,
  type NodeView,
  type TrainerTransport,
} from '../src/index.js';
import { counterBytes, testWorld } from './helpers.js';

const noTransport: TrainerTransport = {
  train: () => Promise.reject(new Error('unused')),
  heartbeat: (n) => Promise.resolve({ nodeId: n.nodeId, status: 'ok' }),
};

async function bare(clock = new VirtualClock()): Promise<Coordinator> {
  return Coordinator.open({
    id: 'c',
    clock,
    randomBytes: counterBytes(),
    transport: noTransport,
    model: { shape: { features: 4, classes: 3 } },
  });
}

describe('registration', () => {
  it("a new coordinator has no nodes and round 0 (the seed's test_coordinator_creation)", async () => {
    const c = await bare();
    expect(c.getStatus()).toMatchObject({
      activeNodes: 0,
      currentRound: 0,
      completedRounds: 0,
      pendingTasks: 0,
    });
  });

  it("registers a node (the seed's test_node_management) and is idempotent by node id", async () => {
    const c = await bare();
    await c.addNode({ nodeId: 'test-node', nodeType: 'trainer', reliabilityScore: 0.9 });
    expect(c.getStatus().activeNodes).toBe(1);
    expect(c.listNodes()[0]!.nodeId).toBe('test-node');
    // Re-registering keeps the score (a node cannot reset its reliability) and updates capabilities.
    const again = await c.addNode({ nodeId: 'test-node', reliabilityScore: 1, capabilities: ['gpu'] });
    expect(c.listNodes()).toHaveLength(1);
    expect(again.reliabilityScore).toBe(0.9);
    expect(again.capabilities).toEqual(['gpu']);
  });

  it('bad registrations get a PrimeInputError naming the field', async () => {
    const c = await bare();
    const field = async (input: unknown): Promise<string> => {
      try {
        await c.addNode(input);
      } catch (e) {
        expect(e).toBeInstanceOf(PrimeInputError);
        return (e as PrimeInputError).field;
      }
      return 'accepted';
    };
    expect(await field({})).toBe('node.nodeId');
    expect(await field({ nodeId: 'has space' })).toBe('node.nodeId');
    expect(await field({ nodeId: 'a', reliabilityScore: 2 })).toBe('node.reliabilityScore');
    expect(await field({ nodeId: 'a', endpoint: 'ftp://x' })).toBe('node.endpoint');
    expect(await field({ nodeId: 'a', capabilities: 'gpu' })).toBe('node.capabilities');
    expect(c.listNodes()).toHaveLength(0);
  });

  it("the seed's load test: 1,000 concurrent registrations, 100 at a time → exactly 1,000 active", async () => {
    const clock = new VirtualClock();
    const c = await bare(clock);
    const ids = Array.from({ length: 1000 }, (_, i) => `load-test-node-${i}`);
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await fanOut(
      ids,
      async (id) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await clock.sleep(1);
        await c.addNode({ nodeId: id, nodeType: 'trainer', reliabilityScore: 0.9 });
        inFlight--;
      },
      { concurrency: 100, clock },
    );
    expect(result.fulfilled).toHaveLength(1000);
    expect(maxInFlight).toBe(100);
    expect(c.getStatus().activeNodes).toBe(1000);
  });

  it('property: any mix of registrations, repeats included, leaves one node per distinct id', async () => {
    await assertProperty(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 80 }), async (xs) => {
        const clock = new VirtualClock();
        const c = await bare(clock);
        await Promise.all(xs.map((x) => c.addNode({ nodeId: `n${x}` })));
        expect(
          c
            .listNodes()
            .map((n) => n.nodeId)
            .sort(),
        ).toEqual([...new Set(xs.map((x) => `n${x}`))].sort());
        expect(c.getStatus().activeNodes).toBe(new Set(xs).size);
      }),
      { numRuns: 50 },
    );
  });
});

describe('heartbeats (virtual time)', () => {
  it('a node silent for heartbeatTimeoutMs becomes inactive and is not selected; the loop stops on close', async () => {
    let silent = false;
    const w = await testWorld(4, {
      heartbeat: (id) => !(silent && id === 't3'),
      config: { heartbeatTimeoutMs: 10_000, heartbeatIntervalMs: 3_000, minNodesForRound: 2 },
    });
    const stop = new AbortController();
    const loop = w.coordinator.runHeartbeats(stop.signal);
    await w.clock.sleep(20_000);
    expect(w.coordinator.getStatus().activeNodes).toBe(4);
    silent = true;
    const silentFrom = w.clock.now();
    await w.clock.sleep(1); // let the in-flight fan-out settle
    const last = w.coordinator.getNode('t3')!.lastHeartbeat;
    expect(last).toBeLessThanOrEqual(silentFrom + 5);
    await w.clock.sleep(last + 9_999 - w.clock.now());
    expect(w.coordinator.getNode('t3')!.active).toBe(true); // 9.999 s since its last answer
    expect(w.coordinator.getNode('t3')!.lastHeartbeat).toBe(last);
    await w.clock.sleep(1);
    expect(w.coordinator.getNode('t3')!.active).toBe(false); // 10 s: expired
    expect(w.coordinator.getStatus().activeNodes).toBe(3);
    const report = await w.coordinator.runRound();
    expect(report.selected).toEqual(['t0', 't1', 't2']);
    silent = false;
    await w.clock.sleep(3_100);
    expect(w.coordinator.getNode('t3')!.active).toBe(true);
    w.coordinator.close();
    await loop; // resolves: the loop stopped
    const fired = w.clock.firedTimers;
    await w.clock.sleep(30_000);
    expect(w.clock.firedTimers - fired).toBe(1); // only our own sleep: no heartbeat timers left
  });
});

const view = (id: string, rel: number, perf: number, caps: string[] = []): NodeView => ({
  nodeId: id,
  nodeType: 'trainer',
  endpoint: undefined,
  capabilities: caps,
  reliabilityScore: rel,
  recentPerformanceScore: perf,
  stake: 0,
  registeredAt: 0,
  lastHeartbeat: 0,
  active: true,
});

describe('selection', () => {
  it('PerformanceBasedSelector ranks by reliability × performance, ties by id, and takes the top N', () => {
    const nodes = [view('c', 0.9, 0.5), view('a', 0.5, 0.9), view('b', 1, 1), view('d', 0.2, 1)];
    const chosen = new PerformanceBasedSelector().selectNodes(nodes, {
      maxNodes: 3,
      requiredCapabilities: [],
      round: 1,
    });
    expect(chosen.map((n) => n.nodeId)).toEqual(['b', 'a', 'c']);
  });

  it('property: the selection is a top-N by score, at most N, without duplicates', async () => {
    await assertProperty(
      fc.property(
        fc.uniqueArray(
          fc.record({
            id: fc.string({ minLength: 1, maxLength: 4 }),
            r: fc.double({ min: 0, max: 1, noNaN: true }),
            p: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { selector: (x) => x.id, maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 40 }),
        (xs, max) => {
          const nodes = xs.map((x) => view(x.id, x.r, x.p));
          const chosen = new PerformanceBasedSelector().selectNodes(nodes, {
            maxNodes: max,
            requiredCapabilities: [],
            round: 1,
          });
          expect(chosen.length).toBe(Math.min(max, nodes.length));
          expect(new Set(chosen).size).toBe(chosen.length);
          const minChosen = Math.min(...chosen.map((n) => n.reliabilityScore * n.recentPerformanceScore));
          for (const n of nodes)
            if (!chosen.includes(n))
              expect(n.reliabilityScore * n.recentPerformanceScore).toBeLessThanOrEqual(minChosen);
        },
      ),
    );
  });

  it('a round selects only active nodes with every required capability, best first', async () => {
    const caps = [['gpu', 'pytorch'], ['gpu'], ['gpu', 'pytorch'], ['cpu'], ['gpu', 'pytorch', 'tpu']];
    const w = await testWorld(5, { capabilities: (i) => caps[i]!, config: { minNodesForRound: 1 } });
    // Make t4 the most reliable so the ranking shows.
    const r = await w.coordinator.runRound({ requiredCapabilities: ['gpu', 'pytorch'], maxParticipants: 2 });
    expect(r.selected).toHaveLength(2);
    for (const id of r.selected) expect(['t0', 't2', 't4']).toContain(id);
    expect(r.status).toBe('committed');
    const none = await w.coordinator.runRound({ requiredCapabilities: ['quantum'] });
    expect(none).toMatchObject({ status: 'failed', reason: 'not-enough-nodes', selected: [] });
  });

  it('a custom selector is used, and what it returns is sanitised (only available ids, no duplicates, at most max)', async () => {
    const w = await testWorld(4, { config: { minNodesForRound: 1 } });
    w.coordinator.setNodeSelector({
      selectNodes: (available) => [
        available[3]!,
        available[3]!,
        view('intruder', 1, 1),
        available[1]!,
        available[0]!,
      ],
    });
    const r = await w.coordinator.runRound({ maxParticipants: 2 });
    expect(r.selected).toEqual(['t3', 't1']);
  });
});
