/**
 * Live tier: the Bao simulator served over real HTTP on 127.0.0.1 with @hono/node-server.
 * Runs on wall time (realClock) unless a clock is passed. A `reset` fault resets the TCP socket
 * (RST) so clients see a genuine connection reset.
 *
 * Limitation: Node's HTTP parser rejects the non-standard `LIST` method with a bare 400 before
 * the app sees it, so over real sockets list keys with `GET …/keys?list=true` (which is what the
 * Vault/OpenBao API clients send for LIST anyway). In-process, both forms work.
 */
import { serve } from '@hono/node-server';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBaoApp, type BaoAppOptions, type BaoSimulator } from '../app.js';

/** Options of {@link startBaoServer}: the app's options plus the port. */
export interface BaoServerOptions extends BaoAppOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free ephemeral port. */
  port?: number;
}

/** A running live simulator. */
export interface BaoServerHandle {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly port: number;
  /** The simulator behind the socket (counters, faults, switches). */
  readonly sim: BaoSimulator;
  /** Stop listening and drop open connections. Resolves once the server is closed. */
  close(): Promise<void>;
}

function resetSocket(env: unknown): void {
  const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const socket = incoming?.socket;
  if (socket === undefined || socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/**
 * Start the simulator on 127.0.0.1.
 * @returns once listening: `{url, port, sim, close()}`.
 * @throws (rejects with) the listen error, e.g. EADDRINUSE for a taken fixed port.
 */
export function startBaoServer(options: BaoServerOptions = {}): Promise<BaoServerHandle> {
  const { port = 0, ...appOptions } = options;
  const sim = createBaoApp({
    ...appOptions,
    onConnectionReset: (env) => {
      resetSocket(env);
      appOptions.onConnectionReset?.(env);
    },
  });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: sim.app.fetch, port, hostname: '127.0.0.1' });
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${actual}`,
        port: actual,
        sim,
        close: () =>
          new Promise<void>((done, fail) => {
            const s = server as typeof server & { closeAllConnections?: () => void };
            server.close((err) => (err ? fail(err) : done()));
            s.closeAllConnections?.();
          }),
      });
    });
  });
}
