/**
 * @fanout/prime — a federated-training coordinator after seed 004 (DAA Prime Coordinator): node
 * registry and heartbeats, capability-aware selection, training rounds fanned out through
 * @fanout/core, FedAvg and Byzantine-robust aggregation (median, trimmed mean, Krum, multi-Krum),
 * Byzantine screening, reliability scores, rewards and slashing, Prometheus metrics, crash
 * recovery from an append-only log, and a real model (softmax regression) on real data (Iris).
 */
export * from './errors.js';
export * from './config.js';
export * from './model.js';
export * from './dataset.js';
export * from './aggregate.js';
export * from './screen.js';
export * from './update.js';
export * from './registry.js';
export * from './selector.js';
export * from './reliability.js';
export * from './ledger.js';
export * from './log.js';
export * from './metrics.js';
export * from './transport.js';
export type { HeartbeatSummary } from './heartbeat.js';
export type { RoundOptions } from './round.js';
export type { CoordinatorEvent, NodeOutcome, RoundFailReason, RoundReport } from './state.js';
export {
  Coordinator,
  type CoordinatorOptions,
  type CoordinatorStatus,
  type RoundProgress,
} from './coordinator.js';
export { roundReportToJson, type RoundReportJson } from './report-json.js';
