/** Errors of @fanout/core. Each has a stable `name` and names what was wrong. */

/** A fan-out option was invalid. `option` names it (e.g. 'concurrency', 'quorum.count', 'key'). */
export class FanOutOptionError extends Error {
  override readonly name = 'FanOutOptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`fanOut option '${option}': ${message}`);
  }
}

/**
 * Throw this from a call to say the target explicitly refused (e.g. "Busy right now", HTTP 403):
 * the default `classify` reports it as 'rejected' rather than 'failed', and it is never retried.
 */
export class TargetRejectedError extends Error {
  override readonly name = 'TargetRejectedError';
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Reason given to an attempt's AbortSignal when its per-attempt timeout passed. */
export class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`attempt timed out after ${timeoutMs} ms`);
  }
}

/** Reason given to pending targets when the fan-out's deadline passed. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly deadlineMs: number) {
    super(`fan-out deadline of ${deadlineMs} ms passed`);
  }
}

/** Reason given to in-flight attempts that are no longer wanted. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(
    readonly reason: 'quorum' | 'aborted' | 'hedge-lost',
    override readonly cause?: unknown,
  ) {
    super(
      reason === 'quorum'
        ? 'cancelled: quorum met'
        : reason === 'hedge-lost'
          ? 'cancelled: another attempt answered first'
          : 'cancelled: aborted by caller',
    );
  }
}
