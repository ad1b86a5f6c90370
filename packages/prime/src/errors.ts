/**
 * Errors of @fanout/prime. Each has a stable `name` and names the field that was wrong, so a
 * caller (or an HTTP route) can report "config.consensusThreshold: must be <= 1" without parsing
 * the message.
 */

/** One schema problem: `path` like 'config.consensusThreshold' or 'node.capabilities.2'. */
export interface PrimeIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * A coordinator configuration value was invalid. `field` is the first offending path
 * (e.g. 'config.heartbeatTimeoutMs'); `issues` lists every problem.
 */
export class PrimeConfigError extends Error {
  override readonly name = 'PrimeConfigError';
  constructor(
    readonly field: string,
    readonly issues: readonly PrimeIssue[],
  ) {
    super(`invalid coordinator config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/**
 * Input from outside (a node registration, a task or update on the wire, a round option) was
 * invalid. `field` names the first offending path (e.g. 'node.nodeId', 'update.delta');
 * `issues` lists every problem.
 */
export class PrimeInputError extends Error {
  override readonly name = 'PrimeInputError';
  constructor(
    readonly field: string,
    readonly issues: readonly PrimeIssue[],
  ) {
    super(`invalid ${field}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** A round could not start: `reason` says why ('max-concurrent-rounds', 'closed', 'round-exists'). */
export class RoundStartError extends Error {
  override readonly name = 'RoundStartError';
  constructor(
    readonly reason: 'max-concurrent-rounds' | 'closed' | 'round-exists',
    message: string,
  ) {
    super(message);
  }
}

/** A round number that the coordinator has never started was asked about. */
export class UnknownRoundError extends Error {
  override readonly name = 'UnknownRoundError';
  /** Always 'round': the field that was wrong. */
  readonly field = 'round';
  constructor(readonly round: number) {
    super(`unknown round ${round}`);
  }
}

/**
 * A trainer's update failed validation before aggregation (thrown inside the round's fan-out
 * call, so the engine reports the node as 'rejected'). `reason` is the detection rule that fired.
 */
export class UpdateRejectedError extends Error {
  override readonly name = 'UpdateRejectedError';
  constructor(
    readonly reason: UpdateRejectReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Why an update was not used:
 * - 'malformed': not a ModelUpdate on the wire (schema), or from another node / round;
 * - 'wrong-shape': delta length differs from the model's parameter count;
 * - 'non-finite': a NaN / ±Infinity (null on the JSON wire) in the delta or the sample count;
 * - 'stale': trained on another model version than the round's;
 * - 'duplicate': an update id, or a (node, round) pair, already accepted;
 * - 'replay': the same delta bytes (SHA-256) as an update seen before;
 * - 'dissimilar': cosine similarity to the robust aggregate below the threshold;
 * - 'norm-outlier': L2 norm more than the deviation threshold times the median norm.
 */
export type UpdateRejectReason =
  | 'malformed'
  | 'wrong-shape'
  | 'non-finite'
  | 'stale'
  | 'duplicate'
  | 'replay'
  | 'dissimilar'
  | 'norm-outlier';
