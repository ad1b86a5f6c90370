/**
 * The fault-control API (../fault-control.ts) on a real HTTP listener, 127.0.0.1 by default.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createFaultControlApp, type FaultControl } from '../fault-control.js';

/** A running fault-control listener. */
export interface FaultControlServer {
  /** e.g. "http://127.0.0.1:45123" */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serve `control`'s API until `close()`.
 * @param o.port 0 (default) = ephemeral; o.host default '127.0.0.1'.
 * @throws the listen error (EADDRINUSE, EACCES).
 */
export async function startFaultControl(o: {
  control: FaultControl;
  host?: string;
  port?: number;
}): Promise<FaultControlServer> {
  const host = o.host ?? '127.0.0.1';
  const app = createFaultControlApp(o.control);
  const server: ServerType = await new Promise((resolve, reject) => {
    // overrideGlobalObjects false: keep the process's global Request / Response (http-service.ts).
    const s = serve(
      { fetch: app.fetch, port: o.port ?? 0, hostname: host, overrideGlobalObjects: false },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
