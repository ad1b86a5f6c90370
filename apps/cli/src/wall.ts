/**
 * The real clock's reading, for wall-time figures (runs per second, "ran in N ms"): the CLI is
 * where the real clock is passed in. A module of its own so that a worker thread gets it without
 * the command-line parser.
 */
import { realClock } from '@fanout/core';

/** The real clock, ms. */
export const wallNow = (): number => realClock.now();
