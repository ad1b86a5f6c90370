/**
 * A real UDP {@link DatagramTransport} (node:dgram), bound to 127.0.0.1 on an ephemeral port by
 * default. The live tier's client side; the simulated tier uses SimNetwork.openDatagram().
 */
import dgram from 'node:dgram';
import type { DatagramAddress, DatagramTransport } from '../transport.js';

/** Options of {@link openUdpTransport}. */
export interface UdpTransportOptions {
  /** Local address to bind. Default '127.0.0.1'. */
  host?: string;
  /** Local port; 0 (default) = ephemeral. */
  port?: number;
  /** Socket receive buffer size, bytes (many replies can arrive at once). Default 4 MiB. */
  recvBufferBytes?: number;
}

/**
 * Open a UDP socket.
 * @returns the transport and its bound local address.
 * @throws the socket's bind error (e.g. EADDRINUSE).
 */
export async function openUdpTransport(
  options: UdpTransportOptions = {},
): Promise<DatagramTransport & { address: DatagramAddress }> {
  const socket = dgram.createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  try {
    socket.setRecvBufferSize(options.recvBufferBytes ?? 4 * 1024 * 1024);
  } catch {
    // Not fatal: the OS may cap it.
  }
  const listeners = new Set<(bytes: Uint8Array, from: DatagramAddress) => void>();
  socket.on('message', (msg, rinfo) => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    for (const l of [...listeners]) l(bytes, { host: rinfo.address, port: rinfo.port });
  });
  socket.on('error', () => {
    // ICMP errors (port unreachable) surface here on some systems: treat as loss.
  });
  const a = socket.address();
  let closed = false;
  return {
    address: { host: a.address, port: a.port },
    send(to, bytes) {
      if (closed) throw new Error('UDP transport is closed');
      socket.send(bytes, to.port, to.host);
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      listeners.clear();
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
