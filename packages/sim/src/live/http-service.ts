/**
 * Live tier: a real HTTP server on 127.0.0.1 (node:http through @hono/node-server) serving a fetch
 * handler, with the fault plan applied at its edge: black holes hold the connection open, resets
 * destroy the socket, refusals close it at once; the timeout toxic closes it and resetPeer sends a
 * TCP RST; shaped bodies (bandwidth, slicer, limitData, slowClose) are written piece by piece on
 * the socket; a target with a skewed clock answers a skewed `Date`.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { realClock, type Clock, type FetchHandler } from '@fanout/core';
import { skewedClock } from '../clock-faults.js';
import { FaultInjector, NO_FAULTS, type FaultPlan } from '../fault-plan.js';
import { shapedStepsOf } from '../http-toxics.js';
import { serveHttpWithFaults, wipeOnCrash, type NetworkStats, type TraceSink } from '../network.js';
import { createRng, type Rng } from '../rng.js';
import { failOnSocket, playOnSocket, withSkewedDate } from './http-edge.js';

export interface HttpServiceOptions {
  target: string;
  handler: FetchHandler;
  host?: string;
  /** 0 (default) = ephemeral. */
  port?: number;
  plan?: FaultPlan;
  rng?: Rng;
  /**
   * The injector to apply (shared by every service of a run, and swappable at run time through
   * `injector.setPlan`); when given, `plan` and `rng` are ignored.
   */
  injector?: FaultInjector;
  trace?: TraceSink;
  clock?: Clock;
  /**
   * Time origin of the plan's windows and crash times, in `clock` ms (default: this server's listen
   * time). Give all services of one run the same value so "crash at 500 ms" means one instant.
   */
  startedAt?: number;
  /**
   * Called when a crash rule with `loseState` has struck since the last request (the server's
   * volatile state is gone, as in SimNetwork.bindHttp).
   */
  onCrashLoseState?: () => void;
  /**
   * The plan target a request comes from, when the caller is one (e.g. from a header the callers
   * set); `linkPartition` rules between it and `target` then apply. Default: none (a client).
   */
  sourceOf?: (request: Request) => string | undefined;
}

export interface HttpServiceHandle {
  /** e.g. "http://127.0.0.1:41234" */
  readonly url: string;
  readonly port: number;
  readonly stats: NetworkStats;
  /**
   * The clock this target believes in (`clock`, with `now()` moved by the plan's clockSkew /
   * clockStrobe rules for `target`): give it to the handler where it reads the time of day.
   */
  readonly clock: Clock;
  close(): Promise<void>;
}

/**
 * Start serving `handler` over real HTTP until `close()`. The plan is applied at the edge on `clock`
 * time since `startedAt`, crash with `loseState` included (`onCrashLoseState`).
 * @throws the listen error (EADDRINUSE).
 */
export async function startHttpService(o: HttpServiceOptions): Promise<HttpServiceHandle> {
  const clock = o.clock ?? realClock;
  const t0 = o.startedAt ?? clock.now();
  const injector = o.injector ?? new FaultInjector(o.plan ?? NO_FAULTS, o.rng ?? createRng(0));
  const stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, replies: 0 };
  // An empty plan passes requests straight through (read per request: the plan can change).
  const faulty = (): boolean => {
    const p = injector.plan;
    return (
      p.rules.length > 0 || p.latency.default !== undefined || Object.keys(p.latency.perTarget).length > 0
    );
  };
  const seen = { lastSeenT: -1 };
  const record = (kind: string, fields: Record<string, unknown>): void =>
    o.trace?.record({ t: clock.now() - t0, kind, ...fields });
  const fetch = async (
    request: Request,
    env: { incoming: IncomingMessage; outgoing: ServerResponse },
  ): Promise<Response> => {
    stats.sent++;
    if (!faulty()) {
      stats.delivered++;
      return o.handler(request);
    }
    const out = await serveHttpWithFaults({
      clock,
      injector,
      target: o.target,
      handler: o.handler,
      request,
      signal: request.signal,
      t: clock.now() - t0,
      source: o.sourceOf?.(request),
      elapsed: () => clock.now() - t0,
      record,
      stats,
      // Crash with loseState: wipe the service's volatile state when it is next reached (as SimNetwork does).
      beforeHandle: (t) => wipeOnCrash(injector, o.target, seen, t, o.onCrashLoseState, record),
      bodyOnSocket: true,
    });
    if (!(out instanceof Response)) {
      // Black holes hold the connection open until the client gives up; the rest close or reset it.
      await failOnSocket(out, env.incoming.socket);
      return new Response(null, { status: 500 });
    }
    const offset = injector.clockOffsetMs(o.target, clock.now() - t0);
    const steps = shapedStepsOf(out);
    const answer = offset === 0 ? out : withSkewedDate(out, offset);
    if (steps === undefined) return answer;
    await playOnSocket(answer, steps, env.outgoing, clock, (step) => {
      if (step.kind === 'cut') record('drop', { from: o.target, reason: 'limitData' });
    });
    return RESPONSE_ALREADY_SENT;
  };
  const server: ServerType = await new Promise((resolve, reject) => {
    // overrideGlobalObjects false: @hono/node-server would otherwise replace the process's global
    // Request and Response with its own classes, and every Response made before (a BufferedResponse,
    // the sim worlds' replies) would fail `instanceof Response` from then on.
    const s = serve(
      {
        fetch: fetch as never,
        port: o.port ?? 0,
        hostname: o.host ?? '127.0.0.1',
        overrideGlobalObjects: false,
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    stats,
    clock: skewedClock({ clock, offsets: injector, target: o.target, startedAt: t0 }),
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
