/**
 * Generic simulated services for a user's own scenarios: any fetch handler (a hono app's
 * `fetch`, or `(req) => Response`) as an HTTP party, any datagram handler as a UDP party, served
 * by the world as a fault-plan target — in SimNetwork on the virtual clock (sim) or on a real
 * socket on 127.0.0.1 with the plan at its edge (live).
 */
import type { DatagramAddress, FetchHandler } from '@fanout/core';
import type { DatagramService } from '@fanout/sim';
import type { World } from './world.js';

/**
 * Serve `handler` as HTTP party `target`.
 * @returns `{ url, target }`: send requests to `url` with `world.fetch`.
 */
export async function httpService(
  world: World,
  handler: FetchHandler,
  o: { readonly target: string; readonly onCrashLoseState?: () => void },
): Promise<{ readonly url: string; readonly target: string }> {
  return { url: await world.serveHttp(o.target, handler, o.onCrashLoseState), target: o.target };
}

/**
 * Serve a datagram handler as UDP party `target`: `handle(request, from)` returns the reply
 * bytes, or null for none.
 * @returns `{ address, target }`: send to `address` through `world.openDatagram()`.
 */
export async function udpService(
  world: World,
  handle: DatagramService['handle'] | DatagramService,
  o: { readonly target: string },
): Promise<{ readonly address: DatagramAddress; readonly target: string }> {
  const service: DatagramService = typeof handle === 'function' ? { handle } : handle;
  return { address: await world.serveDatagram(o.target, service), target: o.target };
}
