/**
 * Live tier: a real HTTP server on 127.0.0.1 (node:http through @hono/node-server) serving a fetch
 * handler, with the fault plan applied at its edge: black holes hold the connection open, resets
 * destroy the socket, refusals close it at once.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { realClock, type Clock, type FetchHandler } from '@fanout/core';
import { FaultInjector, NO_FAULTS, type FaultPlan } from '../fault-plan.js';
import { serveHttpWithFaults, wipeOnCrash, type NetworkStats, type TraceSink } from '../network.js';
import { createRng, type Rng } from '../rng.js';

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
}

export interface HttpServiceHandle {
  /** e.g. "http://127.0.0.1:41234" */
  readonly url: string;
  readonly port: number;
  readonly stats: NetworkStats;
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
  const fetch = async (request: Request, env: { incoming: IncomingMessage }): Promise<Response> => {
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
      elapsed: () => clock.now() - t0,
      record,
      stats,
      // Crash with loseState: wipe the service's volatile state when it is next reached (as SimNetwork does).
      beforeHandle: (t) => wipeOnCrash(injector, o.target, seen, t, o.onCrashLoseState, record),
    });
    if (out instanceof Response) return out;
    if (out.kind === 'blackhole') {
      // Hold the connection open until the client gives up.
      await new Promise<void>((resolve) => env.incoming.socket.once('close', () => resolve()));
    } else {
      env.incoming.socket.destroy();
    }
    return new Response(null, { status: 500 });
  };
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: fetch as never, port: o.port ?? 0, hostname: o.host ?? '127.0.0.1' }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
