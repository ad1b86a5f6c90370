/**
 * One training round (seeds/004 "Training Round Coordination"): select up to maxNodesPerRound
 * eligible nodes, fan the task out through @fanout/core (per-node task timeout, round deadline,
 * early close once `closeAfter` well-formed updates arrived — the rest are cancelled), then screen,
 * aggregate and commit, or fail with the reason and every node's outcome.
 *
 * Order of a round: round-started logged → task fanned out → each well-formed update is logged
 * before it counts (a rejected one is logged as 'rejected') → screening against the robust
 * reference → consensus check (used / received ≥ consensusThreshold, used ≥ minUpdates) →
 * aggregate of the used updates → commit (params + aggregate, version + 1) logged → scores and
 * ledger logged.
 */
import { CancelledError, fanOut, type FanOutResult } from '@fanout/core';
import { z } from 'zod';
import { aggregateOf, resolveRule, type ResolvedRule } from './aggregate.js';
import { aggregationRuleSchema } from './config.js';
import { PrimeInputError, RoundStartError, UpdateRejectedError } from './errors.js';
import { evaluate, type Evaluation } from './model.js';
import type { NodeView } from './registry.js';
import { screenUpdates } from './screen.js';
import { hasCapabilities } from './selector.js';
import {
  append,
  emit,
  markSeen,
  type CoordinatorState,
  type RoundRecord,
  type RoundReport,
} from './state.js';
import { checkUpdate, type ModelUpdate, type TrainingTask } from './update.js';
import { settleRound, type Decision } from './settle.js';
import { schemaIssues } from './schema.js';

const roundOptionsSchema = z
  .object({
    /** Round number (default: one more than the highest so far). */
    round: z.number().int().min(1).optional(),
    /** Capabilities every participant must have. Default none. */
    requiredCapabilities: z.array(z.string().min(1)).default([]),
    /** Participants at most (≤ maxNodesPerRound). Default maxNodesPerRound. */
    maxParticipants: z.number().int().min(1).optional(),
    /** Updates needed to commit. Default minNodesForRound. */
    minUpdates: z.number().int().min(1).optional(),
    /** Close the round once this many well-formed updates arrived (the rest are cancelled). Default: all selected. */
    closeAfter: z.number().int().min(1).optional(),
    /**
     * Training tasks in flight at once (the fan-out's concurrency). Default: every participant at
     * once; 1 asks one trainer at a time (a sequential baseline).
     */
    concurrency: z.number().int().min(1).optional(),
    /** Per-node task timeout, ms. Default taskTimeoutMs. */
    taskTimeoutMs: z.number().positive().optional(),
    /** Round deadline, ms from the start. Default roundDeadlineMs. */
    deadlineMs: z.number().positive().optional(),
    /** Aggregation rule for this round. Default config.aggregation. */
    aggregation: aggregationRuleSchema.optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .strict();
/** Options of Coordinator.runRound (every one optional; see each field). */
export type RoundOptions = z.input<typeof roundOptionsSchema>;
type ParsedRoundOptions = z.output<typeof roundOptionsSchema>;

function parseRoundOptions(input: unknown): ParsedRoundOptions {
  const r = roundOptionsSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues = schemaIssues(r.error, 'round');
  throw new PrimeInputError(issues[0]?.path ?? 'round', issues);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function evaluateModel(state: CoordinatorState): Evaluation | undefined {
  return state.testSet === undefined ? undefined : evaluate(state.params, state.testSet);
}

/** Eligible nodes: active, with the capabilities, reliable enough. */
function eligible(state: CoordinatorState, required: readonly string[]): NodeView[] {
  const now = state.clock.now();
  return state.registry
    .list(now)
    .filter(
      (n) =>
        n.active &&
        hasCapabilities(n, required) &&
        n.reliabilityScore >= state.config.reliability.minToSelect,
    );
}

/** Ask the selector and sanitise its answer (only available nodes, no duplicates, at most max). */
async function select(state: CoordinatorState, round: number, o: ParsedRoundOptions): Promise<NodeView[]> {
  const max = Math.min(o.maxParticipants ?? state.config.maxNodesPerRound, state.config.maxNodesPerRound);
  const available = eligible(state, o.requiredCapabilities);
  const byId = new Map(available.map((n) => [n.nodeId, n]));
  const chosen = await state.selector.selectNodes(available, {
    maxNodes: max,
    requiredCapabilities: o.requiredCapabilities,
    round,
  });
  const out: NodeView[] = [];
  for (const n of chosen) {
    const v = byId.get(n.nodeId);
    if (v !== undefined && !out.includes(v) && out.length < max) out.push(v);
  }
  return out;
}

/**
 * Run one new round (see the module docstring).
 * @returns the {@link RoundReport} (a failed round is a report with `status: 'failed'`, not a throw).
 * @throws PrimeInputError('round.<field>') for bad options; RoundStartError when the coordinator is
 *   closed ('closed'), maxConcurrentRounds rounds are running ('max-concurrent-rounds') or the round
 *   number was used ('round-exists').
 */
export async function runRound(state: CoordinatorState, input: RoundOptions = {}): Promise<RoundReport> {
  const o = parseRoundOptions(input);
  if (state.closed) throw new RoundStartError('closed', 'the coordinator is closed');
  if (state.activeRounds >= state.config.maxConcurrentRounds)
    throw new RoundStartError(
      'max-concurrent-rounds',
      `${state.activeRounds} rounds are running (maxConcurrentRounds)`,
    );
  const round = o.round ?? state.lastRound + 1;
  if (state.rounds.has(round))
    throw new RoundStartError('round-exists', `round ${round} was already started`);
  state.lastRound = Math.max(state.lastRound, round);
  const rec: RoundRecord = {
    round,
    status: 'running',
    taskId: hex(state.randomBytes(8)),
    modelVersion: state.modelVersion,
    selected: [],
    closeAfter: 0,
    minUpdates: o.minUpdates ?? state.config.minNodesForRound,
    startedAt: state.clock.now(),
    updates: new Map(),
    rejections: new Map(),
    settled: 0,
    report: undefined,
  };
  state.rounds.set(round, rec);
  state.activeRounds++;
  try {
    const nodes = await select(state, round, o);
    rec.selected = nodes.map((n) => n.nodeId);
    rec.closeAfter = Math.min(o.closeAfter ?? nodes.length, nodes.length);
    await append(state, {
      type: 'round-started',
      at: rec.startedAt,
      round,
      taskId: rec.taskId,
      modelVersion: rec.modelVersion,
      selected: rec.selected,
      closeAfter: rec.closeAfter,
      minUpdates: rec.minUpdates,
    });
    emit(state, { type: 'round-started', at: rec.startedAt, round, selected: rec.selected, resumed: false });
    return await conduct(state, rec, nodes, o, false);
  } finally {
    state.activeRounds--;
  }
}

/**
 * Resume a round that a previous coordinator started and never decided (after `recover`): the
 * updates it logged count once, the nodes that delivered are not asked again, the others are.
 * @throws PrimeInputError('round.round') for a round that is not interrupted; RoundStartError as runRound.
 */
export async function resumeRound(
  state: CoordinatorState,
  round: number,
  input: RoundOptions = {},
): Promise<RoundReport> {
  const o = parseRoundOptions(input);
  const rec = state.rounds.get(round);
  if (rec === undefined || rec.status !== 'interrupted')
    throw new PrimeInputError('round.round', [
      { path: 'round.round', message: `round ${round} is not an interrupted round` },
    ]);
  if (state.closed) throw new RoundStartError('closed', 'the coordinator is closed');
  if (state.activeRounds >= state.config.maxConcurrentRounds)
    throw new RoundStartError(
      'max-concurrent-rounds',
      `${state.activeRounds} rounds are running (maxConcurrentRounds)`,
    );
  rec.status = 'running';
  state.activeRounds++;
  try {
    emit(state, {
      type: 'round-started',
      at: state.clock.now(),
      round,
      selected: rec.selected,
      resumed: true,
    });
    if (rec.modelVersion !== state.modelVersion) {
      return await settleRound(state, rec, {
        fail: 'model-advanced',
        result: undefined,
        closedAt: state.clock.now(),
        resumed: true,
        before: evaluateModel(state),
      });
    }
    const now = state.clock.now();
    const nodes = rec.selected
      .filter((id) => !rec.updates.has(id) && !rec.rejections.has(id))
      .map((id) => state.registry.get(id, now))
      .filter((n): n is NodeView => n !== undefined);
    return await conduct(state, rec, nodes, o, true);
  } finally {
    state.activeRounds--;
  }
}

/** Fan out to `nodes`, then decide. */
async function conduct(
  state: CoordinatorState,
  rec: RoundRecord,
  nodes: NodeView[],
  o: ParsedRoundOptions,
  resumed: boolean,
): Promise<RoundReport> {
  const before = evaluateModel(state);
  if (rec.selected.length < rec.minUpdates)
    return settleRound(state, rec, {
      fail: 'not-enough-nodes',
      result: undefined,
      closedAt: state.clock.now(),
      resumed,
      before,
    });
  const taskTimeoutMs = o.taskTimeoutMs ?? state.config.taskTimeoutMs;
  const task: TrainingTask = {
    taskId: rec.taskId,
    taskType: 'gradient_computation',
    round: rec.round,
    modelVersion: rec.modelVersion,
    params: Array.from(state.params),
    epochs: state.config.training.epochs,
    learningRate: state.config.training.learningRate,
    batchSize: state.config.training.batchSize,
    issuedAt: state.clock.now(),
    timeoutMs: taskTimeoutMs,
  };
  const { result, aborted } = await collect(state, rec, nodes, task, o, taskTimeoutMs);
  const closedAt = state.clock.now();
  if (aborted || state.closed)
    return settleRound(state, rec, { fail: 'aborted', result, closedAt, resumed, before });
  return settleRound(state, rec, { ...decide(state, rec, o), result, closedAt, resumed, before });
}

/** The fan-out of one round's task. Resolves once every outcome is in and every log append landed. */
async function collect(
  state: CoordinatorState,
  rec: RoundRecord,
  nodes: NodeView[],
  task: TrainingTask,
  o: ParsedRoundOptions,
  taskTimeoutMs: number,
): Promise<{ result: FanOutResult<NodeView, ModelUpdate> | undefined; aborted: boolean }> {
  const already = rec.updates.size;
  const need = rec.closeAfter - already;
  if (nodes.length === 0 || need <= 0) return { result: undefined, aborted: false };
  const signals = [state.closeCtl.signal, ...(o.signal === undefined ? [] : [o.signal])];
  const signal = AbortSignal.any(signals);
  const dim = state.params.length;
  const appends: Promise<void>[] = [];
  const call = async (node: NodeView, ctx: { signal: AbortSignal }): Promise<ModelUpdate> => {
    state.pendingTasks++;
    try {
      const raw = await state.transport.train(node, task, { signal: ctx.signal });
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (state.closed) throw new CancelledError('aborted');
      const expect = { nodeId: node.nodeId, round: rec.round, modelVersion: rec.modelVersion, dim };
      let update: ModelUpdate;
      try {
        update = checkUpdate(raw, expect, state.seen);
      } catch (error) {
        if (error instanceof UpdateRejectedError)
          onRejected(state, rec, node.nodeId, error, task.issuedAt, appends);
        throw error;
      }
      markSeen(state, update);
      const logged = append(state, {
        type: 'update',
        at: state.clock.now(),
        round: rec.round,
        update: { ...update, delta: Array.from(update.delta) },
      });
      appends.push(logged);
      await logged;
      rec.updates.set(node.nodeId, update);
      state.metrics.observeTask(state.clock.now() - task.issuedAt, 'received');
      emit(state, {
        type: 'update',
        at: state.clock.now(),
        round: rec.round,
        nodeId: node.nodeId,
        verdict: 'received',
      });
      return update;
    } finally {
      state.pendingTasks--;
    }
  };
  const run = fanOut(nodes, call, {
    key: (n) => n.nodeId,
    timeoutMs: taskTimeoutMs,
    deadlineMs: o.deadlineMs ?? state.config.roundDeadlineMs,
    ...(need < nodes.length ? { quorum: { count: need, exit: 'early' as const } } : {}),
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    classify: (e) => (e instanceof UpdateRejectedError ? 'rejected' : 'failed'),
    signal,
    clock: state.clock,
    onEvent: (event) => {
      if (event.type === 'settled') rec.settled++;
      emit(state, { type: 'fanout', round: rec.round, event });
    },
  });
  const result = await run;
  await Promise.allSettled(appends);
  return { result, aborted: result.cancelled.some((c) => c.reason === 'aborted') };
}

function onRejected(
  state: CoordinatorState,
  rec: RoundRecord,
  nodeId: string,
  error: UpdateRejectedError,
  issuedAt: number,
  appends: Promise<void>[],
): void {
  rec.rejections.set(nodeId, { reason: error.reason, detail: error.message });
  appends.push(
    append(state, {
      type: 'rejected',
      at: state.clock.now(),
      round: rec.round,
      nodeId,
      reason: error.reason,
      detail: error.message,
    }),
  );
  state.metrics.observeTask(state.clock.now() - issuedAt, 'rejected');
  state.metrics.byzantineDetected(error.reason);
  emit(state, {
    type: 'update',
    at: state.clock.now(),
    round: rec.round,
    nodeId,
    verdict: 'rejected',
    reason: error.reason,
  });
}

/** Screen, check consensus, aggregate. Pure with respect to the coordinator's state. */
function decide(state: CoordinatorState, rec: RoundRecord, o: ParsedRoundOptions): Decision {
  const received = rec.selected
    .map((id) => rec.updates.get(id))
    .filter((u): u is ModelUpdate => u !== undefined);
  if (received.length < rec.minUpdates) return { fail: 'too-few-updates', received, agreement: 0 };
  const tol = state.config.byzantineTolerance;
  const screen = screenUpdates(received, state.config.detection, tol);
  const used = received.filter((_, i) => screen.verdicts[i]!.flagged === undefined);
  const agreement = used.length / (received.length + rec.rejections.size);
  const base = { screen, received, used, agreement };
  if (used.length < rec.minUpdates) return { ...base, fail: 'too-few-valid-updates' };
  if (agreement < state.config.consensusThreshold) return { ...base, fail: 'no-consensus' };
  let rule: ResolvedRule;
  try {
    rule = resolveRule(o.aggregation ?? state.config.aggregation, used.length, tol);
  } catch {
    return { ...base, fail: 'aggregation-error' };
  }
  return { ...base, fail: undefined, rule, aggregate: aggregateOf(used, rule, tol) };
}
