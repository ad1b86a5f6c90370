/**
 * A sandbox for servers under fuzz (installed in the child process only): a server fed with
 * mutated input may be talked into sending to an address the input names (a DHT contact list, a
 * Prime node endpoint). Datagrams and fetches to anything but a loopback IP literal are dropped
 * and recorded, so a fuzz run never reaches past 127.0.0.1 — and such an attempt is itself
 * reported.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';

/** One blocked attempt. */
export interface BlockedSend {
  readonly via: 'udp' | 'fetch';
  readonly to: string;
}

/** True for a loopback IP literal (127.0.0.0/8, ::1) or 'localhost'. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

/**
 * Patch dgram sends and global fetch in this process (see the module comment).
 * @param onBlocked called for each dropped send.
 */
export function installLoopbackGuard(onBlocked: (b: BlockedSend) => void): void {
  const proto = dgram.Socket.prototype as unknown as { send: (...args: unknown[]) => void };
  const send = proto.send;
  proto.send = function guardedSend(this: dgram.Socket, ...args: unknown[]): void {
    // send(msg, [offset, length,] port, address, [callback])
    const address = args.find((a, i) => i > 0 && typeof a === 'string') as string | undefined;
    if (address !== undefined && !isLoopback(address)) {
      onBlocked({ via: 'udp', to: address });
      const cb = args.at(-1);
      if (typeof cb === 'function') queueMicrotask(() => (cb as (e: Error | null) => void)(null));
      return;
    }
    send.apply(this, args);
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!isLoopback(url.hostname)) {
      onBlocked({ via: 'fetch', to: url.host });
      throw new TypeError(`fuzz sandbox: fetch to ${url.host} blocked (not loopback)`);
    }
    return realFetch(input, init);
  };
}

/**
 * Count the datagrams every UDP socket of this process receives (a wrapper around the sockets'
 * 'message' event), so the fuzzer can pace its sends to what the server really reads: a burst
 * faster than the server drains its socket buffer is dropped by the kernel, unseen.
 * @returns the counter's reader.
 */
export function countReceivedDatagrams(): () => number {
  let received = 0;
  const proto = dgram.Socket.prototype as unknown as {
    emit: (event: string | symbol, ...args: unknown[]) => boolean;
  };
  const emit = proto.emit;
  proto.emit = function countingEmit(
    this: dgram.Socket,
    event: string | symbol,
    ...args: unknown[]
  ): boolean {
    if (event === 'message') received++;
    return emit.call(this, event, ...args);
  };
  return () => received;
}
