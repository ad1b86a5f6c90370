/**
 * A live server under fuzz, seen from the parent: rounds of inputs, and the checks run after each.
 */
import type { LiveRecorder } from './report.js';

/** One server's fuzz session (made from a running child's info). */
export interface LiveSession {
  /** Send `count` inputs drawn from `seed` (round `round`), recording outcomes in `rec`. */
  round(round: number, count: number, seed: number, rec: LiveRecorder): Promise<void>;
  /**
   * Read the canary back (a value still reads back, keys still sign) and compare the state with
   * what it must be; records findings in `rec`.
   * @returns a one-line summary for the report.
   */
  check(round: number, rec: LiveRecorder): Promise<string>;
  /**
   * After the last round, with the fuzzer's own sockets closed (the attacker gone): does the
   * server recover? Optional; records findings in `rec`.
   * @returns a one-line summary.
   */
  afterRounds?(rec: LiveRecorder): Promise<string>;
  close(): Promise<void>;
}
