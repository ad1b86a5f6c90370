/**
 * Transport interfaces shared by the real clients and the simulators, so that the same client code
 * runs over a real dgram socket / fetch and over the simulated network (DESIGN.md principle 1).
 */

/** A datagram peer address. */
export interface DatagramAddress {
  readonly host: string;
  readonly port: number;
}

/** Something that sends and receives datagrams (a UDP socket, or a simulated one). */
export interface DatagramTransport {
  /** Send one datagram. Never throws for a lost datagram (UDP semantics); throws only on a closed transport. */
  send(to: DatagramAddress, bytes: Uint8Array): void;
  /** Subscribe to incoming datagrams; returns the unsubscribe function. */
  onMessage(listener: (bytes: Uint8Array, from: DatagramAddress) => void): () => void;
  /** Release the socket. */
  close(): Promise<void>;
}

/** A fetch-compatible function (global fetch, undici's fetch, or the simulated network's). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A server-side fetch handler (hono's `app.fetch`, or any `(Request) => Response`). */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Canonical "host:port" text of an address. */
export function addressKey(a: DatagramAddress): string {
  return `${a.host}:${a.port}`;
}

/**
 * Whether two addresses are the same host and port: `addressKey(a) === addressKey(b)` without
 * building either text (a port has no ':', so the key's last ':' splits it back).
 */
export function sameAddress(a: DatagramAddress, b: DatagramAddress): boolean {
  return a.host === b.host && a.port === b.port;
}
