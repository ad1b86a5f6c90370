/**
 * Live tier: the Bao simulator served over real HTTP on 127.0.0.1 with @hono/node-server.
 * Runs on wall time (realClock) unless a clock is passed. A `reset` or `dropReply` fault resets
 * the TCP socket (RST) so clients see a genuine connection reset.
 *
 * An optional sim-kit fault plan is applied at the socket edge exactly as in the simulated
 * network (same `serveHttpWithFaults`): black holes hold the connection open until the client
 * gives up, lost replies and crashes drop the socket, forced statuses answer without the app.
 * The simulator's own hooks (`faults`) apply behind the plan, as in simulation.
 *
 * `LIST`: Node's HTTP parser rejects the non-standard `LIST` method with a bare 400 before the
 * app sees it, while OpenBao accepts it. So the listening socket is a small TCP front
 * (list-front.ts) that rewrites each `LIST <path>` request line to `GET <path>?list=true` and
 * forwards the connection to the HTTP server on another loopback port; a reset of the inner
 * connection (reset / dropReply faults) is passed on to the client as a TCP RST.
 */
import { serve } from '@hono/node-server';
import type { IncomingMessage } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { realClock, type Clock } from '@fanout/core';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  FaultInjector,
  createRng,
  serveHttpWithFaults,
  type FaultPlan,
  type NetworkStats,
  type Rng as SimRng,
  type TraceSink,
} from '@fanout/sim';
import { createBaoApp, type BaoAppOptions, type BaoSimulator } from '../app.js';
import { BAO_TARGET } from '../network.js';
import { ListMethodRewriter } from './list-front.js';

/**
 * Options of {@link startBaoServer}: the app's options plus the port and an optional edge fault
 * plan. Unlike {@link createBaoApp}, the clock defaults to the wall clock and, when none of `rng`,
 * `seed` and `keys` is given, keys come from a CSPRNG (@noble/hashes `randomBytes`): a live server
 * may be used by a real client, so its keys are never predictable unless a seed (or a key source)
 * is asked for.
 */
export interface BaoServerOptions extends Omit<BaoAppOptions, 'clock'> {
  /**
   * Time source. Default realClock (this is the live tier); then `epochMs` defaults to the wall
   * time of clock 0, so `created_at` and health's `server_time_utc` are the real date.
   */
  clock?: Clock;
  /** TCP port; 0 (default) picks a free ephemeral port. */
  port?: number;
  /**
   * Address to listen on. Default '127.0.0.1'. A container image listens on '0.0.0.0' inside its
   * own network namespace and is reached through a port published on the host's loopback.
   */
  host?: string;
  /** Sim-kit fault plan applied at the socket edge (rules name target {@link target}). Default: none. */
  plan?: FaultPlan;
  /**
   * The fault injector to apply at the socket edge instead of one made from `plan` / `planRng`
   * (which are then ignored): shared with other parties of a run, and swappable at run time
   * through `injector.setPlan` (e.g. by `fanout sim`'s fault-control API). Its plan is read per
   * request.
   */
  injector?: FaultInjector;
  /** Root stream for the plan's draws (forks "faults:<target>"). Default `createRng(0)`. */
  planRng?: SimRng;
  /** Target id of this server in the plan. Default 'bao'. */
  target?: string;
  /** Where the edge records send/deliver/fault/reply events (wall-time ms since start). */
  trace?: TraceSink;
}

/** A running live simulator. */
export interface BaoServerHandle {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly port: number;
  /** The simulator behind the socket (counters, faults, switches). */
  readonly sim: BaoSimulator;
  /** Counters of the plan edge (sent, delivered, dropped, replies). */
  readonly stats: NetworkStats;
  /** Stop listening and drop open connections. Resolves once the server is closed. */
  close(): Promise<void>;
}

function rst(socket: Socket | undefined): void {
  if (socket === undefined || socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function resetSocket(env: unknown): void {
  rst((env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket);
}

/** How long a closing connection keeps reading what the client still sends (Go's rstAvoidanceDelay), ms. */
const LINGER_MS = 500;

/**
 * Close `socket` like Go's net/http after an answer with `Connection: close` sent while the client
 * may still be sending a body (413): FIN first, keep reading and discarding for up to
 * {@link LINGER_MS}, then destroy. Closing at once with unread bytes in the kernel buffer would
 * send an RST, which can destroy the answer before the client reads it.
 */
function lingeringClose(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}

/** Arrange a lingering close when `res` closes the connection (see {@link lingeringClose}). */
function closeGently(res: Response, env: { incoming: IncomingMessage }): Response {
  if (res.headers.get('connection')?.toLowerCase() === 'close') lingeringClose(env.incoming.socket as Socket);
  return res;
}

/**
 * Accept a client connection on the front: forward its bytes to the HTTP server at
 * 127.0.0.1:`innerPort` with LIST request lines rewritten, and the server's bytes back unchanged,
 * with backpressure both ways. An error on either side (the inner server's RST included) resets
 * the other, so clients still see genuine connection resets.
 */
function forward(client: Socket, innerPort: number): void {
  const rewriter = new ListMethodRewriter();
  const up = connect({ port: innerPort, host: '127.0.0.1', allowHalfOpen: true });
  client.setNoDelay(true);
  up.setNoDelay(true);
  client.on('data', (chunk: Buffer) => {
    const out = rewriter.push(chunk);
    if (out.length > 0 && !up.write(out)) client.pause();
  });
  up.on('drain', () => client.resume());
  client.on('end', () => up.end());
  up.on('data', (chunk: Buffer) => {
    if (!client.write(chunk)) up.pause();
  });
  client.on('drain', () => up.resume());
  up.on('end', () => client.end());
  up.on('error', () => rst(client));
  client.on('error', () => rst(up));
  up.on('close', (hadError) => {
    if (hadError) rst(client);
  });
  client.on('close', () => up.destroy());
}

/** True when the plan does anything at all (an empty plan skips the edge entirely). */
function planActive(plan: FaultPlan | undefined): plan is FaultPlan {
  return (
    plan !== undefined &&
    (plan.rules.length > 0 ||
      plan.latency.default !== undefined ||
      Object.keys(plan.latency.perTarget).length > 0)
  );
}

/**
 * Start the simulator on `host` (default 127.0.0.1).
 * @returns once listening: `{url, port, sim, stats, close()}`.
 * @throws BaoOptionError / InvalidSeedError synchronously for bad app options (see createBaoApp);
 *   (rejects with) the listen error, e.g. EADDRINUSE for a taken fixed port.
 */
export function startBaoServer(options: BaoServerOptions = {}): Promise<BaoServerHandle> {
  const {
    port = 0,
    host = '127.0.0.1',
    plan,
    planRng,
    injector: shared,
    target = BAO_TARGET,
    trace,
    ...appOptions
  } = options;
  const clock = appOptions.clock ?? realClock;
  // On the wall clock, created_at and server_time_utc are the real date (clock 0 = process start).
  const epochMs =
    appOptions.epochMs ?? (appOptions.clock === undefined ? Date.now() - realClock.now() : undefined);
  const sim = createBaoApp({
    ...appOptions,
    ...(epochMs === undefined ? {} : { epochMs }),
    ...(appOptions.rng === undefined && appOptions.seed === undefined && appOptions.keys === undefined
      ? { rng: randomBytes }
      : {}),
    clock,
    // created_at and server_time_utc read this target's skewed clock under clockSkew / clockStrobe
    // rules (what SimNetwork.clockFor gives in simulation); `injector` and `t0` are set below,
    // before the first request.
    wallClock: appOptions.wallClock ?? {
      now: () => {
        const now = clock.now();
        return injector === undefined ? now : now + injector.clockOffsetMs(target, now - t0);
      },
    },
    onConnectionReset: (env) => {
      resetSocket(env);
      appOptions.onConnectionReset?.(env);
    },
  });
  const stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, replies: 0 };
  const t0 = clock.now();
  const injector =
    shared ?? (planActive(plan) ? new FaultInjector(plan, planRng ?? createRng(0)) : undefined);
  const fetch = async (request: Request, env: { incoming: IncomingMessage }): Promise<Response> => {
    stats.sent++;
    if (injector === undefined || !planActive(injector.plan)) {
      stats.delivered++;
      return closeGently(await sim.app.fetch(request, env), env);
    }
    const out = await serveHttpWithFaults({
      clock,
      injector,
      target,
      handler: async (inner) => closeGently(await sim.app.fetch(inner, env), env),
      request,
      signal: request.signal,
      t: clock.now() - t0,
      elapsed: () => clock.now() - t0,
      record: (kind, fields) => trace?.record({ t: clock.now() - t0, kind, ...fields }),
      stats,
    });
    if (out instanceof Response) return out;
    if (out.kind === 'blackhole') {
      // Hold the connection open until the client gives up.
      await new Promise<void>((resolve) => {
        if (env.incoming.socket.destroyed) resolve();
        else env.incoming.socket.once('close', () => resolve());
      });
    } else {
      resetSocket(env);
    }
    return new Response(null, { status: 500 });
  };
  return new Promise((resolve, reject) => {
    // overrideGlobalObjects false: keep the process's global Request / Response (a BufferedResponse
    // must stay `instanceof Response`; @fanout/sim live/http-service.ts).
    const server = serve({
      fetch: fetch as never,
      port: 0,
      hostname: '127.0.0.1',
      overrideGlobalObjects: false,
    });
    const clients = new Set<Socket>();
    const front = createNetServer({ allowHalfOpen: true }, (client) => {
      clients.add(client);
      client.once('close', () => clients.delete(client));
      forward(client, (server.address() as AddressInfo).port);
    });
    const closeInner = (): Promise<void> =>
      new Promise<void>((done, fail) => {
        const s = server as typeof server & { closeAllConnections?: () => void };
        server.close((err) => (err ? fail(err) : done()));
        s.closeAllConnections?.();
      });
    const fail = (err: Error): void => {
      front.close();
      void closeInner().catch(() => undefined);
      reject(err);
    };
    server.once('error', fail);
    server.once('listening', () => {
      server.off('error', fail);
      front.once('error', fail);
      front.listen(port, host, () => {
        front.off('error', fail);
        const actual = (front.address() as AddressInfo).port;
        resolve({
          url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`,
          port: actual,
          sim,
          stats,
          close: async () => {
            const frontClosed = new Promise<void>((done) => front.close(() => done()));
            for (const c of clients) c.destroy();
            await Promise.all([frontClosed, closeInner()]);
          },
        });
      });
    });
  });
}
