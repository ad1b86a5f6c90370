/**
 * Live Hubert HTTP server on a real socket (wall time): the hono app of src/http/app.ts served by
 * @hono/node-server. Binds 127.0.0.1 by default (as upstream); pass `port: 0` for an ephemeral port.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { realClock } from '@fanout/core';
import { createHubertApp, type HubertAppOptions } from '../http/app.js';
import type { KvStore } from '../kv-store.js';
import { createServerKvStore } from '../stores/memory.js';

/** Upstream default port (hubert-rust ServerConfig::default). */
export const HUBERT_DEFAULT_PORT = 45678;

/** Options of {@link startHubertServer}. */
export interface StartHubertServerOptions extends HubertAppOptions {
  /** TCP port; 0 = ephemeral. Default 45678. */
  port?: number;
  /** Bind address. Default '127.0.0.1'. */
  host?: string;
  /** Backing store. Default: `createServerKvStore({ clock: realClock })` (in-memory, TTL ≤ 86400 s). */
  store?: KvStore;
}

/** A running live server. */
export interface RunningHubertServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The bound port. */
  port: number;
  /** The backing store. */
  store: KvStore;
  /** Stop listening and close open connections. */
  close(): Promise<void>;
}

/**
 * Start the Hubert HTTP server.
 * @returns once listening: its URL, port, store and `close()`.
 * @throws (rejects with) the listen error, e.g. EADDRINUSE.
 */
export function startHubertServer(options: StartHubertServerOptions = {}): Promise<RunningHubertServer> {
  const host = options.host ?? '127.0.0.1';
  const store = options.store ?? createServerKvStore({ clock: realClock });
  const app = createHubertApp(store, options);
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, port: options.port ?? HUBERT_DEFAULT_PORT, hostname: host },
      (info: AddressInfo) => {
        server.off('error', reject);
        const urlHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${urlHost}:${info.port}`,
          port: info.port,
          store,
          close: () =>
            new Promise<void>((done, fail) => {
              if ('closeAllConnections' in server) server.closeAllConnections();
              server.close((err) => (err ? fail(err) : done()));
            }),
        });
      },
    );
    server.once('error', reject);
  });
}
