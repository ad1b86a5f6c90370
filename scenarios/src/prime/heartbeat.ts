/**
 * prime.heartbeat: the coordinator heartbeats every trainer every heartbeatIntervalMs (a periodic
 * fan-out) while it runs a round every roundEveryMs. Trainers the plan silences (a partition
 * window, a crash with or without restart) become inactive within heartbeatTimeoutMs + one
 * interval of going silent and are never selected while inactive; when they come back they are
 * active, and selected, again within one interval plus their reply time. Healthy trainers stay
 * active and selected throughout.
 *
 * The oracle (oracle.ts `expectActive`) reads the silences from the effective plan and checks
 * the coordinator's node table at probe times and every round's selection against them. Live,
 * the same checks run with a wall-clock allowance around each boundary.
 */
import { z } from 'zod';
import type { RoundReport } from '@fanout/prime';
import { defineScenario, type Scenario } from '../kernel/define.js';
import { expectActive, type HeartbeatFrame } from './oracle.js';
import { buildFor, planTime, recordRound, roundOptionsFor, type PrimeScenarioSeams } from './kit.js';
import { trainerId } from './world.js';

const NAME = 'prime.heartbeat';
/** Wall-clock allowance around every boundary in the live tier, ms. */
export const LIVE_SLACK_MS = 400;

const options = z.object({
  trainers: z.number().int().min(2).max(100).default(6).describe('trainers'),
  horizonMs: z.number().int().min(1000).max(3_600_000).default(40_000).describe('length of the run, ms'),
  heartbeatTimeoutMs: z.number().int().min(10).max(600_000).default(10_000).describe('heartbeatTimeoutMs'),
  heartbeatIntervalMs: z.number().int().min(5).max(600_000).default(3_000).describe('heartbeatIntervalMs'),
  roundEveryMs: z
    .number()
    .int()
    .min(10)
    .max(600_000)
    .default(2_000)
    .describe('a round starts every this many ms'),
  computeMs: z.number().min(0).max(60_000).default(100).describe('compute time of a task, ms'),
});
type Options = z.output<typeof options>;

/** One look at the coordinator's node table. */
interface Probe {
  readonly t: number;
  readonly active: ReadonlyMap<string, boolean>;
}

/** prime.heartbeat with the given seams. */
export function heartbeatScenario(seams: PrimeScenarioSeams = {}): Scenario {
  return defineScenario({
    name: NAME,
    title:
      'silent trainers go inactive within heartbeatTimeoutMs + one interval, are never selected, and are selected again when back',
    options,
    liveDefaults: {
      horizonMs: 6_000,
      heartbeatTimeoutMs: 2_000,
      heartbeatIntervalMs: 300,
      roundEveryMs: 500,
      computeMs: 20,
    },
    guarantees: ['silent-nodes-expire', 'inactive-never-selected', 'returning-nodes-selected'] as const,
    // A periodic protocol: one trainer at a time means nothing for heartbeats.
    baseline: false,
    defaultRuns: { sim: 5, live: 1 },
    plan({ rng, mode, options: o }) {
      const n = o.trainers;
      const H = o.horizonMs;
      const minGap = o.heartbeatTimeoutMs + 2 * o.heartbeatIntervalMs;
      const silent = rng
        .shuffle(Array.from({ length: n }, (_, i) => i))
        .slice(0, rng.int(1, Math.min(3, n - 1)));
      const rules = silent.map((i) => {
        const from = Math.round(H * (0.05 + 0.3 * rng.float()));
        const back = rng.float() < 0.75;
        const length = back ? Math.round(minGap + 0.4 * H * rng.float()) : undefined;
        return rng.float() < 0.5
          ? {
              fault: 'partition' as const,
              targets: [trainerId(i)],
              window: length === undefined ? { fromMs: from } : { fromMs: from, toMs: from + length },
            }
          : {
              fault: 'crash' as const,
              targets: [trainerId(i)],
              atMs: from,
              ...(length === undefined ? {} : { restartAfterMs: length }),
            };
      });
      return {
        description: `silent: ${rules.map((r) => `${r.targets[0]} (${r.fault})`).join(', ')}`,
        latency: {
          default: mode === 'live' ? { kind: 'uniform', minMs: 1, maxMs: 5 } : { kind: 'constant', ms: 20 },
        },
        rules,
      };
    },
    async run(ctx) {
      const o = ctx.options as Options;
      const parties = await buildFor(ctx, seams, NAME, {
        trainers: o.trainers,
        computeMs: o.computeMs,
        config: {
          minNodesForRound: 1,
          maxNodesPerRound: o.trainers,
          heartbeatTimeoutMs: o.heartbeatTimeoutMs,
          heartbeatIntervalMs: o.heartbeatIntervalMs,
          taskTimeoutMs: Math.max(1, Math.floor(o.roundEveryMs / 2)),
          roundDeadlineMs: Math.max(1, Math.floor(o.roundEveryMs / 2)),
        },
      });
      const c = parties.coordinator;
      const stop = new AbortController();
      const beats = c.runHeartbeats(AbortSignal.any([stop.signal, ctx.signal]));
      const probes: Probe[] = [];
      const rounds: Promise<RoundReport>[] = [];
      const probeEvery = Math.max(1, Math.floor(o.heartbeatIntervalMs / 2));
      let nextRound = o.roundEveryMs;
      for (let t = probeEvery; t < o.horizonMs && !ctx.signal.aborted; t += probeEvery) {
        while (nextRound <= t) {
          await ctx.world.sleepUntil(nextRound, ctx.signal);
          rounds.push(c.runRound(roundOptionsFor(ctx, seams, NAME)));
          nextRound += o.roundEveryMs;
        }
        await ctx.world.sleepUntil(t, ctx.signal);
        const now = ctx.world.elapsed();
        probes.push({ t: now, active: new Map(c.listNodes().map((v) => [v.nodeId, v.active])) });
      }
      stop.abort();
      await beats;
      const reports = await Promise.all(rounds);
      for (const r of reports) recordRound(ctx, 'round', r);

      const view = ctx.world.view;
      // Live: timers and heartbeats drift with the machine's load; allow LIVE_SLACK_MS around each boundary.
      const slack = ctx.mode === 'live' ? LIVE_SLACK_MS : 0;
      const replyMs = Math.max(
        ...parties.nodeIds
          .map((id) => view.replyDelayBounds(id)[1])
          .map((hi) => (Number.isFinite(hi) ? hi : 0)),
      );
      const f: HeartbeatFrame = {
        timeoutMs: o.heartbeatTimeoutMs,
        intervalMs: o.heartbeatIntervalMs,
        replyMs,
        slackMs: slack,
      };
      const expireBad: string[] = [];
      const backBad: string[] = [];
      let inactiveSeen = 0;
      for (const p of probes)
        for (const id of parties.nodeIds) {
          const want = expectActive(view, id, p.t, f);
          const is = p.active.get(id);
          if (want === 'inactive') inactiveSeen++;
          if (want === 'inactive' && is !== false) expireBad.push(`${id} active at ${p.t.toFixed(0)} ms`);
          if (want === 'active' && is !== true) backBad.push(`${id} inactive at ${p.t.toFixed(0)} ms`);
        }
      const selectedBad: string[] = [];
      for (const r of reports) {
        const t = planTime(ctx, r.startedAt);
        for (const id of parties.nodeIds) {
          const want = expectActive(view, id, t, f);
          const chosen = r.selected.includes(id);
          if (want === 'inactive' && chosen)
            selectedBad.push(`${id} selected in round ${r.round} at ${t.toFixed(0)} ms`);
          if (want === 'active' && !chosen)
            backBad.push(`${id} not selected in round ${r.round} at ${t.toFixed(0)} ms`);
        }
      }
      const bound = `heartbeatTimeoutMs ${o.heartbeatTimeoutMs} + interval ${o.heartbeatIntervalMs}`;
      ctx.check(
        'silent-nodes-expire',
        expireBad.length === 0,
        expireBad.length === 0
          ? `${inactiveSeen} probe(s) of silent nodes past ${bound}: all inactive`
          : `still active past ${bound} of silence: ${expireBad.slice(0, 5).join('; ')}`,
      );
      ctx.check(
        'inactive-never-selected',
        selectedBad.length === 0,
        selectedBad.length === 0
          ? `${reports.length} round(s) selected no inactive node`
          : selectedBad.slice(0, 5).join('; '),
      );
      ctx.check(
        'returning-nodes-selected',
        backBad.length === 0,
        backBad.length === 0
          ? `healthy and returning nodes active and selected (${probes.length} probes, ${reports.length} rounds)`
          : backBad.slice(0, 5).join('; '),
      );
      ctx.fact('rounds', reports.length);
    },
  });
}
