/**
 * Fault hooks consulted by the simulated Hubert stores. The lead's fault plans map their rules
 * onto this small interface; every hook is optional and {@link noFaults} injects nothing.
 *
 * Hooks must be deterministic functions of their arguments and the plan's own seeded state
 * (`now` is the store's Clock time in ms), so a scenario replays exactly.
 */

/** Operations a store performs; latency hooks are asked per operation. */
export type HubertOp = 'put' | 'get' | 'exists';

/**
 * What to do with one put:
 * - `'ok'`: store it normally;
 * - `'lose'`: a lost write — the put runs its normal checks (size, write-once) and is
 *   acknowledged with the normal receipt, but nothing is stored (readers never see it);
 * - `{ status, body? }`: fail with {@link HubertServerError} (`status` e.g. 500/503; over HTTP the
 *   server answers that status with `body`, default `Injected fault`). Nothing is stored.
 */
export type PutFaultDecision = 'ok' | 'lose' | { status: number; body?: string };

/** Fault hooks. All optional; absent hooks mean "no fault". */
export interface HubertFaults {
  /**
   * Consulted once per put, after latency and the down check, before the write.
   * @param arid canonical `ur:arid/...` text.
   * @param now store clock time, ms.
   */
  beforePut?(arid: string, now: number): PutFaultDecision;
  /**
   * Consulted once per get call, after its latency and the down check, before its first check:
   * `{ status, body? }` fails the get with {@link HubertServerError} (a 5xx on a get; over HTTP
   * the server answers that status with `body`); `'ok'` or absent: a normal get.
   * @param arid canonical `ur:arid/...` text.
   * @param now store clock time, ms.
   */
  beforeGet?(arid: string, now: number): 'ok' | { status: number; body?: string };
  /**
   * Extra latency (ms, ≥ 0) added once at the start of an operation on `arid` (for a polling
   * get: before its first check). Non-finite or negative values are treated as 0.
   */
  extraLatencyMs?(op: HubertOp, arid: string, now: number): number;
  /**
   * True while the store is down: every operation (and every poll of a pending get) fails with
   * {@link HubertUnavailableError}; over HTTP the server answers 503 `Service Unavailable`.
   */
  isDown?(now: number): boolean;
  /**
   * Mainline only: true lets writers to `arid` race through the write-once check. The check
   * and the write are then separated by the store's `raceWindowMs` (a yield on the Clock), so
   * two concurrent puts can both pass the check and both succeed; the last write wins.
   * When false/absent the check-then-put is atomic (exactly one concurrent writer succeeds).
   */
  writeOnceRace?(arid: string, now: number): boolean;
}

/** The no-fault default. */
export const noFaults: HubertFaults = Object.freeze({});

/** Normalise a latency hook result to a finite ms ≥ 0. */
export function latencyOf(faults: HubertFaults, op: HubertOp, arid: string, now: number): number {
  const ms = faults.extraLatencyMs?.(op, arid, now) ?? 0;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
