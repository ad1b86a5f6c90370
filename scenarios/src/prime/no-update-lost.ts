/**
 * prime.no-update-lost: the coordinator runs `rounds` rounds; the plan crashes it (a `crash` rule
 * on target 'coordinator': closed at atMs — it writes nothing more — and reopened from its round
 * log restartAfterMs later, resuming the rounds it left undecided), and some trainers resend
 * (`behave` 'duplicate': the previous update verbatim; 'replay': the previous delta under a fresh
 * id). Guarantees, read from the log the coordinators wrote and from the plan:
 * - every accepted update is counted exactly once: logged once, in one commit only, each commit's
 *   aggregate is `aggregateOf` of its logged updates, and the model is the sum of the commits;
 * - duplicates and replays are rejected, across the restart (a resending trainer is counted at
 *   most once in the whole run);
 * - the restarted coordinator recovered its state from the log: model version and parameters of
 *   the last commit, and the rounds left undecided.
 */
import { z } from 'zod';
import {
  RoundStartError,
  aggregateOf,
  parseLogEntries,
  type Coordinator,
  type LogEntry,
  type RoundReport,
} from '@fanout/prime';
import { defineScenario, type Scenario } from '../kernel/define.js';
import { RESENDING } from './plan.js';
import {
  buildFor,
  recordRound,
  roundOptionsFor,
  ruleInput,
  type Ctx,
  type PrimeScenarioSeams,
} from './kit.js';
import { COORDINATOR, trainerId, type PrimeParties } from './world.js';

const NAME = 'prime.no-update-lost';
const TOLERANCE = 0.33;

const options = z.object({
  trainers: z.number().int().min(3).max(100).default(6).describe('trainers'),
  rounds: z.number().int().min(1).max(100).default(4).describe('rounds to decide'),
  computeMs: z.number().min(0).max(60_000).default(100).describe('compute time of a task, ms'),
});
type Options = z.output<typeof options>;

/** Entries of one kind. */
function entries<K extends LogEntry['type']>(
  log: readonly LogEntry[],
  type: K,
): Extract<LogEntry, { type: K }>[] {
  return log.filter((e): e is Extract<LogEntry, { type: K }> => e.type === type);
}

/** What the restarts saw, for the recovery check. */
interface Restart {
  readonly at: number;
  /** Log length when the coordinator crashed. */
  readonly logLength: number;
  readonly modelVersion: number;
  readonly params: readonly number[];
  readonly interrupted: readonly number[];
}

/** The counted-once check over the whole log; undefined when it held. */
export function countedOnceViolation(
  log: readonly LogEntry[],
  initial: Float64Array,
  final: Float64Array,
): string | undefined {
  const updates = entries(log, 'update');
  const byId = new Map<string, (typeof updates)[number]>();
  for (const u of updates) {
    if (byId.has(u.update.updateId)) return `update ${u.update.updateId} logged twice`;
    byId.set(u.update.updateId, u);
  }
  const digests = new Set<string>();
  for (const u of updates) {
    if (digests.has(u.update.digest))
      return `the same delta (${u.update.digest.slice(0, 12)}…) was received twice`;
    digests.add(u.update.digest);
  }
  const counted = new Set<string>();
  let params = Float64Array.from(initial);
  for (const c of entries(log, 'round-committed')) {
    const used = [];
    for (const id of c.acceptedUpdateIds) {
      if (counted.has(id)) return `update ${id} counted in two commits`;
      counted.add(id);
      const u = byId.get(id);
      if (u === undefined || u.round !== c.round)
        return `round ${c.round} counted ${id}, never logged for it`;
      used.push({ numSamples: u.update.numSamples, delta: u.update.delta });
    }
    const started = entries(log, 'round-started').find((s) => s.round === c.round);
    if (started === undefined) return `round ${c.round} committed without being started`;
    const want = used.length === 0 ? undefined : aggregateOf(used, ruleInput('fedavg', TOLERANCE));
    if (want === undefined || want.some((v, q) => !Object.is(v, c.aggregate[q])))
      return `round ${c.round}: the committed aggregate is not FedAvg of its ${used.length} logged update(s)`;
    params = Float64Array.from(params, (v, q) => v + want[q]!);
    if (params.some((v, q) => !Object.is(v, c.params[q])))
      return `round ${c.round}: the model is not the previous one plus this aggregate`;
  }
  if (final.some((v, q) => !Object.is(v, params[q])))
    return 'the final model is not the initial one plus every committed aggregate';
  return undefined;
}

/** Crash times of the coordinator from the plan, with restart delays. */
function crashesOf(ctx: Ctx): { atMs: number; restartAfterMs: number | undefined }[] {
  return ctx.world.view.crashesOf(COORDINATOR).sort((a, b) => a.atMs - b.atMs);
}

/**
 * Drive `rounds` rounds across the plan's coordinator crashes (see the module docstring).
 * @returns every report, and what each restart found.
 */
async function drive(ctx: Ctx, seams: PrimeScenarioSeams, parties: PrimeParties, o: Options) {
  const reports: RoundReport[] = [];
  const restarts: Restart[] = [];
  const crashes = crashesOf(ctx);
  let c: Coordinator = parties.coordinator;
  let down = false;
  // The crash: close the coordinator at atMs of plan time (whatever it is doing).
  const crasher = (async () => {
    for (const k of crashes) {
      await ctx.world.sleepUntil(k.atMs, ctx.signal);
      down = true;
      c.close();
      if (k.restartAfterMs === undefined) return;
      await ctx.world.sleepUntil(k.atMs + k.restartAfterMs, ctx.signal);
      const logLength = parties.log.length;
      c = await parties.restart();
      restarts.push({
        at: ctx.world.elapsed(),
        logLength,
        modelVersion: c.modelVersion,
        params: Array.from(c.params),
        interrupted: c.interruptedRounds(),
      });
      down = false;
    }
  })();
  crasher.catch(() => {}); // awaited below; this only keeps an early throw of the loop from leaving it unhandled
  const decided = (): number => reports.filter((r) => r.reason !== 'aborted').length;
  while (decided() < o.rounds && !ctx.signal.aborted) {
    if (down || c.closed) {
      if (crashes.every((k) => k.restartAfterMs === undefined && ctx.world.elapsed() >= k.atMs)) break;
      await ctx.world.clock.sleep(5, ctx.signal);
      continue;
    }
    const current = c;
    try {
      for (const round of current.interruptedRounds()) {
        const r = await current.resumeRound(round, roundOptionsFor(ctx, seams, NAME));
        recordRound(ctx, 'resume', r);
        reports.push(r);
      }
      if (decided() >= o.rounds) break;
      const r = await current.runRound(roundOptionsFor(ctx, seams, NAME));
      recordRound(ctx, 'round', r);
      reports.push(r);
    } catch (e) {
      if (!(e instanceof RoundStartError)) throw e;
    }
  }
  // A crash planned after the last round still happens (and the restart is checked).
  await crasher;
  return { reports, restarts, coordinator: () => c };
}

/** prime.no-update-lost with the given seams. */
export function noUpdateLostScenario(seams: PrimeScenarioSeams = {}): Scenario {
  return defineScenario({
    name: NAME,
    title:
      'every accepted update counted exactly once; duplicates and replays rejected, across a coordinator crash and restart',
    options,
    liveDefaults: { computeMs: 30 },
    guarantees: ['accepted-counted-once', 'duplicates-replays-rejected', 'recovered-from-log'] as const,
    defaultRuns: { sim: 15, live: 2 },
    plan({ rng, mode, options: o }) {
      const n = o.trainers;
      const roundMs = o.computeMs + (mode === 'live' ? 10 : 40);
      const atMs = Math.round(roundMs * o.rounds * (0.1 + 0.8 * rng.float()));
      const restartAfterMs = Math.round(roundMs * (0.3 + 2 * rng.float()));
      const resenders = rng
        .shuffle(Array.from({ length: n }, (_, i) => i))
        .slice(0, rng.int(1, Math.max(1, Math.floor(n / 3))));
      return {
        description: `coordinator crashes at ${atMs} ms, back ${restartAfterMs} ms later; resending: ${resenders.map((i) => trainerId(i)).join(', ')}`,
        latency: {
          default:
            mode === 'live'
              ? { kind: 'uniform', minMs: 1, maxMs: 5 }
              : { kind: 'normal', meanMs: 40, sdMs: 8 },
        },
        rules: [
          { fault: 'crash', targets: [COORDINATOR], atMs, restartAfterMs },
          ...resenders.map((i) => ({
            fault: 'behave' as const,
            targets: [trainerId(i)],
            behaviour: rng.pick(['duplicate', 'replay'] as const),
            params: {},
          })),
        ],
      };
    },
    async run(ctx) {
      const o = ctx.options as Options;
      const parties = await buildFor(ctx, seams, NAME, {
        trainers: o.trainers,
        computeMs: o.computeMs,
        config: {
          minNodesForRound: 2,
          consensusThreshold: 0.5,
          byzantineTolerance: TOLERANCE,
          taskTimeoutMs: 60_000,
        },
      });
      const initial = parties.coordinator.params;
      const { reports, restarts, coordinator } = await drive(ctx, seams, parties, o);
      ctx.latency(ctx.world.elapsed());
      if (ctx.sequential) return;
      const log = parseLogEntries(parties.log.read());
      const final = coordinator().params;

      const once = countedOnceViolation(log, initial, final);
      const committed = entries(log, 'round-committed');
      ctx.check(
        'accepted-counted-once',
        once === undefined,
        once ??
          `${committed.length} commit(s) of ${committed.reduce((s, c) => s + c.acceptedUpdateIds.length, 0)} update(s), each counted once`,
      );

      // Resending trainers: every answer after the first repeats it, so at most one update each.
      const view = ctx.world.view;
      const resenders = parties.nodeIds.filter((id) =>
        view
          .behaviours(id)
          .some((b) => RESENDING.has(b.behaviour) && view.behaves(id, b.behaviour) === 'always'),
      );
      const updates = entries(log, 'update');
      const twice = resenders.filter((id) => updates.filter((u) => u.update.nodeId === id).length > 1);
      const rejections = entries(log, 'rejected').filter((e) => resenders.includes(e.nodeId));
      ctx.check(
        'duplicates-replays-rejected',
        twice.length === 0,
        twice.length === 0
          ? `${resenders.length} resending trainer(s) counted at most once; ${rejections.length} resend(s) rejected (${[...new Set(rejections.map((r) => r.reason))].join(', ') || 'none'})`
          : `counted more than once: ${twice.join(', ')}`,
      );

      // Recovery: each restart found the last commit and the undecided rounds of the log it had.
      let recovered: string | undefined;
      for (const r of restarts) {
        const seen = log.slice(0, r.logLength);
        const last = entries(seen, 'round-committed').at(-1);
        const decidedRounds = new Set(
          [...entries(seen, 'round-committed'), ...entries(seen, 'round-failed')].map((e) => e.round),
        );
        const undecided = entries(seen, 'round-started')
          .map((e) => e.round)
          .filter((x) => !decidedRounds.has(x))
          .sort((a, b) => a - b);
        const version = last?.modelVersion ?? 0;
        const params = last?.params ?? Array.from(initial);
        if (r.modelVersion !== version || r.params.some((v, q) => !Object.is(v, params[q])))
          recovered ??= `restart at ${r.at.toFixed(0)} ms: model version ${r.modelVersion}, the log says ${version}`;
        else if (r.interrupted.join(',') !== undecided.join(','))
          recovered ??= `restart at ${r.at.toFixed(0)} ms: interrupted rounds [${r.interrupted.join(', ')}], the log leaves [${undecided.join(', ')}] undecided`;
      }
      const resumed = reports.filter((r) => r.resumed);
      const unfinished = reports.filter((r) => r.reason === 'aborted').length;
      ctx.check(
        'recovered-from-log',
        recovered === undefined && (restarts.length > 0 || crashesOf(ctx).length === 0),
        recovered ??
          (restarts.length === 0 && crashesOf(ctx).length > 0
            ? 'the coordinator was never restarted'
            : `${restarts.length} restart(s); ${unfinished} round(s) cut by the crash, ${resumed.length} resumed from the log`),
      );
      ctx.fact('commits', committed.length);
      ctx.fact('resumed', resumed.length);
    },
  });
}
