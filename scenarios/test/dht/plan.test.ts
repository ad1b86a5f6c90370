/**
 * Verdicts follow the effective plan: the DHT oracle reads what the plan does to each node
 * (partitions, crashes, loss, latencies, behaviours 'stale' / 'corrupt' / 'drop'), so a
 * hand-edited plan (a rule removed, a window widened) is judged as written, never against what
 * the seed would have drawn.
 */
import { describe, expect, test } from 'vitest';
import { parseFaultPlan, createRng, type FaultPlan, type FaultRule } from '@fanout/sim';
import { dhtTarget } from '@fanout/sim-dht';
import {
  PlanView,
  effectivePlan,
  resolveOptions,
  runScenario,
  type RunResult,
} from '../../src/kernel/index.js';
import {
  K,
  NODE_IDS_STREAM,
  closestIndexes,
  contactKey,
  createDhtScenarios,
  dhtScenarios,
  drawNodeIds,
  readNode,
} from '../../src/dht/index.js';
import { absenceBug } from './broken.js';
import { dhtWorld, readAndJudge, violations } from './helpers.js';

const byName = (n: string) => dhtScenarios.find((s) => s.name === n)!;
const planOf = (name: string, seed: number): FaultPlan =>
  effectivePlan(byName(name), seed, 'sim', resolveOptions(byName(name), 'sim'));
const WHOLE = { fromMs: 0, toMs: 60_000 };

/** Per contact, `status:reason:outboxSeq:texts` as the run's 'outcome' trace event recorded it. */
function statusesOf(r: RunResult, step = 'retrieve'): string[] {
  const e = r.trace!.events().find((x) => x.kind === 'outcome' && x['step'] === step)!;
  return e['contacts'] as string[];
}

/** Node indexes closest to contact i's key in the world of `seed` (the reader aside). */
function holdersOf(seed: number, nodes: number, i: number): number[] {
  return closestIndexes(drawNodeIds(createRng(seed).fork(NODE_IDS_STREAM), nodes), contactKey(i), K, [0]);
}

describe('readNode: what the plan does to one node during a read', () => {
  test('partition, a crash during the read, loss, slow replies and behaviours each read as the plan says', () => {
    const plan = parseFaultPlan({
      latency: {
        default: { kind: 'constant', ms: 40 },
        perTarget: { 'dht-5': { kind: 'constant', ms: 2000 } },
      },
      rules: [
        { fault: 'partition', targets: ['dht-1'] },
        { fault: 'crash', targets: ['dht-2'], atMs: 500 },
        { fault: 'dropRequest', targets: ['dht-3'], probability: 0.03 },
        { fault: 'dropReply', targets: ['dht-3'], probability: 0.03 },
        { fault: 'dropRequest', targets: ['dht-4'], window: { fromMs: 0, toMs: 100 } },
        { fault: 'behave', targets: ['dht-6'], behaviour: 'corrupt' },
        { fault: 'behave', targets: ['dht-7'], behaviour: 'corrupt', window: { fromMs: 200 } },
      ],
    });
    const view = new PlanView(plan);
    const at = { fromMs: 0, toMs: 1000 };
    const read = (n: number) => readNode(view, dhtTarget(n), at, 1000);
    expect(read(0)).toMatchObject({ reach: 'answers', lossQ: 0, corrupt: 'never' });
    expect(read(1).reach).toBe('silent');
    expect(read(2).reach).toBe('maybe'); // crashes half-way through the read
    expect(readNode(view, 'dht-2', { fromMs: 600, toMs: 900 }, 1000).reach).toBe('silent');
    expect(read(3).reach).toBe('answers');
    expect(read(3).lossQ).toBeCloseTo(1 - 0.97 * 0.97, 10);
    expect(read(4).reach).toBe('maybe'); // a window over part of the read
    expect(read(5).reach).toBe('silent'); // always slower than the 1000 ms RPC timeout
    expect(readNode(view, 'dht-5', at, 3000).reach).toBe('answers');
    expect(read(6).corrupt).toBe('always');
    expect(read(7).corrupt).toBe('maybe');
  });
});

describe('--plan / a hand-edited replay file: the verdict follows the plan', () => {
  test('dht.churn-partition seed 1 without its partition rule: the cut-off contact is now expected delivered, and is; every guarantee holds', async () => {
    const drawn = planOf('dht.churn-partition', 1);
    const cut = drawn.groups['cut']!;
    expect(cut.length).toBeGreaterThan(0);
    const victim = Array.from({ length: 30 }, (_, i) => i).find((i) =>
      holdersOf(1, 100, i).every((n) => cut.includes(dhtTarget(n))),
    )!;
    const edited = parseFaultPlan({ ...drawn, rules: drawn.rules.filter((r) => r.fault !== 'partition') });
    for (const t of cut) {
      expect(readNode(new PlanView(drawn), t, WHOLE, 1000).reach).toBe('silent');
      expect(readNode(new PlanView(edited), t, WHOLE, 1000).reach).not.toBe('silent');
    }
    const before = await runScenario(byName('dht.churn-partition'), { seed: 1 });
    const after = await runScenario(byName('dht.churn-partition'), { seed: 1, plan: edited });
    expect(violations(before)).toBe('');
    expect(violations(after)).toBe('');
    expect(statusesOf(before)[victim]).toMatch(/^timeout:/);
    expect(statusesOf(after)[victim]).toMatch(/^delivered:/);
    expect(Number(after.facts['holdersGone'])).toBeLessThan(Number(before.facts['holdersGone']));
  });

  test('widening a crash to the whole read: a node leaving during the read (maybe answering) becomes silent for good; the verdict follows', async () => {
    const drawn = planOf('dht.churn-partition', 1);
    const i = drawn.rules.findIndex((r) => r.fault === 'crash' && r.atMs > 0);
    expect(i).toBeGreaterThanOrEqual(0);
    const target = drawn.rules[i]!.targets![0]!;
    const read = { fromMs: 0, toMs: 5000 };
    expect(readNode(new PlanView(drawn), target, read, 1000).reach).toBe('maybe');
    const widened = parseFaultPlan({
      ...drawn,
      rules: drawn.rules.map((r, k) => (k === i ? ({ ...r, atMs: 0 } as FaultRule) : r)),
    });
    expect(readNode(new PlanView(widened), target, read, 1000).reach).toBe('silent');
    const r = await runScenario(byName('dht.churn-partition'), { seed: 1, plan: widened });
    expect(violations(r)).toBe('');
    expect(r.facts['leftDuring']).toBe(4);
  });

  test('widening a behaviour window: holders corrupt for 1 ms of the read may or may not be read corrupt; corrupt for the whole run, the contact must be malformed, and is', async () => {
    const seed = 8;
    const spec = {
      nodes: 40,
      publish: 'direct' as const,
      contacts: [{ messages: [{ seq: 1n, ttlSeconds: 86_400 }] }, { messages: [] }],
    };
    const holders = holdersOf(seed, 40, 0).map(dhtTarget);
    const corrupt = (window?: { fromMs: number; toMs?: number }) => ({
      rules: [
        { fault: 'behave' as const, targets: holders, behaviour: 'corrupt', ...(window && { window }) },
      ],
    });
    const expected = async (plan: ReturnType<typeof corrupt> | Record<string, never>) => {
      const { world, parties } = await dhtWorld(seed, spec, plan);
      try {
        if (parties.reader.storage.entry(parties.contacts[0]!.key, 1n) !== undefined) return undefined;
        const { report, oracle, verdict } = await readAndJudge(world, parties);
        expect(verdict).toMatchObject({ oneEach: undefined, exactlyOnce: undefined, status: undefined });
        return {
          got: report.contacts[0]!.status,
          want: oracle
            .outcomes(0)
            .map((t) => t.expected)
            .sort(),
        };
      } finally {
        await world.close();
      }
    };
    const none = await expected({});
    expect(none, 'seed 8: the reader does not hold contact 0’s outbox itself').toBeDefined();
    expect(none).toEqual({ got: 'delivered', want: ['delivered'] });
    const brief = await expected(corrupt({ fromMs: 0, toMs: 1 }));
    expect(brief!.want).toEqual(['delivered', 'malformed']);
    expect(await expected(corrupt())).toEqual({ got: 'malformed', want: ['malformed'] });
  });

  test('dht.no-hol seed 11 without its per-target latencies: no node is slow under the plan, no contact is held up, and the verdict says so', async () => {
    const drawn = planOf('dht.no-hol', 11);
    expect(Object.keys(drawn.latency.perTarget).length).toBeGreaterThanOrEqual(8);
    const flat = parseFaultPlan({ ...drawn, latency: { ...drawn.latency, perTarget: {} } });
    const before = await runScenario(byName('dht.no-hol'), { seed: 11 });
    const after = await runScenario(byName('dht.no-hol'), { seed: 11, plan: flat });
    expect(violations(before)).toBe('');
    expect(violations(after)).toBe('');
    expect(before.facts['slowNodes']).toBeGreaterThanOrEqual(8);
    expect(after.facts).toMatchObject({ slowNodes: 0, slowContacts: 0, fast: 40 });
    expect(before.latencyMs).toBeGreaterThanOrEqual(6000);
    expect(after.latencyMs).toBeLessThan(6000);
    const slow = after.guarantees.find((g) => g.name === 'slow-contacts-delivered')!;
    expect(slow.detail).toBe('no contact is slow under the plan');
  });

  test('an edited plan the broken client cannot get right is caught as the oracle predicts: every holder of a contact partitioned, the absence bug reports it not-found', async () => {
    const seed = 8;
    const [, , , , brokenCoalescing] = createDhtScenarios({ retrieve: absenceBug });
    const drawn = planOf('dht.coalescing', seed);
    // Under the drawn plan (no faults) the bug never shows: nothing is holders-unreachable.
    expect(violations(await runScenario(brokenCoalescing!, { seed }))).toBe('');
    const victim = 3;
    const cut = holdersOf(seed, 80, victim).map(dhtTarget);
    const edited = parseFaultPlan({ ...drawn, rules: [{ fault: 'partition', targets: cut }] });
    const correct = await runScenario(byName('dht.coalescing'), { seed, plan: edited });
    expect(violations(correct)).toBe('');
    expect(statusesOf(correct, 'retrieve-1')[victim]).toBe('timeout:holders-unreachable::');
    const broken = await runScenario(brokenCoalescing!, { seed, plan: edited });
    const status = broken.guarantees.find((g) => g.name === 'status-matches-oracle')!;
    expect(status.held).toBe(false);
    expect(status.detail).toContain(
      `contact ${victim}: not-found, expected timeout (0/8 likely holders answering)`,
    );
  });
});
