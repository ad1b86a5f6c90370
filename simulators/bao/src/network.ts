/**
 * The Bao simulator inside the sim kit's {@link SimNetwork} (virtual time), and the mapping from
 * Bao failure modes onto fault-plan rules.
 *
 * Two layers of faults apply to every request, in this order:
 * 1. the fault plan, at the network edge (SimNetwork in simulation; {@link startBaoServer}'s
 *    `plan` on real sockets): latency per target, black holes (partition, dropRequest, pause),
 *    lost replies (dropReply: the request is handled, the client sees a connection reset),
 *    forced statuses (503 sealed windows, 429, 5xx error rates, with probabilities and windows),
 *    crashes (connection refused), corrupt/truncate/duplicate replies;
 * 2. the simulator's own hooks ({@link BaoFaultHooks}, e.g. {@link ruleFaults}), for what a plan
 *    cannot say because a plan only knows targets (one Bao server = one target): per-key or
 *    per-route latency, per-key error/sealed/429/reset/hang/dropReply, and forged signatures.
 */
import type { FetchLike } from '@fanout/core';
import type { FaultPlanInput, SimNetwork } from '@fanout/sim';
import { createBaoApp, type BaoAppOptions, type BaoSimulator } from './app.js';

/** Target id of the Bao server in plans and traces, unless told otherwise. */
export const BAO_TARGET = 'bao';
/** Origin the simulated Bao listens on by default (OpenBao's default port). */
export const BAO_SIM_ORIGIN = 'http://127.0.0.1:8200';

/** Options of {@link bindBaoSimulator}: the app's options (its clock is the network's) plus where to bind. */
export interface BindBaoOptions extends Omit<BaoAppOptions, 'clock' | 'onConnectionReset'> {
  /** Origin to serve, e.g. 'http://127.0.0.1:8200' (default {@link BAO_SIM_ORIGIN}). */
  origin?: string;
  /** Target id the plan's rules name (default {@link BAO_TARGET}). */
  target?: string;
}

/** A simulator bound in a {@link SimNetwork}. */
export interface BoundBao {
  readonly sim: BaoSimulator;
  /** Base URL for the client (`address`). */
  readonly origin: string;
  readonly target: string;
  /** The network's fetch (plan applied): hand it to the client as `fetch`. */
  readonly fetch: FetchLike;
}

/**
 * Create a Bao simulator on the network's clock and serve it at `origin` as target `target`. Its
 * `created_at` and `server_time_utc` read `net.clockFor(target)`, so the plan's clockSkew /
 * clockStrobe rules for `target` move them (unless `wallClock` is given).
 * A `crash` rule makes the server refuse connections while down; Bao's storage is durable, so a
 * crash with `loseState` keeps every key (nothing is wiped).
 * @throws Error when the origin is already bound in `net`; RangeError from {@link createBaoApp}.
 */
export function bindBaoSimulator(net: SimNetwork, options: BindBaoOptions = {}): BoundBao {
  const { origin = BAO_SIM_ORIGIN, target = BAO_TARGET, ...appOptions } = options;
  const sim = createBaoApp({ wallClock: net.clockFor(target), ...appOptions, clock: net.clock });
  net.bindHttp(origin, target, (request) => sim.app.fetch(request));
  return { sim, origin: new URL(origin).origin, target, fetch: net.fetch };
}

type PlanRule = NonNullable<FaultPlanInput['rules']>[number];

/** A clock window [fromMs, toMs) in ms since the run started. */
export interface PlanWindow {
  fromMs?: number;
  toMs?: number;
}

const scoped = (target: string, window: PlanWindow | undefined, probability: number | undefined) => ({
  targets: [target],
  ...(window === undefined
    ? {}
    : {
        window: { fromMs: window.fromMs ?? 0, ...(window.toMs === undefined ? {} : { toMs: window.toMs }) },
      }),
  ...(probability === undefined ? {} : { probability }),
});

/**
 * Fault-plan rules for Bao failure modes (each returns one rule of `parseFaultPlan`'s input).
 * Bodies are OpenBao's `{"errors":[...]}` so clients map them as they would the real server's.
 */
export const baoPlanRules = {
  /** Every request in the window answers 503 "Vault is sealed" (the handler is not called). */
  sealed: (window: PlanWindow, target = BAO_TARGET): PlanRule => ({
    fault: 'forceStatus',
    status: 503,
    message: '{"errors":["Vault is sealed"]}',
    ...scoped(target, window, undefined),
  }),
  /** With probability p, 429 "rate limit quota exceeded" (no Retry-After header at this layer). */
  rateLimited: (p: number, window?: PlanWindow, target = BAO_TARGET): PlanRule => ({
    fault: 'forceStatus',
    status: 429,
    message: '{"errors":["rate limit quota exceeded"]}',
    ...scoped(target, window, p),
  }),
  /** With probability p, `status` (default 500) with `{"errors":["internal error"]}`. */
  errorRate: (p: number, status = 500, window?: PlanWindow, target = BAO_TARGET): PlanRule => ({
    fault: 'forceStatus',
    status,
    message: '{"errors":["internal error"]}',
    ...scoped(target, window, p),
  }),
  /** With probability p the request is handled but the reply is lost (connection reset after processing). */
  connectionReset: (p: number, window?: PlanWindow, target = BAO_TARGET): PlanRule => ({
    fault: 'dropReply',
    ...scoped(target, window, p),
  }),
  /** With probability p the request never arrives and no answer ever comes (black hole: only the client's timeout ends it). */
  neverRespond: (p: number, window?: PlanWindow, target = BAO_TARGET): PlanRule => ({
    fault: 'dropRequest',
    ...scoped(target, window, p),
  }),
  /** The server is unreachable during the window (black hole; requests are never delivered). */
  partition: (window: PlanWindow, target = BAO_TARGET): PlanRule => ({
    fault: 'partition',
    targets: [target],
    window: { fromMs: window.fromMs ?? 0, ...(window.toMs === undefined ? {} : { toMs: window.toMs }) },
  }),
};
