/**
 * The real client (@fanout/raida RaidaClient) against fake RAIDA whose error replies are stale (plan
 * behaviour `staleErrorReplies`, as raidax-server's reused UDP slots send them), over the simulated
 * network in virtual time: those RAIDA's votes become noReply — never error, pass or fail — and the
 * grades stay what the honest votes say.
 */
import { describe, expect, it } from 'vitest';

import { VirtualClock } from '@fanout/core';
import { gradeVotes, RaidaClient, type Coin, type Vote } from '@fanout/raida';
import {
  createRng,
  parseFaultPlan,
  rngBytesFn,
  SimNetwork,
  type FaultPlanInput,
  type LatencySpec,
} from '@fanout/sim';

import {
  bindRaidaCluster,
  createCluster,
  installTokens,
  mintTokens,
  RaidaServer,
  raidaTarget,
} from '../src/index.js';

interface WorldOptions {
  readonly seed?: number;
  readonly coins?: number;
  readonly rules?: FaultPlanInput['rules'];
  readonly latency?: LatencySpec;
  /** RAIDA whose server is configured for another coin id (answers every request 7 itself). */
  readonly wrongCoinId?: readonly number[];
}

function world(o: WorldOptions = {}) {
  const rng = createRng(o.seed ?? 1);
  const servers = createCluster({ rng: rng.fork('servers') });
  for (const i of o.wrongCoinId ?? []) servers[i] = new RaidaServer(i, { coinId: 7 });
  const minted = mintTokens(rngBytesFn(rng.fork('mint')), o.coins ?? 3, { firstSn: 1000 });
  installTokens(servers, minted);
  const clock = new VirtualClock();
  const plan = parseFaultPlan({
    latency: { default: o.latency ?? { kind: 'constant', ms: 10 } },
    rules: o.rules ?? [],
  });
  const net = new SimNetwork({ clock, rng: rng.fork('network'), plan });
  const addresses = bindRaidaCluster(net, servers);
  const client = new RaidaClient({
    transport: net.openDatagram(),
    rng: rngBytesFn(rng.fork('client')),
    clock,
    addresses,
    timeoutMs: 500,
    retry: { attempts: 2 },
  });
  const coins: Coin[] = minted.map((m) => ({ den: m.den, sn: m.sn, ans: m.ans }));
  return { net, client, coins, servers };
}

const targets = (ids: readonly number[]) => ids.map(raidaTarget);
const stale = (ids: readonly number[]) => ({
  fault: 'behave' as const,
  targets: targets(ids),
  behaviour: 'staleErrorReplies',
});
const force = (ids: readonly number[], status: number, probability = 1) => ({
  fault: 'forceStatus' as const,
  targets: targets(ids),
  status,
  probability,
});

describe('RaidaClient against stale error replies (sim network, plan behaviour staleErrorReplies)', () => {
  const bad = [0, 1, 2, 3, 4];

  it('forceStatus 7 on five RAIDA: error votes without the behaviour, noReply with it; authentic either way', async () => {
    const plain = world({ rules: [force(bad, 7)] });
    const before = await plain.client.detect(plain.coins);
    const w = world({ rules: [force(bad, 7), stale(bad)] });
    const after = await w.client.detect(w.coins);
    for (const [report, vote] of [
      [before, 'error'],
      [after, 'noReply'],
    ] as const) {
      for (const t of report.tokens) {
        t.votes.forEach((v, r) => expect(v).toBe(bad.includes(r) ? vote : 'pass'));
        expect(t.grade).toBe('authentic');
      }
    }
    expect(w.client.stats.unmatched).toBeGreaterThanOrEqual(bad.length);
  });

  it("the server's own header errors (a RAIDA configured for another coin id → 7) are stale too", async () => {
    const wrong = [6, 7];
    const plain = world({ wrongCoinId: wrong });
    const w = world({ wrongCoinId: wrong, rules: [stale(wrong)] });
    const [a, b] = [await plain.client.detect(plain.coins), await w.client.detect(w.coins)];
    for (const t of a.tokens) wrong.forEach((r) => expect(t.votes[r]).toBe('error'));
    for (const t of b.tokens) {
      wrong.forEach((r) => expect(t.votes[r]).toBe('noReply'));
      expect(t.grade).toBe('authentic');
    }
    expect(w.servers[6]!.stats.byStatus[7]).toBeGreaterThan(0);
  });

  it('a bad CRC (37) is not stale: still an error vote under the behaviour', async () => {
    const w = world({ rules: [force([9], 37), stale([9])] });
    const report = await w.client.detect(w.coins);
    for (const t of report.tokens) expect(t.votes[9]).toBe('error');
  });

  it('13 RAIDA with stale errors leave 12 honest passes: limbo, never authentic', async () => {
    const thirteen = Array.from({ length: 13 }, (_, i) => i);
    const w = world({ rules: [force(thirteen, 3), stale(thirteen)] });
    const report = await w.client.detect(w.coins);
    for (const t of report.tokens) {
      expect(t.passes).toBe(12);
      expect(t.grade).toBe('limbo');
    }
  });

  it('the behaviour is read per datagram: a plan swapped at run time (setPlan) takes effect at once', async () => {
    const w = world({ rules: [force(bad, 7)] });
    expect((await w.client.detect(w.coins)).tokens[0]!.votes[0]).toBe('error');
    w.net.injector.setPlan(
      parseFaultPlan({
        latency: { default: { kind: 'constant', ms: 10 } },
        rules: [force(bad, 7), stale(bad)],
      }),
    );
    expect((await w.client.detect(w.coins)).tokens[0]!.votes[0]).toBe('noReply');
  });

  it('seeds 1-40, two detects at once, half the requests of 12 RAIDA refused with stale 7s, replies reordered: stale RAIDA vote pass or noReply, grades follow the votes', async () => {
    const twelve = Array.from({ length: 12 }, (_, i) => i);
    let staleDropped = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const w = world({
        seed,
        coins: 4,
        latency: { kind: 'uniform', minMs: 1, maxMs: 60 },
        // reorder: extra delay on the reply leg only, so a later request's stale reply can overtake.
        rules: [
          force(twelve, 7, 0.5),
          stale(twelve),
          { fault: 'reorder', targets: targets(twelve), maxExtraMs: 80 },
        ],
      });
      const reports = await Promise.all([
        w.client.detect(w.coins.slice(0, 2)),
        w.client.detect(w.coins.slice(2)),
      ]);
      for (const t of reports.flatMap((r) => r.tokens)) {
        t.votes.forEach((v: Vote, r) => {
          if (twelve.includes(r)) expect(['pass', 'noReply'], `seed ${seed} RAIDA ${r}`).toContain(v);
          else expect(v, `seed ${seed} RAIDA ${r}`).toBe('pass');
        });
        expect(t.grade).toBe(gradeVotes(t.votes));
        expect(t.grade).toBe('authentic'); // 13 honest RAIDA always pass
      }
      staleDropped += w.client.stats.stale;
    }
    // The race the rule guards against did happen: stale replies matched a waiting request.
    expect(staleDropped).toBeGreaterThan(0);
  });
});
