/**
 * Errors of @fanout/core. Each has a stable `name` and names what was wrong.
 *
 * The reasons the engine itself gives to attempts and targets (AttemptTimeoutError,
 * DeadlineExceededError, CancelledError) carry no stack trace: they are made by its timers and
 * quorum check, so a stack would only show the engine's internals, and capturing one cost about
 * 15–35 µs in a simulated run (deep clock and promise stacks), some 3 % of a raida.no-hol run,
 * which makes one CancelledError. The errors a caller can cause or throw keep theirs.
 */

/**
 * Set `Error.stackTraceLimit` to 0 (V8 then captures no frames) and return what it was; the
 * caller restores it right after its `super` call.
 */
function stopStacks(): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return limit;
}

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

/** Reason given to an attempt's AbortSignal when its per-attempt timeout passed (no stack trace). */
export class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
  constructor(readonly timeoutMs: number) {
    const limit = stopStacks();
    super(`attempt timed out after ${timeoutMs} ms`);
    Error.stackTraceLimit = limit;
  }
}

/** Reason given to pending targets when the fan-out's deadline passed (no stack trace). */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly deadlineMs: number) {
    const limit = stopStacks();
    super(`fan-out deadline of ${deadlineMs} ms passed`);
    Error.stackTraceLimit = limit;
  }
}

/** Reason given to in-flight attempts that are no longer wanted (no stack trace). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(
    readonly reason: 'quorum' | 'aborted' | 'hedge-lost',
    override readonly cause?: unknown,
  ) {
    const limit = stopStacks();
    super(
      reason === 'quorum'
        ? 'cancelled: quorum met'
        : reason === 'hedge-lost'
          ? 'cancelled: another attempt answered first'
          : 'cancelled: aborted by caller',
    );
    Error.stackTraceLimit = limit;
  }
}
